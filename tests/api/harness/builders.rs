//! Builders for the preambles many tests share: the caller's organisation, a partnership
//! invitation and its link token, a partnership made in two calls, ids of a list, a relationship
//! request and its acceptance.

use serde_json::{Value, json};

use super::*;

/// The caller's organisation id (`GET /v1/me`).
pub async fn tenant_id(app: &TestApp, token: &str) -> String {
    let me = app.get("/v1/me", token).await;
    me.assert(200);
    me.str("tenantId")
}

/// Invites `email` as `token` (a provider user); returns the 201 body.
pub async fn invite(app: &TestApp, token: &str, email: &str) -> Value {
    let res = app
        .post(
            "/v1/indirect-resellers/invitations",
            token,
            json!({ "email": email }),
        )
        .await;
    res.assert(201);
    res.body
}

/// The `token` query parameter of a personalized link.
pub fn link_token(created: &Value) -> String {
    let link = created["link"].as_str().expect("link");
    link.split_once("token=")
        .expect("token in link")
        .1
        .to_owned()
}

/// Partners the provider of `provider_token` with the reseller of `reseller_token` (invite and
/// accept); returns the reseller's id.
pub async fn partner(app: &TestApp, provider_token: &str, reseller_token: &str) -> String {
    let created = invite(app, provider_token, "owner@reseller.example").await;
    app.post(
        "/v1/partnership-invitations/accept",
        reseller_token,
        json!({ "token": link_token(&created) }),
    )
    .await
    .assert(200);
    tenant_id(app, reseller_token).await
}

/// The ids of a collection's items under `key`.
pub fn ids(res: &Res, key: &str) -> Vec<String> {
    res.items()
        .iter()
        .map(|i| i[key].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Creates a relationship request as `token`; returns the 201 body.
pub async fn relationship_request(app: &TestApp, token: &str, body: Value) -> Value {
    let res = app.post("/v1/relationship-requests", token, body).await;
    res.assert(201);
    res.body
}

/// Accepts a relationship request as the customer admin `token`.
pub async fn accept(app: &TestApp, token: &str, created: &Value) -> Res {
    app.post(
        "/v1/relationship-requests/accept",
        token,
        json!({ "token": link_token(created) }),
    )
    .await
}
