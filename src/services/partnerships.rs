//! Reseller partnerships (product.md §2, seed "Partner with indirect resellers" → "Connect with
//! indirect resellers"): an indirect provider invites a reseller by email, the reseller accepts
//! the personalized link (or enrolls a new organisation through it), and either side ends the
//! partnership. A pair has at most one active partnership; ending it keeps customers and DAP but
//! reverts the reseller's support-contact assignments (product.md §4). Each workflow is one
//! transaction with its audit records, written for every partner involved.

use actix_web::http::StatusCode;
use uuid::Uuid;

use super::links::{self, invalid_link_token};
use super::support_contacts::{self, RevertCause};
use crate::auth::Principal;
use crate::db::{self, AnyConnection};
use crate::domain::{Role, TenantKind};
use crate::error::ApiError;
use crate::models::audit::{Actor, Audit};
use crate::models::invitation::InvitationRow;
use crate::models::partner::PartnerRow;
use crate::models::partnership::PartnershipRow;
use crate::models::user::{NewUser, UserRow};
use crate::models::{ids, now};

/// The caller's partner id when it is an indirect provider; otherwise 403
/// `indirect_provider_required`.
pub fn require_provider(principal: &Principal) -> Result<Uuid, ApiError> {
    match principal.tenant_kind {
        TenantKind::IndirectProvider => Ok(principal.tenant_id),
        _ => Err(ApiError::forbidden(
            "indirect_provider_required",
            "Only an indirect provider invites, lists and manages indirect resellers.",
        )),
    }
}

/// The caller's partner id when it is an indirect reseller; otherwise 403
/// `indirect_reseller_required`.
pub fn require_reseller(principal: &Principal) -> Result<Uuid, ApiError> {
    match principal.tenant_kind {
        TenantKind::IndirectReseller => Ok(principal.tenant_id),
        _ => Err(ApiError::forbidden(
            "indirect_reseller_required",
            "Only an indirect reseller accepts partnership invitations and lists or ends its indirect providers.",
        )),
    }
}

/// Records a pending invitation from `provider_id` to `email` (link token already issued).
/// Returns the invitation and the provider (for the email draft).
pub fn invite(
    conn: &mut AnyConnection,
    actor: &Actor,
    provider_id: Uuid,
    email: &str,
    message: Option<String>,
    link: &links::IssuedLink,
) -> Result<(InvitationRow, PartnerRow), ApiError> {
    db::transaction(conn, |conn| {
        let provider = PartnerRow::find(conn, provider_id)?
            .ok_or_else(|| ApiError::not_found("The partner"))?;
        let row = InvitationRow::new(
            provider_id,
            email,
            message,
            link.token_hash.clone(),
            link.expires_at,
        );
        InvitationRow::insert(conn, &row)?;
        Audit::new(
            "create_partnership_invitation",
            "partnership_invitation",
            &row.id,
        )
        .partner(provider_id)
        .new_value(serde_json::json!({ "email": row.email, "expiresAt": crate::models::utc(row.expires_at) }))
        .write(conn, actor)?;
        Ok((row, provider))
    })
}

/// Revokes a provider's pending invitation so its link stops working. Errors: 404 `not_found`
/// (not this provider's), 409 `invitation_not_pending` (already accepted or revoked).
pub fn revoke(
    conn: &mut AnyConnection,
    actor: &Actor,
    provider_id: Uuid,
    invitation_id: Uuid,
) -> Result<(), ApiError> {
    db::transaction(conn, |conn| {
        let row = InvitationRow::find_for_provider(conn, provider_id, invitation_id)?
            .ok_or_else(|| ApiError::not_found("The invitation"))?;
        if !InvitationRow::revoke(conn, &row.id)? {
            return Err(ApiError::conflict(
                "invitation_not_pending",
                format!(
                    "This invitation is already {}; only a pending invitation can be revoked.",
                    row.status
                ),
            ));
        }
        Audit::new(
            "revoke_partnership_invitation",
            "partnership_invitation",
            &row.id,
        )
        .partner(provider_id)
        .old_value(serde_json::json!({ "status": row.status }))
        .new_value(serde_json::json!({ "status": "revoked" }))
        .write(conn, actor)?;
        Ok(())
    })
}

/// The invitation behind a link token while it can still be used. Errors: 422
/// `invalid_link_token` (unknown, used, revoked or expired).
pub fn usable_invitation(conn: &mut AnyConnection, token: &str) -> Result<InvitationRow, ApiError> {
    InvitationRow::find_by_token_hash(conn, &links::hash(token))?
        .filter(|r| r.is_usable(now()))
        .ok_or_else(invalid_link_token)
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
    conn: &mut AnyConnection,
    actor: &Actor,
    invitation: &InvitationRow,
    reseller_id: Uuid,
) -> Result<PartnershipRow, ApiError> {
    let provider_id = ids::parse(&invitation.provider_id);
    let exists = || {
        ApiError::conflict(
            "partnership_exists",
            "You already have an active partnership with this indirect provider.",
        )
    };
    let (row, was_active) =
        PartnershipRow::activate(conn, provider_id, reseller_id).map_err(|e| match e {
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
        Audit::new("create_partner_relationship", "partnership", &row.id)
            .partner(partner)
            .new_value(serde_json::json!({
                "providerId": provider_id,
                "resellerId": reseller_id,
                "status": "active",
                "invitationId": invitation.id,
            }))
            .write(conn, actor)?;
    }
    Ok(row)
}

/// Accepts an invitation as the indirect reseller `reseller_id`. Returns the partnership and the
/// provider. Errors: 422 `invalid_link_token`, 409 `partnership_exists` (the invitation stays
/// usable then).
pub fn accept(
    conn: &mut AnyConnection,
    actor: &Actor,
    reseller_id: Uuid,
    token: &str,
) -> Result<(PartnershipRow, PartnerRow), ApiError> {
    db::transaction(conn, |conn| {
        let email = match (actor.kind, actor.id) {
            ("user", Some(id)) => UserRow::find(conn, id)?.map(|u| u.user_name),
            _ => None,
        };
        let invitation = consume(conn, token, reseller_id, email.as_deref())?;
        let partnership = start(conn, actor, &invitation, reseller_id)?;
        let provider = PartnerRow::find(conn, ids::parse(&invitation.provider_id))?
            .ok_or_else(|| ApiError::not_found("The indirect provider"))?;
        Ok((partnership, provider))
    })
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

/// Enrolls a new indirect reseller through an invitation link (no sign-in): the organisation,
/// its global admin (temporary password) and the partnership, in one transaction, audited as
/// done by that new admin. Errors: 422 `invalid_link_token`, 409 `duplicate_user_name` on
/// `adminEmail`.
pub fn enroll(
    conn: &mut AnyConnection,
    request_id: String,
    token: &str,
    new: &NewReseller,
) -> Result<Enrolled, ApiError> {
    db::transaction(conn, |conn| {
        let email = new.admin_email.trim().to_lowercase();
        // Check the link first, so a bad token never reveals whether a user name is taken.
        usable_invitation(conn, token)?;
        if UserRow::find_by_user_name(conn, &email)?.is_some() {
            return Err(ApiError::field(
                StatusCode::CONFLICT,
                "duplicate_user_name",
                "adminEmail",
                format!(
                    "A user named {email} already exists; sign in and accept the invitation with POST /v1/partnership-invitations/accept instead."
                ),
            ));
        }
        let reseller_id = super::bootstrap::insert_partner(
            conn,
            TenantKind::IndirectReseller,
            new.partner_name.trim(),
            Some(email.clone()),
        )?;
        let invitation = consume(conn, token, reseller_id, Some(&email))?;
        let user = NewUser::new(
            Some(reseller_id),
            None,
            &email,
            new.admin_display_name.trim(),
            new.password_hash.clone(),
            Role::join(&[Role::GlobalAdmin]),
            true,
        );
        UserRow::insert(conn, &user)?;
        let actor = Actor {
            kind: "user",
            id: Some(ids::parse(&user.id)),
            name: user.display_name.clone(),
            partner_id: Some(reseller_id),
            request_id,
        };
        Audit::new("create_partner", "partner", reseller_id)
            .new_value(
                serde_json::json!({ "name": new.partner_name.trim(), "kind": "indirect_reseller" }),
            )
            .write(conn, &actor)?;
        Audit::new("create_user", "user", &user.id)
            .new_value(serde_json::json!({ "userName": email, "roles": ["global_admin"] }))
            .write(conn, &actor)?;
        let partnership = start(conn, &actor, &invitation, reseller_id)?;
        let missing = || ApiError::internal("enrolled partner vanished");
        Ok(Enrolled {
            reseller: PartnerRow::find(conn, reseller_id)?.ok_or_else(missing)?,
            user_name: email.clone(),
            partnership,
            provider: PartnerRow::find(conn, ids::parse(&invitation.provider_id))?
                .ok_or_else(missing)?,
        })
    })
}

/// Ends the active partnership between `provider_id` and `reseller_id` (either side may):
/// customers and DAP stay, subscriptions the reseller supported for this provider revert to the
/// provider (product.md §2, §4), `remove_partner_relationship` is audited for both. Errors: 404
/// `not_found` (never partnered), 409 `partnership_not_active` (already ended).
pub fn end(
    conn: &mut AnyConnection,
    actor: &Actor,
    provider_id: Uuid,
    reseller_id: Uuid,
) -> Result<(), ApiError> {
    db::transaction(conn, |conn| {
        let row = PartnershipRow::find(conn, provider_id, reseller_id)?
            .ok_or_else(|| ApiError::not_found("The partnership"))?;
        if !PartnershipRow::end(conn, &row.id)? {
            return Err(ApiError::conflict(
                "partnership_not_active",
                "This partnership has already ended.",
            ));
        }
        let reverted = support_contacts::revert(
            conn,
            actor,
            reseller_id,
            None,
            Some(provider_id),
            RevertCause::PartnershipEnded,
        )?;
        for partner in [provider_id, reseller_id] {
            Audit::new("remove_partner_relationship", "partnership", &row.id)
                .partner(partner)
                .old_value(serde_json::json!({ "status": "active" }))
                .new_value(serde_json::json!({
                    "providerId": provider_id,
                    "resellerId": reseller_id,
                    "status": "ended",
                    "revertedSupportContactSubscriptionIds": reverted,
                }))
                .write(conn, actor)?;
        }
        Ok(())
    })
}
