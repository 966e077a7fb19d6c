//! Every error is problem+json: extractor failures, unknown routes, request ids.

use actix_web::http::{Method, header};
use actix_web::test::TestRequest;

use crate::harness::*;

#[actix_rt::test]
async fn malformed_json_wrong_content_type_and_oversized_bodies_are_problems() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_SA).await;
    let base = || {
        TestRequest::post()
            .uri("/v1/customers")
            .insert_header((header::AUTHORIZATION, format!("Bearer {token}")))
    };
    let bad_json = app
        .send(
            base()
                .insert_header((header::CONTENT_TYPE, "application/json"))
                .set_payload("{not json"),
        )
        .await;
    bad_json.assert_problem(400, "invalid_json");
    let text = app
        .send(
            base()
                .insert_header((header::CONTENT_TYPE, "text/plain"))
                .set_payload("hello"),
        )
        .await;
    text.assert_problem(415, "unsupported_media_type");
    let huge = format!("{{\"companyName\":\"{}\"}}", "x".repeat(70 * 1024));
    let big = app
        .send(
            base()
                .insert_header((header::CONTENT_TYPE, "application/json"))
                .set_payload(huge),
        )
        .await;
    big.assert_problem(413, "payload_too_large");
    let unknown = app
        .send(
            base()
                .insert_header((header::CONTENT_TYPE, "application/json"))
                .set_payload(
                    serde_json::to_string(&{
                        let mut b = customer_body("X", "x.example", None);
                        b["surprise"] = serde_json::json!(1);
                        b
                    })
                    .unwrap(),
                ),
        )
        .await;
    unknown.assert_problem(422, "validation_failed");
    assert_eq!(unknown.body["errors"][0]["field"], "surprise");
}

#[actix_rt::test]
async fn bad_path_id_and_unknown_route_are_problems() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_SA).await;
    let res = app.get("/v1/customers/not-a-uuid", &token).await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(res.body["errors"][0]["field"], "customerId");
    app.get("/v1/no-such-thing", &token)
        .await
        .assert_problem(404, "route_not_found");
}

#[actix_rt::test]
async fn request_id_is_echoed_generated_and_in_problems() {
    let app = TestApp::new().await;
    let res = app
        .send(
            TestRequest::get()
                .uri("/v1/me")
                .insert_header(("X-Request-Id", "abc-123")),
        )
        .await;
    assert_eq!(res.header("x-request-id").as_deref(), Some("abc-123"));
    assert_eq!(res.body["requestId"], "abc-123");
    let alias = app
        .send(
            TestRequest::get()
                .uri("/health/live")
                .insert_header(("MS-CorrelationId", "corr-9")),
        )
        .await;
    assert_eq!(alias.header("x-request-id").as_deref(), Some("corr-9"));
    let generated = app.call(Method::GET, "/health/live", None, None).await;
    assert!(generated.header("x-request-id").unwrap().len() >= 32);
}

#[actix_rt::test]
async fn health_probes_answer() {
    let app = TestApp::new().await;
    app.call(Method::GET, "/health/live", None, None)
        .await
        .assert(200);
    let ready = app.call(Method::GET, "/health/ready", None, None).await;
    ready.assert(200);
    assert_eq!(ready.body["status"], "ok");
}

#[actix_rt::test]
async fn requests_over_the_per_caller_budget_answer_429_with_retry_after() {
    let app = TestApp::with_config(|c| c.request_rate_limit_per_minute = 3).await;
    let sa = app.token(PROVIDER_SA).await;
    let ha = app.token(PROVIDER_HA).await;
    for _ in 0..3 {
        app.get("/v1/me", &sa).await.assert(200);
    }
    let limited = app.get("/v1/me", &sa).await;
    limited.assert_problem(429, "rate_limited");
    let retry: u64 = limited
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    // Another caller has its own budget; probes are not counted.
    app.get("/v1/me", &ha).await.assert(200);
    for _ in 0..5 {
        app.call(Method::GET, "/health/live", None, None)
            .await
            .assert(200);
    }
}

#[actix_rt::test]
async fn missing_fields_and_nul_characters_are_422_naming_the_field() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_SA).await;
    let missing = app
        .post("/v1/customers", &token, serde_json::json!({}))
        .await;
    missing.assert_problem(422, "validation_failed");
    assert_eq!(missing.body["errors"][0]["field"], "companyName");
    assert_eq!(missing.body["errors"][0]["code"], "required");
    let mut nested = customer_body("Nested", "nested.example", None);
    nested["billingProfile"]
        .as_object_mut()
        .unwrap()
        .remove("email");
    let res = app.post("/v1/customers", &token, nested).await;
    assert_eq!(res.body["errors"][0]["field"], "billingProfile.email");

    let nul = app
        .post(
            "/v1/customers",
            &token,
            customer_body("Bad\u{0}Name", "nul.example", None),
        )
        .await;
    nul.assert_problem(422, "validation_failed");
    assert_eq!(nul.body["errors"][0]["field"], "companyName");
    let q = app.get("/v1/customers?q=%00", &token).await;
    q.assert_problem(422, "validation_failed");
    assert_eq!(q.body["errors"][0]["field"], "q");
    app.get("/v1/offers/%00", &token)
        .await
        .assert_problem(422, "validation_failed");
    let sign_in = app.sign_in("a\u{0}b@x.example", "whatever").await;
    sign_in.assert(400);
    assert_eq!(sign_in.body["error"], "invalid_request");
    let change = app
        .call(
            Method::POST,
            "/v1/auth/password",
            None,
            Some(serde_json::json!({ "username": "a\u{0}b", "currentPassword": "x", "newPassword": "Another-Passw0rd!" })),
        )
        .await;
    change.assert_problem(422, "validation_failed");
}

#[actix_rt::test]
async fn wrong_method_on_a_known_path_is_405_with_allow() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_SA).await;
    let res = app
        .put("/v1/customers", &token, serde_json::json!({}))
        .await;
    res.assert_problem(405, "method_not_allowed");
    assert_eq!(res.header("allow").as_deref(), Some("GET, HEAD, POST"));
    let id = app.customer_id("adatum.example").await;
    let res = app.delete(&format!("/v1/customers/{id}"), &token).await;
    res.assert_problem(405, "method_not_allowed");
    assert_eq!(res.header("allow").as_deref(), Some("GET, HEAD, PATCH"));
    app.get("/v1/customers/x/y/z", &token)
        .await
        .assert_problem(404, "route_not_found");
}

/// A stored id that is not a UUID fails loudly: the read answers 500 `internal_error` (the cause
/// is logged), never a response carrying the nil UUID.
#[actix_rt::test]
async fn a_corrupt_stored_id_is_an_internal_error_not_a_nil_uuid() {
    let app = TestApp::new().await;
    let provider = app.tenant_id(PROVIDER_GA).await;
    app.execute_sql(&format!(
        "INSERT INTO audit_records (id, partner_id, customer_id, actor_type, actor_id, \
         actor_name, operation_type, resource_type, resource_id, old_value, new_value, \
         request_id, created_at) VALUES ('{}', '{provider}', NULL, 'user', 'not-a-uuid', \
         'corrupt', 'update_customer', 'customer', 'r1', NULL, NULL, 'corrupt', \
         '2026-01-01 00:00:00')",
        uuid::Uuid::now_v7()
    ))
    .await;
    let token = app.token(PROVIDER_GA).await;
    let res = app.get("/v1/audit-records?limit=500", &token).await;
    res.assert_problem(500, "internal_error");
}

/// A stored offer id that is not a UUID — the row's own, or one in its JSON lists — fails
/// loudly too: 500 `internal_error`, never a silently shorter list or a wrong id.
#[actix_rt::test]
async fn a_corrupt_stored_offer_id_is_an_internal_error() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_GA).await;
    app.get("/v1/offers?limit=500", &token).await.assert(200);
    app.execute_sql(
        "INSERT INTO offers (id, name, description, product_family, min_quantity, max_quantity, \
           unit_price_minor, currency, billing_cycles, is_add_on, prerequisite_offer_ids, \
           upgrade_target_offer_ids, limit_per_customer, created_at, updated_at) \
         VALUES ('not-a-uuid', 'Corrupt', '', 'test', 1, 100, 1000, 'USD', '[\"monthly\"]', \
           FALSE, '[]', '[]', NULL, '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
    )
    .await;
    app.get("/v1/offers?limit=500", &token)
        .await
        .assert_problem(500, "internal_error");
    app.get(&format!("/v1/offers/{M365_BUSINESS_BASIC}"), &token)
        .await
        .assert(200);
    app.execute_sql(&format!(
        "UPDATE offers SET upgrade_target_offer_ids = '[\"not-a-uuid\"]' \
         WHERE id = '{M365_BUSINESS_BASIC}'"
    ))
    .await;
    app.get(&format!("/v1/offers/{M365_BUSINESS_BASIC}"), &token)
        .await
        .assert_problem(500, "internal_error");
}
