//! Bearer access tokens: HS256 JWTs with the algorithm pinned and `exp`, `iat`, `iss`, `aud` and
//! `sub` required and checked (product.md §7, RFC 8725). Time claims are checked with 60 s of
//! leeway: `nbf` and `iat` may not lie in the future, and `exp - iat` may not exceed the
//! configured lifetime. `aud` may be a string or a list that contains ours (RFC 7519 §4.1.3).

use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::{ActorKind, Role, TenantKind};
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
    /// Audience: a string, or a list that must contain ours.
    pub aud: Audience,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Expiry (seconds since the epoch).
    pub exp: i64,
    /// Unique token id.
    pub jti: String,
    /// The user's credentials version at issue time (0 for applications); a token whose version
    /// is older than the user's current one is revoked.
    #[serde(default)]
    pub cv: i64,
}

/// The `aud` claim: RFC 7519 §4.1.3 allows a single string or an array of strings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    /// One audience.
    One(String),
    /// Several audiences.
    Many(Vec<String>),
}

/// Leeway for clock skew on `exp`, `nbf` and `iat`, in seconds.
pub const LEEWAY_SECONDS: i64 = 60;

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
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECONDS as u64;
        JwtKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer: ISSUER.to_owned(),
            audience: AUDIENCE.to_owned(),
            ttl_seconds,
        }
    }

    /// Issues a token carrying the subject's credentials version `cv`; returns it with its
    /// lifetime in seconds.
    pub fn issue(
        &self,
        act: ActorKind,
        sub: Uuid,
        tkind: TenantKind,
        tid: Uuid,
        roles: Vec<Role>,
        cv: i64,
    ) -> Result<(String, i64), ApiError> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: sub.to_string(),
            act,
            tid: tid.to_string(),
            tkind,
            roles,
            iss: self.issuer.clone(),
            aud: Audience::One(self.audience.clone()),
            iat: now,
            exp: now + self.ttl_seconds,
            jti: Uuid::now_v7().to_string(),
            cv,
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::internal(format!("jwt encode: {e}")))?;
        Ok((token, self.ttl_seconds))
    }

    /// Verifies signature, algorithm, `exp`, `nbf`, `iat`, lifetime, `iss` and `aud`. Any
    /// failure is 401.
    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        let claims = decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind as K;
                let why = match e.kind() {
                    K::ExpiredSignature => "The access token has expired; request a new one.",
                    K::InvalidAudience => "The access token is for another audience.",
                    K::InvalidIssuer => "The access token is from another issuer.",
                    K::ImmatureSignature => "The access token is not valid yet (`nbf`).",
                    _ => "The access token is invalid.",
                };
                ApiError::unauthorized(why)
            })?;
        let now = Utc::now().timestamp();
        if claims.iat > now + LEEWAY_SECONDS {
            return Err(ApiError::unauthorized(
                "The access token was issued in the future (`iat`).",
            ));
        }
        if claims.exp - claims.iat > self.ttl_seconds + LEEWAY_SECONDS {
            return Err(ApiError::unauthorized(
                "The access token's lifetime is longer than this server issues.",
            ));
        }
        Ok(claims)
    }
}
