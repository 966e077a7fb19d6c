//! Indirect resellers, the provider side of reseller partnerships (docs/concepts.md#relationships; seed
//! "Partner with indirect resellers" → "Connect with indirect resellers"): invite a reseller by
//! email (an email draft with a personalized, single-use, expiring link), list and revoke
//! invitations, list partnered resellers, read one, and end a partnership. Only an indirect
//! provider calls these (403 `indirect_provider_required`).

use actix_web::{delete, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::{Authorized, ops};
use crate::domain::{Id, LinkStatus, PartnershipStatus, TenantKind};
use crate::error::{ApiError, Problem};
use crate::extract::ValidJson;
use crate::models::invitation::InvitationRow;
use crate::models::partner::PartnerRow;
use crate::models::partnership::PartnershipRow;
use crate::models::{now, utc};
use crate::paging::{Page, PageParams, Paged};
use crate::respond::{Created, Json, NoContent, Tagged};
use crate::services::links::{IssuedLink, Link};
use crate::services::partnerships as service;
use crate::state::AppState;

/// The path the invitation link points to (with `?token=…`).
pub const ACCEPT_PATH: &str = "/v1/partnership-invitations/accept";

/// An editable email draft carrying a personalized link (the seeds' "draft email message"):
/// send it yourself, editing the text as you like but keeping the link.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EmailDraft {
    /// Recipient address (`null` when the request named none).
    pub to: Option<String>,
    /// Subject line.
    pub subject: String,
    /// Plain-text body containing the personalized link.
    pub body: String,
}

/// Request to invite an indirect reseller.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateInvitation {
    /// The reseller's email address (the draft's recipient).
    #[validate(email, length(max = 254))]
    #[schema(example = "owner@fabrikam.example", format = "email", max_length = 254)]
    pub email: String,
    /// A personal note included in the draft's body.
    #[validate(length(max = 2000))]
    #[schema(example = "Looking forward to working together.", max_length = 2000)]
    pub message: Option<String>,
}

/// A partnership invitation as listed (the link itself is shown only when created).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Invitation {
    /// Invitation id.
    pub id: Uuid,
    /// The invited email address.
    pub email: String,
    /// `pending`, `accepted`, `revoked` or `expired`.
    #[schema(example = "pending")]
    pub status: String,
    /// The reseller that accepted it, once accepted.
    pub accepted_by_partner_id: Option<Uuid>,
    /// The sign-in name (e-mail) of the reseller user who accepted the link or enrolled through
    /// it, once accepted. Invitations are bearer links (as in Partner Center): this shows who
    /// used it, which may differ from `email`.
    #[schema(example = "global.admin@northwind-it.example", format = "email")]
    pub accepted_by_email: Option<String>,
    /// When the link stops working.
    pub expires_at: DateTime<Utc>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

impl From<InvitationRow> for Invitation {
    fn from(r: InvitationRow) -> Invitation {
        Invitation {
            id: r.id.uuid(),
            status: r.display_status(now()).to_owned(),
            email: r.email,
            accepted_by_partner_id: r.accepted_by_partner_id.map(Id::uuid),
            accepted_by_email: r.accepted_by_email,
            expires_at: utc(r.expires_at),
            created_at: utc(r.created_at),
        }
    }
}

/// A created invitation: its personalized link (shown only here) and the email draft.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedInvitation {
    /// Invitation id.
    pub id: Uuid,
    /// Always `pending`.
    #[schema(value_type = String, example = "pending")]
    pub status: LinkStatus,
    /// The invited email address.
    pub email: String,
    /// The personalized, single-use link (`{PUBLIC_BASE_URL}/v1/partnership-invitations/accept?token=…`).
    pub link: String,
    /// When the link stops working (`INVITATION_TTL_DAYS` after creation).
    pub expires_at: DateTime<Utc>,
    /// The email to send.
    pub email_draft: EmailDraft,
}

fn invitation_draft(provider: &PartnerRow, row: &InvitationRow, link: &str) -> EmailDraft {
    let note = row
        .message
        .as_deref()
        .map(|m| format!("\n{m}\n"))
        .unwrap_or_default();
    EmailDraft {
        to: Some(row.email.clone()),
        subject: format!(
            "{} invites you to partner as an indirect reseller",
            provider.name
        ),
        body: format!(
            "Hello,\n\n{name} would like to partner with you as an indirect reseller: together we can serve common customers.\n{note}\n\
             Accept the partnership with this personalized link (it works once, until {expires}; do not forward it):\n{link}\n\n\
             Already have an account? Sign in and accept. New here? The same link enrolls your organisation.\n\n{name}\n",
            name = provider.name,
            expires = utc(row.expires_at).format("%Y-%m-%d %H:%M UTC"),
        ),
    }
}

/// Invite an indirect reseller by email.
///
/// Returns an email draft whose body carries a personalized link, single-use and expiring
/// (`INVITATION_TTL_DAYS`, default 14). Send it yourself. The reseller's admin accepts it with
/// `POST /v1/partnership-invitations/accept`, or enrolls a new organisation with
/// `POST /v1/partnership-invitations/enroll`. The token is stored only as a hash: this response
/// is the only place the link appears.
#[utoipa::path(
    tag = "indirect resellers",
    request_body = CreateInvitation,
    params(("Idempotency-Key" = Option<String>, Header)),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created.", body = CreatedInvitation),
        (status = 403, description = "Role not enough, or `indirect_provider_required`.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The Idempotency-Key is in use.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields.", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/indirect-resellers/invitations")]
pub async fn create_invitation(
    caller: Authorized<ops::ManageIndirectResellers>,
    state: web::Data<AppState>,
    body: ValidJson<CreateInvitation>,
) -> Result<Created<CreatedInvitation>, ApiError> {
    let req = body.0;
    let issued = IssuedLink::issue(state.config.invitation_ttl_days);
    let link = issued.url(&state.config.public_base_url, ACCEPT_PATH);
    let (row, provider) = caller
        .change(&state.pool, move |change, caller| {
            service::invite(change, caller, &req.email, req.message, &issued)
        })
        .await?;
    let email_draft = invitation_draft(&provider, &row, &link);
    Ok(Created::unlocated(CreatedInvitation {
        id: row.id.uuid(),
        status: row.status,
        email: row.email,
        link,
        expires_at: utc(row.expires_at),
        email_draft,
    }))
}

/// List the invitations the caller's provider sent, oldest first, with their status.
#[utoipa::path(
    tag = "indirect resellers",
    params(PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of invitations.", body = Page<Invitation>),
        (status = 403, description = "Role not enough, or `indirect_provider_required`.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad `limit` or `cursor`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/indirect-resellers/invitations")]
pub async fn list_invitations(
    caller: Authorized<ops::ListIndirectResellers>,
    state: web::Data<AppState>,
    query: Paged,
) -> Result<Json<Page<Invitation>>, ApiError> {
    let page = query.page.clone();
    let rows = caller
        .run(&state.pool, move |conn, caller| {
            service::list_invitations(conn, caller, &page)
        })
        .await?;
    Ok(Json::new(query.answer(
        rows,
        |r| r.id.as_str(),
        Invitation::from,
    )))
}

/// Revoke a pending invitation: its link stops working at once.
#[utoipa::path(
    tag = "indirect resellers",
    params(("invitationId" = Uuid, Path, description = "Invitation id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Revoked."),
        (status = 403, description = "Role not enough, or `indirect_provider_required`.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such invitation of yours.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invitation_not_pending`: already accepted or revoked.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invitationId` is not a UUID.", body = Problem, content_type = "application/problem+json")
    )
)]
#[delete("/indirect-resellers/invitations/{invitationId}")]
pub async fn delete_invitation(
    caller: Authorized<ops::ManageIndirectResellers>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<NoContent, ApiError> {
    let invitation_id = path.into_inner();
    caller
        .change(&state.pool, move |change, caller| {
            service::revoke(change, caller, invitation_id)
        })
        .await?;
    Ok(NoContent)
}

/// The other party of a reseller partnership: an indirect reseller (the provider's view) or an
/// indirect provider (the reseller's view), with its public support profile.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IndirectPartner {
    /// The partner's id (pass it as `indirectResellerId`, `{resellerId}` or `{providerId}`).
    pub id: Uuid,
    /// The partner's name.
    pub name: String,
    /// `indirect_reseller` or `indirect_provider`.
    pub kind: TenantKind,
    /// The partnership's status: `active` or `ended`.
    #[schema(value_type = String, example = "active")]
    pub status: PartnershipStatus,
    /// Support email.
    pub support_email: Option<String>,
    /// Support phone.
    pub support_phone: Option<String>,
    /// Website.
    pub website: Option<String>,
    /// When the partnership was first established.
    pub partner_since: DateTime<Utc>,
    /// When the partnership last changed (started again, or ended).
    pub updated_at: DateTime<Utc>,
}

impl From<(PartnershipRow, PartnerRow)> for IndirectPartner {
    fn from((ship, partner): (PartnershipRow, PartnerRow)) -> IndirectPartner {
        IndirectPartner {
            id: partner.id.uuid(),
            kind: partner.tenant_kind(),
            name: partner.name,
            status: ship.status,
            support_email: partner.support_email,
            support_phone: partner.support_phone,
            website: partner.website,
            partner_since: utc(ship.created_at),
            updated_at: utc(ship.updated_at),
        }
    }
}

/// Partnership list filters.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PartnershipQuery {
    /// `active` (default) or `ended`.
    #[validate(custom(function = "partnership_status"))]
    #[param(pattern = "^(active|ended)$")]
    pub status: Option<String>,
}

fn partnership_status(value: &str) -> Result<(), validator::ValidationError> {
    if value.parse::<PartnershipStatus>().is_ok() {
        return Ok(());
    }
    let mut e = validator::ValidationError::new("one_of");
    e.message = Some("must be `active` or `ended`".into());
    Err(e)
}

/// One page of the caller's partnerships (its resellers for a provider, its providers for a
/// reseller), for the two list operations.
pub async fn list_partnerships<P>(
    caller: Authorized<P>,
    state: &AppState,
    query: Paged<PartnershipQuery>,
) -> Result<Json<Page<IndirectPartner>>, ApiError>
where
    P: crate::auth::authorized::Permission<Caller = crate::auth::PartnerCaller>,
{
    let status = match query.filters.status.as_deref() {
        Some(s) => s.parse().map_err(ApiError::internal)?,
        None => PartnershipStatus::Active,
    };
    let page = query.page.clone();
    let rows = caller
        .run(&state.pool, move |conn, caller| {
            service::list(conn, caller, status, &page)
        })
        .await?;
    Ok(Json::new(query.answer(
        rows,
        |r| r.0.id.as_str(),
        IndirectPartner::from,
    )))
}

/// List the indirect resellers partnered with the caller's provider (active ones unless
/// `status=ended`), oldest partnership first.
#[utoipa::path(
    tag = "indirect resellers",
    params(PageParams, PartnershipQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of indirect resellers.", body = Page<IndirectPartner>),
        (status = 403, description = "Role not enough, or `indirect_provider_required`.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad `status`, `limit` or `cursor`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/indirect-resellers")]
pub async fn list_indirect_resellers(
    caller: Authorized<ops::ListIndirectResellers>,
    state: web::Data<AppState>,
    query: Paged<PartnershipQuery>,
) -> Result<Json<Page<IndirectPartner>>, ApiError> {
    list_partnerships(caller, &state, query).await
}

/// Read one indirect reseller the caller's provider is or was partnered with (others answer 404).
///
/// The ETag changes whenever the partnership or the reseller's profile changes (it is the sum of
/// their row versions, each bumped on every change).
#[utoipa::path(
    tag = "indirect resellers",
    params(("resellerId" = Uuid, Path, description = "The indirect reseller's partner id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The reseller and the partnership's status.", body = IndirectPartner, headers(("ETag" = String))),
        (status = 403, description = "Role not enough, or `indirect_provider_required`.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No partnership with this reseller.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`resellerId` is not a UUID.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/indirect-resellers/{resellerId}")]
pub async fn get_indirect_reseller(
    caller: Authorized<ops::ListIndirectResellers>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<Tagged<IndirectPartner>, ApiError> {
    let reseller_id = path.into_inner();
    let (ship, partner) = caller
        .run(&state.pool, move |conn, caller| {
            service::get_reseller(conn, caller, reseller_id)
        })
        .await?;
    Ok(Tagged::new(
        ship.version + partner.version,
        IndirectPartner::from((ship, partner)),
    ))
}

/// End the partnership with an indirect reseller.
///
/// Customers and delegated admin privileges stay; subscriptions of yours for which the reseller
/// was the designated support contact revert to you (audited).
#[utoipa::path(
    tag = "indirect resellers",
    params(("resellerId" = Uuid, Path, description = "The indirect reseller's partner id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Ended."),
        (status = 403, description = "Role not enough, or `indirect_provider_required`.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No partnership with this reseller.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`partnership_not_active`: already ended.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`resellerId` is not a UUID.", body = Problem, content_type = "application/problem+json")
    )
)]
#[delete("/indirect-resellers/{resellerId}")]
pub async fn delete_indirect_reseller(
    caller: Authorized<ops::ManageIndirectResellers>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<NoContent, ApiError> {
    let reseller_id = path.into_inner();
    caller
        .change(&state.pool, move |change, caller| {
            service::end(change, caller, reseller_id)
        })
        .await?;
    Ok(NoContent)
}

/// Registers the provider-side partnership operations (the literal `invitations` routes before
/// `{resellerId}`).
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_invitation)
        .service(list_invitations)
        .service(delete_invitation)
        .service(list_indirect_resellers)
        .service(get_indirect_reseller)
        .service(delete_indirect_reseller);
}

crate::bodies!(IndirectPartner, Invitation);

// Show a secret once: sealed by the idempotency store, `Cache-Control: no-store`.
crate::secret_bodies!(CreatedInvitation);
