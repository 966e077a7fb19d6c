//! The status of every stateful row, one enum each, the [`BillingCycle`] of a subscription and
//! the [`Severity`] of a service request,
//! stored as its snake_case name in a `TEXT` column (the migrations hold the status names in
//! `CHECK` constraints). A stored value outside the enum is a deserialization error — a 500 whose
//! cause is logged — never a silent default.

use std::fmt;
use std::str::FromStr;

use diesel::sql_types::Text;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Defines a closed vocabulary stored as text: an enum with its snake_case names, `ALL`,
/// `as_str`, `FromStr`, `Display` and the diesel `Text` mapping for every backend.
macro_rules! statuses {
    ($(
        $(#[$meta:meta])*
        $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }
    )*) => {$(
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema,
            diesel::AsExpression, diesel::FromSqlRow,
        )]
        #[diesel(sql_type = Text)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The snake_case wire and storage name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!(
                        concat!("unknown ", stringify!($name), " {:?}"),
                        other
                    )),
                }
            }
        }

        text_column!($name);
    )*};
}

statuses! {
    /// A reseller partnership (docs/concepts.md#relationships).
    PartnershipStatus {
        /// The provider and the reseller are partners.
        Active = "active",
        /// Either side ended it.
        Ended = "ended",
    }

    /// A link sent by email: a partnership invitation or a relationship request (docs/concepts.md#relationships).
    /// Expiry is not stored: a pending link past its `expires_at` reads as expired.
    LinkStatus {
        /// Sent, not yet used.
        Pending = "pending",
        /// Used by its recipient.
        Accepted = "accepted",
        /// Withdrawn by its sender.
        Revoked = "revoked",
    }

    /// A cart (docs/concepts.md#commerce). Expiry is not stored: an active cart past its `expires_at` reads
    /// as expired.
    CartStatus {
        /// Open for changes and checkout.
        Active = "active",
        /// Turned into an order.
        CheckedOut = "checked_out",
    }

    /// An order (docs/concepts.md#commerce): orders complete in the transaction that places them.
    OrderStatus {
        /// Placed; its subscriptions exist.
        Completed = "completed",
    }

    /// A subscription's status (terms and lifecycle). `expired`, `disabled` and `deleted` are final: a
    /// term that ends without renewing expires, 30 days later the subscription is disabled and
    /// 90 days after that deleted; cancelling inside the window deletes it at once. Clients
    /// should accept values added later.
    SubscriptionStatus {
        /// In use and billed.
        Active = "active",
        /// Suspended; reactivate to use it again. The term runs on.
        Suspended = "suspended",
        /// The term ended without renewal; read-only.
        Expired = "expired",
        /// 30 days after expiry; read-only.
        Disabled = "disabled",
        /// Cancelled, or 90 days after being disabled; read-only.
        Deleted = "deleted",
    }

    /// A service request's status.
    ServiceRequestStatus {
        /// New, not yet worked on.
        Open = "open",
        /// Being worked on.
        InProgress = "in_progress",
        /// Done; takes no notes until reopened.
        Closed = "closed",
    }

    /// A stored `Idempotency-Key` (docs/api-guide.md).
    IdempotencyStatus {
        /// The first request is still running.
        InProgress = "in_progress",
        /// The first answer is stored.
        Completed = "completed",
    }

    /// How often a subscription is billed.
    BillingCycle {
        /// Billed every month.
        Monthly = "monthly",
        /// Billed once a year.
        Annual = "annual",
        /// Billed once every three years (three-year terms only).
        Triennial = "triennial",
    }

    /// The length of a subscription's term as an ISO 8601 duration: a month, a year, three years.
    TermDuration {
        /// One month; billed monthly.
        #[serde(rename = "P1M")]
        P1M = "P1M",
        /// One year; billed monthly or annually.
        #[serde(rename = "P1Y")]
        P1Y = "P1Y",
        /// Three years; billed monthly, annually or triennially.
        #[serde(rename = "P3Y")]
        P3Y = "P3Y",
    }

    /// The next thing the lifecycle runner does to a subscription (docs/concepts.md#subscription-terms-and-lifecycle), stored with
    /// its due time.
    Transition {
        /// Work out the first transition (rows that predate terms).
        Reschedule = "reschedule",
        /// `subscription-renewal-upcoming`, 30 days before the term ends.
        RenewalNotice30 = "renewal_notice_30",
        /// `subscription-renewal-upcoming`, 7 days before the term ends.
        RenewalNotice7 = "renewal_notice_7",
        /// A billing cycle after the first begins: charge it (`cycleFee`).
        CycleFee = "cycle_fee",
        /// The term ends: renew (active with auto-renew) or expire.
        TermEnd = "term_end",
        /// 30 days after expiry: disable.
        Disable = "disable",
        /// 90 days after being disabled: delete.
        Delete = "delete",
    }

    /// The state of a test clock, a provider's simulated time.
    TestClockStatus {
        /// At its frozen time; every transition due by then has run.
        Ready = "ready",
        /// Running the transitions due up to the time it was advanced to.
        Advancing = "advancing",
    }

    /// How urgent a service request is.
    Severity {
        /// No business impact yet.
        Low = "low",
        /// Some users affected.
        Medium = "medium",
        /// Business operations degraded.
        High = "high",
        /// Business operations stopped.
        Critical = "critical",
    }

    /// A webhook delivery (docs/api-guide.md#webhooks).
    DeliveryStatus {
        /// Waiting for its next attempt.
        Pending = "pending",
        /// The endpoint answered 2xx.
        Delivered = "delivered",
        /// Retries are exhausted or the endpoint is disabled.
        Failed = "failed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_round_trips_through_its_name() {
        for s in SubscriptionStatus::ALL {
            assert_eq!(s.as_str().parse::<SubscriptionStatus>(), Ok(*s));
        }
        for s in ServiceRequestStatus::ALL {
            assert_eq!(s.as_str().parse::<ServiceRequestStatus>(), Ok(*s));
            assert_eq!(
                serde_json::to_value(s).unwrap(),
                serde_json::Value::from(s.as_str())
            );
        }
    }

    #[test]
    fn an_unknown_name_is_an_error_not_a_default() {
        assert!("paused".parse::<SubscriptionStatus>().is_err());
        assert!("".parse::<CartStatus>().is_err());
        assert!("weekly".parse::<BillingCycle>().is_err());
        assert!("Monthly".parse::<BillingCycle>().is_err());
        assert!("urgent".parse::<Severity>().is_err());
    }
}
