//! Service requests (product.md §5 DAP row): open, note, close and reopen; If-Match; the role
//! cells (SA read-only); DAP required; a partner sees only its own requests; audit.

use actix_web::http::{Method, header};
use serde_json::json;

use crate::harness::*;

fn body() -> serde_json::Value {
    json!({
        "title": "Users cannot sign in to Outlook",
        "description": "Since 9:00 every user gets an authentication error.",
        "severity": "high"
    })
}

async fn tailspin(app: &TestApp) -> String {
    format!(
        "/v1/customers/{}/service-requests",
        app.customer_id("tailspin.example").await
    )
}

/// Opens a request as `user`; returns its URL.
async fn open(app: &TestApp, list: &str, user: &str) -> String {
    let token = app.token(user).await;
    let res = app.post(list, &token, body()).await;
    res.assert(201);
    format!("{list}/{}", res.str("id"))
}

async fn patch_if(app: &TestApp, path: &str, token: &str, etag: &str, b: serde_json::Value) -> Res {
    app.send(
        request(Method::PATCH, path, Some(token), Some(b))
            .insert_header((header::IF_MATCH, etag.to_owned())),
    )
    .await
}

#[actix_rt::test]
async fn create_service_request_as_helpdesk_agent_returns_open_request_and_audits() {
    let app = TestApp::new().await;
    let list = tailspin(&app).await;
    let token = app.token(PROVIDER_HA).await;
    let res = app.post(&list, &token, body()).await;
    res.assert(201);
    let id = res.str("id");
    assert_eq!(res.header("location").unwrap(), format!("{list}/{id}"));
    assert_eq!(res.header("etag").as_deref(), Some("\"v1\""));
    assert_eq!(res.body["status"], "open");
    assert_eq!(res.body["severity"], "high");
    assert_eq!(res.body["title"], "Users cannot sign in to Outlook");
    assert_eq!(res.body["notes"], json!([]));
    assert_eq!(
        res.body["partnerId"],
        app.tenant_id(PROVIDER_HA).await.as_str()
    );
    assert!(res.str("createdBy").contains("Contoso Distribution"));
    let read = app.get(&format!("{list}/{id}"), &token).await;
    read.assert(200);
    assert_eq!(read.body["description"], res.body["description"]);
    let audit = app
        .get(
            "/v1/audit-records?operationType=create_service_request",
            &token,
        )
        .await;
    assert_eq!(audit.items().len(), 1);
    assert_eq!(audit.items()[0]["resourceId"], id.as_str());
}

#[actix_rt::test]
async fn create_service_request_with_invalid_fields_names_each_field() {
    let app = TestApp::new().await;
    let list = tailspin(&app).await;
    let token = app.token(PROVIDER_AA).await;
    let res = app
        .post(
            &list,
            &token,
            json!({ "title": " ", "description": "", "severity": "high" }),
        )
        .await;
    res.assert_problem(422, "validation_failed");
    let mut fields: Vec<&str> = res.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.dedup();
    assert_eq!(fields, ["description", "title"]);
    let mut bad = body();
    bad["severity"] = json!("urgent");
    let res = app.post(&list, &token, bad).await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(res.body["errors"][0]["field"], "severity");
}

#[actix_rt::test]
async fn update_service_request_adds_notes_closes_and_refuses_notes_until_reopened() {
    let app = TestApp::new().await;
    let list = tailspin(&app).await;
    let path = open(&app, &list, PROVIDER_HA).await;
    let token = app.token(PROVIDER_HA).await;
    let res = patch_if(
        &app,
        &path,
        &token,
        "\"v1\"",
        json!({ "addNote": "Reset the policy.", "status": "in_progress" }),
    )
    .await;
    res.assert(200);
    assert_eq!(res.body["status"], "in_progress");
    assert_eq!(res.body["notes"][0]["text"], "Reset the policy.");
    assert!(
        res.body["notes"][0]["author"]
            .as_str()
            .unwrap()
            .contains("helpdesk_agent")
    );
    assert!(res.body["notes"][0]["createdAt"].is_string());
    let res = patch_if(
        &app,
        &path,
        &token,
        "\"v2\"",
        json!({ "status": "closed", "severity": "low" }),
    )
    .await;
    res.assert(200);
    assert_eq!(res.body["severity"], "low");
    let refused = app
        .patch(&path, &token, json!({ "addNote": "One more thing" }))
        .await;
    refused.assert_problem(409, "service_request_closed");
    let reopened = app
        .patch(
            &path,
            &token,
            json!({ "status": "open", "addNote": "It is back." }),
        )
        .await;
    reopened.assert(200);
    assert_eq!(reopened.body["status"], "open");
    assert_eq!(reopened.body["notes"].as_array().unwrap().len(), 2);
    assert_eq!(reopened.body["notes"][1]["text"], "It is back.");
    let audit = app
        .get(
            "/v1/audit-records?operationType=update_service_request",
            &token,
        )
        .await;
    assert_eq!(audit.items().len(), 3, "{}", audit.text);
    assert_eq!(audit.items()[1]["oldValue"]["status"], "in_progress");
    assert_eq!(audit.items()[1]["newValue"]["status"], "closed");
}

#[actix_rt::test]
async fn update_service_request_with_stale_etag_answers_412() {
    let app = TestApp::new().await;
    let list = tailspin(&app).await;
    let path = open(&app, &list, PROVIDER_AA).await;
    let token = app.token(PROVIDER_AA).await;
    patch_if(
        &app,
        &path,
        &token,
        "\"v1\"",
        json!({ "title": "Outlook sign-in fails" }),
    )
    .await
    .assert(200);
    patch_if(
        &app,
        &path,
        &token,
        "\"v1\"",
        json!({ "severity": "critical" }),
    )
    .await
    .assert_problem(412, "precondition_failed");
    let read = app.get(&path, &token).await;
    assert_eq!(read.body["title"], "Outlook sign-in fails");
    assert_eq!(read.body["severity"], "high");
    assert_eq!(read.header("etag").as_deref(), Some("\"v2\""));
}

#[actix_rt::test]
async fn service_request_permissions_follow_the_role_table() {
    let app = TestApp::new().await;
    let list = tailspin(&app).await;
    for user in [
        PROVIDER_GA,
        PROVIDER_AA,
        PROVIDER_HA,
        PARTNERED_GA,
        PARTNERED_AA,
        PARTNERED_HA,
    ] {
        let token = app.token(user).await;
        app.post(&list, &token, body()).await.assert(201);
    }
    let path = open(&app, &list, PROVIDER_GA).await;
    let sales = app.token(PROVIDER_SA).await;
    app.post(&list, &sales, body())
        .await
        .assert_problem(403, "insufficient_role");
    app.patch(&path, &sales, json!({ "status": "closed" }))
        .await
        .assert_problem(403, "insufficient_role");
    let listed = app.get(&list, &sales).await;
    listed.assert(200);
    assert_eq!(listed.items().len(), 4);
    app.get(&path, &sales).await.assert(200);
    let uma = app.token(PROVIDER_UMA).await;
    app.get(&list, &uma)
        .await
        .assert_problem(403, "insufficient_role");
    let admin = app.token(TAILSPIN_ADMIN).await;
    app.get(&list, &admin)
        .await
        .assert_problem(403, "insufficient_role");
}

#[actix_rt::test]
async fn service_requests_without_dap_answer_403_delegated_admin_required() {
    use partner_center::models::relationship::RelationshipRow;
    let app = TestApp::new().await;
    let list = tailspin(&app).await;
    let path = open(&app, &list, PARTNERED_HA).await;
    let northwind = app.tenant_id(PARTNERED_GA).await.parse().unwrap();
    let customer = app.customer_id("tailspin.example").await.parse().unwrap();
    app.with_conn(move |conn| {
        let rel = RelationshipRow::find(conn, northwind, customer)
            .unwrap()
            .unwrap();
        RelationshipRow::set_delegated_admin(conn, &rel.id, false).unwrap();
    })
    .await;
    let token = app.token(PARTNERED_HA).await;
    let res = app.post(&list, &token, body()).await;
    res.assert_problem(403, "delegated_admin_required");
    app.get(&list, &token)
        .await
        .assert_problem(403, "delegated_admin_required");
    app.patch(&path, &token, json!({ "addNote": "still there?" }))
        .await
        .assert_problem(403, "delegated_admin_required");
}

#[actix_rt::test]
async fn partner_sees_only_its_own_service_requests() {
    let app = TestApp::new().await;
    let list = tailspin(&app).await;
    let provider_request = open(&app, &list, PROVIDER_HA).await;
    let northwind_request = open(&app, &list, PARTNERED_HA).await;
    let northwind = app.token(PARTNERED_AA).await;
    let listed = app.get(&list, &northwind).await;
    listed.assert(200);
    assert_eq!(listed.items().len(), 1);
    assert!(northwind_request.ends_with(listed.items()[0]["id"].as_str().unwrap()));
    app.get(&provider_request, &northwind)
        .await
        .assert_problem(404, "not_found");
    app.patch(&provider_request, &northwind, json!({ "status": "closed" }))
        .await
        .assert_problem(404, "not_found");
    // Northwind has no relationship with Adatum; another provider none with Tailspin.
    let adatum = app.customer_id("adatum.example").await;
    app.get(
        &format!("/v1/customers/{adatum}/service-requests"),
        &northwind,
    )
    .await
    .assert_problem(404, "not_found");
    let (other, _) = app
        .other_provider("Other Distribution", "owner@other.example")
        .await;
    app.get(&list, &other)
        .await
        .assert_problem(404, "not_found");
    app.post(&list, &other, body())
        .await
        .assert_problem(404, "not_found");
    app.get(&provider_request, &other)
        .await
        .assert_problem(404, "not_found");
}

#[actix_rt::test]
async fn list_service_requests_filters_by_status_and_pages() {
    let app = TestApp::new().await;
    let list = tailspin(&app).await;
    let token = app.token(PROVIDER_HA).await;
    let first = open(&app, &list, PROVIDER_HA).await;
    open(&app, &list, PROVIDER_HA).await;
    app.patch(&first, &token, json!({ "status": "closed" }))
        .await
        .assert(200);
    let closed = app.get(&format!("{list}?status=closed"), &token).await;
    closed.assert(200);
    assert_eq!(closed.items().len(), 1);
    assert!(first.ends_with(closed.items()[0]["id"].as_str().unwrap()));
    let page = app.get(&format!("{list}?limit=1"), &token).await;
    assert_eq!(page.items().len(), 1);
    let next = app
        .get(
            &format!("{list}?limit=1&cursor={}", page.str("nextCursor")),
            &token,
        )
        .await;
    assert_eq!(next.items().len(), 1);
    assert_ne!(next.items()[0]["id"], page.items()[0]["id"]);
    app.get(&format!("{list}?status=pending"), &token)
        .await
        .assert_problem(422, "validation_failed");
}
