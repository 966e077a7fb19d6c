//! The catalog: listing, filters, paging, reading one offer, permissions, and the
//! `catalog import` CLI (run as a binary against a temporary SQLite file).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use partner_center::models::offer::OfferRow;
use serde_json::{Value, json};

use crate::harness::*;

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect()
}

#[actix_rt::test]
async fn list_offers_returns_the_sample_catalog_with_integer_money() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_HA).await;
    let res = app.get("/v1/offers?limit=500", &token).await;
    res.assert(200);
    let items = res.items();
    assert_eq!(items.len(), 13, "{}", res.text);
    let listed = ids(&items);
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(listed, sorted, "offers are not in id order");
    let standard = items
        .iter()
        .find(|o| o["id"] == M365_BUSINESS_STANDARD)
        .unwrap();
    assert_eq!(
        standard["unitPrice"],
        json!({ "amountMinor": 1250, "currency": "USD" })
    );
    assert_eq!(standard["billingCycles"], json!(["monthly", "annual"]));
    assert_eq!(
        standard["upgradeTargetOfferIds"],
        json!([M365_BUSINESS_PREMIUM])
    );
    assert!(
        items.iter().all(|o| o["unitPrice"]["amountMinor"].is_i64()),
        "a price is not an integer"
    );
    let azure = items.iter().find(|o| o["id"] == AZURE_PLAN).unwrap();
    assert_eq!(azure["limitPerCustomer"], 1);
}

#[actix_rt::test]
async fn list_offers_filters_by_family_name_prefix_and_add_on() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_SA).await;
    let exchange = app.get("/v1/offers?productFamily=Exchange", &token).await;
    assert_eq!(
        ids(&exchange.items()),
        [
            EXCHANGE_ONLINE_PLAN_1,
            EXCHANGE_ONLINE_PLAN_2,
            EXCHANGE_ONLINE_ARCHIVING
        ]
    );
    let business = app
        .get("/v1/offers?q=MICROSOFT%20365%20business%20b", &token)
        .await;
    assert_eq!(
        ids(&business.items()),
        [M365_BUSINESS_BASIC, M365_BUSINESS_BASIC_EUR]
    );
    let add_ons = app.get("/v1/offers?isAddOn=true", &token).await;
    assert_eq!(add_ons.items().len(), 4);
    assert!(add_ons.items().iter().all(|o| o["isAddOn"] == true));
    let none = app
        .get("/v1/offers?productFamily=Teams&isAddOn=false", &token)
        .await;
    assert!(none.items().is_empty());
    let wildcard = app.get("/v1/offers?q=%25", &token).await;
    assert!(wildcard.items().is_empty(), "% must be matched literally");
    app.get("/v1/offers?isAddOn=maybe", &token)
        .await
        .assert_problem(422, "validation_failed");
}

#[actix_rt::test]
async fn list_offers_pages_by_id_without_gaps() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_SA).await;
    let mut seen = Vec::new();
    let mut url = "/v1/offers?limit=5".to_owned();
    loop {
        let res = app.get(&url, &token).await;
        res.assert(200);
        assert!(res.items().len() <= 5);
        seen.extend(ids(&res.items()));
        match res.body["links"]["next"].as_str() {
            Some(next) => url = next.to_owned(),
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(seen.len(), 13);
    assert_eq!(unique, seen, "pages overlap or are out of order");
}

#[actix_rt::test]
async fn get_offer_reads_one_with_etag_and_unknown_is_404() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_AA).await;
    let res = app.get(&format!("/v1/offers/{COPILOT_M365}"), &token).await;
    res.assert(200);
    assert_eq!(res.header("etag").unwrap(), "\"v1\"", "the row version");
    assert_eq!(res.body["isAddOn"], true);
    assert_eq!(res.body["billingCycles"], json!(["annual"]));
    assert!(
        res.body["prerequisiteOfferIds"]
            .as_array()
            .unwrap()
            .contains(&json!(M365_E3))
    );
    app.get(&format!("/v1/offers/{UNKNOWN_OFFER}"), &token)
        .await
        .assert_problem(404, "not_found");
    let bad = app.get("/v1/offers/no-such-offer", &token).await;
    bad.assert_problem(422, "validation_failed");
    assert_eq!(bad.body["errors"][0]["field"], "offerId");
}

#[actix_rt::test]
async fn offer_read_permission_covers_every_partner_role_but_not_customers() {
    let app = TestApp::new().await;
    for user in [
        PROVIDER_GA,
        PROVIDER_UMA,
        PROVIDER_AA,
        PROVIDER_SA,
        PROVIDER_HA,
        PARTNERED_HA,
    ] {
        let token = app.token(user).await;
        app.get("/v1/offers", &token).await.assert(200);
        app.get(&format!("/v1/offers/{AZURE_PLAN}"), &token)
            .await
            .assert(200);
    }
    let customer = app.token(ADATUM_ADMIN).await;
    app.get("/v1/offers", &customer)
        .await
        .assert_problem(403, "insufficient_role");
}

struct TempDb(PathBuf);

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}

fn temp_path(ext: &str) -> PathBuf {
    std::env::temp_dir().join(format!("pc-cli-{}.{ext}", uuid::Uuid::new_v4().simple()))
}

fn import(database: &Path, file: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_partner-center"))
        .args(["catalog", "import"])
        .arg(file)
        .current_dir(std::env::temp_dir())
        .env("DATABASE_URL", database)
        .env("RUST_LOG", "error")
        .output()
        .expect("run partner-center")
}

fn offers_in(database: &Path) -> Vec<OfferRow> {
    use diesel::prelude::*;
    let pool = partner_center::db::pool(&database.display().to_string()).expect("pool");
    let mut conn = pool.get().expect("conn");
    partner_center::schema::offers::table
        .order(partner_center::schema::offers::id)
        .select(OfferRow::as_select())
        .load(&mut *conn)
        .expect("offers")
}

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/catalog.json");

#[test]
fn catalog_import_cli_imports_then_updates_in_place() {
    let db = TempDb(temp_path("db"));
    let first = import(&db.0, Path::new(SAMPLE));
    let out = String::from_utf8_lossy(&first.stdout);
    assert!(
        first.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(out.contains("13 created, 0 updated"), "{out}");
    let before = offers_in(&db.0);
    assert_eq!(before.len(), 13);

    let second = import(&db.0, Path::new(SAMPLE));
    let out = String::from_utf8_lossy(&second.stdout);
    assert!(second.status.success(), "{out}");
    assert!(out.contains("0 created, 13 updated"), "{out}");
    let after = offers_in(&db.0);
    assert_eq!(after.len(), 13);
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(b.id, a.id);
        assert_eq!(b.created_at, a.created_at, "{} was recreated", a.id);
        assert_eq!(
            a.version,
            b.version + 1,
            "{}: an update advances the version",
            a.id
        );
        assert_eq!(b.unit_price_minor, a.unit_price_minor);
    }

    let mut changed: Value =
        serde_json::from_str(&std::fs::read_to_string(SAMPLE).unwrap()).unwrap();
    changed["offers"][0]["unitPrice"]["amountMinor"] = json!(650);
    let file = temp_path("json");
    std::fs::write(&file, changed.to_string()).unwrap();
    let third = import(&db.0, &file);
    let _ = std::fs::remove_file(&file);
    assert!(third.status.success());
    let basic = offers_in(&db.0)
        .into_iter()
        .find(|o| o.id.as_str() == M365_BUSINESS_BASIC)
        .unwrap();
    assert_eq!(
        basic.unit_price_minor, 650,
        "the price was not updated in place"
    );
}

#[test]
fn catalog_import_cli_rejects_an_invalid_file_naming_each_problem_and_imports_nothing() {
    let db = TempDb(temp_path("db"));
    let good = |id: &str| {
        json!({
            "id": id, "name": "Good", "description": "", "productFamily": "Tests",
            "minQuantity": 1, "maxQuantity": 10,
            "unitPrice": { "amountMinor": 100, "currency": "USD" },
            "billingCycles": ["monthly"], "isAddOn": false,
            "prerequisiteOfferIds": [], "upgradeTargetOfferIds": [], "limitPerCustomer": null
        })
    };
    let mut bad = good("bad-offer");
    bad["minQuantity"] = json!(0);
    bad["maxQuantity"] = json!(2_000_000);
    bad["unitPrice"] = json!({ "amountMinor": -1, "currency": "usd" });
    bad["billingCycles"] = json!(["weekly"]);
    bad["isAddOn"] = json!(true);
    bad["upgradeTargetOfferIds"] = json!(["missing-offer"]);
    bad["limitPerCustomer"] = json!(0);
    let file_body = json!({ "offers": [good("bad id!"), bad, good("fine"), good("fine")] });
    let file = temp_path("json");
    std::fs::write(&file, file_body.to_string()).unwrap();
    let out = import(&db.0, &file);
    let _ = std::fs::remove_file(&file);
    assert!(!out.status.success(), "an invalid catalog was accepted");
    let err = String::from_utf8_lossy(&out.stderr);
    for field in [
        "offers[0].id",
        "offers[1].minQuantity",
        "offers[1].maxQuantity",
        "offers[1].unitPrice.amountMinor",
        "offers[1].unitPrice.currency",
        "offers[1].billingCycles[0]",
        "offers[1].prerequisiteOfferIds",
        "offers[1].upgradeTargetOfferIds[0]",
        "offers[1].limitPerCustomer",
        "offers[3].id",
    ] {
        assert!(err.contains(field), "{field} not named in: {err}");
    }
    assert!(
        offers_in(&db.0).is_empty(),
        "part of an invalid file was imported"
    );
}
