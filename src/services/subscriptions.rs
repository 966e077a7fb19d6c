//! Changing subscriptions (product.md §3): [`update`] (add or remove licenses, suspend,
//! reactivate, auto-renew, friendly name, reseller of record) and upgrades ([`upgrade_options`],
//! [`upgrade`]: move all or some licenses to one of the offer's upgrade targets). Each change is a
//! compare-and-swap on the subscription's version inside one transaction, with its audit record
//! (`update_subscription`, `upgrade_subscription`) for the billing provider and, when another
//! partner made it, for that partner too.

use actix_web::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Principal;
use crate::auth::visibility::Reached;
use crate::db::{self, AnyConnection};
use crate::error::ApiError;
use crate::etag::Precondition;
use crate::models::audit::{Actor, Audit};
use crate::models::offer::{BillingCycle, OfferRow};
use crate::models::partnership::PartnershipRow;
use crate::models::subscription::{SubscriptionChanges, SubscriptionRow, SubscriptionStatus};
use crate::models::{ids, now};
use crate::services::orders::lock_customer;

/// Requested changes to a subscription (`None`: unchanged; `partner_id_on_record: Some(None)`
/// clears the reseller of record).
#[derive(Debug, Default, Clone)]
pub struct Patch {
    /// New license count.
    pub quantity: Option<i32>,
    /// Suspend or reactivate.
    pub status: Option<SubscriptionStatus>,
    /// Auto-renew.
    pub auto_renew: Option<bool>,
    /// Friendly name.
    pub friendly_name: Option<String>,
    /// Reseller of record.
    pub partner_id_on_record: Option<Option<Uuid>>,
}

/// The audit snapshot of a subscription.
fn snapshot(row: &SubscriptionRow) -> serde_json::Value {
    serde_json::json!({
        "offerId": row.offer_id,
        "quantity": row.quantity,
        "status": row.status,
        "billingCycle": row.billing_cycle,
        "autoRenew": row.auto_renew,
        "friendlyName": row.friendly_name,
        "partnerIdOnRecord": row.partner_id_on_record,
        "supportContactPartnerId": row.support_contact_partner_id,
    })
}

fn audit_partners(row: &SubscriptionRow, actor: &Actor) -> Vec<Uuid> {
    let billing = ids::parse(&row.billing_partner_id);
    let mut partners = vec![billing];
    if let Some(p) = actor.partner_id.filter(|p| *p != billing) {
        partners.push(p);
    }
    partners
}

fn offer_of(conn: &mut AnyConnection, row: &SubscriptionRow) -> Result<OfferRow, ApiError> {
    OfferRow::find(conn, &row.offer_id)?
        .ok_or_else(|| ApiError::internal(format!("offer {} missing", row.offer_id)))
}

fn quantity_error(message: String) -> ApiError {
    ApiError::field(
        StatusCode::UNPROCESSABLE_ENTITY,
        "quantity_out_of_range",
        "quantity",
        message,
    )
}

/// Applies `patch` to `row` (already reached by `principal` for `ManageSubscriptions`).
///
/// Errors: 412 when `If-Match` is stale or another change won the compare-and-swap; 409
/// `subscription_suspended` when the quantity changes on a subscription that is (or stays)
/// suspended — reactivate it in the same request; 422 `quantity_out_of_range` on `quantity`
/// (outside the offer's min/max); 403 `indirect_provider_required` when anyone but the billing
/// provider changes `partnerIdOnRecord`; 422 `partnership_required` on `partnerIdOnRecord` when
/// the reseller has no active partnership with the billing provider.
pub fn update(
    conn: &mut AnyConnection,
    principal: &Principal,
    row: SubscriptionRow,
    precondition: Precondition,
    patch: Patch,
) -> Result<SubscriptionRow, ApiError> {
    db::transaction(conn, |conn| {
        let expected = precondition.expect(row.version)?;
        let offer = offer_of(conn, &row)?;
        let status = patch
            .status
            .unwrap_or(SubscriptionStatus::parse(&row.status));
        let quantity = patch.quantity.filter(|q| *q != row.quantity);
        if let Some(q) = quantity {
            if status == SubscriptionStatus::Suspended {
                return Err(ApiError::conflict(
                    "subscription_suspended",
                    "The license count of a suspended subscription cannot change; reactivate it (`\"status\": \"active\"`, in the same request if you like).",
                ));
            }
            if !(offer.min_quantity..=offer.max_quantity).contains(&q) {
                return Err(quantity_error(format!(
                    "`{}` allows {} to {} licenses.",
                    offer.id, offer.min_quantity, offer.max_quantity
                )));
            }
        }
        let on_record = patch
            .partner_id_on_record
            .filter(|r| r.map(|u| u.to_string()) != row.partner_id_on_record);
        if let Some(reseller) = on_record {
            if principal.tenant_id.to_string() != row.billing_partner_id {
                return Err(ApiError::forbidden(
                    "indirect_provider_required",
                    "The reseller of record is set by the indirect provider that bills the subscription.",
                ));
            }
            if let Some(r) = reseller
                && !PartnershipRow::is_active(conn, ids::parse(&row.billing_partner_id), r)?
            {
                return Err(ApiError::field(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "partnership_required",
                    "partnerIdOnRecord",
                    "The reseller of record must be an indirect reseller with an active partnership with the billing provider.",
                ));
            }
        }
        let changes = SubscriptionChanges {
            quantity,
            status: patch
                .status
                .map(|s| s.as_str().to_owned())
                .filter(|s| *s != row.status),
            auto_renew: patch.auto_renew.filter(|a| *a != row.auto_renew),
            friendly_name: patch
                .friendly_name
                .map(|n| n.trim().to_owned())
                .filter(|n| *n != row.friendly_name),
            partner_id_on_record: on_record.map(|r| r.map(|u| u.to_string())),
        };
        if changes.quantity.is_none()
            && changes.status.is_none()
            && changes.auto_renew.is_none()
            && changes.friendly_name.is_none()
            && changes.partner_id_on_record.is_none()
        {
            return Ok(row);
        }
        if !SubscriptionRow::update(conn, &row.id, expected, &changes)? {
            return Err(ApiError::precondition_failed());
        }
        let customer_id = ids::parse(&row.customer_id);
        let after = SubscriptionRow::find(conn, customer_id, ids::parse(&row.id))?
            .ok_or_else(|| ApiError::not_found("The subscription"))?;
        let actor = Actor::from(principal);
        for partner in audit_partners(&row, &actor) {
            Audit::new("update_subscription", "subscription", &row.id)
                .partner(partner)
                .customer(customer_id)
                .old_value(snapshot(&row))
                .new_value(snapshot(&after))
                .write(conn, &actor)?;
        }
        Ok(after)
    })
}

/// Why an upgrade target cannot be chosen now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Ineligibility {
    /// The subscription is suspended; only an active one can be upgraded.
    SubscriptionNotActive,
    /// The customer already has a subscription (active or suspended) to the target offer.
    AlreadyOwned,
    /// The caller's relationship with the customer lacks delegated admin privileges.
    DelegatedAdminRequired,
    /// The target offer is not sold with the subscription's billing cycle.
    BillingCycleNotOffered,
}

/// One upgrade target of a subscription's offer with what stands in the way.
#[derive(Debug, Clone)]
pub struct UpgradeOption {
    /// The target offer.
    pub offer: OfferRow,
    /// Empty when the upgrade is possible.
    pub reasons: Vec<Ineligibility>,
}

/// The upgrade targets of `row`'s offer, in catalog order, each with its ineligibility reasons
/// for the caller who `reached` the customer.
pub fn upgrade_options(
    conn: &mut AnyConnection,
    reached: &Reached,
    row: &SubscriptionRow,
) -> Result<Vec<UpgradeOption>, ApiError> {
    let offer = offer_of(conn, row)?;
    let target_ids = offer.upgrade_target_ids();
    let targets = OfferRow::find_many(conn, &target_ids)?;
    let owned = SubscriptionRow::count_by_offer(conn, ids::parse(&row.customer_id), &target_ids)?;
    let dap = reached
        .relationship
        .as_ref()
        .is_some_and(|r| r.delegated_admin);
    let cycle = BillingCycle::parse(&row.billing_cycle);
    Ok(target_ids
        .iter()
        .filter_map(|id| targets.get(id).cloned())
        .map(|target| {
            let mut reasons = Vec::new();
            if row.status != SubscriptionStatus::Active.as_str() {
                reasons.push(Ineligibility::SubscriptionNotActive);
            }
            if owned.contains_key(&target.id) {
                reasons.push(Ineligibility::AlreadyOwned);
            }
            if !dap {
                reasons.push(Ineligibility::DelegatedAdminRequired);
            }
            if !cycle.is_some_and(|c| target.offers_cycle(c)) {
                reasons.push(Ineligibility::BillingCycleNotOffered);
            }
            UpgradeOption {
                offer: target,
                reasons,
            }
        })
        .collect())
}

/// A completed upgrade.
#[derive(Debug, Clone)]
pub struct Upgraded {
    /// The source subscription after the upgrade (suspended, or with fewer licenses).
    pub source: SubscriptionRow,
    /// The new subscription to the target offer.
    pub target: SubscriptionRow,
}

/// Upgrades `row` (already reached for `UpgradeSubscription`, so with DAP) to `target_offer_id`,
/// moving `quantity` licenses (default: all). In one transaction: the new subscription (same
/// billing cycle, billing partner, reseller of record, support contact and auto-renew, named
/// after the target offer) and the source either suspended (all licenses moved) or reduced.
///
/// Errors: 412 (stale `If-Match` or a concurrent change); 409 `subscription_not_active`; 422
/// `upgrade_not_available` on `targetOfferId` (not one of the offer's upgrade targets); 409
/// `already_owned` on `targetOfferId`; 422 `billing_cycle_not_offered` on `targetOfferId`; 422
/// `quantity_out_of_range` on `quantity` (not 1 to the source's licenses, outside the target's
/// min/max, or leaving fewer than the source offer's minimum behind).
pub fn upgrade(
    conn: &mut AnyConnection,
    actor: &Actor,
    row: SubscriptionRow,
    target_offer_id: &str,
    quantity: Option<i32>,
    precondition: Precondition,
) -> Result<Upgraded, ApiError> {
    db::transaction(conn, |conn| {
        let customer_id = ids::parse(&row.customer_id);
        lock_customer(conn, customer_id)?;
        let expected = precondition.expect(row.version)?;
        if row.status != SubscriptionStatus::Active.as_str() {
            return Err(ApiError::conflict(
                "subscription_not_active",
                "Only an active subscription can be upgraded; reactivate it first.",
            ));
        }
        let source_offer = offer_of(conn, &row)?;
        let target_field =
            |status, code, message: String| ApiError::field(status, code, "targetOfferId", message);
        let target = match OfferRow::find(conn, target_offer_id)? {
            Some(t) if source_offer.upgrade_target_ids().contains(&t.id) => t,
            _ => {
                return Err(target_field(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "upgrade_not_available",
                    format!(
                        "`{}` can be upgraded to {} only (GET …/upgrades).",
                        source_offer.id,
                        source_offer.upgrade_target_ids().join(", ")
                    ),
                ));
            }
        };
        if SubscriptionRow::count_by_offer(conn, customer_id, std::slice::from_ref(&target.id))?
            .contains_key(&target.id)
        {
            return Err(target_field(
                StatusCode::CONFLICT,
                "already_owned",
                format!(
                    "The customer already has a subscription to `{}`.",
                    target.id
                ),
            ));
        }
        if !BillingCycle::parse(&row.billing_cycle).is_some_and(|c| target.offers_cycle(c)) {
            return Err(target_field(
                StatusCode::UNPROCESSABLE_ENTITY,
                "billing_cycle_not_offered",
                format!(
                    "`{}` is not sold with a {} billing cycle.",
                    target.id, row.billing_cycle
                ),
            ));
        }
        let moved = quantity.unwrap_or(row.quantity);
        let remaining = row.quantity - moved;
        if !(1..=row.quantity).contains(&moved) {
            return Err(quantity_error(format!(
                "Move 1 to {} licenses (the subscription's count).",
                row.quantity
            )));
        }
        if !(target.min_quantity..=target.max_quantity).contains(&moved) {
            return Err(quantity_error(format!(
                "`{}` allows {} to {} licenses.",
                target.id, target.min_quantity, target.max_quantity
            )));
        }
        if remaining > 0 && remaining < source_offer.min_quantity {
            return Err(quantity_error(format!(
                "The {remaining} licenses left behind would be fewer than `{}`'s minimum of {}; move all of them or fewer.",
                source_offer.id, source_offer.min_quantity
            )));
        }
        let changes = if remaining == 0 {
            SubscriptionChanges {
                status: Some(SubscriptionStatus::Suspended.as_str().to_owned()),
                ..Default::default()
            }
        } else {
            SubscriptionChanges {
                quantity: Some(remaining),
                ..Default::default()
            }
        };
        if !SubscriptionRow::update(conn, &row.id, expected, &changes)? {
            return Err(ApiError::precondition_failed());
        }
        let t = now();
        let new = SubscriptionRow {
            id: ids::new(),
            offer_id: target.id.clone(),
            order_id: None,
            quantity: moved,
            status: SubscriptionStatus::Active.as_str().to_owned(),
            friendly_name: target.name.clone(),
            version: 1,
            created_at: t,
            updated_at: t,
            ..row.clone()
        };
        SubscriptionRow::insert(conn, &new)?;
        let source = SubscriptionRow::find(conn, customer_id, ids::parse(&row.id))?
            .ok_or_else(|| ApiError::not_found("The subscription"))?;
        for partner in audit_partners(&row, actor) {
            Audit::new("upgrade_subscription", "subscription", &row.id)
                .partner(partner)
                .customer(customer_id)
                .old_value(snapshot(&row))
                .new_value(serde_json::json!({
                    "source": snapshot(&source),
                    "target": { "id": new.id, "subscription": snapshot(&new) },
                }))
                .write(conn, actor)?;
            Audit::new("create_subscription", "subscription", &new.id)
                .partner(partner)
                .customer(customer_id)
                .new_value(
                    serde_json::json!({ "upgradedFrom": row.id, "subscription": snapshot(&new) }),
                )
                .write(conn, actor)?;
        }
        Ok(Upgraded {
            source,
            target: new,
        })
    })
}
