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

/// A bounded pool of threads for argon2 work (sign-in and password change), apart from the
/// database blocking pool (issue 7 item 4, issue 8 finding 3): at most `threads` hashes run at
/// once, so their memory (19 MiB each) is bounded, and at most `queue` more wait. Beyond that,
/// [`Hasher::run`] answers 503 `sign_in_busy` with `Retry-After` at once, and reads never wait
/// behind a burst of sign-ins. Dropping the pool ends its threads.
pub struct Hasher {
    tx: std::sync::mpsc::SyncSender<Job>,
    waiting: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

type Job = Box<dyn FnOnce() + Send>;

impl Hasher {
    /// Starts `threads` hashing threads (at least one) with room for `queue` waiting jobs.
    pub fn new(threads: usize, queue: usize) -> Hasher {
        use std::sync::atomic::Ordering;
        use std::sync::{Arc, Mutex, mpsc};
        let (tx, rx) = mpsc::sync_channel::<Job>(queue);
        let rx = Arc::new(Mutex::new(rx));
        let waiting = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        for n in 0..threads.max(1) {
            let rx = Arc::clone(&rx);
            let waiting = Arc::clone(&waiting);
            let spawned = std::thread::Builder::new()
                .name(format!("hashing-{n}"))
                .spawn(move || {
                    loop {
                        let job = match rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => return,
                        };
                        let Ok(job) = job else { return };
                        waiting.fetch_sub(1, Ordering::Relaxed);
                        job();
                    }
                });
            if let Err(e) = spawned {
                log::error!("cannot start hashing thread: {e}");
            }
        }
        Hasher { tx, waiting }
    }

    /// Jobs submitted and not yet started (for metrics).
    pub fn waiting(&self) -> usize {
        self.waiting.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Runs `f` on a hashing thread. Errors: 503 `sign_in_busy` (`Retry-After: 1`) when every
    /// thread is busy and the queue is full.
    pub async fn run<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        use std::sync::atomic::Ordering;
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = done.send(f());
        });
        self.waiting.fetch_add(1, Ordering::Relaxed);
        if self.tx.try_send(job).is_err() {
            self.waiting.fetch_sub(1, Ordering::Relaxed);
            return Err(ApiError::sign_in_busy());
        }
        result
            .await
            .map_err(|_| ApiError::internal("hashing job dropped"))
    }
}
