//! The rules of a subscription's term that a caller's change must respect (docs/concepts.md#subscription-terms-and-lifecycle):
//! seats are added any time while active, each addition with its own window; seats are
//! removed only from those still within their window ([`change_seats`]); the subscription is
//! cancelled only while its cancellation window is open ([`cancel`]); the instructions for the
//! next term name an offer it may move to, with a term, cycle and quantity that offer sells
//! ([`check_next_term`]). Each refusal says when the change becomes possible.

use actix_web::http::StatusCode;
use chrono::NaiveDateTime;

use crate::domain::term::{NextTerm, Refundable, after_hours};
use crate::domain::{Id, SubscriptionStatus};
use crate::error::{ApiError, ProblemCode};
use crate::models::offer::OfferRow;
use crate::models::subscription::{SubscriptionChanges, SubscriptionRow, refundable_json};
use crate::models::utc;

/// 409 `subscription_ended`: the subscription is expired, disabled or deleted.
pub fn ended(row: &SubscriptionRow) -> ApiError {
    ApiError::conflict(
        ProblemCode::SubscriptionEnded,
        format!(
            "The subscription is {}; it can no longer change.",
            row.status
        ),
    )
}

/// The returnable seats after changing `row`'s seats to `quantity` at `now`, as the stored
/// JSON: an addition opens a window of `window_hours` for the added seats; a reduction takes
/// seats from those still returnable.
///
/// Errors: 409 `seat_reduction_window_passed` (with `possibleFrom`: the next term's start)
/// when fewer seats than the reduction may be returned.
pub fn change_seats(
    row: &SubscriptionRow,
    quantity: i32,
    window_hours: i64,
    now: NaiveDateTime,
) -> Result<String, ApiError> {
    let mut refundable: Refundable = row.refundable()?;
    if quantity > row.quantity {
        refundable.add(quantity - row.quantity, after_hours(now, window_hours), now);
    } else if let Err(total) = refundable.remove(row.quantity - quantity, now) {
        let renewal = row.term_end();
        return Err(ApiError::conflict(
            ProblemCode::SeatReductionWindowPassed,
            format!(
                "Only {total} seat(s) can be removed now (seats are returnable within {window_hours} hours of buying them). \
                 Fewer seats can apply from the next term, starting {}: set `scheduledNextTermInstructions.quantity`.",
                utc(renewal).to_rfc3339()
            ),
        )
        .with("refundableQuantity", total)
        .with("possibleFrom", utc(renewal)));
    }
    Ok(refundable_json(&refundable))
}

/// The changes that cancel `row` at `now` (status `deleted`, nothing left to run or return).
///
/// Errors: 409 `cancellation_window_passed` (with `possibleFrom`: the end of the term, when it
/// expires if auto-renew is off) once `cancellationAllowedUntil` has passed.
pub fn cancel(row: &SubscriptionRow, now: NaiveDateTime) -> Result<SubscriptionChanges, ApiError> {
    match row.cancellation_allowed_until {
        Some(until) if now < until => Ok(SubscriptionChanges {
            status: Some(SubscriptionStatus::Deleted),
            refundable: Some("[]".to_owned()),
            scheduled_next_term: Some(None),
            next_transition: Some(None),
            next_transition_at: Some(None),
            ..Default::default()
        }),
        until => {
            let end = row.term_end();
            let closed = until.map_or_else(
                || "has no cancellation window".to_owned(),
                |u| format!("could be cancelled until {}", utc(u).to_rfc3339()),
            );
            Err(ApiError::conflict(
                ProblemCode::CancellationWindowPassed,
                format!(
                    "The subscription {closed}. Turn auto-renew off (`\"autoRenew\": false`) and it expires at the end of its term, {}.",
                    utc(end).to_rfc3339()
                ),
            )
            .with("possibleFrom", utc(end)))
        }
    }
}

/// Ok when `next` may be the next term of a subscription to `current`: its offer is `current`,
/// one of the same product family or one of `current`'s upgrade targets (`target`, read by
/// the caller), sold with the named term and cycle, the quantity within its range.
///
/// Errors: 422 `next_term_not_available` naming the field at fault, 422
/// `quantity_out_of_range` on `scheduledNextTermInstructions.quantity`.
pub fn check_next_term(
    current: &OfferRow,
    target: Option<&OfferRow>,
    next: &NextTerm,
) -> Result<(), ApiError> {
    let unavailable = |field: &str, message: String| {
        ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            ProblemCode::NextTermNotAvailable,
            &format!("scheduledNextTermInstructions.{field}"),
            message,
        )
    };
    let target = match target {
        Some(t) if t.id == current.id => current,
        Some(t)
            if t.product_family == current.product_family
                || current.upgrade_target_ids()?.contains(&t.id) =>
        {
            t
        }
        _ => {
            return Err(unavailable(
                "offerId",
                format!(
                    "The next term can move to an offer of the {} family or one of `{}`'s upgrade targets.",
                    current.product_family, current.id
                ),
            ));
        }
    };
    if target
        .term_for(Some(next.term_duration), next.billing_cycle)?
        .is_none()
    {
        return Err(unavailable(
            "termDuration",
            format!(
                "`{}` is not sold with a {} term billed {}.",
                target.id, next.term_duration, next.billing_cycle
            ),
        ));
    }
    target.check_quantity(next.quantity, "scheduledNextTermInstructions.quantity")
}

/// The id of the offer named by next-term instructions (for reading it before the check).
pub fn next_offer(next: Option<&Option<NextTerm>>) -> Option<Id> {
    next.and_then(|n| n.as_ref()).map(|n| n.offer_id)
}
