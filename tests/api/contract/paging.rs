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

#[actix_rt::test]
async fn every_list_with_a_made_up_cursor_answers_400_invalid_cursor() {
    let app = TestApp::new().await;
    let doc = app
        .call(
            actix_web::http::Method::GET,
            "/api-docs/openapi.json",
            None,
            None,
        )
        .await
        .body;
    let tokens = [
        app.token(PROVIDER_GA).await,
        app.token(ADATUM_ADMIN).await,
        app.token(PARTNERED_GA).await,
    ];
    let mut lists = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        let Some(get) = item.get("get") else { continue };
        let params = get["parameters"].as_array().cloned().unwrap_or_default();
        if !params.iter().any(|p| p["name"] == "cursor") {
            continue;
        }
        lists += 1;
        assert!(
            get["responses"]["400"]["description"]
                .as_str()
                .is_some_and(|d| d.contains("invalid_cursor")),
            "GET {path} does not document 400 invalid_cursor"
        );
        // Any well-formed id will do: the cursor is refused before anything is looked up.
        let uri = path
            .split('/')
            .map(|s| {
                if s.starts_with('{') {
                    "019a8f3c-1100-7000-8000-0000000000ff"
                } else {
                    s
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        let mut refused = false;
        for token in &tokens {
            let res = app.get(&format!("{uri}?cursor=garbage"), token).await;
            if res.status == 403 {
                continue;
            }
            res.assert_problem(400, "invalid_cursor");
            refused = true;
        }
        assert!(refused, "GET {path}: no demo caller may list it");
    }
    assert!(lists >= 10, "only {lists} lists found");
}
