//! Bounded webhook queues: a delivery of an event to an endpoint exists once (replay and
//! redeliver re-arm it), one open replay per endpoint, a per-partner limit on what replays and
//! redeliveries queue, and fair claiming — one partner's backlog does not delay another's
//! events.

use std::time::{Duration, Instant};

use partner_center::webhooks::delivery;
use serde_json::json;

use super::webhooks::{Received, Receiver, deliver, register};
use crate::harness::*;

/// How many delivery rows the database holds.
async fn delivery_rows(app: &TestApp) -> i64 {
    app.with_conn(|conn| {
        use diesel::prelude::*;
        use partner_center::schema::webhook_deliveries as d;
        d::table.count().get_result::<i64>(conn).expect("count")
    })
    .await
}

/// `POST /v1/webhooks/{id}/replay` of `[from, to)`.
async fn replay(
    app: &TestApp,
    token: &str,
    webhook_id: &str,
    from: chrono::DateTime<chrono::Utc>,
    to: chrono::DateTime<chrono::Utc>,
) -> Res {
    app.post(
        &format!("/v1/webhooks/{webhook_id}/replay"),
        token,
        json!({ "from": from, "to": to }),
    )
    .await
}

fn later() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now() + chrono::Duration::seconds(60)
}

#[actix_web::test]
async fn replay_while_the_previous_replay_is_queued_is_refused() {
    let app = TestApp::new().await;
    let receiver = Receiver::start(200).await;
    let token = app.token(PROVIDER_GA).await;
    let (webhook_id, _) = register(&app, &token, &receiver.url, &["customer-created"]).await;
    let from = chrono::Utc::now() - chrono::Duration::seconds(1);
    app.create_customer(&token, "Once Ltd", "once.example", None)
        .await;
    app.create_customer(&token, "Twice Ltd", "twice.example", None)
        .await;
    assert_eq!(deliver(&app).await, 2);

    let first = replay(&app, &token, &webhook_id, from, later()).await;
    first.assert(202);
    assert_eq!(first.body["queued"], 2);
    let second = replay(&app, &token, &webhook_id, from, later()).await;
    second.assert_problem(409, "replay_in_progress");
    assert!(
        second.str("detail").contains("first attempt"),
        "{}",
        second.text
    );

    // Once each replayed delivery had its attempt, the endpoint takes another replay.
    assert_eq!(deliver(&app).await, 2);
    replay(&app, &token, &webhook_id, from, later())
        .await
        .assert(202);
}

#[actix_web::test]
async fn replay_and_redeliver_rearm_the_one_delivery_of_an_event() {
    let app = TestApp::new().await;
    let receiver = Receiver::start(200).await;
    let token = app.token(PROVIDER_GA).await;
    let (webhook_id, _) = register(&app, &token, &receiver.url, &["customer-created"]).await;
    let from = chrono::Utc::now() - chrono::Duration::seconds(1);
    app.create_customer(&token, "Merged Ltd", "merged.example", None)
        .await;
    assert_eq!(deliver(&app).await, 1);
    let rows = delivery_rows(&app).await;

    replay(&app, &token, &webhook_id, from, later())
        .await
        .assert(202);
    assert_eq!(deliver(&app).await, 1);
    let log = app
        .get(&format!("/v1/webhooks/{webhook_id}/deliveries"), &token)
        .await;
    let delivery_id = log.items()[0]["id"].as_str().unwrap().to_owned();
    app.post(
        &format!("/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver"),
        &token,
        json!({}),
    )
    .await
    .assert(202);
    assert_eq!(deliver(&app).await, 1);
    replay(&app, &token, &webhook_id, from, later())
        .await
        .assert(202);
    assert_eq!(deliver(&app).await, 1);

    assert_eq!(delivery_rows(&app).await, rows, "no delivery was added");
    let items = app
        .get(&format!("/v1/webhooks/{webhook_id}/deliveries"), &token)
        .await
        .items();
    assert_eq!(items.len(), 1, "one delivery of the event: {items:?}");
    assert_eq!(items[0]["id"], delivery_id.as_str());
    assert_eq!(items[0]["status"], "delivered");
    assert_eq!(
        items[0]["attemptLog"].as_array().unwrap().len(),
        4,
        "its attempt log goes on"
    );
    let ids: Vec<String> = receiver.received().iter().map(Received::id).collect();
    assert_eq!(ids.len(), 4);
    assert!(ids.iter().all(|i| *i == ids[0]), "{ids:?}");
}

#[actix_web::test]
async fn replay_or_redeliver_past_the_partner_queue_limit_is_refused_with_429() {
    let app = TestApp::with_config(|c| c.webhook_max_queued_per_partner = 3).await;
    let receiver = Receiver::start(200).await;
    let token = app.token(PROVIDER_GA).await;
    let (webhook_id, _) = register(&app, &token, &receiver.url, &["customer-created"]).await;
    let from = chrono::Utc::now() - chrono::Duration::seconds(1);
    for i in 0..2 {
        app.create_customer(
            &token,
            &format!("Early {i}"),
            &format!("early{i}.example"),
            None,
        )
        .await;
    }
    let mid = chrono::Utc::now();
    for i in 0..2 {
        app.create_customer(
            &token,
            &format!("Late {i}"),
            &format!("late{i}.example"),
            None,
        )
        .await;
    }
    // New events are queued whatever the limit.
    assert_eq!(deliver(&app).await, 4);

    let full = replay(&app, &token, &webhook_id, from, later()).await;
    full.assert_problem(429, "delivery_queue_full");
    assert!(full.header("retry-after").is_some(), "{:?}", full.text);
    assert_eq!(full.body["max"], 3);
    assert_eq!(full.body["queued"], 0);
    assert_eq!(full.body["adding"], 4);
    assert!(full.str("detail").contains("limit of 3"), "{}", full.text);

    // A window that fits is queued; then a redelivery may fill the last place, not pass it.
    replay(&app, &token, &webhook_id, from, mid)
        .await
        .assert(202);
    let items = app
        .get(
            &format!("/v1/webhooks/{webhook_id}/deliveries?status=delivered"),
            &token,
        )
        .await
        .items();
    assert_eq!(items.len(), 2, "the late ones: {items:?}");
    let redeliver = |d: &serde_json::Value| {
        format!(
            "/v1/webhooks/{webhook_id}/deliveries/{}/redeliver",
            d["id"].as_str().unwrap()
        )
    };
    app.post(&redeliver(&items[0]), &token, json!({}))
        .await
        .assert(202);
    app.post(&redeliver(&items[1]), &token, json!({}))
        .await
        .assert_problem(429, "delivery_queue_full");
    // Re-arming what is already queued adds nothing, so it passes at the limit.
    app.post(&redeliver(&items[0]), &token, json!({}))
        .await
        .assert(202);
}

/// Inserts `n` events of `partner` with a pending delivery each to `webhook_id`, all long due.
async fn backlog(app: &TestApp, partner: &str, webhook_id: &str, n: u32) {
    let (events, deliveries) = if app.is_postgres() {
        (
            "'msg_bulk' || n",
            "'00000000-0000-7000-8000-' || right('000000000000' || n, 12)",
        )
    } else {
        (
            "'msg_bulk' || n",
            "'00000000-0000-7000-8000-' || substr('000000000000' || n, -12)",
        )
    };
    let numbers =
        format!("WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < {n})");
    app.execute_sql(&format!(
        "{numbers} INSERT INTO webhook_events (id, partner_id, event_type, change_key, payload, \
         created_at) SELECT {events}, '{partner}', 'customer-created', 'bulk/' || n, \
         '{{\"type\":\"customer-created\"}}', '2026-01-01 00:00:00' FROM g;
         {numbers} INSERT INTO webhook_deliveries (id, webhook_id, event_id, event_type, status, \
         attempts, next_attempt_at, created_at, updated_at) SELECT {deliveries}, '{webhook_id}', \
         {events}, 'customer-created', 'pending', 0, '2000-01-01 00:00:00', \
         '2026-01-01 00:00:00', '2026-01-01 00:00:00' FROM g;"
    ))
    .await;
}

/// Waits until `receiver` got `n` requests, at most `limit`; returns whether it did.
async fn wait_for(receiver: &Receiver, n: usize, limit: Duration) -> bool {
    let started = Instant::now();
    while receiver.received().len() < n {
        if started.elapsed() > limit {
            return false;
        }
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }
    true
}

#[actix_web::test]
async fn partner_backlog_of_50000_deliveries_does_not_delay_another_partners_event() {
    let app = TestApp::new().await;
    // The backlogged partner's endpoint answers after 5 s: every send of it holds a slot.
    let slow = Receiver::start_slow(200, 5_000).await;
    let fresh = Receiver::start(200).await;
    let provider = app.token(PROVIDER_GA).await;
    let (backlogged, _) = register(&app, &provider, &slow.url, &["customer-created"]).await;
    let partner = app.tenant_id(PROVIDER_GA).await;
    backlog(&app, &partner, &backlogged, 50_000).await;
    let northwind = app.token(PARTNERED_GA).await;
    let (other, _) = register(&app, &northwind, &fresh.url, &["customer-created"]).await;

    delivery::spawn(app.state.pool.clone(), app.state.config.clone());
    assert!(
        wait_for(
            &slow,
            delivery::PER_PARTNER_IN_FLIGHT,
            Duration::from_secs(30)
        )
        .await,
        "the worker sends the backlog"
    );

    let started = Instant::now();
    app.post(&format!("/v1/webhooks/{other}/test"), &northwind, json!({}))
        .await
        .assert(202);
    let received = wait_for(&fresh, 1, Duration::from_secs(10)).await;
    let took = started.elapsed();
    assert!(received, "the other partner's event never arrived");
    assert!(
        took < Duration::from_secs(2),
        "the other partner's event took {took:?} behind a backlog of 50,000"
    );
}
