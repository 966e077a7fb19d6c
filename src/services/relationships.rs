//! Customer relationships (docs/concepts.md#relationships, seed "Connect with customers in Partner Center"):
//! relationship requests and their acceptance by a customer admin (creating the relationship or
//! restoring DAP on the existing one, for the requesting partner and the indirect provider it
//! names), a customer removing a partner's DAP, and a partner removing its own relationship
//! (blocked while subscriptions it bills or is reseller of record for are active). Each workflow
//! is one transaction with an audit record for every partner involved; losing DAP or the
//! relationship reverts the reseller's support-contact assignments (docs/concepts.md#designated-support-contact).

use actix_web::http::StatusCode;
use uuid::Uuid;

use super::links::{self, IssuedLink, invalid_link_token};
use super::support_contacts::{self, RevertCause};
use crate::auth::permissions::Operation;
use crate::auth::{PartnerCaller, Principal, visibility};
use crate::change::Change;
use crate::db::AnyConnection;
use crate::domain::{AuditOperation, LinkStatus};
use crate::domain::{Id, TenantKind};
use crate::error::{ApiError, ProblemCode};
use crate::models::audit::Audit;
use crate::models::customer::CustomerRow;
use crate::models::partner::PartnerRow;
use crate::models::partnership::{PartnershipRow, partnership_required};
use crate::models::relationship::RelationshipRow;
use crate::models::relationship_request::{Recipient, RelationshipRequestRow};
use crate::models::subscription::SubscriptionRow;
use crate::paging::PageRequest;

/// Records a pending relationship request from the caller's partner (link token already
/// issued). Returns the request, the requesting partner and the named indirect provider (for
/// the email draft).
///
/// Errors: 422 `partnership_required` on `indirectProviderId` when the caller is not an indirect
/// reseller with an active partnership with that provider.
pub fn create_request(
    change: &mut Change<'_>,
    caller: &PartnerCaller,
    include_delegated_admin: bool,
    indirect_provider_id: Option<Uuid>,
    recipient: &Recipient,
    link: &IssuedLink,
) -> Result<(RelationshipRequestRow, PartnerRow, Option<PartnerRow>), ApiError> {
    let partner_id = caller.partner_id();
    let partner = PartnerRow::find(change.conn(), partner_id)?
        .ok_or_else(|| ApiError::not_found("The partner"))?;
    if let Some(customer_id) = recipient.customer_id
        && CustomerRow::find(change.conn(), customer_id)?.is_none()
    {
        return Err(ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            ProblemCode::UnknownCustomer,
            "customerId",
            "No customer has this id; omit `customerId` to address the request by e-mail only.",
        ));
    }
    let provider = match indirect_provider_id {
        None => None,
        Some(provider_id) => {
            const DETAIL: &str = "Only an indirect reseller names an indirect provider, and only one it has an active partnership with (GET /v1/indirect-providers).";
            const FIELD: &str = "indirectProviderId";
            if partner.tenant_kind() != TenantKind::IndirectReseller {
                return Err(partnership_required(FIELD, DETAIL));
            }
            PartnershipRow::require_active(change.conn(), provider_id, partner_id, FIELD, DETAIL)?;
            PartnerRow::find(change.conn(), provider_id)?
        }
    };
    let row = RelationshipRequestRow::new(
        partner_id,
        indirect_provider_id,
        include_delegated_admin,
        link.token_hash.clone(),
        link.expires_at,
        recipient,
    );
    RelationshipRequestRow::insert(change.conn(), &row)?;
    for involved in std::iter::once(partner_id).chain(indirect_provider_id) {
        change.audit(
            Audit::new(AuditOperation::CreateRelationshipRequest, row.id)
                .partner(involved)
                .new_value(serde_json::json!({
                    "partnerId": partner_id,
                    "indirectProviderId": indirect_provider_id,
                    "includeDelegatedAdmin": include_delegated_admin,
                    "expiresAt": crate::models::utc(row.expires_at),
                })),
        );
    }
    Ok((row, partner, provider))
}

/// One page of the caller's partner's relationship requests (up to `page.limit + 1` rows in id
/// order).
pub fn list_requests(
    conn: &mut AnyConnection,
    caller: &PartnerCaller,
    page: &PageRequest,
) -> Result<Vec<RelationshipRequestRow>, ApiError> {
    Ok(RelationshipRequestRow::page_for_partner(
        conn,
        caller.partner_id(),
        page.after.as_deref(),
        page.rows_to_fetch(),
    )?)
}

/// An accepted relationship request and the relationships it created or updated, each with its
/// partner.
#[derive(Debug, Clone)]
pub struct Accepted {
    /// The request, now `accepted`.
    pub request: RelationshipRequestRow,
    /// The customer that accepted it (the caller's).
    pub customer_id: Uuid,
    /// The requesting partner's relationship, then the indirect provider's (if named).
    pub relationships: Vec<(RelationshipRow, PartnerRow)>,
}

/// Accepts a relationship request as the caller, its customer's admin: creates each involved partner's
/// relationship, or updates the existing one (DAP is added when requested, never removed), and
/// audits `accept_relationship_request` for each. A named indirect provider is involved only while
/// its partnership with the requesting reseller is still active (docs/concepts.md#relationships). The pending→accepted compare-and-swap lets
/// exactly one of two concurrent acceptances through. Errors: 422 `invalid_link_token`.
pub fn accept_request(
    change: &mut Change<'_>,
    caller: &Principal,
    token: &str,
) -> Result<Accepted, ApiError> {
    let customer_id = caller.tenant_id;
    visibility::customer(
        change.conn(),
        caller,
        customer_id,
        Operation::CustomerSelfService,
    )?;
    let request = links::usable(
        change.conn(),
        token,
        RelationshipRequestRow::find_by_token_hash,
    )?;
    if !request.is_meant_for(change.conn(), customer_id)? {
        return Err(invalid_link_token());
    }
    if !RelationshipRequestRow::accept(change.conn(), &request.id, customer_id)? {
        return Err(invalid_link_token());
    }
    let still_partnered = match &request.indirect_provider_id {
        Some(provider) => {
            PartnershipRow::is_active(change.conn(), provider.uuid(), request.partner_id.uuid())?
        }
        None => false,
    };
    let provider = request
        .indirect_provider_id
        .as_ref()
        .filter(|_| still_partnered);
    let involved = std::iter::once(&request.partner_id).chain(provider);
    let mut relationships = Vec::new();
    for partner_id in involved.map(|p| p.uuid()) {
        let partner = PartnerRow::find(change.conn(), partner_id)?
            .ok_or_else(|| ApiError::not_found("The partner"))?;
        let (rel, before) = RelationshipRow::upsert(
            change.conn(),
            partner_id,
            customer_id,
            request.include_delegated_admin,
        )?;
        change.audit(
            Audit::new(AuditOperation::AcceptRelationshipRequest, rel.id)
                .partner(partner_id)
                .customer(customer_id)
                .old_value(before.map(|dap| serde_json::json!({ "delegatedAdmin": dap })))
                .new_value(serde_json::json!({
                    "partnerId": partner_id,
                    "delegatedAdmin": rel.delegated_admin,
                    "relationshipRequestId": request.id,
                })),
        );
        relationships.push((rel, partner));
    }
    Ok(Accepted {
        customer_id,
        request: RelationshipRequestRow {
            status: LinkStatus::Accepted,
            customer_id: Some(Id::from(customer_id)),
            ..request
        },
        relationships,
    })
}

/// The caller's customer (its admin acting) removes `partner_id`'s delegated admin
/// privileges: the relationship stays, `dap_removed` is audited for that partner, and a
/// reseller's support-contact assignments for this customer revert unless it still holds an
/// active GDAP relationship with it (docs/concepts.md#relationships, #designated-support-contact, #granular-delegated-admin-gdap). Removing
/// DAP that is already gone changes nothing. Errors: 404 `not_found` (no relationship).
pub fn remove_delegated_admin(
    change: &mut Change<'_>,
    caller: &Principal,
    partner_id: Uuid,
) -> Result<(), ApiError> {
    let customer_id = caller.tenant_id;
    visibility::customer(
        change.conn(),
        caller,
        customer_id,
        Operation::CustomerSelfService,
    )?;
    let rel = RelationshipRow::find(change.conn(), partner_id, customer_id)?
        .ok_or_else(|| ApiError::not_found("The partner"))?;
    if !rel.delegated_admin {
        return Ok(());
    }
    RelationshipRow::set_delegated_admin(change.conn(), &rel.id, false)?;
    // A reseller with an active GDAP relationship still administers the customer (docs/concepts.md#granular-delegated-admin-gdap).
    if !super::gdap::still_delegated(change.conn(), partner_id, customer_id)? {
        revert_if_reseller(
            change,
            partner_id,
            customer_id,
            RevertCause::DelegatedAdminRemoved,
        )?;
    }
    change.audit(
        Audit::new(AuditOperation::DapRemoved, rel.id)
            .partner(partner_id)
            .customer(customer_id)
            .old_value(serde_json::json!({ "delegatedAdmin": true }))
            .new_value(serde_json::json!({ "partnerId": partner_id, "delegatedAdmin": false })),
    );
    Ok(())
}

/// The caller's partner removes its own relationship with `customer_id` (docs/concepts.md#relationships): refused
/// with 409 `active_subscriptions` (and `activeSubscriptionIds`) while any of the customer's
/// subscriptions billed by or attributed to it is active; otherwise the customer leaves the
/// caller's lists (other partners keep theirs), a reseller's support-contact assignments revert,
/// and `remove_customer_relationship` is audited. Errors also as [`visibility::customer`].
pub fn remove_relationship(
    change: &mut Change<'_>,
    caller: &Principal,
    customer_id: Uuid,
) -> Result<(), ApiError> {
    let reached = visibility::customer(
        change.conn(),
        caller,
        customer_id,
        Operation::RemoveCustomerRelationship,
    )?;
    let rel = reached
        .relationship
        .ok_or_else(|| ApiError::not_found("The relationship"))?;
    let partner_id = rel.partner_id.uuid();
    let active = SubscriptionRow::active_ids_for_partner(change.conn(), customer_id, partner_id)?;
    if !active.is_empty() {
        return Err(ApiError::conflict(
            ProblemCode::ActiveSubscriptions,
            format!(
                "The customer still has active subscriptions billed by or attributed to you: {}. Suspend them first, then remove the relationship.",
                active.iter().map(Id::as_str).collect::<Vec<_>>().join(", ")
            ),
        )
        .with("activeSubscriptionIds", &active));
    }
    RelationshipRow::delete(change.conn(), &rel.id)?;
    revert_if_reseller(
        change,
        partner_id,
        customer_id,
        RevertCause::RelationshipRemoved,
    )?;
    change.audit(Audit::new(AuditOperation::RemoveCustomerRelationship, rel.id,
    )
    .partner(partner_id)
    .customer(customer_id)
    .old_value(
        serde_json::json!({ "partnerId": partner_id, "delegatedAdmin": rel.delegated_admin }),
    )
    );
    Ok(())
}

/// One page of the relationships of a customer the caller reaches (`ReadCustomers`), each with
/// its partner (up to `page.limit + 1` rows in id order). Errors as [`visibility::customer`].
pub fn list_for_customer(
    conn: &mut AnyConnection,
    caller: &Principal,
    customer_id: Uuid,
    page: &PageRequest,
) -> Result<Vec<(RelationshipRow, PartnerRow)>, ApiError> {
    page_for(conn, caller, customer_id, Operation::ReadCustomers, page)
}

/// One page of the partners holding a relationship with the caller's own customer
/// (`CustomerSelfService`), as [`list_for_customer`].
pub fn list_my_partners(
    conn: &mut AnyConnection,
    caller: &Principal,
    page: &PageRequest,
) -> Result<Vec<(RelationshipRow, PartnerRow)>, ApiError> {
    page_for(
        conn,
        caller,
        caller.tenant_id,
        Operation::CustomerSelfService,
        page,
    )
}

fn page_for(
    conn: &mut AnyConnection,
    caller: &Principal,
    customer_id: Uuid,
    op: Operation,
    page: &PageRequest,
) -> Result<Vec<(RelationshipRow, PartnerRow)>, ApiError> {
    visibility::customer(conn, caller, customer_id, op)?;
    Ok(RelationshipRow::page_for_customer(
        conn,
        customer_id,
        page.after.as_deref(),
        page.rows_to_fetch(),
    )?)
}

/// Reverts the support-contact assignments of `partner_id` for `customer_id` when it is an
/// indirect reseller (a provider is the default contact itself; nothing to revert).
fn revert_if_reseller(
    change: &mut Change<'_>,
    partner_id: Uuid,
    customer_id: Uuid,
    cause: RevertCause,
) -> Result<(), ApiError> {
    let is_reseller = PartnerRow::find(change.conn(), partner_id)?
        .is_some_and(|p| p.tenant_kind() == TenantKind::IndirectReseller);
    if is_reseller {
        support_contacts::revert(change, partner_id, Some(customer_id), None, cause)?;
    }
    Ok(())
}
