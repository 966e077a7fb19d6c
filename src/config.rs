//! Configuration from the environment (and `.env`), checked at start: a bad or missing setting
//! stops start-up with one line naming the variable (README.md).

use std::env;

/// Runtime configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// `DATABASE_URL`: a SQLite path or `sqlite://PATH` (default `partner-center.db`), or
    /// `postgres://…`.
    pub database_url: String,
    /// `BIND_ADDR` (default `127.0.0.1:8080`).
    pub bind_addr: String,
    /// `JWT_SECRET`: at least 32 bytes; required outside demo mode.
    pub jwt_secret: String,
    /// `JWT_SIGNING_KEY_FILE`: a PEM file with an Ed25519 or RSA private key; tokens are then
    /// signed with it (EdDSA or RS256) and its public key is published at
    /// `/.well-known/jwks.json` (default none: HS256 with `JWT_SECRET`).
    pub jwt_signing_key: Option<crate::auth::jwt::KeyPair>,
    /// `JWT_PREVIOUS_KEY_FILES`: comma-separated PEM files of earlier signing keys (private or
    /// public): tokens they signed stay valid until they expire, and they stay published.
    pub jwt_previous_keys: Vec<crate::auth::jwt::KeyPair>,
    /// `PUBLIC_BASE_URL`: where users reach the API, used in invitation links
    /// (default `http://{BIND_ADDR}`).
    pub public_base_url: String,
    /// `TOKEN_TTL_SECONDS`: access-token lifetime (default 3600).
    pub token_ttl_seconds: i64,
    /// `REFRESH_TOKEN_TTL_DAYS`: how long a refresh token stays usable; each use rotates it into
    /// a new one with the full lifetime again (default 30; 0: no refresh tokens).
    pub refresh_token_ttl_days: i64,
    /// `INVITATION_TTL_DAYS`: lifetime of invitation and relationship-request links (default 14).
    pub invitation_ttl_days: i64,
    /// `TOKEN_RATE_LIMIT_PER_MINUTE`: failed sign-in attempts per (user name or client id,
    /// client address) per minute, also the burst (default 10).
    pub token_rate_limit_per_minute: i64,
    /// `SIGN_IN_ADDRESS_LIMIT_PER_MINUTE`: failed sign-in attempts per client address per
    /// minute, whatever the user name, also the burst (default 30).
    pub sign_in_address_limit_per_minute: i64,
    /// `TRUSTED_PROXIES`: proxies whose `X-Forwarded-For` is believed (addresses or CIDR
    /// networks, comma-separated; default none: the TCP peer is the client).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// `SIGN_IN_ADDRESS_TOTAL_PER_MINUTE`: sign-in attempts per client address per minute,
    /// successful ones included, also the burst (default 120): each costs an argon2 check.
    pub sign_in_address_total_per_minute: i64,
    /// `HASHING_THREADS`: threads hashing passwords (argon2id, 19 MiB each), apart from the
    /// database pool (default: the number of cores).
    pub hashing_threads: usize,
    /// `HASHING_QUEUE`: sign-ins that may wait for a hashing thread; beyond it sign-in answers
    /// 503 `sign_in_busy` with `Retry-After` (default 32).
    pub hashing_queue: usize,
    /// `REQUEST_RATE_LIMIT_PER_MINUTE`: requests per caller per minute on each replica
    /// (default 600; 0 disables).
    pub request_rate_limit_per_minute: u32,
    /// Demo mode (`serve --demo`): a generated JWT secret is allowed.
    pub demo: bool,
    /// `WEBHOOK_ALLOW_PRIVATE_TARGETS`: allow `http://` and loopback/private webhook targets
    /// (default false; true in demo mode). For demos and tests only.
    pub webhook_allow_private_targets: bool,
    /// `WEBHOOK_RETRY_SCHEDULE`: seconds before each retry of a failed delivery, comma-separated
    /// (default `5,300,1800,7200,18000,36000,36000`, about 24 h); then the delivery is failed.
    pub webhook_retry_schedule: Vec<u64>,
    /// `WEBHOOK_POLL_INTERVAL_MS`: how often an idle delivery worker looks for due deliveries
    /// (default 250).
    pub webhook_poll_interval_ms: u64,
    /// `WEBHOOK_MAX_QUEUED_PER_PARTNER`: pending deliveries one partner may have before a replay
    /// or redelivery that would queue more is answered 429 `delivery_queue_full` (default
    /// 10,000). Deliveries of new events are always queued.
    pub webhook_max_queued_per_partner: i64,
    /// `WEBHOOK_EVENT_RETENTION_DAYS`: how long webhook events (with their deliveries and
    /// attempts) are kept, and so how far back a replay reaches (default 30).
    pub webhook_event_retention_days: i64,
    /// `AUDIT_RETENTION_DAYS`: how long audit records are kept (default none: forever).
    pub audit_retention_days: Option<i64>,
    /// `CORS_ALLOWED_ORIGINS`: comma-separated origins (`https://app.example`) browser apps may
    /// call from, or `*` (default none: CORS off).
    pub cors_allowed_origins: Vec<String>,
    /// `METRICS_TOKEN`: the bearer token `GET /metrics` requires (at least 16 bytes; default
    /// none: `/metrics` answers 404).
    pub metrics_token: Option<String>,
    /// `CANCELLATION_WINDOW_HOURS`: hours after a purchase or renewal within which seats may be
    /// returned and a subscription cancelled, for offers without their own (default 168; 0:
    /// none).
    pub cancellation_window_hours: i64,
    /// `TEST_CLOCKS_ENABLED`: whether providers may create test clocks and customers on them
    /// (default false; true in demo mode). Off, `/v1/test-clocks` answers 404.
    pub test_clocks_enabled: bool,
    /// `LIFECYCLE_POLL_INTERVAL_MS`: how often an idle lifecycle runner looks for due
    /// renewals, expiries and test-clock advances (default 1000).
    pub lifecycle_poll_interval_ms: u64,
    /// `GDAP_DEFAULT_ROLES`: the directory roles (template ids, comma-separated) of the GDAP
    /// relationship `enableGDAPByDefault` creates (default: the catalog's roles marked
    /// `defaultForNewCustomers` in `data/directory-roles.json`).
    pub gdap_default_roles: Vec<String>,
    /// Per-tenant quotas (`MAX_USERS_PER_PARTNER`, `MAX_WEBHOOKS_PER_PARTNER`,
    /// `MAX_APPLICATIONS_PER_PARTNER`, `MAX_PRICE_LISTS_PER_PARTNER`,
    /// `MAX_SECURITY_GROUPS_PER_PARTNER`, `MAX_OPEN_CARTS_PER_CUSTOMER`; defaults in
    /// `domain::Quota::default_limit`).
    pub quotas: crate::domain::Quotas,
}

/// The default `WEBHOOK_RETRY_SCHEDULE` (seconds): 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
pub const DEFAULT_RETRY_SCHEDULE: [u64; 7] = [5, 300, 1800, 7200, 18_000, 36_000, 36_000];

fn retry_schedule() -> Result<Vec<u64>, String> {
    let Some(v) = var("WEBHOOK_RETRY_SCHEDULE") else {
        return Ok(DEFAULT_RETRY_SCHEDULE.to_vec());
    };
    let parsed: Option<Vec<u64>> = v
        .split(',')
        .map(|s| s.trim().parse::<u64>().ok().filter(|n| *n <= 604_800))
        .collect();
    parsed.filter(|p| !p.is_empty() && p.len() <= 50).ok_or_else(|| {
        format!("WEBHOOK_RETRY_SCHEDULE must be 1 to 50 comma-separated whole seconds up to 604800 (got {v:?})")
    })
}

/// One hashing thread per core.
fn default_hashing_threads() -> i64 {
    std::thread::available_parallelism().map_or(2, |n| n.get() as i64)
}

/// The default SQLite file.
pub const DEFAULT_DATABASE_URL: &str = "partner-center.db";

fn var(name: &str) -> Option<String> {
    env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn number(name: &str, default: i64, min: i64, max: i64) -> Result<i64, String> {
    match var(name) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| {
                format!("{name} must be a whole number from {min} to {max} (got {v:?})")
            }),
    }
}

fn cors_origins() -> Result<Vec<String>, String> {
    let Some(list) = var("CORS_ALLOWED_ORIGINS") else {
        return Ok(Vec::new());
    };
    list.split(',')
        .map(|o| o.trim().trim_end_matches('/').to_owned())
        .filter(|o| !o.is_empty())
        .map(|o| {
            if crate::cors::valid_origin(&o) {
                Ok(o)
            } else {
                Err(format!(
                    "CORS_ALLOWED_ORIGINS must list origins like https://app.example (comma-separated) or be * (got {o:?})"
                ))
            }
        })
        .collect()
}

impl Config {
    /// Reads the environment (after loading `.env` if present). `demo` allows a missing
    /// `JWT_SECRET` (a random one is generated). Errors name the variable at fault.
    pub fn from_env(demo: bool) -> Result<Config, String> {
        let _ = dotenvy::dotenv();
        let database_url = var("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        let bind_addr = var("BIND_ADDR").unwrap_or_else(|| "127.0.0.1:8080".to_owned());
        if bind_addr.parse::<std::net::SocketAddr>().is_err() {
            return Err(format!(
                "BIND_ADDR must be HOST:PORT with a numeric host, e.g. 127.0.0.1:8080 (got {bind_addr:?})"
            ));
        }
        let jwt_secret = match var("JWT_SECRET") {
            Some(s) if s.len() >= 32 => s,
            Some(_) => return Err("JWT_SECRET must be at least 32 bytes long".to_owned()),
            None if demo => demo_jwt_secret(),
            None => {
                return Err("JWT_SECRET is required outside demo mode (at least 32 bytes; e.g. `openssl rand -base64 48`)".to_owned());
            }
        };
        let public_base_url =
            var("PUBLIC_BASE_URL").unwrap_or_else(|| format!("http://{bind_addr}"));
        if !(public_base_url.starts_with("http://") || public_base_url.starts_with("https://")) {
            return Err(format!(
                "PUBLIC_BASE_URL must start with http:// or https:// (got {public_base_url:?})"
            ));
        }
        Ok(Config {
            database_url,
            bind_addr,
            jwt_secret,
            public_base_url: public_base_url.trim_end_matches('/').to_owned(),
            jwt_signing_key: match var("JWT_SIGNING_KEY_FILE") {
                None => None,
                Some(path) => Some(key_file("JWT_SIGNING_KEY_FILE", &path, true)?),
            },
            jwt_previous_keys: var("JWT_PREVIOUS_KEY_FILES")
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|path| key_file("JWT_PREVIOUS_KEY_FILES", path, false))
                .collect::<Result<_, _>>()?,
            token_ttl_seconds: number("TOKEN_TTL_SECONDS", 3600, 60, 86_400)?,
            refresh_token_ttl_days: number("REFRESH_TOKEN_TTL_DAYS", 30, 0, 365)?,
            invitation_ttl_days: number("INVITATION_TTL_DAYS", 14, 1, 365)?,
            token_rate_limit_per_minute: number("TOKEN_RATE_LIMIT_PER_MINUTE", 10, 1, 100_000)?,
            sign_in_address_limit_per_minute: number(
                "SIGN_IN_ADDRESS_LIMIT_PER_MINUTE",
                30,
                1,
                1_000_000,
            )?,
            sign_in_address_total_per_minute: number(
                "SIGN_IN_ADDRESS_TOTAL_PER_MINUTE",
                120,
                1,
                1_000_000,
            )?,
            trusted_proxies: crate::client_address::parse_trusted(
                &var("TRUSTED_PROXIES").unwrap_or_default(),
            )?,
            hashing_threads: number("HASHING_THREADS", default_hashing_threads(), 1, 64)? as usize,
            hashing_queue: number("HASHING_QUEUE", 32, 0, 10_000)? as usize,
            request_rate_limit_per_minute: number(
                "REQUEST_RATE_LIMIT_PER_MINUTE",
                600,
                0,
                1_000_000,
            )? as u32,
            demo,
            webhook_allow_private_targets: match var("WEBHOOK_ALLOW_PRIVATE_TARGETS").as_deref() {
                None => demo,
                Some("true" | "1") => true,
                Some("false" | "0") => false,
                Some(v) => {
                    return Err(format!(
                        "WEBHOOK_ALLOW_PRIVATE_TARGETS must be true or false (got {v:?})"
                    ));
                }
            },
            webhook_retry_schedule: retry_schedule()?,
            webhook_poll_interval_ms: number("WEBHOOK_POLL_INTERVAL_MS", 250, 10, 60_000)? as u64,
            webhook_max_queued_per_partner: number(
                "WEBHOOK_MAX_QUEUED_PER_PARTNER",
                10_000,
                1,
                10_000_000,
            )?,
            webhook_event_retention_days: number("WEBHOOK_EVENT_RETENTION_DAYS", 30, 1, 3650)?,
            audit_retention_days: match var("AUDIT_RETENTION_DAYS") {
                None => None,
                Some(_) => Some(number("AUDIT_RETENTION_DAYS", 0, 1, 36_500)?),
            },
            cors_allowed_origins: cors_origins()?,
            metrics_token: match var("METRICS_TOKEN") {
                Some(t) if t.len() < 16 => {
                    return Err("METRICS_TOKEN must be at least 16 bytes long".to_owned());
                }
                t => t,
            },
            cancellation_window_hours: number("CANCELLATION_WINDOW_HOURS", 168, 0, 720)?,
            test_clocks_enabled: flag("TEST_CLOCKS_ENABLED", demo)?,
            lifecycle_poll_interval_ms: number("LIFECYCLE_POLL_INTERVAL_MS", 1000, 10, 60_000)?
                as u64,
            gdap_default_roles: gdap_default_roles()?,
            quotas: quotas()?,
        })
    }

    /// A configuration for tests and tools: the given database, a fixed secret.
    pub fn for_database(database_url: &str) -> Config {
        Config {
            database_url: database_url.to_owned(),
            bind_addr: "127.0.0.1:8080".to_owned(),
            jwt_secret: "test-secret-that-is-at-least-32-bytes-long!".to_owned(),
            public_base_url: "http://localhost:8080".to_owned(),
            jwt_signing_key: None,
            jwt_previous_keys: Vec::new(),
            token_ttl_seconds: 3600,
            refresh_token_ttl_days: 30,
            invitation_ttl_days: 14,
            token_rate_limit_per_minute: 1000,
            sign_in_address_limit_per_minute: 100_000,
            sign_in_address_total_per_minute: 100_000,
            trusted_proxies: Vec::new(),
            hashing_threads: 2,
            hashing_queue: 64,
            request_rate_limit_per_minute: 0,
            demo: false,
            webhook_allow_private_targets: true,
            webhook_retry_schedule: DEFAULT_RETRY_SCHEDULE.to_vec(),
            webhook_poll_interval_ms: 250,
            webhook_max_queued_per_partner: 10_000,
            webhook_event_retention_days: 30,
            audit_retention_days: None,
            cors_allowed_origins: Vec::new(),
            metrics_token: None,
            cancellation_window_hours: 168,
            test_clocks_enabled: true,
            lifecycle_poll_interval_ms: 1000,
            gdap_default_roles: catalog_default_roles(),
            quotas: crate::domain::Quotas::default(),
        }
    }
}

/// Every quota's variable (1 to 1,000,000; its default when unset).
fn quotas() -> Result<crate::domain::Quotas, String> {
    crate::domain::Quota::ALL
        .into_iter()
        .try_fold(crate::domain::Quotas::default(), |q, quota| {
            let limit = number(quota.variable(), quota.default_limit(), 1, 1_000_000)?;
            Ok(q.with(quota, limit))
        })
}

/// A `true`/`false` (or `1`/`0`) variable, `default` when unset.
fn flag(name: &str, default: bool) -> Result<bool, String> {
    match var(name).as_deref() {
        None => Ok(default),
        Some("true" | "1") => Ok(true),
        Some("false" | "0") => Ok(false),
        Some(v) => Err(format!("{name} must be true or false (got {v:?})")),
    }
}

/// The catalog's default GDAP roles (`defaultForNewCustomers`).
fn catalog_default_roles() -> Vec<String> {
    crate::domain::gdap::directory_roles()
        .iter()
        .filter(|r| r.default_for_new_customers)
        .map(|r| r.id.clone())
        .collect()
}

/// `GDAP_DEFAULT_ROLES`, each a role template id of the catalog.
fn gdap_default_roles() -> Result<Vec<String>, String> {
    let Some(list) = var("GDAP_DEFAULT_ROLES") else {
        return Ok(catalog_default_roles());
    };
    let ids: Vec<String> = list
        .split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    if ids.is_empty() {
        return Err("GDAP_DEFAULT_ROLES must name at least one directory role".to_owned());
    }
    match ids
        .iter()
        .find(|id| crate::domain::gdap::directory_role(id).is_none())
    {
        Some(id) => Err(format!(
            "GDAP_DEFAULT_ROLES: {id:?} is not a directory role template id (GET /v1/directory-roles lists them)"
        )),
        None => Ok(ids),
    }
}

/// The key in the PEM file at `path` (named by `variable` in errors); a signing key must be
/// private.
fn key_file(
    variable: &str,
    path: &str,
    signing: bool,
) -> Result<crate::auth::jwt::KeyPair, String> {
    let pem = std::fs::read_to_string(path)
        .map_err(|e| format!("{variable}: cannot read {path}: {e}"))?;
    let key = crate::auth::jwt::KeyPair::from_pem(&pem)
        .map_err(|e| format!("{variable}: {path}: {e}"))?;
    if signing && !key.can_sign() {
        return Err(format!(
            "{variable}: {path} holds a public key; a signing key must be private"
        ));
    }
    Ok(key)
}

/// A random signing secret for a demo run (tokens die with the process): 32 random bytes,
/// base64url.
fn demo_jwt_secret() -> String {
    use base64::Engine;
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
