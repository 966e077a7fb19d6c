//! HTTP features integrators expect: HEAD on every GET route, conditional GET (`If-None-Match` →
//! 304), CORS when configured, the Partner Center request ids echoed, the IETF rate-limit headers
//! and the Prometheus metrics endpoint.

use actix_web::http::{Method, header};
use actix_web::test::TestRequest;

use crate::harness::*;

fn offer_path() -> String {
    format!("/v1/offers/{M365_BUSINESS_BASIC}")
}

#[actix_rt::test]
async fn head_on_get_route_answers_get_headers_without_body() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_GA).await;
    let get = app.get(&offer_path(), &token).await;
    get.assert(200);
    let head = app
        .call(Method::HEAD, &offer_path(), Some(&token), None)
        .await;
    head.assert(200);
    assert_eq!(head.text, "");
    assert_eq!(head.header("etag"), get.header("etag"));
    assert_eq!(head.header("content-type"), get.header("content-type"));
}

#[actix_rt::test]
async fn head_on_collection_answers_200_without_body() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_GA).await;
    let head = app
        .call(Method::HEAD, "/v1/customers", Some(&token), None)
        .await;
    head.assert(200);
    assert_eq!(head.text, "");
}

#[actix_rt::test]
async fn head_on_post_only_route_answers_405_listing_methods() {
    let app = TestApp::new().await;
    let res = app.call(Method::HEAD, "/v1/auth/token", None, None).await;
    assert_eq!(res.status.as_u16(), 405);
    assert_eq!(res.header("allow").as_deref(), Some("POST"));
}

#[actix_rt::test]
async fn get_with_matching_if_none_match_answers_304_without_body() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_GA).await;
    let etag = app
        .get(&offer_path(), &token)
        .await
        .header("etag")
        .expect("an ETag");
    let res = app
        .send(
            TestRequest::get()
                .uri(&offer_path())
                .insert_header((header::AUTHORIZATION, format!("Bearer {token}")))
                .insert_header((header::IF_NONE_MATCH, format!("\"x\", W/{etag}"))),
        )
        .await;
    assert_eq!(res.status.as_u16(), 304);
    assert_eq!(res.text, "");
    assert_eq!(res.header("etag"), Some(etag));
}

#[actix_rt::test]
async fn get_with_stale_if_none_match_answers_200_with_body() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_GA).await;
    let res = app
        .send(
            TestRequest::get()
                .uri(&offer_path())
                .insert_header((header::AUTHORIZATION, format!("Bearer {token}")))
                .insert_header((header::IF_NONE_MATCH, "\"v0\"")),
        )
        .await;
    res.assert(200);
    assert_eq!(res.body["id"], M365_BUSINESS_BASIC);
}

#[actix_rt::test]
async fn get_resource_changed_since_etag_answers_200() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_GA).await;
    let me = app.get("/v1/partner", &token).await;
    me.assert(200);
    let etag = me.header("etag").expect("an ETag");
    app.patch(
        "/v1/partner",
        &token,
        serde_json::json!({ "name": "Contoso Distribution Ltd" }),
    )
    .await
    .assert(200);
    let res = app
        .send(
            TestRequest::get()
                .uri("/v1/partner")
                .insert_header((header::AUTHORIZATION, format!("Bearer {token}")))
                .insert_header((header::IF_NONE_MATCH, etag.clone())),
        )
        .await;
    res.assert(200);
    assert_ne!(res.header("etag"), Some(etag));
}

#[actix_rt::test]
async fn preflight_from_allowed_origin_answers_cors_headers() {
    let app = TestApp::with_config(|c| {
        c.cors_allowed_origins = vec!["https://app.example".to_owned()];
    })
    .await;
    let res = app
        .send(
            TestRequest::default()
                .method(Method::OPTIONS)
                .uri("/v1/customers")
                .insert_header((header::ORIGIN, "https://app.example"))
                .insert_header((header::ACCESS_CONTROL_REQUEST_METHOD, "POST"))
                .insert_header((
                    header::ACCESS_CONTROL_REQUEST_HEADERS,
                    "authorization, content-type, idempotency-key",
                )),
        )
        .await;
    res.assert(200);
    assert_eq!(
        res.header("access-control-allow-origin").as_deref(),
        Some("https://app.example")
    );
    let methods = res
        .header("access-control-allow-methods")
        .unwrap_or_default();
    assert!(methods.contains("POST"), "{methods}");
}

#[actix_rt::test]
async fn get_from_allowed_origin_exposes_etag_and_request_id() {
    let app = TestApp::with_config(|c| {
        c.cors_allowed_origins = vec!["https://app.example".to_owned()];
    })
    .await;
    let token = app.token(PROVIDER_GA).await;
    let res = app
        .send(
            TestRequest::get()
                .uri(&offer_path())
                .insert_header((header::AUTHORIZATION, format!("Bearer {token}")))
                .insert_header((header::ORIGIN, "https://app.example")),
        )
        .await;
    res.assert(200);
    assert_eq!(
        res.header("access-control-allow-origin").as_deref(),
        Some("https://app.example")
    );
    let exposed = res
        .header("access-control-expose-headers")
        .unwrap_or_default()
        .to_lowercase();
    assert!(
        exposed.contains("etag") && exposed.contains("x-request-id"),
        "{exposed}"
    );
}

#[actix_rt::test]
async fn get_from_other_origin_answers_without_cors_headers() {
    let app = TestApp::with_config(|c| {
        c.cors_allowed_origins = vec!["https://app.example".to_owned()];
    })
    .await;
    let res = app
        .send(
            TestRequest::get()
                .uri("/health/live")
                .insert_header((header::ORIGIN, "https://evil.example")),
        )
        .await;
    assert_eq!(res.header("access-control-allow-origin"), None);
}

#[actix_rt::test]
async fn preflight_without_cors_configured_answers_405() {
    let app = TestApp::new().await;
    let res = app
        .send(
            TestRequest::default()
                .method(Method::OPTIONS)
                .uri("/v1/customers")
                .insert_header((header::ORIGIN, "https://app.example"))
                .insert_header((header::ACCESS_CONTROL_REQUEST_METHOD, "GET")),
        )
        .await;
    res.assert_problem(405, "method_not_allowed");
    assert_eq!(res.header("access-control-allow-origin"), None);
}

#[actix_rt::test]
async fn request_with_ms_ids_echoes_them_under_their_own_names() {
    let app = TestApp::new().await;
    let res = app
        .send(
            TestRequest::get()
                .uri("/health/live")
                .insert_header(("MS-CorrelationId", "corr-42"))
                .insert_header(("MS-RequestId", "req-7")),
        )
        .await;
    res.assert(200);
    assert_eq!(res.header("ms-correlationid").as_deref(), Some("corr-42"));
    assert_eq!(res.header("ms-requestid").as_deref(), Some("req-7"));
    assert_eq!(res.header("x-request-id").as_deref(), Some("corr-42"));
}

#[actix_rt::test]
async fn request_without_ms_ids_answers_without_them() {
    let app = TestApp::new().await;
    let res = app.send(TestRequest::get().uri("/health/live")).await;
    assert_eq!(res.header("ms-correlationid"), None);
    assert_eq!(res.header("ms-requestid"), None);
}

#[actix_rt::test]
async fn requests_within_budget_answer_ratelimit_headers_counting_down() {
    let app = TestApp::with_config(|c| c.request_rate_limit_per_minute = 5).await;
    let first = app.call(Method::GET, "/v1/offers", None, None).await;
    assert_eq!(
        first.header("ratelimit-policy").as_deref(),
        Some("\"default\";q=5;w=60")
    );
    assert!(
        first
            .header("ratelimit")
            .is_some_and(|v| v.starts_with("\"default\";r=4;t="))
    );
    let second = app.call(Method::GET, "/v1/offers", None, None).await;
    assert!(
        second
            .header("ratelimit")
            .is_some_and(|v| v.starts_with("\"default\";r=3;t="))
    );
}

#[actix_rt::test]
async fn request_over_budget_answers_429_with_ratelimit_and_retry_after() {
    let app = TestApp::with_config(|c| c.request_rate_limit_per_minute = 1).await;
    app.call(Method::GET, "/v1/offers", None, None).await;
    let res = app.call(Method::GET, "/v1/offers", None, None).await;
    res.assert_problem(429, "rate_limited");
    let wait = res.header("retry-after").expect("Retry-After");
    assert_eq!(
        res.header("ratelimit").as_deref(),
        Some(format!("\"default\";r=0;t={wait}").as_str())
    );
    assert_eq!(
        res.header("ratelimit-policy").as_deref(),
        Some("\"default\";q=1;w=60")
    );
}

#[actix_rt::test]
async fn health_probe_answers_without_ratelimit_headers() {
    let app = TestApp::with_config(|c| c.request_rate_limit_per_minute = 5).await;
    let res = app.send(TestRequest::get().uri("/health/live")).await;
    assert_eq!(res.header("ratelimit"), None);
}

const METRICS_TOKEN: &str = "metrics-token-for-tests";

#[actix_rt::test]
async fn metrics_with_token_answers_prometheus_text_by_route() {
    let app = TestApp::with_config(|c| c.metrics_token = Some(METRICS_TOKEN.to_owned())).await;
    let token = app.token(PROVIDER_GA).await;
    app.get(&offer_path(), &token).await.assert(200);
    let res = app
        .send(
            TestRequest::get()
                .uri("/metrics")
                .insert_header((header::AUTHORIZATION, format!("Bearer {METRICS_TOKEN}"))),
        )
        .await;
    res.assert(200);
    assert!(
        res.header("content-type")
            .is_some_and(|c| c.starts_with("text/plain"))
    );
    for series in [
        "http_requests_total{method=\"GET\",route=\"/v1/offers/{offerId}\",status=\"200\"}",
        "http_request_duration_seconds_bucket{method=\"GET\",route=\"/v1/offers/{offerId}\"",
        "db_pool_connections ",
        "db_pool_idle_connections ",
    ] {
        assert!(res.text.contains(series), "no {series} in:\n{}", res.text);
    }
}

#[actix_rt::test]
async fn metrics_with_wrong_token_answers_401() {
    let app = TestApp::with_config(|c| c.metrics_token = Some(METRICS_TOKEN.to_owned())).await;
    let res = app
        .send(
            TestRequest::get()
                .uri("/metrics")
                .insert_header((header::AUTHORIZATION, "Bearer wrong-token-wrong-token")),
        )
        .await;
    res.assert_problem(401, "unauthorized");
}

#[actix_rt::test]
async fn metrics_without_configured_token_answers_404() {
    let app = TestApp::new().await;
    let res = app
        .send(
            TestRequest::get()
                .uri("/metrics")
                .insert_header((header::AUTHORIZATION, "Bearer anything-at-all-here")),
        )
        .await;
    res.assert_problem(404, "route_not_found");
}

#[actix_rt::test]
async fn problem_type_is_absolute_uri_that_describes_the_problem() {
    let app = TestApp::new().await;
    let res = app.call(Method::GET, "/v1/customers", None, None).await;
    res.assert_problem(401, "unauthorized");
    let type_uri = res.str("type");
    assert_eq!(type_uri, "http://localhost:8080/problems/unauthorized");
    let path = type_uri.trim_start_matches("http://localhost:8080");
    let described = app.call(Method::GET, path, None, None).await;
    described.assert(200);
    assert_eq!(described.body["code"], "unauthorized");
    assert!(described.str("description").contains("POST /v1/auth/token"));
}

#[actix_rt::test]
async fn get_problem_with_malformed_code_answers_422() {
    let app = TestApp::new().await;
    let res = app
        .call(Method::GET, "/problems/Not%20a%20code", None, None)
        .await;
    res.assert_problem(422, "validation_failed");
}

#[actix_rt::test]
async fn update_with_malformed_if_match_answers_422_naming_the_header() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_GA).await;
    let res = app
        .send(request_with(
            Method::PATCH,
            "/v1/partner",
            &token,
            Some(serde_json::json!({ "name": "Contoso" })),
            &[("If-Match", "not-an-etag")],
        ))
        .await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(res.body["errors"][0]["field"], "If-Match");
}

#[actix_rt::test]
async fn list_with_a_cursor_this_api_did_not_return_answers_400_invalid_cursor() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_GA).await;
    // Made up, cut short, base64url of something other than an id, not base64url at all.
    for cursor in [
        "garbage",
        "AA",
        "zzzz",
        "%2B%2F",
        "MDE5YThmM2MtMjAwMC03NThi",
    ] {
        let res = app
            .get(&format!("/v1/offers?cursor={cursor}"), &token)
            .await;
        res.assert_problem(400, "invalid_cursor");
        assert_eq!(res.body["errors"][0]["field"], "cursor", "{cursor}");
    }
    let first = app.get("/v1/offers?limit=2", &token).await;
    first.assert(200);
    let next = first.str("nextCursor");
    app.get(&format!("/v1/offers?limit=2&cursor={next}"), &token)
        .await
        .assert(200);
}

#[actix_rt::test]
async fn create_order_with_whole_float_quantity_answers_201() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_GA).await;
    let customer = app.customer_id("adatum.example").await;
    let res = app
        .post(
            &format!("/v1/customers/{customer}/orders"),
            &token,
            serde_json::json!({ "lineItems": [{ "offerId": M365_BUSINESS_BASIC, "quantity": 10.0, "billingCycle": "monthly" }] }),
        )
        .await;
    res.assert(201);
}

#[actix_rt::test]
async fn create_order_with_fractional_quantity_answers_422() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_GA).await;
    let customer = app.customer_id("adatum.example").await;
    let res = app
        .post(
            &format!("/v1/customers/{customer}/orders"),
            &token,
            serde_json::json!({ "lineItems": [{ "offerId": M365_BUSINESS_BASIC, "quantity": 10.5, "billingCycle": "monthly" }] }),
        )
        .await;
    res.assert_problem(422, "validation_failed");
    assert!(res.text.contains("whole number"), "{}", res.text);
}

#[actix_rt::test]
async fn create_application_with_no_roles_answers_item_count_message() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_GA).await;
    let res = app
        .post(
            "/v1/applications",
            &token,
            serde_json::json!({ "displayName": "Sync", "roles": [] }),
        )
        .await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(res.body["errors"][0]["message"], "must have 1 to 3 items");
}

#[actix_rt::test]
async fn list_audit_records_with_zoneless_date_time_answers_rfc3339_hint() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_GA).await;
    let res = app
        .get("/v1/audit-records?from=2026-11-30T08:00:00", &token)
        .await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(
        res.body["errors"][0]["message"],
        "must be an RFC 3339 date-time with a time zone, e.g. 2026-11-30T08:00:00Z"
    );
}

#[actix_rt::test]
async fn delete_on_literal_path_beside_templated_route_answers_405() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_GA).await;
    let res = app
        .delete("/v1/indirect-resellers/invitations", &token)
        .await;
    res.assert_problem(405, "method_not_allowed");
    assert_eq!(res.header("allow").as_deref(), Some("GET, HEAD, POST"));
}
