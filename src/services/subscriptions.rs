//! Subscriptions (docs/concepts.md#commerce): reading them within the caller's reach ([`list`], [`get`]),
//! changing one ([`update`]: add or remove licenses, suspend, reactivate, auto-renew, friendly
//! name, reseller of record) and upgrades ([`upgrade_options`], [`upgrade`]: move all or some
//! licenses to one of the offer's upgrade targets; both judge a target with [`ineligibility`]).
//! Each change is one transaction — the caller's reach (`auth::visibility`), a compare-and-swap
//! on the subscription's version, and its audit record (`update_subscription`,
//! `upgrade_subscription`) for the billing provider and, when another partner made it, for that
//! partner too.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use chrono::NaiveDateTime;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::permissions::{self, Operation};
use crate::auth::{Principal, visibility};
use crate::change::Change;
use crate::db::AnyConnection;
use crate::domain::billing::ChargeType;
use crate::domain::term::NextTerm;
use crate::domain::{AuditOperation, Id, SubscriptionStatus};
use crate::error::{ApiError, ProblemCode};
use crate::etag::Precondition;
use crate::models::audit::{Actor, Audit};
use crate::models::offer::OfferRow;
use crate::models::partnership::PartnershipRow;
use crate::models::subscription::{
    Named, SubscriptionChanges, SubscriptionFilter, SubscriptionRow, next_term_json,
};
use crate::models::test_clock::TestClockRow;
use crate::models::{ids, now, utc};
use crate::paging::PageRequest;
use crate::services::terms;

/// `rows` with their offers' names (one lookup for all of them) and their time (the real time,
/// or their customers' test clocks' time: one more lookup when any lives on a clock), in the
/// same order.
pub fn named(conn: &mut AnyConnection, rows: Vec<SubscriptionRow>) -> Result<Vec<Named>, ApiError> {
    let offer_ids: Vec<Id> = rows.iter().map(|r| r.offer_id).collect();
    let offers = OfferRow::find_many(conn, &offer_ids)?;
    let clocks: Vec<Id> = rows.iter().filter_map(|r| r.test_clock_id).collect();
    let times = TestClockRow::times(conn, &clocks)?;
    let real = now();
    Ok(rows
        .into_iter()
        .map(|row| Named {
            offer_name: offers
                .get(&row.offer_id)
                .map(|o| o.name.clone())
                .unwrap_or_default(),
            now: row
                .test_clock_id
                .and_then(|c| times.get(&c).copied())
                .unwrap_or(real),
            row,
        })
        .collect())
}

fn named_one(conn: &mut AnyConnection, row: SubscriptionRow) -> Result<Named, ApiError> {
    named(conn, vec![row])?
        .pop()
        .ok_or_else(|| ApiError::internal("subscription lost"))
}

/// One page (up to `page.limit + 1` rows in id order) of a customer's subscriptions within the
/// caller's reach (`ReadSubscriptions`; an indirect reseller sees only those it is reseller of
/// record or support contact for) matching `filter`. Errors: 404 `not_found` (customer).
pub fn list(
    conn: &mut AnyConnection,
    caller: &Principal,
    customer_id: Uuid,
    filter: &SubscriptionFilter,
    page: &PageRequest,
) -> Result<Vec<Named>, ApiError> {
    visibility::customer(conn, caller, customer_id, Operation::ReadSubscriptions)?;
    let rows = SubscriptionRow::page(
        conn,
        customer_id,
        visibility::subscription_scope(caller),
        filter,
        page.after.as_deref(),
        page.rows_to_fetch(),
    )?;
    named(conn, rows)
}

/// One subscription within the caller's reach (`ReadSubscriptions`); 404 otherwise.
pub fn get(
    conn: &mut AnyConnection,
    caller: &Principal,
    customer_id: Uuid,
    subscription_id: Uuid,
) -> Result<Named, ApiError> {
    let (_, row) = visibility::subscription(
        conn,
        caller,
        customer_id,
        subscription_id,
        Operation::ReadSubscriptions,
    )?;
    named_one(conn, row)
}

/// Requested changes to a subscription (`None`: unchanged; `partner_id_on_record: Some(None)`
/// clears the reseller of record, `scheduled_next_term: Some(None)` clears the instructions).
#[derive(Debug, Default, Clone)]
pub struct Patch {
    /// New license count.
    pub quantity: Option<i32>,
    /// Suspend, reactivate, or cancel (`deleted`).
    pub status: Option<SubscriptionStatus>,
    /// Auto-renew.
    pub auto_renew: Option<bool>,
    /// Friendly name.
    pub friendly_name: Option<String>,
    /// Reseller of record.
    pub partner_id_on_record: Option<Option<Uuid>>,
    /// What the next term changes.
    pub scheduled_next_term: Option<Option<NextTerm>>,
}

/// The audit snapshot of a subscription.
pub(super) fn snapshot(row: &SubscriptionRow) -> serde_json::Value {
    serde_json::json!({
        "offerId": row.offer_id,
        "quantity": row.quantity,
        "status": row.status,
        "billingCycle": row.billing_cycle,
        "termDuration": row.term_duration,
        "termStartDate": utc(row.term_start_date),
        "autoRenew": row.auto_renew,
        "friendlyName": row.friendly_name,
        "partnerIdOnRecord": row.partner_id_on_record,
        "supportContactPartnerId": row.support_contact_partner_id,
        "scheduledNextTermInstructions": row.next_term().ok().flatten(),
    })
}

pub(super) fn audit_partners(row: &SubscriptionRow, actor: &Actor) -> Vec<Uuid> {
    let billing = row.billing_partner_id.uuid();
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
        ProblemCode::QuantityOutOfRange,
        "quantity",
        message,
    )
}

/// Applies `patch` to a subscription within the caller's reach (`ManageSubscriptions`), in one
/// transaction with its audit record; a patch that changes nothing writes nothing. Times are
/// the subscription's (its customer's test clock's when it lives on one); `window_hours` is the
/// instance's default cancellation window (docs/concepts.md#subscription-terms-and-lifecycle).
///
/// `"status": "deleted"` cancels the subscription (audit `cancel_subscription`, event
/// `subscription-deleted`) while its cancellation window is open; the other fields of such a
/// patch are ignored.
///
/// Errors: 404 `not_found` (customer or subscription); 412 when `If-Match` is stale or another change won the compare-and-swap; 409
/// `subscription_ended` (expired, disabled or deleted); 409 `cancellation_window_passed`; 409
/// `seat_reduction_window_passed` (fewer seats than removed are still returnable); 409
/// `subscription_suspended` when the quantity changes on a subscription that is (or stays)
/// suspended — reactivate it in the same request; 422 `quantity_out_of_range` on `quantity`
/// (outside the offer's min/max); 422 `invalid_value` on `status` (`expired` and `disabled`
/// are the runner's); 422 `next_term_not_available` / `quantity_out_of_range` on
/// `scheduledNextTermInstructions.*`; 403 `indirect_provider_required` when anyone but the billing
/// provider changes `partnerIdOnRecord`; 422 `partnership_required` on `partnerIdOnRecord` when
/// the reseller has no active partnership with the billing provider.
pub fn update(
    change: &mut Change<'_>,
    principal: &Principal,
    customer_id: Uuid,
    subscription_id: Uuid,
    precondition: Precondition,
    patch: Patch,
    window_hours: i64,
) -> Result<Named, ApiError> {
    let (_, row) = visibility::subscription(
        change.conn(),
        principal,
        customer_id,
        subscription_id,
        Operation::ManageSubscriptions,
    )?;
    change.reached(customer_id, principal.tenant_id);
    let expected = precondition.expect(row.version)?;
    if row.has_ended() {
        return Err(terms::ended(&row));
    }
    let now = TestClockRow::time_on(change.conn(), row.test_clock_id.as_ref())?;
    let offer = offer_of(change.conn(), &row)?;
    let changes = match patch.status {
        Some(SubscriptionStatus::Deleted) => terms::cancel(&row, now)?,
        Some(SubscriptionStatus::Expired | SubscriptionStatus::Disabled) => {
            return Err(ApiError::field(
                StatusCode::UNPROCESSABLE_ENTITY,
                ProblemCode::ValidationFailed,
                "status",
                "must be `active`, `suspended` or `deleted` (cancel); subscriptions expire and are disabled by themselves",
            ));
        }
        _ => changes_of(change, principal, &row, &offer, patch, window_hours, now)?,
    };
    if changes.is_empty() {
        return named_one(change.conn(), row);
    }
    if !SubscriptionRow::update(change.conn(), &row.id, expected, &changes)? {
        return Err(ApiError::precondition_failed());
    }
    let customer_id = row.customer_id.uuid();
    let after = SubscriptionRow::find(change.conn(), customer_id, row.id.uuid())?
        .ok_or_else(|| ApiError::not_found("The subscription"))?;
    let operation = if after.status == SubscriptionStatus::Deleted {
        super::billing::charge(change, &after, ChargeType::Cancel, -row.quantity, now)?;
        AuditOperation::CancelSubscription
    } else {
        if after.quantity != row.quantity {
            let kind = if after.quantity > row.quantity {
                ChargeType::AddQuantity
            } else {
                ChargeType::RemoveQuantity
            };
            super::billing::charge(change, &after, kind, after.quantity - row.quantity, now)?;
        }
        AuditOperation::UpdateSubscription
    };
    for partner in audit_partners(&row, change.actor()) {
        change.audit(
            Audit::new(operation, row.id)
                .partner(partner)
                .customer(customer_id)
                .old_value(snapshot(&row))
                .new_value(snapshot(&after)),
        );
    }
    named_one(change.conn(), after)
}

/// The column changes of a patch that does not cancel (see [`update`]).
fn changes_of(
    change: &mut Change<'_>,
    principal: &Principal,
    row: &SubscriptionRow,
    offer: &OfferRow,
    patch: Patch,
    window_hours: i64,
    now: NaiveDateTime,
) -> Result<SubscriptionChanges, ApiError> {
    let status = patch.status.unwrap_or(row.status);
    let quantity = patch.quantity.filter(|q| *q != row.quantity);
    let mut refundable = None;
    if let Some(q) = quantity {
        if status == SubscriptionStatus::Suspended {
            return Err(ApiError::conflict(
                ProblemCode::SubscriptionSuspended,
                "The license count of a suspended subscription cannot change; reactivate it (`\"status\": \"active\"`, in the same request if you like).",
            ));
        }
        offer.check_quantity(q, "quantity")?;
        refundable = Some(terms::change_seats(
            row,
            q,
            offer.window_hours(window_hours),
            now,
        )?);
    }
    let on_record = patch
        .partner_id_on_record
        .filter(|r| r.map(Id::from) != row.partner_id_on_record);
    if let Some(reseller) = on_record {
        permissions::may_set_reseller_of_record(principal, row.billing_partner_id.uuid())?;
        if let Some(r) = reseller {
            PartnershipRow::require_active(
                change.conn(),
                row.billing_partner_id.uuid(),
                r,
                "partnerIdOnRecord",
                "The reseller of record must be an indirect reseller with an active partnership with the billing provider.",
            )?;
        }
    }
    let next_term = match patch.scheduled_next_term {
        Some(Some(next)) => {
            let target = OfferRow::find(change.conn(), &next.offer_id)?;
            terms::check_next_term(offer, target.as_ref(), &next)?;
            Some(Some(next_term_json(&next))).filter(|n| *n != row.scheduled_next_term)
        }
        Some(None) => row.scheduled_next_term.as_ref().map(|_| None),
        None => None,
    };
    Ok(SubscriptionChanges {
        quantity,
        status: patch.status.filter(|s| *s != row.status),
        auto_renew: patch.auto_renew.filter(|a| *a != row.auto_renew),
        friendly_name: patch
            .friendly_name
            .map(|n| n.trim().to_owned())
            .filter(|n| *n != row.friendly_name),
        partner_id_on_record: on_record.map(|r| r.map(Id::from)),
        refundable,
        scheduled_next_term: next_term,
        ..Default::default()
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

impl Ineligibility {
    /// What stands in the way of upgrading `row` whatever the target: only an active
    /// subscription can be upgraded (docs/concepts.md#commerce).
    fn of_subscription(row: &SubscriptionRow) -> Option<Ineligibility> {
        (row.status != SubscriptionStatus::Active).then_some(Ineligibility::SubscriptionNotActive)
    }

    /// The answer of `POST …/upgrades` when this reason stands in the way of upgrading `row` to
    /// `target`: 409 `subscription_not_active`, 409 `already_owned` on `targetOfferId`, 403
    /// `delegated_admin_required`, 422 `billing_cycle_not_offered` on `targetOfferId`.
    fn error(self, row: &SubscriptionRow, target: &OfferRow) -> ApiError {
        let on_target =
            |status, code, message: String| ApiError::field(status, code, "targetOfferId", message);
        match self {
            Ineligibility::SubscriptionNotActive => ApiError::conflict(
                ProblemCode::SubscriptionNotActive,
                "Only an active subscription can be upgraded; reactivate it first.",
            ),
            Ineligibility::AlreadyOwned => on_target(
                StatusCode::CONFLICT,
                ProblemCode::AlreadyOwned,
                format!(
                    "The customer already has a subscription to `{}`.",
                    target.id
                ),
            ),
            Ineligibility::DelegatedAdminRequired => {
                visibility::delegated_admin_required(Operation::UpgradeSubscription)
            }
            Ineligibility::BillingCycleNotOffered => on_target(
                StatusCode::UNPROCESSABLE_ENTITY,
                ProblemCode::BillingCycleNotOffered,
                format!(
                    "`{}` is not sold with a {} billing cycle.",
                    target.id, row.billing_cycle
                ),
            ),
        }
    }
}

/// The upgrade rules (docs/concepts.md#commerce), in one place: what stands in the way of upgrading `row`
/// to `target` (one of its offer's upgrade targets) for a caller whose relationship with the
/// customer does (`dap`) or does not include DAP, given how many subscriptions the customer
/// holds to each offer (`owned`). Empty when the upgrade is possible (quantities aside). The
/// list of `GET …/upgrades` shows these reasons; `POST …/upgrades` answers the first.
pub fn ineligibility(
    row: &SubscriptionRow,
    target: &OfferRow,
    owned: &HashMap<Id, i64>,
    dap: bool,
) -> Vec<Ineligibility> {
    let mut reasons: Vec<Ineligibility> = Ineligibility::of_subscription(row).into_iter().collect();
    if owned.contains_key(&target.id) {
        reasons.push(Ineligibility::AlreadyOwned);
    }
    if !dap {
        reasons.push(Ineligibility::DelegatedAdminRequired);
    }
    if !target.offers_cycle(row.billing_cycle) {
        reasons.push(Ineligibility::BillingCycleNotOffered);
    }
    reasons
}

/// One upgrade target of a subscription's offer with what stands in the way.
#[derive(Debug, Clone)]
pub struct UpgradeOption {
    /// The target offer.
    pub offer: OfferRow,
    /// Empty when the upgrade is possible.
    pub reasons: Vec<Ineligibility>,
}

/// The upgrade targets of `row`'s offer (its `source_offer`), in catalog order, each with its
/// [`ineligibility`] reasons for the caller who `reached` the customer.
fn options_for(
    conn: &mut AnyConnection,
    reached: &visibility::Reached,
    row: &SubscriptionRow,
    source_offer: &OfferRow,
) -> Result<Vec<UpgradeOption>, ApiError> {
    let target_ids = source_offer.upgrade_target_ids()?;
    let targets = OfferRow::find_many(conn, &target_ids)?;
    let owned = SubscriptionRow::count_by_offer(conn, row.customer_id.uuid(), &target_ids)?;
    let dap = reached.delegated;
    Ok(target_ids
        .iter()
        .filter_map(|id| targets.get(id).cloned())
        .map(|target| UpgradeOption {
            reasons: ineligibility(row, &target, &owned, dap),
            offer: target,
        })
        .collect())
}

/// The upgrade targets of the offer of a subscription within the caller's reach
/// (`ReadSubscriptions`), in catalog order, each with its [`ineligibility`] reasons. Errors:
/// 404 `not_found` (customer or subscription).
pub fn upgrade_options(
    conn: &mut AnyConnection,
    caller: &Principal,
    customer_id: Uuid,
    subscription_id: Uuid,
) -> Result<Vec<UpgradeOption>, ApiError> {
    let (mut reached, row) = visibility::subscription(
        conn,
        caller,
        customer_id,
        subscription_id,
        Operation::ReadSubscriptions,
    )?;
    // The list shows what an upgrade would allow: DAP, or a GDAP grant for upgrades.
    reached.delegated =
        visibility::delegated_for(conn, caller, &reached, Operation::UpgradeSubscription)?;
    let source_offer = offer_of(conn, &row)?;
    options_for(conn, &reached, &row, &source_offer)
}

/// A completed upgrade.
#[derive(Debug, Clone)]
pub struct Upgraded {
    /// The source subscription after the upgrade (suspended, or with fewer licenses).
    pub source: Named,
    /// The new subscription to the target offer.
    pub target: Named,
}

/// Upgrades a subscription within the caller's reach (`UpgradeSubscription`, so with DAP) to
/// `target_offer_id`, moving `quantity` licenses (default: all). In one transaction: the new
/// subscription (same billing cycle, billing partner, reseller of record, support contact and
/// auto-renew, named after the target offer), the source either suspended (all licenses moved)
/// or reduced, the two `upgrade` billing lines (the moved seats refunded on the source and
/// charged on the target, for the days left in the billing cycle), and the audit records
/// (`upgrade_subscription`, `create_subscription`).
///
/// Errors: 404 `not_found`; 403 `delegated_admin_required`; 412 (stale `If-Match` or a
/// concurrent change); 409 `subscription_not_active`; 422 `upgrade_not_available` on
/// `targetOfferId` (not one of the offer's upgrade targets); 409 `already_owned` on
/// `targetOfferId`; 422 `billing_cycle_not_offered` on `targetOfferId`; 422
/// `quantity_out_of_range` on `quantity` (not 1 to the source's licenses, outside the target's
/// min/max, or leaving fewer than the source offer's minimum behind).
pub fn upgrade(
    change: &mut Change<'_>,
    caller: &Principal,
    customer_id: Uuid,
    subscription_id: Uuid,
    target_offer_id: &Id,
    quantity: Option<i32>,
    precondition: Precondition,
) -> Result<Upgraded, ApiError> {
    let (source, target) = {
        // Reaching the customer for `UpgradeSubscription` takes its row lock, which serializes
        // its orders and upgrades (both count its subscriptions).
        let (reached, row) = visibility::subscription(
            change.conn(),
            caller,
            customer_id,
            subscription_id,
            Operation::UpgradeSubscription,
        )?;
        change.reached(customer_id, caller.tenant_id);
        let expected = precondition.expect(row.version)?;
        let source_offer = offer_of(change.conn(), &row)?;
        let chosen = options_for(change.conn(), &reached, &row, &source_offer)?
            .into_iter()
            .find(|o| o.offer.id == *target_offer_id);
        let target = match chosen {
            Some(UpgradeOption { offer, reasons }) => match reasons.first() {
                Some(reason) => return Err(reason.error(&row, &offer)),
                None => offer,
            },
            // The subscription's own state is answered before the choice of target.
            None => {
                return Err(match Ineligibility::of_subscription(&row) {
                    Some(reason) => reason.error(&row, &source_offer),
                    None => ApiError::field(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        ProblemCode::UpgradeNotAvailable,
                        "targetOfferId",
                        format!(
                            "`{}` can be upgraded to {} only (GET …/upgrades).",
                            source_offer.id,
                            source_offer
                                .upgrade_target_ids()?
                                .iter()
                                .map(Id::as_str)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ),
                });
            }
        };
        let moved = quantity.unwrap_or(row.quantity);
        let remaining = row.quantity - moved;
        if !(1..=row.quantity).contains(&moved) {
            return Err(quantity_error(format!(
                "Move 1 to {} licenses (the subscription's count).",
                row.quantity
            )));
        }
        target.check_quantity(moved, "quantity")?;
        if remaining > 0 && remaining < source_offer.min_quantity {
            return Err(quantity_error(format!(
                "The {remaining} licenses left behind would be fewer than `{}`'s minimum of {}; move all of them or fewer.",
                source_offer.id, source_offer.min_quantity
            )));
        }
        let changes = if remaining == 0 {
            SubscriptionChanges {
                status: Some(SubscriptionStatus::Suspended),
                ..Default::default()
            }
        } else {
            SubscriptionChanges {
                quantity: Some(remaining),
                ..Default::default()
            }
        };
        if !SubscriptionRow::update(change.conn(), &row.id, expected, &changes)? {
            return Err(ApiError::precondition_failed());
        }
        let t = now();
        let new = SubscriptionRow {
            id: ids::new(),
            offer_id: target.id,
            order_id: None,
            quantity: moved,
            status: SubscriptionStatus::Active,
            friendly_name: target.name.clone(),
            version: 1,
            created_at: t,
            updated_at: t,
            // Co-termed (docs/concepts.md#subscription-terms-and-lifecycle): the source's term, its end and its transitions;
            // nothing to return and nothing scheduled.
            refundable: "[]".to_owned(),
            scheduled_next_term: None,
            ..row.clone()
        };
        SubscriptionRow::insert(change.conn(), &new)?;
        let source = SubscriptionRow::find(change.conn(), customer_id, row.id.uuid())?
            .ok_or_else(|| ApiError::not_found("The subscription"))?;
        // The moved seats: refunded on the source and charged on the target, each for the days
        // left in the (shared) billing cycle.
        let at = TestClockRow::time_on(change.conn(), row.test_clock_id.as_ref())?;
        super::billing::charge(change, &source, ChargeType::Upgrade, -moved, at)?;
        super::billing::charge(change, &new, ChargeType::Upgrade, moved, at)?;
        for partner in audit_partners(&row, change.actor()) {
            change.audit(
                Audit::new(AuditOperation::UpgradeSubscription, row.id)
                    .partner(partner)
                    .customer(customer_id)
                    .old_value(snapshot(&row))
                    .new_value(serde_json::json!({
                        "source": snapshot(&source),
                        "target": { "id": new.id, "subscription": snapshot(&new) },
                    })),
            );
            change.audit(Audit::new(AuditOperation::CreateSubscription, new.id)
                .partner(partner)
                .customer(customer_id)
                .new_value(
                    serde_json::json!({ "upgradedFrom": row.id, "subscription": snapshot(&new) }),
                )
                );
        }
        (source, new)
    };
    let mut both = named(change.conn(), vec![source, target])?.into_iter();
    match (both.next(), both.next()) {
        (Some(source), Some(target)) => Ok(Upgraded { source, target }),
        _ => Err(ApiError::internal("upgrade lost a subscription")),
    }
}
