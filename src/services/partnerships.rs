//! Reseller partnerships (docs/concepts.md#relationships, seed "Partner with indirect resellers" → "Connect with
//! indirect resellers"): an indirect provider invites a reseller by email, the reseller accepts
//! the personalized link (or enrolls a new organisation through it), and either side ends the
//! partnership. A pair has at most one active partnership; ending it keeps customers and DAP but
//! reverts the reseller's support-contact assignments (docs/concepts.md#designated-support-contact). Each workflow is one
//! transaction with its audit records, written for every partner involved. Which side may call
//! which workflow is the permission table's business (`ManageIndirectResellers`, `ListIndirectResellers`
//! for providers; `AcceptPartnershipInvitation`, `ManageIndirectProviders`,
//! `ListIndirectProviders` for resellers): here the caller's own partner id is its side of the
//! pair.

use actix_web::http::StatusCode;
use uuid::Uuid;

use super::links::{self, invalid_link_token};
use super::support_contacts::{self, RevertCause};
use crate::auth::{PartnerCaller, Principal, password};
use crate::change::Change;
use crate::db::{self, AnyConnection, Pool};
use crate::domain::{ActorKind, Role, TenantKind};
use crate::domain::{AuditOperation, LinkStatus, PartnershipStatus};
use crate::error::{ApiError, ProblemCode};
use crate::models::audit::{Actor, Audit};
use crate::models::idempotency_key::PendingKey;
use crate::models::invitation::InvitationRow;
use crate::models::partner::PartnerRow;
use crate::models::partnership::{PartnershipRow, Side};
use crate::models::user::{NewUser, UserRow};
use crate::paging::PageRequest;

/// Records a pending invitation from the caller's provider to `email` (link token already
/// issued). Returns the invitation and the provider (for the email draft).
pub fn invite(
    change: &mut Change<'_>,
    caller: &PartnerCaller,
    email: &str,
    message: Option<String>,
    link: &links::IssuedLink,
) -> Result<(InvitationRow, PartnerRow), ApiError> {
    let provider_id = caller.partner_id();
    let provider = PartnerRow::find(change.conn(), provider_id)?
        .ok_or_else(|| ApiError::not_found("The partner"))?;
    let row = InvitationRow::new(
        provider_id,
        email,
        message,
        link.token_hash.clone(),
        link.expires_at,
    );
    InvitationRow::insert(change.conn(), &row)?;
    change.audit(Audit::new(AuditOperation::CreatePartnershipInvitation, row.id,
    )
    .partner(provider_id)
    .new_value(serde_json::json!({ "email": row.email, "expiresAt": crate::models::utc(row.expires_at) }))
    );
    Ok((row, provider))
}

/// One page of the invitations the caller's provider sent (up to `page.limit + 1` rows in id
/// order; see `paging`).
pub fn list_invitations(
    conn: &mut AnyConnection,
    caller: &PartnerCaller,
    page: &PageRequest,
) -> Result<Vec<InvitationRow>, ApiError> {
    Ok(InvitationRow::page_for_provider(
        conn,
        caller.partner_id(),
        page.after.as_deref(),
        page.rows_to_fetch(),
    )?)
}

/// Revokes a pending invitation of the caller's provider so its link stops working. Errors: 404
/// `not_found` (not this provider's), 409 `invitation_not_pending` (already accepted or revoked).
pub fn revoke(
    change: &mut Change<'_>,
    caller: &PartnerCaller,
    invitation_id: Uuid,
) -> Result<(), ApiError> {
    let provider_id = caller.partner_id();
    let row = InvitationRow::find_for_provider(change.conn(), provider_id, invitation_id)?
        .ok_or_else(|| ApiError::not_found("The invitation"))?;
    if !InvitationRow::revoke(change.conn(), &row.id)? {
        return Err(ApiError::conflict(
            ProblemCode::InvitationNotPending,
            format!(
                "This invitation is already {}; only a pending invitation can be revoked.",
                row.status
            ),
        ));
    }
    change.audit(
        Audit::new(AuditOperation::RevokePartnershipInvitation, row.id)
            .partner(provider_id)
            .old_value(serde_json::json!({ "status": row.status }))
            .new_value(serde_json::json!({ "status": LinkStatus::Revoked })),
    );
    Ok(())
}

/// The invitation behind a link token while it can still be used. Errors: 422
/// `invalid_link_token` (unknown, used, revoked or expired).
pub fn usable_invitation(conn: &mut AnyConnection, token: &str) -> Result<InvitationRow, ApiError> {
    links::usable(conn, token, InvitationRow::find_by_token_hash)
}

/// Consumes a usable invitation link for `reseller_id`, accepted by the user `email`: the
/// compare-and-swap from `pending` to `accepted` lets exactly one of two concurrent acceptances
/// through.
fn consume(
    conn: &mut AnyConnection,
    token: &str,
    reseller_id: Uuid,
    email: Option<&str>,
) -> Result<InvitationRow, ApiError> {
    let row = usable_invitation(conn, token)?;
    if !InvitationRow::accept(conn, &row.id, reseller_id, email)? {
        return Err(invalid_link_token());
    }
    Ok(row)
}

/// Starts (or restarts) the pair's partnership and audits `create_partner_relationship` for both.
/// Errors: 409 `partnership_exists` when the pair already has an active partnership.
fn start(
    change: &mut Change<'_>,
    invitation: &InvitationRow,
    reseller_id: Uuid,
) -> Result<PartnershipRow, ApiError> {
    let provider_id = invitation.provider_id.uuid();
    let exists = || {
        ApiError::conflict(
            ProblemCode::PartnershipExists,
            "You already have an active partnership with this indirect provider.",
        )
    };
    let (row, was_active) = PartnershipRow::activate(change.conn(), provider_id, reseller_id)
        .map_err(|e| match e {
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            ) => exists(),
            other => other.into(),
        })?;
    if was_active {
        return Err(exists());
    }
    for partner in [provider_id, reseller_id] {
        change.audit(
            Audit::new(AuditOperation::CreatePartnerRelationship, row.id)
                .partner(partner)
                .new_value(serde_json::json!({
                    "providerId": provider_id,
                    "resellerId": reseller_id,
                    "status": PartnershipStatus::Active,
                    "invitationId": invitation.id,
                })),
        );
    }
    Ok(row)
}

/// Accepts an invitation as the caller's indirect reseller. Returns the partnership and the
/// provider. Errors: 422 `invalid_link_token`, 409 `partnership_exists` (the invitation stays
/// usable then).
pub fn accept(
    change: &mut Change<'_>,
    caller: &PartnerCaller,
    token: &str,
) -> Result<(PartnershipRow, PartnerRow), ApiError> {
    let reseller_id = caller.partner_id();
    let email = match caller.actor_kind {
        ActorKind::User => UserRow::find(change.conn(), caller.actor_id)?.map(|u| u.user_name),
        ActorKind::Application => None,
    };
    let invitation = consume(change.conn(), token, reseller_id, email.as_deref())?;
    let partnership = start(change, &invitation, reseller_id)?;
    let provider = PartnerRow::find(change.conn(), invitation.provider_id.uuid())?
        .ok_or_else(|| ApiError::not_found("The indirect provider"))?;
    Ok((partnership, provider))
}

/// A new reseller organisation enrolling through an invitation link.
#[derive(Debug, Clone)]
pub struct NewReseller {
    /// Organisation name (trimmed, 1–200 characters).
    pub partner_name: String,
    /// The global admin's email, its sign-in name and the partner's support email.
    pub admin_email: String,
    /// The global admin's display name.
    pub admin_display_name: String,
    /// Argon2id hash of the admin's temporary password (computed before the transaction).
    pub password_hash: String,
}

/// What an enrollment created.
#[derive(Debug, Clone)]
pub struct Enrolled {
    /// The new indirect reseller.
    pub reseller: PartnerRow,
    /// Its global admin's sign-in name.
    pub user_name: String,
    /// The partnership with the inviting provider.
    pub partnership: PartnershipRow,
    /// The inviting provider.
    pub provider: PartnerRow,
}

/// What an enrollment request names (the admin's password is generated here).
#[derive(Debug, Clone)]
pub struct Enrollment {
    /// The link's token.
    pub token: String,
    /// Organisation name.
    pub partner_name: String,
    /// The global admin's email.
    pub admin_email: String,
    /// The global admin's display name.
    pub admin_display_name: String,
}

/// The anonymous enrollment workflow (`POST /v1/partnership-invitations/enroll`, no permission-table row: the
/// link token is the credential): a cheap check of the link first, so made-up tokens never reach
/// argon2; the admin's temporary password hashed on the bounded hashing pool; then [`enroll`]
/// in one transaction. Returns what was created and the temporary password
/// (shown once). Errors as [`enroll`], and 503 `sign_in_busy` from the hashing pool.
pub async fn enroll_through_link(
    pool: &Pool,
    hasher: &password::Hasher,
    request_id: String,
    key: Option<PendingKey>,
    req: Enrollment,
) -> Result<(Enrolled, String), ApiError> {
    let token = req.token.clone();
    let claim = db::run(pool, move |conn| {
        usable_invitation(conn, &token)?;
        match key {
            Some(key) => key.claim(conn),
            None => Ok(None),
        }
    })
    .await?;
    let temporary_password = password::temporary();
    let secret = temporary_password.clone();
    let password_hash = hasher.run(move || password::hash(&secret)).await??;
    let enrolled = db::run(pool, move |conn| {
        let new = NewReseller {
            partner_name: req.partner_name,
            admin_email: req.admin_email,
            admin_display_name: req.admin_display_name,
            password_hash,
        };
        let enrolling = Actor::system("enrollment").with_request_id(request_id);
        Change::run(conn, enrolling, claim.as_ref(), |change| {
            enroll(change, &req.token, &new)
        })
    })
    .await?;
    Ok((enrolled, temporary_password))
}

/// Enrolls a new indirect reseller through an invitation link (no sign-in): the organisation,
/// its global admin (temporary password) and the partnership, in one transaction, audited as
/// done by that new admin. The reseller owns the domain of the admin's e-mail
/// (`services::tenant_domains`). Errors: 422 `invalid_link_token`, 422 `domain_not_owned` on
/// `adminEmail` (another organisation owns its domain), 409 `duplicate_user_name` on
/// `adminEmail`.
pub fn enroll(
    change: &mut Change<'_>,
    token: &str,
    new: &NewReseller,
) -> Result<Enrolled, ApiError> {
    let email = new.admin_email.trim().to_lowercase();
    // Check the link first, so a bad token never reveals whether a user name is taken.
    usable_invitation(change.conn(), token)?;
    let domain = super::tenant_domains::domain_of(&email);
    if super::tenant_domains::is_owned(change.conn(), &domain)? {
        return Err(super::tenant_domains::owned_elsewhere("adminEmail"));
    }
    if UserRow::find_by_user_name(change.conn(), &email)?.is_some() {
        return Err(ApiError::field(
            StatusCode::CONFLICT,
            ProblemCode::DuplicateUserName,
            "adminEmail",
            format!(
                "A user named {email} already exists; sign in and accept the invitation with POST /v1/partnership-invitations/accept instead."
            ),
        ));
    }
    let reseller_id = super::bootstrap::insert_partner(
        change.conn(),
        TenantKind::IndirectReseller,
        new.partner_name.trim(),
        Some(email.clone()),
    )?;
    super::tenant_domains::claim(change.conn(), reseller_id, &domain, || {
        super::tenant_domains::owned_elsewhere("adminEmail")
    })?;
    let invitation = consume(change.conn(), token, reseller_id, Some(&email))?;
    let user = NewUser::new(
        Some(reseller_id),
        None,
        &email,
        new.admin_display_name.trim(),
        new.password_hash.clone(),
        Role::join(&[Role::GlobalAdmin]),
        true,
    );
    UserRow::insert(change.conn(), &user)?;
    change.act_as(Actor {
        kind: "user",
        id: Some(user.id.uuid()),
        name: user.display_name.clone(),
        partner_id: Some(reseller_id),
        request_id: change.actor().request_id.clone(),
    });
    change.audit(
        Audit::new(AuditOperation::CreatePartner, reseller_id).new_value(
            serde_json::json!({ "name": new.partner_name.trim(), "kind": "indirect_reseller" }),
        ),
    );
    change.audit(
        Audit::new(AuditOperation::CreateUser, user.id)
            .new_value(serde_json::json!({ "userName": email, "roles": ["global_admin"] })),
    );
    let partnership = start(change, &invitation, reseller_id)?;
    let missing = || ApiError::internal("enrolled partner vanished");
    Ok(Enrolled {
        reseller: PartnerRow::find(change.conn(), reseller_id)?.ok_or_else(missing)?,
        user_name: email.clone(),
        partnership,
        provider: PartnerRow::find(change.conn(), invitation.provider_id.uuid())?
            .ok_or_else(missing)?,
    })
}

/// The caller's side of its partnerships: a provider lists and ends them with resellers, a
/// reseller with providers.
fn side(caller: &Principal) -> Side {
    match caller.tenant_kind {
        TenantKind::IndirectProvider => Side::Provider,
        _ => Side::Reseller,
    }
}

/// One page of the caller's partnerships with `status`, each with the
/// other party: a provider's resellers or a reseller's providers (up to `page.limit + 1` rows
/// in id order).
pub fn list(
    conn: &mut AnyConnection,
    caller: &PartnerCaller,
    status: PartnershipStatus,
    page: &PageRequest,
) -> Result<Vec<(PartnershipRow, PartnerRow)>, ApiError> {
    Ok(PartnershipRow::page(
        conn,
        side(caller),
        caller.partner_id(),
        status,
        page.after.as_deref(),
        page.rows_to_fetch(),
    )?)
}

/// The caller's provider's partnership (active or ended) with `reseller_id`, with the reseller;
/// 404 `not_found` when they never partnered.
pub fn get_reseller(
    conn: &mut AnyConnection,
    caller: &PartnerCaller,
    reseller_id: Uuid,
) -> Result<(PartnershipRow, PartnerRow), ApiError> {
    let not_found = || ApiError::not_found("The indirect reseller");
    let ship =
        PartnershipRow::find(conn, caller.partner_id(), reseller_id)?.ok_or_else(not_found)?;
    let partner = PartnerRow::find(conn, reseller_id)?.ok_or_else(not_found)?;
    Ok((ship, partner))
}

/// Ends the caller's partnership with `other_id`: an indirect reseller when the caller is a
/// provider, an indirect provider when it is a reseller (either side may end it). Customers and
/// DAP stay, subscriptions the reseller supported for this provider revert to the provider
/// (docs/concepts.md#relationships, #designated-support-contact), `remove_partner_relationship` is audited for both. Errors: 404
/// `not_found` (never partnered), 409 `partnership_not_active` (already ended).
pub fn end(
    change: &mut Change<'_>,
    caller: &PartnerCaller,
    other_id: Uuid,
) -> Result<(), ApiError> {
    let me = caller.partner_id();
    let (provider_id, reseller_id) = match side(caller) {
        Side::Provider => (me, other_id),
        Side::Reseller => (other_id, me),
    };
    let row = PartnershipRow::find(change.conn(), provider_id, reseller_id)?
        .ok_or_else(|| ApiError::not_found("The partnership"))?;
    if !PartnershipRow::end(change.conn(), &row.id)? {
        return Err(ApiError::conflict(
            ProblemCode::PartnershipNotActive,
            "This partnership has already ended.",
        ));
    }
    let reverted = support_contacts::revert(
        change,
        reseller_id,
        None,
        Some(provider_id),
        RevertCause::PartnershipEnded,
    )?;
    for partner in [provider_id, reseller_id] {
        change.audit(
            Audit::new(AuditOperation::RemovePartnerRelationship, row.id)
                .partner(partner)
                .old_value(serde_json::json!({ "status": PartnershipStatus::Active }))
                .new_value(serde_json::json!({
                    "providerId": provider_id,
                    "resellerId": reseller_id,
                    "status": PartnershipStatus::Ended,
                    "revertedSupportContactSubscriptionIds": reverted,
                })),
        );
    }
    Ok(())
}
