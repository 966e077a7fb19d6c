//! Service requests (the DAP row of the permission table, docs/concepts.md#roles-and-permissions): open, note, close and reopen; If-Match; the role
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
    assert_eq!(res.body["noteCount"], 0);
    assert!(res.body.get("notes").is_none(), "notes are read apart");
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
    assert_eq!(res.body["noteCount"], 1);
    let notes = app.get(&format!("{path}/notes"), &token).await;
    notes.assert(200);
    let notes = notes.items();
    assert_eq!(notes[0]["text"], "Reset the policy.");
    assert!(
        notes[0]["author"]
            .as_str()
            .unwrap()
            .contains("helpdesk_agent")
    );
    assert!(notes[0]["createdAt"].is_string());
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
    assert_eq!(reopened.body["noteCount"], 2);
    let notes = app.get(&format!("{path}/notes"), &token).await.items();
    assert_eq!(notes.len(), 2);
    assert_eq!(notes[1]["text"], "It is back.");
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

/// The database's size in bytes (SQLite pages in use, WAL included; PostgreSQL's files).
pub async fn database_bytes(app: &TestApp) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Size {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        bytes: i64,
    }
    let sql = if app.is_postgres() {
        "SELECT pg_database_size(current_database()) AS bytes"
    } else {
        "SELECT page_count * page_size AS bytes FROM pragma_page_count(), pragma_page_size()"
    };
    app.with_conn(move |conn| {
        use diesel::RunQueryDsl;
        diesel::sql_query(sql)
            .get_result::<Size>(conn)
            .expect("database size")
            .bytes
    })
    .await
}

/// `n` characters of text that does not compress much (a fixed pseudo-random sequence).
fn text_of(n: usize, seed: u64) -> String {
    let mut x = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    (0..n)
        .map(|_| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let c = (x >> 33) % 27;
            if c == 26 {
                ' '
            } else {
                char::from(b'a' + c as u8)
            }
        })
        .collect()
}

#[actix_rt::test]
async fn thousand_notes_grow_the_database_linearly_and_keep_the_request_small() {
    let app = TestApp::new().await;
    let list = tailspin(&app).await;
    let path = open(&app, &list, PROVIDER_HA).await;
    let token = app.token(PROVIDER_HA).await;
    let notes = format!("{path}/notes");
    let before = database_bytes(&app).await;
    let mut typed = 0usize;
    for i in 0..1_000u64 {
        let text = text_of(2_000, i);
        typed += text.len();
        if i % 2 == 0 {
            app.post(&notes, &token, json!({ "text": text }))
                .await
                .assert(201);
        } else {
            app.patch(&path, &token, json!({ "addNote": text }))
                .await
                .assert(200);
        }
    }
    let grown = database_bytes(&app).await - before;
    assert!(
        grown < 3 * typed as i64,
        "the database grew {grown} bytes for {typed} bytes of notes"
    );
    let read = app.get(&path, &token).await;
    read.assert(200);
    assert_eq!(read.body["noteCount"], 1_000);
    assert!(
        read.text.len() < 64 * 1024,
        "GET is {} bytes",
        read.text.len()
    );
    let listed = app.get(&list, &token).await;
    assert!(
        listed.text.len() < 64 * 1024,
        "list is {} bytes",
        listed.text.len()
    );
    // The limit: the 1,001st note is refused, by either path, naming the limit.
    let refused = app
        .post(&notes, &token, json!({ "text": "one more" }))
        .await;
    refused.assert_problem(409, "quota_exceeded");
    assert_eq!(refused.body["limit"], "notesPerServiceRequest");
    assert_eq!(refused.body["max"], 1_000);
    app.patch(&path, &token, json!({ "addNote": "one more" }))
        .await
        .assert_problem(409, "quota_exceeded");
    // Every note is there, oldest first, a page at a time.
    let mut seen = 0;
    let mut next = Some(format!("{notes}?limit=500"));
    while let Some(url) = next {
        let page = app.get(&url, &token).await;
        page.assert(200);
        for note in page.items() {
            assert_eq!(note["text"], text_of(2_000, seen).as_str());
            seen += 1;
        }
        next = page.body["nextCursor"]
            .as_str()
            .map(|c| format!("{notes}?limit=500&cursor={c}"));
    }
    assert_eq!(seen, 1_000);
}

#[actix_rt::test]
async fn service_request_event_carries_the_added_note_not_the_history() {
    let app = TestApp::new().await;
    let list = tailspin(&app).await;
    let path = open(&app, &list, PROVIDER_HA).await;
    let token = app.token(PROVIDER_HA).await;
    let ga = app.token(PROVIDER_GA).await;
    app.post(
        "/v1/webhooks",
        &ga,
        json!({ "url": "http://127.0.0.1:9/hook", "events": ["service-request-updated"] }),
    )
    .await
    .assert(201);
    for text in ["first note", "second note", "third note"] {
        app.post(&format!("{path}/notes"), &token, json!({ "text": text }))
            .await
            .assert(201);
    }
    let payloads: Vec<String> = app
        .with_conn(|conn| {
            use diesel::prelude::*;
            use partner_center::schema::webhook_events as e;
            e::table
                .filter(e::event_type.eq("service-request-updated"))
                .order(e::id.asc())
                .select(e::payload)
                .load(conn)
                .expect("events")
        })
        .await;
    let last: serde_json::Value = serde_json::from_str(payloads.last().expect("an event")).unwrap();
    let resource = &last["data"]["resource"];
    assert_eq!(resource["addedNote"]["text"], "third note");
    assert_eq!(resource["noteCount"], 3);
    assert!(!payloads.last().unwrap().contains("first note"));
}
