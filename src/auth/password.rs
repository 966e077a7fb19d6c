//! Secrets: argon2id hashing (OWASP parameters, the crate default) for passwords and application
//! secrets, random temporary passwords and secrets, and SHA-256 digests for link tokens (which
//! are high-entropy, so a fast hash is enough and makes lookup by hash possible).
//!
//! Hashing and verifying cost tens of milliseconds: call them inside `db::run`/`web::block`,
//! never on an actix worker.

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;
use rand::distr::Alphanumeric;
use sha2::{Digest, Sha256};

use crate::error::ApiError;

thread_local! {
    /// This thread's argon2 working memory (19 MiB with the default parameters), reused by every
    /// hash on the thread while jobs are waiting and given back to the system when the queue is
    /// empty ([`release_memory`]; `memory::unmap_large_blocks_when_freed` makes that free give the
    /// pages back). Allocating it per hash in a burst lets glibc scatter the
    /// blocks over many malloc arenas that keep them: RSS grew to ~420 MB after 160 concurrent
    /// sign-ins. So memory is at most `HASHING_THREADS` × 19 MiB during a burst and none at rest.
    static BLOCKS: std::cell::RefCell<Vec<argon2::Block>> = const { std::cell::RefCell::new(Vec::new()) };
    /// Whether this thread keeps its working memory: only [`Hasher`] threads do; any other
    /// thread (a rare hash of a temporary password) allocates and frees it per call.
    static KEEPS_MEMORY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs argon2 with this thread's reusable working memory.
fn with_memory<T>(
    argon2: &Argon2<'_>,
    count: usize,
    f: impl FnOnce(&Argon2<'_>, &mut [argon2::Block]) -> T,
) -> T {
    if !KEEPS_MEMORY.with(std::cell::Cell::get) {
        let mut blocks = vec![argon2::Block::default(); count];
        return f(argon2, &mut blocks);
    }
    BLOCKS.with(|cell| {
        let mut blocks = cell.borrow_mut();
        if blocks.len() < count {
            blocks.resize(count, argon2::Block::default());
        }
        f(argon2, &mut blocks[..count])
    })
}

/// Gives this thread's argon2 working memory back to the system (see [`BLOCKS`]).
fn release_memory() {
    BLOCKS.with(|cell| *cell.borrow_mut() = Vec::new());
}

/// Argon2id with the crate's default (OWASP) parameters, computed into `out` with `salt`.
fn argon2_into(
    argon2: &Argon2<'_>,
    params: &Params,
    secret: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), argon2::Error> {
    with_memory(argon2, params.block_count(), |a, blocks| {
        a.hash_password_into_with_memory(secret, salt, out, blocks)
    })
}

/// A PHC-format argon2id hash of `secret` (random 16-byte salt, default parameters).
pub fn hash(secret: &str) -> Result<String, ApiError> {
    let params = Params::default();
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let salt: [u8; 16] = rand::rng().random();
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    argon2_into(&argon2, &params, secret.as_bytes(), &salt, &mut out)
        .map_err(|e| ApiError::internal(format!("argon2 hash: {e}")))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params)
            .map_err(|e| ApiError::internal(format!("argon2 params: {e}")))?,
        salt: Some(Salt::new(&salt).map_err(|e| ApiError::internal(format!("salt: {e}")))?),
        hash: Some(Output::new(&out).map_err(|e| ApiError::internal(format!("output: {e}")))?),
    };
    Ok(phc.to_string())
}

/// Whether `secret` matches the PHC hash (false for a malformed hash). The comparison is the
/// crate's constant-time one ([`Output`]'s equality).
pub fn verify(secret: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm.as_str()) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(v) => v.unwrap_or_default(),
        Err(_) => return false,
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    let argon2 = Argon2::new(algorithm, version, params.clone());
    let mut out = vec![0u8; expected.len()];
    if argon2_into(&argon2, &params, secret.as_bytes(), salt.as_ref(), &mut out).is_err() {
        return false;
    }
    Output::new(&out).is_ok_and(|computed| &computed == expected)
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

/// A new secret that is shown once (a temporary password or a client secret) with its argon2id
/// hash, the only form stored. Made before a change's transaction opens, so hashing never holds a
/// lock (call off the actix workers).
#[derive(Debug)]
pub struct NewSecret {
    /// The secret in clear: answered once, never stored.
    pub clear: String,
    /// Its argon2id hash (PHC string).
    pub hash: String,
}

impl NewSecret {
    /// A new temporary password ([`temporary`]).
    pub fn temporary_password() -> Result<NewSecret, ApiError> {
        Self::hashed(temporary())
    }

    /// A new client secret ([`secret`]).
    pub fn client_secret() -> Result<NewSecret, ApiError> {
        Self::hashed(secret())
    }

    fn hashed(clear: String) -> Result<NewSecret, ApiError> {
        let hash = hash(&clear)?;
        Ok(NewSecret { clear, hash })
    }
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
/// database blocking pool: at most `threads` hashes run at
/// once, so their memory (19 MiB each) is bounded, and at most `queue` more wait. Beyond that,
/// [`Hasher::run`] answers 503 `sign_in_busy` with `Retry-After` at once, and reads never wait
/// behind a burst of sign-ins. A thread keeps its working memory while jobs are waiting and
/// gives it back when the queue is empty, so a server at rest holds none. Dropping the pool ends
/// its threads.
pub struct Hasher {
    tx: std::sync::mpsc::SyncSender<Job>,
    waiting: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

type Job = Box<dyn FnOnce() + Send>;

/// Puts the calling thread in Linux's `SCHED_IDLE` class (threads have their own policy): a
/// thread of any other class that wakes preempts it at once, and it runs on the CPU time left
/// over. Password hashing is the only work here that keeps every core busy for hundreds of
/// milliseconds. Measured on 2 cores, PostgreSQL, reads' p99 during a 16-client
/// sign-in burst against reads alone: 1.94 vs 2.12 ms (at nice 10: 5.38 vs 2.12 ms) with
/// `kernel.sched_autogroup_enabled = 0`; with autogroup on, the kernel first shares the CPU
/// between sessions (the server's and PostgreSQL's) and no thread policy changes that share
/// (87–90 ms against 2–8 ms alone, either way). Falls back to nice 10 where the class is
/// refused.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        let param = libc::sched_param { sched_priority: 0 };
        // SAFETY: `pid = 0` is the calling thread; `param` outlives the call, which only reads it.
        if unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) } == 0 {
            return;
        }
        // SAFETY: setpriority only reads its integer arguments; `who = 0` is the calling thread.
        if unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, 10) } != 0 {
            log::warn!("cannot lower the hashing thread's priority");
        }
    }
}

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
                    KEEPS_MEMORY.with(|keeps| keeps.set(true));
                    lower_priority();
                    loop {
                        let job = match rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => return,
                        };
                        let Ok(job) = job else { return };
                        waiting.fetch_sub(1, Ordering::Relaxed);
                        // A panicking job must not take the thread with it (its caller sees
                        // the dropped reply as a 500).
                        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)).is_err() {
                            log::error!("a hashing job panicked");
                        }
                        if waiting.load(Ordering::Relaxed) == 0 {
                            release_memory();
                        }
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

#[cfg(test)]
mod tests {
    use super::Hasher;

    /// Requests preempt password hashing: its threads run in `SCHED_IDLE` (see
    /// `lower_priority`), so a sign-in burst only gets the CPU that requests leave.
    #[cfg(target_os = "linux")]
    #[actix_web::test]
    async fn hashing_threads_yield_to_every_other_thread() {
        let hasher = Hasher::new(1, 1);
        // SAFETY: `pid = 0` asks for the calling (hashing) thread's policy; no memory is passed.
        let policy = hasher
            .run(|| unsafe { libc::sched_getscheduler(0) })
            .await
            .expect("a free hashing thread takes the job");
        assert_eq!(policy, libc::SCHED_IDLE);
    }
}
