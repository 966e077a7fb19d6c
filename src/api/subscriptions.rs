//! Subscriptions on the wire (product.md §3): a subscription as GET answers it and as its events
//! carry it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::{Id, SubscriptionStatus};
use crate::models::offer::BillingCycle;
use crate::models::subscription::{Named, SubscriptionRow};
use crate::models::utc;

/// A subscription.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    /// Subscription id.
    pub id: Uuid,
    /// The customer that owns it.
    pub customer_id: Uuid,
    /// The offer.
    pub offer_id: String,
    /// The offer's name.
    pub offer_name: String,
    /// Number of licenses.
    pub quantity: i32,
    /// `active` or `suspended`.
    pub status: SubscriptionStatus,
    /// Billing cycle.
    pub billing_cycle: BillingCycle,
    /// Whether it renews automatically.
    pub auto_renew: bool,
    /// Friendly name (defaults to the offer's name).
    pub friendly_name: String,
    /// The partner that bills it: the indirect provider.
    pub billing_partner_id: Uuid,
    /// The indirect reseller of record, if any.
    pub partner_id_on_record: Option<Uuid>,
    /// The designated support contact (the indirect provider unless set to a reseller).
    pub support_contact_partner_id: Uuid,
    /// The order that created it (none for a subscription created by an upgrade).
    pub order_id: Option<Uuid>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl Subscription {
    /// The wire form of `row`, whose offer is named `offer_name`.
    pub fn new(row: SubscriptionRow, offer_name: String) -> Subscription {
        Subscription {
            id: row.id.uuid(),
            customer_id: row.customer_id.uuid(),
            offer_name,
            quantity: row.quantity,
            status: row.status,
            billing_cycle: row.billing_cycle,
            auto_renew: row.auto_renew,
            friendly_name: row.friendly_name,
            billing_partner_id: row.billing_partner_id.uuid(),
            partner_id_on_record: row.partner_id_on_record.map(Id::uuid),
            support_contact_partner_id: row.support_contact_partner_id.uuid(),
            order_id: row.order_id.map(Id::uuid),
            offer_id: row.offer_id.to_string(),
            created_at: utc(row.created_at),
            updated_at: utc(row.updated_at),
        }
    }
}

impl From<Named> for Subscription {
    fn from(n: Named) -> Subscription {
        Subscription::new(n.row, n.offer_name)
    }
}
