//! The worked examples of the billing documentation (docs/billing.md), line by line to the
//! minor unit, with the arithmetic written beside each assertion: a year billed monthly with
//! seat changes and a cancellation inside the window; the cycle fees of the months after the
//! first; an upgrade's refund and charge; a reseller on a 12% list selling to a customer on its
//! own 20% list, with the margin at each level; and who may read which lines.

use actix_web::http::{Method, header};
use serde_json::{Value, json};

use super::line_items::{advance, clocked_customer, lines, minor, order, patch};
use crate::harness::*;
use partner_center::demo::PARTNERED_ID;

/// A line's (chargeType, quantity, chargeStartDate, chargeEndDate, days, cycleDays, cost total).
type Row = (String, i64, String, String, i64, i64, i64);

fn rows(items: &[Value]) -> Vec<Row> {
    items
        .iter()
        .map(|i| {
            (
                i["chargeType"].as_str().unwrap().to_owned(),
                i["quantity"].as_i64().unwrap(),
                i["chargeStartDate"].as_str().unwrap().to_owned(),
                i["chargeEndDate"].as_str().unwrap().to_owned(),
                i["days"].as_i64().unwrap(),
                i["cycleDays"].as_i64().unwrap(),
                minor(&i["cost"]["total"]),
            )
        })
        .collect()
}

fn row(t: &str, q: i64, start: &str, end: &str, days: i64, cycle: i64, total: i64) -> Row {
    (
        t.to_owned(),
        q,
        start.to_owned(),
        end.to_owned(),
        days,
        cycle,
        total,
    )
}

/// A year of Business Basic billed monthly (6.30 a seat a month) for a customer on a clock.
fn p1y_monthly(seats: i64, reseller: Option<&str>) -> Value {
    let mut l = line(M365_BUSINESS_BASIC, seats, "monthly", reseller);
    l["termDuration"] = json!("P1Y");
    l
}

#[actix_web::test]
async fn worked_example_seat_changes_and_a_cancellation_inside_the_window_are_each_prorated_to_the_day()
 {
    // The window is set explicitly: 168 hours after a purchase (or an addition).
    let app = TestApp::with_config(|c| c.cancellation_window_hours = 168).await;
    let ga = app.token(PROVIDER_GA).await;
    // Bought mid-month: 15 January 2027, 10:00 UTC. The first billing cycle runs from
    // 15 January to 14 February inclusive: 31 days.
    let (clock, customer) = clocked_customer(&app, &ga, "2027-01-15T10:00:00Z").await;
    let sub = order(&app, &ga, &customer, p1y_monthly(10, None)).await;
    let url = format!("/v1/customers/{customer}/subscriptions/{sub}");
    // Day 3 (17 January): 5 seats added.
    advance(&app, &ga, &clock, "2027-01-17T10:00:00Z").await;
    patch(&app, &ga, &url, json!({ "quantity": 15 })).await;
    // Day 5 (19 January): 3 seats removed (inside their window).
    advance(&app, &ga, &clock, "2027-01-19T10:00:00Z").await;
    patch(&app, &ga, &url, json!({ "quantity": 12 })).await;
    // Day 6 (20 January): cancelled, inside the window that closes on 22 January 10:00.
    advance(&app, &ga, &clock, "2027-01-20T10:00:00Z").await;
    patch(&app, &ga, &url, json!({ "status": "deleted" })).await;
    // Nothing more is charged after the cancellation, not even the next cycle.
    advance(&app, &ga, &clock, "2027-03-20T00:00:00Z").await;

    let items = lines(&app, &ga, &format!("subscriptionId={sub}")).await;
    let end = "2027-02-14";
    assert_eq!(
        rows(&items),
        vec![
            // 10 × 630 × 31 / 31 = 6300
            row("new", 10, "2027-01-15", end, 31, 31, 6300),
            // 5 × 630 × 29 / 31 = 2946.774… → 2947 (17 January to 14 February: 29 days)
            row("addQuantity", 5, "2027-01-17", end, 29, 31, 2947),
            // −3 × 630 × 27 / 31 = −1646.129… → −1646 (19 January on: 27 days)
            row("removeQuantity", -3, "2027-01-19", end, 27, 31, -1646),
            // −12 × 630 × 26 / 31 = −6340.645… → −6341 (20 January on: 26 days)
            row("cancel", -12, "2027-01-20", end, 26, 31, -6341),
        ]
    );
    // Refund inside the window = charge less the days used. Seat-days used: 10 seats on 15 and
    // 16 January (20), 15 on 17 and 18 (30), 12 on 19 (12): 62. 62 × 630 / 31 = 1260 exactly,
    // and the lines sum to 6300 + 2947 − 1646 − 6341 = 1260.
    let sum: i64 = items.iter().map(|i| minor(&i["cost"]["total"])).sum();
    assert_eq!(sum, 1260);
    for i in &items {
        assert_eq!(minor(&i["cost"]["unitPrice"]), 630);
        assert_eq!(i["billingPeriod"], "2027-01");
        assert_eq!(i["termDuration"], "P1Y");
        assert_eq!(i["billingCycle"], "monthly");
    }
}

#[actix_web::test]
async fn cycle_fees_charge_each_month_after_the_first_once_at_the_terms_prices() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let (clock, customer) = clocked_customer(&app, &ga, "2027-01-15T10:00:00Z").await;
    let sub = order(&app, &ga, &customer, p1y_monthly(10, None)).await;
    let url = format!("/v1/customers/{customer}/subscriptions/{sub}");
    // A year billed annually has one cycle: no cycle fee.
    let mut annual = line(M365_BUSINESS_STANDARD, 2, "annual", None);
    annual["termDuration"] = json!("P1Y");
    let yearly = order(&app, &ga, &customer, annual).await;
    // Three cycle starts pass: 15 February, 15 March, 15 April (00:00 UTC).
    advance(&app, &ga, &clock, "2027-03-01T00:00:00Z").await;
    // A seat added on 1 March is prorated to the end of the February cycle (14 March):
    // 2 × 630 × 14 / 28 = 630.
    patch(&app, &ga, &url, json!({ "quantity": 12 })).await;
    advance(&app, &ga, &clock, "2027-04-20T00:00:00Z").await;
    let items = lines(&app, &ga, &format!("subscriptionId={sub}")).await;
    assert_eq!(
        rows(&items),
        vec![
            row("new", 10, "2027-01-15", "2027-02-14", 31, 31, 6300),
            // 10 × 630 × 28 / 28: February's cycle is whole whatever its length.
            row("cycleFee", 10, "2027-02-15", "2027-03-14", 28, 28, 6300),
            row("addQuantity", 2, "2027-03-01", "2027-03-14", 14, 28, 630),
            // 12 × 630 = 7560 for each later month.
            row("cycleFee", 12, "2027-03-15", "2027-04-14", 31, 31, 7560),
            row("cycleFee", 12, "2027-04-15", "2027-05-14", 30, 30, 7560),
        ]
    );
    assert_eq!(items[1]["billingPeriod"], "2027-02");
    assert_eq!(items[4]["billingPeriod"], "2027-04");
    assert_eq!(
        app.audit_count(&customer, "charge_cycle_fee").await,
        3,
        "one change per cycle start"
    );
    // Advancing again within the same cycle charges nothing more: each cycle once.
    advance(&app, &ga, &clock, "2027-05-01T00:00:00Z").await;
    assert_eq!(
        lines(&app, &ga, &format!("subscriptionId={sub}"))
            .await
            .len(),
        5
    );
    let yearly_lines = lines(&app, &ga, &format!("subscriptionId={yearly}")).await;
    assert_eq!(yearly_lines.len(), 1);
    assert_eq!(yearly_lines[0]["chargeType"], "new");
    // The runner still announces the renewal after the cycle fees: the notice 30 days before
    // 15 January 2028 is scheduled, not lost among them.
    let got = app.get(&url, &ga).await;
    got.assert(200);
    assert_eq!(got.body["commitmentEndDate"], "2028-01-14");
}

#[actix_web::test]
async fn cycle_fee_skips_a_cycle_that_starts_while_suspended() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let (clock, customer) = clocked_customer(&app, &ga, "2027-01-15T10:00:00Z").await;
    let sub = order(&app, &ga, &customer, p1y_monthly(10, None)).await;
    let url = format!("/v1/customers/{customer}/subscriptions/{sub}");
    advance(&app, &ga, &clock, "2027-02-10T00:00:00Z").await;
    patch(&app, &ga, &url, json!({ "status": "suspended" })).await;
    // 15 February passes while suspended: no charge for that cycle.
    advance(&app, &ga, &clock, "2027-02-20T00:00:00Z").await;
    patch(&app, &ga, &url, json!({ "status": "active" })).await;
    advance(&app, &ga, &clock, "2027-03-16T00:00:00Z").await;
    let items = lines(&app, &ga, &format!("subscriptionId={sub}")).await;
    assert_eq!(
        rows(&items),
        vec![
            row("new", 10, "2027-01-15", "2027-02-14", 31, 31, 6300),
            row("cycleFee", 10, "2027-03-15", "2027-04-14", 31, 31, 6300),
        ]
    );
}

#[actix_web::test]
async fn upgrade_refunds_the_moved_seats_on_the_source_and_charges_them_on_the_target() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let (clock, customer) = clocked_customer(&app, &ga, "2027-01-15T10:00:00Z").await;
    let sub = order(&app, &ga, &customer, p1y_monthly(10, None)).await;
    // 25 January: 21 days left in the cycle that ends on 14 February (31 days).
    advance(&app, &ga, &clock, "2027-01-25T10:00:00Z").await;
    let url = format!("/v1/customers/{customer}/subscriptions/{sub}/upgrades");
    let res = app
        .post(
            &url,
            &ga,
            json!({ "targetOfferId": M365_BUSINESS_STANDARD, "quantity": 4 }),
        )
        .await;
    res.assert(201);
    let target = res.body["target"]["id"].as_str().unwrap().to_owned();
    let source_lines = lines(&app, &ga, &format!("subscriptionId={sub}")).await;
    let target_lines = lines(&app, &ga, &format!("subscriptionId={target}")).await;
    let end = "2027-02-14";
    assert_eq!(
        rows(&source_lines),
        vec![
            row("new", 10, "2027-01-15", end, 31, 31, 6300),
            // −4 × 630 × 21 / 31 = −1707.09… → −1707
            row("upgrade", -4, "2027-01-25", end, 21, 31, -1707),
        ]
    );
    assert_eq!(
        rows(&target_lines),
        // Business Standard, a year billed monthly: 13.12. 4 × 1312 × 21 / 31 = 3555.09… → 3555
        vec![row("upgrade", 4, "2027-01-25", end, 21, 31, 3555)]
    );
    // The target's term keeps the upgrade's prices: its next cycle is 4 × 1312 = 5248; the
    // source's 6 remaining seats pay 6 × 630 = 3780.
    advance(&app, &ga, &clock, "2027-02-16T00:00:00Z").await;
    let fee = |items: Vec<Value>| {
        items
            .iter()
            .filter(|i| i["chargeType"] == "cycleFee")
            .map(|i| minor(&i["cost"]["total"]))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        fee(lines(&app, &ga, &format!("subscriptionId={target}")).await),
        vec![5248]
    );
    assert_eq!(
        fee(lines(&app, &ga, &format!("subscriptionId={sub}")).await),
        vec![3780]
    );
}

/// A customer of Northwind (on a clock) that Northwind bills with its own 20% list; Contoso's
/// demo list gives Northwind 12% over cost. Returns (clock, customer, Northwind's token).
async fn two_tier(app: &TestApp, ga: &str) -> (String, String, String) {
    let northwind = app.token(PARTNERED_GA).await;
    let clock = app
        .post(
            "/v1/test-clocks",
            ga,
            json!({ "name": "two tier", "frozenTime": "2027-01-15T10:00:00Z" }),
        )
        .await;
    clock.assert(201);
    let mut body = customer_body("Resold Ltd", "resold.example", Some(PARTNERED_ID));
    body["testClockId"] = json!(clock.str("id"));
    let customer = app.post("/v1/customers", ga, body).await;
    customer.assert(201);
    let customer = customer.body["customer"]["id"].as_str().unwrap().to_owned();
    let list = app
        .post(
            "/v1/price-lists",
            &northwind,
            json!({ "name": "Resold", "currency": "USD", "defaultMarkupPercent": "20" }),
        )
        .await;
    list.assert(201);
    app.put(
        &format!("/v1/customers/{customer}/price-list"),
        &northwind,
        json!({ "priceListId": list.str("id") }),
    )
    .await
    .assert(200);
    (clock.str("id"), customer, northwind)
}

#[actix_web::test]
async fn reseller_at_twelve_percent_and_customer_at_twenty_show_each_level_and_each_margin() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let (clock, customer, northwind) = two_tier(&app, &ga).await;
    let sub = order(&app, &ga, &customer, p1y_monthly(10, Some(PARTNERED_ID))).await;
    advance(&app, &ga, &clock, "2027-02-16T00:00:00Z").await;

    // Unit prices per seat per month:
    //   cost      630
    //   reseller  630 × 1.12 = 705.6 → 706 (half-even, once)
    //   customer  706 × 1.20 = 847.2 → 847
    // Each whole cycle of 10 seats: cost 6300, reseller 7060, customer 8470.
    // Provider margin = reseller − cost = 7060 − 6300 = 760.
    // Reseller margin = customer − reseller = 8470 − 7060 = 1410.
    let provider_view = lines(&app, &ga, &format!("subscriptionId={sub}")).await;
    let kinds: Vec<&str> = provider_view
        .iter()
        .map(|i| i["chargeType"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["new", "cycleFee"]);
    for p in &provider_view {
        assert_eq!(minor(&p["cost"]["unitPrice"]), 630);
        assert_eq!(minor(&p["cost"]["total"]), 6300);
        assert_eq!(minor(&p["resellerPrice"]["unitPrice"]), 706);
        assert_eq!(minor(&p["resellerPrice"]["total"]), 7060);
        assert_eq!(minor(&p["customerPrice"]["unitPrice"]), 847);
        assert_eq!(minor(&p["customerPrice"]["total"]), 8470);
        assert_eq!(minor(&p["margin"]), 760, "provider margin: {p}");
        assert_eq!(p["resellerId"], PARTNERED_ID);
    }
    let reseller_view = lines(&app, &northwind, &format!("subscriptionId={sub}")).await;
    assert_eq!(reseller_view.len(), 2);
    for r in &reseller_view {
        assert!(r.get("cost").is_none(), "a reseller never sees cost: {r}");
        assert_eq!(minor(&r["resellerPrice"]["total"]), 7060);
        assert_eq!(minor(&r["customerPrice"]["total"]), 8470);
        assert_eq!(minor(&r["margin"]), 1410, "reseller margin: {r}");
    }
    // Over the two cycles: what Northwind owes Contoso and what the customer owes Northwind.
    let sum = |items: &[Value], level: &str| -> i64 {
        items.iter().map(|i| minor(&i[level]["total"])).sum()
    };
    assert_eq!(sum(&provider_view, "resellerPrice"), 14_120);
    assert_eq!(sum(&reseller_view, "customerPrice"), 16_940);
}

#[actix_web::test]
async fn carts_and_orders_show_cost_reseller_and_customer_prices_to_the_provider() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let (_, customer, _) = two_tier(&app, &ga).await;
    let lines_in = vec![
        p1y_monthly(10, Some(PARTNERED_ID)),
        line(M365_BUSINESS_STANDARD, 3, "monthly", None),
    ];
    let cart = app.cart(&ga, &customer, lines_in).await;
    cart.assert(201);
    let check = |body: &Value| {
        let resold = &body["lineItems"][0]["prices"];
        // Per seat per month, and for 10 seats over one month.
        assert_eq!(minor(&resold["cost"]["unitPrice"]), 630);
        assert_eq!(minor(&resold["cost"]["total"]), 6300);
        assert_eq!(minor(&resold["resellerPrice"]["unitPrice"]), 706);
        assert_eq!(minor(&resold["resellerPrice"]["total"]), 7060);
        assert_eq!(minor(&resold["customerPrice"]["unitPrice"]), 847);
        assert_eq!(minor(&resold["customerPrice"]["total"]), 8470);
        // Without a reseller of record: no reseller price; the customer pays the reseller's
        // list only through a reseller, so here cost (12.50 on a month-long term).
        let direct = &body["lineItems"][1]["prices"];
        assert!(direct.get("resellerPrice").is_none(), "{direct}");
        assert_eq!(minor(&direct["cost"]["total"]), 3750);
        assert_eq!(minor(&direct["customerPrice"]["total"]), 3750);
        let totals = &body["priceTotals"];
        assert_eq!(minor(&totals["cost"]), 6300 + 3750);
        assert_eq!(minor(&totals["resellerPrice"]), 7060);
        assert_eq!(minor(&totals["customerPrice"]), 8470 + 3750);
    };
    check(&cart.body);
    let cart_url = format!("/v1/customers/{customer}/carts/{}", cart.str("id"));
    let read = app.get(&cart_url, &ga).await;
    read.assert(200);
    check(&read.body);
    let etag = read.header("etag").unwrap();
    let placed = app
        .send(
            request(
                Method::POST,
                &format!("{cart_url}/checkout"),
                Some(&ga),
                Some(json!({})),
            )
            .insert_header((header::IF_MATCH, etag)),
        )
        .await;
    placed.assert(201);
    check(&placed.body["order"]);
    let order_url = format!(
        "/v1/customers/{customer}/orders/{}",
        placed.body["order"]["id"].as_str().unwrap()
    );
    let order = app.get(&order_url, &ga).await;
    order.assert(200);
    check(&order.body);
    let list = app
        .get(&format!("/v1/customers/{customer}/orders"), &ga)
        .await;
    list.assert(200);
    check(&list.items()[0]);
}

#[actix_web::test]
async fn line_items_hide_cost_from_resellers_and_other_resellers_lines_and_refuse_customer_users() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let (_, customer, northwind) = two_tier(&app, &ga).await;
    let sub = order(&app, &ga, &customer, p1y_monthly(10, Some(PARTNERED_ID))).await;
    // Northwind sees its customer's line without cost, in JSON and in CSV.
    let own = lines(&app, &northwind, "").await;
    assert_eq!(own.len(), 1);
    assert_eq!(own[0]["subscriptionId"], sub.as_str());
    assert!(own[0].get("cost").is_none());
    let csv = app
        .send(
            request(
                Method::GET,
                "/v1/billing/line-items",
                Some(&northwind),
                None,
            )
            .insert_header((header::ACCEPT, "text/csv")),
        )
        .await;
    csv.assert(200);
    let rows: Vec<Vec<&str>> = csv.text.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0][16], "costUnitPriceMinor");
    assert_eq!((rows[1][16], rows[1][17]), ("", ""));
    assert_eq!(rows[1][19], "7060");
    // Another reseller sees none of Northwind's lines, even asking for them by name.
    let fabrikam = app.token(RESELLER_GA).await;
    assert!(lines(&app, &fabrikam, "").await.is_empty());
    assert!(
        lines(&app, &fabrikam, &format!("resellerId={PARTNERED_ID}"))
            .await
            .is_empty()
    );
    assert!(
        lines(&app, &fabrikam, &format!("subscriptionId={sub}"))
            .await
            .is_empty()
    );
    // A customer user cannot read partner line items at all, nor order prices.
    let customer_user = app.token(TAILSPIN_ADMIN).await;
    let refused = app.get("/v1/billing/line-items", &customer_user).await;
    refused.assert_problem(403, "insufficient_role");
    assert!(!refused.text.contains("amountMinor"));
    // A reseller cannot read the provider's orders (and so their cost) either.
    app.get(&format!("/v1/customers/{customer}/orders"), &northwind)
        .await
        .assert_problem(403, "indirect_provider_required");
}

/// SQLite cannot alter a CHECK constraint: the charge types' migration edits its text in the
/// schema. The connection that ran the migrations goes back to the pool, and it too must take
/// the new charge types at once (an in-memory database has that one connection only).
#[test]
fn migrating_sqlite_connection_accepts_the_new_charge_types_at_once() {
    use diesel::RunQueryDsl;
    use partner_center::db::{self, AnyConnection};
    let pool = db::pool(":memory:").expect("pool");
    db::migrate(&pool).expect("migrate");
    let mut conn = pool.get().expect("the one connection");
    let AnyConnection::Sqlite(c) = &mut *conn else {
        panic!("an in-memory database is SQLite");
    };
    diesel::sql_query("PRAGMA foreign_keys = OFF")
        .execute(c)
        .unwrap();
    for (i, kind) in ["cycleFee", "upgrade", "new"].iter().enumerate() {
        diesel::sql_query(format!(
            "INSERT INTO billing_line_items VALUES ('l{i}', 'p', 'c', NULL, 's', 'o', 'P1Y', \
             'monthly', '{kind}', 1, '2027-01-15', '2027-02-14', 31, 31, '2027-01', 'USD', \
             630, 630, NULL, NULL, 630, 630, NULL, NULL, '2027-01-15 10:00:00')"
        ))
        .execute(c)
        .unwrap_or_else(|e| panic!("{kind}: {e}"));
    }
    let refused = diesel::sql_query(
        "INSERT INTO billing_line_items VALUES ('x', 'p', 'c', NULL, 's', 'o', 'P1Y', \
         'monthly', 'refund', 1, '2027-01-15', '2027-02-14', 31, 31, '2027-01', 'USD', \
         630, 630, NULL, NULL, 630, 630, NULL, NULL, '2027-01-15 10:00:00')",
    )
    .execute(c);
    assert!(refused.is_err(), "the CHECK still closes the vocabulary");
}
