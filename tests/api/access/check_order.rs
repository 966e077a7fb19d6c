//! Checks run in one order — authentication, authorization, idempotency, validation — whatever
//! the request holds: a revoked token is 401 even with a malformed body, and an `Idempotency-Key`
//! is looked at only once the caller is signed in and allowed.

use actix_web::http::Method;
use serde_json::json;

use crate::harness::*;

/// Revokes every token of `user` (a password change advances its credentials version).
async fn revoke(app: &TestApp, user: &str) {
    app.call(
        Method::POST,
        "/v1/auth/password",
        None,
        Some(json!({ "username": user, "currentPassword": PASSWORD, "newPassword": "Another-Passw0rd!" })),
    )
    .await
    .assert(204);
}

#[actix_rt::test]
async fn post_with_revoked_token_and_malformed_body_is_401() {
    let app = TestApp::new().await;
    let sa = app.token(PROVIDER_SA).await;
    revoke(&app, PROVIDER_SA).await;
    let adatum = app.customer_id("adatum.example").await;
    // Wrong types, a missing field, a body that is not JSON: 401 each time.
    app.post("/v1/customers", &sa, json!({ "companyName": 7 }))
        .await
        .assert_problem(401, "token_revoked");
    app.post(
        &format!("/v1/customers/{adatum}/orders"),
        &sa,
        json!({ "lineItems": "none" }),
    )
    .await
    .assert_problem(401, "token_revoked");
    app.send(
        actix_web::test::TestRequest::post()
            .uri("/v1/customers")
            .insert_header(("Authorization", format!("Bearer {sa}")))
            .insert_header(("Content-Type", "application/json"))
            .set_payload("{not json"),
    )
    .await
    .assert_problem(401, "token_revoked");
    // A path that is not an id, with a key: still 401.
    app.send(request_with(
        Method::POST,
        "/v1/customers/not-a-uuid/orders",
        &sa,
        Some(json!({})),
        &[("Idempotency-Key", "k-1")],
    ))
    .await
    .assert_problem(401, "token_revoked");
}

#[actix_rt::test]
async fn post_with_overlong_idempotency_key_without_token_is_401() {
    let app = TestApp::new().await;
    let key = "k".repeat(300);
    let res = app
        .send(
            actix_web::test::TestRequest::post()
                .uri("/v1/customers")
                .insert_header(("Content-Type", "application/json"))
                .insert_header(("Idempotency-Key", key.as_str()))
                .set_payload("{}"),
        )
        .await;
    res.assert_problem(401, "unauthorized");
}

#[actix_rt::test]
async fn order_with_bad_idempotency_key_by_user_admin_is_403() {
    let app = TestApp::new().await;
    let uma = app.token(PROVIDER_UMA).await;
    let adatum = app.customer_id("adatum.example").await;
    let key = "k".repeat(300);
    app.send(request_with(
        Method::POST,
        &format!("/v1/customers/{adatum}/orders"),
        &uma,
        Some(json!({ "lineItems": [] })),
        &[("Idempotency-Key", key.as_str())],
    ))
    .await
    .assert(403);
    // The allowed caller gets the key refused before its body is looked at.
    let sa = app.token(PROVIDER_SA).await;
    let res = app
        .send(request_with(
            Method::POST,
            &format!("/v1/customers/{adatum}/orders"),
            &sa,
            Some(json!({ "lineItems": "not a list" })),
            &[("Idempotency-Key", key.as_str())],
        ))
        .await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(res.body["errors"][0]["field"], "Idempotency-Key");
}

#[actix_rt::test]
async fn reused_key_with_invalid_body_is_refused_as_reused_before_validation() {
    let app = TestApp::new().await;
    let sa = app.token(PROVIDER_SA).await;
    let adatum = app.customer_id("adatum.example").await;
    let orders = format!("/v1/customers/{adatum}/orders");
    app.send(request_with(
        Method::POST,
        &orders,
        &sa,
        Some(json!({ "lineItems": [line(EXCHANGE_ONLINE_PLAN_1, 1, "monthly", None)] })),
        &[("Idempotency-Key", "order-1")],
    ))
    .await
    .assert(201);
    app.send(request_with(
        Method::POST,
        &orders,
        &sa,
        Some(json!({ "lineItems": "not a list" })),
        &[("Idempotency-Key", "order-1")],
    ))
    .await
    .assert_problem(422, "idempotency_key_reused");
    // A fresh key with the same invalid body: the body's own problem, and the key stays free.
    app.send(request_with(
        Method::POST,
        &orders,
        &sa,
        Some(json!({ "lineItems": "not a list" })),
        &[("Idempotency-Key", "order-2")],
    ))
    .await
    .assert_problem(422, "validation_failed");
    app.send(request_with(
        Method::POST,
        &orders,
        &sa,
        Some(json!({ "lineItems": [line(EXCHANGE_ONLINE_PLAN_1, 1, "monthly", None)] })),
        &[("Idempotency-Key", "order-2")],
    ))
    .await
    .assert(201);
}

/// A change of a customer's data reloads its caller in the statement that reaches (and locks)
/// the customer: a user's and an application's orders are placed there; a customer of another
/// provider is 404; once the token is revoked (a password change, a deleted application) the
/// answer is 401 whether the customer is reached or not, and nothing is ordered.
#[actix_rt::test]
async fn customer_scoped_change_reloads_its_caller_first() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let sa = app.token(PROVIDER_SA).await;
    let adatum = app.customer_id("adatum.example").await;
    let (other, _) = app
        .other_provider("Other Distribution", "owner@other.example")
        .await;
    let litware = app
        .create_customer(&other, "Litware", "litware.example", None)
        .await["customer"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let created = app
        .create_application(&ga, "Order bot", &["sales_agent"])
        .await;
    let application = created["application"]["id"].as_str().unwrap().to_owned();
    let bot = app
        .client_sign_in(
            created["application"]["clientId"].as_str().unwrap(),
            created["clientSecret"].as_str().unwrap(),
        )
        .await
        .str("access_token");
    let order = |customer: &str| {
        (
            format!("/v1/customers/{customer}/orders"),
            json!({ "lineItems": [line(M365_BUSINESS_BASIC, 1, "monthly", None)] }),
        )
    };
    let orders_of = |customer: &str| format!("/v1/customers/{customer}/orders?limit=500");
    let placed = app.get(&orders_of(&adatum), &ga).await.items().len();

    for token in [&sa, &bot] {
        let (path, body) = order(&adatum);
        app.post(&path, token, body).await.assert(201);
        let (path, body) = order(&litware);
        app.post(&path, token, body)
            .await
            .assert_problem(404, "not_found");
    }
    assert_eq!(
        app.get(&orders_of(&adatum), &ga).await.items().len(),
        placed + 2
    );

    revoke(&app, PROVIDER_SA).await;
    app.delete(&format!("/v1/applications/{application}"), &ga)
        .await
        .assert(204);
    for token in [&sa, &bot] {
        for customer in [&adatum, &litware] {
            let (path, body) = order(customer);
            app.post(&path, token, body)
                .await
                .assert_problem(401, "token_revoked");
        }
    }
    assert_eq!(
        app.get(&orders_of(&adatum), &ga).await.items().len(),
        placed + 2
    );
}
