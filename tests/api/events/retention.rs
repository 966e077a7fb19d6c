//! Retention: webhook events (with their deliveries and attempts) are purged once older than
//! `WEBHOOK_EVENT_RETENTION_DAYS` and nothing is still being delivered for them, and a replay
//! reaches back exactly as far; audit records are kept forever unless `AUDIT_RETENTION_DAYS`
//! is set; sign-in throttle rows go once their window has passed. Purges run in bounded
//! batches with an explicit `now`, so nothing here waits.

use chrono::{Duration, NaiveDateTime};
use partner_center::services::retention::{self, Policy, Purged};

use serde_json::json;

use super::webhooks::{Receiver, deliver, register};
use crate::harness::*;

const METRICS_TOKEN: &str = "metrics-token-for-retention-tests";

const THIRTY_DAYS: Policy = Policy {
    webhook_event_days: 30,
    audit_days: None,
};

/// Rows in `table`.
async fn rows(app: &TestApp, table: &'static str) -> i64 {
    app.with_conn(move |conn| {
        use diesel::prelude::*;
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        diesel::sql_query(format!("SELECT count(*) AS n FROM {table}"))
            .get_result::<N>(conn)
            .expect("count")
            .n
    })
    .await
}

/// Purges as of `at` in batches of `limit` rows.
async fn purge(app: &TestApp, at: NaiveDateTime, policy: Policy, limit: i64) -> Purged {
    app.with_conn(move |conn| retention::purge(conn, at, &policy, limit).expect("purge"))
        .await
}

fn now() -> NaiveDateTime {
    partner_center::models::now()
}

#[actix_web::test]
async fn purge_past_the_retention_removes_delivered_events_and_keeps_those_still_being_delivered() {
    let app = TestApp::new().await;
    let ok = Receiver::start(200).await;
    let failing = Receiver::start(500).await;
    let token = app.token(PROVIDER_GA).await;
    register(&app, &token, &ok.url, &["customer-created"]).await;
    let (failing_id, _) = register(&app, &token, &failing.url, &["customer-updated"]).await;
    let created = app
        .create_customer(&token, "Kept Ltd", "kept.example", None)
        .await;
    let customer = created["customer"]["id"].as_str().unwrap().to_owned();
    app.patch(
        &format!("/v1/customers/{customer}"),
        &token,
        json!({ "companyName": "Kept Limited" }),
    )
    .await
    .assert(200);
    assert_eq!(deliver(&app).await, 2);
    // One event delivered; the other's delivery failed once and waits for its retry.
    assert_eq!(rows(&app, "webhook_events").await, 2);
    assert_eq!(rows(&app, "webhook_attempts").await, 2);
    let t = now();

    let early = purge(&app, t + Duration::days(29), THIRTY_DAYS, 1).await;
    assert_eq!(
        (
            early.webhook_events,
            early.webhook_deliveries,
            early.webhook_attempts
        ),
        (0, 0, 0),
        "within the retention"
    );

    let purged = purge(&app, t + Duration::days(31), THIRTY_DAYS, 1).await;
    assert_eq!(
        (
            purged.webhook_events,
            purged.webhook_deliveries,
            purged.webhook_attempts
        ),
        (1, 1, 1),
        "the delivered event, in batches of one row: {purged:?}"
    );
    assert_eq!(rows(&app, "webhook_events").await, 1);
    assert_eq!(rows(&app, "webhook_deliveries").await, 1);

    // Once its endpoint is disabled nothing waits for the other one either.
    app.patch(
        &format!("/v1/webhooks/{failing_id}"),
        &token,
        json!({ "enabled": false }),
    )
    .await
    .assert(200);
    let rest = purge(&app, t + Duration::days(31), THIRTY_DAYS, 1_000).await;
    assert_eq!(rest.webhook_events, 1, "{rest:?}");
    for table in ["webhook_events", "webhook_deliveries", "webhook_attempts"] {
        assert_eq!(rows(&app, table).await, 0, "{table}");
    }
}

#[actix_web::test]
async fn replay_reaches_back_as_far_as_events_are_kept_and_the_worker_purges_older_ones() {
    let app = TestApp::with_config(|c| c.metrics_token = Some(METRICS_TOKEN.to_owned())).await;
    let receiver = Receiver::start(200).await;
    let token = app.token(PROVIDER_GA).await;
    let (webhook_id, _) = register(&app, &token, &receiver.url, &["customer-created"]).await;
    app.create_customer(&token, "Recent Ltd", "recent.example", None)
        .await;
    app.create_customer(&token, "Ancient Ltd", "ancient.example", None)
        .await;
    assert_eq!(deliver(&app).await, 2);
    let items = app
        .get(&format!("/v1/webhooks/{webhook_id}/deliveries"), &token)
        .await
        .items();
    let at = |days: i64| {
        (now() - Duration::days(days))
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    };
    let (recent, ancient) = (
        items[0]["eventId"].as_str().unwrap().to_owned(),
        items[1]["eventId"].as_str().unwrap().to_owned(),
    );
    app.execute_sql(&format!(
        "UPDATE webhook_events SET created_at = '{}' WHERE id = '{recent}';
         UPDATE webhook_events SET created_at = '{}' WHERE id = '{ancient}';",
        at(29),
        at(31)
    ))
    .await;

    // A window from 60 days ago serves the 30 days events are kept.
    let replay = app
        .post(
            &format!("/v1/webhooks/{webhook_id}/replay"),
            &token,
            json!({
                "from": chrono::Utc::now() - Duration::days(60),
                "to": chrono::Utc::now() + Duration::seconds(60),
            }),
        )
        .await;
    replay.assert(202);
    assert_eq!(replay.body["eventIds"], json!([recent]), "{}", replay.text);
    assert_eq!(deliver(&app).await, 1);

    let policy = partner_center::workers::retention::policy(&app.state.config);
    assert_eq!(policy.webhook_event_days, 30, "the default");
    let swept = partner_center::workers::retention::sweep(&app.state.pool, policy).await;
    assert_eq!(swept.webhook_events, 1, "{swept:?}");
    assert_eq!(swept.webhook_deliveries, 1, "{swept:?}");
    let left = app
        .get(&format!("/v1/webhooks/{webhook_id}/deliveries"), &token)
        .await
        .items();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["eventId"], recent.as_str());
    let metrics = app
        .send(
            actix_web::test::TestRequest::get()
                .uri("/metrics")
                .insert_header(("authorization", format!("Bearer {METRICS_TOKEN}"))),
        )
        .await;
    metrics.assert(200);
    assert!(
        metrics
            .text
            .contains("retention_purged_rows_total{table=\"webhook_events\"}"),
        "the sweep is counted"
    );
}

#[actix_web::test]
async fn audit_records_are_kept_forever_unless_a_retention_is_set() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_GA).await;
    app.create_customer(&token, "Audited Ltd", "audited.example", None)
        .await;
    let before = rows(&app, "audit_records").await;
    assert!(before > 0);
    let t = now();

    let forever = purge(&app, t + Duration::days(3650), THIRTY_DAYS, 1_000).await;
    assert_eq!(forever.audit_records, 0);
    assert_eq!(rows(&app, "audit_records").await, before);

    let ninety = Policy {
        audit_days: Some(90),
        ..THIRTY_DAYS
    };
    let early = purge(&app, t + Duration::days(89), ninety, 1_000).await;
    assert_eq!(early.audit_records, 0);
    let purged = purge(&app, t + Duration::days(91), ninety, 7).await;
    assert_eq!(purged.audit_records as i64, before, "in batches of 7");
    assert_eq!(rows(&app, "audit_records").await, 0);
}

#[actix_web::test]
async fn sign_in_throttle_rows_expire_once_their_window_has_passed() {
    let app = TestApp::new().await;
    app.sign_in(PROVIDER_GA, "not the password")
        .await
        .assert(400);
    let kept = rows(&app, "sign_in_throttle").await;
    assert!(kept > 0, "a failed sign-in is counted");

    let t = now();
    let early = purge(&app, t - Duration::minutes(1), THIRTY_DAYS, 1_000).await;
    assert_eq!(early.sign_in_throttle, 0, "its window is still running");
    let purged = purge(&app, t + Duration::minutes(2), THIRTY_DAYS, 1).await;
    assert_eq!(purged.sign_in_throttle as i64, kept);
    assert_eq!(rows(&app, "sign_in_throttle").await, 0);
}
