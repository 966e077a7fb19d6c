//! Upgrades: the targets with eligibility reasons, upgrading all or some licenses atomically,
//! each refusal, DAP, and the permission cells.

use partner_center::models::relationship::RelationshipRow;
use serde_json::json;

use crate::harness::*;

/// Tailspin with Business Basic ×10 (monthly, Northwind on record) bought by the provider.
async fn basic_for_tailspin(app: &TestApp) -> (String, String, String) {
    let sa = app.token(PROVIDER_SA).await;
    let northwind = app.tenant_id_of_token(&app.token(PARTNERED_GA).await).await;
    let tailspin = app.customer_id("tailspin.example").await;
    let placed = app
        .order(
            &sa,
            &tailspin,
            vec![line(
                M365_BUSINESS_BASIC,
                10,
                "monthly",
                Some(northwind.as_str()),
            )],
        )
        .await;
    let id = placed["subscriptions"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    (tailspin, id, northwind)
}

fn upgrades(customer: &str, subscription: &str) -> String {
    format!("/v1/customers/{customer}/subscriptions/{subscription}/upgrades")
}

/// `(offer id, eligible, reasons)` of each listed target.
fn options(res: &Res) -> Vec<(String, bool, Vec<String>)> {
    res.assert(200);
    res.items()
        .iter()
        .map(|o| {
            (
                o["offer"]["id"].as_str().unwrap().to_owned(),
                o["eligible"].as_bool().unwrap(),
                o["reasons"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r.as_str().unwrap().to_owned())
                    .collect(),
            )
        })
        .collect()
}

async fn remove_dap(app: &TestApp, partner: &str, customer: &str) {
    let (p, c) = (partner.parse().unwrap(), customer.parse().unwrap());
    app.with_conn(move |conn| {
        let rel = RelationshipRow::find(conn, p, c).unwrap().unwrap();
        RelationshipRow::set_delegated_admin(conn, &rel.id, false).unwrap();
    })
    .await;
}

#[actix_rt::test]
async fn list_upgrades_shows_each_target_with_its_eligibility_reasons() {
    let app = TestApp::new().await;
    let (tailspin, basic, northwind) = basic_for_tailspin(&app).await;
    let token = app.token(PROVIDER_HA).await;
    let url = upgrades(&tailspin, &basic);
    assert_eq!(
        options(&app.get(&url, &token).await),
        [
            (M365_BUSINESS_STANDARD.to_owned(), true, vec![]),
            (M365_BUSINESS_PREMIUM.to_owned(), true, vec![]),
        ]
    );
    let sa = app.token(PROVIDER_SA).await;
    app.order(
        &sa,
        &tailspin,
        vec![line(M365_BUSINESS_PREMIUM, 1, "monthly", None)],
    )
    .await;
    let owned = options(&app.get(&url, &token).await);
    assert_eq!(owned[0], (M365_BUSINESS_STANDARD.to_owned(), true, vec![]));
    assert_eq!(
        owned[1],
        (
            M365_BUSINESS_PREMIUM.to_owned(),
            false,
            vec!["already_owned".to_owned()]
        )
    );
    app.patch(
        &format!("/v1/customers/{tailspin}/subscriptions/{basic}"),
        &sa,
        json!({ "status": "suspended" }),
    )
    .await
    .assert(200);
    let suspended = options(&app.get(&url, &token).await);
    assert!(
        suspended
            .iter()
            .all(|(_, ok, r)| !ok && r.contains(&"subscription_not_active".to_owned())),
        "{suspended:?}"
    );
    remove_dap(&app, &northwind, &tailspin).await;
    let reseller = app.token(PARTNERED_SA).await;
    let no_dap = options(&app.get(&url, &reseller).await);
    assert!(
        no_dap
            .iter()
            .all(|(_, _, r)| r.contains(&"delegated_admin_required".to_owned())),
        "{no_dap:?}"
    );
}

#[actix_rt::test]
async fn upgrade_of_all_licenses_suspends_the_source_and_creates_the_target() {
    let app = TestApp::new().await;
    let (tailspin, basic, northwind) = basic_for_tailspin(&app).await;
    let token = app.token(PROVIDER_AA).await;
    let provider = app.tenant_id_of_token(&token).await;
    let res = app
        .post(
            &upgrades(&tailspin, &basic),
            &token,
            json!({ "targetOfferId": M365_BUSINESS_STANDARD }),
        )
        .await;
    res.assert(201);
    let (source, target) = (&res.body["source"], &res.body["target"]);
    assert_eq!(source["id"], basic.as_str());
    assert_eq!(source["status"], "suspended");
    assert_eq!(source["quantity"], 10);
    assert_eq!(target["offerId"], M365_BUSINESS_STANDARD);
    assert_eq!(target["friendlyName"], "Microsoft 365 Business Standard");
    assert_eq!(target["quantity"], 10);
    assert_eq!(target["status"], "active");
    assert_eq!(target["billingCycle"], "monthly");
    assert_eq!(target["partnerIdOnRecord"], northwind.as_str());
    assert_eq!(target["supportContactPartnerId"], provider.as_str());
    assert_eq!(target["billingPartnerId"], provider.as_str());
    assert_eq!(
        res.header("location").unwrap(),
        format!(
            "/v1/customers/{tailspin}/subscriptions/{}",
            target["id"].as_str().unwrap()
        )
    );
    let list = app
        .get(&format!("/v1/customers/{tailspin}/subscriptions"), &token)
        .await;
    assert_eq!(list.items().len(), 2);
    assert_eq!(app.audit_count(&tailspin, "upgrade_subscription").await, 1);
    app.post(
        &upgrades(&tailspin, &basic),
        &token,
        json!({ "targetOfferId": M365_BUSINESS_PREMIUM }),
    )
    .await
    .assert_problem(409, "subscription_not_active");
}

#[actix_rt::test]
async fn upgrade_of_some_licenses_reduces_the_source() {
    let app = TestApp::new().await;
    let (tailspin, basic, _) = basic_for_tailspin(&app).await;
    let token = app.token(PROVIDER_SA).await;
    let url = upgrades(&tailspin, &basic);
    let too_many = app
        .post(
            &url,
            &token,
            json!({ "targetOfferId": M365_BUSINESS_PREMIUM, "quantity": 11 }),
        )
        .await;
    too_many.assert_problem(422, "quantity_out_of_range");
    assert_eq!(too_many.body["errors"][0]["field"], "quantity");
    let res = app
        .post(
            &url,
            &token,
            json!({ "targetOfferId": M365_BUSINESS_PREMIUM, "quantity": 4 }),
        )
        .await;
    res.assert(201);
    assert_eq!(res.body["source"]["status"], "active");
    assert_eq!(res.body["source"]["quantity"], 6);
    assert_eq!(res.body["target"]["quantity"], 4);
    let again = app
        .post(
            &url,
            &token,
            json!({ "targetOfferId": M365_BUSINESS_PREMIUM, "quantity": 1 }),
        )
        .await;
    again.assert_problem(409, "already_owned");
    assert_eq!(again.body["errors"][0]["field"], "targetOfferId");
}

#[actix_rt::test]
async fn upgrade_refuses_unlisted_targets_and_quantities_outside_either_offer() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_SA).await;
    let adatum = app.customer_id("adatum.example").await;
    let placed = app
        .order(&token, &adatum, vec![line(M365_E3, 6, "annual", None)])
        .await;
    let e3 = placed["subscriptions"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let url = upgrades(&adatum, &e3);
    for target in [M365_BUSINESS_BASIC, UNKNOWN_OFFER] {
        let res = app
            .post(&url, &token, json!({ "targetOfferId": target }))
            .await;
        res.assert_problem(422, "upgrade_not_available");
        assert_eq!(res.body["errors"][0]["field"], "targetOfferId");
    }
    // E5 needs at least 5 licenses, and E3 may not keep fewer than 5.
    for quantity in [3, 5] {
        let res = app
            .post(
                &url,
                &token,
                json!({ "targetOfferId": M365_E5, "quantity": quantity }),
            )
            .await;
        res.assert_problem(422, "quantity_out_of_range");
        assert_eq!(res.body["errors"][0]["field"], "quantity");
    }
    let all = app
        .post(&url, &token, json!({ "targetOfferId": M365_E5 }))
        .await;
    all.assert(201);
    assert_eq!(all.body["target"]["quantity"], 6);
    assert_eq!(all.body["target"]["billingCycle"], "annual");
}

#[actix_rt::test]
async fn upgrade_needs_delegated_admin_privileges() {
    let app = TestApp::new().await;
    let (tailspin, basic, northwind) = basic_for_tailspin(&app).await;
    let reseller = app.token(PARTNERED_AA).await;
    remove_dap(&app, &northwind, &tailspin).await;
    app.post(
        &upgrades(&tailspin, &basic),
        &reseller,
        json!({ "targetOfferId": M365_BUSINESS_STANDARD }),
    )
    .await
    .assert_problem(403, "delegated_admin_required");
    let provider = app.token(PROVIDER_SA).await;
    let read = app
        .get(
            &format!("/v1/customers/{tailspin}/subscriptions/{basic}"),
            &provider,
        )
        .await;
    assert_eq!(read.body["status"], "active");
}

#[actix_rt::test]
async fn upgrade_permissions_follow_the_role_table() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    for (i, (user, allowed)) in [
        (PROVIDER_GA, true),
        (PROVIDER_UMA, false),
        (PROVIDER_AA, true),
        (PROVIDER_SA, true),
        (PROVIDER_HA, false),
    ]
    .into_iter()
    .enumerate()
    {
        let domain = format!("upgrade{i}.example");
        let created = app.create_customer(&ga, "Upgrade Co", &domain, None).await;
        let customer = created["customer"]["id"].as_str().unwrap().to_owned();
        let placed = app
            .order(
                &ga,
                &customer,
                vec![line(EXCHANGE_ONLINE_PLAN_1, 2, "monthly", None)],
            )
            .await;
        let source = placed["subscriptions"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let token = app.token(user).await;
        let res = app
            .post(
                &upgrades(&customer, &source),
                &token,
                json!({ "targetOfferId": EXCHANGE_ONLINE_PLAN_2 }),
            )
            .await;
        if allowed {
            res.assert(201);
        } else {
            res.assert_problem(403, "insufficient_role");
        }
    }
    // A reseller with DAP that the subscription is attributed to may upgrade it too.
    let (tailspin, basic, _) = basic_for_tailspin(&app).await;
    let reseller = app.token(PARTNERED_SA).await;
    app.post(
        &upgrades(&tailspin, &basic),
        &reseller,
        json!({ "targetOfferId": M365_BUSINESS_STANDARD }),
    )
    .await
    .assert(201);
}
