//! Billing periods and statements (docs/billing.md): a period closes at 00:00 UTC on the 1st (on
//! a test clock, when the clock passes it) and issues one statement per issuer, bill-to party
//! and currency, numbered gap-free per issuer, never changed or issued again, exactly once with
//! two runners; each reader sees only its own statements at its own price level; lines as JSON
//! pages or streamed CSV with stable columns.

use actix_web::http::{Method, header};
use serde_json::{Value, json};

use crate::harness::*;
use partner_center::demo::{PARTNERED_ID, PROVIDER_ID};
use partner_center::domain::statement::Period;
use partner_center::services::{lifecycle, statements};

/// A clock at 2027-01-15 10:00 with, on it, a direct customer of Contoso and a customer of
/// Northwind IT that Northwind prices with its own 20% list; each buys 10 seats of Business
/// Basic (P1Y, monthly). Returns the world.
struct World {
    clock: String,
    direct: String,
    direct_admin: String,
    resold: String,
    resold_admin: String,
    resold_sub: String,
}

async fn world(app: &TestApp, ga: &str) -> World {
    world_at(app, ga, "2027-01-15T10:00:00Z").await
}

/// [`world`] with the clock starting at `start`.
async fn world_at(app: &TestApp, ga: &str, start: &str) -> World {
    let clock = app
        .post(
            "/v1/test-clocks",
            ga,
            json!({ "name": "statements", "frozenTime": start }),
        )
        .await;
    clock.assert(201);
    let clock = clock.str("id");
    let mut customers = Vec::new();
    for (name, domain, reseller) in [
        ("Direct Ltd", "direct.example", None),
        ("Resold Ltd", "resold.example", Some(PARTNERED_ID)),
    ] {
        let mut body = customer_body(name, domain, reseller);
        body["testClockId"] = json!(clock);
        let res = app.post("/v1/customers", ga, body).await;
        res.assert(201);
        let admin = app
            .activate(
                res.body["adminUser"]["userName"].as_str().unwrap(),
                res.body["adminUser"]["temporaryPassword"].as_str().unwrap(),
            )
            .await;
        customers.push((
            res.body["customer"]["id"].as_str().unwrap().to_owned(),
            admin,
        ));
    }
    let (resold, resold_admin) = customers.pop().unwrap();
    let (direct, direct_admin) = customers.pop().unwrap();
    let northwind = app.token(PARTNERED_GA).await;
    let list = app
        .post(
            "/v1/price-lists",
            &northwind,
            json!({ "name": "Resold", "currency": "USD", "defaultMarkupPercent": "20" }),
        )
        .await;
    list.assert(201);
    app.put(
        &format!("/v1/customers/{resold}/price-list"),
        &northwind,
        json!({ "priceListId": list.str("id") }),
    )
    .await
    .assert(200);
    let order = |customer: String, reseller: Option<&'static str>| {
        let mut l = line(M365_BUSINESS_BASIC, 10, "monthly", reseller);
        l["termDuration"] = json!("P1Y");
        async move {
            let res = app
                .post(
                    &format!("/v1/customers/{customer}/orders"),
                    ga,
                    json!({ "lineItems": [l] }),
                )
                .await;
            res.assert(201);
            res.body["subscriptions"][0]["id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    order(direct.clone(), None).await;
    let resold_sub = order(resold.clone(), Some(PARTNERED_ID)).await;
    World {
        clock,
        direct,
        direct_admin,
        resold,
        resold_admin,
        resold_sub,
    }
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
}

async fn statements_of(app: &TestApp, token: &str, path: &str) -> Vec<Value> {
    let res = app.get(path, token).await;
    res.assert(200);
    res.items()
}

fn minor(v: &Value) -> i64 {
    v["amountMinor"].as_i64().unwrap()
}

/// (issuer kind, bill-to kind, bill-to id, number, total) of each statement, sorted.
fn summary(items: &[Value]) -> Vec<(String, String, String, i64, i64)> {
    let mut out: Vec<_> = items
        .iter()
        .map(|s| {
            (
                s["issuerKind"].as_str().unwrap().to_owned(),
                s["billToKind"].as_str().unwrap().to_owned(),
                s["billToId"].as_str().unwrap().to_owned(),
                s["number"].as_i64().unwrap(),
                minor(&s["total"]),
            )
        })
        .collect();
    out.sort();
    out
}

#[actix_web::test]
async fn clock_passing_the_first_closes_the_period_and_issues_one_statement_per_party() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let w = world(&app, &ga).await;
    advance(&app, &ga, &w.clock, "2027-01-31T23:59:59Z").await;
    assert!(
        statements_of(&app, &ga, "/v1/statements?period=2027-01")
            .await
            .is_empty(),
        "January is still open"
    );
    advance(&app, &ga, &w.clock, "2027-02-01T00:00:00Z").await;
    let issued = statements_of(&app, &ga, "/v1/statements?period=2027-01").await;
    // The provider bills Northwind at its 12% price (706 a seat) and its direct customer at
    // cost (630 a seat); Northwind bills its customer at its 20% price (847 a seat).
    assert_eq!(
        summary(&issued),
        vec![
            (
                "indirect_provider".into(),
                "customer".into(),
                w.direct.clone(),
                if w.direct.as_str() < PARTNERED_ID {
                    1
                } else {
                    2
                },
                6300
            ),
            (
                "indirect_provider".into(),
                "reseller".into(),
                PARTNERED_ID.to_owned(),
                if w.direct.as_str() < PARTNERED_ID {
                    2
                } else {
                    1
                },
                7060
            ),
        ]
    );
    let s = &issued[0];
    assert_eq!(s["period"], "2027-01");
    assert_eq!(s["periodStart"], "2027-01-01");
    assert_eq!(s["periodEnd"], "2027-01-31");
    assert_eq!(s["testClockId"], json!(w.clock));
    assert_eq!(s["lineCount"], 1);
    assert_eq!(s["currency"], "USD");
    assert_eq!(
        s["issuedAt"].as_str().unwrap().trim_end_matches('Z'),
        "2027-02-01T00:00:00"
    );
    let northwind = app.token(PARTNERED_GA).await;
    let issued_by_northwind = statements_of(
        &app,
        &northwind,
        &format!("/v1/statements?issuerId={PARTNERED_ID}"),
    )
    .await;
    assert_eq!(
        summary(&issued_by_northwind),
        vec![(
            "indirect_reseller".into(),
            "customer".into(),
            w.resold.clone(),
            1,
            8470
        )]
    );
    // A statement reads back by id with the same content.
    let one = app
        .get(
            &format!("/v1/statements/{}", s["id"].as_str().unwrap()),
            &ga,
        )
        .await;
    one.assert(200);
    assert_eq!(&one.body, s);
    let _ = w.resold_sub;
}

#[actix_web::test]
async fn numbers_are_gap_free_per_issuer_and_an_issued_statement_never_changes() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let w = world(&app, &ga).await;
    advance(&app, &ga, &w.clock, "2027-02-03T00:00:00Z").await;
    let january = statements_of(&app, &ga, "/v1/statements?period=2027-01").await;
    // Five seats more in February, then March 1st.
    let url = format!("/v1/customers/{}/subscriptions/{}", w.resold, w.resold_sub);
    let etag = app.get(&url, &ga).await.header("etag").unwrap();
    app.patch_if_match(&url, &ga, &etag, json!({ "quantity": 15 }))
        .await
        .assert(200);
    advance(&app, &ga, &w.clock, "2027-03-01T00:00:00Z").await;
    assert_eq!(
        statements_of(&app, &ga, "/v1/statements?period=2027-01").await,
        january,
        "January's statements never change"
    );
    let all = statements_of(&app, &ga, "/v1/statements?limit=500").await;
    let mut numbers: Vec<i64> = all.iter().map(|s| s["number"].as_i64().unwrap()).collect();
    numbers.sort_unstable();
    let expected: Vec<i64> = (1..=all.len() as i64).collect();
    assert_eq!(numbers, expected, "gap-free from 1");
    // Closing January again, or all that is due again, issues nothing.
    let clock = partner_center::domain::Id::from(w.clock.parse::<uuid::Uuid>().unwrap());
    let (again, due) = app
        .with_conn(move |conn| {
            let again = statements::close_period(
                conn,
                Some(&clock),
                "2027-01".parse::<Period>().unwrap(),
                chrono::Utc::now().naive_utc(),
            )
            .unwrap();
            let due =
                statements::close_due(conn, Some(&clock), "2027-03-01T00:00:00".parse().unwrap())
                    .unwrap();
            (again, due)
        })
        .await;
    assert_eq!((again, due), (None, 0));
    assert_eq!(
        statements_of(&app, &ga, "/v1/statements?limit=500")
            .await
            .len(),
        all.len()
    );
    // A line can no longer be written into the closed period.
    let customer = w.direct.clone();
    let sub = w.resold_sub.clone();
    let refused = app
        .with_conn(move |conn| {
            use diesel::RunQueryDsl;
            diesel::sql_query(format!(
                "INSERT INTO billing_line_items (id, provider_id, customer_id, reseller_id, \
                   subscription_id, offer_id, term_duration, billing_cycle, charge_type, quantity, \
                   charge_start_date, charge_end_date, days, cycle_days, billing_period, currency, \
                   cost_unit_minor, cost_total_minor, customer_unit_minor, customer_total_minor, \
                   created_at) \
                 SELECT '00000000-0000-7000-8000-000000000001', provider_id, '{customer}', NULL, \
                   id, offer_id, term_duration, billing_cycle, 'new', 1, '2027-01-20', '2027-02-14', \
                   1, 31, '2027-01', 'USD', 1, 1, 1, 1, '2027-01-20 00:00:00' \
                 FROM billing_line_items WHERE subscription_id = '{sub}' LIMIT 1"
            ))
            .execute(conn)
        })
        .await;
    let refused = refused.expect_err("a line into a closed period");
    assert!(refused.to_string().contains("closed"), "{refused}");
}

#[actix_web::test]
async fn two_runners_close_a_period_exactly_once() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let adatum = app.customer_id("adatum.example").await;
    // Real-time lines of this month: a direct customer and a Northwind customer.
    app.order(
        &ga,
        &adatum,
        vec![line(M365_BUSINESS_BASIC, 2, "monthly", None)],
    )
    .await;
    app.order(
        &ga,
        partner_center::demo::TAILSPIN_ID,
        vec![line(M365_BUSINESS_BASIC, 3, "monthly", Some(PARTNERED_ID))],
    )
    .await;
    let month = Period::of(chrono::Utc::now().naive_utc());
    let now = month.end() + chrono::Duration::seconds(1);
    let pool = app.state.pool.clone();
    let (a, b) = futures_util::join!(
        lifecycle::run_due(&pool, now, 10_000, 168),
        lifecycle::run_due(&pool, now, 10_000, 168)
    );
    a.unwrap();
    b.unwrap();
    let issued = statements_of(
        &app,
        &ga,
        &format!("/v1/statements?period={month}&limit=500"),
    )
    .await;
    assert_eq!(
        summary(&issued)
            .into_iter()
            .map(|(i, k, id, n, t)| (i, k, id, n > 0, t))
            .collect::<Vec<_>>(),
        {
            let mut want = vec![
                (
                    "indirect_provider".to_owned(),
                    "customer".to_owned(),
                    adatum.clone(),
                    true,
                    1200,
                ),
                (
                    "indirect_provider".to_owned(),
                    "reseller".to_owned(),
                    PARTNERED_ID.to_owned(),
                    true,
                    2016,
                ),
            ];
            want.sort();
            want
        }
    );
    let mut numbers: Vec<i64> = issued
        .iter()
        .map(|s| s["number"].as_i64().unwrap())
        .collect();
    numbers.sort_unstable();
    assert_eq!(numbers, vec![1, 2]);
    // A third run finds nothing to do.
    lifecycle::run_due(&pool, now, 10_000, 168).await.unwrap();
    assert_eq!(
        statements_of(&app, &ga, "/v1/statements?limit=500")
            .await
            .len(),
        2
    );
    // One audit record per statement for the provider, one for the reseller that is billed.
    let records = app
        .get("/v1/audit-records?operationType=issue_statement", &ga)
        .await;
    records.assert(200);
    let records = records.items();
    assert_eq!(records.len(), 2);
    for s in &issued {
        let r = records
            .iter()
            .find(|r| r["resourceId"] == s["id"])
            .unwrap_or_else(|| panic!("no record of {s}"));
        assert_eq!(r["resourceType"], "statement");
        assert_eq!(r["partnerId"], PROVIDER_ID);
        assert_eq!(r["actor"]["type"], "system", "{r}");
        let v = &r["newValue"];
        assert_eq!(
            (&v["number"], &v["period"], &v["billToKind"], &v["billToId"]),
            (&s["number"], &s["period"], &s["billToKind"], &s["billToId"]),
            "{r}"
        );
        assert_eq!(v["total"], s["total"], "{r}");
        assert_eq!(v["lineCount"], s["lineCount"], "{r}");
        let customer = if s["billToKind"] == "customer" {
            s["billToId"].clone()
        } else {
            Value::Null
        };
        assert_eq!(r["customerId"], customer, "{r}");
    }
    // The reseller billed has its own record of the statement to it.
    let northwind = app.token(PARTNERED_GA).await;
    let theirs = app
        .get(
            "/v1/audit-records?operationType=issue_statement",
            &northwind,
        )
        .await;
    theirs.assert(200);
    let to_northwind = issued
        .iter()
        .find(|s| s["billToKind"] == "reseller")
        .unwrap();
    let theirs = theirs.items();
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0]["resourceId"], to_northwind["id"]);
    assert_eq!(theirs[0]["partnerId"], PARTNERED_ID);
}

#[actix_web::test]
async fn closes_of_two_scopes_for_one_issuer_number_one_after_the_other() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let month = Period::of(chrono::Utc::now().naive_utc());
    // A clock in this month (a direct and a resold customer on it) and a real-time customer
    // with a line of this month: the provider issues statements in both scopes.
    let start = format!(
        "{}Z",
        (month.start() + chrono::Duration::hours(1)).format("%FT%T")
    );
    let w = world_at(&app, &ga, &start).await;
    let adatum = app.customer_id("adatum.example").await;
    app.order(
        &ga,
        &adatum,
        vec![line(M365_BUSINESS_BASIC, 2, "monthly", None)],
    )
    .await;
    let closed_at = month.end() + chrono::Duration::seconds(1);
    let clock: partner_center::domain::Id = w.clock.parse().unwrap();
    // Both closes at once, each on its own connection.
    let (real_time, on_clock) = futures_util::join!(
        app.with_conn(move |c| statements::close_period(c, None, month, closed_at)),
        app.with_conn(move |c| statements::close_period(c, Some(&clock), month, closed_at))
    );
    assert_eq!(real_time.unwrap(), Some(1));
    assert_eq!(on_clock.unwrap(), Some(3));
    let mine: Vec<Value> = statements_of(&app, &ga, "/v1/statements?limit=500")
        .await
        .into_iter()
        .filter(|s| s["issuerId"] == PROVIDER_ID)
        .collect();
    let mut numbers: Vec<i64> = mine.iter().map(|s| s["number"].as_i64().unwrap()).collect();
    numbers.sort_unstable();
    assert_eq!(
        numbers,
        (1..=mine.len() as i64).collect::<Vec<_>>(),
        "gap-free across both scopes"
    );
    assert_eq!(mine.len(), 3);
}

#[actix_web::test]
async fn each_reader_sees_only_its_statements_at_its_price_level() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let w = world(&app, &ga).await;
    advance(&app, &ga, &w.clock, "2027-02-01T00:00:00Z").await;
    let provider = statements_of(&app, &ga, "/v1/statements").await;
    let to_northwind = provider
        .iter()
        .find(|s| s["billToKind"] == "reseller")
        .unwrap()
        .clone();
    let to_direct = provider
        .iter()
        .find(|s| s["billToKind"] == "customer")
        .unwrap()
        .clone();

    // Northwind: the statement to it and the one it issued; never the provider's to others.
    let northwind = app.token(PARTNERED_GA).await;
    let seen = statements_of(&app, &northwind, "/v1/statements").await;
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(seen.contains(&to_northwind));
    let own = seen.iter().find(|s| s["issuerId"] == PARTNERED_ID).unwrap();
    app.get(
        &format!("/v1/statements/{}", to_direct["id"].as_str().unwrap()),
        &northwind,
    )
    .await
    .assert_problem(404, "not_found");
    // Its lines are at its own price, never cost.
    let lines = app
        .get(
            &format!(
                "/v1/statements/{}/lines",
                to_northwind["id"].as_str().unwrap()
            ),
            &northwind,
        )
        .await;
    lines.assert(200);
    let items = lines.items();
    assert_eq!(items.len(), 1);
    assert_eq!(minor(&items[0]["unitPrice"]), 706);
    assert_eq!(minor(&items[0]["total"]), 7060);
    assert!(!lines.text.contains("cost"), "{}", lines.text);

    // Another reseller sees nothing; a helpdesk agent may not read billing.
    let fabrikam = app.token(RESELLER_GA).await;
    assert!(
        statements_of(&app, &fabrikam, "/v1/statements")
            .await
            .is_empty()
    );
    app.get(
        &format!("/v1/statements/{}", to_northwind["id"].as_str().unwrap()),
        &fabrikam,
    )
    .await
    .assert_problem(404, "not_found");
    let ha = app.token(PROVIDER_HA).await;
    app.get("/v1/statements", &ha)
        .await
        .assert_problem(403, "insufficient_role");

    // Each customer's admin: its own statement only, at customer prices.
    let mine = statements_of(&app, &w.resold_admin, "/v1/my/statements").await;
    assert_eq!(mine, vec![own.clone()]);
    let lines = app
        .get(
            &format!("/v1/my/statements/{}/lines", own["id"].as_str().unwrap()),
            &w.resold_admin,
        )
        .await;
    lines.assert(200);
    assert_eq!(minor(&lines.items()[0]["unitPrice"]), 847);
    // Never the reseller price (706) or cost: the amounts, not the text (an id may hold "706").
    for l in lines.items() {
        assert_ne!(minor(&l["unitPrice"]), 706, "never the reseller price: {l}");
        assert!(
            l.get("resellerPrice").is_none() && l.get("cost").is_none(),
            "{l}"
        );
    }
    app.get(
        &format!("/v1/my/statements/{}", to_direct["id"].as_str().unwrap()),
        &w.resold_admin,
    )
    .await
    .assert_problem(404, "not_found");
    app.get(
        &format!("/v1/my/statements/{}", to_northwind["id"].as_str().unwrap()),
        &w.resold_admin,
    )
    .await
    .assert_problem(404, "not_found");
    let direct = statements_of(&app, &w.direct_admin, "/v1/my/statements").await;
    assert_eq!(direct, vec![to_direct]);
    // Partner paths are for partners, customer paths for customer admins.
    app.get("/v1/statements", &w.direct_admin).await.assert(403);
    app.get("/v1/my/statements", &ga).await.assert(403);
}

#[actix_web::test]
async fn statement_lines_page_as_json_and_stream_as_csv_with_stable_columns() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let w = world(&app, &ga).await;
    let url = format!("/v1/customers/{}/subscriptions/{}", w.resold, w.resold_sub);
    advance(&app, &ga, &w.clock, "2027-01-20T00:00:00Z").await;
    let etag = app.get(&url, &ga).await.header("etag").unwrap();
    app.patch_if_match(&url, &ga, &etag, json!({ "quantity": 12 }))
        .await
        .assert(200);
    advance(&app, &ga, &w.clock, "2027-02-01T00:00:00Z").await;
    let to_northwind = statements_of(&app, &ga, "/v1/statements")
        .await
        .into_iter()
        .find(|s| s["billToKind"] == "reseller")
        .unwrap();
    assert_eq!(to_northwind["lineCount"], 2);
    let id = to_northwind["id"].as_str().unwrap();
    let page = app
        .get(&format!("/v1/statements/{id}/lines?limit=1"), &ga)
        .await;
    page.assert(200);
    assert_eq!(page.items().len(), 1);
    assert!(page.body["nextCursor"].is_string());
    let csv = |token: &str, path: String| {
        request(Method::GET, &path, Some(token), None).insert_header((header::ACCEPT, "text/csv"))
    };
    let res = app
        .send(csv(&ga, format!("/v1/statements/{id}/lines?limit=1")))
        .await;
    res.assert(200);
    assert!(res.header("content-type").unwrap().starts_with("text/csv"));
    let rows: Vec<&str> = res.text.lines().collect();
    assert_eq!(
        rows[0],
        "statementId,statementNumber,period,id,createdAt,chargeType,customerId,resellerId,\
         subscriptionId,offerId,termDuration,billingCycle,quantity,chargeStartDate,\
         chargeEndDate,days,cycleDays,currency,unitPriceMinor,totalMinor"
    );
    assert_eq!(rows.len(), 3, "{}", res.text);
    let total: i64 = rows[1..]
        .iter()
        .map(|r| r.rsplit(',').next().unwrap().parse::<i64>().unwrap())
        .sum();
    assert_eq!(
        total,
        minor(&to_northwind["total"]),
        "the total is the sum of its lines"
    );
    let first: Vec<&str> = rows[1].split(',').collect();
    assert_eq!(first[0], id);
    assert_eq!(first[2], "2027-01");
    assert_eq!(first[5], "new");
    assert_eq!(first[18], "706");
    // The customer admin downloads its statement the same way.
    let own = statements_of(&app, &w.resold_admin, "/v1/my/statements").await;
    let res = app
        .send(csv(
            &w.resold_admin,
            format!("/v1/my/statements/{}/lines", own[0]["id"].as_str().unwrap()),
        ))
        .await;
    res.assert(200);
    let rows: Vec<&str> = res.text.lines().collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[1].split(',').nth(18), Some("847"));
    app.get("/v1/statements?period=2027-13", &ga)
        .await
        .assert_problem(422, "validation_failed");
}

#[actix_web::test]
async fn demo_billing_month_shows_its_statements_to_each_party() {
    let app = TestApp::new().await;
    app.with_conn(|conn| partner_center::demo::seed_billing(conn, 168).expect("billing demo"))
        .await;
    // Seeding again changes nothing.
    app.with_conn(|conn| partner_center::demo::seed_billing(conn, 168).expect("billing demo"))
        .await;
    let ga = app.token(PROVIDER_GA).await;
    let provider = statements_of(&app, &ga, "/v1/statements?period=2027-01").await;
    assert_eq!(provider.len(), 2);
    assert_eq!(provider[0]["id"], partner_center::demo::STATEMENT_ID);
    assert_eq!(provider[0]["billToId"], PARTNERED_ID);
    assert_eq!(provider[0]["lineCount"], 2);
    assert_eq!(provider[1]["billToId"], partner_center::demo::WOODGROVE_ID);
    assert_eq!(minor(&provider[1]["total"]), 25 * 630);
    let northwind = app.token(PARTNERED_GA).await;
    assert_eq!(
        statements_of(&app, &northwind, "/v1/statements")
            .await
            .len(),
        2
    );
    let proseware = app.token("admin@proseware.example").await;
    let own = statements_of(&app, &proseware, "/v1/my/statements").await;
    assert_eq!(own.len(), 1);
    assert_eq!(own[0]["id"], partner_center::demo::CUSTOMER_STATEMENT_ID);
    assert!(minor(&own[0]["total"]) > minor(&provider[0]["total"]));
}

#[actix_web::test]
async fn real_time_and_a_clock_each_close_only_their_own_lines() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    // The clock's lines are in October 2026, before the real month: the runner must still
    // leave them to the clock.
    let w = world_at(&app, &ga, "2026-10-05T10:00:00Z").await;
    let adatum = app.customer_id("adatum.example").await;
    app.order(
        &ga,
        &adatum,
        vec![line(M365_BUSINESS_BASIC, 2, "monthly", None)],
    )
    .await;
    let month = Period::of(chrono::Utc::now().naive_utc());
    let pool = app.state.pool.clone();
    lifecycle::run_due(
        &pool,
        month.end() + chrono::Duration::seconds(1),
        10_000,
        168,
    )
    .await
    .unwrap();
    let issued = statements_of(&app, &ga, "/v1/statements?limit=500").await;
    assert_eq!(issued.len(), 1, "{issued:?}");
    assert_eq!(issued[0]["billToId"], json!(adatum));
    assert_eq!(issued[0]["testClockId"], Value::Null);
    assert_eq!(issued[0]["period"], json!(month.to_string()));
    // The clock closes October when it passes 1 November, whatever real time did.
    advance(&app, &ga, &w.clock, "2026-11-01T00:00:00Z").await;
    let clocked = statements_of(&app, &ga, "/v1/statements?period=2026-10").await;
    assert_eq!(clocked.len(), 2, "{clocked:?}");
    for s in &clocked {
        assert_eq!(s["testClockId"], json!(w.clock));
        assert_ne!(s["billToId"], json!(adatum));
    }
    // `testClockId` narrows the list to the clock's statements.
    let on_clock = statements_of(
        &app,
        &ga,
        &format!("/v1/statements?testClockId={}&limit=500", w.clock),
    )
    .await;
    assert_eq!(summary(&on_clock), summary(&clocked));
    let mine = statements_of(&app, &w.resold_admin, "/v1/my/statements").await;
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["period"], "2026-10");
}

/// A webhook of `token`'s partner subscribed to `events`; returns its id.
async fn hook(app: &TestApp, token: &str, events: &[&str]) -> String {
    let res = app
        .post(
            "/v1/webhooks",
            token,
            json!({ "url": "https://hooks.example/statements", "events": events }),
        )
        .await;
    res.assert(201);
    res.body["webhook"]["id"].as_str().unwrap().to_owned()
}

#[actix_web::test]
async fn a_close_of_many_statements_sends_statement_issued_to_each_subscriber_only() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let northwind = app.token(PARTNERED_GA).await;
    // Contoso listens to statements; Northwind (billed too) only to renewals.
    let contoso_hook = hook(&app, &ga, &["statement-issued"]).await;
    let northwind_hook = hook(&app, &northwind, &["subscription-renewed"]).await;
    let clock = app
        .post(
            "/v1/test-clocks",
            &ga,
            json!({ "name": "many", "frozenTime": "2027-01-15T10:00:00Z" }),
        )
        .await;
    clock.assert(201);
    let clock = clock.str("id");
    // 70 direct customers and one of Northwind's: 71 statements, more than a change prepares
    // event by event before it asks who listens.
    for i in 0..71 {
        let reseller = (i == 70).then_some(PARTNERED_ID);
        let domain = format!("many-{i}.example");
        let mut body = customer_body(&domain, &domain, reseller);
        body["testClockId"] = json!(clock);
        let res = app.post("/v1/customers", &ga, body).await;
        res.assert(201);
        app.order(
            &ga,
            res.body["customer"]["id"].as_str().unwrap(),
            vec![line(M365_BUSINESS_BASIC, 1, "monthly", reseller)],
        )
        .await;
    }
    advance(&app, &ga, &clock, "2027-02-01T01:00:00Z").await;
    let issued = statements_of(&app, &ga, "/v1/statements?period=2027-01&limit=500").await;
    assert_eq!(issued.len(), 71);
    let to_contoso = delivered_types(&app, &ga, &contoso_hook).await;
    assert_eq!(
        to_contoso
            .iter()
            .filter(|t| *t == "statement-issued")
            .count(),
        71,
        "{to_contoso:?}"
    );
    assert!(
        delivered_types(&app, &northwind, &northwind_hook)
            .await
            .iter()
            .all(|t| t != "statement-issued")
    );
}
