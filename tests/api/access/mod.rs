mod auth;
mod authorization_first;
mod check_order;
mod isolation;
mod link_tokens;
mod owasp;
mod permissions;
