//! Subscription terms and lifecycle (docs/concepts.md#subscription-terms-and-lifecycle), walked on test clocks: seats returnable
//! within each purchase's window, cancellation only inside the window, instructions applied at
//! renewal, expiry → disabled → deleted, each step with its audit record and event; the
//! lifecycle runner applying each due transition exactly once, also with two runners and a
//! runner that dies holding a row.

use serde_json::{Value, json};

use crate::harness::*;
use partner_center::models::subscription::SubscriptionRow;
use partner_center::services::lifecycle;

/// Every subscription event type, for the test endpoint.
const EVENTS: &[&str] = &[
    "subscription-created",
    "subscription-updated",
    "subscription-renewal-upcoming",
    "subscription-renewed",
    "subscription-expired",
    "subscription-disabled",
    "subscription-deleted",
];

/// A provider's test clock at `start` with a customer on it and a webhook endpoint of the
/// provider subscribed to every subscription event; returns (clock id, customer id, webhook id).
async fn clocked_customer(app: &TestApp, ga: &str, start: &str) -> (String, String, String) {
    let clock = app
        .post(
            "/v1/test-clocks",
            ga,
            json!({ "name": "walk", "frozenTime": start }),
        )
        .await;
    clock.assert(201);
    assert_eq!(clock.body["status"], "ready");
    let clock_id = clock.str("id");
    let mut body = customer_body("Clocked Ltd", "clocked.example", None);
    body["testClockId"] = json!(clock_id);
    let customer = app.post("/v1/customers", ga, body).await;
    customer.assert(201);
    assert_eq!(customer.body["customer"]["testClockId"], json!(clock_id));
    let hook = app
        .post(
            "/v1/webhooks",
            ga,
            json!({ "url": "https://hooks.example/partner-center", "events": EVENTS }),
        )
        .await;
    hook.assert(201);
    (
        clock_id,
        customer.body["customer"]["id"].as_str().unwrap().to_owned(),
        hook.body["webhook"]["id"].as_str().unwrap().to_owned(),
    )
}

async fn advance(app: &TestApp, ga: &str, clock: &str, to: &str) {
    let res = app
        .post(
            &format!("/v1/test-clocks/{clock}/advance"),
            ga,
            json!({ "frozenTime": to }),
        )
        .await;
    res.assert(200);
    assert_eq!(res.body["status"], "ready", "{}", res.text);
    assert_eq!(
        res.body["frozenTime"]
            .as_str()
            .unwrap()
            .trim_end_matches('Z'),
        to.trim_end_matches('Z')
    );
}

/// PATCHes the subscription at `url` with its current ETag.
async fn patch(app: &TestApp, token: &str, url: &str, body: Value) -> Res {
    let etag = app.get(url, token).await.header("etag").unwrap();
    app.patch_if_match(url, token, &etag, body).await
}

/// The audit records of `operation` on subscription `id`.
async fn audits(app: &TestApp, token: &str, id: &str, operation: &str) -> Vec<Value> {
    let res = app
        .get(
            &format!(
                "/v1/audit-records?limit=100&resourceType=subscription&operationType={operation}"
            ),
            token,
        )
        .await;
    res.assert(200);
    res.items()
        .into_iter()
        .filter(|r| r["resourceId"] == id)
        .collect()
}

/// How many deliveries of `event` the endpoint has.
async fn delivered(app: &TestApp, token: &str, hook: &str, event: &str) -> usize {
    let res = app
        .get(&format!("/v1/webhooks/{hook}/deliveries?limit=200"), token)
        .await;
    res.assert(200);
    res.items()
        .iter()
        .filter(|d| d["eventType"] == event)
        .count()
}

#[actix_rt::test]
async fn a_subscription_lives_a_whole_term_renews_with_its_instructions_and_ends() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let (clock, customer, hook) = clocked_customer(&app, &ga, "2027-01-01T09:00:00Z").await;

    // Day 0: 10 seats, one year billed monthly.
    let mut line = line(M365_BUSINESS_BASIC, 10, "monthly", None);
    line["termDuration"] = json!("P1Y");
    let order = app
        .post(
            &format!("/v1/customers/{customer}/orders"),
            &ga,
            json!({ "lineItems": [line] }),
        )
        .await;
    order.assert(201);
    let sub = &order.body["subscriptions"][0];
    assert_eq!(sub["termDuration"], "P1Y");
    assert_eq!(sub["startDate"], "2027-01-01T09:00:00Z");
    assert_eq!(sub["commitmentEndDate"], "2027-12-31");
    assert_eq!(sub["cancellationAllowedUntil"], "2027-01-08T09:00:00Z");
    assert_eq!(sub["refundableQuantity"]["totalQuantity"], 10);
    assert_eq!(order.body["order"]["lineItems"][0]["termDuration"], "P1Y");
    let id = sub["id"].as_str().unwrap().to_owned();
    let url = format!("/v1/customers/{customer}/subscriptions/{id}");

    // Day 3: 5 more seats, returnable for their own 7 days.
    advance(&app, &ga, &clock, "2027-01-04T09:00:00Z").await;
    let added = patch(&app, &ga, &url, json!({ "quantity": 15 })).await;
    added.assert(200);
    assert_eq!(added.body["refundableQuantity"]["totalQuantity"], 15);
    assert_eq!(
        added.body["refundableQuantity"]["details"][1],
        json!({ "quantity": 5, "allowedUntil": "2027-01-11T09:00:00Z" })
    );

    // Day 9: the first 10 are no longer returnable, the 5 added are: 3 go.
    advance(&app, &ga, &clock, "2027-01-10T09:00:00Z").await;
    assert_eq!(
        app.get(&url, &ga).await.body["refundableQuantity"]["totalQuantity"],
        5
    );
    let removed = patch(&app, &ga, &url, json!({ "quantity": 12 })).await;
    removed.assert(200);
    assert_eq!(removed.body["quantity"], 12);
    assert_eq!(removed.body["refundableQuantity"]["totalQuantity"], 2);

    // Day 12: no seat is returnable any more; the answer says when fewer seats can apply.
    advance(&app, &ga, &clock, "2027-01-13T09:00:00Z").await;
    let refused = patch(&app, &ga, &url, json!({ "quantity": 7 })).await;
    refused.assert_problem(409, "seat_reduction_window_passed");
    assert_eq!(refused.body["possibleFrom"], "2028-01-01T00:00:00Z");
    assert_eq!(app.get(&url, &ga).await.body["quantity"], 12);

    // Schedule 8 seats for the next term; the answer keeps them, other PATCHes leave them.
    let next = json!({ "offerId": M365_BUSINESS_BASIC, "termDuration": "P1Y", "billingCycle": "monthly", "quantity": 8 });
    let scheduled = patch(
        &app,
        &ga,
        &url,
        json!({ "scheduledNextTermInstructions": next }),
    )
    .await;
    scheduled.assert(200);
    assert_eq!(scheduled.body["scheduledNextTermInstructions"], next);
    let renamed = patch(&app, &ga, &url, json!({ "friendlyName": "HQ" })).await;
    renamed.assert(200);
    assert_eq!(renamed.body["scheduledNextTermInstructions"], next);
    assert_eq!(renamed.body["autoRenew"], true);

    // Past the end: renewed with 8 seats and a new window; two notices came before.
    advance(&app, &ga, &clock, "2028-01-01T00:00:01Z").await;
    let renewed = app.get(&url, &ga).await;
    renewed.assert(200);
    assert_eq!(renewed.body["status"], "active");
    assert_eq!(renewed.body["quantity"], 8);
    assert_eq!(renewed.body["termStartDate"], "2028-01-01T00:00:00Z");
    assert_eq!(renewed.body["commitmentEndDate"], "2028-12-31");
    assert_eq!(
        renewed.body["cancellationAllowedUntil"],
        "2028-01-08T00:00:00Z"
    );
    assert_eq!(renewed.body["refundableQuantity"]["totalQuantity"], 8);
    assert_eq!(renewed.body["scheduledNextTermInstructions"], Value::Null);
    let renewal = audits(&app, &ga, &id, "renew_subscription").await;
    assert_eq!(renewal.len(), 1);
    assert_eq!(
        renewal[0]["actor"]["displayName"], "lifecycle runner",
        "{}",
        renewal[0]
    );
    assert_eq!(audits(&app, &ga, &id, "announce_renewal").await.len(), 2);
    assert_eq!(delivered(&app, &ga, &hook, "subscription-renewed").await, 1);
    assert_eq!(
        delivered(&app, &ga, &hook, "subscription-renewal-upcoming").await,
        2
    );

    // Auto-renew off: the term ends in expiry, then disabled after 30 days, deleted after 90.
    patch(&app, &ga, &url, json!({ "autoRenew": false }))
        .await
        .assert(200);
    advance(&app, &ga, &clock, "2029-01-01T00:00:01Z").await;
    assert_eq!(app.get(&url, &ga).await.body["status"], "expired");
    assert_eq!(audits(&app, &ga, &id, "expire_subscription").await.len(), 1);
    assert_eq!(delivered(&app, &ga, &hook, "subscription-expired").await, 1);
    patch(&app, &ga, &url, json!({ "autoRenew": true }))
        .await
        .assert_problem(409, "subscription_ended");

    advance(&app, &ga, &clock, "2029-01-31T00:00:01Z").await;
    assert_eq!(app.get(&url, &ga).await.body["status"], "disabled");
    assert_eq!(
        audits(&app, &ga, &id, "disable_subscription").await.len(),
        1
    );
    assert_eq!(
        delivered(&app, &ga, &hook, "subscription-disabled").await,
        1
    );

    advance(&app, &ga, &clock, "2029-05-01T00:00:01Z").await;
    assert_eq!(app.get(&url, &ga).await.body["status"], "deleted");
    assert_eq!(audits(&app, &ga, &id, "delete_subscription").await.len(), 1);
    assert_eq!(delivered(&app, &ga, &hook, "subscription-deleted").await, 1);

    // Nothing is left to run, and the clock cannot go back.
    advance(&app, &ga, &clock, "2031-01-01T00:00:00Z").await;
    assert_eq!(audits(&app, &ga, &id, "renew_subscription").await.len(), 1);
    app.post(
        &format!("/v1/test-clocks/{clock}/advance"),
        &ga,
        json!({ "frozenTime": "2030-01-01T00:00:00Z" }),
    )
    .await
    .assert_problem(422, "test_clock_not_forward");
    app.delete(&format!("/v1/test-clocks/{clock}"), &ga)
        .await
        .assert_problem(409, "test_clock_in_use");
}

#[actix_rt::test]
async fn cancel_inside_the_window_deletes_and_one_second_after_it_is_refused() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let (clock, customer, hook) = clocked_customer(&app, &ga, "2027-03-01T12:00:00Z").await;
    let order = app
        .post(
            &format!("/v1/customers/{customer}/orders"),
            &ga,
            json!({ "lineItems": [
                line(EXCHANGE_ONLINE_PLAN_1, 3, "monthly", None),
                line(EXCHANGE_ONLINE_PLAN_2, 3, "monthly", None),
            ] }),
        )
        .await;
    order.assert(201);
    let url = |i: usize| {
        format!(
            "/v1/customers/{customer}/subscriptions/{}",
            order.body["subscriptions"][i]["id"].as_str().unwrap()
        )
    };
    assert_eq!(
        order.body["subscriptions"][0]["cancellationAllowedUntil"],
        "2027-03-08T12:00:00Z"
    );

    advance(&app, &ga, &clock, "2027-03-08T11:59:59Z").await;
    let cancelled = patch(&app, &ga, &url(0), json!({ "status": "deleted" })).await;
    cancelled.assert(200);
    assert_eq!(cancelled.body["status"], "deleted");
    assert_eq!(cancelled.body["refundableQuantity"]["totalQuantity"], 0);
    let id0 = order.body["subscriptions"][0]["id"].as_str().unwrap();
    assert_eq!(audits(&app, &ga, id0, "cancel_subscription").await.len(), 1);
    assert_eq!(delivered(&app, &ga, &hook, "subscription-deleted").await, 1);

    advance(&app, &ga, &clock, "2027-03-08T12:00:01Z").await;
    let refused = patch(&app, &ga, &url(1), json!({ "status": "deleted" })).await;
    refused.assert_problem(409, "cancellation_window_passed");
    assert_eq!(refused.body["possibleFrom"], "2027-04-01T00:00:00Z");
    assert_eq!(app.get(&url(1), &ga).await.body["status"], "active");
}

#[actix_rt::test]
async fn orders_name_terms_and_a_pair_the_offer_does_not_sell_is_refused() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let customer = app.customer_id("adatum.example").await;
    let orders = format!("/v1/customers/{customer}/orders");
    let mut three_years = line(M365_E3, 5, "annual", None);
    three_years["termDuration"] = json!("P3Y");
    let placed = app
        .post(&orders, &ga, json!({ "lineItems": [three_years] }))
        .await;
    placed.assert(201);
    let sub = &placed.body["subscriptions"][0];
    assert_eq!(sub["termDuration"], "P3Y");
    // The three-year term has its own price in the catalog.
    assert_eq!(
        placed.body["order"]["lineItems"][0]["unitPrice"]["amountMinor"],
        3420
    );
    // Without a term, a monthly line buys the month-long term.
    let monthly = app
        .post(
            &orders,
            &ga,
            json!({ "lineItems": [line(M365_BUSINESS_STANDARD, 1, "monthly", None)] }),
        )
        .await;
    monthly.assert(201);
    assert_eq!(monthly.body["subscriptions"][0]["termDuration"], "P1M");

    let mut unsold = line(M365_BUSINESS_BASIC, 1, "monthly", None);
    unsold["termDuration"] = json!("P3Y");
    let refused = app
        .post(&orders, &ga, json!({ "lineItems": [unsold] }))
        .await;
    refused.assert_problem(422, "term_not_offered");
    assert_eq!(
        refused.body["errors"][0]["field"], "lineItems[0].termDuration",
        "{}",
        refused.text
    );
}

#[actix_rt::test]
async fn test_clocks_answer_404_where_they_are_not_enabled() {
    let app = TestApp::with_config(|c| c.test_clocks_enabled = false).await;
    let ga = app.token(PROVIDER_GA).await;
    app.post(
        "/v1/test-clocks",
        &ga,
        json!({ "name": "x", "frozenTime": "2027-01-01T00:00:00Z" }),
    )
    .await
    .assert_problem(404, "not_found");
    app.get("/v1/test-clocks", &ga)
        .await
        .assert_problem(404, "not_found");
    let mut body = customer_body("No Clock", "noclock.example", None);
    body["testClockId"] = json!("019a8f3c-0000-7000-8000-000000000000");
    app.post("/v1/customers", &ga, body)
        .await
        .assert_problem(422, "unknown_test_clock");
}

/// `n` subscriptions on real time whose month-long term ended on 2026-02-01; returns `n`.
async fn due_subscriptions(app: &TestApp, n: usize) -> usize {
    let customer = app.customer_id("adatum.example").await;
    let provider = app.tenant_id(PROVIDER_GA).await;
    let series = if app.is_postgres() {
        format!("SELECT i FROM generate_series(1, {n}) AS i")
    } else {
        format!(
            "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) SELECT i FROM s"
        )
    };
    let id = if app.is_postgres() {
        "'00000000-0000-7000-b000-' || lpad(to_hex(i), 12, '0')"
    } else {
        "printf('00000000-0000-7000-b000-%012x', i)"
    };
    app.execute_sql(&format!(
        "INSERT INTO subscriptions (id, customer_id, offer_id, order_id, quantity, status, \
           billing_cycle, auto_renew, friendly_name, billing_partner_id, partner_id_on_record, \
           support_contact_partner_id, version, created_at, updated_at, term_duration, \
           term_start_date, next_transition, next_transition_at) \
         SELECT {id}, '{customer}', '{EXCHANGE_ONLINE_PLAN_1}', NULL, 2, 'active', 'monthly', \
           TRUE, 'Due', '{provider}', NULL, '{provider}', 1, '2026-01-01 00:00:00', \
           '2026-01-01 00:00:00', 'P1M', '2026-01-01 00:00:00', 'term_end', \
           '2026-02-01 00:00:00' FROM ({series}) AS n"
    ))
    .await;
    n
}

/// How many of the due subscriptions were renewed, and how many renewals were recorded.
async fn renewed(app: &TestApp) -> (i64, i64) {
    app.with_conn(|conn| {
        use diesel::prelude::*;
        use partner_center::schema::{audit_records as a, subscriptions as s};
        let subs: i64 = s::table
            .filter(s::friendly_name.eq("Due"))
            .filter(
                s::term_start_date.eq(chrono::NaiveDate::from_ymd_opt(2026, 2, 1)
                    .unwrap()
                    .and_hms_opt(0, 0, 0)
                    .unwrap()),
            )
            .count()
            .get_result(conn)
            .unwrap();
        let records: i64 = a::table
            .filter(a::operation_type.eq("renew_subscription"))
            .count()
            .get_result(conn)
            .unwrap();
        (subs, records)
    })
    .await
}

#[actix_rt::test]
async fn two_runners_renew_every_due_subscription_exactly_once_even_when_one_dies() {
    let app = TestApp::new().await;
    let n = due_subscriptions(&app, 5_000).await as i64;
    // The runners' time: just after the terms ended (a later time would also run the next
    // term's notices and renewals, catching up).
    let now = chrono::NaiveDate::from_ymd_opt(2026, 2, 1)
        .unwrap()
        .and_hms_opt(0, 0, 1)
        .unwrap();
    let pool = app.state.pool.clone();

    // A runner that claims a row and dies before committing (PostgreSQL: its row lock makes
    // the others skip the row until the transaction is gone).
    let dying = if app.is_postgres() {
        let pool = pool.clone();
        let (claimed_tx, claimed_rx) = std::sync::mpsc::channel();
        let (die_tx, die_rx) = std::sync::mpsc::channel::<()>();
        let handle = std::thread::spawn(move || {
            use diesel::connection::Connection;
            let mut conn = pool.get().unwrap();
            let _ = conn.transaction::<(), diesel::result::Error, _>(|conn| {
                let row = SubscriptionRow::claim_due(conn, None, now)?.expect("a due row");
                claimed_tx.send(row.id.to_string()).unwrap();
                die_rx.recv().unwrap();
                Err(diesel::result::Error::RollbackTransaction)
            });
        });
        Some((claimed_rx.recv().unwrap(), die_tx, handle))
    } else {
        None
    };

    let (a, b) = futures_util::join!(
        lifecycle::run_due(&pool, now, 10_000, 168),
        lifecycle::run_due(&pool, now, 10_000, 168)
    );
    let (a, b) = (a.unwrap() as i64, b.unwrap() as i64);
    let held = i64::from(dying.is_some());
    assert_eq!(a + b, n - held, "the two runners applied {a} and {b}");
    assert_eq!(renewed(&app).await, (n - held, n - held));

    if let Some((row, die, handle)) = dying {
        die.send(()).unwrap();
        handle.join().unwrap();
        // The other runner finishes the dead one's row, once.
        assert_eq!(
            lifecycle::run_due(&pool, now, 10_000, 168).await.unwrap(),
            1
        );
        let start = app
            .with_conn(move |conn| {
                use diesel::prelude::*;
                use partner_center::schema::subscriptions as s;
                s::table
                    .filter(s::id.eq(row))
                    .select(s::term_start_date)
                    .first::<chrono::NaiveDateTime>(conn)
                    .unwrap()
            })
            .await;
        assert_eq!(start.to_string(), "2026-02-01 00:00:00");
    }
    assert_eq!(renewed(&app).await, (n, n));
    assert_eq!(
        lifecycle::run_due(&pool, now, 10_000, 168).await.unwrap(),
        0
    );
}

#[actix_rt::test]
async fn a_long_advance_answers_202_and_the_runner_finishes_it() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let (clock, customer, _) = clocked_customer(&app, &ga, "2027-01-01T09:00:00Z").await;
    let order = app
        .post(
            &format!("/v1/customers/{customer}/orders"),
            &ga,
            json!({ "lineItems": [line(EXCHANGE_ONLINE_PLAN_1, 2, "monthly", None)] }),
        )
        .await;
    order.assert(201);
    let url = format!(
        "/v1/customers/{customer}/subscriptions/{}",
        order.body["subscriptions"][0]["id"].as_str().unwrap()
    );
    // Fifty years of monthly terms: a notice and a renewal a month, more than one answer runs.
    let res = app
        .post(
            &format!("/v1/test-clocks/{clock}/advance"),
            &ga,
            json!({ "frozenTime": "2077-01-01T00:00:00Z" }),
        )
        .await;
    res.assert(202);
    assert_eq!(res.body["status"], "advancing");
    assert_eq!(res.body["advanceTo"], "2077-01-01T00:00:00Z");
    app.post(
        &format!("/v1/test-clocks/{clock}/advance"),
        &ga,
        json!({ "frozenTime": "2078-01-01T00:00:00Z" }),
    )
    .await
    .assert_problem(409, "test_clock_advancing");
    let mut rounds = 0;
    while app.get(&format!("/v1/test-clocks/{clock}"), &ga).await.body["status"] != "ready" {
        partner_center::workers::lifecycle::round(&app.state.pool, 168).await;
        rounds += 1;
        assert!(rounds < 100, "the runner did not finish the advance");
    }
    let clock = app.get(&format!("/v1/test-clocks/{clock}"), &ga).await;
    assert_eq!(clock.body["frozenTime"], "2077-01-01T00:00:00Z");
    let sub = app.get(&url, &ga).await;
    assert_eq!(sub.body["termStartDate"], "2077-01-01T00:00:00Z");
    assert_eq!(sub.body["status"], "active");
}
