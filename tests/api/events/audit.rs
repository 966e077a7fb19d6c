//! Audit records: the `from`/`to`/`resourceType`/`operationType`/`customerId` filters, paging,
//! the actor and request id of a change, and bad filters.

use actix_web::http::Method;
use serde_json::{Value, json};

use crate::harness::*;

/// Every audit record `token` can read with `query`, following the pages.
async fn all_records(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let mut url = format!("/v1/audit-records?limit=500&{query}");
    let mut out = Vec::new();
    loop {
        let res = app.get(&url, token).await;
        res.assert(200);
        out.extend(res.items());
        match res.body["links"]["next"].as_str() {
            Some(next) => url = next.to_owned(),
            None => return out,
        }
    }
}

fn ids(records: &[Value]) -> Vec<String> {
    records
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Makes a few changes of different kinds as the provider's global admin.
async fn make_changes(app: &TestApp, token: &str) {
    for i in 0..3 {
        app.patch(
            "/v1/partner",
            token,
            json!({ "supportPhone": format!("+1 425 555 010{i}") }),
        )
        .await
        .assert(200);
        app.create_user(
            token,
            &format!("audit{i}@contoso-distribution.example"),
            &["sales_agent"],
        )
        .await;
    }
}

#[actix_rt::test]
async fn list_audit_records_filters_by_resource_and_operation_type() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_GA).await;
    make_changes(&app, &token).await;
    let users = all_records(&app, &token, "resourceType=user").await;
    assert_eq!(users.len(), 3);
    assert!(users.iter().all(|r| r["operationType"] == "create_user"));
    let partner = all_records(&app, &token, "operationType=update_partner").await;
    assert_eq!(partner.len(), 3);
    assert!(partner.iter().all(|r| r["resourceType"] == "partner"));
    let both = all_records(
        &app,
        &token,
        "resourceType=partner&operationType=create_user",
    )
    .await;
    assert!(both.is_empty());
    let unknown = all_records(&app, &token, "operationType=no_such_thing").await;
    assert!(unknown.is_empty());
}

#[actix_rt::test]
async fn list_audit_records_filters_by_customer() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_AA).await;
    let adatum = app.customer_id("adatum.example").await;
    let tailspin = app.customer_id("tailspin.example").await;
    app.patch(
        &format!("/v1/customers/{adatum}"),
        &token,
        json!({ "companyName": "Adatum Corp" }),
    )
    .await
    .assert(200);
    let records = all_records(&app, &token, &format!("customerId={adatum}")).await;
    let ops: Vec<&str> = records
        .iter()
        .map(|r| r["operationType"].as_str().unwrap())
        .collect();
    assert_eq!(ops, ["create_customer", "update_customer"]);
    assert!(records.iter().all(|r| r["customerId"] == adatum.as_str()));
    let other = all_records(&app, &token, &format!("customerId={tailspin}")).await;
    assert!(!other.is_empty());
    assert!(other.iter().all(|r| r["customerId"] == tailspin.as_str()));
}

#[actix_rt::test]
async fn list_audit_records_filters_by_time_window() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_GA).await;
    make_changes(&app, &token).await;
    let all = all_records(&app, &token, "").await;
    assert!(all.len() >= 6);
    let time =
        |r: &Value| chrono::DateTime::parse_from_rfc3339(r["createdAt"].as_str().unwrap()).unwrap();
    let pivot = time(&all[all.len() / 2]);
    let later = time(&all[all.len() - 1]);
    let param = |t: chrono::DateTime<chrono::FixedOffset>| urlencode(&t.to_rfc3339());

    let from = all_records(&app, &token, &format!("from={}", param(pivot))).await;
    let expected: Vec<Value> = all.iter().filter(|r| time(r) >= pivot).cloned().collect();
    assert_eq!(ids(&from), ids(&expected));
    assert!(!from.is_empty() && from.len() < all.len());

    let to = all_records(&app, &token, &format!("to={}", param(pivot))).await;
    let expected: Vec<Value> = all.iter().filter(|r| time(r) < pivot).cloned().collect();
    assert_eq!(ids(&to), ids(&expected));
    assert!(!to.is_empty());

    let window = all_records(
        &app,
        &token,
        &format!("from={}&to={}", param(pivot), param(later)),
    )
    .await;
    let expected: Vec<Value> = all
        .iter()
        .filter(|r| time(r) >= pivot && time(r) < later)
        .cloned()
        .collect();
    assert_eq!(ids(&window), ids(&expected));

    // Another offset names the same instant.
    let shifted = pivot.with_timezone(&chrono::FixedOffset::east_opt(2 * 3600).unwrap());
    let same = all_records(&app, &token, &format!("from={}", param(shifted))).await;
    assert_eq!(ids(&same), ids(&from));
}

#[actix_rt::test]
async fn list_audit_records_pages_without_duplicates_or_gaps() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_GA).await;
    make_changes(&app, &token).await;
    let all = all_records(&app, &token, "").await;
    let mut seen = Vec::new();
    let mut url = "/v1/audit-records?limit=2".to_owned();
    loop {
        let res = app.get(&url, &token).await;
        res.assert(200);
        assert!(res.items().len() <= 2);
        seen.extend(ids(&res.items()));
        match res.body["links"]["next"].as_str() {
            Some(next) => url = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen, ids(&all));
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique, seen, "a record repeats or the order is not by id");
    // A filter survives in the next link.
    let first = app
        .get("/v1/audit-records?limit=1&resourceType=user", &token)
        .await;
    let next = first.body["links"]["next"].as_str().unwrap().to_owned();
    assert!(next.contains("resourceType=user"), "{next}");
    let second = app.get(&next, &token).await;
    assert_eq!(second.items()[0]["resourceType"], "user");
}

#[actix_rt::test]
async fn audit_record_names_the_actor_and_the_request() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_GA).await;
    let res = app
        .send(
            request(
                Method::PATCH,
                "/v1/partner",
                Some(&token),
                Some(json!({ "supportPhone": "+1 425 555 0199" })),
            )
            .insert_header(("X-Request-Id", "audit-trail-check-1")),
        )
        .await;
    res.assert(200);
    let records = all_records(&app, &token, "operationType=update_partner").await;
    assert_eq!(records.len(), 1);
    let me = app.get("/v1/me", &token).await;
    assert_eq!(records[0]["requestId"], "audit-trail-check-1");
    assert_eq!(records[0]["actor"]["type"], "user");
    assert_eq!(records[0]["actor"]["id"], me.body["id"]);
    assert_eq!(records[0]["actor"]["displayName"], me.body["displayName"]);
    assert_eq!(records[0]["partnerId"], me.body["tenantId"]);
}

#[actix_rt::test]
async fn list_audit_records_rejects_bad_filters() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_SA).await;
    for (query, field) in [
        ("from=yesterday", "from"),
        ("to=2026-13-01T00:00:00Z", "to"),
        ("customerId=not-a-uuid", "customerId"),
        ("limit=501", "limit"),
        ("actor=me", "actor"),
    ] {
        let res = app.get(&format!("/v1/audit-records?{query}"), &token).await;
        res.assert_problem(422, "validation_failed");
        assert_eq!(
            res.body["errors"][0]["field"], field,
            "{query}: {}",
            res.text
        );
    }
}

#[actix_rt::test]
async fn list_audit_records_with_to_not_after_from_answers_empty_page() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_GA).await;
    make_changes(&app, &token).await;
    for query in [
        "from=2030-01-02T00:00:00Z&to=2000-01-01T00:00:00Z",
        "from=2000-01-01T00:00:00Z&to=2000-01-01T00:00:00Z",
    ] {
        let res = app.get(&format!("/v1/audit-records?{query}"), &token).await;
        res.assert(200);
        assert!(res.items().is_empty(), "{query}: {}", res.text);
    }
    let all = app.get("/v1/audit-records", &token).await;
    assert!(!all.items().is_empty());
}
