//! Price lists (docs/billing.md): a provider's list over cost, a reseller's over the reseller
//! price, dated versions (past ones immutable, future ones replaceable), prices resolved with
//! the list and version they came from, and assignment to resellers and customers.

use actix_web::http::{Method, header};
use serde_json::{Value, json};

use crate::harness::*;
use partner_center::demo::{ADATUM_ID, PARTNERED_ID, PRICE_LIST_ID, TAILSPIN_ID};

async fn create_list(app: &TestApp, token: &str, name: &str, markup: &str) -> String {
    let res = app
        .post(
            "/v1/price-lists",
            token,
            json!({ "name": name, "currency": "USD", "defaultMarkupPercent": markup }),
        )
        .await;
    res.assert(201);
    assert_eq!(res.body["defaultMarkupPercent"], markup);
    res.str("id")
}

async fn price(app: &TestApp, token: &str, list: &str, query: &str) -> Value {
    let res = app
        .get(&format!("/v1/price-lists/{list}/prices?{query}"), token)
        .await;
    res.assert(200);
    res.body
}

const BASIC_P1Y_MONTHLY: &str =
    "offerId=019a8f3c-2000-758b-a2a2-055bb55bcbbb&termDuration=P1Y&billingCycle=monthly";

#[actix_web::test]
async fn price_through_a_provider_list_marks_up_cost_and_names_its_version() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let list = create_list(&app, &ga, "Partners 12%", "12").await;
    // Business Basic P1Y billed monthly costs 6.30 a month: 630 × 1.12 = 705.6 → 706.
    let now = price(&app, &ga, &list, BASIC_P1Y_MONTHLY).await;
    assert_eq!(
        now["basePrice"],
        json!({ "amountMinor": 630, "currency": "USD" })
    );
    assert_eq!(
        now["unitPrice"],
        json!({ "amountMinor": 706, "currency": "USD" })
    );
    assert_eq!(now["source"], "defaultMarkup");
    // The version created with the list prices every earlier date too (a test clock may be set
    // to any date).
    let long_ago = price(
        &app,
        &ga,
        &list,
        &format!("{BASIC_P1Y_MONTHLY}&at=1990-06-01T00:00:00Z"),
    )
    .await;
    assert_eq!(long_ago["unitPrice"]["amountMinor"], 706);
    assert_eq!(long_ago["versionId"], now["versionId"]);
    // Annual (6.00 a month): twelve months per cycle, 7200 × 1.12 = 8064.
    let annual = price(
        &app,
        &ga,
        &list,
        "offerId=019a8f3c-2000-758b-a2a2-055bb55bcbbb&termDuration=P1Y&billingCycle=annual",
    )
    .await;
    assert_eq!(annual["basePrice"]["amountMinor"], 7200);
    assert_eq!(annual["unitPrice"]["amountMinor"], 8064);
    let v2 = app
        .post(
            &format!("/v1/price-lists/{list}/versions"),
            &ga,
            json!({
                "effectiveFrom": "2030-01-01T00:00:00Z",
                "entries": [
                    { "offerId": M365_BUSINESS_BASIC, "termDuration": "P1Y", "billingCycle": "monthly",
                      "unitPrice": { "amountMinor": 700, "currency": "USD" } },
                    { "offerId": M365_BUSINESS_STANDARD, "termDuration": "P1Y", "billingCycle": "monthly",
                      "markupPercent": "7.5" }
                ]
            }),
        )
        .await;
    v2.assert(201);
    assert_eq!(v2.body["editable"], true);
    assert_eq!(v2.body["defaultMarkupPercent"], "12");
    let later = price(
        &app,
        &ga,
        &list,
        &format!("{BASIC_P1Y_MONTHLY}&at=2030-02-01T00:00:00Z"),
    )
    .await;
    assert_eq!(later["unitPrice"]["amountMinor"], 700);
    assert_eq!(later["source"], "unitPrice");
    assert_eq!(later["versionId"], v2.body["id"]);
    // 1312 × 1.075 = 1410.4 → 1410.
    let standard = price(
        &app,
        &ga,
        &list,
        "offerId=019a8f3c-2001-737d-82f2-a4276b0bd666&termDuration=P1Y&billingCycle=monthly&at=2030-02-01T00:00:00Z",
    )
    .await;
    assert_eq!(standard["unitPrice"]["amountMinor"], 1410);
    assert_eq!(standard["source"], "entryMarkup");
    // Before the new version takes effect, the first one still prices.
    let before = price(&app, &ga, &list, BASIC_P1Y_MONTHLY).await;
    assert_eq!(before["unitPrice"]["amountMinor"], 706);
    assert_ne!(before["versionId"], v2.body["id"]);
    let versions = app
        .get(&format!("/v1/price-lists/{list}/versions"), &ga)
        .await;
    versions.assert(200);
    let items = versions.items();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["editable"], false);
    assert_eq!(items[1]["editable"], true);
}

#[actix_web::test]
async fn version_in_the_past_is_refused_and_a_future_one_is_replaced() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let list = create_list(&app, &ga, "Partners", "10").await;
    let url = format!("/v1/price-lists/{list}/versions");
    app.post(
        &url,
        &ga,
        json!({ "effectiveFrom": "2020-01-01T00:00:00Z", "defaultMarkupPercent": "5" }),
    )
    .await
    .assert_problem(422, "price_list_version_in_past");
    for markup in ["15", "20"] {
        app.post(
            &url,
            &ga,
            json!({ "effectiveFrom": "2031-01-01T00:00:00Z", "defaultMarkupPercent": markup }),
        )
        .await
        .assert(201);
    }
    let items = app.get(&url, &ga).await.items();
    assert_eq!(items.len(), 2);
    assert_eq!(items[1]["defaultMarkupPercent"], "20");
    app.post(
        "/v1/price-lists",
        &ga,
        json!({ "name": "Nowhere", "currency": "XYZ", "defaultMarkupPercent": "1" }),
    )
    .await
    .assert_problem(422, "unknown_currency");
    for (body, field, code) in [
        (
            json!({ "effectiveFrom": "2031-01-01T00:00:00Z", "defaultMarkupPercent": "-100" }),
            "defaultMarkupPercent",
            "validation_failed",
        ),
        (
            json!({ "effectiveFrom": "2031-01-01T00:00:00Z", "defaultMarkupPercent": "1.5e1" }),
            "defaultMarkupPercent",
            "validation_failed",
        ),
        (
            json!({ "effectiveFrom": "2031-01-01T00:00:00Z", "entries": [
            { "offerId": M365_BUSINESS_BASIC, "termDuration": "P1M", "billingCycle": "monthly" }
        ] }),
            "entries[0]",
            "invalid_price_entry",
        ),
        (
            json!({ "effectiveFrom": "2031-01-01T00:00:00Z", "entries": [
            { "offerId": M365_BUSINESS_BASIC, "termDuration": "P1M", "billingCycle": "monthly",
              "unitPrice": { "amountMinor": 5, "currency": "EUR" } }
        ] }),
            "entries[0].unitPrice.currency",
            "invalid_price_entry",
        ),
        (
            json!({ "effectiveFrom": "2031-01-01T00:00:00Z", "entries": [
            { "offerId": "00000000-0000-0000-0000-000000000000", "termDuration": "P1M",
              "billingCycle": "monthly", "markupPercent": "5" }
        ] }),
            "entries[0].offerId",
            "unknown_offer",
        ),
        (
            json!({ "effectiveFrom": "2031-01-01T00:00:00Z", "entries": [
            { "offerId": M365_BUSINESS_BASIC, "termDuration": "P1Y", "billingCycle": "monthly",
              "markupPercent": "5" },
            { "offerId": M365_BUSINESS_BASIC, "termDuration": "P1M", "billingCycle": "annual",
              "markupPercent": "5" }
        ] }),
            "entries[1].termDuration",
            "term_not_offered",
        ),
        (
            json!({ "effectiveFrom": "2031-01-01T00:00:00Z", "entries": [
            { "offerId": M365_BUSINESS_BASIC, "termDuration": "P3Y", "billingCycle": "triennial",
              "markupPercent": "5" }
        ] }),
            "entries[0].billingCycle",
            "billing_cycle_not_offered",
        ),
    ] {
        let res = app.post(&url, &ga, body).await;
        res.assert_problem(422, code);
        assert_eq!(res.body["errors"][0]["field"], field, "{}", res.text);
    }
}

#[actix_web::test]
async fn reseller_list_marks_up_the_reseller_price_from_its_provider_list() {
    let app = TestApp::new().await;
    let northwind = app.token(PARTNERED_GA).await;
    let list = create_list(&app, &northwind, "Customers 20%", "20").await;
    // Contoso's demo list gives Northwind 12% over cost: 706; Northwind adds 20%: 847.2 → 847.
    let p = price(&app, &northwind, &list, BASIC_P1Y_MONTHLY).await;
    assert_eq!(p["basePrice"]["amountMinor"], 706);
    assert_eq!(p["unitPrice"]["amountMinor"], 847);
    // Northwind does not see Contoso's list, nor Contoso Northwind's.
    app.get(&format!("/v1/price-lists/{PRICE_LIST_ID}"), &northwind)
        .await
        .assert_problem(404, "not_found");
    let ga = app.token(PROVIDER_GA).await;
    app.get(&format!("/v1/price-lists/{list}"), &ga)
        .await
        .assert_problem(404, "not_found");
    let (other, _) = app
        .other_provider("Other Distribution", "ga@other.example")
        .await;
    assert!(app.get("/v1/price-lists", &other).await.items().is_empty());
}

#[actix_web::test]
async fn assign_price_list_reaches_only_own_lists_resellers_and_customers() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let northwind = app.token(PARTNERED_GA).await;
    let contoso_list = create_list(&app, &ga, "Direct 5%", "5").await;
    let northwind_list = create_list(&app, &northwind, "Tailspin 20%", "20").await;
    let body = |id: &str| json!({ "priceListId": id });
    let res = app
        .put(
            &format!("/v1/indirect-resellers/{PARTNERED_ID}/price-list"),
            &ga,
            body(&contoso_list),
        )
        .await;
    res.assert(200);
    assert_eq!(res.body["id"], json!(contoso_list));
    app.put(
        &format!("/v1/indirect-resellers/{PARTNERED_ID}/price-list"),
        &ga,
        body(&northwind_list),
    )
    .await
    .assert_problem(404, "not_found");
    app.put(
        &format!("/v1/customers/{ADATUM_ID}/price-list"),
        &ga,
        body(&contoso_list),
    )
    .await
    .assert(200);
    app.put(
        &format!("/v1/customers/{TAILSPIN_ID}/price-list"),
        &northwind,
        body(&northwind_list),
    )
    .await
    .assert(200);
    // Adatum is not Northwind's customer.
    app.put(
        &format!("/v1/customers/{ADATUM_ID}/price-list"),
        &northwind,
        body(&northwind_list),
    )
    .await
    .assert_problem(404, "not_found");
    // Renaming and the default flag, with the ETag.
    let url = format!("/v1/price-lists/{contoso_list}");
    let etag = app.get(&url, &ga).await.header("etag").unwrap();
    let res = app
        .patch_if_match(
            &url,
            &ga,
            &etag,
            json!({ "name": "Direct", "isDefault": true }),
        )
        .await;
    res.assert(200);
    assert_eq!(res.body["isDefault"], true);
    app.patch_if_match(&url, &ga, &etag, json!({ "name": "Stale" }))
        .await
        .assert(412);
}

#[actix_web::test]
async fn list_etag_moves_when_a_version_takes_effect_and_a_version_is_read_at_its_location() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let list = create_list(&app, &ga, "Partners", "10").await;
    let url = format!("/v1/price-lists/{list}");
    let read = app.get(&url, &ga).await;
    read.assert(200);
    let tag = read.header("etag").unwrap();
    let revalidate = |tag: String| {
        request(Method::GET, &url, Some(&ga), None).insert_header((header::IF_NONE_MATCH, tag))
    };
    let v2 = app
        .post(
            &format!("{url}/versions"),
            &ga,
            json!({ "effectiveFrom": "2031-01-01T00:00:00Z", "defaultMarkupPercent": "20" }),
        )
        .await;
    v2.assert(201);
    // The version is where `Location` says, and only under its own list.
    let at = v2.header("location").unwrap();
    assert_eq!(at, format!("{url}/versions/{}", v2.str("id")));
    let read = app.get(&at, &ga).await;
    read.assert(200);
    assert_eq!(read.body, v2.body);
    app.get(
        &format!("/v1/price-lists/{PRICE_LIST_ID}/versions/{}", v2.str("id")),
        &ga,
    )
    .await
    .assert_problem(404, "not_found");
    // A version still to come changes nothing the list answers.
    app.send(revalidate(tag.clone())).await.assert(304);
    // Its time comes (its start moved into the past, as time passing would).
    app.execute_sql(&format!(
        "UPDATE price_list_versions SET effective_from = '2001-01-01 00:00:00' WHERE id = '{}'",
        v2.str("id")
    ))
    .await;
    let res = app.send(revalidate(tag.clone())).await;
    res.assert(200);
    assert_eq!(res.body["defaultMarkupPercent"], "20");
    let moved = res.header("etag").unwrap();
    assert_ne!(moved, tag);
    // A change made on the copy read before is refused; on the new one it applies.
    let rename = |tag: String| {
        request(
            Method::PATCH,
            &url,
            Some(&ga),
            Some(json!({ "name": "Partners 2031" })),
        )
        .insert_header((header::IF_MATCH, tag))
    };
    app.send(rename(tag))
        .await
        .assert_problem(412, "precondition_failed");
    let renamed = app.send(rename(moved.clone())).await;
    renamed.assert(200);
    assert_ne!(renamed.header("etag").unwrap(), moved);
    app.send(revalidate(renamed.header("etag").unwrap()))
        .await
        .assert(304);
    // Another list made the default takes the flag from this one, and this one's tag moves.
    app.patch(&url, &ga, json!({ "isDefault": true }))
        .await
        .assert(200);
    let was_default = app.get(&url, &ga).await;
    let other = create_list(&app, &ga, "Everyone", "8").await;
    app.patch(
        &format!("/v1/price-lists/{other}"),
        &ga,
        json!({ "isDefault": true }),
    )
    .await
    .assert(200);
    let res = app
        .send(revalidate(was_default.header("etag").unwrap()))
        .await;
    res.assert(200);
    assert_eq!(res.body["isDefault"], false);
}
