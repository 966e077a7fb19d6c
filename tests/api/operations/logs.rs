//! Structured logs: the access line of a request carries its request id, trace id, route,
//! status, caller and tenant; `traceparent` is joined and returned.

use actix_web::test::TestRequest;

use crate::harness::*;

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

#[actix_rt::test]
async fn request_with_request_id_and_traceparent_logs_both_in_its_json_access_line() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_SA).await;
    let request_id = format!("log-test-{}", uuid::Uuid::new_v4().simple());
    let customer = app.customer_id("adatum.example").await;
    let res = app
        .send(
            TestRequest::get()
                .uri(&format!("/v1/customers/{customer}"))
                .insert_header(("Authorization", format!("Bearer {token}")))
                .insert_header(("X-Request-Id", request_id.as_str()))
                .insert_header(("traceparent", format!("00-{TRACE_ID}-00f067aa0ba902b7-01"))),
        )
        .await;
    res.assert(200);
    assert_eq!(
        res.header("x-request-id").as_deref(),
        Some(request_id.as_str())
    );
    let traceparent = res.header("traceparent").expect("traceparent returned");
    assert!(
        traceparent.starts_with(&format!("00-{TRACE_ID}-")) && traceparent.ends_with("-01"),
        "{traceparent}"
    );
    assert!(
        !traceparent.contains("00f067aa0ba902b7"),
        "the server's own span: {traceparent}"
    );

    let lines = logs::lines_with(&request_id);
    let access: Vec<_> = lines.iter().filter(|l| l["target"] == "access").collect();
    assert_eq!(access.len(), 1, "one access line: {lines:?}");
    let line = access[0];
    assert_eq!(line["request_id"], request_id.as_str());
    assert_eq!(line["trace_id"], TRACE_ID);
    assert_eq!(line["route"], "/v1/customers/{customerId}");
    assert_eq!(line["method"], "GET");
    assert_eq!(line["status"], 200);
    let user = app.user_id(PROVIDER_SA).await;
    assert_eq!(line["caller"], format!("user:{user}"));
    assert_eq!(line["tenant"], app.tenant_id(PROVIDER_SA).await);
    assert!(line["duration_ms"].is_u64(), "{line}");
    assert!(
        !line["msg"].as_str().unwrap_or_default().contains('?'),
        "the query string is not logged: {line}"
    );
}

#[actix_rt::test]
async fn request_without_traceparent_starts_a_trace_and_logs_its_id() {
    let app = TestApp::new().await;
    let request_id = format!("log-test-{}", uuid::Uuid::new_v4().simple());
    let res = app
        .send(
            TestRequest::get()
                .uri("/v1/customers?cursor=secret-link-token")
                .insert_header(("X-Request-Id", request_id.as_str())),
        )
        .await;
    res.assert(401);
    let traceparent = res.header("traceparent").expect("traceparent returned");
    let trace_id = traceparent.split('-').nth(1).expect("trace id").to_owned();
    let lines = logs::lines_with(&request_id);
    let line = lines
        .iter()
        .find(|l| l["target"] == "access")
        .expect("access line");
    assert_eq!(line["trace_id"], trace_id);
    assert_eq!(line["status"], 401);
    assert_eq!(line["caller"], "-");
    assert!(
        !lines
            .iter()
            .any(|l| l.to_string().contains("secret-link-token")),
        "the query string leaked: {lines:?}"
    );
}
