//! Money on the wire and in the catalog (docs/concepts.md#commerce, docs/api-guide.md): an integer amount in the currency's
//! minor unit plus an ISO 4217 code, `{ "amountMinor": 1250, "currency": "USD" }`. Never floating
//! point: prices, line totals and order totals are computed with integer arithmetic.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An amount of money.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Money {
    /// The amount in the currency's minor unit (cents for USD): `1250` is 12.50.
    #[schema(example = 1250)]
    #[serde(deserialize_with = "whole_i64")]
    pub amount_minor: i64,
    /// ISO 4217 currency code, upper case.
    #[schema(
        example = "USD",
        min_length = 3,
        max_length = 3,
        pattern = "^[A-Z]{3}$"
    )]
    pub currency: String,
}

impl Money {
    /// `amount_minor` in `currency`.
    pub fn new(amount_minor: i64, currency: &str) -> Money {
        Money {
            amount_minor,
            currency: currency.to_owned(),
        }
    }
}

/// Active ISO 4217 currency codes (funds and precious metals excluded).
const ISO_4217: &str = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND \
    BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN \
    ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD \
    JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT \
    MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR \
    RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND \
    TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG";

/// Whether `code` is an active ISO 4217 currency code (upper case, e.g. `USD`).
pub fn is_currency(code: &str) -> bool {
    code.len() == 3
        && code.bytes().all(|b| b.is_ascii_uppercase())
        && ISO_4217.split_ascii_whitespace().any(|c| c == code)
}

/// A whole number sent as JSON `10` or `10.0` (JSON Schema's `integer` admits both) into `i64`;
/// a fraction, or a float beyond 2^53 (where floats stop being exact), is refused.
pub fn whole_i64<'de, D>(de: D) -> Result<i64, D::Error>
where
    D: serde::Deserializer<'de>,
{
    use serde::de::Error;
    let n = serde_json::Number::deserialize(de)?;
    n.as_i64()
        .or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0)
                .map(|f| f as i64)
        })
        .ok_or_else(|| D::Error::custom(format!("must be a whole number (got {n})")))
}

/// [`whole_i64`] into `i32`.
pub fn whole_i32<'de, D>(de: D) -> Result<i32, D::Error>
where
    D: serde::Deserializer<'de>,
{
    use serde::de::Error;
    let n = whole_i64(de)?;
    i32::try_from(n)
        .map_err(|_| D::Error::custom(format!("must be at most {} (got {n})", i32::MAX)))
}
