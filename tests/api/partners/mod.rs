mod applications;
mod partner;
mod partnerships;
mod users;
