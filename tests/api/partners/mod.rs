mod applications;
mod domains;
mod partner;
mod partnerships;
mod quotas;
mod users;
