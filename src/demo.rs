//! Demo data for `serve --demo` (README.md): an indirect provider (Contoso Distribution) with
//! one user per partner role; an indirect reseller not yet partnered (Fabrikam Resellers, so the
//! walkthrough in docs/walkthrough.md can invite it) and one already partnered (Northwind IT), each with a global
//! admin and agents; and two customers of the provider — Adatum, and Tailspin which Northwind
//! administers with DAP — each with a customer admin; and the sample catalog
//! (`examples/catalog.json`). Demo accounts share one documented password and need no password
//! change. Seeding is skipped when the demo provider already exists, so restarting keeps earlier
//! work (the sample catalog is loaded whenever the catalog is empty).
//!
//! The demo organisations have fixed ids ([`PROVIDER_ID`], [`RESELLER_ID`], [`PARTNERED_ID`],
//! [`ADATUM_ID`], [`TAILSPIN_ID`]; offers have theirs in the catalog), so the OpenAPI document's
//! examples and the README can name them and work against any `serve --demo`.

use serde::Serialize;
use uuid::Uuid;

use crate::auth::password;
use crate::change::Change;
use crate::config::Config;
use crate::db::AnyConnection;
use crate::domain::{Id, Role, TenantKind};
use crate::error::ApiError;
use crate::models::audit::Actor;
use crate::models::customer::CustomerRow;
use crate::models::ids;
use crate::models::now;
use crate::models::offer::OfferRow;
use crate::models::partner::NewPartner;
use crate::models::partner::{PartnerChanges, PartnerRow};
use crate::models::partnership::PartnershipRow;
use crate::models::user::{NewUser, UserRow};
use crate::services::customers::{self, AdminAccount};

/// The password of every demo account. Demo mode is not for production.
pub const DEMO_PASSWORD: &str = "Demo-Passw0rd!";

/// Listed instead of the password of a demo account whose password was changed since seeding.
pub const CHANGED: &str = "(changed since seeding)";

/// One account in the credentials file (`serve --demo --credentials-file`, `bootstrap --output json`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    /// Sign-in name.
    pub username: String,
    /// Password.
    pub password: String,
    /// Roles.
    pub roles: Vec<Role>,
    /// Kind of the organisation.
    pub tenant_kind: TenantKind,
    /// Organisation id.
    pub tenant_id: Uuid,
    /// Organisation name.
    pub tenant_name: String,
}

/// The credentials file shape: `{ "accounts": [...] }`.
#[derive(Debug, Serialize)]
pub struct Credentials {
    /// The accounts.
    pub accounts: Vec<Account>,
}

/// Contoso Distribution, the demo indirect provider.
pub const PROVIDER_ID: &str = "019a8f3c-1000-7000-8000-000000000001";
/// Fabrikam Resellers, the demo indirect reseller not yet partnered.
pub const RESELLER_ID: &str = "019a8f3c-1000-7000-8000-000000000002";
/// Northwind IT, the demo indirect reseller partnered with Contoso (DAP on Tailspin).
pub const PARTNERED_ID: &str = "019a8f3c-1000-7000-8000-000000000003";
/// Adatum Corporation, a demo customer of Contoso.
pub const ADATUM_ID: &str = "019a8f3c-1100-7000-8000-000000000001";
/// Contoso's price list for Northwind IT: 12% over cost.
pub const PRICE_LIST_ID: &str = "019a8f3c-3000-7000-8000-000000000001";
/// The version of that list created with it (12%, from the beginning).
pub const PRICE_LIST_VERSION_ID: &str = "019a8f3c-3001-7000-8000-000000000001";
/// Tailspin Toys, a demo customer of Contoso that Northwind IT resells and administers.
pub const TAILSPIN_ID: &str = "019a8f3c-1100-7000-8000-000000000002";

const PROVIDER_DOMAIN: &str = "contoso-distribution.example";
const RESELLER_DOMAIN: &str = "fabrikam-resellers.example";
const PARTNERED_DOMAIN: &str = "northwind-it.example";

fn demo_partner(
    conn: &mut AnyConnection,
    id: &str,
    kind: TenantKind,
    name: &str,
    domain: &str,
) -> Result<Uuid, ApiError> {
    let t = now();
    let id: Id = id.parse().map_err(ApiError::internal)?;
    PartnerRow::insert(
        conn,
        &NewPartner {
            id,
            kind,
            name: name.to_owned(),
            support_email: Some(format!("support@{domain}")),
            support_phone: None,
            website: None,
            version: 1,
            created_at: t,
            updated_at: t,
        },
    )?;
    let id = id.uuid();
    crate::services::tenant_domains::claim(conn, id, domain, || {
        ApiError::internal("demo domain owned by another organisation")
    })?;
    PartnerRow::update(
        conn,
        id,
        1,
        &PartnerChanges {
            support_phone: Some(Some("+1 425 555 0100".to_owned())),
            website: Some(Some(format!("https://{domain}"))),
            ..Default::default()
        },
    )?;
    Ok(id)
}

fn partner_user(
    conn: &mut AnyConnection,
    hash: &str,
    partner: (Uuid, &str, TenantKind),
    (id, local): (Id, &str),
    domain: &str,
    roles: &[Role],
) -> Result<Account, ApiError> {
    let user_name = format!("{local}@{domain}");
    let display = format!(
        "{} ({})",
        partner.1,
        roles
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut user = NewUser::new(
        Some(partner.0),
        None,
        &user_name,
        &display,
        hash.to_owned(),
        Role::join(roles),
        false,
    );
    user.id = id;
    UserRow::insert(conn, &user)?;
    Ok(Account {
        username: user_name,
        password: DEMO_PASSWORD.to_owned(),
        roles: roles.to_vec(),
        tenant_kind: partner.2,
        tenant_id: partner.0,
        tenant_name: partner.1.to_owned(),
    })
}

/// The sample catalog of demo mode and of every test: a dozen offers with add-ons, upgrade
/// paths and a per-customer limit.
pub const SAMPLE_CATALOG: &str = include_str!("../examples/catalog.json");

fn load_sample_catalog(conn: &mut AnyConnection) -> Result<(), ApiError> {
    if OfferRow::count(conn)? == 0 {
        crate::services::catalog::import(conn, SAMPLE_CATALOG)?;
    }
    Ok(())
}

/// Seeds the demo data unless present; returns every demo account.
pub fn seed(conn: &mut AnyConnection) -> Result<Credentials, ApiError> {
    let hash = password::hash(DEMO_PASSWORD)?;
    Change::run(conn, Actor::system("demo seed"), None, |change| {
        if let Some(existing) =
            UserRow::find_by_user_name(change.conn(), &format!("global.admin@{PROVIDER_DOMAIN}"))?
        {
            load_sample_catalog(change.conn())?;
            return accounts_of_existing(change.conn(), existing);
        }
        let mut accounts = Vec::new();
        let provider_name = "Contoso Distribution";
        let provider = demo_partner(
            change.conn(),
            PROVIDER_ID,
            TenantKind::IndirectProvider,
            provider_name,
            PROVIDER_DOMAIN,
        )?;
        let p = (provider, provider_name, TenantKind::IndirectProvider);
        for (k, (local, role)) in [
            ("global.admin", Role::GlobalAdmin),
            ("user.admin", Role::UserManagementAdmin),
            ("admin.agent", Role::AdminAgent),
            ("sales.agent", Role::SalesAgent),
            ("helpdesk.agent", Role::HelpdeskAgent),
        ]
        .into_iter()
        .enumerate()
        {
            accounts.push(partner_user(
                change.conn(),
                &hash,
                p,
                (ids::fixed(1, k as u64 + 1), local),
                PROVIDER_DOMAIN,
                &[role],
            )?);
        }
        let reseller_name = "Fabrikam Resellers";
        let reseller = demo_partner(
            change.conn(),
            RESELLER_ID,
            TenantKind::IndirectReseller,
            reseller_name,
            RESELLER_DOMAIN,
        )?;
        let r = (reseller, reseller_name, TenantKind::IndirectReseller);
        for (k, (local, role)) in [
            ("global.admin", Role::GlobalAdmin),
            ("admin.agent", Role::AdminAgent),
            ("sales.agent", Role::SalesAgent),
            ("helpdesk.agent", Role::HelpdeskAgent),
        ]
        .into_iter()
        .enumerate()
        {
            accounts.push(partner_user(
                change.conn(),
                &hash,
                r,
                (ids::fixed(2, k as u64 + 1), local),
                RESELLER_DOMAIN,
                &[role],
            )?);
        }
        let partnered_name = "Northwind IT";
        let partnered = demo_partner(
            change.conn(),
            PARTNERED_ID,
            TenantKind::IndirectReseller,
            partnered_name,
            PARTNERED_DOMAIN,
        )?;
        let n = (partnered, partnered_name, TenantKind::IndirectReseller);
        for (k, (local, role)) in [
            ("global.admin", Role::GlobalAdmin),
            ("admin.agent", Role::AdminAgent),
            ("sales.agent", Role::SalesAgent),
            ("helpdesk.agent", Role::HelpdeskAgent),
        ]
        .into_iter()
        .enumerate()
        {
            accounts.push(partner_user(
                change.conn(),
                &hash,
                n,
                (ids::fixed(3, k as u64 + 1), local),
                PARTNERED_DOMAIN,
                &[role],
            )?);
        }
        PartnershipRow::activate(change.conn(), provider, partnered)?;
        demo_price_list(change.conn(), provider, partnered)?;
        for (id, name, domain, reseller) in [
            (ADATUM_ID, "Adatum Corporation", "adatum.example", None),
            (
                TAILSPIN_ID,
                "Tailspin Toys",
                "tailspin.example",
                Some(partnered),
            ),
        ] {
            let mut admin = AdminAccount {
                user_name: format!("admin@{domain}"),
                temporary_password: DEMO_PASSWORD.to_owned(),
                password_hash: hash.clone(),
            };
            let t = now();
            let row = CustomerRow {
                id: id.parse().map_err(ApiError::internal)?,
                company_name: name.to_owned(),
                domain: domain.to_owned(),
                billing_email: format!("billing@{domain}"),
                culture: "en-US".to_owned(),
                address_line1: "1 Main St".to_owned(),
                address_line2: None,
                city: "Redmond".to_owned(),
                state: Some("WA".to_owned()),
                postal_code: "98052".to_owned(),
                country: "US".to_owned(),
                version: 1,
                created_at: t,
                updated_at: t,
                test_clock_id: None,
            };
            // The customer's admin (and its relationship rows) get fixed ids too.
            let block = if id == ADATUM_ID { 0x11 } else { 0x12 };
            let customer = ids::seeded(block, || {
                customers::insert(change, provider, row, reseller, &mut admin)
            })?;
            let user = UserRow::find_by_user_name(change.conn(), &admin.user_name)?
                .ok_or_else(|| ApiError::internal("demo admin missing"))?;
            UserRow::update(
                change.conn(),
                &user.id,
                user.version,
                &crate::models::user::UserChanges {
                    must_change_password: Some(false),
                    ..Default::default()
                },
            )?;
            accounts.push(Account {
                username: admin.user_name,
                password: DEMO_PASSWORD.to_owned(),
                roles: vec![Role::CustomerAdmin],
                tenant_kind: TenantKind::Customer,
                tenant_id: customer.id.uuid(),
                tenant_name: customer.company_name,
            });
        }
        load_sample_catalog(change.conn())?;
        Ok(Credentials { accounts })
    })
}

fn accounts_of_existing(conn: &mut AnyConnection, _any: UserRow) -> Result<Credentials, ApiError> {
    let mut accounts = Vec::new();
    let names = [
        ("global.admin", PROVIDER_DOMAIN),
        ("user.admin", PROVIDER_DOMAIN),
        ("admin.agent", PROVIDER_DOMAIN),
        ("sales.agent", PROVIDER_DOMAIN),
        ("helpdesk.agent", PROVIDER_DOMAIN),
        ("global.admin", RESELLER_DOMAIN),
        ("admin.agent", RESELLER_DOMAIN),
        ("sales.agent", RESELLER_DOMAIN),
        ("helpdesk.agent", RESELLER_DOMAIN),
        ("global.admin", PARTNERED_DOMAIN),
        ("admin.agent", PARTNERED_DOMAIN),
        ("sales.agent", PARTNERED_DOMAIN),
        ("helpdesk.agent", PARTNERED_DOMAIN),
        ("admin", "adatum.example"),
        ("admin", "tailspin.example"),
    ];
    for (local, domain) in names {
        let Some(user) = UserRow::find_by_user_name(conn, &format!("{local}@{domain}"))? else {
            continue;
        };
        let (tenant_kind, tenant_id, tenant_name) = match (user.partner_id, user.customer_id) {
            (Some(p), _) => {
                let partner = PartnerRow::find(conn, p.uuid())?
                    .ok_or_else(|| ApiError::internal("demo partner missing"))?;
                (partner.tenant_kind(), p.uuid(), partner.name)
            }
            (None, Some(c)) => {
                let customer = CustomerRow::find(conn, c.uuid())?
                    .ok_or_else(|| ApiError::internal("demo customer missing"))?;
                (TenantKind::Customer, c.uuid(), customer.company_name)
            }
            _ => continue,
        };
        accounts.push(Account {
            username: user.user_name,
            // An account whose password was changed since seeding is listed without one.
            password: if password::verify(DEMO_PASSWORD, &user.password_hash) {
                DEMO_PASSWORD.to_owned()
            } else {
                CHANGED.to_owned()
            },
            roles: user.roles.to_vec(),
            tenant_kind,
            tenant_id,
            tenant_name,
        });
    }
    Ok(Credentials { accounts })
}

/// Contoso's price list "Northwind IT 12%" (12% over cost, from the beginning), assigned to
/// Northwind IT: the reseller price of the subscriptions Northwind IT is reseller of record for.
fn demo_price_list(
    conn: &mut AnyConnection,
    provider: Uuid,
    reseller: Uuid,
) -> Result<(), ApiError> {
    let (provider, reseller) = (Id::from(provider), Id::from(reseller));
    use crate::models::price_list::{PriceListAssignmentRow, PriceListRow, PriceListVersionRow};
    let t = now();
    let id: crate::domain::Id = PRICE_LIST_ID.parse().map_err(ApiError::internal)?;
    PriceListRow::insert(
        conn,
        &PriceListRow {
            id,
            partner_id: provider,
            name: "Northwind IT 12%".to_owned(),
            currency: "USD".to_owned(),
            is_default: false,
            version: 1,
            created_at: t,
            updated_at: t,
        },
    )?;
    PriceListVersionRow::insert(
        conn,
        &PriceListVersionRow {
            id: PRICE_LIST_VERSION_ID.parse().map_err(ApiError::internal)?,
            price_list_id: id,
            effective_from: crate::models::price_list::beginning(),
            default_markup_percent: "12".to_owned(),
            entries: "[]".to_owned(),
            created_at: t,
            updated_at: t,
        },
    )?;
    PriceListAssignmentRow::put(
        conn,
        &PriceListAssignmentRow {
            partner_id: provider,
            target_id: reseller,
            target_kind: "reseller".to_owned(),
            price_list_id: id,
            updated_at: t,
        },
    )?;
    Ok(())
}

/// The demo billing month's test clock (Contoso's), at 09:00 UTC on 1 February 2027.
pub const BILLING_CLOCK_ID: &str = "019a8f3c-4000-7000-8000-000000000001";
/// Woodgrove Bank, a direct customer of Contoso living on the billing clock.
pub const WOODGROVE_ID: &str = "019a8f3c-1100-7000-8000-000000000003";
/// Proseware Inc, Northwind IT's customer living on the billing clock, on Northwind's own list.
pub const PROSEWARE_ID: &str = "019a8f3c-1100-7000-8000-000000000004";
/// Northwind IT's price list for Proseware Inc: 20% over Northwind's price.
pub const PROSEWARE_PRICE_LIST_ID: &str = "019a8f3c-3000-7000-8000-000000000002";
/// The demo statements' ids: this prefix and their rank (`…000000000001` to `…000000000003`).
const STATEMENT_ID_PREFIX: &str = "019a8f3c-5000-7000-8000-";
/// January 2027's statement from Contoso to Northwind IT (reseller prices).
pub const STATEMENT_ID: &str = "019a8f3c-5000-7000-8000-000000000001";
/// January 2027's statement from Northwind IT to Proseware Inc (customer prices).
pub const CUSTOMER_STATEMENT_ID: &str = "019a8f3c-5000-7000-8000-000000000003";

/// A month of charges on a test clock with its period closed, so that the first look at
/// `GET /v1/statements` shows real numbers: Contoso's clock "Demo billing month" from 4 January
/// 2027 with Woodgrove (direct: 25 seats of Microsoft 365 Business Basic) and Proseware Inc
/// (Northwind IT's, on Northwind's 20% list: 10 seats of Business Premium, then 5 of Exchange
/// Online Plan 1 on the 18th), all P1Y billed monthly; January closed at 00:00 on 1 February
/// (three statements: Contoso → Northwind IT, Contoso → Woodgrove, Northwind IT → Proseware); the
/// clock left at 09:00 that day. Runs after [`seed`] (`serve --demo` only, not the test
/// template); does nothing when the clock exists. Returns the two customers' admin accounts.
pub fn seed_billing(conn: &mut AnyConnection, window_hours: i64) -> Result<Vec<Account>, ApiError> {
    use crate::domain::statement::Period;
    use crate::domain::{BillingCycle, TermDuration, TestClockStatus};
    use crate::models::cart::LineItem;
    use crate::models::test_clock::TestClockRow;
    use crate::services::{orders, statements};

    let at = |s: &str| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S");
    let bad = |e: chrono::ParseError| ApiError::internal(format!("demo time: {e}"));
    let clock: Id = BILLING_CLOCK_ID.parse().map_err(ApiError::internal)?;
    let customers_of = [
        (WOODGROVE_ID, "Woodgrove Bank", "woodgrove.example", None),
        (
            PROSEWARE_ID,
            "Proseware Inc",
            "proseware.example",
            Some(PARTNERED_ID),
        ),
    ];
    let accounts: Vec<Account> = customers_of
        .iter()
        .map(|(id, name, domain, _)| {
            Ok(Account {
                username: format!("admin@{domain}"),
                password: DEMO_PASSWORD.to_owned(),
                roles: vec![Role::CustomerAdmin],
                tenant_kind: TenantKind::Customer,
                tenant_id: id.parse().map_err(ApiError::internal)?,
                tenant_name: (*name).to_owned(),
            })
        })
        .collect::<Result<_, ApiError>>()?;
    if TestClockRow::get(conn, &clock)?.is_some() {
        return Ok(accounts);
    }
    let provider: Uuid = PROVIDER_ID.parse().map_err(ApiError::internal)?;
    let northwind: Uuid = PARTNERED_ID.parse().map_err(ApiError::internal)?;
    let start = at("2027-01-04 09:00:00").map_err(bad)?;
    let hash = password::hash(DEMO_PASSWORD)?;
    Change::run(conn, Actor::system("demo seed"), None, |change| {
        let t = now();
        TestClockRow::insert(
            change.conn(),
            &TestClockRow {
                id: clock,
                partner_id: Id::from(provider),
                name: "Demo billing month".to_owned(),
                frozen_time: start,
                advance_to: None,
                status: TestClockStatus::Ready,
                version: 1,
                created_at: t,
                updated_at: t,
            },
        )?;
        let mut rows = Vec::new();
        for (id, name, domain, reseller) in customers_of {
            let mut admin = AdminAccount {
                user_name: format!("admin@{domain}"),
                temporary_password: DEMO_PASSWORD.to_owned(),
                password_hash: hash.clone(),
            };
            let row = CustomerRow {
                id: id.parse().map_err(ApiError::internal)?,
                company_name: name.to_owned(),
                domain: domain.to_owned(),
                billing_email: format!("billing@{domain}"),
                culture: "en-US".to_owned(),
                address_line1: "1 Main St".to_owned(),
                address_line2: None,
                city: "Redmond".to_owned(),
                state: Some("WA".to_owned()),
                postal_code: "98052".to_owned(),
                country: "US".to_owned(),
                version: 1,
                created_at: t,
                updated_at: t,
                test_clock_id: Some(clock),
            };
            let reseller = reseller.map(|r| r.parse::<Uuid>()).transpose();
            let reseller = reseller.map_err(ApiError::internal)?;
            rows.push(customers::insert(
                change, provider, row, reseller, &mut admin,
            )?);
            let user = UserRow::find_by_user_name(change.conn(), &admin.user_name)?
                .ok_or_else(|| ApiError::internal("demo admin missing"))?;
            UserRow::update(
                change.conn(),
                &user.id,
                user.version,
                &crate::models::user::UserChanges {
                    must_change_password: Some(false),
                    ..Default::default()
                },
            )?;
        }
        proseware_price_list(change.conn(), northwind)?;
        let line =
            |offer: &str, quantity: i32, reseller: Option<Uuid>| -> Result<LineItem, ApiError> {
                Ok(LineItem {
                    offer_id: offer.parse().map_err(ApiError::internal)?,
                    quantity,
                    billing_cycle: BillingCycle::Monthly,
                    partner_id_on_record: reseller,
                    term_duration: Some(TermDuration::P1Y),
                })
            };
        // Offers of the sample catalog: Business Basic, Business Premium, Exchange Online Plan 1.
        let (basic, premium, exchange) = (
            "019a8f3c-2000-758b-a2a2-055bb55bcbbb",
            "019a8f3c-2002-7654-b8bb-cded8077eccc",
            "019a8f3c-2005-7978-b017-5e3ff9918222",
        );
        orders::place(
            change,
            provider,
            &rows[0],
            &[line(basic, 25, None)?],
            window_hours,
        )?;
        orders::place(
            change,
            provider,
            &rows[1],
            &[line(premium, 10, Some(northwind))?],
            window_hours,
        )?;
        TestClockRow::set_time(
            change.conn(),
            &clock,
            at("2027-01-18 09:00:00").map_err(bad)?,
            true,
        )?;
        orders::place(
            change,
            provider,
            &rows[1],
            &[line(exchange, 5, Some(northwind))?],
            window_hours,
        )?;
        TestClockRow::set_time(
            change.conn(),
            &clock,
            at("2027-02-01 09:00:00").map_err(bad)?,
            true,
        )?;
        Ok(())
    })?;
    let january: Period = "2027-01".parse().map_err(ApiError::internal)?;
    statements::close_period_with_ids(
        conn,
        Some(&clock),
        january,
        january.end(),
        STATEMENT_ID_PREFIX,
    )?;
    Ok(accounts)
}

/// Northwind IT's price list "Proseware 20%" (20% over Northwind's price), assigned to Proseware.
fn proseware_price_list(conn: &mut AnyConnection, northwind: Uuid) -> Result<(), ApiError> {
    use crate::models::price_list::{PriceListAssignmentRow, PriceListRow, PriceListVersionRow};
    let northwind = Id::from(northwind);
    let t = now();
    let id: Id = PROSEWARE_PRICE_LIST_ID
        .parse()
        .map_err(ApiError::internal)?;
    PriceListRow::insert(
        conn,
        &PriceListRow {
            id,
            partner_id: northwind,
            name: "Proseware 20%".to_owned(),
            currency: "USD".to_owned(),
            is_default: false,
            version: 1,
            created_at: t,
            updated_at: t,
        },
    )?;
    PriceListVersionRow::insert(
        conn,
        &PriceListVersionRow {
            id: crate::models::ids::new(),
            price_list_id: id,
            effective_from: crate::models::price_list::beginning(),
            default_markup_percent: "20".to_owned(),
            entries: "[]".to_owned(),
            created_at: t,
            updated_at: t,
        },
    )?;
    PriceListAssignmentRow::put(
        conn,
        &PriceListAssignmentRow {
            partner_id: northwind,
            target_id: PROSEWARE_ID.parse().map_err(ApiError::internal)?,
            target_kind: "customer".to_owned(),
            price_list_id: id,
            updated_at: t,
        },
    )?;
    Ok(())
}

/// Contoso's user management admin: the example of `userId` on the partner-user operations.
pub const USER_ID: &str = "019a8f3c-5001-7000-8000-000000000002";
/// Contoso's helpdesk agent, member of the demo security group (`memberId`).
pub const MEMBER_ID: &str = "019a8f3c-5001-7000-8000-000000000005";
/// Adatum's customer admin (`userId` on the customer-user operations).
pub const ADATUM_ADMIN_ID: &str = "019a8f3c-5011-7000-8000-000000000001";
/// An open cart of Contoso for Adatum.
pub const CART_ID: &str = "019a8f3c-5020-7000-8000-000000000001";
/// An order of Contoso for Adatum.
pub const ORDER_ID: &str = "019a8f3c-5021-7000-8000-000000000001";
/// The subscription that order created.
pub const SUBSCRIPTION_ID: &str = "019a8f3c-5021-7000-8000-000000000002";
/// A service request Contoso opened for Adatum.
pub const SERVICE_REQUEST_ID: &str = "019a8f3c-5022-7000-8000-000000000001";
/// An application of Contoso.
pub const APPLICATION_ID: &str = "019a8f3c-5023-7000-8000-000000000001";
/// A webhook of Contoso (disabled: its target is not a real endpoint).
pub const WEBHOOK_ID: &str = "019a8f3c-5024-7000-8000-000000000001";
/// That webhook's delivery of a test event (waiting while the webhook is disabled).
pub const DELIVERY_ID: &str = "019a8f3c-5025-7000-8000-000000000001";
/// A test clock of Contoso.
pub const CLOCK_ID: &str = "019a8f3c-5026-7000-8000-000000000001";
/// A security group of Contoso with its helpdesk agent.
pub const GROUP_ID: &str = "019a8f3c-5027-7000-8000-000000000001";
/// An active granular delegated admin relationship of Contoso with Adatum.
pub const RELATIONSHIP_ID: &str = "019a8f3c-5028-7000-8000-000000000001";
/// An access assignment giving the security group a role in that relationship.
pub const ASSIGNMENT_ID: &str = "019a8f3c-5029-7000-8000-000000000001";
/// Contoso's pending partnership invitation to Proseware.
pub const INVITATION_ID: &str = "019a8f3c-502a-7000-8000-000000000001";

/// Directory roles of the demo relationship: Directory Readers, Helpdesk Administrator.
const DEMO_GDAP_ROLES: [&str; 2] = [
    "88d8e3e3-8f55-4a1e-953a-9b9898b8876b",
    "729827e3-9c14-49f7-bb1b-9608f156bbb8",
];

fn uuid(id: &str) -> Result<Uuid, ApiError> {
    id.parse().map_err(ApiError::internal)
}

/// The objects the OpenAPI document's path examples name (the ids above), made through the
/// services as Contoso's global admin would make them: a cart, an order and its subscription, a
/// service request for Adatum; an application, a (disabled) webhook with a test delivery, a test
/// clock, a security group, an active GDAP relationship with Adatum and an access assignment;
/// a pending invitation. Only `serve --demo` adds them (the tests' demo data stays without).
/// The configuration gives the cancellation window and the key that seals the webhook's secret
/// (`JWT_SECRET`, as for registered ones). Skipped when present.
pub fn seed_examples(conn: &mut AnyConnection, config: &Config) -> Result<(), ApiError> {
    use crate::auth::PartnerCaller;
    use crate::domain::{BillingCycle, Severity, TermDuration};
    use crate::models::cart::LineItem;
    use crate::services::{
        applications, carts, gdap, orders, partnerships, security_groups, service_requests,
        test_clocks, webhooks,
    };
    use diesel::prelude::*;

    let present: i64 = crate::schema::carts::table
        .filter(crate::schema::carts::id.eq(CART_ID))
        .count()
        .get_result(conn)?;
    if present > 0 {
        return Ok(());
    }
    let caller = PartnerCaller::of_user(conn, ids::fixed(1, 1).uuid(), "demo-seed")?;
    let adatum = uuid(ADATUM_ID)?;
    let line = |quantity| LineItem {
        offer_id: "019a8f3c-2000-758b-a2a2-055bb55bcbbb"
            .parse()
            .unwrap_or_else(|_| ids::new()),
        quantity,
        billing_cycle: BillingCycle::Monthly,
        partner_id_on_record: None,
        term_duration: Some(TermDuration::P1Y),
    };
    let actor = Actor::from(&*caller);
    let client_secret = password::NewSecret::client_secret()?;
    let (_, sealed) = webhooks::new_secret(&config.jwt_secret)?;
    Change::run(conn, actor, None, |change| {
        ids::seeded(0x20, || {
            carts::create(change, &caller, adatum, vec![line(5)], &config.quotas)
        })?;
        ids::seeded(0x21, || {
            orders::create(
                change,
                &caller,
                adatum,
                &[line(10)],
                config.cancellation_window_hours,
            )
        })?;
        ids::seeded(0x22, || {
            service_requests::create(
                change,
                &caller,
                adatum,
                service_requests::NewRequest {
                    title: "Mailbox migration help".to_owned(),
                    description: "Adatum asks for help moving 10 mailboxes.".to_owned(),
                    severity: Severity::Medium,
                },
            )
        })?;
        ids::seeded(0x23, || {
            applications::create(
                change,
                &caller,
                applications::NewApplication {
                    display_name: "Nightly billing sync".to_owned(),
                    roles: vec![Role::AdminAgent],
                },
                client_secret,
                &config.quotas,
            )
        })?;
        let webhook = uuid(WEBHOOK_ID)?;
        ids::seeded(0x24, || {
            webhooks::create(
                change,
                &caller,
                webhooks::NewWebhook {
                    url: "https://hooks.contoso-distribution.example/partner-center".to_owned(),
                    events: vec![crate::domain::events::TEST_EVENT.to_owned()],
                    description: "Demo endpoint (disabled; not a real target)".to_owned(),
                },
                sealed,
                &config.quotas,
            )
        })?;
        ids::seeded(0x25, || webhooks::send_test(change, &caller, webhook))?;
        webhooks::update(
            change,
            &caller,
            webhook,
            crate::etag::Precondition::Any,
            webhooks::WebhookChanges {
                enabled: Some(false),
                ..Default::default()
            },
        )?;
        ids::seeded(0x26, || {
            test_clocks::create(
                change,
                &caller,
                "Demo clock".to_owned(),
                now() + chrono::Duration::days(30),
            )
        })?;
        let group = uuid(GROUP_ID)?;
        ids::seeded(0x27, || {
            security_groups::create(
                change,
                &caller,
                security_groups::GroupFields {
                    display_name: Some("Helpdesk".to_owned()),
                    description: Some("Contoso's helpdesk agents".to_owned()),
                },
                &config.quotas,
            )
        })?;
        security_groups::add_member(change, &caller, group, uuid(MEMBER_ID)?)?;
        let customer = CustomerRow::find(change.conn(), adatum)?
            .ok_or_else(|| ApiError::internal("demo customer missing"))?;
        let roles: Vec<String> = DEMO_GDAP_ROLES.iter().map(|r| (*r).to_owned()).collect();
        ids::seeded(0x28, || {
            gdap::create_default(change, &[caller.partner_id()], &customer, &roles)
        })?;
        ids::seeded(0x29, || {
            gdap::create_assignment(
                change,
                &caller,
                uuid(RELATIONSHIP_ID)?,
                gdap::NewAssignment {
                    group_id: group,
                    roles: vec![DEMO_GDAP_ROLES[1].to_owned()],
                },
            )
        })?;
        let link = crate::services::links::IssuedLink::issue(14);
        ids::seeded(0x2a, || {
            partnerships::invite(
                change,
                &caller,
                "owner@fourthcoffee.example",
                Some("Let us sell together.".to_owned()),
                &link,
            )
        })?;
        Ok(())
    })
}
