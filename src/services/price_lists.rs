//! Price lists (docs/billing.md): a partner creates lists in a currency with a
//! `defaultMarkupPercent`, adds versions dated by `effectiveFrom` (entries per offer, term and
//! cycle with a `unitPrice` or a `markupPercent`), and assigns them — a provider to a reseller
//! (the reseller price) or to a direct customer, a reseller to one of its customers (the
//! customer price). A version that has taken effect never changes; a future one is replaced by
//! posting a version with the same `effectiveFrom`. The version created with a list prices
//! from the beginning of time, so a list resolves every date. Each change is audited for the
//! owner. Prices resolve through `services::pricing`.

use actix_web::http::StatusCode;
use chrono::NaiveDateTime;
use uuid::Uuid;

use super::pricing::{self, Resolved};
use crate::api::price_lists::PriceEntryBody;
use crate::auth::PartnerCaller;
use crate::auth::permissions::Operation;
use crate::auth::visibility;
use crate::change::Change;
use crate::db::AnyConnection;
use crate::domain::billing::parse_percent;
use crate::domain::{AuditOperation, BillingCycle, Id, TenantKind, TermDuration};
use crate::domain::{Quota, Quotas};
use crate::error::{ApiError, ProblemCode};
use crate::etag::Precondition;
use crate::models::audit::Audit;
use crate::models::offer::OfferRow;
use crate::models::partnership::{PartnershipRow, first_provider_of};
use crate::models::price_list::{
    self, PriceEntry, PriceListAssignmentRow, PriceListRow, PriceListVersionRow,
};
use crate::models::{ids, now, utc};
use crate::paging::PageRequest;

fn not_found() -> ApiError {
    ApiError::not_found("The price list")
}

fn field(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::field(
        StatusCode::UNPROCESSABLE_ENTITY,
        ProblemCode::ValidationFailed,
        field,
        message.into(),
    )
}

fn bad_entry(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::field(
        StatusCode::UNPROCESSABLE_ENTITY,
        ProblemCode::InvalidPriceEntry,
        field,
        message.into(),
    )
}

/// A checked markup (422 naming `name` otherwise), normalized.
pub fn percent(value: &str, name: &str) -> Result<String, ApiError> {
    parse_percent(value)
        .map(|d| d.to_string())
        .map_err(|e| field(name, e))
}

/// A new list's fields.
pub struct NewPriceList {
    /// Its name.
    pub name: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Decimal string.
    pub default_markup_percent: String,
    /// The owner's default list.
    pub is_default: bool,
}

/// Creates a list of the caller with its first version (from the beginning, no entries);
/// audits `create_price_list`. Errors: 422 `validation_failed` on `defaultMarkupPercent`, 422
/// `unknown_currency` on `currency`.
pub fn create(
    change: &mut Change<'_>,
    caller: &PartnerCaller,
    new: NewPriceList,
    quotas: &Quotas,
) -> Result<(PriceListRow, PriceListVersionRow), ApiError> {
    let markup = percent(&new.default_markup_percent, "defaultMarkupPercent")?;
    if !crate::money::is_currency(&new.currency) {
        return Err(ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            ProblemCode::UnknownCurrency,
            "currency",
            "must be an active ISO 4217 code such as USD",
        ));
    }
    super::quotas::check(
        change,
        quotas,
        Quota::PriceListsPerPartner,
        caller.partner_id(),
    )?;
    let t = now();
    let owner = Id::from(caller.partner_id());
    let list = PriceListRow {
        id: ids::new(),
        partner_id: owner,
        name: new.name.trim().to_owned(),
        currency: new.currency,
        is_default: new.is_default,
        version: 1,
        created_at: t,
        updated_at: t,
    };
    PriceListRow::insert(change.conn(), &list)?;
    if list.is_default {
        PriceListRow::clear_default(change.conn(), &owner, &list.id)?;
    }
    let version = PriceListVersionRow {
        id: ids::new(),
        price_list_id: list.id,
        effective_from: price_list::beginning(),
        default_markup_percent: markup,
        entries: "[]".to_owned(),
        created_at: t,
        updated_at: t,
    };
    PriceListVersionRow::insert(change.conn(), &version)?;
    change.audit(
        Audit::new(AuditOperation::CreatePriceList, list.id)
            .partner(caller.partner_id())
            .new_value(serde_json::json!({
                "name": list.name,
                "currency": list.currency,
                "defaultMarkupPercent": version.default_markup_percent,
                "isDefault": list.is_default,
            })),
    );
    Ok((list, version))
}

/// One page of the caller's lists.
pub fn list(
    conn: &mut AnyConnection,
    caller: &PartnerCaller,
    page: &PageRequest,
) -> Result<Vec<PriceListRow>, ApiError> {
    Ok(PriceListRow::page(
        conn,
        &Id::from(caller.partner_id()),
        page.after.as_deref(),
        page.rows_to_fetch(),
    )?)
}

/// One of the caller's lists; 404 `not_found` otherwise.
pub fn get(
    conn: &mut AnyConnection,
    caller: &PartnerCaller,
    id: Uuid,
) -> Result<PriceListRow, ApiError> {
    PriceListRow::find(conn, &Id::from(caller.partner_id()), &Id::from(id))?.ok_or_else(not_found)
}

/// Renames a list or makes it (or no longer) the caller's default; audits `update_price_list`.
/// Errors: 404; 412 on a stale `If-Match` (against the tag of [`ListNow`]).
pub fn update(
    change: &mut Change<'_>,
    caller: &PartnerCaller,
    id: Uuid,
    precondition: Precondition,
    name: Option<String>,
    is_default: Option<bool>,
) -> Result<PriceListRow, ApiError> {
    let row = get(change.conn(), caller, id)?;
    precondition.expect(list_now(change.conn(), &row)?.tag)?;
    let expected = row.version;
    let mut after = row.clone();
    if let Some(n) = name {
        after.name = n.trim().to_owned();
    }
    if let Some(d) = is_default {
        after.is_default = d;
    }
    if after.name == row.name && after.is_default == row.is_default {
        return Ok(row);
    }
    after.updated_at = now();
    if !PriceListRow::update(change.conn(), &after, expected)? {
        return Err(ApiError::precondition_failed());
    }
    after.version = expected + 1;
    if after.is_default {
        PriceListRow::clear_default(change.conn(), &after.partner_id, &after.id)?;
    }
    change.audit(
        Audit::new(AuditOperation::UpdatePriceList, row.id)
            .partner(caller.partner_id())
            .old_value(serde_json::json!({ "name": row.name, "isDefault": row.is_default }))
            .new_value(serde_json::json!({ "name": after.name, "isDefault": after.is_default })),
    );
    Ok(after)
}

/// A new version's fields.
pub struct NewVersion {
    /// From when it prices (after now).
    pub effective_from: NaiveDateTime,
    /// Decimal string; `None`: the version in effect now's.
    pub default_markup_percent: Option<String>,
    /// The entries (a unit price's currency must be the list's).
    pub entries: Vec<PriceEntryBody>,
}

/// Adds a version to one of the caller's lists, or replaces the future version with the same
/// `effectiveFrom`; audits `create_price_list_version`.
///
/// Errors: 404; 422 `price_list_version_in_past` on `effectiveFrom` (not after now); 422
/// `validation_failed` on a markup; 422 `invalid_price_entry` on a duplicate entry, an entry
/// with both or neither of `unitPrice` and `markupPercent`, or a unit price in another currency
/// or negative; 422 `unknown_offer`, `billing_cycle_not_offered` or `term_not_offered` on an
/// entry the catalog does not sell.
pub fn create_version(
    change: &mut Change<'_>,
    caller: &PartnerCaller,
    id: Uuid,
    new: NewVersion,
) -> Result<PriceListVersionRow, ApiError> {
    let list = get(change.conn(), caller, id)?;
    let t = now();
    if new.effective_from <= t {
        return Err(ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            ProblemCode::PriceListVersionInPast,
            "effectiveFrom",
            format!(
                "must be after now ({}): versions that have taken effect never change.",
                utc(t).to_rfc3339()
            ),
        ));
    }
    for (i, e) in new.entries.iter().enumerate() {
        if e.unit_price.is_some() == e.markup_percent.is_some() {
            return Err(bad_entry(
                &format!("entries[{i}]"),
                "give exactly one of `unitPrice` and `markupPercent`",
            ));
        }
        if let Some(m) = e
            .unit_price
            .as_ref()
            .filter(|m| m.currency != list.currency)
        {
            return Err(bad_entry(
                &format!("entries[{i}].unitPrice.currency"),
                format!("is {}; the list prices in {}", m.currency, list.currency),
            ));
        }
        if e.unit_price.as_ref().is_some_and(|m| m.amount_minor < 0) {
            return Err(bad_entry(
                &format!("entries[{i}].unitPrice.amountMinor"),
                "must not be negative",
            ));
        }
        if let Some(m) = &e.markup_percent {
            percent(m, &format!("entries[{i}].markupPercent"))?;
        }
        if new.entries[..i].iter().any(|o| {
            o.offer_id == e.offer_id
                && o.term_duration == e.term_duration
                && o.billing_cycle == e.billing_cycle
        }) {
            return Err(bad_entry(
                &format!("entries[{i}]"),
                "names the same offer, term and billing cycle as an earlier entry",
            ));
        }
    }
    sold_by_catalog(change.conn(), &new.entries)?;
    let markup = match new.default_markup_percent {
        Some(m) => percent(&m, "defaultMarkupPercent")?,
        None => markup_at(change.conn(), &list, t)?,
    };
    let entries: Vec<PriceEntry> = new.entries.iter().map(PriceEntryBody::to_entry).collect();
    let entries =
        serde_json::to_string(&entries).map_err(|e| ApiError::internal(format!("entries: {e}")))?;
    let existing = PriceListVersionRow::at_exactly(change.conn(), &list.id, new.effective_from)?;
    let version = PriceListVersionRow {
        id: existing.as_ref().map_or_else(ids::new, |v| v.id),
        price_list_id: list.id,
        effective_from: new.effective_from,
        default_markup_percent: markup,
        entries,
        created_at: existing.as_ref().map_or(t, |v| v.created_at),
        updated_at: t,
    };
    if existing.is_some() {
        PriceListVersionRow::replace(change.conn(), &version)?;
    } else {
        PriceListVersionRow::insert(change.conn(), &version)?;
    }
    change.audit(
        Audit::new(AuditOperation::CreatePriceListVersion, list.id)
            .partner(caller.partner_id())
            .new_value(serde_json::json!({
                "versionId": version.id,
                "effectiveFrom": utc(version.effective_from),
                "defaultMarkupPercent": version.default_markup_percent,
                "replaced": existing.is_some(),
            })),
    );
    Ok(version)
}

/// Checks that every entry prices what the catalog sells, with the codes an order's line gets:
/// an offer it holds (422 `unknown_offer` on `entries[i].offerId`), billed with that cycle (422
/// `billing_cycle_not_offered` on `entries[i].billingCycle`) and sold with that term and cycle
/// (422 `term_not_offered` on `entries[i].termDuration`). One read for all the entries' offers.
fn sold_by_catalog(conn: &mut AnyConnection, entries: &[PriceEntryBody]) -> Result<(), ApiError> {
    if entries.is_empty() {
        return Ok(());
    }
    let wanted: Vec<Id> = entries.iter().map(|e| Id::from(e.offer_id)).collect();
    let offers = OfferRow::find_many(conn, &wanted)?;
    for (i, e) in entries.iter().enumerate() {
        let Some(offer) = offers.get(&Id::from(e.offer_id)) else {
            return Err(ApiError::field(
                StatusCode::UNPROCESSABLE_ENTITY,
                ProblemCode::UnknownOffer,
                &format!("entries[{i}].offerId"),
                format!("No offer `{}` in the catalog (GET /v1/offers).", e.offer_id),
            ));
        };
        if !offer.offers_cycle(e.billing_cycle) {
            return Err(ApiError::field(
                StatusCode::UNPROCESSABLE_ENTITY,
                ProblemCode::BillingCycleNotOffered,
                &format!("entries[{i}].billingCycle"),
                format!("`{}` is not billed {}.", e.offer_id, e.billing_cycle),
            ));
        }
        if offer
            .term_for(Some(e.term_duration), e.billing_cycle)?
            .is_none()
        {
            return Err(ApiError::field(
                StatusCode::UNPROCESSABLE_ENTITY,
                ProblemCode::TermNotOffered,
                &format!("entries[{i}].termDuration"),
                format!(
                    "`{}` is not sold with a {} term billed {} (GET /v1/offers/{} lists its terms).",
                    e.offer_id, e.term_duration, e.billing_cycle, e.offer_id
                ),
            ));
        }
    }
    Ok(())
}

/// One page of a list's versions.
pub fn versions(
    conn: &mut AnyConnection,
    caller: &PartnerCaller,
    id: Uuid,
    page: &PageRequest,
) -> Result<Vec<PriceListVersionRow>, ApiError> {
    let list = get(conn, caller, id)?;
    Ok(PriceListVersionRow::page(
        conn,
        &list.id,
        page.after.as_deref(),
        page.rows_to_fetch(),
    )?)
}

/// Version `version_id` of one of the caller's lists, with the list. Errors: 404 `not_found`
/// (no such list of the caller's, or no such version of it).
pub fn version(
    conn: &mut AnyConnection,
    caller: &PartnerCaller,
    id: Uuid,
    version_id: Uuid,
) -> Result<(PriceListRow, PriceListVersionRow), ApiError> {
    let list = get(conn, caller, id)?;
    let version = PriceListVersionRow::find(conn, &list.id, &Id::from(version_id))?
        .ok_or_else(|| ApiError::not_found("The price list version"))?;
    Ok((list, version))
}

/// The price of `offer_id` (term, cycle) through one of the caller's lists at `at`: over cost
/// for a provider's list, over the reseller price (from the reseller's provider) for a
/// reseller's. Returns the list, the base price and the resolved price.
///
/// Errors: 404 (list); 422 `unknown_offer` on `offerId`, `term_not_offered` on `termDuration`.
pub fn price(
    conn: &mut AnyConnection,
    caller: &PartnerCaller,
    id: Uuid,
    offer_id: Id,
    duration: Option<TermDuration>,
    cycle: BillingCycle,
    at: NaiveDateTime,
) -> Result<(PriceListRow, OfferRow, TermDuration, i64, Resolved), ApiError> {
    let list = get(conn, caller, id)?;
    let offer = OfferRow::find(conn, &offer_id)?.ok_or_else(|| {
        ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            ProblemCode::UnknownOffer,
            "offerId",
            format!("No offer `{offer_id}` in the catalog (GET /v1/offers)."),
        )
    })?;
    let term = offer.term_for(duration, cycle)?.ok_or_else(|| {
        ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            ProblemCode::TermNotOffered,
            "termDuration",
            format!(
                "`{}` is not sold with this term and a {cycle} billing cycle.",
                offer.id
            ),
        )
    })?;
    let base = match caller.tenant_kind {
        TenantKind::IndirectReseller => match first_provider_of(conn, &list.partner_id)? {
            Some(provider) => {
                pricing::reseller_price(
                    conn,
                    &provider,
                    &list.partner_id,
                    &offer,
                    term.term_duration,
                    cycle,
                    at,
                )?
                .unit_minor
            }
            None => pricing::cost(&offer, term.term_duration, cycle)?,
        },
        _ => pricing::cost(&offer, term.term_duration, cycle)?,
    };
    let resolved = pricing::through_list(conn, &list, &offer, term.term_duration, cycle, base, at)?;
    Ok((list, offer, term.term_duration, base, resolved))
}

/// Assigns one of the caller's lists (a provider's) to reseller `reseller_id`, which has an
/// active partnership with the caller; audits `assign_price_list`.
///
/// Errors: 404 (no such reseller of the caller, or no such list of the caller).
pub fn assign_to_reseller(
    change: &mut Change<'_>,
    caller: &PartnerCaller,
    reseller_id: Uuid,
    list_id: Uuid,
) -> Result<PriceListRow, ApiError> {
    if !PartnershipRow::is_active(change.conn(), caller.partner_id(), reseller_id)? {
        return Err(ApiError::not_found("The indirect reseller"));
    }
    assign(change, caller, reseller_id, "reseller", list_id)
}

/// Assigns one of the caller's lists to a customer within its reach (the provider for a direct
/// customer, a reseller for its customers); audits `assign_price_list`.
///
/// Errors: 404 (customer out of reach, or no such list of the caller).
pub fn assign_to_customer(
    change: &mut Change<'_>,
    caller: &PartnerCaller,
    customer_id: Uuid,
    list_id: Uuid,
) -> Result<PriceListRow, ApiError> {
    visibility::customer(
        change.conn(),
        caller,
        customer_id,
        Operation::ManagePriceLists,
    )?;
    assign(change, caller, customer_id, "customer", list_id)
}

fn assign(
    change: &mut Change<'_>,
    caller: &PartnerCaller,
    target: Uuid,
    kind: &str,
    list_id: Uuid,
) -> Result<PriceListRow, ApiError> {
    let list = PriceListRow::find(
        change.conn(),
        &Id::from(caller.partner_id()),
        &Id::from(list_id),
    )?
    .ok_or_else(|| {
        ApiError::field(
            StatusCode::NOT_FOUND,
            ProblemCode::NotFound,
            "priceListId",
            "No such price list of yours.",
        )
    })?;
    PriceListAssignmentRow::put(
        change.conn(),
        &PriceListAssignmentRow {
            partner_id: list.partner_id,
            target_id: Id::from(target),
            target_kind: kind.to_owned(),
            price_list_id: list.id,
            updated_at: now(),
        },
    )?;
    let mut audit = Audit::new(AuditOperation::AssignPriceList, list.id)
        .partner(caller.partner_id())
        .new_value(serde_json::json!({ "targetKind": kind, "targetId": target }));
    if kind == "customer" {
        audit = audit.customer(target);
    }
    change.audit(audit);
    Ok(list)
}

/// What a list answers depends on the time: the markup of its version in effect now, and the
/// number its ETag carries (`etag::etag`) — its own row version plus the number of its versions
/// in effect now. So the tag moves when a version takes effect (which changes
/// `defaultMarkupPercent`) as it does when the list is edited, and since both parts only grow, no
/// two states of a list share a tag: a cached copy is revalidated, and an `If-Match` read before
/// the version took effect is stale.
#[derive(Debug, Clone)]
pub struct ListNow {
    /// `defaultMarkupPercent` of the version in effect now ("0" when none is).
    pub markup: String,
    /// The ETag's version.
    pub tag: i64,
}

/// [`ListNow`] of `list`.
pub fn list_now(conn: &mut AnyConnection, list: &PriceListRow) -> Result<ListNow, ApiError> {
    let t = now();
    let taken_effect = PriceListVersionRow::count_in_effect(conn, &list.id, t)?;
    Ok(ListNow {
        markup: markup_at(conn, list, t)?,
        tag: list.version + taken_effect,
    })
}

/// `defaultMarkupPercent` of `list`'s version in effect now, for answers without an ETag (a
/// page of lists, an assignment).
pub fn markup_now(conn: &mut AnyConnection, list: &PriceListRow) -> Result<String, ApiError> {
    markup_at(conn, list, now())
}

/// `defaultMarkupPercent` of `list`'s version in effect at `at` ("0" when none is).
fn markup_at(
    conn: &mut AnyConnection,
    list: &PriceListRow,
    at: NaiveDateTime,
) -> Result<String, ApiError> {
    Ok(PriceListVersionRow::in_effect(conn, &list.id, at)?
        .map_or_else(|| "0".to_owned(), |v| v.default_markup_percent))
}
