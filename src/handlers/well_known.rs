//! What other services need to trust this server's tokens, at the standard addresses:
//! `GET /.well-known/jwks.json` (the public keys tokens are signed with, RFC 7517) and
//! `GET /.well-known/oauth-authorization-server` (RFC 8414 metadata: the endpoints, grants and
//! the key set's address).

use actix_web::get;
use actix_web::web;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::respond::Json;
use crate::state::AppState;

/// A JSON Web Key Set (RFC 7517 §5).
#[derive(Debug, Serialize, ToSchema)]
pub struct Jwks {
    /// The public keys, each with `kid` (the key id a token's header names), `kty` (`OKP` for
    /// Ed25519, `RSA`), `alg` (`EdDSA`, `RS256`) and `use: sig`; empty when tokens are HS256
    /// (the shared secret is never published).
    #[schema(value_type = Vec<Object>)]
    pub keys: Vec<serde_json::Value>,
}

/// OAuth 2.0 authorization server metadata (RFC 8414 §2).
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorizationServerMetadata {
    /// The issuer: `PUBLIC_BASE_URL`, the `iss` of every token.
    #[schema(example = "http://127.0.0.1:8080")]
    pub issuer: String,
    /// The token endpoint.
    pub token_endpoint: String,
    /// The revocation endpoint (RFC 7009).
    pub revocation_endpoint: String,
    /// The key set tokens verify against.
    pub jwks_uri: String,
    /// `password`, `refresh_token`, `client_credentials`.
    pub grant_types_supported: Vec<&'static str>,
    /// Empty: there is no authorization endpoint (no redirect-based flows).
    pub response_types_supported: Vec<&'static str>,
    /// How clients authenticate at the token endpoint.
    pub token_endpoint_auth_methods_supported: Vec<&'static str>,
    /// How clients authenticate at the revocation endpoint: `none` (the token is enough).
    pub revocation_endpoint_auth_methods_supported: Vec<&'static str>,
    /// Where the API is described (Swagger UI).
    pub service_documentation: String,
}

/// The public keys access tokens are signed with (a JWK set): verify a token's signature with
/// the key its header's `kid` names. Empty when the server signs with HS256 (`JWT_SECRET`).
#[utoipa::path(
    tag = "auth",
    responses((status = 200, description = "The key set.", body = Jwks))
)]
#[get("/.well-known/jwks.json")]
pub async fn get_jwks(state: web::Data<AppState>) -> Json<Jwks> {
    let keys = state
        .jwt
        .jwks()
        .keys
        .iter()
        .filter_map(|k| serde_json::to_value(k).ok())
        .collect();
    Json::new(Jwks { keys })
}

/// The server's OAuth 2.0 metadata (RFC 8414): token and revocation endpoints, grants, and the
/// key set's address.
#[utoipa::path(
    tag = "auth",
    responses((status = 200, description = "The metadata.", body = AuthorizationServerMetadata))
)]
#[get("/.well-known/oauth-authorization-server")]
pub async fn get_authorization_server_metadata(
    state: web::Data<AppState>,
) -> Json<AuthorizationServerMetadata> {
    let base = &state.config.public_base_url;
    Json::new(AuthorizationServerMetadata {
        issuer: state.jwt.issuer().to_owned(),
        token_endpoint: format!("{base}{}", crate::oauth::TOKEN_PATH),
        revocation_endpoint: format!("{base}{}", crate::oauth::REVOCATION_PATH),
        jwks_uri: format!("{base}/.well-known/jwks.json"),
        grant_types_supported: vec!["password", "refresh_token", "client_credentials"],
        response_types_supported: Vec::new(),
        token_endpoint_auth_methods_supported: vec![
            "client_secret_post",
            "client_secret_basic",
            "none",
        ],
        revocation_endpoint_auth_methods_supported: vec!["none"],
        service_documentation: format!("{base}/swagger-ui/"),
    })
}

/// Registers the routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_jwks)
        .service(get_authorization_server_metadata);
}

crate::bodies!(Jwks, AuthorizationServerMetadata);
