//! Bearer access tokens: HS256 JWTs with the algorithm pinned and `exp`, `iss`, `aud` and `sub`
//! required and checked (product.md §7).

use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{ActorKind, Role, TenantKind};
use crate::error::ApiError;

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The user's or application's id.
    pub sub: String,
    /// `user` or `application`.
    pub act: ActorKind,
    /// The tenant (partner or customer) id.
    pub tid: String,
    /// The tenant kind.
    pub tkind: TenantKind,
    /// Roles at issue time (informational: each request reloads the current roles).
    pub roles: Vec<Role>,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Expiry (seconds since the epoch).
    pub exp: i64,
    /// Unique token id.
    pub jti: String,
}

/// Signing and verification keys with the pinned validation rules.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    /// Lifetime of issued tokens in seconds.
    pub ttl_seconds: i64,
}

/// The issuer and audience every token carries.
pub const ISSUER: &str = "partner-center";
/// The audience every token carries.
pub const AUDIENCE: &str = "partner-center-api";

impl JwtKeys {
    /// Keys from a shared secret (at least 32 bytes, checked by config).
    pub fn new(secret: &[u8], ttl_seconds: i64) -> JwtKeys {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 30;
        JwtKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer: ISSUER.to_owned(),
            audience: AUDIENCE.to_owned(),
            ttl_seconds,
        }
    }

    /// Issues a token; returns it with its lifetime in seconds.
    pub fn issue(
        &self,
        act: ActorKind,
        sub: Uuid,
        tkind: TenantKind,
        tid: Uuid,
        roles: Vec<Role>,
    ) -> Result<(String, i64), ApiError> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: sub.to_string(),
            act,
            tid: tid.to_string(),
            tkind,
            roles,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: now,
            exp: now + self.ttl_seconds,
            jti: Uuid::now_v7().to_string(),
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::internal(format!("jwt encode: {e}")))?;
        Ok((token, self.ttl_seconds))
    }

    /// Verifies signature, algorithm, `exp`, `iss` and `aud`. Any failure is 401.
    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind as K;
                let why = match e.kind() {
                    K::ExpiredSignature => "The access token has expired; request a new one.",
                    K::InvalidAudience => "The access token is for another audience.",
                    K::InvalidIssuer => "The access token is from another issuer.",
                    _ => "The access token is invalid.",
                };
                ApiError::unauthorized(why)
            })
    }
}
