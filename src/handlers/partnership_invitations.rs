//! Partnership invitations, the reseller side (docs/concepts.md#relationships): a signed-in indirect reseller
//! accepts an invitation link, or a reseller without an organisation yet enrolls through it (no
//! sign-in) and gets its organisation, a global admin with a temporary password and the
//! partnership in one step. A used, expired, revoked, unknown or wrong-purpose token answers 422
//! `invalid_link_token`, always with the same detail.

use actix_web::{post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::customers::AdminUserCredentials;
use super::indirect_resellers::IndirectPartner;
use crate::auth::{Authorized, ops};
use crate::domain::TenantKind;
use crate::error::{ApiError, Problem};
use crate::extract::ValidJson;
use crate::idempotency;
use crate::models::partner::PartnerRow;
use crate::models::utc;
use crate::request_id::RequestId;
use crate::respond::{Created, Json};
use crate::services::partnerships::{self as service, Enrollment as NewEnrollment};
use crate::state::AppState;
use crate::validate;

/// A link token presented for acceptance.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AcceptLink {
    /// The `token` query parameter of the personalized link.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub token: String,
}

/// Accept a partnership invitation as the signed-in indirect reseller.
///
/// Both sides then list each other (`GET /v1/indirect-resellers`, `GET /v1/indirect-providers`).
/// The link works once; a pair has at most one active partnership.
#[utoipa::path(
    tag = "indirect providers",
    request_body = AcceptLink,
    params(("Idempotency-Key" = Option<String>, Header)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Accepted: the indirect provider you are now partnered with.", body = IndirectPartner),
        (status = 403, description = "Role not enough, or `indirect_reseller_required`.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`partnership_exists`, or the Idempotency-Key is in use.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_link_token` (unknown, used, revoked or expired), or invalid fields.", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/partnership-invitations/accept")]
pub async fn accept_partnership_invitation(
    caller: Authorized<ops::AcceptPartnershipInvitation>,
    state: web::Data<AppState>,
    body: ValidJson<AcceptLink>,
) -> Result<Json<IndirectPartner>, ApiError> {
    let token = body.0.token;
    let accepted = caller
        .change(&state.pool, move |change, caller| {
            service::accept(change, caller, &token)
        })
        .await?;
    Ok(Json::new(IndirectPartner::from(accepted)))
}

/// Request to enroll a new indirect reseller through an invitation link.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnrollReseller {
    /// The `token` query parameter of the personalized link.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub token: String,
    /// The new organisation's name.
    #[validate(length(min = 1, max = 200), custom(function = "validate::name"))]
    #[schema(
        pattern = r"^[^\u200E\u200F\u202A-\u202E\u2066-\u2069]*[^\s\u0085\u200E\u200F\u202A-\u202E\u2066-\u2069][^\u200E\u200F\u202A-\u202E\u2066-\u2069]*$",
        example = "Fabrikam Resellers",
        min_length = 1,
        max_length = 200
    )]
    pub partner_name: String,
    /// The global admin's email: its sign-in name, and the organisation's support email.
    #[validate(email, length(max = 254))]
    #[schema(example = "owner@fabrikam.example", format = "email", max_length = 254)]
    pub admin_email: String,
    /// The global admin's display name.
    #[validate(length(min = 1, max = 200), custom(function = "validate::name"))]
    #[schema(
        pattern = r"^[^\u200E\u200F\u202A-\u202E\u2066-\u2069]*[^\s\u0085\u200E\u200F\u202A-\u202E\u2066-\u2069][^\u200E\u200F\u202A-\u202E\u2066-\u2069]*$",
        example = "Pat Owner",
        min_length = 1,
        max_length = 200
    )]
    pub admin_display_name: String,
}

/// The organisation an enrollment created.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EnrolledPartner {
    /// Partner id.
    pub id: Uuid,
    /// Always `indirect_reseller`.
    pub kind: TenantKind,
    /// Name.
    pub name: String,
    /// Support email (the admin's email; change it with the partner profile).
    pub support_email: Option<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

impl From<PartnerRow> for EnrolledPartner {
    fn from(p: PartnerRow) -> EnrolledPartner {
        EnrolledPartner {
            id: p.id.uuid(),
            kind: p.tenant_kind(),
            name: p.name,
            support_email: p.support_email,
            created_at: utc(p.created_at),
        }
    }
}

/// A completed enrollment.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Enrollment {
    /// The new indirect reseller.
    pub partner: EnrolledPartner,
    /// Its global admin (the temporary password is shown once; change it at first sign-in
    /// with `POST /v1/auth/password`).
    pub admin_user: AdminUserCredentials,
    /// The indirect provider it is now partnered with.
    pub indirect_provider: IndirectPartner,
}

/// Enroll a new indirect reseller through an invitation link (no sign-in).
///
/// Creates the organisation, its global admin with a temporary password (shown only in this
/// response) and the partnership with the inviting provider, all at once; the link is then used
/// up. A reseller that already has an account signs in and calls
/// `POST /v1/partnership-invitations/accept` instead.
#[utoipa::path(
    tag = "indirect providers",
    request_body = EnrollReseller,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses(
        (status = 201, description = "Enrolled and partnered.", body = Enrollment),
        (status = 409, description = "`duplicate_user_name` on `adminEmail`, or the Idempotency-Key is in use.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_link_token` (unknown, used, revoked or expired), `domain_not_owned` on `adminEmail` (another organisation owns its domain), or invalid fields.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`sign_in_busy`: every password-hashing thread is busy; or the database is unavailable.", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait before retrying.")))
    )
)]
#[post("/partnership-invitations/enroll")]
pub async fn enroll_partnership_invitation(
    state: web::Data<AppState>,
    request_id: RequestId,
    claimed: idempotency::Claimed,
    body: ValidJson<EnrollReseller>,
) -> Result<Created<Enrollment>, ApiError> {
    // Anonymous: the link token is the credential (no permission-table row, no `Authorized`); the workflow,
    // writes included, is the service's.
    let req = body.0;
    let enrollment = NewEnrollment {
        token: req.token,
        partner_name: req.partner_name,
        admin_email: req.admin_email,
        admin_display_name: req.admin_display_name,
    };
    let (enrolled, temporary_password) = service::enroll_through_link(
        &state.pool,
        &state.hasher,
        request_id.0,
        claimed.0,
        enrollment,
    )
    .await?;
    Ok(Created::unlocated(Enrollment {
        partner: enrolled.reseller.into(),
        admin_user: AdminUserCredentials {
            user_name: enrolled.user_name,
            temporary_password,
        },
        indirect_provider: (enrolled.partnership, enrolled.provider).into(),
    }))
}

/// Registers the reseller-side invitation operations.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(accept_partnership_invitation)
        .service(enroll_partnership_invitation);
}

// Show a secret once: sealed by the idempotency store, `Cache-Control: no-store`.
crate::secret_bodies!(Enrollment);
