//! Refresh tokens (RFC 6749 §6, RFC 9700 rotation and reuse detection, RFC 7009 revocation):
//! a password sign-in answers a refresh token; exchanging it answers a new pair; a reused one
//! revokes its whole family; a password change, disabling or a role change revokes them.

use actix_web::http::{Method, header};
use actix_web::test::TestRequest;
use serde_json::json;

use crate::harness::*;

async fn form(app: &TestApp, path: &str, body: &str) -> Res {
    app.send(
        TestRequest::post()
            .uri(path)
            .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
            .set_payload(body.to_owned()),
    )
    .await
}

async fn refresh(app: &TestApp, token: &str) -> Res {
    form(
        app,
        "/v1/auth/token",
        &format!(
            "grant_type=refresh_token&refresh_token={}",
            urlencode(token)
        ),
    )
    .await
}

/// Signs in with the password; the refresh token of the answer.
async fn signed_in(app: &TestApp, username: &str) -> String {
    let res = app.sign_in(username, PASSWORD).await;
    res.assert(200);
    res.str("refresh_token")
}

#[track_caller]
fn assert_refused(res: &Res) {
    res.assert(400);
    assert_eq!(res.body["error"], "invalid_grant", "{}", res.text);
}

#[actix_rt::test]
async fn refresh_with_a_fresh_token_answers_a_new_pair_each_time() {
    let app = TestApp::new().await;
    let first = signed_in(&app, PROVIDER_SA).await;
    let res = refresh(&app, &first).await;
    res.assert(200);
    assert_eq!(res.header("cache-control").as_deref(), Some("no-store"));
    let second = res.str("refresh_token");
    assert_ne!(second, first);
    let me = app.get("/v1/me", &res.str("access_token")).await;
    me.assert(200);
    assert_eq!(me.body["userName"], PROVIDER_SA);
    let third = refresh(&app, &second).await;
    third.assert(200);
    assert_ne!(third.str("refresh_token"), second);
}

#[actix_rt::test]
async fn refresh_with_a_used_token_revokes_its_whole_family() {
    let app = TestApp::new().await;
    let first = signed_in(&app, PROVIDER_SA).await;
    let second = refresh(&app, &first).await.str("refresh_token");
    // The first token is replayed (stolen): refused, and the legitimate newer one dies with it.
    assert_refused(&refresh(&app, &first).await);
    assert_refused(&refresh(&app, &second).await);
    // Another sign-in starts a new family.
    let other = signed_in(&app, PROVIDER_SA).await;
    refresh(&app, &other).await.assert(200);
}

#[actix_rt::test]
async fn refresh_after_a_password_change_is_refused() {
    let app = TestApp::new().await;
    let token = signed_in(&app, PROVIDER_SA).await;
    app.call(
        Method::POST,
        "/v1/auth/password",
        None,
        Some(json!({ "username": PROVIDER_SA, "currentPassword": PASSWORD, "newPassword": "Another-Passw0rd!" })),
    )
    .await
    .assert(204);
    assert_refused(&refresh(&app, &token).await);
}

#[actix_rt::test]
async fn refresh_after_the_user_is_disabled_or_its_roles_change_is_refused() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let disabled = signed_in(&app, PROVIDER_SA).await;
    let demoted = signed_in(&app, PROVIDER_HA).await;
    let user = |name| {
        let app = &app;
        async move { format!("/v1/users/{}", app.user_id(name).await) }
    };
    app.patch(&user(PROVIDER_SA).await, &ga, json!({ "disabled": true }))
        .await
        .assert(200);
    app.patch(
        &user(PROVIDER_HA).await,
        &ga,
        json!({ "roles": ["sales_agent"] }),
    )
    .await
    .assert(200);
    assert_refused(&refresh(&app, &disabled).await);
    assert_refused(&refresh(&app, &demoted).await);
}

#[actix_rt::test]
async fn revoke_a_refresh_token_answers_200_and_the_token_is_refused() {
    let app = TestApp::new().await;
    let token = signed_in(&app, PROVIDER_SA).await;
    let next = refresh(&app, &token).await.str("refresh_token");
    let res = form(
        &app,
        "/v1/auth/revoke",
        &format!("token={}&token_type_hint=refresh_token", urlencode(&next)),
    )
    .await;
    res.assert(200);
    assert_refused(&refresh(&app, &next).await);
    // Unknown tokens answer 200 too (RFC 7009 §2.2); access tokens are not revocable here.
    form(&app, "/v1/auth/revoke", "token=not-a-token")
        .await
        .assert(200);
    let res = form(
        &app,
        "/v1/auth/revoke",
        "token=abc&token_type_hint=access_token",
    )
    .await;
    res.assert(400);
    assert_eq!(res.body["error"], "unsupported_token_type");
    let res = form(&app, "/v1/auth/revoke", "").await;
    res.assert(400);
    assert_eq!(res.body["error"], "invalid_request");
}

#[actix_rt::test]
async fn sign_in_stores_only_a_hash_of_the_refresh_token() {
    use partner_center::models::refresh_token::RefreshTokenRow;
    let app = TestApp::new().await;
    let token = signed_in(&app, PROVIDER_SA).await;
    let hash = partner_center::auth::password::sha256_hex(&token);
    let (by_token, by_hash) = app
        .with_conn(move |conn| {
            (
                RefreshTokenRow::find_by_hash(conn, &token).unwrap(),
                RefreshTokenRow::find_by_hash(conn, &hash).unwrap(),
            )
        })
        .await;
    assert!(by_token.is_none(), "the token itself is stored");
    assert!(by_hash.is_some(), "no row for the token's hash");
}

#[actix_rt::test]
async fn client_credentials_answer_no_refresh_token() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let created = app.create_application(&ga, "Bot", &["sales_agent"]).await;
    let res = app
        .client_sign_in(
            created["application"]["clientId"].as_str().unwrap(),
            created["clientSecret"].as_str().unwrap(),
        )
        .await;
    res.assert(200);
    assert!(res.body.get("refresh_token").is_none(), "{}", res.text);
}
