//! The vocabulary of granular delegated admin (GDAP): the catalog of customer-side
//! directory roles (shipped as `data/directory-roles.json`, the one home of their template ids),
//! the statuses of relationships and access assignments (Microsoft Graph's names), durations, and
//! the expiry rule as a pure function ([`due`]): what is due for one relationship at a given time.
//! No I/O.

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use chrono::{Duration, NaiveDateTime};
use diesel::sql_types::Text;
use serde::Deserialize;

/// One customer-side directory role (a Microsoft Entra built-in role).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryRole {
    /// The role template id (the same in every tenant).
    pub id: String,
    /// The role's name.
    pub display_name: String,
    /// What the role may do.
    pub description: String,
    /// Whether the role is in the default set of `enableGDAPByDefault`.
    pub default_for_new_customers: bool,
}

#[derive(Deserialize)]
struct Catalog {
    roles: Vec<DirectoryRole>,
}

/// The role whose holder may do everything (docs/concepts.md#granular-delegated-admin-gdap): it grants every delegated
/// operation and stops a relationship from extending itself.
pub const GLOBAL_ADMINISTRATOR: &str = "Global Administrator";

/// Every directory role of the shipped catalog, in file order.
pub fn directory_roles() -> &'static [DirectoryRole] {
    static ROLES: OnceLock<Vec<DirectoryRole>> = OnceLock::new();
    ROLES.get_or_init(|| {
        serde_json::from_str::<Catalog>(include_str!("../../data/directory-roles.json"))
            .map(|c| c.roles)
            .unwrap_or_default()
    })
}

/// The role with template id `id`, if it is in the catalog.
pub fn directory_role(id: &str) -> Option<&'static DirectoryRole> {
    directory_roles().iter().find(|r| r.id == id)
}

/// The role named `name`, if it is in the catalog.
pub fn directory_role_named(name: &str) -> Option<&'static DirectoryRole> {
    directory_roles().iter().find(|r| r.display_name == name)
}

/// Whether `role_ids` (template ids) include the Global Administrator role.
pub fn includes_global_administrator(role_ids: &[String]) -> bool {
    directory_role_named(GLOBAL_ADMINISTRATOR).is_some_and(|ga| role_ids.contains(&ga.id))
}

/// A stored list of role template ids: `,id1,id2,` (leading and trailing commas, so a role is
/// found with `LIKE '%,' || id || ',%'`, one bind whatever the number of roles).
pub fn join_roles(ids: &[String]) -> String {
    if ids.is_empty() {
        return String::new();
    }
    format!(",{},", ids.join(","))
}

/// The role ids of a stored list ([`join_roles`]).
pub fn split_roles(stored: &str) -> Vec<String> {
    stored
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Defines a closed vocabulary stored and shown under Graph's camelCase names.
macro_rules! graph_statuses {
    ($($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? })*) => {$(
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, diesel::AsExpression, diesel::FromSqlRow)]
        #[diesel(sql_type = Text)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire and storage name.
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
                    other => Err(format!(concat!("unknown ", stringify!($name), " {:?}"), other)),
                }
            }
        }

        super::text_column!($name);
    )*};
}

graph_statuses! {
    /// A delegated admin relationship (Graph `delegatedAdminRelationshipStatus`, the subset this
    /// service uses): `created → approvalPending → active → expired`, or `terminated`.
    GdapStatus {
        /// Being drafted by the partner; editable.
        Created = "created",
        /// Locked; the approval link waits for the customer's admin.
        ApprovalPending = "approvalPending",
        /// Approved: its access assignments grant access until `endDateTime`.
        Active = "active",
        /// Ended at `endDateTime` (or its approval link expired).
        Expired = "expired",
        /// Ended by the partner or the customer (or the customer rejected it).
        Terminated = "terminated",
    }

    /// An access assignment.
    AssignmentStatus {
        /// Grants its roles to the group's members.
        Active = "active",
        /// Deleted; grants nothing.
        Deleted = "deleted",
    }
}

/// The auto-extension of a relationship (Graph `autoExtendDuration`).
pub const AUTO_EXTEND_DURATIONS: [&str; 2] = ["PT0S", "P180D"];

/// Days an auto-extension adds.
pub const AUTO_EXTEND_DAYS: i64 = 180;

/// Days before the end at which `granular-admin-relationship-expiring` is sent, earliest first.
pub const EXPIRING_NOTICES: [i32; 3] = [30, 7, 1];

/// The number of days of an ISO 8601 duration between P1D and P2Y: `PnD`, `PnW` or `PnY` (a year
/// is 365 days). `None` for anything else.
pub fn duration_days(duration: &str) -> Option<i32> {
    let body = duration.strip_prefix('P')?;
    let (n, unit) = body.split_at(body.len().checked_sub(1)?);
    if n.is_empty() || n.len() > 4 || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i32 = n.parse().ok()?;
    let days = match unit {
        "D" => n,
        "W" => n.checked_mul(7)?,
        "Y" => n.checked_mul(365)?,
        _ => return None,
    };
    (1..=730).contains(&days).then_some(days)
}

/// What the expiry rule needs of a relationship (docs/concepts.md#granular-delegated-admin-gdap).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// Its status.
    pub status: GdapStatus,
    /// When an active relationship ends (or when a pending approval link expires).
    pub end_at: Option<NaiveDateTime>,
    /// Whether it extends itself at the end (`P180D` and no Global Administrator among its
    /// roles).
    pub auto_extends: bool,
    /// The last `expiring` notice sent for the current end (days before it), if any.
    pub notified_days: Option<i32>,
}

/// One transition of a relationship, in time order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// `days` days (30, 7 or 1) or fewer are left before `end_at`, and it will not extend.
    Expiring {
        /// The notice: 30, 7 or 1.
        days: i32,
        /// The end it announces.
        end_at: NaiveDateTime,
    },
    /// The end came and the relationship extended itself by 180 days.
    Extended {
        /// The previous end.
        from: NaiveDateTime,
        /// The new end.
        to: NaiveDateTime,
    },
    /// The end came: the relationship is `expired` and grants nothing from `at` on.
    Expired {
        /// When it ended.
        at: NaiveDateTime,
    },
}

/// The transitions due for `term` at `now`, in time order, and the term after them. The one home
/// of the rule: an active relationship past its end extends by 180 days when it auto-extends
/// (again and again while the new end is past too), else expires; before the end of one that will
/// not extend, the latest due notice among 30, 7 and 1 days is sent once (a notice whose time
/// passed while a later one is also due is skipped). An approval link past its expiry expires
/// the relationship. Other statuses have nothing due.
pub fn due(term: &Term, now: NaiveDateTime) -> (Vec<Transition>, Term) {
    let mut out = Vec::new();
    let mut term = term.clone();
    let Some(mut end) = term.end_at else {
        return (out, term);
    };
    match term.status {
        GdapStatus::ApprovalPending if end <= now => {
            out.push(Transition::Expired { at: end });
            term.status = GdapStatus::Expired;
        }
        GdapStatus::Active => loop {
            if end > now {
                if !term.auto_extends
                    && let Some(days) = latest_notice(&term, end, now)
                {
                    out.push(Transition::Expiring { days, end_at: end });
                    term.notified_days = Some(days);
                }
                break;
            }
            if term.auto_extends {
                let to = end + Duration::days(AUTO_EXTEND_DAYS);
                out.push(Transition::Extended { from: end, to });
                end = to;
                term.end_at = Some(to);
                term.notified_days = None;
            } else {
                out.push(Transition::Expired { at: end });
                term.status = GdapStatus::Expired;
                break;
            }
        },
        _ => {}
    }
    (out, term)
}

/// The latest notice due at `now` for a relationship ending at `end` that was not sent yet.
fn latest_notice(term: &Term, end: NaiveDateTime, now: NaiveDateTime) -> Option<i32> {
    EXPIRING_NOTICES
        .iter()
        .copied()
        .filter(|d| term.notified_days.is_none_or(|sent| *d < sent))
        .filter(|d| end - Duration::days(i64::from(*d)) <= now)
        .min()
}

/// When something is next due for `term` (a notice, the end, or an approval link's expiry), if
/// anything ever is: what the lifecycle runner waits for.
pub fn next_due(term: &Term) -> Option<NaiveDateTime> {
    let end = term.end_at?;
    match term.status {
        GdapStatus::ApprovalPending => Some(end),
        GdapStatus::Active => {
            let notice = (!term.auto_extends)
                .then(|| {
                    EXPIRING_NOTICES
                        .iter()
                        .filter(|d| term.notified_days.is_none_or(|sent| **d < sent))
                        .map(|d| end - Duration::days(i64::from(*d)))
                        .min()
                })
                .flatten();
            Some(notice.map_or(end, |n| n.min(end)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000, 0)
            .unwrap()
            .naive_utc()
            + Duration::days(day)
    }

    fn active(end: i64, auto_extends: bool) -> Term {
        Term {
            status: GdapStatus::Active,
            end_at: Some(at(end)),
            auto_extends,
            notified_days: None,
        }
    }

    #[test]
    fn the_catalog_has_every_role_the_product_names_with_unique_ids() {
        for name in [
            "Directory Readers",
            "Global Reader",
            "Helpdesk Administrator",
            "Password Administrator",
            "User Administrator",
            "License Administrator",
            "Service Support Administrator",
            GLOBAL_ADMINISTRATOR,
        ] {
            assert!(directory_role_named(name).is_some(), "{name}");
        }
        let mut ids: Vec<&str> = directory_roles().iter().map(|r| r.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), directory_roles().len());
        assert!(ids.iter().all(|id| uuid::Uuid::parse_str(id).is_ok()));
    }

    #[test]
    fn durations_between_one_day_and_two_years_parse() {
        assert_eq!(duration_days("P1D"), Some(1));
        assert_eq!(duration_days("P30D"), Some(30));
        assert_eq!(duration_days("P2W"), Some(14));
        assert_eq!(duration_days("P2Y"), Some(730));
        assert_eq!(duration_days("P730D"), Some(730));
        for bad in [
            "P0D", "P731D", "P3Y", "PT1H", "P1M", "30D", "P", "PD", "P-1D", "P1.5D",
        ] {
            assert_eq!(duration_days(bad), None, "{bad}");
        }
    }

    #[test]
    fn notices_come_once_each_and_only_the_latest_due() {
        let term = active(40, false);
        assert_eq!(due(&term, at(0)).0, vec![]);
        assert_eq!(next_due(&term), Some(at(10)));
        let (t, term) = due(&term, at(10));
        assert_eq!(
            t,
            vec![Transition::Expiring {
                days: 30,
                end_at: at(40)
            }]
        );
        assert_eq!(due(&term, at(11)).0, vec![]);
        assert_eq!(next_due(&term), Some(at(33)));
        // Caught up late: 7 days passed too, only 1 day is announced.
        let (t, term) = due(&term, at(39) + Duration::hours(1));
        assert_eq!(
            t,
            vec![Transition::Expiring {
                days: 1,
                end_at: at(40)
            }]
        );
        assert_eq!(next_due(&term), Some(at(40)));
    }

    #[test]
    fn the_end_expires_a_relationship_that_does_not_extend() {
        let (t, term) = due(&active(40, false), at(40));
        assert_eq!(t, vec![Transition::Expired { at: at(40) }]);
        assert_eq!(term.status, GdapStatus::Expired);
        assert_eq!(next_due(&term), None);
    }

    #[test]
    fn the_end_extends_an_auto_extending_relationship_by_180_days_as_often_as_due() {
        let (t, term) = due(&active(40, true), at(41));
        assert_eq!(
            t,
            vec![Transition::Extended {
                from: at(40),
                to: at(220)
            }]
        );
        assert_eq!(term.status, GdapStatus::Active);
        assert_eq!(next_due(&term), Some(at(220)));
        let (t, _) = due(&active(40, true), at(399));
        assert_eq!(t.len(), 2);
        assert_eq!(due(&active(40, true), at(39)).0, vec![]);
    }

    #[test]
    fn a_pending_approval_expires_with_its_link() {
        let term = Term {
            status: GdapStatus::ApprovalPending,
            end_at: Some(at(90)),
            auto_extends: true,
            notified_days: None,
        };
        assert_eq!(due(&term, at(89)).0, vec![]);
        let (t, after) = due(&term, at(90));
        assert_eq!(t, vec![Transition::Expired { at: at(90) }]);
        assert_eq!(after.status, GdapStatus::Expired);
    }
}
