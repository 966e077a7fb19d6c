//! Personalized links of partnership invitations, relationship requests and GDAP approval
//! requests (docs/concepts.md#relationships, #granular-delegated-admin-gdap): a random token, single-use, expiring after `INVITATION_TTL_DAYS`, stored only as its
//! SHA-256 hash and bound to its purpose (each kind is looked up in its own table, so an
//! invitation token is unknown to relationship-request acceptance and vice versa). Every reason a
//! token cannot be used answers the same [`invalid_link_token`] error, so a caller learns nothing
//! about other partners' links. The lifecycle both kinds share (pending, usable until expiry,
//! shown as `expired`) is [`Link`].

use actix_web::http::StatusCode;
use chrono::{Duration, NaiveDateTime};

use crate::auth::password;
use crate::db::AnyConnection;
use crate::domain::LinkStatus;
use crate::error::{ApiError, ProblemCode};
use crate::models::gdap::ApprovalRequestRow;
use crate::models::invitation::InvitationRow;
use crate::models::relationship_request::RelationshipRequestRow;

/// A freshly issued link token: the secret (only ever shown in the creating response) and what
/// is stored.
#[derive(Debug, Clone)]
pub struct IssuedLink {
    /// The secret token carried by the link.
    pub token: String,
    /// Its SHA-256 hex digest, the only form stored.
    pub token_hash: String,
    /// When the link stops working.
    pub expires_at: NaiveDateTime,
}

impl IssuedLink {
    /// A new random token valid for `ttl_days` days from now.
    pub fn issue(ttl_days: i64) -> IssuedLink {
        let (token, token_hash) = password::link_token();
        IssuedLink {
            token,
            token_hash,
            expires_at: crate::models::now() + Duration::days(ttl_days),
        }
    }

    /// The personalized link: `{base}{path}?token=…` (the token is URL-safe base64).
    pub fn url(&self, public_base_url: &str, path: &str) -> String {
        format!("{public_base_url}{path}?token={}", self.token)
    }
}

/// The stored form of a presented token.
pub fn hash(token: &str) -> String {
    password::sha256_hex(token.trim())
}

/// 422 `invalid_link_token`: the one answer for an unknown, used, revoked, expired or
/// wrong-purpose token, with the same detail whatever the cause.
pub fn invalid_link_token() -> ApiError {
    ApiError::field(
        StatusCode::UNPROCESSABLE_ENTITY,
        ProblemCode::InvalidLinkToken,
        "token",
        "This link cannot be used: it is unknown, was already used, was revoked or has expired. \
         Ask the sender for a new link.",
    )
}

/// The lifecycle every stored link shares (partnership invitations and relationship requests):
/// `pending` until used (or revoked), usable only before it expires, shown as `expired` once a
/// pending link is past its expiry. The one home of that rule; each table keeps its own
/// compare-and-swap away from `pending`.
pub trait Link: Sized {
    /// The stored status.
    fn stored_status(&self) -> LinkStatus;
    /// When the link stops working.
    fn expires_at(&self) -> NaiveDateTime;

    /// Whether the link can still be used at `now`: pending and not expired.
    fn is_usable(&self, now: NaiveDateTime) -> bool {
        self.stored_status() == LinkStatus::Pending && self.expires_at() > now
    }

    /// The status as the API shows it: the stored one, or `expired` for a pending link past its
    /// expiry.
    fn display_status(&self, now: NaiveDateTime) -> &'static str {
        if self.stored_status() == LinkStatus::Pending && self.expires_at() <= now {
            "expired"
        } else {
            self.stored_status().as_str()
        }
    }
}

impl Link for InvitationRow {
    fn stored_status(&self) -> LinkStatus {
        self.status
    }
    fn expires_at(&self) -> NaiveDateTime {
        self.expires_at
    }
}

impl Link for ApprovalRequestRow {
    fn stored_status(&self) -> LinkStatus {
        self.status
    }
    fn expires_at(&self) -> NaiveDateTime {
        self.expires_at
    }
}

impl Link for RelationshipRequestRow {
    fn stored_status(&self) -> LinkStatus {
        self.status
    }
    fn expires_at(&self) -> NaiveDateTime {
        self.expires_at
    }
}

/// The link a presented `token` names while it can still be used, looked up by its hash with
/// `find` (the link kind's own table, so a token is bound to its purpose). Errors: 422
/// [`invalid_link_token`] for an unknown, used, revoked or expired token.
pub fn usable<L: Link>(
    conn: &mut AnyConnection,
    token: &str,
    find: impl FnOnce(&mut AnyConnection, &str) -> diesel::QueryResult<Option<L>>,
) -> Result<L, ApiError> {
    find(conn, &hash(token))?
        .filter(|link| link.is_usable(crate::models::now()))
        .ok_or_else(invalid_link_token)
}
