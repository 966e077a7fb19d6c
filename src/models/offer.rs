//! `offers`: the instance-wide catalog (docs/concepts.md#commerce). An offer's id is a UUID assigned by the
//! catalog file and kept across imports (see [`is_valid_id`]). Billing cycles, prerequisite and
//! upgrade-target ids are stored as JSON arrays of strings.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::db::AnyConnection;
use crate::domain::term::{self, OfferTerm};
use crate::domain::{Id, TermDuration};
use crate::error::{ApiError, ProblemCode};
use crate::schema::offers as o;

/// Whether `id` is a valid offer id: a UUID in canonical form (lower case, hyphenated), as every
/// id of the API (docs/api-guide.md). The catalog file assigns it, so importing again finds the same
/// offer.
pub fn is_valid_id(id: &str) -> bool {
    uuid::Uuid::parse_str(id).is_ok_and(|u| u.hyphenated().to_string() == id)
}

/// `id` (from a request, validated with `validate::offer_id`) as an offer id; a 422 `offer_id`
/// naming `field` when it is not one.
pub fn parse_id(id: &str, field: &str) -> Result<Id, ApiError> {
    if is_valid_id(id)
        && let Ok(id) = id.parse()
    {
        return Ok(id);
    }
    Err(ApiError::field(
        StatusCode::UNPROCESSABLE_ENTITY,
        ProblemCode::OfferId,
        field,
        "must be an offer id (a UUID from GET /v1/offers)",
    ))
}

pub use crate::domain::BillingCycle;

/// The billing cycles an offer can be bought with, stored as a JSON array of their names
/// (`["monthly","annual"]`). Reading a value that is not such an array of known cycles is a
/// deserialization error (a 500 whose cause is logged), never a shorter list.
#[derive(Debug, Clone, PartialEq, Eq, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = Text)]
pub struct BillingCycles {
    cycles: Vec<BillingCycle>,
    json: String,
}

impl BillingCycles {
    /// The cycles `cycles`, in this order.
    pub fn new(cycles: Vec<BillingCycle>) -> BillingCycles {
        let names: Vec<&str> = cycles.iter().map(|c| c.as_str()).collect();
        let json = serde_json::to_string(&names).unwrap_or_else(|_| "[]".to_owned());
        BillingCycles { cycles, json }
    }

    /// The cycles, in stored order.
    pub fn as_slice(&self) -> &[BillingCycle] {
        &self.cycles
    }

    /// The stored JSON array.
    pub fn as_str(&self) -> &str {
        &self.json
    }
}

impl std::str::FromStr for BillingCycles {
    type Err = String;
    /// Parses the stored JSON array; an unknown cycle name is an error.
    fn from_str(json: &str) -> Result<BillingCycles, String> {
        let names: Vec<String> = serde_json::from_str(json)
            .map_err(|e| format!("stored billing cycles {json:?}: {e}"))?;
        let cycles = names
            .iter()
            .map(|n| n.parse::<BillingCycle>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("stored billing cycles {json:?}: {e}"))?;
        Ok(BillingCycles::new(cycles))
    }
}

crate::domain::text_column!(BillingCycles);

/// A catalog offer.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = o)]
#[diesel(treat_none_as_default_value = false)]
pub struct OfferRow {
    pub id: Id,
    pub name: String,
    pub description: String,
    pub product_family: String,
    pub min_quantity: i32,
    pub max_quantity: i32,
    /// Price per license per month, in the currency's minor unit.
    pub unit_price_minor: i64,
    pub currency: String,
    /// The billing cycles it can be bought with (a JSON array of names).
    pub billing_cycles: BillingCycles,
    pub is_add_on: bool,
    /// JSON array of offer ids.
    pub prerequisite_offer_ids: String,
    /// JSON array of offer ids.
    pub upgrade_target_offer_ids: String,
    pub limit_per_customer: Option<i32>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Row version (the ETag): 1 when first imported, advanced by every import that updates it.
    pub version: i64,
    /// JSON array of [`OfferTerm`]; `None` for an offer imported before terms existed (it sells
    /// the terms its billing cycles imply, see [`term::terms_of_cycles`]).
    pub terms: Option<String>,
    /// Hours after a purchase or renewal within which seats may be returned and the
    /// subscription cancelled; `None`: the instance's default (`CANCELLATION_WINDOW_HOURS`).
    pub cancellation_window_hours: Option<i32>,
}

/// Filters for listing offers.
#[derive(Debug, Default)]
pub struct OfferFilter {
    /// Exact product family.
    pub product_family: Option<String>,
    /// Case-insensitive prefix of the name.
    pub q: Option<String>,
    /// Only add-ons (`true`) or only base offers (`false`).
    pub is_add_on: Option<bool>,
}

/// The offer ids stored as the JSON array `json` in `column`; a value that is not such an array
/// of UUIDs is an internal error (a 500 whose cause is logged), never a silently shorter list.
fn ids(id: &Id, column: &str, json: &str) -> Result<Vec<Id>, ApiError> {
    serde_json::from_str(json)
        .map_err(|e| ApiError::internal(format!("offer {id}: stored {column} {json:?}: {e}")))
}

/// The JSON array stored for `ids`.
pub fn ids_json(ids: &[Id]) -> String {
    serde_json::to_string(ids).unwrap_or_else(|_| "[]".to_owned())
}

impl OfferRow {
    /// Ok when `quantity` licenses is within this offer's range; otherwise 422
    /// `quantity_out_of_range` naming `field` (docs/concepts.md#commerce: every offer has a minimum and a
    /// maximum license quantity). The one home of the quantity-range rule: orders, carts,
    /// subscription changes and upgrades all call it.
    pub fn check_quantity(&self, quantity: i32, field: &str) -> Result<(), ApiError> {
        if (self.min_quantity..=self.max_quantity).contains(&quantity) {
            return Ok(());
        }
        Err(ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            ProblemCode::QuantityOutOfRange,
            field,
            format!(
                "`{}` is sold in quantities of {} to {} licenses.",
                self.id, self.min_quantity, self.max_quantity
            ),
        ))
    }

    /// The billing cycles this offer can be bought with.
    pub fn billing_cycles(&self) -> &[BillingCycle] {
        self.billing_cycles.as_slice()
    }

    /// Whether the offer can be bought with `cycle`.
    pub fn offers_cycle(&self, cycle: BillingCycle) -> bool {
        self.billing_cycles().contains(&cycle)
    }

    /// The terms this offer sells, in catalog order.
    pub fn terms(&self) -> Result<Vec<OfferTerm>, ApiError> {
        match &self.terms {
            None => Ok(term::terms_of_cycles(self.billing_cycles())),
            Some(json) => serde_json::from_str(json).map_err(|e| {
                ApiError::internal(format!("offer {}: stored terms {json:?}: {e}", self.id))
            }),
        }
    }

    /// The term a line buying this offer with `cycle` gets: `wanted` when the offer sells that
    /// pair, the default term of the cycle ([`term::default_term`]) when `wanted` is `None`.
    /// `Ok(None)` when the offer does not sell it.
    pub fn term_for(
        &self,
        wanted: Option<TermDuration>,
        cycle: BillingCycle,
    ) -> Result<Option<OfferTerm>, ApiError> {
        let terms = self.terms()?;
        Ok(match wanted {
            Some(d) => terms
                .into_iter()
                .find(|t| t.term_duration == d && t.billing_cycles.contains(&cycle)),
            None => term::default_term(&terms, cycle).cloned(),
        })
    }

    /// The cancellation window of this offer, in hours (`default_hours` unless the offer has
    /// its own).
    pub fn window_hours(&self, default_hours: i64) -> i64 {
        self.cancellation_window_hours
            .map_or(default_hours, i64::from)
    }

    /// Ids of the offers one of which the customer must own for this one (add-ons).
    pub fn prerequisite_ids(&self) -> Result<Vec<Id>, ApiError> {
        ids(
            &self.id,
            "prerequisite_offer_ids",
            &self.prerequisite_offer_ids,
        )
    }

    /// Ids of the offers a subscription to this one may be upgraded to.
    pub fn upgrade_target_ids(&self) -> Result<Vec<Id>, ApiError> {
        ids(
            &self.id,
            "upgrade_target_offer_ids",
            &self.upgrade_target_offer_ids,
        )
    }

    /// The offer with `id`, if any.
    pub fn find(conn: &mut AnyConnection, id: &Id) -> QueryResult<Option<OfferRow>> {
        o::table
            .find(id)
            .select(OfferRow::as_select())
            .first(conn)
            .optional()
    }

    /// The offers among `ids` that exist, by id.
    pub fn find_many(conn: &mut AnyConnection, ids: &[Id]) -> QueryResult<HashMap<Id, OfferRow>> {
        let rows: Vec<OfferRow> = o::table
            .filter(o::id.eq_any(ids))
            .select(OfferRow::as_select())
            .load(conn)?;
        Ok(rows.into_iter().map(|r| (r.id, r)).collect())
    }

    /// [`OfferRow::find_many`], and in the same statement whether `owner` prices `target` with
    /// a price list (`price_list::applies`; false when none of `ids` exists).
    pub fn find_many_priced(
        conn: &mut AnyConnection,
        ids: &[Id],
        owner: Id,
        target: Id,
    ) -> QueryResult<(HashMap<Id, OfferRow>, bool)> {
        let rows: Vec<(OfferRow, bool)> = o::table
            .filter(o::id.eq_any(ids))
            .select((
                OfferRow::as_select(),
                super::price_list::applies(owner, target),
            ))
            .load(conn)?;
        let listed = rows.iter().any(|(_, listed)| *listed);
        Ok((rows.into_iter().map(|(r, _)| (r.id, r)).collect(), listed))
    }

    /// How many offers the catalog holds.
    pub fn count(conn: &mut AnyConnection) -> QueryResult<i64> {
        o::table.count().get_result(conn)
    }

    /// One keyset page (by id) of the catalog.
    pub fn page(
        conn: &mut AnyConnection,
        filter: &OfferFilter,
        after: Option<&str>,
        limit: i64,
    ) -> QueryResult<Vec<OfferRow>> {
        let mut q = o::table.select(OfferRow::as_select()).into_boxed();
        if let Some(family) = &filter.product_family {
            q = q.filter(o::product_family.eq(family.clone()));
        }
        if let Some(prefix) = filter.q.as_deref().filter(|s| !s.is_empty()) {
            q = q.filter(
                super::lower(o::name)
                    .like(super::like_prefix(prefix))
                    .escape('\\'),
            );
        }
        if let Some(add_on) = filter.is_add_on {
            q = q.filter(o::is_add_on.eq(add_on));
        }
        if let Some(after) = after {
            q = q.filter(o::id.gt(after.to_owned()));
        }
        q.order(o::id.asc()).limit(limit).load(conn)
    }

    /// Inserts the offer, or updates the existing one with the same id in place (keeping its
    /// creation time and advancing its version). Returns whether it was created.
    pub fn upsert(conn: &mut AnyConnection, row: &OfferRow) -> QueryResult<bool> {
        if Self::find(conn, &row.id)?.is_none() {
            diesel::insert_into(o::table).values(row).execute(conn)?;
            return Ok(true);
        }
        diesel::update(o::table.find(&row.id))
            .set((
                o::name.eq(&row.name),
                o::description.eq(&row.description),
                o::product_family.eq(&row.product_family),
                o::min_quantity.eq(row.min_quantity),
                o::max_quantity.eq(row.max_quantity),
                o::unit_price_minor.eq(row.unit_price_minor),
                o::currency.eq(&row.currency),
                o::billing_cycles.eq(&row.billing_cycles),
                o::is_add_on.eq(row.is_add_on),
                o::prerequisite_offer_ids.eq(&row.prerequisite_offer_ids),
                o::upgrade_target_offer_ids.eq(&row.upgrade_target_offer_ids),
                o::limit_per_customer.eq(row.limit_per_customer),
                o::terms.eq(&row.terms),
                o::cancellation_window_hours.eq(row.cancellation_window_hours),
                o::updated_at.eq(row.updated_at),
                o::version.eq(o::version + 1),
            ))
            .execute(conn)?;
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_billing_cycles_read_back_and_unknown_ones_are_errors() {
        let cycles = BillingCycles::new(vec![BillingCycle::Monthly, BillingCycle::Annual]);
        assert_eq!(cycles.as_str(), r#"["monthly","annual"]"#);
        assert_eq!(cycles.as_str().parse::<BillingCycles>(), Ok(cycles));
        for stored in [
            r#"["monthly","weekly"]"#,
            r#"["Monthly"]"#,
            "monthly",
            "[1]",
        ] {
            assert!(stored.parse::<BillingCycles>().is_err(), "{stored:?}");
        }
    }
}
