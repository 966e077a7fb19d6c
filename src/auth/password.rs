//! Secrets: argon2id hashing (OWASP parameters, the crate default) for passwords and application
//! secrets, random temporary passwords and secrets, and SHA-256 digests for link tokens (which
//! are high-entropy, so a fast hash is enough and makes lookup by hash possible).
//!
//! Hashing and verifying cost tens of milliseconds: call them inside `db::run`/`web::block`,
//! never on an actix worker.

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;
use rand::distr::Alphanumeric;
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// A PHC-format argon2id hash of `secret`.
pub fn hash(secret: &str) -> Result<String, ApiError> {
    Argon2::default()
        .hash_password(secret.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| ApiError::internal(format!("argon2 hash: {e}")))
}

/// Whether `secret` matches the PHC hash (false for a malformed hash).
pub fn verify(secret: &str, phc: &str) -> bool {
    Argon2::default()
        .verify_password(secret.as_bytes(), phc)
        .is_ok()
}

/// A dummy verification, so that unknown user names cost as much as wrong passwords.
pub fn burn_time() {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let phc = DUMMY.get_or_init(|| hash("not-a-real-password").unwrap_or_default());
    let _ = verify("still-not-the-password", phc);
}

/// A temporary password: 20 characters with upper case, lower case, digits and a symbol,
/// shown once and stored only as a hash.
pub fn temporary() -> String {
    let mut rng = rand::rng();
    let body: String = (&mut rng)
        .sample_iter(&Alphanumeric)
        .take(16)
        .map(char::from)
        .collect();
    let digit = rng.random_range(0..10);
    format!("Tmp{body}!{digit}")
}

/// A random application secret (43 URL-safe characters, 256 bits).
pub fn secret() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A random single-use link token and its SHA-256 hex digest (only the digest is stored).
pub fn link_token() -> (String, String) {
    let token = secret();
    let digest = sha256_hex(&token);
    (token, digest)
}

/// Lowercase hex SHA-256 of `s`.
pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// Password policy for chosen passwords: 12–128 characters, not all of one class.
pub fn check_policy(password: &str) -> Result<(), &'static str> {
    let len = password.chars().count();
    if !(12..=128).contains(&len) {
        return Err("must be 12 to 128 characters long");
    }
    let classes = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    if classes.iter().filter(|c| **c).count() < 3 {
        return Err("must mix at least three of: lower case, upper case, digits, symbols");
    }
    Ok(())
}
