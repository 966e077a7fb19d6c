//! Which customers a caller may reach (docs/concepts.md#roles-and-permissions): a partner reaches a customer only through
//! a customer relationship, and the DAP rows need that relationship to include delegated admin
//! privileges — or the caller a GDAP grant of one of the row's directory roles on the customer
//! (docs/concepts.md#granular-delegated-admin-gdap); a customer user reaches only its own customer. Every customer-scoped lookup
//! goes through [`customer`], so a missing check cannot hide in one handler. Outside reach is
//! 404. The relationship, the customer and the GDAP grant are read in one statement (with the
//! caller's reload for reads, `Principal::load`).

use uuid::Uuid;

use super::permissions::{self, Operation};
use super::{Principal, Reaching};
use crate::db::AnyConnection;
use crate::domain::TenantKind;
use crate::domain::gdap;
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
    /// Whether the caller may perform the operation it was reached for as a delegated admin:
    /// its relationship includes DAP, or it holds a GDAP grant of one of the operation's
    /// directory roles (always false for an operation that needs none and no DAP).
    pub delegated: bool,
}

/// Authorizes `op` on `customer_id` for `principal`: the role (403 `insufficient_role`), the
/// relationship (404 `not_found`), and DAP or a GDAP grant where `op` needs it (403
/// `delegated_admin_required`, naming the directory roles that would do).
/// For operations that change the customer's data, the customer's and the relationship's rows
/// are locked by the statement that reads them (inside the caller's transaction), so
/// concurrent writers see each other's committed relationships.
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
            delegated: false,
        });
    }
    let reaching = Reaching {
        customer_id,
        delegated_roles: op.delegated_role_ids(),
    };
    let (found, granted) = match principal.preloaded(reaching, op.changes_customer_data()) {
        // The relationship came with the caller's reload: a read's (`Principal::load`), or a
        // change's that locked it (`Principal::load_locking`).
        Some(found) => found,
        None => {
            // The relationship, the customer and the GDAP grant in one round trip. Writes to
            // one customer queue on its row (PostgreSQL), with the relationship's row locked
            // too: an order cannot slip past a concurrent relationship removal.
            match RelationshipRow::find_reaching(
                conn,
                principal.tenant_id,
                principal.actor_id,
                customer_id,
                reaching.delegated_roles,
                op.changes_customer_data(),
            )? {
                Some((relationship, customer, granted)) => {
                    (Some((relationship, customer)), granted)
                }
                None => (None, false),
            }
        }
    };
    let (relationship, customer) = found.ok_or_else(not_found)?;
    let delegated = relationship.delegated_admin || granted;
    if op.needs_delegated_admin() && !delegated {
        return Err(delegated_admin_required(op));
    }
    Ok(Reached {
        customer,
        relationship: Some(relationship),
        delegated,
    })
}

/// Whether the caller that `reached` a customer (for any operation) may perform `op` there as a
/// delegated admin: DAP, else one statement for the GDAP grant. For a list that shows what a
/// later operation would allow (`GET …/upgrades`).
pub fn delegated_for(
    conn: &mut AnyConnection,
    principal: &Principal,
    reached: &Reached,
    op: Operation,
) -> Result<bool, ApiError> {
    let Some(relationship) = &reached.relationship else {
        return Ok(false);
    };
    if relationship.delegated_admin {
        return Ok(true);
    }
    Ok(RelationshipRow::find_reaching(
        conn,
        principal.tenant_id,
        principal.actor_id,
        relationship.customer_id.uuid(),
        op.delegated_role_ids(),
        false,
    )?
    .is_some_and(|(_, _, granted)| granted))
}

/// 403 `delegated_admin_required` for `op`: the one answer for a DAP row reached without
/// delegated admin privileges or a GDAP grant (here, and among an upgrade's reasons,
/// `services::subscriptions`). The detail and `delegatedRoles` (`[{roleDefinitionId,
/// displayName}]`) name the directory roles a GDAP access assignment would need to give one of
/// the caller's security groups.
pub fn delegated_admin_required(op: Operation) -> ApiError {
    let roles: Vec<&gdap::DirectoryRole> = op
        .delegated_roles()
        .iter()
        .filter_map(|name| gdap::directory_role_named(name))
        .collect();
    let names: Vec<&str> = roles.iter().map(|r| r.display_name.as_str()).collect();
    ApiError::forbidden(
        ProblemCode::DelegatedAdminRequired,
        format!(
            "Your relationship with this customer does not include delegated admin privileges \
             (DAP), and none of your security groups has an active GDAP access assignment on it \
             with one of these roles: {}. Ask the customer to approve a delegated admin \
             relationship with one of them (POST /v1/delegated-admin-relationships) and assign \
             it to a security group you belong to, or to accept a relationship request that \
             includes DAP.",
            names.join(", ")
        ),
    )
    .with(
        "delegatedRoles",
        roles
            .iter()
            .map(|r| serde_json::json!({ "roleDefinitionId": r.id, "displayName": r.display_name }))
            .collect::<Vec<_>>(),
    )
}

/// Authorizes `op` on one subscription of a reachable customer (see [`customer`]). An indirect
/// provider reaches only the subscriptions it bills, an indirect reseller only those where it is
/// the reseller of record or the support contact (docs/concepts.md#roles-and-permissions); anything else is 404
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
