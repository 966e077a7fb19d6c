//! Keyset paging at depth: a cursor deep in a large collection returns exactly the rows that
//! follow it, on both databases (rows inserted by SQL, as the benchmark seeds them).

use crate::harness::*;

/// The id of the `i`-th bulk row: sorts before every id the app generates (UUIDv7 of today).
fn bulk_id(i: usize) -> String {
    format!("00000000-0000-7000-8000-{i:012x}")
}

fn cursor(id: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id)
}

const AT: &str = "'2026-01-01 00:00:00'";

/// Inserts `n` customers related to `partner_id` (ids [`bulk_id`] 1..=n).
async fn bulk_customers(app: &TestApp, partner_id: &str, n: usize) {
    let customers: Vec<String> = (1..=n)
        .map(|i| {
            format!(
                "('{}', 'Bulk {i}', 'bulk{i}.example', 'b@bulk{i}.example', 'en-US', '1 Main St', \
                 NULL, 'Redmond', NULL, '98052', 'US', 1, {AT}, {AT})",
                bulk_id(i)
            )
        })
        .collect();
    app.execute_sql(&format!(
        "INSERT INTO customers (id, company_name, domain, billing_email, culture, address_line1, \
         address_line2, city, state, postal_code, country, version, created_at, updated_at) VALUES {}",
        customers.join(", ")
    ))
    .await;
    let relationships: Vec<String> = (1..=n)
        .map(|i| {
            format!(
                "('{}', '{partner_id}', '{}', TRUE, {AT}, {AT})",
                bulk_id(1_000_000 + i),
                bulk_id(i)
            )
        })
        .collect();
    app.execute_sql(&format!(
        "INSERT INTO customer_relationships (id, partner_id, customer_id, delegated_admin, \
         created_at, updated_at) VALUES {}",
        relationships.join(", ")
    ))
    .await;
}

fn ids(res: &Res) -> Vec<String> {
    res.items()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

#[actix_rt::test]
async fn list_customers_with_a_deep_cursor_returns_the_rows_after_it() {
    let app = TestApp::new().await;
    let provider = app.tenant_id(PROVIDER_AA).await;
    bulk_customers(&app, &provider, 400).await;
    let token = app.token(PROVIDER_AA).await;
    let res = app
        .get(
            &format!("/v1/customers?limit=5&cursor={}", cursor(&bulk_id(350))),
            &token,
        )
        .await;
    res.assert(200);
    assert_eq!(ids(&res), (351..=355).map(bulk_id).collect::<Vec<_>>());
    // The last bulk rows are followed by the demo customers, in id order.
    let res = app
        .get(
            &format!("/v1/customers?limit=4&cursor={}", cursor(&bulk_id(398))),
            &token,
        )
        .await;
    res.assert(200);
    let got = ids(&res);
    assert_eq!(got[..2], [bulk_id(399), bulk_id(400)]);
    assert_eq!(got.len(), 4, "two demo customers follow: {got:?}");
    assert!(got[2] < got[3] && got[2].as_str() > bulk_id(400).as_str());
}

#[actix_rt::test]
async fn list_audit_records_with_a_deep_cursor_returns_the_rows_after_it() {
    let app = TestApp::new().await;
    let provider = app.tenant_id(PROVIDER_GA).await;
    let rows: Vec<String> = (1..=400)
        .map(|i| {
            format!(
                "('{}', '{provider}', NULL, 'system', NULL, 'bulk', 'update_customer', 'customer', \
                 'r{i}', NULL, NULL, 'bulk', {AT})",
                bulk_id(i)
            )
        })
        .collect();
    app.execute_sql(&format!(
        "INSERT INTO audit_records (id, partner_id, customer_id, actor_type, actor_id, actor_name, \
         operation_type, resource_type, resource_id, old_value, new_value, request_id, created_at) \
         VALUES {}",
        rows.join(", ")
    ))
    .await;
    let token = app.token(PROVIDER_GA).await;
    let res = app
        .get(
            &format!("/v1/audit-records?limit=3&cursor={}", cursor(&bulk_id(300))),
            &token,
        )
        .await;
    res.assert(200);
    assert_eq!(ids(&res), (301..=303).map(bulk_id).collect::<Vec<_>>());
}
