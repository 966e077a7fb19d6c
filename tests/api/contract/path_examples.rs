//! Path parameters' examples name demo data: every path parameter in the document has an
//! example, and with the objects `serve --demo` adds for them (`demo::seed_examples`, `demo::seed_billing`), every GET
//! with path parameters answers 200 to some demo account when called with the examples, and
//! every example id appears in what those GETs (and the plain lists) answer.

use std::collections::BTreeMap;

use actix_web::http::Method;
use serde_json::Value;

use crate::harness::*;

/// Every `(method, path, parameters)` of the document.
fn operations(doc: &Value) -> Vec<(String, String, Vec<Value>)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            out.push((method.clone(), path.clone(), params));
        }
    }
    out
}

fn example(param: &Value) -> Option<String> {
    [&param["example"], &param["schema"]["example"]]
        .into_iter()
        .find_map(|v| v.as_str().map(str::to_owned))
}

async fn document(app: &TestApp) -> Value {
    app.call(Method::GET, "/api-docs/openapi.json", None, None)
        .await
        .body
}

#[actix_rt::test]
async fn every_path_parameter_in_the_document_has_an_example() {
    let app = TestApp::new().await;
    let doc = document(&app).await;
    let mut missing = Vec::new();
    for (method, path, params) in operations(&doc) {
        for p in params.iter().filter(|p| p["in"] == "path") {
            if example(p).is_none() {
                missing.push(format!("{method} {path}: {}", p["name"]));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "path parameters without an example: {missing:#?}"
    );
}

#[actix_rt::test]
async fn path_examples_name_objects_of_serve_demo() {
    let app = TestApp::new().await;
    let config = app.state.config.clone();
    let window = config.cancellation_window_hours;
    app.with_conn(move |conn| partner_center::demo::seed_examples(conn, &config))
        .await
        .expect("seed the examples");
    // `serve --demo` also seeds the billing month whose statements the examples name.
    app.with_conn(move |conn| partner_center::demo::seed_billing(conn, window))
        .await
        .expect("seed the billing month");
    let doc = document(&app).await;
    let mut tokens = Vec::new();
    for account in [
        PROVIDER_GA,
        "global.admin@northwind-it.example",
        "admin@adatum.example",
        "admin@proseware.example",
    ] {
        tokens.push((account, app.token(account).await));
    }
    // Every example id, with where it is used.
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    let mut answered = String::new();
    let mut failed = Vec::new();
    let mut checked = 0;
    for (method, path, params) in operations(&doc) {
        let mut uri = path.clone();
        for p in params.iter().filter(|p| p["in"] == "path") {
            let name = p["name"].as_str().unwrap_or_default();
            let value = example(p).unwrap_or_default();
            uri = uri.replace(&format!("{{{name}}}"), &value);
            if name != "code" {
                ids.entry(value)
                    .or_insert_with(|| format!("{name} of {method} {path}"));
            }
        }
        let query_required = params
            .iter()
            .any(|p| p["in"] == "query" && p["required"] == true);
        if method != "get" || query_required || uri.starts_with("/api-docs") {
            continue;
        }
        checked += usize::from(path.contains('{'));
        let mut ok = false;
        for (_, token) in &tokens {
            let res = app.get(&uri, token).await;
            if res.status.as_u16() == 200 {
                answered.push_str(&res.text);
                ok = true;
                break;
            }
        }
        if !ok && path.contains('{') {
            failed.push(format!("GET {uri} ({path})"));
        }
    }
    assert!(checked >= 20, "only {checked} GETs with path parameters");
    assert!(
        failed.is_empty(),
        "GETs whose path examples no demo account can read: {failed:#?}"
    );
    let unseen: Vec<_> = ids
        .iter()
        .filter(|(id, _)| !answered.contains(id.as_str()))
        .collect();
    assert!(
        unseen.is_empty(),
        "example ids that no GET of the demo data shows: {unseen:#?}"
    );
}
