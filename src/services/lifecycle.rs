//! The lifecycle of subscription terms (docs/concepts.md#subscription-terms-and-lifecycle), as the runner applies it: each due
//! transition of a subscription is one change with its audit record and event (and, for a
//! renewal, its `renew` billing line) — the `cycleFee` billing line of each billing cycle after
//! the first of a term billed in shorter cycles (an active subscription's seats for the whole
//! cycle at the term's prices; a suspended one is not charged),
//! `subscription-renewal-upcoming` 30 and 7 days before the term ends, then at the end a
//! renewal (active with auto-renew: a new term with the scheduled instructions applied, a new
//! cancellation window) or expiry, then `disabled` 30 days later and `deleted` 90 days after
//! that. A transition is applied at its due time, whenever the runner gets to it, so a runner
//! that was down catches up in order with the dates the transitions would have had.
//!
//! Exactly once: the runner claims a due subscription with its row lock (skipping rows another
//! runner holds, `SubscriptionRow::claim_due`), records the transition under a unique key
//! (subscription, transition, due time) and changes the row with a compare-and-swap on its
//! version, all in the change's one transaction.

use chrono::NaiveDateTime;

use crate::api::subscriptions::Subscription;
use crate::change::Change;
use crate::db::{self, AnyConnection, Pool};
use crate::domain::billing::ChargeType;
use crate::domain::term::{
    self, DELETE_AFTER_DAYS, DISABLE_AFTER_DAYS, Refundable, after_days, after_hours,
};
use crate::domain::{AuditOperation, Id, SubscriptionStatus, Transition};
use crate::error::ApiError;
use crate::models::audit::{Actor, Audit};
use crate::models::gdap::GdapRelationshipRow;
use crate::models::offer::OfferRow;
use crate::models::subscription::{SubscriptionChanges, SubscriptionRow, refundable_json};
use crate::models::test_clock::TestClockRow;

/// Delegated admin relationships of a clock's customers brought up to date per finished advance.
const GDAP_PER_ADVANCE: usize = 1_000;

/// The name of the runner in audit records.
pub const ACTOR: &str = "lifecycle runner";

/// Applies the transition of the subscription due first on `clock` (`None`: real time) at or
/// before `now`, as one change. Returns its due time, or `None` when nothing was due (or the
/// transition had already been applied, then nothing changes).
pub fn apply_next(
    conn: &mut AnyConnection,
    clock: Option<&Id>,
    now: NaiveDateTime,
    window_hours: i64,
) -> Result<Option<NaiveDateTime>, ApiError> {
    Change::run(conn, Actor::system(ACTOR), None, |change| {
        let Some(row) = SubscriptionRow::claim_due(change.conn(), clock, now)? else {
            return Ok(None);
        };
        let due = row.next_transition_at;
        apply(change, row, window_hours)?;
        Ok(due)
    })
}

/// Applies `row`'s due transition inside `change` (see the module documentation).
fn apply(change: &mut Change<'_>, row: SubscriptionRow, window_hours: i64) -> Result<(), ApiError> {
    let (Some(kind), Some(due)) = (row.next_transition, row.next_transition_at) else {
        return Ok(());
    };
    if !SubscriptionRow::record_transition(change.conn(), &row.id, kind, due)? {
        return Ok(());
    }
    let end = row.term_end();
    let (changes, operation) = match kind {
        Transition::Reschedule => {
            let start = row.term_start_date;
            let (next, at) = term::next_in_term(start, end, row.billing_cycle, start, None);
            (schedule(next, at), None)
        }
        Transition::RenewalNotice30 | Transition::RenewalNotice7 | Transition::CycleFee => {
            let start = row.term_start_date;
            let (next, at) = term::next_in_term(start, end, row.billing_cycle, due, Some(kind));
            let operation = match kind {
                Transition::CycleFee => (row.status == SubscriptionStatus::Active)
                    .then_some(AuditOperation::ChargeCycleFee),
                _ => Some(AuditOperation::AnnounceRenewal),
            };
            (schedule(next, at), operation)
        }
        Transition::TermEnd if row.status == SubscriptionStatus::Active && row.auto_renew => (
            renewal(change, &row, due, window_hours)?,
            Some(AuditOperation::RenewSubscription),
        ),
        Transition::TermEnd => (
            SubscriptionChanges {
                status: Some(SubscriptionStatus::Expired),
                refundable: Some("[]".to_owned()),
                ..schedule(Transition::Disable, after_days(due, DISABLE_AFTER_DAYS))
            },
            Some(AuditOperation::ExpireSubscription),
        ),
        Transition::Disable => (
            SubscriptionChanges {
                status: Some(SubscriptionStatus::Disabled),
                ..schedule(Transition::Delete, after_days(due, DELETE_AFTER_DAYS))
            },
            Some(AuditOperation::DisableSubscription),
        ),
        Transition::Delete => (
            SubscriptionChanges {
                status: Some(SubscriptionStatus::Deleted),
                next_transition: Some(None),
                next_transition_at: Some(None),
                ..Default::default()
            },
            Some(AuditOperation::DeleteSubscription),
        ),
    };
    if !SubscriptionRow::update(change.conn(), &row.id, row.version, &changes)? {
        return Err(ApiError::internal(format!(
            "subscription {} changed under its row lock",
            row.id
        )));
    }
    let Some(operation) = operation else {
        return Ok(());
    };
    let customer = row.customer_id.uuid();
    let after = SubscriptionRow::find(change.conn(), customer, row.id.uuid())?
        .ok_or_else(|| ApiError::internal("subscription lost in its transition"))?;
    let offer_name = OfferRow::find(change.conn(), &after.offer_id)?
        .map(|o| o.name)
        .unwrap_or_default();
    match operation {
        AuditOperation::RenewSubscription => {
            super::billing::charge(change, &after, ChargeType::Renew, after.quantity, due)?;
        }
        AuditOperation::ChargeCycleFee => {
            super::billing::charge(change, &after, ChargeType::CycleFee, after.quantity, due)?;
        }
        _ => {}
    }
    let resource = Subscription::new(after.clone(), offer_name, due)?;
    change.audit(
        Audit::new(operation, row.id)
            .partner(row.billing_partner_id.uuid())
            .customer(customer)
            .old_value(super::subscriptions::snapshot(&row))
            .new_value(serde_json::json!({
                "transition": kind,
                "dueAt": crate::models::utc(due),
                "subscription": super::subscriptions::snapshot(&after),
            }))
            .resource(resource)
            .subscription(after),
    );
    Ok(())
}

/// Changes that only schedule the next transition.
fn schedule(next: Transition, at: NaiveDateTime) -> SubscriptionChanges {
    SubscriptionChanges {
        next_transition: Some(Some(next)),
        next_transition_at: Some(Some(at)),
        ..Default::default()
    }
}

/// The changes of renewing `row` at `start` (its term's end): the scheduled instructions
/// applied when their offer still sells their term and cycle (else it renews as it is), a new
/// term from `start`, a new cancellation window for all its seats, the instructions cleared.
fn renewal(
    change: &mut Change<'_>,
    row: &SubscriptionRow,
    start: NaiveDateTime,
    window_hours: i64,
) -> Result<SubscriptionChanges, ApiError> {
    let current = OfferRow::find(change.conn(), &row.offer_id)?
        .ok_or_else(|| ApiError::internal(format!("offer {} missing", row.offer_id)))?;
    let mut offer = current;
    let (mut duration, mut cycle, mut quantity) =
        (row.term_duration, row.billing_cycle, row.quantity);
    if let Some(next) = row.next_term()?
        && let Some(target) = OfferRow::find(change.conn(), &next.offer_id)?
        && target
            .term_for(Some(next.term_duration), next.billing_cycle)?
            .is_some()
    {
        (duration, cycle, quantity) = (next.term_duration, next.billing_cycle, next.quantity);
        offer = target;
    }
    let window = offer.window_hours(window_hours);
    let mut refundable = Refundable::default();
    refundable.add(quantity, after_hours(start, window), start);
    let end = term::term_end(start, duration);
    let (next, at) = term::next_in_term(start, end, cycle, start, None);
    Ok(SubscriptionChanges {
        offer_id: Some(offer.id).filter(|id| *id != row.offer_id),
        quantity: Some(quantity).filter(|q| *q != row.quantity),
        billing_cycle: Some(cycle).filter(|c| *c != row.billing_cycle),
        term_duration: Some(duration).filter(|d| *d != row.term_duration),
        term_start_date: Some(start),
        cancellation_allowed_until: Some(Some(after_hours(start, window))),
        refundable: Some(refundable_json(&refundable)),
        scheduled_next_term: Some(None),
        ..schedule(next, at)
    })
}

/// Applies every subscription transition due on real time at or before `now`, up to `limit`,
/// each as its own change on one pooled connection, then the granular delegated admin
/// relationships' due transitions (expiry, extension, notices; `services::gdap::apply_due`) of
/// customers on real time, up to `limit`; when no transition is left, the billing periods that
/// ended by `now` close (`services::statements::close_due`). Returns how many subscription
/// transitions ran. The
/// runner calls it in bounded batches so it never holds more than one connection of the
/// request pool.
pub async fn run_due(
    pool: &Pool,
    now: NaiveDateTime,
    limit: usize,
    window_hours: i64,
) -> Result<usize, ApiError> {
    db::run(pool, move |conn| {
        let mut done = 0;
        while done < limit && apply_next(conn, None, now, window_hours)?.is_some() {
            done += 1;
        }
        if done < limit {
            // Caught up: the billing periods that ended by now close (services::statements).
            super::statements::close_due(conn, None, now)?;
        }
        apply_gdap_due(conn, None, now, limit)?;
        Ok(done)
    })
    .await
}

/// Applies the due transitions of up to `limit` delegated admin relationships of customers on
/// `clock` (`None`: real time) at `now`, each as one change (the service locks the row and
/// recomputes what is due, so two runners never apply one twice).
fn apply_gdap_due(
    conn: &mut AnyConnection,
    clock: Option<&Id>,
    now: NaiveDateTime,
    limit: usize,
) -> Result<usize, ApiError> {
    let due = GdapRelationshipRow::due(conn, clock, now, limit as i64)?;
    for id in &due {
        Change::run(conn, Actor::system(ACTOR), None, |change| {
            super::gdap::apply_due(change, id.uuid(), now)
        })?;
    }
    Ok(due.len())
}

/// Runs the transitions of clock `clock`'s customers due up to its `advance_to`, in due order,
/// at most `limit` of them, moving the clock's time to each one's due time, and closing each
/// billing period of the clock once no transition before its end is left (at its end in the
/// clock's time, `services::statements::close_due`); when none is left,
/// sets the clock to `advance_to` and `ready`. Returns whether the advance finished.
pub fn advance_clock(
    conn: &mut AnyConnection,
    clock: &Id,
    limit: usize,
    window_hours: i64,
) -> Result<bool, ApiError> {
    let Some(row) = TestClockRow::get(conn, clock)? else {
        return Ok(true);
    };
    let Some(to) = row.advance_to else {
        return Ok(true);
    };
    for _ in 0..limit {
        // The periods that ended before the next due transition close first, at their end in
        // the clock's time (services::statements).
        super::statements::close_due(conn, Some(clock), to)?;
        match apply_next(conn, Some(clock), to, window_hours)? {
            Some(due) => TestClockRow::set_time(conn, clock, due, false)?,
            None => {
                // The clock's customers' delegated admin relationships catch up at its new time.
                apply_gdap_due(conn, Some(clock), to, GDAP_PER_ADVANCE)?;
                TestClockRow::set_time(conn, clock, to, true)?;
                return Ok(true);
            }
        }
    }
    Ok(false)
}
