//! Billing line items (docs/billing.md): written with the order, seat change, cancellation and
//! renewal that cause them, prorated by day to the end of the billing cycle, at the three
//! price levels; read by the provider with cost and margin, by the reseller of record without
//! cost, by nobody else; as JSON pages or streamed CSV.

use actix_web::http::{Method, header};
use serde_json::{Value, json};

use crate::harness::*;
use partner_center::demo::{ADATUM_ID, PARTNERED_ID, TAILSPIN_ID};

/// A test clock at `start` with a direct customer of Contoso on it; (clock id, customer id).
pub(super) async fn clocked_customer(app: &TestApp, ga: &str, start: &str) -> (String, String) {
    let clock = app
        .post(
            "/v1/test-clocks",
            ga,
            json!({ "name": "billing", "frozenTime": start }),
        )
        .await;
    clock.assert(201);
    let mut body = customer_body("Billed Ltd", "billed.example", None);
    body["testClockId"] = json!(clock.str("id"));
    let customer = app.post("/v1/customers", ga, body).await;
    customer.assert(201);
    (
        clock.str("id"),
        customer.body["customer"]["id"].as_str().unwrap().to_owned(),
    )
}

pub(super) async fn advance(app: &TestApp, ga: &str, clock: &str, to: &str) {
    app.post(
        &format!("/v1/test-clocks/{clock}/advance"),
        ga,
        json!({ "frozenTime": to }),
    )
    .await
    .assert(200);
}

pub(super) async fn patch(app: &TestApp, token: &str, url: &str, body: Value) {
    let etag = app.get(url, token).await.header("etag").unwrap();
    app.patch_if_match(url, token, &etag, body)
        .await
        .assert(200);
}

pub(super) async fn order(app: &TestApp, ga: &str, customer: &str, line: Value) -> String {
    let res = app
        .post(
            &format!("/v1/customers/{customer}/orders"),
            ga,
            json!({ "lineItems": [line] }),
        )
        .await;
    res.assert(201);
    res.body["subscriptions"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub(super) async fn lines(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let res = app
        .get(&format!("/v1/billing/line-items?limit=100&{query}"), token)
        .await;
    res.assert(200);
    res.items()
}

pub(super) fn minor(v: &Value) -> i64 {
    v["amountMinor"].as_i64().unwrap()
}

#[actix_web::test]
async fn worked_example_prorates_each_change_to_the_day_and_refunds_the_days_left() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let (clock, customer) = clocked_customer(&app, &ga, "2027-01-15T10:00:00Z").await;
    // 10 seats of Business Basic, one year billed monthly at 6.30 a seat a month.
    let mut l = line(M365_BUSINESS_BASIC, 10, "monthly", None);
    l["termDuration"] = json!("P1Y");
    let sub = order(&app, &ga, &customer, l).await;
    let url = format!("/v1/customers/{customer}/subscriptions/{sub}");
    advance(&app, &ga, &clock, "2027-01-17T10:00:00Z").await;
    patch(&app, &ga, &url, json!({ "quantity": 15 })).await;
    advance(&app, &ga, &clock, "2027-01-19T10:00:00Z").await;
    patch(&app, &ga, &url, json!({ "quantity": 12 })).await;
    advance(&app, &ga, &clock, "2027-01-20T10:00:00Z").await;
    patch(&app, &ga, &url, json!({ "status": "deleted" })).await;

    let items = lines(&app, &ga, &format!("subscriptionId={sub}")).await;
    let got: Vec<(String, i64, String, String, i64, i64, i64)> = items
        .iter()
        .map(|i| {
            (
                i["chargeType"].as_str().unwrap().to_owned(),
                i["quantity"].as_i64().unwrap(),
                i["chargeStartDate"].as_str().unwrap().to_owned(),
                i["chargeEndDate"].as_str().unwrap().to_owned(),
                i["days"].as_i64().unwrap(),
                minor(&i["cost"]["unitPrice"]),
                minor(&i["cost"]["total"]),
            )
        })
        .collect();
    let row = |t: &str, q, s: &str, days, total| {
        (
            t.to_owned(),
            q,
            s.to_owned(),
            "2027-02-14".to_owned(),
            days,
            630,
            total,
        )
    };
    assert_eq!(
        got,
        vec![
            // 10 × 630 × 31/31
            row("new", 10, "2027-01-15", 31, 6300),
            // 5 × 630 × 29/31 = 2946.77 → 2947
            row("addQuantity", 5, "2027-01-17", 29, 2947),
            // −3 × 630 × 27/31 = −1646.13 → −1646
            row("removeQuantity", -3, "2027-01-19", 27, -1646),
            // −12 × 630 × 26/31 = −6340.65 → −6341
            row("cancel", -12, "2027-01-20", 26, -6341),
        ]
    );
    // 62 seat-days of a 31-day cycle at 6.30: 12.60 in all.
    let sum: i64 = got.iter().map(|g| g.6).sum();
    assert_eq!(sum, 1260);
    for i in &items {
        assert_eq!(i["cycleDays"], 31);
        assert_eq!(i["billingPeriod"], "2027-01");
        // A direct customer without a price list pays cost; no reseller level.
        assert_eq!(i["customerPrice"]["total"], i["cost"]["total"]);
        assert!(i.get("resellerPrice").is_none());
        assert_eq!(minor(&i["margin"]), 0);
    }
}

#[actix_web::test]
async fn reseller_and_customer_lists_set_the_three_prices_and_each_margin() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let northwind = app.token(PARTNERED_GA).await;
    // Contoso's demo list gives Northwind 12% over cost; Northwind puts Tailspin on 20%.
    let list = app
        .post(
            "/v1/price-lists",
            &northwind,
            json!({ "name": "Tailspin", "currency": "USD", "defaultMarkupPercent": "20" }),
        )
        .await;
    list.assert(201);
    app.put(
        &format!("/v1/customers/{TAILSPIN_ID}/price-list"),
        &northwind,
        json!({ "priceListId": list.str("id") }),
    )
    .await
    .assert(200);
    let mut l = line(M365_BUSINESS_BASIC, 10, "monthly", Some(PARTNERED_ID));
    l["termDuration"] = json!("P1Y");
    let sub = order(&app, &ga, TAILSPIN_ID, l).await;

    let provider_view = lines(&app, &ga, &format!("subscriptionId={sub}")).await;
    assert_eq!(provider_view.len(), 1);
    let p = &provider_view[0];
    assert_eq!(p["chargeType"], "new");
    assert_eq!(minor(&p["cost"]["unitPrice"]), 630);
    assert_eq!(minor(&p["cost"]["total"]), 6300);
    // 630 × 1.12 = 705.6 → 706 a seat; 706 × 1.20 = 847.2 → 847 a seat.
    assert_eq!(minor(&p["resellerPrice"]["unitPrice"]), 706);
    assert_eq!(minor(&p["resellerPrice"]["total"]), 7060);
    assert_eq!(minor(&p["customerPrice"]["unitPrice"]), 847);
    assert_eq!(minor(&p["customerPrice"]["total"]), 8470);
    assert_eq!(minor(&p["margin"]), 760);
    assert_eq!(p["resellerId"], PARTNERED_ID);

    let reseller_view = lines(&app, &northwind, &format!("subscriptionId={sub}")).await;
    assert_eq!(reseller_view.len(), 1);
    let r = &reseller_view[0];
    assert!(r.get("cost").is_none(), "a reseller never sees cost: {r}");
    assert_eq!(minor(&r["resellerPrice"]["total"]), 7060);
    assert_eq!(minor(&r["customerPrice"]["total"]), 8470);
    assert_eq!(minor(&r["margin"]), 1410);
    assert_eq!(r["customerPrice"]["priceListId"], list.body["id"]);
}

/// A direct customer's order line (no reseller of record) is priced through the provider's
/// list assigned to the customer, else through the provider's default list, else at cost —
/// the order learns which applies with its offers, in one statement.
#[actix_web::test]
async fn direct_customers_orders_take_the_assigned_list_else_the_default_else_cost() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let basic = || {
        let mut l = line(M365_BUSINESS_BASIC, 1, "monthly", None);
        l["termDuration"] = json!("P1Y");
        l
    };
    let customer_price = |lines: Vec<Value>| {
        assert_eq!(lines.len(), 1, "{lines:?}");
        (
            minor(&lines[0]["customerPrice"]["unitPrice"]),
            lines[0]["customerPrice"]["priceListId"].clone(),
        )
    };
    let plain = app
        .create_customer(&ga, "Plain Direct", "plain-direct.example", None)
        .await["customer"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // No list of the provider applies yet: cost (630 a seat).
    let sub = order(&app, &ga, &plain, basic()).await;
    assert_eq!(
        customer_price(lines(&app, &ga, &format!("subscriptionId={sub}")).await),
        (630, Value::Null)
    );
    // Adatum on its own 10% list: 630 × 1.10 = 693.
    let assigned = app
        .post(
            "/v1/price-lists",
            &ga,
            json!({ "name": "Adatum", "currency": "USD", "defaultMarkupPercent": "10" }),
        )
        .await;
    assigned.assert(201);
    app.put(
        &format!("/v1/customers/{ADATUM_ID}/price-list"),
        &ga,
        json!({ "priceListId": assigned.str("id") }),
    )
    .await
    .assert(200);
    let sub = order(&app, &ga, ADATUM_ID, basic()).await;
    assert_eq!(
        customer_price(lines(&app, &ga, &format!("subscriptionId={sub}")).await),
        (693, assigned.body["id"].clone())
    );
    // A 5% default list then prices the customer without one: 661.5 → 662 (half-even), and
    // Adatum keeps its own.
    let default = app
        .post(
            "/v1/price-lists",
            &ga,
            json!({ "name": "Direct", "currency": "USD", "defaultMarkupPercent": "5",
                    "isDefault": true }),
        )
        .await;
    default.assert(201);
    let sub = order(&app, &ga, &plain, basic()).await;
    assert_eq!(
        customer_price(lines(&app, &ga, &format!("subscriptionId={sub}")).await),
        (662, default.body["id"].clone())
    );
    let sub = order(&app, &ga, ADATUM_ID, basic()).await;
    assert_eq!(
        customer_price(lines(&app, &ga, &format!("subscriptionId={sub}")).await),
        (693, assigned.body["id"].clone())
    );
}

#[actix_web::test]
async fn line_items_are_visible_to_the_provider_and_the_reseller_of_record_only() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let adatum = app.customer_id("adatum.example").await;
    let direct = order(
        &app,
        &ga,
        &adatum,
        line(M365_BUSINESS_BASIC, 2, "monthly", None),
    )
    .await;
    let resold = order(
        &app,
        &ga,
        TAILSPIN_ID,
        line(M365_BUSINESS_BASIC, 3, "monthly", Some(PARTNERED_ID)),
    )
    .await;
    let subs = |items: Vec<Value>| -> Vec<String> {
        items
            .iter()
            .map(|i| i["subscriptionId"].as_str().unwrap().to_owned())
            .collect()
    };
    let mine = subs(lines(&app, &ga, "").await);
    assert!(mine.contains(&direct) && mine.contains(&resold));
    assert_eq!(
        subs(lines(&app, &ga, &format!("resellerId={PARTNERED_ID}")).await),
        vec![resold.clone()]
    );
    assert_eq!(
        subs(lines(&app, &ga, &format!("customerId={adatum}&chargeType=new")).await),
        vec![direct.clone()]
    );
    assert!(lines(&app, &ga, "chargeType=cancel").await.is_empty());
    // The reseller of record sees its customer's line only, whatever it filters on.
    let northwind = app.token(PARTNERED_GA).await;
    assert_eq!(subs(lines(&app, &northwind, "").await), vec![resold]);
    assert!(
        lines(&app, &northwind, &format!("customerId={adatum}"))
            .await
            .is_empty()
    );
    // Another reseller, another provider and a helpdesk agent see nothing.
    let fabrikam = app.token(RESELLER_GA).await;
    assert!(lines(&app, &fabrikam, "").await.is_empty());
    let (other, _) = app
        .other_provider("Other Distribution", "ga@other.example")
        .await;
    assert!(lines(&app, &other, "").await.is_empty());
    let ha = app.token(PROVIDER_HA).await;
    app.get("/v1/billing/line-items", &ha)
        .await
        .assert_problem(403, "insufficient_role");
    app.get("/v1/billing/line-items?chargeType=refund", &ga)
        .await
        .assert_problem(422, "validation_failed");
}

#[actix_web::test]
async fn csv_export_streams_every_line_with_stable_columns_and_no_cost_for_resellers() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    for q in [1, 2, 3] {
        order(
            &app,
            &ga,
            TAILSPIN_ID,
            line(M365_BUSINESS_BASIC, q, "monthly", Some(PARTNERED_ID)),
        )
        .await;
    }
    let csv = |token: String| {
        request(
            Method::GET,
            "/v1/billing/line-items?limit=1",
            Some(&token),
            None,
        )
        .insert_header((header::ACCEPT, "text/csv"))
    };
    let res = app.send(csv(ga.clone())).await;
    res.assert(200);
    assert!(res.header("content-type").unwrap().starts_with("text/csv"));
    let rows: Vec<&str> = res.text.lines().collect();
    let columns = "id,createdAt,billingPeriod,chargeType,customerId,resellerId,subscriptionId,\
        offerId,termDuration,billingCycle,quantity,chargeStartDate,chargeEndDate,days,cycleDays,\
        currency,costUnitPriceMinor,costTotalMinor,resellerUnitPriceMinor,resellerTotalMinor,\
        customerUnitPriceMinor,customerTotalMinor,marginMinor";
    assert_eq!(rows[0], columns);
    // `limit` pages JSON only: the export holds every line.
    assert_eq!(rows.len(), 4, "{}", res.text);
    let first: Vec<&str> = rows[1].split(',').collect();
    assert_eq!(first[3], "new");
    assert_eq!(first[16], "600");
    assert_eq!(first[17], "600");
    assert_eq!(first[19], "672");
    // The reseller's export: the same columns, cost cells empty.
    let northwind = app.token(PARTNERED_GA).await;
    let res = app.send(csv(northwind)).await;
    res.assert(200);
    let rows: Vec<&str> = res.text.lines().collect();
    assert_eq!(rows[0], columns);
    assert_eq!(rows.len(), 4);
    for row in &rows[1..] {
        let cells: Vec<&str> = row.split(',').collect();
        assert_eq!((cells[16], cells[17]), ("", ""), "{row}");
    }
    // Nothing to export: the header alone.
    let fabrikam = app.token(RESELLER_GA).await;
    let res = app.send(csv(fabrikam)).await;
    assert_eq!(res.text.trim_end(), columns);
}

#[actix_web::test]
async fn accept_picks_csv_by_preference_and_csv_cells_read_as_the_json_fields() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    order(
        &app,
        &ga,
        TAILSPIN_ID,
        line(M365_BUSINESS_BASIC, 2, "monthly", None),
    )
    .await;
    let answer = |accept: &'static str| {
        let ga = ga.clone();
        let app = &app;
        async move {
            let res = app
                .send(
                    request(Method::GET, "/v1/billing/line-items", Some(&ga), None)
                        .insert_header((header::ACCEPT, accept)),
                )
                .await;
            res.assert(200);
            res
        }
    };
    for (accept, csv) in [
        ("text/csv", true),
        ("TEXT/CSV", true),
        ("text/*", true),
        ("application/json;q=0.5, text/csv", true),
        ("text/csv;q=0.5, application/json", false),
        ("text/csv;q=0, */*", false),
        ("*/*", false),
        ("application/json", false),
        ("text/csv, application/json", true),
        ("text/csv; charset=utf-8", true),
        ("*/*;q=0.1, text/csv", true),
        (
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            false,
        ),
        ("", false),
        ("application/json, text/csv", false),
    ] {
        let res = answer(accept).await;
        let kind = res.header("content-type").unwrap();
        assert_eq!(
            kind.starts_with("text/csv"),
            csv,
            "Accept: {accept} gave {kind}"
        );
    }
    // The CSV's timestamp is written as the JSON answer writes it.
    let json = lines(&app, &ga, "").await;
    let res = answer("text/csv").await;
    let row = res.text.lines().nth(1).unwrap().to_owned();
    let cells: Vec<&str> = row.split(',').collect();
    assert_eq!(cells[0], json[0]["id"].as_str().unwrap());
    assert_eq!(cells[1], json[0]["createdAt"].as_str().unwrap(), "{row}");
}

#[actix_web::test]
async fn renewal_writes_a_whole_first_cycle_of_the_new_term() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let (clock, customer) = clocked_customer(&app, &ga, "2027-01-15T10:00:00Z").await;
    let mut l = line(M365_BUSINESS_BASIC, 4, "monthly", None);
    l["termDuration"] = json!("P1M");
    let sub = order(&app, &ga, &customer, l).await;
    advance(&app, &ga, &clock, "2027-03-20T00:00:00Z").await;
    let items = lines(&app, &ga, &format!("subscriptionId={sub}")).await;
    let got: Vec<(String, String, i64, i64)> = items
        .iter()
        .map(|i| {
            (
                i["chargeType"].as_str().unwrap().to_owned(),
                i["chargeStartDate"].as_str().unwrap().to_owned(),
                i["cycleDays"].as_i64().unwrap(),
                minor(&i["customerPrice"]["total"]),
            )
        })
        .collect();
    // 4 seats at 6.00 a month, whole cycles: January, February, March.
    assert_eq!(
        got,
        vec![
            ("new".to_owned(), "2027-01-15".to_owned(), 31, 2400),
            ("renew".to_owned(), "2027-02-15".to_owned(), 28, 2400),
            ("renew".to_owned(), "2027-03-15".to_owned(), 31, 2400),
        ]
    );
    assert_eq!(items[2]["billingPeriod"], "2027-03");
}
