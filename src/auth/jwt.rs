//! Bearer access tokens: JWTs with the algorithm pinned per key and `exp`, `iat`, `iss`, `aud`
//! and `sub` required and checked (docs/api-guide.md, RFC 8725). Time claims are checked with 60 s of
//! leeway: `nbf` and `iat` may not lie in the future, and `exp - iat` may not exceed the
//! configured lifetime. `aud` may be a string or a list that contains ours (RFC 7519 §4.1.3).
//!
//! Signing: HS256 with `JWT_SECRET` by default; with `JWT_SIGNING_KEY_FILE` (a PEM Ed25519 or
//! RSA private key) EdDSA or RS256, each token naming its key in `kid` (the key's RFC 7638
//! thumbprint), and the public keys published as a JWK set (`GET /.well-known/jwks.json`) so
//! other services can verify tokens without any secret. Verification accepts the signing key,
//! the keys of `JWT_PREVIOUS_KEY_FILES` (so tokens signed before a key rotation stay valid until
//! they expire) and HS256 tokens of `JWT_SECRET` (which only this server holds).

use chrono::Utc;
use jsonwebtoken::jwk::{Jwk, JwkSet, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode};
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

/// The issuer tokens carried before they named the server's URL (still accepted).
pub const LEGACY_ISSUER: &str = "partner-center";
/// The audience every token carries.
pub const AUDIENCE: &str = "partner-center-api";

/// An asymmetric key read from a PEM file: its algorithm, its private half when the file held
/// one, and its public half as a JWK (with `kid`).
#[derive(Clone)]
pub struct KeyPair {
    alg: Algorithm,
    encoding: Option<EncodingKey>,
    decoding: DecodingKey,
    jwk: Jwk,
}

impl KeyPair {
    /// Reads a PEM Ed25519 or RSA key: a private key (`BEGIN PRIVATE KEY`, `BEGIN RSA PRIVATE
    /// KEY`) or, for a previous key, its public half (`BEGIN PUBLIC KEY`). The error says what
    /// is wrong, for the configuration error naming the variable.
    pub fn from_pem(pem: &str) -> Result<KeyPair, String> {
        let bytes = pem.as_bytes();
        let private = [
            (Algorithm::EdDSA, ed25519_private(pem)),
            (Algorithm::RS256, EncodingKey::from_rsa_pem(bytes)),
        ];
        for (alg, key) in private {
            if let Ok(encoding) = key {
                let jwk = Jwk::from_encoding_key(&encoding, alg).map_err(|e| e.to_string())?;
                return KeyPair::with_jwk(alg, Some(encoding), jwk);
            }
        }
        let public = [
            (Algorithm::EdDSA, DecodingKey::from_ed_pem(bytes)),
            (Algorithm::RS256, DecodingKey::from_rsa_pem(bytes)),
        ];
        for (alg, key) in public {
            if let Ok(decoding) = key {
                let jwk =
                    Jwk::from_decoding_key(&decoding, Some(alg)).map_err(|e| e.to_string())?;
                return KeyPair::with_jwk(alg, None, jwk);
            }
        }
        Err("not a PEM Ed25519 or RSA key".to_owned())
    }

    fn with_jwk(
        alg: Algorithm,
        encoding: Option<EncodingKey>,
        mut jwk: Jwk,
    ) -> Result<KeyPair, String> {
        let kid = jwk
            .thumbprint(ThumbprintHash::SHA256)
            .map_err(|e| e.to_string())?;
        jwk.common.key_id = Some(kid);
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        let decoding = DecodingKey::from_jwk(&jwk).map_err(|e| e.to_string())?;
        Ok(KeyPair {
            alg,
            encoding,
            decoding,
            jwk,
        })
    }

    /// The key id (`kid`): the RFC 7638 SHA-256 thumbprint of the public key.
    pub fn kid(&self) -> &str {
        self.jwk.common.key_id.as_deref().unwrap_or_default()
    }

    /// The signing algorithm (`EdDSA` or `RS256`).
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// Whether the file held the private key (a signing key must).
    pub fn can_sign(&self) -> bool {
        self.encoding.is_some()
    }
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key itself.
        write!(f, "KeyPair({:?}, kid {})", self.alg, self.kid())
    }
}

/// An Ed25519 private key from PEM PKCS #8, version 1 (`openssl genpkey`) or 2 (with the
/// public key), as the version-1 DER jsonwebtoken signs with.
fn ed25519_private(pem: &str) -> jsonwebtoken::errors::Result<EncodingKey> {
    use ed25519_dalek::pkcs8::DecodePrivateKey;
    /// `SEQUENCE { INTEGER 0, SEQUENCE { OID 1.3.101.112 }, OCTET STRING { OCTET STRING (32) } }`.
    const V1_PREFIX: [u8; 16] = [
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    let key = ed25519_dalek::SigningKey::from_pkcs8_pem(pem)
        .map_err(|_| jsonwebtoken::errors::ErrorKind::InvalidEddsaKey)?;
    let mut der = V1_PREFIX.to_vec();
    der.extend_from_slice(&key.to_bytes());
    Ok(EncodingKey::from_ed_der(&der))
}

/// A key tokens are verified with: its `kid` (none for HS256), key and pinned validation.
struct Verifier {
    kid: Option<String>,
    key: DecodingKey,
    validation: Validation,
}

/// Signing and verification keys with the pinned validation rules.
pub struct JwtKeys {
    alg: Algorithm,
    kid: Option<String>,
    encoding: EncodingKey,
    verifiers: Vec<Verifier>,
    jwks: JwkSet,
    issuer: String,
    audience: String,
    /// Lifetime of issued tokens in seconds.
    pub ttl_seconds: i64,
}

fn validation(alg: Algorithm, issuer: &str) -> Validation {
    let mut validation = Validation::new(alg);
    validation.set_issuer(&[issuer, LEGACY_ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
    validation.validate_nbf = true;
    validation.leeway = LEEWAY_SECONDS as u64;
    validation
}

impl JwtKeys {
    /// The keys of the configuration: HS256 with `secret` (`JWT_SECRET`), or the `signing` key
    /// (`JWT_SIGNING_KEY_FILE`) with the `previous` ones (`JWT_PREVIOUS_KEY_FILES`) and HS256
    /// accepted too; tokens name `issuer` (`PUBLIC_BASE_URL`) and live `ttl_seconds`.
    pub fn configured(
        secret: &str,
        issuer: &str,
        ttl_seconds: i64,
        signing: Option<&KeyPair>,
        previous: &[KeyPair],
    ) -> JwtKeys {
        let mut keys = JwtKeys::new(secret.as_bytes(), issuer, ttl_seconds);
        let Some(signing) = signing else {
            return keys;
        };
        if let Some(encoding) = &signing.encoding {
            keys.alg = signing.alg;
            keys.kid = Some(signing.kid().to_owned());
            keys.encoding = encoding.clone();
        }
        for pair in std::iter::once(signing).chain(previous) {
            keys.verifiers.push(Verifier {
                kid: Some(pair.kid().to_owned()),
                key: pair.decoding.clone(),
                validation: validation(pair.alg, &keys.issuer),
            });
            keys.jwks.keys.push(pair.jwk.clone());
        }
        keys
    }

    /// HS256 keys from a shared secret (at least 32 bytes, checked by config), for tokens
    /// issued by `issuer`.
    pub fn new(secret: &[u8], issuer: &str, ttl_seconds: i64) -> JwtKeys {
        JwtKeys {
            alg: Algorithm::HS256,
            kid: None,
            encoding: EncodingKey::from_secret(secret),
            verifiers: vec![Verifier {
                kid: None,
                key: DecodingKey::from_secret(secret),
                validation: validation(Algorithm::HS256, issuer),
            }],
            jwks: JwkSet { keys: Vec::new() },
            issuer: issuer.to_owned(),
            audience: AUDIENCE.to_owned(),
            ttl_seconds,
        }
    }

    /// The issuer new tokens name (`iss`).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The public keys tokens are verified with, as a JWK set (empty with HS256 only).
    pub fn jwks(&self) -> &JwkSet {
        &self.jwks
    }

    /// The algorithm new tokens are signed with.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
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
        let mut header = Header::new(self.alg);
        header.kid = self.kid.clone();
        let token = jsonwebtoken::encode(&header, &claims, &self.encoding)
            .map_err(|e| ApiError::internal(format!("jwt encode: {e}")))?;
        Ok((token, self.ttl_seconds))
    }

    /// Verifies signature, algorithm, `exp`, `nbf`, `iat`, lifetime, `iss` and `aud`, with the
    /// key the header's `kid` names (HS256 when it names none). Any failure is 401.
    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        let invalid = || ApiError::unauthorized("The access token is invalid.");
        let header = jsonwebtoken::decode_header(token).map_err(|_| invalid())?;
        let verifier = self
            .verifiers
            .iter()
            .find(|v| v.kid == header.kid)
            .ok_or_else(|| {
                ApiError::unauthorized(
                    "The access token is signed with a key this server does not know.",
                )
            })?;
        let claims = decode::<Claims>(token, &verifier.key, &verifier.validation)
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
