//! The retention worker: a loop inside `serve` that purges what is past its retention
//! (`services::retention`) every [`INTERVAL`], in batches of [`retention::BATCH`] rows per
//! statement on one pooled connection at a time, going on at once while batches come back full
//! (requests queued on the runtime go first between batches). Replicas may purge at the same
//! time: their statements skip each other's rows.

use std::sync::Arc;
use std::time::Duration;

use crate::config::Config;
use crate::db::{self, Pool};
use crate::models::now;
use crate::services::retention::{self, Policy, Purged};

/// Time between sweeps.
pub const INTERVAL: Duration = Duration::from_secs(10 * 60);

/// The retention `config` sets.
pub fn policy(config: &Config) -> Policy {
    Policy {
        webhook_event_days: config.webhook_event_retention_days,
        audit_days: config.audit_retention_days,
    }
}

/// One sweep: batches until nothing more is due. Returns what it removed.
pub async fn sweep(pool: &Pool, policy: Policy) -> Purged {
    let mut total = Purged::default();
    loop {
        let batch = db::run(pool, move |conn| {
            retention::purge_batch(conn, now(), &policy, retention::BATCH)
        })
        .await;
        match batch {
            Ok(purged) => {
                for (table, n) in purged.tables() {
                    crate::metrics::count_purged(table, n);
                }
                total.add(purged);
                if !purged.full(retention::BATCH) {
                    return total;
                }
                tokio::task::yield_now().await;
            }
            Err(e) => {
                log::warn!("retention: {e}");
                return total;
            }
        }
    }
}

/// Starts the worker on the current actix runtime: a sweep at start, then every [`INTERVAL`].
pub fn spawn(pool: Pool, config: Arc<Config>) {
    let policy = policy(&config);
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(INTERVAL);
        loop {
            tick.tick().await;
            let purged = sweep(&pool, policy).await;
            if purged.total() > 0 {
                log::info!(
                    "retention: purged {} webhook events, {} deliveries, {} attempts, {} audit records, {} sign-in throttle rows",
                    purged.webhook_events,
                    purged.webhook_deliveries,
                    purged.webhook_attempts,
                    purged.audit_records,
                    purged.sign_in_throttle
                );
            }
        }
    });
}
