//! The catalog (docs/concepts.md#commerce): reading offers ([`list`], [`get`]; any partner role, checked by
//! the handler's authorization extractor) and importing them (README.md `partner-center catalog import
//! FILE`; demo mode loads `examples/catalog.json`). The file is
//! `{ "offers": [ { "id", "name", "description", "productFamily", "minQuantity", "maxQuantity",
//! "unitPrice": { "amountMinor", "currency" }, "terms": [ { "termDuration", "billingCycles",
//! "prices": [ { "billingCycle", "unitPrice" } ] } ], "cancellationWindowHours", "isAddOn",
//! "prerequisiteOfferIds", "upgradeTargetOfferIds", "limitPerCustomer" } ] }`. A file from
//! before terms names `billingCycles` instead of `terms`: each cycle then sells the term it
//! implies (monthly: P1M, annual: P1Y, triennial: P3Y) at the offer's unit price. Offer ids are
//! UUIDs (canonical lower-case form) chosen by the file's author and kept across versions of the
//! file: importing again updates the offers with the same ids in place. Everything is validated
//! before anything is written, and the whole file is imported in one transaction.

use std::collections::HashSet;

use serde::Deserialize;

use crate::db::{self, AnyConnection};
use crate::domain::term::{self, OfferTerm, TermPrice};
use crate::domain::{Id, TermDuration};
use crate::error::{ApiError, FieldError};
use crate::models::now;
use crate::models::offer::{
    BillingCycle, BillingCycles, OfferFilter, OfferRow, ids_json, is_valid_id,
};
use crate::money::{self, Money};
use crate::paging::PageRequest;

/// Largest `maxQuantity` an offer may have.
pub const MAX_QUANTITY: i64 = 1_000_000;
/// Largest unit price in minor units (so that any order total fits in 64 bits).
pub const MAX_UNIT_PRICE_MINOR: i64 = 10_000_000_000;
/// Longest cancellation window an offer may have, in hours (30 days).
pub const MAX_WINDOW_HOURS: i64 = 720;

/// A catalog file.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CatalogFile {
    /// The offers.
    pub offers: Vec<CatalogOffer>,
}

/// One offer of a catalog file.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CatalogOffer {
    /// The offer's UUID, stable across versions of the file.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Product family, e.g. `Microsoft 365`.
    pub product_family: String,
    /// Fewest licenses per subscription (≥ 1).
    pub min_quantity: i64,
    /// Most licenses per subscription (≥ `minQuantity`, ≤ 1,000,000).
    pub max_quantity: i64,
    /// Price per license per month.
    pub unit_price: Money,
    /// The billing cycles (files from before terms; with `terms`, optional and then the
    /// cycles the terms sell).
    #[serde(default)]
    pub billing_cycles: Vec<String>,
    /// The terms the offer sells, with their billing cycles and prices.
    #[serde(default)]
    pub terms: Option<Vec<CatalogTerm>>,
    /// Hours after a purchase or renewal within which seats may be returned and the
    /// subscription cancelled (default: the instance's `CANCELLATION_WINDOW_HOURS`; 0: none).
    #[serde(default)]
    pub cancellation_window_hours: Option<i64>,
    /// Whether the offer is an add-on (then it needs prerequisites).
    #[serde(default)]
    pub is_add_on: bool,
    /// Offers one of which the customer must own (active) to buy this one.
    #[serde(default)]
    pub prerequisite_offer_ids: Vec<String>,
    /// Offers a subscription to this one may be upgraded to.
    #[serde(default)]
    pub upgrade_target_offer_ids: Vec<String>,
    /// Most subscriptions to this offer one customer may hold (`null`: no limit).
    #[serde(default)]
    pub limit_per_customer: Option<i64>,
}

/// One term of a catalog offer.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CatalogTerm {
    /// `P1M`, `P1Y` or `P3Y`.
    pub term_duration: String,
    /// The billing cycles the term is sold with (P1M: monthly; P1Y: monthly, annual; P3Y:
    /// monthly, annual, triennial).
    pub billing_cycles: Vec<String>,
    /// Prices per license per month for some of those cycles (the others cost the offer's
    /// `unitPrice`).
    #[serde(default)]
    pub prices: Vec<CatalogPrice>,
}

/// The price of one billing cycle of a term.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CatalogPrice {
    /// The billing cycle.
    pub billing_cycle: String,
    /// Price per license per month, in the offer's currency.
    pub unit_price: Money,
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportCounts {
    /// Offers that did not exist before.
    pub created: usize,
    /// Existing offers updated in place.
    pub updated: usize,
}

/// The offers matching `filter`, one page (up to `page.limit + 1` rows in id order; see
/// `paging`).
pub fn list(
    conn: &mut AnyConnection,
    filter: &OfferFilter,
    page: &PageRequest,
) -> Result<Vec<OfferRow>, ApiError> {
    Ok(OfferRow::page(
        conn,
        filter,
        page.after.as_deref(),
        page.rows_to_fetch(),
    )?)
}

/// The offer `id`; 404 `not_found` when the catalog has none.
pub fn get(conn: &mut AnyConnection, id: &Id) -> Result<OfferRow, ApiError> {
    OfferRow::find(conn, id)?.ok_or_else(|| ApiError::not_found("The offer"))
}

/// Parses, validates and imports a catalog file (JSON text) in one transaction.
///
/// Errors: 422 `validation_failed` listing every problem with its path (`offers[3].maxQuantity`):
/// malformed JSON or unknown fields, invalid or duplicate ids, blank names, quantities outside
/// 1 ≤ min ≤ max ≤ 1,000,000, negative or huge prices, unknown currencies, unknown or missing
/// billing cycles, add-ons without prerequisites, limits below 1, and prerequisite or upgrade ids
/// that are neither in the file nor already in the catalog.
pub fn import(conn: &mut AnyConnection, json: &str) -> Result<ImportCounts, ApiError> {
    let file = parse(json)?;
    db::transaction(conn, |conn| {
        let rows = validate(conn, &file)?;
        let mut counts = ImportCounts {
            created: 0,
            updated: 0,
        };
        for row in &rows {
            if OfferRow::upsert(conn, row)? {
                counts.created += 1;
            } else {
                counts.updated += 1;
            }
        }
        Ok(counts)
    })
}

fn parse(json: &str) -> Result<CatalogFile, ApiError> {
    let de = &mut serde_json::Deserializer::from_str(json);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let message = e.inner().to_string();
        ApiError::validation(vec![FieldError::new(path, "invalid", message)])
    })
}

fn validate(conn: &mut AnyConnection, file: &CatalogFile) -> Result<Vec<OfferRow>, ApiError> {
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    for (i, offer) in file.offers.iter().enumerate() {
        let mut bad = |field: &str, code: &str, message: String| {
            errors.push(FieldError::new(
                format!("offers[{i}].{field}"),
                code,
                message,
            ));
        };
        if !is_valid_id(&offer.id) {
            bad(
                "id",
                "offer_id",
                "must be 1 to 64 characters of A-Z, a-z, 0-9, ':', '.', '_' or '-'".into(),
            );
        } else if !seen.insert(offer.id.as_str()) {
            bad("id", "duplicate", format!("`{}` appears twice", offer.id));
        }
        for (field, value, max) in [
            ("name", &offer.name, 200),
            ("productFamily", &offer.product_family, 100),
        ] {
            if value.trim().is_empty() || value.chars().count() > max {
                bad(field, "length", format!("must be 1 to {max} characters"));
            }
        }
        if offer.description.chars().count() > 2000 {
            bad(
                "description",
                "length",
                "must be at most 2000 characters".into(),
            );
        }
        if offer.min_quantity < 1 {
            bad("minQuantity", "range", "must be at least 1".into());
        }
        if offer.max_quantity < offer.min_quantity || offer.max_quantity > MAX_QUANTITY {
            bad(
                "maxQuantity",
                "range",
                format!("must be between minQuantity and {MAX_QUANTITY}"),
            );
        }
        if !(0..=MAX_UNIT_PRICE_MINOR).contains(&offer.unit_price.amount_minor) {
            bad(
                "unitPrice.amountMinor",
                "range",
                format!("must be between 0 and {MAX_UNIT_PRICE_MINOR}"),
            );
        }
        if !money::is_currency(&offer.unit_price.currency) {
            bad(
                "unitPrice.currency",
                "currency",
                "must be an ISO 4217 code such as USD".into(),
            );
        }
        if offer.terms.is_none() && offer.billing_cycles.is_empty() {
            bad(
                "billingCycles",
                "required",
                "must name at least one billing cycle (or give `terms`)".into(),
            );
        }
        let mut cycles = HashSet::new();
        for (j, cycle) in offer.billing_cycles.iter().enumerate() {
            if cycle.parse::<BillingCycle>().is_err() {
                bad(
                    &format!("billingCycles[{j}]"),
                    "billing_cycle",
                    "must be `monthly`, `annual` or `triennial`".into(),
                );
            } else if !cycles.insert(cycle.as_str()) {
                bad(
                    &format!("billingCycles[{j}]"),
                    "duplicate",
                    format!("`{cycle}` appears twice"),
                );
            }
        }
        if let Some(terms) = &offer.terms {
            check_terms(terms, offer, &cycles, &mut bad);
        }
        if offer
            .cancellation_window_hours
            .is_some_and(|h| !(0..=MAX_WINDOW_HOURS).contains(&h))
        {
            bad(
                "cancellationWindowHours",
                "range",
                format!("must be between 0 and {MAX_WINDOW_HOURS}, or null"),
            );
        }
        if offer.is_add_on && offer.prerequisite_offer_ids.is_empty() {
            bad(
                "prerequisiteOfferIds",
                "required",
                "an add-on must name at least one prerequisite offer".into(),
            );
        }
        if offer
            .limit_per_customer
            .is_some_and(|l| !(1..=i64::from(i32::MAX)).contains(&l))
        {
            bad(
                "limitPerCustomer",
                "range",
                "must be at least 1, or null".into(),
            );
        }
    }
    let in_file: HashSet<&str> = file.offers.iter().map(|o| o.id.as_str()).collect();
    // Ids that are not UUIDs cannot be in the catalog: they are reported as unknown below.
    let referenced: Vec<Id> = file
        .offers
        .iter()
        .flat_map(|o| {
            o.prerequisite_offer_ids
                .iter()
                .chain(&o.upgrade_target_offer_ids)
        })
        .filter(|id| !in_file.contains(id.as_str()))
        .filter_map(|id| catalog_id(id))
        .collect();
    let in_db = OfferRow::find_many(conn, &referenced)?;
    for (i, offer) in file.offers.iter().enumerate() {
        for (field, ids) in [
            ("prerequisiteOfferIds", &offer.prerequisite_offer_ids),
            ("upgradeTargetOfferIds", &offer.upgrade_target_offer_ids),
        ] {
            for (j, id) in ids.iter().enumerate() {
                let path = format!("offers[{i}].{field}[{j}]");
                if *id == offer.id {
                    errors.push(FieldError::new(
                        path,
                        "self_reference",
                        "must name another offer",
                    ));
                } else if !in_file.contains(id.as_str())
                    && !catalog_id(id).is_some_and(|id| in_db.contains_key(&id))
                {
                    errors.push(FieldError::new(
                        path,
                        "unknown_offer",
                        format!("`{id}` is neither in this file nor in the catalog"),
                    ));
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let t = now();
    file.offers.iter().map(|o| row(o, t)).collect()
}

/// Checks an offer's `terms`: known, distinct durations; each sold with at least one of the
/// cycles its length allows, none twice; prices for those cycles only, in the offer's currency
/// and range; and `billingCycles`, when the file gives them too, naming exactly the cycles the
/// terms sell.
fn check_terms(
    terms: &[CatalogTerm],
    offer: &CatalogOffer,
    listed: &HashSet<&str>,
    bad: &mut impl FnMut(&str, &str, String),
) {
    if terms.is_empty() {
        bad("terms", "required", "must name at least one term".into());
    }
    let mut durations = HashSet::new();
    let mut sold: HashSet<&str> = HashSet::new();
    for (k, term) in terms.iter().enumerate() {
        let Ok(duration) = term.term_duration.parse::<TermDuration>() else {
            bad(
                &format!("terms[{k}].termDuration"),
                "term_duration",
                "must be `P1M`, `P1Y` or `P3Y`".into(),
            );
            continue;
        };
        if !durations.insert(duration) {
            bad(
                &format!("terms[{k}].termDuration"),
                "duplicate",
                format!("`{duration}` appears twice"),
            );
        }
        if term.billing_cycles.is_empty() {
            bad(
                &format!("terms[{k}].billingCycles"),
                "required",
                "must name at least one billing cycle".into(),
            );
        }
        let allowed: Vec<&str> = duration.cycles().iter().map(|c| c.as_str()).collect();
        let mut in_term = HashSet::new();
        for (j, cycle) in term.billing_cycles.iter().enumerate() {
            let path = format!("terms[{k}].billingCycles[{j}]");
            if !allowed.contains(&cycle.as_str()) {
                bad(
                    &path,
                    "billing_cycle",
                    format!("a {duration} term is billed {} only", allowed.join(" or ")),
                );
            } else if !in_term.insert(cycle.as_str()) {
                bad(&path, "duplicate", format!("`{cycle}` appears twice"));
            } else {
                sold.insert(cycle.as_str());
            }
        }
        for (j, price) in term.prices.iter().enumerate() {
            let path = format!("terms[{k}].prices[{j}]");
            if !in_term.contains(price.billing_cycle.as_str()) {
                bad(
                    &format!("{path}.billingCycle"),
                    "billing_cycle",
                    "must be one of the term's billing cycles".into(),
                );
            }
            if price.unit_price.currency != offer.unit_price.currency {
                bad(
                    &format!("{path}.unitPrice.currency"),
                    "currency",
                    format!(
                        "must be the offer's currency, {}",
                        offer.unit_price.currency
                    ),
                );
            }
            if !(0..=MAX_UNIT_PRICE_MINOR).contains(&price.unit_price.amount_minor) {
                bad(
                    &format!("{path}.unitPrice.amountMinor"),
                    "range",
                    format!("must be between 0 and {MAX_UNIT_PRICE_MINOR}"),
                );
            }
        }
    }
    if !listed.is_empty() && *listed != sold {
        bad(
            "billingCycles",
            "terms",
            "must list exactly the cycles the terms sell, or be left out".into(),
        );
    }
}

/// The terms of a validated catalog offer: its `terms`, or those its `billingCycles` imply.
fn offer_terms(o: &CatalogOffer) -> Result<Vec<OfferTerm>, ApiError> {
    let Some(terms) = &o.terms else {
        let cycles = parse_cycles(&o.billing_cycles)?;
        return Ok(term::terms_of_cycles(&cycles));
    };
    terms
        .iter()
        .map(|t| {
            Ok(OfferTerm {
                term_duration: t.term_duration.parse().map_err(ApiError::internal)?,
                billing_cycles: parse_cycles(&t.billing_cycles)?,
                prices: t
                    .prices
                    .iter()
                    .map(|p| {
                        Ok(TermPrice {
                            billing_cycle: p.billing_cycle.parse().map_err(ApiError::internal)?,
                            unit_price_minor: p.unit_price.amount_minor,
                        })
                    })
                    .collect::<Result<_, ApiError>>()?,
            })
        })
        .collect()
}

fn parse_cycles(names: &[String]) -> Result<Vec<BillingCycle>, ApiError> {
    names
        .iter()
        .map(|c| c.parse())
        .collect::<Result<_, _>>()
        .map_err(ApiError::internal)
}

/// `id` as an offer id, when it is one (a UUID in canonical form).
fn catalog_id(id: &str) -> Option<Id> {
    if is_valid_id(id) {
        id.parse().ok()
    } else {
        None
    }
}

/// `ids` (validated above) as offer ids.
fn offer_ids(ids: &[String]) -> Result<Vec<Id>, ApiError> {
    ids.iter()
        .map(|id| catalog_id(id).ok_or_else(|| ApiError::internal(format!("offer id {id:?}"))))
        .collect()
}

fn row(o: &CatalogOffer, t: chrono::NaiveDateTime) -> Result<OfferRow, ApiError> {
    let id = catalog_id(&o.id).ok_or_else(|| ApiError::internal(format!("offer id {:?}", o.id)))?;
    let terms = offer_terms(o)?;
    let mut cycles: Vec<BillingCycle> = Vec::new();
    for c in terms.iter().flat_map(|t| &t.billing_cycles) {
        if !cycles.contains(c) {
            cycles.push(*c);
        }
    }
    Ok(OfferRow {
        id,
        name: o.name.trim().to_owned(),
        description: o.description.clone(),
        product_family: o.product_family.trim().to_owned(),
        // Validated above: both fit in i32.
        min_quantity: i32::try_from(o.min_quantity).unwrap_or(1),
        max_quantity: i32::try_from(o.max_quantity).unwrap_or(1),
        unit_price_minor: o.unit_price.amount_minor,
        currency: o.unit_price.currency.clone(),
        // Validated above: every name is a billing cycle, and the terms sell these cycles.
        billing_cycles: BillingCycles::new(cycles),
        is_add_on: o.is_add_on,
        prerequisite_offer_ids: ids_json(&offer_ids(&o.prerequisite_offer_ids)?),
        upgrade_target_offer_ids: ids_json(&offer_ids(&o.upgrade_target_offer_ids)?),
        limit_per_customer: o.limit_per_customer.and_then(|l| i32::try_from(l).ok()),
        created_at: t,
        updated_at: t,
        version: 1,
        terms: Some(serde_json::to_string(&terms).map_err(|e| ApiError::internal(e.to_string()))?),
        cancellation_window_hours: o
            .cancellation_window_hours
            .and_then(|h| i32::try_from(h).ok()),
    })
}
