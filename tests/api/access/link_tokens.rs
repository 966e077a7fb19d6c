//! Personalized link tokens (issue 3 rules): single-use, expiring, revocable, bound to their
//! purpose, built from `PUBLIC_BASE_URL` with the configured lifetime; every unusable token
//! answers the same 422 `invalid_link_token`; two concurrent acceptances of one token produce
//! one partnership or relationship and one error.

use actix_web::http::Method;
use futures::future::join_all;
use serde_json::{Value, json};

use crate::harness::*;
use crate::harness::{ids, invite, link_token, tenant_id};

const ACCEPT_INVITATION: &str = "/v1/partnership-invitations/accept";
const ENROLL: &str = "/v1/partnership-invitations/enroll";

/// Asserts the one answer for an unusable token: 422 `invalid_link_token` on `token`, with the
/// same detail as for a token that never existed.
async fn assert_invalid_link(app: &TestApp, res: &Res) {
    res.assert_problem(422, "invalid_link_token");
    assert_eq!(res.body["errors"][0]["field"], "token");
    let reseller = app.token(RESELLER_GA).await;
    let unknown = app
        .post(
            ACCEPT_INVITATION,
            &reseller,
            json!({ "token": "never-issued" }),
        )
        .await;
    assert_eq!(
        res.body["detail"], unknown.body["detail"],
        "the detail must not tell the causes apart"
    );
}

fn enroll_body(token: &str) -> Value {
    json!({ "token": token, "partnerName": "Litware", "adminEmail": "owner@litware.example", "adminDisplayName": "Pat" })
}

async fn enroll(app: &TestApp, token: &str) -> Res {
    app.call(Method::POST, ENROLL, None, Some(enroll_body(token)))
        .await
}

#[actix_rt::test]
async fn unknown_link_token_answers_invalid_link_token() {
    let app = TestApp::new().await;
    let reseller = app.token(RESELLER_GA).await;
    let res = app
        .post(ACCEPT_INVITATION, &reseller, json!({ "token": "nope" }))
        .await;
    assert_invalid_link(&app, &res).await;
    assert_invalid_link(&app, &enroll(&app, "nope").await).await;
    let admin = app.token(ADATUM_ADMIN).await;
    let res = app
        .post(
            "/v1/relationship-requests/accept",
            &admin,
            json!({ "token": "nope" }),
        )
        .await;
    assert_invalid_link(&app, &res).await;
}

#[actix_rt::test]
async fn used_link_token_answers_invalid_link_token() {
    let app = TestApp::new().await;
    let provider = app.token(PROVIDER_SA).await;
    let reseller = app.token(RESELLER_GA).await;
    let created = invite(&app, &provider, "x@y.example").await;
    let body = json!({ "token": link_token(&created) });
    app.post(ACCEPT_INVITATION, &reseller, body.clone())
        .await
        .assert(200);
    // Used, even by another reseller or through enrollment.
    let again = app
        .post(ACCEPT_INVITATION, &app.token(PARTNERED_GA).await, body)
        .await;
    assert_invalid_link(&app, &again).await;
    assert_invalid_link(&app, &enroll(&app, &link_token(&created)).await).await;

    let fabrikam = app.token(RESELLER_SA).await;
    let req = relationship_request(&app, &fabrikam, json!({ "includeDelegatedAdmin": true })).await;
    accept(&app, &app.token(ADATUM_ADMIN).await, &req)
        .await
        .assert(200);
    let again = accept(&app, &app.token(TAILSPIN_ADMIN).await, &req).await;
    assert_invalid_link(&app, &again).await;
    let partners = app
        .get("/v1/my/partners", &app.token(TAILSPIN_ADMIN).await)
        .await;
    assert_eq!(partners.items().len(), 2, "Tailspin gained no partner");
}

#[actix_rt::test]
async fn expired_link_token_answers_invalid_link_token() {
    let app = TestApp::new().await;
    let provider = app.token(PROVIDER_SA).await;
    let reseller = app.token(RESELLER_GA).await;
    let created = invite(&app, &provider, "x@y.example").await;
    let req =
        relationship_request(&app, &reseller, json!({ "includeDelegatedAdmin": false })).await;
    app.execute_sql(&format!(
        "UPDATE partnership_invitations SET expires_at = '2020-01-01 00:00:00' WHERE id = '{}'; \
         UPDATE relationship_requests SET expires_at = '2020-01-01 00:00:00' WHERE id = '{}';",
        created["id"].as_str().unwrap(),
        req["id"].as_str().unwrap()
    ))
    .await;

    let res = app
        .post(
            ACCEPT_INVITATION,
            &reseller,
            json!({ "token": link_token(&created) }),
        )
        .await;
    assert_invalid_link(&app, &res).await;
    assert_invalid_link(&app, &enroll(&app, &link_token(&created)).await).await;
    let res = accept(&app, &app.token(ADATUM_ADMIN).await, &req).await;
    assert_invalid_link(&app, &res).await;

    let invitations = app
        .get("/v1/indirect-resellers/invitations", &provider)
        .await;
    assert_eq!(invitations.items()[0]["status"], "expired");
    let requests = app.get("/v1/relationship-requests", &reseller).await;
    assert_eq!(requests.items()[0]["status"], "expired");
}

#[actix_rt::test]
async fn revoked_invitation_token_answers_invalid_link_token() {
    let app = TestApp::new().await;
    let provider = app.token(PROVIDER_SA).await;
    let created = invite(&app, &provider, "x@y.example").await;
    app.delete(
        &format!(
            "/v1/indirect-resellers/invitations/{}",
            created["id"].as_str().unwrap()
        ),
        &provider,
    )
    .await
    .assert(204);
    let res = app
        .post(
            ACCEPT_INVITATION,
            &app.token(RESELLER_GA).await,
            json!({ "token": link_token(&created) }),
        )
        .await;
    assert_invalid_link(&app, &res).await;
    assert_invalid_link(&app, &enroll(&app, &link_token(&created)).await).await;
    assert_eq!(
        app.get("/v1/indirect-resellers", &provider)
            .await
            .items()
            .len(),
        1
    );
}

#[actix_rt::test]
async fn link_token_for_another_purpose_answers_invalid_link_token() {
    let app = TestApp::new().await;
    let provider = app.token(PROVIDER_SA).await;
    let reseller = app.token(RESELLER_GA).await;
    let admin = app.token(ADATUM_ADMIN).await;
    let invitation = invite(&app, &provider, "x@y.example").await;
    let req = relationship_request(&app, &reseller, json!({ "includeDelegatedAdmin": true })).await;

    // An invitation token is not a relationship-request token…
    let res = accept(&app, &admin, &invitation).await;
    assert_invalid_link(&app, &res).await;
    // …and a relationship-request token is not an invitation token.
    let res = app
        .post(
            ACCEPT_INVITATION,
            &reseller,
            json!({ "token": link_token(&req) }),
        )
        .await;
    assert_invalid_link(&app, &res).await;
    assert_invalid_link(&app, &enroll(&app, &link_token(&req)).await).await;
    // Both still work for what they were issued for.
    accept(&app, &admin, &req).await.assert(200);
    app.post(
        ACCEPT_INVITATION,
        &reseller,
        json!({ "token": link_token(&invitation) }),
    )
    .await
    .assert(200);
}

#[actix_rt::test]
async fn links_use_public_base_url_and_the_configured_lifetime() {
    let app = TestApp::with_config(|c| {
        c.public_base_url = "https://partners.example.com".to_owned();
        c.invitation_ttl_days = 3;
    })
    .await;
    let provider = app.token(PROVIDER_SA).await;
    let created = invite(&app, &provider, "x@y.example").await;
    let req =
        relationship_request(&app, &provider, json!({ "includeDelegatedAdmin": false })).await;
    for (body, path) in [
        (&created, "/v1/partnership-invitations/accept"),
        (&req, "/v1/relationship-requests/accept"),
    ] {
        let link = body["link"].as_str().unwrap();
        assert!(
            link.starts_with(&format!("https://partners.example.com{path}?token=")),
            "{link}"
        );
        assert!(link_token(body).len() >= 43, "a 256-bit token");
        let expires: chrono::DateTime<chrono::Utc> =
            body["expiresAt"].as_str().unwrap().parse().unwrap();
        let hours = (expires - chrono::Utc::now()).num_hours();
        assert!((71..=72).contains(&hours), "expires in {hours} hours");
    }
    // The token is never shown again, nor written to the audit trail.
    for path in [
        "/v1/indirect-resellers/invitations",
        "/v1/relationship-requests",
        "/v1/audit-records",
    ] {
        let res = app.get(path, &provider).await;
        res.assert(200);
        assert!(!res.text.contains(&link_token(&created)), "{path}");
        assert!(!res.text.contains(&link_token(&req)), "{path}");
    }
}

#[actix_rt::test]
async fn concurrent_acceptances_of_one_invitation_create_one_partnership() {
    let app = TestApp::new().await;
    let provider = app.token(PROVIDER_SA).await;
    let created = invite(&app, &provider, "x@y.example").await;
    let body = json!({ "token": link_token(&created) });
    let (ga, aa) = (app.token(RESELLER_GA).await, app.token(RESELLER_AA).await);
    let results = join_all([
        app.post(ACCEPT_INVITATION, &ga, body.clone()),
        app.post(ACCEPT_INVITATION, &aa, body.clone()),
    ])
    .await;
    let ok = results.iter().filter(|r| r.status == 200).count();
    assert_eq!(ok, 1, "{results:?}");
    let failed = results.iter().find(|r| r.status != 200).unwrap();
    assert_invalid_link(&app, failed).await;
    let fabrikam_id = tenant_id(&app, &ga).await;
    let resellers = app.get("/v1/indirect-resellers", &provider).await;
    let listed: Vec<String> = ids(&resellers, "id")
        .into_iter()
        .filter(|id| *id == fabrikam_id)
        .collect();
    assert_eq!(listed.len(), 1);
    let audit = app
        .get(
            "/v1/audit-records?operationType=create_partner_relationship",
            &provider,
        )
        .await;
    assert_eq!(audit.items().len(), 1, "{}", audit.text);
}

#[actix_rt::test]
async fn concurrent_acceptances_of_one_relationship_request_create_one_relationship() {
    let app = TestApp::new().await;
    let fabrikam = app.token(RESELLER_SA).await;
    let fabrikam_id = tenant_id(&app, &fabrikam).await;
    let req = relationship_request(&app, &fabrikam, json!({ "includeDelegatedAdmin": true })).await;
    let (adatum, tailspin) = (
        app.token(ADATUM_ADMIN).await,
        app.token(TAILSPIN_ADMIN).await,
    );
    let results = join_all([
        accept(&app, &adatum, &req),
        accept(&app, &tailspin, &req),
        accept(&app, &adatum, &req),
    ])
    .await;
    let ok = results.iter().filter(|r| r.status == 200).count();
    assert_eq!(ok, 1, "{results:?}");
    for failed in results.iter().filter(|r| r.status != 200) {
        assert_invalid_link(&app, failed).await;
    }
    let customers = app.get("/v1/customers", &fabrikam).await;
    assert_eq!(customers.items().len(), 1, "{}", customers.text);
    let audit = app
        .get(
            "/v1/audit-records?operationType=accept_relationship_request",
            &fabrikam,
        )
        .await;
    assert_eq!(audit.items().len(), 1, "{}", audit.text);
    let partners = app
        .get(
            "/v1/my/partners",
            if results[1].status == 200 {
                &tailspin
            } else {
                &adatum
            },
        )
        .await;
    assert!(ids(&partners, "partnerId").contains(&fabrikam_id));
}
