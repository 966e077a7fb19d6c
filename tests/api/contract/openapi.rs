//! The OpenAPI document: the served one equals the committed `openapi/openapi.json`
//! (regenerate with `cargo run -- openapi > openapi/openapi.json`), every operation declares its
//! responses and security, and Swagger UI is served offline.

use crate::harness::TestApp;
use actix_web::http::Method;

#[actix_rt::test]
async fn served_document_matches_committed_file() {
    let app = TestApp::new().await;
    let res = app
        .call(Method::GET, "/api-docs/openapi.json", None, None)
        .await;
    res.assert(200);
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"))
            .expect("openapi/openapi.json is committed");
    let committed: serde_json::Value =
        serde_json::from_str(&committed).expect("committed document is JSON");
    assert!(
        committed == res.body,
        "openapi/openapi.json differs from the served document; regenerate it with `cargo run -- openapi > openapi/openapi.json`"
    );
}

#[actix_rt::test]
async fn every_operation_has_an_operation_id_responses_and_security() {
    let app = TestApp::new().await;
    let doc = app
        .call(Method::GET, "/api-docs/openapi.json", None, None)
        .await
        .body;
    let paths = doc["paths"].as_object().expect("paths");
    assert!(paths.len() >= 8, "too few paths: {}", paths.len());
    for (path, item) in paths {
        for (method, op) in item.as_object().expect("path item") {
            let where_ = format!("{method} {path}");
            assert!(op["operationId"].is_string(), "{where_} has no operationId");
            let responses = op["responses"].as_object().expect("responses");
            assert!(!responses.is_empty(), "{where_} lists no responses");
            let public = path.starts_with("/health")
                || path.starts_with("/.well-known/")
                || path.starts_with("/problems/")
                || path == "/v1/auth/token"
                || path == "/v1/auth/password"
                || path == "/v1/auth/revoke"
                || path == "/v1/partnership-invitations/enroll";
            if !public {
                assert!(
                    op["security"].is_array(),
                    "{where_} declares no security requirement"
                );
                assert!(
                    responses.contains_key("401"),
                    "{where_} does not document 401"
                );
            }
        }
    }
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    // No OAuth2 scheme: Swagger UI would ask for a client id and offer an empty scope list.
    assert_eq!(
        schemes.as_object().map(|s| s.len()),
        Some(1),
        "only the bearer scheme: {schemes}"
    );
    for (path, item) in paths {
        for (method, op) in item.as_object().expect("path item") {
            for requirement in op["security"].as_array().into_iter().flatten() {
                for name in requirement.as_object().expect("requirement").keys() {
                    assert!(
                        schemes[name].is_object(),
                        "{method} {path} names the undeclared scheme {name}"
                    );
                }
            }
        }
    }
}

#[actix_rt::test]
async fn swagger_ui_serves_its_page_and_assets_without_internet() {
    let app = TestApp::new().await;
    let page = app.call(Method::GET, "/swagger-ui/", None, None).await;
    page.assert(200);
    assert!(page.text.contains("swagger-ui"), "not the Swagger UI page");
    assert!(
        !page.text.contains("https://"),
        "the page loads something from the internet"
    );
    for asset in [
        "/swagger-ui/swagger-ui.css",
        "/swagger-ui/swagger-ui-bundle.js",
        "/swagger-ui/swagger-initializer.js",
    ] {
        let res = app.call(Method::GET, asset, None, None).await;
        res.assert(200);
    }
    let init = app
        .call(
            Method::GET,
            "/swagger-ui/swagger-initializer.js",
            None,
            None,
        )
        .await;
    assert!(init.text.contains("/api-docs/openapi.json"));
    let redirect = app.call(Method::GET, "/swagger-ui", None, None).await;
    assert!(redirect.status.is_redirection());
}
