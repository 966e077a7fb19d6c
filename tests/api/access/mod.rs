mod auth;
mod authorization_first;
mod isolation;
mod link_tokens;
mod owasp;
mod permissions;
mod refresh_tokens;
mod signing_keys;
