//! The token endpoint keeps its word: every answer it gives — success, each OAuth refusal, the
//! request budget's 429, the sign-in throttle's 429, 413, 500 and 503 — has its status in the
//! document, with the documented media type and the documented body's required members, so a
//! generated client never meets a body it cannot read.

use actix_web::http::header;
use actix_web::test;
use serde_json::Value;

use crate::harness::*;

async fn document(app: &TestApp) -> Value {
    app.call(
        actix_web::http::Method::GET,
        "/api-docs/openapi.json",
        None,
        None,
    )
    .await
    .body
}

/// Panics unless `res` is an answer the document declares for `POST /v1/auth/token`.
fn assert_documented(doc: &Value, res: &Res, what: &str) {
    let status = res.status.as_u16().to_string();
    let declared = &doc["paths"]["/v1/auth/token"]["post"]["responses"][&status];
    assert!(
        declared.is_object(),
        "{what}: status {status} is not documented ({})",
        res.text
    );
    let media = res
        .header("content-type")
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .to_owned();
    let content = &declared["content"][&media];
    assert!(
        content.is_object(),
        "{what}: {status} answered {media}, the document declares {}",
        declared["content"]
    );
    let reference = content["schema"]["$ref"].as_str().expect("a named schema");
    let schema = doc
        .pointer(reference.trim_start_matches('#'))
        .expect("schema");
    for member in schema["required"].as_array().into_iter().flatten() {
        let member = member.as_str().expect("name");
        assert!(
            res.body[member].is_string() || res.body[member].is_number(),
            "{what}: {status} body lacks `{member}` of {reference}: {}",
            res.text
        );
    }
}

fn form(body: &str) -> test::TestRequest {
    test::TestRequest::post()
        .uri("/v1/auth/token")
        .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
        .set_payload(body.to_owned())
}

#[actix_rt::test]
async fn token_endpoint_answers_only_documented_statuses_and_shapes() {
    let app = TestApp::new().await;
    let doc = document(&app).await;
    let cases: Vec<(&str, u16, test::TestRequest)> = vec![
        (
            "password grant",
            200,
            form(&format!(
                "grant_type=password&username={}&password={}",
                urlencode(PROVIDER_SA),
                urlencode(PASSWORD)
            )),
        ),
        ("no grant type", 400, form("username=x")),
        ("unknown grant type", 400, form("grant_type=magic")),
        (
            "wrong password",
            400,
            form(&format!(
                "grant_type=password&username={}&password=wrong",
                urlencode(PROVIDER_SA)
            )),
        ),
        (
            "unknown client",
            401,
            form("grant_type=client_credentials&client_id=nobody&client_secret=x"),
        ),
        (
            "JSON body",
            400,
            test::TestRequest::post()
                .uri("/v1/auth/token")
                .set_json(serde_json::json!({ "grant_type": "password" })),
        ),
        (
            "body over 64 KiB",
            413,
            form(&format!(
                "grant_type=password&username={}",
                "x".repeat(70_000)
            )),
        ),
    ];
    for (what, status, req) in cases {
        let res = app.send(req).await;
        assert_eq!(res.status.as_u16(), status, "{what}: {}", res.text);
        assert_documented(&doc, &res, what);
    }
}

#[actix_rt::test]
async fn token_endpoint_past_the_request_budget_answers_429_as_an_oauth_error() {
    let app = TestApp::with_config(|c| c.request_rate_limit_per_minute = 1).await;
    let doc = document(&app).await;
    app.send(form("grant_type=magic")).await.assert(400);
    let res = app.send(form("grant_type=magic")).await;
    res.assert(429);
    assert_eq!(res.body["error"], "invalid_request", "{}", res.text);
    assert!(res.header("retry-after").is_some());
    assert!(res.header("x-request-id").is_some());
    assert_documented(&doc, &res, "request budget spent");
}

#[actix_rt::test]
async fn token_endpoint_past_the_sign_in_throttle_answers_429_as_an_oauth_error() {
    let app = TestApp::with_config(|c| c.token_rate_limit_per_minute = 1).await;
    let doc = document(&app).await;
    let mut last = None;
    for _ in 0..3 {
        last = Some(app.sign_in(PROVIDER_SA, "wrong").await);
    }
    let res = last.expect("answered");
    res.assert(429);
    assert_documented(&doc, &res, "sign-in throttle");
}

#[actix_rt::test]
async fn token_endpoint_on_a_server_error_answers_500_server_error() {
    let app = TestApp::new().await;
    let doc = document(&app).await;
    app.execute_sql("ALTER TABLE users RENAME TO users_gone")
        .await;
    let res = app.sign_in(PROVIDER_SA, PASSWORD).await;
    res.assert(500);
    assert_eq!(res.body["error"], "server_error", "{}", res.text);
    assert!(
        !res.text.contains("users"),
        "the cause leaked: {}",
        res.text
    );
    assert_documented(&doc, &res, "server error");
}

#[actix_rt::test]
async fn token_endpoint_with_every_hashing_thread_busy_answers_503_temporarily_unavailable() {
    let app = TestApp::with_config(|c| {
        c.hashing_threads = 1;
        c.hashing_queue = 0;
    })
    .await;
    let doc = document(&app).await;
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    let (release, release_rx) = std::sync::mpsc::channel::<()>();
    let state = app.state.clone();
    let job = actix_web::rt::spawn(async move {
        state
            .hasher
            .run(move || {
                started_tx.send(()).unwrap();
                let _ = release_rx.recv();
            })
            .await
    });
    actix_web::web::block(move || started_rx.recv().unwrap())
        .await
        .unwrap();
    let res = app.sign_in(PROVIDER_SA, PASSWORD).await;
    release.send(()).unwrap();
    let _ = job.await;
    res.assert(503);
    assert_eq!(res.body["error"], "temporarily_unavailable");
    assert_documented(&doc, &res, "hashing pool busy");
}
