//! Applications: the secret shown once and stored hashed, the client_credentials grant (form
//! fields and HTTP Basic), application tokens limited by their roles, deletion taking effect on
//! the next request, validation, tenant isolation.

use actix_web::http::header;
use actix_web::test::TestRequest;
use base64::Engine;
use partner_center::models::application::ApplicationRow;
use serde_json::json;

use crate::harness::*;

#[actix_rt::test]
async fn create_application_returns_secret_once_and_stores_only_a_hash() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let res = app
        .post(
            "/v1/applications",
            &ga,
            json!({ "displayName": "Billing sync", "roles": ["sales_agent", "admin_agent"] }),
        )
        .await;
    res.assert(201);
    assert_eq!(res.header("cache-control").as_deref(), Some("no-store"));
    assert_eq!(res.header("etag").as_deref(), Some("\"v1\""));
    let created = res.body.clone();
    let application = &created["application"];
    let id = application["id"].as_str().unwrap().to_owned();
    let secret = created["clientSecret"].as_str().unwrap().to_owned();
    assert!(secret.len() >= 32);
    assert_eq!(application["displayName"], "Billing sync");
    assert_eq!(application["roles"], json!(["admin_agent", "sales_agent"]));
    assert!(application["clientId"].is_string());

    let list = app.get("/v1/applications", &ga).await;
    list.assert(200);
    assert_eq!(list.items(), vec![application.clone()]);
    assert!(!list.text.contains(&secret));

    let pool = app.state.pool.clone();
    let stored = actix_web::web::block(move || {
        let mut conn = pool.get().unwrap();
        ApplicationRow::find(&mut conn, id.parse().unwrap()).unwrap()
    })
    .await
    .unwrap()
    .expect("stored application");
    assert!(stored.secret_hash.starts_with("$argon2id$"));
    assert!(!stored.secret_hash.contains(&secret));

    let audit = app
        .get("/v1/audit-records?operationType=create_application", &ga)
        .await;
    let items = audit.items();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["resourceType"], "application");
    assert_eq!(items[0]["newValue"]["displayName"], "Billing sync");
    assert!(!items[0].to_string().contains(&secret));
}

#[actix_rt::test]
async fn client_credentials_grant_works_with_form_fields_and_http_basic() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let created = app
        .create_application(&ga, "Helpdesk bot", &["helpdesk_agent"])
        .await;
    let client_id = created["application"]["clientId"].as_str().unwrap();
    let secret = created["clientSecret"].as_str().unwrap();

    let form = app.client_sign_in(client_id, secret).await;
    form.assert(200);
    assert_eq!(form.body["token_type"], "Bearer");
    app.get("/v1/me", &form.str("access_token"))
        .await
        .assert(200);

    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{client_id}:{secret}"));
    let res = app
        .send(
            TestRequest::post()
                .uri("/v1/auth/token")
                .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
                .insert_header((header::AUTHORIZATION, format!("Basic {basic}")))
                .set_payload("grant_type=client_credentials"),
        )
        .await;
    res.assert(200);
    app.get("/v1/me", &res.str("access_token"))
        .await
        .assert(200);

    let wrong = app.client_sign_in(client_id, "not-the-secret").await;
    wrong.assert(401);
    assert_eq!(wrong.body["error"], "invalid_client");
}

#[actix_rt::test]
async fn application_token_acts_with_its_roles_only() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let created = app
        .create_application(&ga, "Helpdesk bot", &["helpdesk_agent"])
        .await;
    let res = app
        .client_sign_in(
            created["application"]["clientId"].as_str().unwrap(),
            created["clientSecret"].as_str().unwrap(),
        )
        .await;
    let token = res.str("access_token");

    let me = app.get("/v1/me", &token).await;
    me.assert(200);
    assert_eq!(me.body["actorKind"], "application");
    assert_eq!(me.body["id"], created["application"]["id"]);
    assert_eq!(me.body["displayName"], "Helpdesk bot");
    assert_eq!(me.body["tenantName"], "Contoso Distribution");
    assert_eq!(me.body["roles"], json!(["helpdesk_agent"]));

    // A helpdesk agent reads and updates customers but does not create them.
    let customers = app.get("/v1/customers", &token).await;
    customers.assert(200);
    assert_eq!(customers.items().len(), 2);
    app.post(
        "/v1/customers",
        &token,
        customer_body("Wingtip", "wingtip.example", None),
    )
    .await
    .assert_insufficient_role(&["global_admin", "admin_agent", "sales_agent"]);
    let id = app.customer_id("adatum.example").await;
    app.patch(
        &format!("/v1/customers/{id}"),
        &token,
        json!({ "billingProfile": { "culture": "en-GB" } }),
    )
    .await
    .assert(200);
    // One customer: read with the application's reload (its partner's relationship), so a
    // customer the partner has no relationship with is not found.
    let read = app.get(&format!("/v1/customers/{id}"), &token).await;
    read.assert(200);
    assert_eq!(read.body["id"], id.as_str());
    assert_eq!(read.body["billingProfile"]["culture"], "en-GB");
    app.get(&format!("/v1/customers/{}", uuid::Uuid::now_v7()), &token)
        .await
        .assert_problem(404, "not_found");
    app.get("/v1/users", &token)
        .await
        .assert_insufficient_role(&["global_admin", "user_management_admin"]);
    app.get("/v1/applications", &token)
        .await
        .assert_insufficient_role(&["global_admin"]);

    // Its changes are audited with the application as the actor.
    let audit = app
        .get("/v1/audit-records?operationType=update_customer", &token)
        .await;
    let actor = &audit.items()[0]["actor"];
    assert_eq!(actor["type"], "application");
    assert_eq!(actor["displayName"], "Helpdesk bot");
}

#[actix_rt::test]
async fn deleted_application_token_and_secret_stop_working() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let created = app
        .create_application(&ga, "Sales bot", &["sales_agent"])
        .await;
    let id = created["application"]["id"].as_str().unwrap();
    let client_id = created["application"]["clientId"].as_str().unwrap();
    let secret = created["clientSecret"].as_str().unwrap();
    let token = app
        .client_sign_in(client_id, secret)
        .await
        .str("access_token");
    app.get("/v1/customers", &token).await.assert(200);

    app.delete(&format!("/v1/applications/{id}"), &ga)
        .await
        .assert(204);
    let refused = app.get("/v1/customers", &token).await;
    refused.assert_problem(401, "token_revoked");
    assert!(refused.header("www-authenticate").is_some());
    let sign_in = app.client_sign_in(client_id, secret).await;
    sign_in.assert(401);
    assert_eq!(sign_in.body["error"], "invalid_client");
    assert!(app.get("/v1/applications", &ga).await.items().is_empty());
    app.delete(&format!("/v1/applications/{id}"), &ga)
        .await
        .assert_problem(404, "not_found");

    let audit = app
        .get("/v1/audit-records?operationType=delete_application", &ga)
        .await;
    let items = audit.items();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["resourceId"], id);
    assert_eq!(items[0]["oldValue"]["displayName"], "Sales bot");
}

#[actix_rt::test]
async fn create_application_with_invalid_fields_lists_each_field() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let res = app
        .post(
            "/v1/applications",
            &ga,
            json!({ "displayName": "", "roles": [] }),
        )
        .await;
    res.assert_problem(422, "validation_failed");
    let fields: Vec<&str> = res.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"displayName") && fields.contains(&"roles"),
        "{fields:?}"
    );
    for role in ["global_admin", "user_management_admin", "customer_admin"] {
        let res = app
            .post(
                "/v1/applications",
                &ga,
                json!({ "displayName": "Admin bot", "roles": [role] }),
            )
            .await;
        res.assert_problem(422, "validation_failed");
        assert_eq!(res.body["errors"][0]["field"], "roles", "{role}");
    }
    assert!(app.get("/v1/applications", &ga).await.items().is_empty());
}

#[actix_rt::test]
async fn another_provider_gets_404_on_the_first_providers_applications_and_lists_none() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let created = app
        .create_application(&ga, "Billing sync", &["sales_agent"])
        .await;
    let id = created["application"]["id"].as_str().unwrap();
    let (other, _) = app
        .other_provider("Other Distribution", "owner@other.example")
        .await;
    let list = app.get("/v1/applications", &other).await;
    list.assert(200);
    assert!(list.items().is_empty());
    app.delete(&format!("/v1/applications/{id}"), &other)
        .await
        .assert_problem(404, "not_found");
    assert_eq!(app.get("/v1/applications", &ga).await.items().len(), 1);
}
