//! Sign-in flows: password and client-credentials grants, OAuth error bodies, forced password
//! change, token validation (expiry, signature, `alg: none`, audience), live role changes.

use actix_web::http::{Method, header};
use actix_web::test::TestRequest;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::json;

use crate::harness::*;

#[actix_rt::test]
async fn sign_in_with_password_returns_bearer_token_for_me() {
    let app = TestApp::new().await;
    let res = app.sign_in(PROVIDER_SA, PASSWORD).await;
    res.assert(200);
    assert_eq!(res.body["token_type"], "Bearer");
    assert!(res.body["expires_in"].as_i64().unwrap() > 0);
    assert_eq!(res.header("cache-control").as_deref(), Some("no-store"));
    let token = res.str("access_token");
    let me = app.get("/v1/me", &token).await;
    me.assert(200);
    assert_eq!(me.body["userName"], PROVIDER_SA);
    assert_eq!(me.body["tenantKind"], "indirect_provider");
    assert_eq!(me.body["roles"], json!(["sales_agent"]));
}

#[actix_rt::test]
async fn sign_in_with_wrong_password_answers_invalid_grant() {
    let app = TestApp::new().await;
    let res = app.sign_in(PROVIDER_SA, "wrong-password").await;
    res.assert(400);
    assert_eq!(res.body["error"], "invalid_grant");
    let unknown = app.sign_in("nobody@nowhere.example", "whatever").await;
    unknown.assert(400);
    assert_eq!(unknown.body["error"], "invalid_grant");
}

#[actix_rt::test]
async fn token_request_errors_follow_rfc6749() {
    let app = TestApp::new().await;
    let form = |body: &str| {
        TestRequest::post()
            .uri("/v1/auth/token")
            .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
            .set_payload(body.to_owned())
    };
    let res = app.send(form("grant_type=authorization_code&code=x")).await;
    res.assert(400);
    assert_eq!(res.body["error"], "unsupported_grant_type");
    let res = app.send(form("grant_type=password&username=a")).await;
    res.assert(400);
    assert_eq!(res.body["error"], "invalid_request");
    let res = app.send(form("username=a&password=b")).await;
    assert_eq!(res.body["error"], "invalid_request");
    let res = app
        .send(form(
            "grant_type=client_credentials&client_id=nope&client_secret=nope",
        ))
        .await;
    res.assert(401);
    assert_eq!(res.body["error"], "invalid_client");
}

#[actix_rt::test]
async fn temporary_password_requires_change_before_sign_in() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_SA).await;
    let created = app
        .create_customer(&token, "Wingtip Toys", "wingtip.example", None)
        .await;
    let user = created["adminUser"]["userName"]
        .as_str()
        .unwrap()
        .to_owned();
    let temp = created["adminUser"]["temporaryPassword"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app.sign_in(&user, &temp).await;
    res.assert(400);
    assert_eq!(res.body["error"], "password_change_required");

    let weak = app
        .call(
            Method::POST,
            "/v1/auth/password",
            None,
            Some(json!({ "username": user, "currentPassword": temp, "newPassword": "short" })),
        )
        .await;
    weak.assert_problem(422, "validation_failed");
    assert_eq!(weak.body["errors"][0]["field"], "newPassword");

    let customer_token = app.activate(&user, &temp).await;
    let me = app.get("/v1/me", &customer_token).await;
    me.assert(200);
    assert_eq!(me.body["tenantKind"], "customer");
    assert_eq!(me.body["roles"], json!(["customer_admin"]));
    // The temporary password no longer works.
    assert_eq!(
        app.sign_in(&user, &temp).await.body["error"],
        "invalid_grant"
    );
}

#[actix_rt::test]
async fn password_change_with_wrong_current_password_is_refused() {
    let app = TestApp::new().await;
    let res = app
        .call(
            Method::POST,
            "/v1/auth/password",
            None,
            Some(json!({ "username": PROVIDER_SA, "currentPassword": "not-it", "newPassword": "Another-Passw0rd!" })),
        )
        .await;
    res.assert_problem(401, "invalid_credentials");
    app.token(PROVIDER_SA).await;
}

#[derive(serde::Serialize)]
struct Forged {
    sub: String,
    act: &'static str,
    tid: String,
    tkind: &'static str,
    roles: Vec<&'static str>,
    iss: &'static str,
    aud: &'static str,
    iat: i64,
    exp: i64,
    jti: &'static str,
    cv: i64,
}

async fn forged(app: &TestApp, secret: &str, aud: &'static str, exp_offset: i64) -> String {
    let token = app.token(PROVIDER_GA).await;
    let me = app.get("/v1/me", &token).await.body;
    let now = chrono::Utc::now().timestamp();
    let claims = Forged {
        sub: me["id"].as_str().unwrap().to_owned(),
        act: "user",
        tid: me["tenantId"].as_str().unwrap().to_owned(),
        tkind: "indirect_provider",
        roles: vec!["global_admin"],
        iss: "partner-center",
        aud,
        iat: now,
        exp: now + exp_offset,
        jti: "x",
        cv: 1,
    };
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

#[actix_rt::test]
async fn bad_tokens_answer_401_with_www_authenticate() {
    let app = TestApp::new().await;
    let secret = app.state.config.jwt_secret.clone();
    let good = forged(&app, &secret, "partner-center-api", 600).await;
    app.get("/v1/me", &good).await.assert(200);

    let expired = forged(&app, &secret, "partner-center-api", -600).await;
    let other_key = forged(
        &app,
        "another-secret-that-is-32-bytes-long!!",
        "partner-center-api",
        600,
    )
    .await;
    let other_audience = forged(&app, &secret, "someone-else", 600).await;
    let parts: Vec<&str> = good.split('.').collect();
    let none_header = base64_url(r#"{"alg":"none","typ":"JWT"}"#);
    let alg_none = format!("{none_header}.{}.", parts[1]);
    for (what, token) in [
        ("expired", expired),
        ("other key", other_key),
        ("other audience", other_audience),
        ("alg none", alg_none),
        ("garbage", "not-a-jwt".to_owned()),
    ] {
        let res = app.get("/v1/me", &token).await;
        assert_eq!(res.status.as_u16(), 401, "{what} token was accepted");
        assert_eq!(res.body["code"], "unauthorized");
        assert!(
            res.header("www-authenticate")
                .unwrap_or_default()
                .starts_with("Bearer"),
            "{what}"
        );
    }
    let missing = app.call(Method::GET, "/v1/me", None, None).await;
    missing.assert_problem(401, "unauthorized");
    assert!(missing.header("www-authenticate").is_some());
}

fn base64_url(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

#[actix_rt::test]
async fn token_request_sent_as_json_says_to_send_a_form() {
    let app = TestApp::new().await;
    let res = app
        .call(
            Method::POST,
            "/v1/auth/token",
            None,
            Some(
                json!({ "grant_type": "password", "username": PROVIDER_SA, "password": PASSWORD }),
            ),
        )
        .await;
    res.assert(400);
    assert_eq!(res.body["error"], "invalid_request");
    assert!(
        res.body["error_description"]
            .as_str()
            .unwrap()
            .contains("x-www-form-urlencoded")
    );
}
