//! Which customers a caller may reach (product.md §5): a partner reaches a customer only through
//! a customer relationship, and the DAP rows need that relationship to include delegated admin
//! privileges; a customer user reaches only its own customer. Every customer-scoped lookup goes
//! through [`customer`], so a missing check cannot hide in one handler. Outside reach is 404.

use uuid::Uuid;

use super::Principal;
use super::permissions::{self, Operation};
use crate::db::AnyConnection;
use crate::domain::TenantKind;
use crate::error::{ApiError, ProblemCode};
use crate::models::customer::CustomerRow;
use crate::models::relationship::RelationshipRow;
use crate::models::subscription::{SubscriptionRow, SubscriptionScope};

/// A customer as reached by a caller, with the caller's relationship (none for customer users).
pub struct Reached {
    /// The customer.
    pub customer: CustomerRow,
    /// The caller partner's relationship with it.
    pub relationship: Option<RelationshipRow>,
}

/// Authorizes `op` on `customer_id` for `principal`: the role (403 `insufficient_role`), the
/// relationship (404 `not_found`), and DAP where `op` needs it (403 `delegated_admin_required`).
/// For operations that change the customer's data, the customer's row is locked first (inside
/// the caller's transaction), so concurrent writers see each other's committed relationships.
pub fn customer(
    conn: &mut AnyConnection,
    principal: &Principal,
    customer_id: Uuid,
    op: Operation,
) -> Result<Reached, ApiError> {
    permissions::require(principal, op)?;
    let not_found = || ApiError::not_found("The customer");
    if principal.tenant_kind == TenantKind::Customer {
        if principal.tenant_id != customer_id {
            return Err(not_found());
        }
        let customer = CustomerRow::find(conn, customer_id)?.ok_or_else(not_found)?;
        return Ok(Reached {
            customer,
            relationship: None,
        });
    }
    let found = match principal.preloaded(customer_id) {
        // A read whose relationship came with the caller's reload (`Principal::load`).
        Some(found) if !op.changes_customer_data() => found,
        _ => {
            if op.changes_customer_data() {
                // Writes to one customer queue here (PostgreSQL), then check the relationship
                // as committed: an order cannot slip past a concurrent relationship removal.
                CustomerRow::lock(conn, customer_id)?;
            }
            // The relationship and the customer in one round trip.
            RelationshipRow::find_with_customer(conn, principal.tenant_id, customer_id)?
        }
    };
    let (relationship, customer) = found.ok_or_else(not_found)?;
    if op.needs_delegated_admin() && !relationship.delegated_admin {
        return Err(delegated_admin_required());
    }
    Ok(Reached {
        customer,
        relationship: Some(relationship),
    })
}

/// 403 `delegated_admin_required`: the one answer for a DAP row reached without delegated admin
/// privileges (here, and among an upgrade's reasons, `services::subscriptions`).
pub fn delegated_admin_required() -> ApiError {
    ApiError::forbidden(
        ProblemCode::DelegatedAdminRequired,
        "Your relationship with this customer does not include delegated admin privileges (DAP). \
         Send a relationship request that includes DAP and have the customer accept it.",
    )
}

/// Authorizes `op` on one subscription of a reachable customer (see [`customer`]). An indirect
/// provider reaches only the subscriptions it bills, an indirect reseller only those where it is
/// the reseller of record or the support contact (product.md §5); anything else is 404
/// `not_found`.
pub fn subscription(
    conn: &mut AnyConnection,
    principal: &Principal,
    customer_id: Uuid,
    subscription_id: Uuid,
    op: Operation,
) -> Result<(Reached, SubscriptionRow), ApiError> {
    let reached = customer(conn, principal, customer_id, op)?;
    let row = SubscriptionRow::find_in_scope(
        conn,
        customer_id,
        subscription_id,
        subscription_scope(principal),
    )?
    .ok_or_else(|| ApiError::not_found("The subscription"))?;
    Ok((reached, row))
}

/// Which of a reachable customer's subscriptions `principal` reaches: a provider those it bills
/// (another provider with a relationship with the same customer sees none of them), a reseller
/// those it is reseller of record or support contact for, a customer user all of its own.
pub fn subscription_scope(principal: &Principal) -> SubscriptionScope {
    match principal.tenant_kind {
        TenantKind::IndirectProvider => SubscriptionScope::BilledBy(principal.tenant_id),
        TenantKind::IndirectReseller => {
            SubscriptionScope::OnRecordOrSupporting(principal.tenant_id)
        }
        TenantKind::Customer => SubscriptionScope::All,
    }
}
