//! The lifecycle runner (docs/concepts.md#subscription-terms-and-lifecycle): a loop inside `serve` that applies every subscription
//! transition due on real time (`services::lifecycle::run_due`, which then closes the billing
//! periods that ended, `services::statements::close_due`) and finishes the test-clock
//! advances that did not finish within their request. It works in bounded batches on one
//! pooled connection at a time, so requests always find the rest of the pool; replicas share
//! the work without doing any of it twice (rows are claimed with `FOR UPDATE SKIP LOCKED`).
//! When a batch comes back full it goes on at once; otherwise it sleeps
//! `LIFECYCLE_POLL_INTERVAL_MS`.

use std::sync::Arc;
use std::time::Duration;

use crate::config::Config;
use crate::db::{self, Pool};
use crate::models::now;
use crate::models::test_clock::TestClockRow;
use crate::services::lifecycle;

/// Transitions per batch.
pub const BATCH: usize = 100;
/// Clocks advanced per round.
const CLOCKS: i64 = 4;

/// One round: a batch of due transitions, then a batch of each advancing clock. Returns whether
/// there may be more work right away.
pub async fn round(pool: &Pool, window_hours: i64) -> bool {
    let mut more = false;
    match lifecycle::run_due(pool, now(), BATCH, window_hours).await {
        Ok(n) => {
            if n > 0 {
                log::info!("lifecycle runner: applied {n} due transition(s)");
            }
            more |= n == BATCH;
        }
        Err(e) => log::warn!("lifecycle runner: {e}"),
    }
    let clocks = db::run(pool, move |conn| {
        let mut unfinished = false;
        for id in TestClockRow::advancing(conn, CLOCKS)? {
            let done = lifecycle::advance_clock(conn, &id, BATCH, window_hours)?;
            log::info!(
                "lifecycle runner: test clock {id} {}",
                if done { "ready" } else { "advancing" }
            );
            unfinished |= !done;
        }
        Ok(unfinished)
    })
    .await;
    match clocks {
        Ok(unfinished) => more || unfinished,
        Err(e) => {
            log::warn!("lifecycle runner (test clocks): {e}");
            more
        }
    }
}

/// Starts the runner on the current actix runtime.
pub fn spawn(pool: Pool, config: Arc<Config>) {
    actix_web::rt::spawn(async move {
        let idle = Duration::from_millis(config.lifecycle_poll_interval_ms);
        loop {
            if round(&pool, config.cancellation_window_hours).await {
                // Let requests queued on the runtime go first.
                tokio::task::yield_now().await;
            } else {
                actix_web::rt::time::sleep(idle).await;
            }
        }
    });
}
