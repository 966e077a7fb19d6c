//! Sealing secrets at rest: ChaCha20-Poly1305 under a key derived from `JWT_SECRET`. The
//! idempotency store keeps responses that show a secret once only sealed, and webhook signing
//! secrets are stored sealed (docs/concepts.md#organisations-and-who-signs-in: secrets are never stored in clear).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// Stored bodies that are encrypted start with this prefix.
/// Stored sealed values start with this prefix.
const SEALED: &str = "sealed:v1:";

fn cipher(jwt_secret: &str) -> ChaCha20Poly1305 {
    let key = Sha256::digest(format!("partner-center idempotency store\n{jwt_secret}").as_bytes());
    ChaCha20Poly1305::new(&key)
}

/// Encrypts a stored body: `sealed:v1:` + base64url(nonce ‖ ciphertext). Also seals
/// webhook signing secrets.
pub fn seal(jwt_secret: &str, body: &[u8]) -> Result<String, ApiError> {
    let nonce: [u8; 12] = rand::random();
    let sealed = cipher(jwt_secret)
        .encrypt(&Nonce::from(nonce), body)
        .map_err(|_| ApiError::internal("idempotency seal failed"))?;
    let mut out = nonce.to_vec();
    out.extend(sealed);
    Ok(format!("{SEALED}{}", URL_SAFE_NO_PAD.encode(out)))
}

/// Decrypts what [`seal`] stored (plain bodies pass through); `None` if it cannot be opened
/// (e.g. `JWT_SECRET` changed since).
pub fn open(jwt_secret: &str, stored: String) -> Option<Vec<u8>> {
    let Some(encoded) = stored.strip_prefix(SEALED) else {
        return Some(stored.into_bytes());
    };
    let bytes = URL_SAFE_NO_PAD.decode(encoded).ok()?;
    if bytes.len() < 12 {
        return None;
    }
    let (nonce, sealed) = bytes.split_at(12);
    let nonce: [u8; 12] = nonce.try_into().ok()?;
    cipher(jwt_secret).decrypt(&Nonce::from(nonce), sealed).ok()
}
