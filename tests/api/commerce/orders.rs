//! Orders: each ordering rule's refusal, all-or-nothing, add-ons and limits, listing and
//! reading, and the Idempotency-Key proof (20 concurrent checkouts or orders with one key create
//! exactly one order; replays and reused keys).

use actix_web::http::Method;
use futures::future::join_all;
use serde_json::{Value, json};

use crate::harness::*;

fn orders(customer: &str) -> String {
    format!("/v1/customers/{customer}/orders")
}

async fn count(app: &TestApp, token: &str, path: &str) -> usize {
    let res = app.get(&format!("{path}?limit=500"), token).await;
    res.assert(200);
    res.items().len()
}

#[actix_rt::test]
async fn create_order_refuses_each_rule_naming_the_field_at_fault() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_SA).await;
    let provider = app.tenant_id_of_token(&token).await;
    let fabrikam = app.tenant_id_of_token(&app.token(RESELLER_GA).await).await;
    let adatum = app.customer_id("adatum.example").await;
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            json!([line(UNKNOWN_OFFER, 1, "monthly", None)]),
            "unknown_offer",
            "lineItems[0].offerId",
        ),
        (
            json!([line(M365_BUSINESS_BASIC, 301, "monthly", None)]),
            "quantity_out_of_range",
            "lineItems[0].quantity",
        ),
        (
            json!([line(M365_E3, 4, "annual", None)]),
            "quantity_out_of_range",
            "lineItems[0].quantity",
        ),
        (
            json!([
                line(M365_BUSINESS_STANDARD, 5, "monthly", None),
                line(COPILOT_M365, 5, "monthly", None)
            ]),
            "billing_cycle_not_offered",
            "lineItems[1].billingCycle",
        ),
        (
            json!([line(
                M365_BUSINESS_BASIC,
                1,
                "monthly",
                Some(fabrikam.as_str())
            )]),
            "partnership_required",
            "lineItems[0].partnerIdOnRecord",
        ),
        (
            json!([line(
                M365_BUSINESS_BASIC,
                1,
                "monthly",
                Some(provider.as_str())
            )]),
            "partnership_required",
            "lineItems[0].partnerIdOnRecord",
        ),
        (
            json!([line(EXCHANGE_ONLINE_ARCHIVING, 5, "monthly", None)]),
            "prerequisite_required",
            "lineItems[0].offerId",
        ),
        (
            json!([
                line(AZURE_PLAN, 1, "monthly", None),
                line(AZURE_PLAN, 1, "monthly", None)
            ]),
            "limit_per_customer_exceeded",
            "lineItems[1].offerId",
        ),
        (
            json!([
                line(M365_BUSINESS_BASIC, 1, "monthly", None),
                line(M365_BUSINESS_BASIC_EUR, 1, "monthly", None)
            ]),
            "mixed_currencies",
            "lineItems[1].offerId",
        ),
        (
            json!([line(M365_BUSINESS_BASIC, 0, "monthly", None)]),
            "validation_failed",
            "lineItems[0].quantity",
        ),
        (
            json!([line(M365_BUSINESS_BASIC, 1, "weekly", None)]),
            "validation_failed",
            "lineItems[0].billingCycle",
        ),
        (json!([]), "validation_failed", "lineItems"),
    ];
    for (lines, code, field) in cases {
        let res = app
            .post(&orders(&adatum), &token, json!({ "lineItems": lines }))
            .await;
        res.assert_problem(422, code);
        assert_eq!(res.body["errors"][0]["field"], field, "{}", res.text);
    }
    assert_eq!(count(&app, &token, &orders(&adatum)).await, 0);
    let subs = format!("/v1/customers/{adatum}/subscriptions");
    assert_eq!(count(&app, &token, &subs).await, 0);
}

#[actix_rt::test]
async fn create_order_accepts_an_add_on_whose_base_is_in_the_order_or_owned_and_active() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_SA).await;
    let adatum = app.customer_id("adatum.example").await;
    let first = app
        .order(
            &token,
            &adatum,
            vec![
                line(M365_BUSINESS_STANDARD, 5, "monthly", None),
                line(EXCHANGE_ONLINE_ARCHIVING, 5, "monthly", None),
            ],
        )
        .await;
    let base = first["subscriptions"][0]["id"].as_str().unwrap().to_owned();
    app.order(
        &token,
        &adatum,
        vec![line(TEAMS_PHONE_STANDARD, 5, "monthly", None)],
    )
    .await;
    app.patch(
        &format!("/v1/customers/{adatum}/subscriptions/{base}"),
        &token,
        json!({ "status": "suspended" }),
    )
    .await
    .assert(200);
    let res = app
        .post(
            &orders(&adatum),
            &token,
            json!({ "lineItems": [line(TEAMS_AUDIO_CONFERENCING, 5, "monthly", None)] }),
        )
        .await;
    res.assert_problem(422, "prerequisite_required");
    assert!(res.body["detail"].as_str().unwrap().contains("active"));
}

#[actix_rt::test]
async fn create_order_counts_existing_subscriptions_against_the_limit_per_customer() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_SA).await;
    let adatum = app.customer_id("adatum.example").await;
    app.order(&token, &adatum, vec![line(AZURE_PLAN, 1, "monthly", None)])
        .await;
    let res = app
        .post(
            &orders(&adatum),
            &token,
            json!({ "lineItems": [line(AZURE_PLAN, 1, "monthly", None)] }),
        )
        .await;
    res.assert_problem(422, "limit_per_customer_exceeded");
    assert_eq!(res.body["errors"][0]["field"], "lineItems[0].offerId");
    // The limit is per customer: another customer may still buy one.
    let tailspin = app.customer_id("tailspin.example").await;
    app.order(
        &token,
        &tailspin,
        vec![line(AZURE_PLAN, 1, "monthly", None)],
    )
    .await;
}

/// Orders for one customer queue on its row: of eight sent at once (no `Idempotency-Key`) for an
/// offer a customer may hold once, exactly one is placed and the others count it.
#[actix_rt::test]
async fn concurrent_orders_count_each_other_against_the_limit_per_customer() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_SA).await;
    let adatum = app.customer_id("adatum.example").await;
    let path = orders(&adatum);
    let results = join_all((0..8).map(|_| {
        app.post(
            &path,
            &token,
            json!({ "lineItems": [line(AZURE_PLAN, 1, "monthly", None)] }),
        )
    }))
    .await;
    let statuses: Vec<u16> = results.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    for r in results.iter().filter(|r| r.status.as_u16() != 201) {
        r.assert_problem(422, "limit_per_customer_exceeded");
    }
    assert_eq!(count(&app, &token, &orders(&adatum)).await, 1);
}

#[actix_rt::test]
async fn create_order_failure_leaves_nothing_half_written() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_SA).await;
    let adatum = app.customer_id("adatum.example").await;
    let res = app
        .post(
            &orders(&adatum),
            &token,
            json!({ "lineItems": [
                line(M365_BUSINESS_BASIC, 5, "monthly", None),
                line(AZURE_PLAN, 1, "monthly", None),
                line(AZURE_PLAN, 1, "monthly", None),
            ] }),
        )
        .await;
    res.assert_problem(422, "limit_per_customer_exceeded");
    assert_eq!(count(&app, &token, &orders(&adatum)).await, 0);
    let subs = format!("/v1/customers/{adatum}/subscriptions");
    assert_eq!(count(&app, &token, &subs).await, 0);
    assert_eq!(app.audit_count(&adatum, "create_order").await, 0);
}

#[actix_rt::test]
async fn list_orders_pages_and_get_order_reads_one() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_AA).await;
    let adatum = app.customer_id("adatum.example").await;
    let mut placed = Vec::new();
    for q in 1..=3 {
        let body = app
            .order(
                &token,
                &adatum,
                vec![line(M365_BUSINESS_BASIC, q, "monthly", None)],
            )
            .await;
        placed.push(body["order"]["id"].as_str().unwrap().to_owned());
    }
    let first = app
        .get(&format!("{}?limit=2", orders(&adatum)), &token)
        .await;
    assert_eq!(first.items().len(), 2);
    let next = first.body["links"]["next"].as_str().unwrap().to_owned();
    let second = app.get(&next, &token).await;
    assert_eq!(second.items().len(), 1);
    assert!(second.body.get("nextCursor").is_none());
    let listed: Vec<String> = first
        .items()
        .iter()
        .chain(second.items().iter())
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(listed, placed);
    let one = app
        .get(&format!("{}/{}", orders(&adatum), placed[2]), &token)
        .await;
    one.assert(200);
    assert_eq!(one.header("etag").unwrap(), "\"v1\"", "orders never change");
    assert_eq!(one.body["total"]["amountMinor"], 3 * 600);
    assert_eq!(one.body["lineItems"][0]["quantity"], 3);
    app.get(
        &format!("{}/{}", orders(&adatum), uuid::Uuid::now_v7()),
        &token,
    )
    .await
    .assert_problem(404, "not_found");
    let (other, _) = app
        .other_provider("Other Distribution", "owner@other.example")
        .await;
    app.get(&format!("{}/{}", orders(&adatum), placed[0]), &other)
        .await
        .assert_problem(404, "not_found");
}

/// Sends 20 copies of `make()` at once; returns the first 201 after asserting that every answer
/// is that same 201 (replayed) or 409 `idempotency_request_in_progress`.
async fn twenty_at_once(app: &TestApp, make: impl Fn() -> actix_web::test::TestRequest) -> Res {
    let results = join_all((0..20).map(|_| app.send(make()))).await;
    let created: Vec<&Res> = results
        .iter()
        .filter(|r| r.status.as_u16() == 201)
        .collect();
    assert!(!created.is_empty(), "no request succeeded: {results:?}");
    for r in &results {
        match r.status.as_u16() {
            201 => assert_eq!(r.text, created[0].text, "two different 201 bodies"),
            _ => {
                r.assert_problem(409, "idempotency_request_in_progress");
            }
        }
    }
    let fresh = created
        .iter()
        .filter(|r| r.header("idempotent-replayed").is_none())
        .count();
    assert_eq!(fresh, 1, "more than one request ran");
    let first = created[0];
    Res {
        status: first.status,
        headers: first.headers.clone(),
        body: first.body.clone(),
        text: first.text.clone(),
    }
}

#[actix_rt::test]
async fn concurrent_checkouts_with_one_idempotency_key_create_exactly_one_order() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_SA).await;
    let adatum = app.customer_id("adatum.example").await;
    let cart = app
        .cart(
            &token,
            &adatum,
            vec![
                line(M365_BUSINESS_BASIC, 4, "monthly", None),
                line(EXCHANGE_ONLINE_PLAN_1, 2, "annual", None),
            ],
        )
        .await;
    let checkout = format!("/v1/customers/{adatum}/carts/{}/checkout", cart.str("id"));
    let key = "checkout-7f3a";
    let send = || {
        request_with(
            Method::POST,
            &checkout,
            &token,
            None,
            &[("Idempotency-Key", key)],
        )
    };
    let first = twenty_at_once(&app, send).await;
    assert_eq!(count(&app, &token, &orders(&adatum)).await, 1);
    let subs = format!("/v1/customers/{adatum}/subscriptions");
    assert_eq!(count(&app, &token, &subs).await, 2);

    let replay = app.send(send()).await;
    replay.assert(201);
    assert_eq!(
        replay.header("idempotent-replayed").as_deref(),
        Some("true")
    );
    assert_eq!(replay.text, first.text);
    assert_eq!(replay.header("location"), first.header("location"));

    let other_cart = app
        .cart(
            &token,
            &adatum,
            vec![line(M365_BUSINESS_BASIC, 1, "monthly", None)],
        )
        .await;
    let reused = app
        .send(request_with(
            Method::POST,
            &format!(
                "/v1/customers/{adatum}/carts/{}/checkout",
                other_cart.str("id")
            ),
            &token,
            None,
            &[("Idempotency-Key", key)],
        ))
        .await;
    reused.assert_problem(422, "idempotency_key_reused");
    assert_eq!(count(&app, &token, &orders(&adatum)).await, 1);
}

#[actix_rt::test]
async fn concurrent_orders_with_one_idempotency_key_create_exactly_one_order() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_SA).await;
    let adatum = app.customer_id("adatum.example").await;
    let body = json!({ "lineItems": [line(M365_BUSINESS_STANDARD, 8, "annual", None)] });
    let key = "order-2c91";
    let send = |headers: &[(&str, &str)], body: &Value| {
        request_with(
            Method::POST,
            &orders(&adatum),
            &token,
            Some(body.clone()),
            headers,
        )
    };
    let first = twenty_at_once(&app, || send(&[("Idempotency-Key", key)], &body)).await;
    assert_eq!(count(&app, &token, &orders(&adatum)).await, 1);

    let replay = app.send(send(&[("MS-RequestId", key)], &body)).await;
    replay.assert(201);
    assert_eq!(
        replay.header("idempotent-replayed").as_deref(),
        Some("true")
    );
    assert_eq!(replay.text, first.text);

    let other_body = json!({ "lineItems": [line(M365_BUSINESS_STANDARD, 9, "annual", None)] });
    app.send(send(&[("Idempotency-Key", key)], &other_body))
        .await
        .assert_problem(422, "idempotency_key_reused");
    assert_eq!(count(&app, &token, &orders(&adatum)).await, 1);

    // Keys are scoped to the caller: another user's identical request is a new order.
    let ga = app.token(PROVIDER_GA).await;
    let theirs = app
        .send(request_with(
            Method::POST,
            &orders(&adatum),
            &ga,
            Some(body.clone()),
            &[("Idempotency-Key", key)],
        ))
        .await;
    theirs.assert(201);
    assert!(theirs.header("idempotent-replayed").is_none());
    assert_eq!(count(&app, &token, &orders(&adatum)).await, 2);
}

#[actix_rt::test]
async fn create_order_among_many_other_subscriptions_counts_only_the_same_offer() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_SA).await;
    let adatum = app.customer_id("adatum.example").await;
    // Many subscriptions to other offers, one of them the add-on's base, then suspended ones.
    let many: Vec<_> = (0..30)
        .map(|_| line(EXCHANGE_ONLINE_PLAN_1, 1, "monthly", None))
        .collect();
    app.order(&token, &adatum, many).await;
    app.order(
        &token,
        &adatum,
        vec![line(M365_BUSINESS_STANDARD, 5, "monthly", None)],
    )
    .await;
    // The add-on's base is owned and active; the limited offer is not held yet.
    app.order(
        &token,
        &adatum,
        vec![
            line(EXCHANGE_ONLINE_ARCHIVING, 5, "monthly", None),
            line(AZURE_PLAN, 1, "monthly", None),
        ],
    )
    .await;
    let res = app
        .post(
            &orders(&adatum),
            &token,
            json!({ "lineItems": [
                line(EXCHANGE_ONLINE_PLAN_1, 1, "monthly", None),
                line(AZURE_PLAN, 1, "monthly", None),
            ] }),
        )
        .await;
    res.assert_problem(422, "limit_per_customer_exceeded");
    assert_eq!(res.body["errors"][0]["field"], "lineItems[1].offerId");
}
