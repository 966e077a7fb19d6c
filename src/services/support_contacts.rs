//! Designated support contact reverts (product.md §4, seed "Assign support contacts"): when an
//! indirect reseller stops qualifying as a subscription's support contact — its partnership with
//! the provider ended, or the customer removed its DAP, or its relationship with the customer was
//! removed — every subscription naming it reverts to the provider that bills it, in the caller's
//! transaction, with a `support_contact_reverted` audit record for the provider and the reseller.

use uuid::Uuid;

use crate::db::AnyConnection;
use crate::error::ApiError;
use crate::models::audit::{Actor, Audit};
use crate::models::ids;
use crate::models::subscription::SubscriptionRow;

/// Why a reseller stopped qualifying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevertCause {
    /// The provider ↔ reseller partnership ended.
    PartnershipEnded,
    /// The customer removed the reseller's delegated admin privileges.
    DelegatedAdminRemoved,
    /// The reseller's relationship with the customer was removed.
    RelationshipRemoved,
}

impl RevertCause {
    /// The snake_case reason written into audit records.
    pub fn as_str(self) -> &'static str {
        match self {
            RevertCause::PartnershipEnded => "partnership_ended",
            RevertCause::DelegatedAdminRemoved => "delegated_admin_removed",
            RevertCause::RelationshipRemoved => "relationship_removed",
        }
    }
}

/// Reverts to their billing provider the subscriptions supported by `reseller_id`: those of
/// `customer_id` (DAP or relationship removed) or those billed by `provider_id` (partnership
/// ended). Call inside the transaction that makes the reseller stop qualifying. Returns the
/// reverted subscription ids.
pub fn revert(
    conn: &mut AnyConnection,
    actor: &Actor,
    reseller_id: Uuid,
    customer_id: Option<Uuid>,
    provider_id: Option<Uuid>,
    cause: RevertCause,
) -> Result<Vec<String>, ApiError> {
    let rows = SubscriptionRow::supported_by(conn, reseller_id, customer_id, provider_id)?;
    let mut reverted = Vec::with_capacity(rows.len());
    for row in rows {
        let provider = row.billing_partner_id.clone();
        if !SubscriptionRow::set_support_contact(conn, &row, &provider)? {
            return Err(ApiError::conflict(
                "concurrent_update",
                "A subscription changed while its support contact was being reverted; retry.",
            ));
        }
        for partner in [ids::parse(&provider), reseller_id] {
            Audit::new("support_contact_reverted", "subscription", &row.id)
                .partner(partner)
                .customer(ids::parse(&row.customer_id))
                .old_value(serde_json::json!({ "supportContactPartnerId": reseller_id }))
                .new_value(serde_json::json!({ "supportContactPartnerId": provider, "reason": cause.as_str() }))
                .write(conn, actor)?;
        }
        reverted.push(row.id);
    }
    Ok(reverted)
}
