mod applications;
mod partner;
mod partnerships;
mod users;
mod quotas;
mod domains;
