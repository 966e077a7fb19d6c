//! The billing invariants (docs/billing.md) over random histories: proptest draws sequences of
//! orders, seat changes, cancellations and test-clock advances (renewals happen on the way),
//! each run through HTTP on a fresh database with a direct customer and a reseller's customer
//! on one clock (and a subscription no step changes); the clock then passes the next 1st (and
//! reaches April at least) so every month with lines is closed, and
//! the checks read the rows back:
//!
//! - each statement's total is the sum of its lines, and its line count their number;
//! - each line of a closed month is on exactly one statement per price level (the provider's;
//!   the reseller's when the reseller priced it with its own list);
//! - no refund exceeds its charge: per subscription, the running sum of its lines never goes
//!   below zero at any price level;
//! - a subscription held without changes (its lines are only its purchase, the fees of its later
//!   billing cycles and its renewals) is charged quantity × unit price for each cycle: every
//!   line is a whole cycle, the cycles follow each other without a gap or an overlap, and the
//!   last one covers the clock's final time — so a whole term sums to quantity × unit price ×
//!   cycles, for every plan (a year billed monthly: 12 lines).
//!
//! Cases are drawn from a fixed seed (`TestRunner::deterministic`), few enough (`CASES`) to
//! finish in seconds per database; there is no shrinking (each case is an async walk), so a
//! failure prints the whole sequence.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use serde_json::json;

use crate::harness::*;
use partner_center::demo::PARTNERED_ID;
use partner_center::domain::billing::ChargeType;
use partner_center::domain::statement::BillTo;
use partner_center::models::billing_line::LineItemRow;
use partner_center::models::statement::{StatementRow, line_sums};

/// Cases per run.
const CASES: u32 = 10;

/// (offer, term, cycle) sold in the walks.
const PLANS: &[(&str, &str, &str)] = &[
    (M365_BUSINESS_BASIC, "P1M", "monthly"),
    (M365_BUSINESS_BASIC, "P1Y", "annual"),
    (M365_BUSINESS_PREMIUM, "P1Y", "monthly"),
];

#[derive(Debug, Clone)]
enum Op {
    /// Buy `quantity` seats of plan `plan` for customer `customer` (0 direct, 1 the reseller's).
    Order {
        customer: usize,
        plan: usize,
        quantity: i64,
    },
    /// Change the seats of the `sub`-th subscription (modulo how many there are) by `delta`.
    Seats { sub: usize, delta: i64 },
    /// Cancel the `sub`-th subscription.
    Cancel { sub: usize },
    /// Move the clock forward by `hours`.
    Advance { hours: i64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..2usize, 0..PLANS.len(), 1..20i64).prop_map(|(customer, plan, quantity)| Op::Order {
            customer,
            plan,
            quantity
        }),
        (0..8usize, -6..8i64).prop_map(|(sub, delta)| Op::Seats { sub, delta }),
        (0..8usize).prop_map(|sub| Op::Cancel { sub }),
        (1..(24 * 45i64)).prop_map(|hours| Op::Advance { hours }),
    ]
}

/// A fresh world: a clock at 2027-01-10 with a direct customer and a customer of Northwind IT on
/// Northwind's 20% list; the direct customer holds 3 seats of Business Premium for a year billed
/// monthly that no step changes. Returns (clock id, [customer ids]).
async fn world(app: &TestApp, ga: &str) -> (String, [String; 2]) {
    let clock = app
        .post(
            "/v1/test-clocks",
            ga,
            json!({ "name": "walk", "frozenTime": "2027-01-10T12:00:00Z" }),
        )
        .await;
    clock.assert(201);
    let clock = clock.str("id");
    let mut ids = Vec::new();
    for (domain, reseller) in [
        ("walk-direct.example", None),
        ("walk-resold.example", Some(PARTNERED_ID)),
    ] {
        let mut body = customer_body(domain, domain, reseller);
        body["testClockId"] = json!(clock);
        let res = app.post("/v1/customers", ga, body).await;
        res.assert(201);
        ids.push(res.body["customer"]["id"].as_str().unwrap().to_owned());
    }
    let northwind = app.token(PARTNERED_GA).await;
    let list = app
        .post(
            "/v1/price-lists",
            &northwind,
            json!({ "name": "Walk", "currency": "USD", "defaultMarkupPercent": "20" }),
        )
        .await;
    list.assert(201);
    app.put(
        &format!("/v1/customers/{}/price-list", ids[1]),
        &northwind,
        json!({ "priceListId": list.str("id") }),
    )
    .await
    .assert(200);
    let mut held = line(M365_BUSINESS_PREMIUM, 3, "monthly", None);
    held["termDuration"] = json!("P1Y");
    app.order(ga, &ids[0], vec![held]).await;
    (clock, [ids[0].clone(), ids[1].clone()])
}

/// Runs `ops`, then moves the clock past the next 1st. Returns the clock's final time.
async fn walk(
    app: &TestApp,
    ga: &str,
    clock: &str,
    customers: &[String; 2],
    ops: &[Op],
) -> chrono::NaiveDateTime {
    let mut now = chrono::NaiveDate::from_ymd_opt(2027, 1, 10)
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap();
    let mut subs: Vec<String> = Vec::new();
    for op in ops {
        match op {
            Op::Order {
                customer,
                plan,
                quantity,
            } => {
                let (offer, term, cycle) = PLANS[*plan];
                let reseller = (*customer == 1).then_some(PARTNERED_ID);
                let mut l = line(offer, *quantity, cycle, reseller);
                l["termDuration"] = json!(term);
                let c = &customers[*customer];
                let res = app
                    .post(
                        &format!("/v1/customers/{c}/orders"),
                        ga,
                        json!({ "lineItems": [l] }),
                    )
                    .await;
                // A plan the customer already holds to its limit, or an add-on rule, may refuse.
                if res.status.as_u16() == 201 {
                    subs.push(format!(
                        "/v1/customers/{c}/subscriptions/{}",
                        res.body["subscriptions"][0]["id"].as_str().unwrap()
                    ));
                }
            }
            Op::Seats { sub, delta } if !subs.is_empty() => {
                let url = &subs[sub % subs.len()];
                let got = app.get(url, ga).await;
                let quantity = got.body["quantity"].as_i64().unwrap_or(1);
                let etag = got.header("etag").unwrap();
                let res = app
                    .patch_if_match(
                        url,
                        ga,
                        &etag,
                        json!({ "quantity": (quantity + delta).max(1) }),
                    )
                    .await;
                assert!(!res.status.is_server_error(), "{}", res.text);
            }
            Op::Cancel { sub } if !subs.is_empty() => {
                let url = &subs[sub % subs.len()];
                let etag = app.get(url, ga).await.header("etag").unwrap();
                let res = app
                    .patch_if_match(url, ga, &etag, json!({ "status": "deleted" }))
                    .await;
                assert!(!res.status.is_server_error(), "{}", res.text);
            }
            Op::Advance { hours } => {
                now += chrono::Duration::hours(*hours);
                advance(app, ga, clock, now).await;
            }
            _ => {}
        }
    }
    // Past the next 1st, and at least into April (the held subscription has 3 cycles or more):
    // every month with a line is closed.
    let april = chrono::NaiveDate::from_ymd_opt(2027, 4, 1)
        .unwrap()
        .and_hms_opt(1, 0, 0)
        .unwrap();
    let next = (partner_center::domain::statement::Period::of(now).end()
        + chrono::Duration::hours(1))
    .max(april);
    advance(app, ga, clock, next).await;
    next
}

async fn advance(app: &TestApp, ga: &str, clock: &str, to: chrono::NaiveDateTime) {
    let res = app
        .post(
            &format!("/v1/test-clocks/{clock}/advance"),
            ga,
            json!({ "frozenTime": format!("{}Z", to.format("%Y-%m-%dT%H:%M:%S")) }),
        )
        .await;
    res.assert(200);
}

/// Checks every invariant of the module documentation on the rows of the database (`end`: the
/// clock's final time); returns how many statements, refund lines and unchanged subscriptions
/// charged for more than one cycle it saw.
async fn check(app: &TestApp, ops: &[Op], end: chrono::NaiveDateTime) -> (usize, usize, usize) {
    let ops = format!("{ops:?}");
    app.with_conn(move |conn| {
        use diesel::prelude::*;
        use partner_center::schema::{billing_line_items as b, statements as st};
        let lines: Vec<LineItemRow> = b::table
            .order(b::id.asc())
            .select(LineItemRow::as_select())
            .load(conn)
            .unwrap();
        let statements: Vec<StatementRow> = st::table
            .select(StatementRow::as_select())
            .load(conn)
            .unwrap();
        let closed: Vec<String> = {
            use partner_center::schema::billing_period_closes as pc;
            pc::table.select(pc::period).load(conn).unwrap()
        };
        for s in &statements {
            let (n, total) = line_sums(conn, s).unwrap();
            assert_eq!(
                (n, total),
                (s.line_count, s.total_minor),
                "statement {s:?} {ops}"
            );
        }
        for l in lines.iter().filter(|l| closed.contains(&l.billing_period)) {
            let on = |kind: BillTo, issuer: &partner_center::domain::Id, bill_to| {
                statements
                    .iter()
                    .filter(|s| {
                        s.bill_to_kind == kind
                            && s.issuer_id == *issuer
                            && s.bill_to_id == bill_to
                            && s.period == l.billing_period
                            && s.currency == l.currency
                    })
                    .count()
            };
            match l.reseller_id {
                Some(r) => {
                    assert_eq!(on(BillTo::Reseller, &l.provider_id, r), 1, "{l:?} {ops}");
                    let listed = usize::from(l.customer_price_list_id.is_some());
                    assert_eq!(
                        on(BillTo::Customer, &r, l.customer_id),
                        listed,
                        "{l:?} {ops}"
                    );
                    assert_eq!(on(BillTo::Customer, &l.provider_id, l.customer_id), 0);
                }
                None => assert_eq!(
                    on(BillTo::Customer, &l.provider_id, l.customer_id),
                    1,
                    "{l:?} {ops}"
                ),
            }
        }
        // Per subscription, in order: no refund takes back more than was charged.
        let mut running: std::collections::HashMap<_, (i64, i64, i64)> = Default::default();
        for l in &lines {
            let r = running.entry(l.subscription_id).or_default();
            r.0 += l.cost_total_minor;
            r.1 += l.reseller_total_minor.unwrap_or(0);
            r.2 += l.customer_total_minor;
            assert!(
                r.0 >= 0 && r.1 >= 0 && r.2 >= 0,
                "{l:?} refunds more than charged {ops}"
            );
        }
        // Held without changes: whole cycles, back to back, up to the clock's final time.
        let active: std::collections::HashSet<partner_center::domain::Id> = {
            use partner_center::schema::subscriptions as sub;
            sub::table
                .filter(sub::status.eq("active"))
                .select(sub::id)
                .load(conn)
                .unwrap()
                .into_iter()
                .collect()
        };
        let mut per_sub: std::collections::HashMap<_, Vec<&LineItemRow>> = Default::default();
        for l in &lines {
            per_sub.entry(l.subscription_id).or_default().push(l);
        }
        let unchanged = [ChargeType::New, ChargeType::CycleFee, ChargeType::Renew];
        let mut multi_cycle = 0;
        for (sub, ls) in &per_sub {
            if !active.contains(sub) || ls.iter().any(|l| !unchanged.contains(&l.charge_type)) {
                continue;
            }
            let mut ls = ls.clone();
            ls.sort_by_key(|l| l.charge_start_date);
            for l in &ls {
                let q = i64::from(l.quantity);
                assert_eq!(l.days, l.cycle_days, "not a whole cycle: {l:?} {ops}");
                assert_eq!(l.cost_total_minor, q * l.cost_unit_minor, "{l:?} {ops}");
                assert_eq!(
                    l.customer_total_minor,
                    q * l.customer_unit_minor,
                    "{l:?} {ops}"
                );
                if let Some(u) = l.reseller_unit_minor {
                    assert_eq!(l.reseller_total_minor, Some(q * u), "{l:?} {ops}");
                }
            }
            for pair in ls.windows(2) {
                assert_eq!(
                    pair[1].charge_start_date,
                    pair[0].charge_end_date.succ_opt().unwrap(),
                    "cycles not back to back: {:?} then {:?} {ops}",
                    pair[0],
                    pair[1]
                );
            }
            let last = ls.last().unwrap();
            assert!(
                last.charge_end_date >= end.date(),
                "the cycle holding the clock's time ({end}) is not charged: {last:?} {ops}"
            );
            // quantity × unit price × cycles, the cycles counted from the first and last dates.
            let first = ls[0];
            if ls.iter().all(|l| {
                l.quantity == first.quantity && l.customer_unit_minor == first.customer_unit_minor
            }) {
                let sum: i64 = ls.iter().map(|l| l.customer_total_minor).sum();
                let cycles = ls.len() as i64;
                assert_eq!(
                    sum,
                    i64::from(first.quantity) * first.customer_unit_minor * cycles,
                    "{ops}"
                );
            }
            if ls.len() > 1 {
                multi_cycle += 1;
            }
        }
        let refunds = lines.iter().filter(|l| l.customer_total_minor < 0).count();
        (statements.len(), refunds, multi_cycle)
    })
    .await
}

#[actix_web::test]
async fn random_histories_keep_the_billing_invariants() {
    let mut runner = TestRunner::deterministic();
    let strategy = proptest::collection::vec(op(), 4..14);
    let (mut statements, mut refunds, mut multi_cycle) = (0, 0, 0);
    for _ in 0..CASES {
        let ops = strategy.new_tree(&mut runner).unwrap().current();
        let app = TestApp::new().await;
        let ga = app.token(PROVIDER_GA).await;
        let (clock, customers) = world(&app, &ga).await;
        let end = walk(&app, &ga, &clock, &customers, &ops).await;
        let (s, r, m) = check(&app, &ops, end).await;
        statements += s;
        refunds += r;
        multi_cycle += m;
    }
    // The walks reached what the checks are about.
    assert!(
        statements > 0 && refunds > 0 && multi_cycle > 0,
        "{statements} statements, {refunds} refunds, {multi_cycle} unchanged subscriptions \
         charged for more than one cycle"
    );
}
