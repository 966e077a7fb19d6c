//! Price lists on the wire (docs/billing.md): a list, its versions with their entries, and a
//! resolved price with the list and version it came from. Markups are decimal strings
//! (`"12.5"`: percent, never a float); prices are money in minor units.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::billing::PriceSource;
use crate::domain::{BillingCycle, TermDuration};
use crate::error::ApiError;
use crate::models::price_list::{PriceEntry, PriceListRow, PriceListVersionRow};
use crate::models::utc;
use crate::money::Money;

/// A price list.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PriceList {
    /// Price list id.
    pub id: Uuid,
    /// The partner that owns it.
    pub partner_id: Uuid,
    /// Its name.
    #[schema(example = "Northwind IT 12%")]
    pub name: String,
    /// ISO 4217 currency: it prices offers in this currency only.
    #[schema(example = "USD")]
    pub currency: String,
    /// The markup of the version in effect now over the price below (cost for a provider's
    /// list, the reseller price for a reseller's), in percent.
    #[schema(example = "12")]
    pub default_markup_percent: String,
    /// The owner's default list (a provider's default prices resellers without a list of their
    /// own, and direct customers without one).
    pub is_default: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl PriceList {
    /// The list with the default markup of its version in effect now.
    pub fn new(row: PriceListRow, default_markup_percent: String) -> PriceList {
        PriceList {
            id: row.id.uuid(),
            partner_id: row.partner_id.uuid(),
            name: row.name,
            currency: row.currency,
            default_markup_percent,
            is_default: row.is_default,
            created_at: utc(row.created_at),
            updated_at: utc(row.updated_at),
        }
    }
}

/// The price of one offer, term and billing cycle in a version: exactly one of `unitPrice`
/// (per license per billing cycle, in the list's currency) and `markupPercent`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PriceEntryBody {
    /// The offer.
    #[schema(example = "019a8f3c-2000-758b-a2a2-055bb55bcbbb")]
    pub offer_id: Uuid,
    /// The term.
    pub term_duration: TermDuration,
    /// The billing cycle.
    pub billing_cycle: BillingCycle,
    /// A fixed price per license per billing cycle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<Money>,
    /// A markup over the price below, in percent (decimal string, above -100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        example = "20",
        pattern = "^(-?[0-9]{1,2}(\\.[0-9]{1,4})?|[0-9]{3}(\\.[0-9]{1,4})?|1000)$"
    )]
    pub markup_percent: Option<String>,
}

impl PriceEntryBody {
    /// The stored entry (the unit price's currency is the caller's to check).
    pub fn to_entry(&self) -> PriceEntry {
        PriceEntry {
            offer_id: self.offer_id.into(),
            term_duration: self.term_duration,
            billing_cycle: self.billing_cycle,
            unit_price_minor: self.unit_price.as_ref().map(|m| m.amount_minor),
            markup_percent: self.markup_percent.clone(),
        }
    }

    fn of(e: PriceEntry, currency: &str) -> PriceEntryBody {
        PriceEntryBody {
            offer_id: e.offer_id.uuid(),
            term_duration: e.term_duration,
            billing_cycle: e.billing_cycle,
            unit_price: e.unit_price_minor.map(|m| Money::new(m, currency)),
            markup_percent: e.markup_percent,
        }
    }
}

/// A version of a price list: it prices from `effectiveFrom` until the next version starts.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PriceListVersion {
    /// Version id.
    pub id: Uuid,
    /// Its price list.
    pub price_list_id: Uuid,
    /// From when it prices.
    pub effective_from: DateTime<Utc>,
    /// The markup of offers without an entry, in percent.
    #[schema(example = "12")]
    pub default_markup_percent: String,
    /// Prices per offer, term and billing cycle.
    pub entries: Vec<PriceEntryBody>,
    /// Whether it may still be replaced (it takes effect in the future).
    pub editable: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl PriceListVersion {
    /// The version of a list in `currency`, editable when it starts after `now`.
    pub fn new(
        row: PriceListVersionRow,
        currency: &str,
        now: NaiveDateTime,
    ) -> Result<PriceListVersion, ApiError> {
        let entries = row
            .entries()?
            .into_iter()
            .map(|e| PriceEntryBody::of(e, currency))
            .collect();
        Ok(PriceListVersion {
            id: row.id.uuid(),
            price_list_id: row.price_list_id.uuid(),
            effective_from: utc(row.effective_from),
            default_markup_percent: row.default_markup_percent,
            entries,
            editable: row.effective_from > now,
            created_at: utc(row.created_at),
            updated_at: utc(row.updated_at),
        })
    }
}

/// A price resolved through a list.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResolvedPrice {
    /// The list asked.
    pub price_list_id: Uuid,
    /// The list's version in effect at `at` (none when the offer's currency is not the list's).
    pub version_id: Option<Uuid>,
    /// How the price was found.
    pub source: PriceSource,
    /// The offer.
    pub offer_id: Uuid,
    /// The term.
    pub term_duration: TermDuration,
    /// The billing cycle.
    pub billing_cycle: BillingCycle,
    /// The date priced.
    pub at: DateTime<Utc>,
    /// The price below, per license per billing cycle (cost for a provider's list, the reseller
    /// price for a reseller's).
    pub base_price: Money,
    /// The list's price per license per billing cycle.
    pub unit_price: Money,
}
