//! Billing periods (`GET /v1/billing/periods`): newest first, the scope's current month `open`,
//! an ended month not closed yet `closing`, closed months with when they closed; real time or
//! one of the caller's test clocks; keyset pages that never skip or repeat a period.

use serde_json::{Value, json};

use crate::harness::*;
use partner_center::domain::statement::Period;
use partner_center::services::statements;

/// `(period, status, closedAt)` of each item.
fn shape(items: &[Value]) -> Vec<(String, String, Value)> {
    items
        .iter()
        .map(|p| {
            (
                p["period"].as_str().unwrap().to_owned(),
                p["status"].as_str().unwrap().to_owned(),
                p["closedAt"].clone(),
            )
        })
        .collect()
}

/// Every item of a list walked one page of `limit` at a time through `nextCursor`.
async fn walk(app: &TestApp, token: &str, path: &str, limit: usize) -> Vec<Value> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut url = format!("{path}{sep}limit={limit}");
    let mut items = Vec::new();
    loop {
        let res = app.get(&url, token).await;
        res.assert(200);
        let page = res.items();
        assert!(page.len() <= limit, "{}", res.text);
        items.extend(page);
        match res.body["nextCursor"].as_str() {
            Some(c) => url = format!("{path}{sep}limit={limit}&cursor={c}"),
            None => return items,
        }
    }
}

/// A new test clock of the caller at 2027-01-15 10:00 UTC; returns its id.
async fn new_clock(app: &TestApp, token: &str) -> String {
    let clock = app
        .post(
            "/v1/test-clocks",
            token,
            json!({ "name": "periods", "frozenTime": "2027-01-15T10:00:00Z" }),
        )
        .await;
    clock.assert(201);
    clock.str("id")
}

#[actix_web::test]
async fn a_clocks_months_open_then_close_as_it_advances_and_page_newest_first() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let clock = new_clock(&app, &ga).await;
    let mut body = customer_body("Periods Ltd", "periods.example", None);
    body["testClockId"] = json!(clock);
    let customer = app.post("/v1/customers", &ga, body).await;
    customer.assert(201);
    app.order(
        &ga,
        customer.body["customer"]["id"].as_str().unwrap(),
        vec![line(M365_BUSINESS_BASIC, 2, "monthly", None)],
    )
    .await;
    let path = format!("/v1/billing/periods?testClockId={clock}");

    let res = app.get(&path, &ga).await;
    res.assert(200);
    let items = res.items();
    assert_eq!(
        shape(&items),
        vec![("2027-01".into(), "open".into(), Value::Null)]
    );
    assert_eq!(items[0]["startsAt"], "2027-01-01T00:00:00Z");
    assert_eq!(items[0]["endsAt"], "2027-02-01T00:00:00Z");
    assert_eq!(items[0]["testClockId"], clock.as_str());

    let res = app
        .post(
            &format!("/v1/test-clocks/{clock}/advance"),
            &ga,
            json!({ "frozenTime": "2027-03-10T00:00:00Z" }),
        )
        .await;
    res.assert(200);
    let expected = vec![
        ("2027-03".to_owned(), "open".to_owned(), Value::Null),
        (
            "2027-02".into(),
            "closed".into(),
            json!("2027-03-01T00:00:00Z"),
        ),
        (
            "2027-01".into(),
            "closed".into(),
            json!("2027-02-01T00:00:00Z"),
        ),
    ];
    let res = app.get(&path, &ga).await;
    res.assert(200);
    assert_eq!(shape(&res.items()), expected);
    // One period per page: the same three, in the same order, none skipped or repeated.
    assert_eq!(shape(&walk(&app, &ga, &path, 1).await), expected);
    assert_eq!(shape(&walk(&app, &ga, &path, 2).await), expected);
    // The closed January has the statement the advance issued.
    let january = app.get("/v1/statements?period=2027-01", &ga).await;
    january.assert(200);
    assert_eq!(january.items().len(), 1, "{}", january.text);
    // A cursor belongs to its list: a period cursor on an id-ordered list is refused, and so is
    // an id cursor here.
    let periods = app.get(&format!("{path}&limit=1"), &ga).await;
    periods.assert(200);
    let page = app.get("/v1/statements?limit=1", &ga).await;
    page.assert(200);
    for (list, cursor) in [
        ("/v1/statements", periods.body["nextCursor"].as_str()),
        (path.as_str(), page.body["nextCursor"].as_str()),
    ] {
        let cursor = cursor.expect("a next page");
        let sep = if list.contains('?') { '&' } else { '?' };
        app.get(&format!("{list}{sep}cursor={cursor}"), &ga)
            .await
            .assert_problem(400, "invalid_cursor");
    }
}

#[actix_web::test]
async fn real_time_shows_an_ended_month_as_closing_until_the_runner_closes_it() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let adatum = app.customer_id("adatum.example").await;
    app.order(
        &ga,
        &adatum,
        vec![line(M365_BUSINESS_BASIC, 1, "monthly", None)],
    )
    .await;
    let current = Period::of(chrono::Utc::now().naive_utc());
    let (last, before_last) = (current.previous(), current.previous().previous());
    // Real time closed the month before last (as a runner would have), not last month yet.
    let closed_at = before_last.end();
    partner_center::db::run(&app.state.pool, move |conn| {
        statements::close_period(conn, None, before_last, closed_at)
    })
    .await
    .unwrap();

    let items = walk(&app, &ga, "/v1/billing/periods", 2).await;
    assert_eq!(
        shape(&items),
        vec![
            (current.to_string(), "open".into(), Value::Null),
            (last.to_string(), "closing".into(), Value::Null),
            (
                before_last.to_string(),
                "closed".into(),
                json!(
                    closed_at
                        .and_utc()
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                )
            ),
        ]
    );
    assert!(items.iter().all(|p| p["testClockId"].is_null()));
}

#[actix_web::test]
async fn only_partners_read_periods_and_only_of_their_own_clocks() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let clock = new_clock(&app, &ga).await;
    // A reseller has no test clock: the provider's is not found for it.
    let northwind = app.token(PARTNERED_GA).await;
    app.get("/v1/billing/periods", &northwind).await.assert(200);
    let res = app
        .get(
            &format!("/v1/billing/periods?testClockId={clock}"),
            &northwind,
        )
        .await;
    res.assert(404);
    app.get("/v1/billing/periods?testClockId=nope", &ga)
        .await
        .assert_problem(422, "validation_failed");
    app.get("/v1/billing/periods?period=2027-01", &ga)
        .await
        .assert(422);
    let helpdesk = app.token(PROVIDER_HA).await;
    app.get("/v1/billing/periods", &helpdesk).await.assert(403);
}
