//! Subscriptions on the wire (docs/concepts.md#commerce): a subscription as GET answers it and as its events
//! carry it.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::term::{NextTerm, commitment_end_date};
use crate::domain::{Id, SubscriptionStatus, TermDuration};
use crate::error::ApiError;
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
    /// `active` or `suspended`; `expired`, `disabled` and `deleted` are final. More values may
    /// be added: treat an unknown one as "not usable".
    pub status: SubscriptionStatus,
    /// Billing cycle.
    pub billing_cycle: BillingCycle,
    /// The current term's length.
    pub term_duration: TermDuration,
    /// When the subscription was bought.
    pub start_date: DateTime<Utc>,
    /// When the current term started (the purchase or the last renewal).
    pub term_start_date: DateTime<Utc>,
    /// The last day of the current term (UTC); it renews or expires at 00:00 UTC the day after.
    #[schema(value_type = String, format = Date, example = "2027-01-14")]
    pub commitment_end_date: NaiveDate,
    /// Until when it may be cancelled (`PATCH {"status": "deleted"}`): the window after the
    /// purchase or the last renewal.
    pub cancellation_allowed_until: Option<DateTime<Utc>>,
    /// Seats that may still be returned (removed with a refund), by purchase.
    pub refundable_quantity: RefundableQuantity,
    /// What the next term changes, applied at renewal (`null`: it renews as it is).
    pub scheduled_next_term_instructions: Option<NextTerm>,
    /// Whether it renews automatically at the end of its term (else it expires then).
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

/// The seats of a subscription that may still be returned.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RefundableQuantity {
    /// How many seats may be removed now.
    pub total_quantity: i32,
    /// The seats by purchase (the purchase or renewal, and each addition), with their windows.
    pub details: Vec<RefundableDetail>,
}

/// Seats bought together that may be returned until `allowedUntil`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RefundableDetail {
    /// Seats.
    pub quantity: i32,
    /// Until when they may be returned.
    pub allowed_until: DateTime<Utc>,
}

impl Subscription {
    /// The wire form of `row`, whose offer is named `offer_name`, at the subscription's time
    /// `now` (the real time, or its customer's test clock's); an internal error when its stored
    /// seats or instructions cannot be read.
    pub fn new(
        row: SubscriptionRow,
        offer_name: String,
        now: NaiveDateTime,
    ) -> Result<Subscription, ApiError> {
        let open = row.refundable()?.open_at(now);
        let next = row.next_term()?;
        Ok(Subscription {
            term_duration: row.term_duration,
            start_date: utc(row.created_at),
            term_start_date: utc(row.term_start_date),
            commitment_end_date: commitment_end_date(row.term_start_date, row.term_duration),
            cancellation_allowed_until: row.cancellation_allowed_until.map(utc),
            refundable_quantity: RefundableQuantity {
                total_quantity: open.0.iter().map(|l| l.quantity).sum(),
                details: open
                    .0
                    .iter()
                    .map(|l| RefundableDetail {
                        quantity: l.quantity,
                        allowed_until: utc(l.allowed_until),
                    })
                    .collect(),
            },
            scheduled_next_term_instructions: next,
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
        })
    }
}

impl TryFrom<Named> for Subscription {
    type Error = ApiError;

    fn try_from(n: Named) -> Result<Subscription, ApiError> {
        Subscription::new(n.row, n.offer_name, n.now)
    }
}
