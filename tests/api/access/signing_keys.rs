//! Asymmetric signing: with `JWT_SIGNING_KEY_FILE` tokens are EdDSA (or RS256) with a `kid`, the
//! public keys are published at `/.well-known/jwks.json` and verify the tokens with a standard
//! JWT library, the RFC 8414 metadata points to them, and a rotated-out key keeps its tokens
//! valid while it is listed in `JWT_PREVIOUS_KEY_FILES`. HS256 stays the default.

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use partner_center::auth::jwt::KeyPair;

use crate::harness::*;

/// A fresh Ed25519 private key, PEM (PKCS #8).
fn ed25519_pem() -> String {
    use ed25519_dalek::pkcs8::EncodePrivateKey;
    use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
    ed25519_dalek::SigningKey::from_bytes(&rand::random())
        .to_pkcs8_pem(LineEnding::LF)
        .expect("pem")
        .to_string()
}

fn key(pem: &str) -> KeyPair {
    KeyPair::from_pem(pem).expect("an Ed25519 key")
}

async fn jwks(app: &TestApp) -> JwkSet {
    let res = app
        .call(
            actix_web::http::Method::GET,
            "/.well-known/jwks.json",
            None,
            None,
        )
        .await;
    res.assert(200);
    serde_json::from_value(res.body).expect("a JWK set")
}

fn kid_of(token: &str) -> Option<String> {
    jsonwebtoken::decode_header(token).expect("header").kid
}

#[actix_rt::test]
async fn sign_in_with_an_ed25519_key_answers_tokens_that_verify_against_the_published_jwks() {
    let signing = key(&ed25519_pem());
    let kid = signing.kid().to_owned();
    let app = TestApp::with_config(|c| c.jwt_signing_key = Some(signing)).await;
    let token = app.token_with(PROVIDER_SA, PASSWORD).await;
    let header = jsonwebtoken::decode_header(&token).expect("header");
    assert_eq!(header.alg, Algorithm::EdDSA);
    assert_eq!(header.kid.as_deref(), Some(kid.as_str()));

    let set = jwks(&app).await;
    assert_eq!(set.keys.len(), 1);
    let jwk = set.find(&kid).expect("the signing key is published");
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_audience(&["partner-center-api"]);
    validation.set_issuer(&["http://localhost:8080"]);
    let claims = jsonwebtoken::decode::<serde_json::Value>(
        &token,
        &DecodingKey::from_jwk(jwk).expect("decoding key"),
        &validation,
    )
    .expect("the token verifies against the published key")
    .claims;
    assert_eq!(claims["sub"], app.user_id(PROVIDER_SA).await);
    app.get("/v1/me", &token).await.assert(200);
}

#[actix_rt::test]
async fn rotation_keeps_tokens_of_the_previous_key_valid_while_it_is_listed() {
    let (old_pem, new_pem) = (ed25519_pem(), ed25519_pem());
    let old_app = TestApp::with_config(|c| c.jwt_signing_key = Some(key(&old_pem))).await;
    let old_token = old_app.token(PROVIDER_SA).await;

    // Rotated: signs with the new key, still accepts and publishes the old one.
    let rotated = TestApp::with_config(|c| {
        c.jwt_signing_key = Some(key(&new_pem));
        c.jwt_previous_keys = vec![key(&old_pem)];
    })
    .await;
    rotated.get("/v1/me", &old_token).await.assert(200);
    let new_token = rotated.token_with(PROVIDER_SA, PASSWORD).await;
    assert_eq!(kid_of(&new_token).as_deref(), Some(key(&new_pem).kid()));
    let published: Vec<_> = jwks(&rotated)
        .await
        .keys
        .into_iter()
        .filter_map(|k| k.common.key_id)
        .collect();
    assert_eq!(
        published,
        vec![
            key(&new_pem).kid().to_owned(),
            key(&old_pem).kid().to_owned()
        ]
    );

    // Once the old key is dropped from the list, its tokens are refused.
    let done = TestApp::with_config(|c| c.jwt_signing_key = Some(key(&new_pem))).await;
    done.get("/v1/me", &old_token)
        .await
        .assert_problem(401, "unauthorized");
    done.get("/v1/me", &new_token).await.assert(200);
}

#[actix_rt::test]
async fn default_hs256_tokens_publish_no_keys_and_stay_valid_after_a_switch_to_ed25519() {
    let app = TestApp::new().await;
    let hs256 = app.token(PROVIDER_SA).await;
    assert_eq!(
        jsonwebtoken::decode_header(&hs256).expect("header").alg,
        Algorithm::HS256
    );
    assert!(
        jwks(&app).await.keys.is_empty(),
        "the secret is never published"
    );
    let switched = TestApp::with_config(|c| c.jwt_signing_key = Some(key(&ed25519_pem()))).await;
    switched.get("/v1/me", &hs256).await.assert(200);
}

#[actix_rt::test]
async fn authorization_server_metadata_names_the_endpoints_and_the_key_set() {
    let app = TestApp::new().await;
    let res = app
        .call(
            actix_web::http::Method::GET,
            "/.well-known/oauth-authorization-server",
            None,
            None,
        )
        .await;
    res.assert(200);
    let base = "http://localhost:8080";
    assert_eq!(res.body["issuer"], base);
    assert_eq!(res.body["token_endpoint"], format!("{base}/v1/auth/token"));
    assert_eq!(
        res.body["revocation_endpoint"],
        format!("{base}/v1/auth/revoke")
    );
    assert_eq!(
        res.body["jwks_uri"],
        format!("{base}/.well-known/jwks.json")
    );
    let grants = res.body["grant_types_supported"].to_string();
    for grant in ["password", "refresh_token", "client_credentials"] {
        assert!(grants.contains(grant), "{grants}");
    }
    // Tokens name the same issuer.
    let token = app.token(PROVIDER_SA).await;
    let payload = token.split('.').nth(1).expect("payload");
    use base64::Engine;
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .expect("base64url"),
    )
    .expect("json");
    assert_eq!(claims["iss"], base);
}

#[actix_rt::test]
async fn a_public_key_file_is_refused_as_the_signing_key() {
    use ed25519_dalek::pkcs8::EncodePublicKey;
    use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
    let public = ed25519_dalek::SigningKey::from_bytes(&rand::random())
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .expect("pem");
    let pair = KeyPair::from_pem(&public).expect("a public key reads as a previous key");
    assert!(!pair.can_sign());
    let path = std::env::temp_dir().join(format!("pc-pub-{}.pem", uuid::Uuid::new_v4()));
    std::fs::write(&path, public).expect("write");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_partner-center"))
        .arg("migrate")
        .env(
            "DATABASE_URL",
            std::env::temp_dir().join("pc-never-created.db"),
        )
        .env("JWT_SECRET", "a-secret-that-is-at-least-32-bytes-long!!")
        .env("JWT_SIGNING_KEY_FILE", &path)
        .output()
        .expect("run");
    let _ = std::fs::remove_file(&path);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("JWT_SIGNING_KEY_FILE") && stderr.contains("public key"),
        "{stderr}"
    );
}
