//! `carts`: a provider's cart for a customer (docs/concepts.md#commerce, seed "Partner with indirect
//! resellers" → cart, review, submit or cancel). The line items are stored as a JSON array of
//! [`LineItem`]; prices are not stored but read from the catalog when the cart is reviewed.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::offer::BillingCycle;
use crate::db::AnyConnection;
use crate::domain::{CartStatus, Id, TermDuration};
use crate::error::{ApiError, ProblemCode};
use crate::schema::carts as c;

/// How long a cart stays open after its last change, in days.
pub const CART_TTL_DAYS: i64 = 7;

/// One line of a cart or of a direct order, as requested (no prices).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LineItem {
    /// The offer bought.
    pub offer_id: Id,
    /// Number of licenses.
    pub quantity: i32,
    /// Billing cycle.
    pub billing_cycle: BillingCycle,
    /// The indirect reseller of record, if any.
    pub partner_id_on_record: Option<Uuid>,
    /// The term (`None`: the default term of the cycle, see `domain::term::default_term`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub term_duration: Option<TermDuration>,
}

/// A cart.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = c)]
#[diesel(treat_none_as_default_value = false)]
pub struct CartRow {
    pub id: Id,
    pub customer_id: Id,
    pub partner_id: Id,
    /// `active` or `checked_out` (an active cart past `expires_at` is expired).
    pub status: CartStatus,
    /// JSON array of [`LineItem`].
    pub line_items: String,
    pub order_id: Option<Id>,
    pub version: i64,
    pub expires_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// 409 `cart_checked_out`: the cart was already checked out (see [`CartRow::ensure_open`]).
pub fn checked_out() -> ApiError {
    ApiError::conflict(
        ProblemCode::CartCheckedOut,
        "This cart was already checked out; its order is in `orderId`.",
    )
}

/// The JSON stored for `lines`.
pub fn lines_json(lines: &[LineItem]) -> String {
    serde_json::to_string(lines).unwrap_or_else(|_| "[]".to_owned())
}

impl CartRow {
    /// How many carts of `customer_id` are not checked out (active or expired), whoever made
    /// them (its quota's count).
    pub fn count_open_for_customer(
        conn: &mut AnyConnection,
        customer_id: Uuid,
    ) -> QueryResult<i64> {
        c::table
            .filter(c::customer_id.eq(Id::from(customer_id)))
            .filter(c::status.eq(CartStatus::Active))
            .count()
            .get_result(conn)
    }
    /// A new active cart of `partner_id` for `customer_id`, expiring in [`CART_TTL_DAYS`].
    pub fn new(partner_id: Uuid, customer_id: Uuid, lines: &[LineItem]) -> CartRow {
        let now = super::now();
        CartRow {
            id: super::ids::new(),
            customer_id: Id::from(customer_id),
            partner_id: Id::from(partner_id),
            status: CartStatus::Active,
            line_items: lines_json(lines),
            order_id: None,
            version: 1,
            expires_at: now + chrono::Duration::days(CART_TTL_DAYS),
            created_at: now,
            updated_at: now,
        }
    }

    /// The line items.
    pub fn lines(&self) -> Result<Vec<LineItem>, ApiError> {
        serde_json::from_str(&self.line_items).map_err(|e| {
            ApiError::internal(format!(
                "cart {}: stored line_items {:?}: {e}",
                self.id, self.line_items
            ))
        })
    }

    /// Whether the cart is active but past its expiry time.
    pub fn is_expired(&self) -> bool {
        self.status == CartStatus::Active && self.expires_at <= super::now()
    }

    /// Ok unless the cart was checked out: 409 `cart_checked_out` (a checked-out cart is neither
    /// changed, deleted nor checked out again; an expired one may still be deleted).
    pub fn ensure_not_checked_out(&self) -> Result<(), ApiError> {
        if self.status == CartStatus::CheckedOut {
            return Err(checked_out());
        }
        Ok(())
    }

    /// Ok when the cart is open, i.e. may be changed or checked out (docs/concepts.md#commerce): 409
    /// `cart_checked_out`, or 409 `cart_expired` when it is past `expires_at`.
    pub fn ensure_open(&self) -> Result<(), ApiError> {
        self.ensure_not_checked_out()?;
        if self.is_expired() {
            return Err(ApiError::conflict(
                ProblemCode::CartExpired,
                "This cart expired; delete it and create a new one (POST …/carts).",
            ));
        }
        Ok(())
    }

    /// `partner_id`'s cart `id` for `customer_id`, if any.
    pub fn find(
        conn: &mut AnyConnection,
        partner_id: Uuid,
        customer_id: Uuid,
        id: Uuid,
    ) -> QueryResult<Option<CartRow>> {
        c::table
            .filter(c::id.eq(Id::from(id)))
            .filter(c::customer_id.eq(Id::from(customer_id)))
            .filter(c::partner_id.eq(Id::from(partner_id)))
            .select(CartRow::as_select())
            .first(conn)
            .optional()
    }

    /// Inserts a cart.
    pub fn insert(conn: &mut AnyConnection, row: &CartRow) -> QueryResult<()> {
        diesel::insert_into(c::table)
            .values(row)
            .execute(conn)
            .map(drop)
    }

    /// Replaces the line items of an active cart and restarts its expiry, when the version still
    /// matches; returns whether a row changed.
    pub fn replace_lines(
        conn: &mut AnyConnection,
        id: &Id,
        expected_version: i64,
        lines: &[LineItem],
    ) -> QueryResult<bool> {
        let now = super::now();
        let n = diesel::update(
            c::table
                .filter(c::id.eq(id))
                .filter(c::status.eq(CartStatus::Active))
                .filter(c::version.eq(expected_version)),
        )
        .set((
            c::line_items.eq(lines_json(lines)),
            c::expires_at.eq(now + chrono::Duration::days(CART_TTL_DAYS)),
            c::version.eq(expected_version + 1),
            c::updated_at.eq(now),
        ))
        .execute(conn)?;
        Ok(n == 1)
    }

    /// Marks an active cart `checked_out` with its order, when the version still matches;
    /// returns whether a row changed (two checkouts of one cart never both win).
    pub fn check_out(
        conn: &mut AnyConnection,
        id: &Id,
        expected_version: i64,
        order_id: &Id,
    ) -> QueryResult<bool> {
        let n = diesel::update(
            c::table
                .filter(c::id.eq(id))
                .filter(c::status.eq(CartStatus::Active))
                .filter(c::version.eq(expected_version)),
        )
        .set((
            c::status.eq(CartStatus::CheckedOut),
            c::order_id.eq(Some(order_id)),
            c::version.eq(expected_version + 1),
            c::updated_at.eq(super::now()),
        ))
        .execute(conn)?;
        Ok(n == 1)
    }

    /// Deletes an active cart when the version still matches; returns whether a row went.
    pub fn delete(conn: &mut AnyConnection, id: &Id, expected_version: i64) -> QueryResult<bool> {
        let n = diesel::delete(
            c::table
                .filter(c::id.eq(id))
                .filter(c::status.eq(CartStatus::Active))
                .filter(c::version.eq(expected_version)),
        )
        .execute(conn)?;
        Ok(n == 1)
    }
}
