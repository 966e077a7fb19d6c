//! Subscriptions: filters and paging, the wire shape, PATCH (licenses, suspend, reactivate,
//! auto-renew, name, reseller of record) with If-Match and a compare-and-swap that lets one of
//! several concurrent writers win, reseller visibility, and the permission cells.

use actix_web::http::Method;
use futures::future::join_all;
use serde_json::json;

use crate::harness::*;

/// Tailspin (administered by Northwind with DAP) with three subscriptions bought by the
/// provider: Standard ×10 with Northwind on record, Basic ×5 annual, Exchange Plan 1 ×3.
struct Fixture {
    app: TestApp,
    provider: String,
    northwind: String,
    tailspin: String,
    standard: String,
    basic: String,
    exchange: String,
}

impl Fixture {
    async fn new() -> Fixture {
        let app = TestApp::new().await;
        let sa = app.token(PROVIDER_SA).await;
        let provider = app.tenant_id_of_token(&sa).await;
        let northwind = app.tenant_id_of_token(&app.token(PARTNERED_GA).await).await;
        let tailspin = app.customer_id("tailspin.example").await;
        let placed = app
            .order(
                &sa,
                &tailspin,
                vec![
                    line(
                        M365_BUSINESS_STANDARD,
                        10,
                        "monthly",
                        Some(northwind.as_str()),
                    ),
                    line(M365_BUSINESS_BASIC, 5, "annual", None),
                    line(EXCHANGE_ONLINE_PLAN_1, 3, "monthly", None),
                ],
            )
            .await;
        let id = |i: usize| {
            placed["subscriptions"][i]["id"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        Fixture {
            standard: id(0),
            basic: id(1),
            exchange: id(2),
            app,
            provider,
            northwind,
            tailspin,
        }
    }

    fn url(&self, id: &str) -> String {
        format!("/v1/customers/{}/subscriptions/{id}", self.tailspin)
    }

    fn list(&self, query: &str) -> String {
        format!("/v1/customers/{}/subscriptions?{query}", self.tailspin)
    }

    fn ids(res: &Res) -> Vec<String> {
        res.items()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_owned())
            .collect()
    }
}

#[actix_rt::test]
async fn list_subscriptions_filters_by_status_offer_and_reseller_of_record() {
    let f = Fixture::new().await;
    let token = f.app.token(PROVIDER_HA).await;
    let sa = f.app.token(PROVIDER_SA).await;
    f.app
        .patch(&f.url(&f.exchange), &sa, json!({ "status": "suspended" }))
        .await
        .assert(200);
    let all = f.app.get(&f.list(""), &token).await;
    assert_eq!(
        Fixture::ids(&all),
        [f.standard.as_str(), f.basic.as_str(), f.exchange.as_str()]
    );
    let suspended = f.app.get(&f.list("status=suspended"), &token).await;
    assert_eq!(Fixture::ids(&suspended), [f.exchange.as_str()]);
    let active = f.app.get(&f.list("status=active"), &token).await;
    assert_eq!(
        Fixture::ids(&active),
        [f.standard.as_str(), f.basic.as_str()]
    );
    let basic = f
        .app
        .get(&f.list(&format!("offerId={M365_BUSINESS_BASIC}")), &token)
        .await;
    assert_eq!(Fixture::ids(&basic), [f.basic.as_str()]);
    let on_record = f
        .app
        .get(
            &f.list(&format!("partnerIdOnRecord={}", f.northwind)),
            &token,
        )
        .await;
    assert_eq!(Fixture::ids(&on_record), [f.standard.as_str()]);
    let paged = f.app.get(&f.list("limit=2"), &token).await;
    assert_eq!(paged.items().len(), 2);
    let rest = f
        .app
        .get(paged.body["links"]["next"].as_str().unwrap(), &token)
        .await;
    assert_eq!(Fixture::ids(&rest), [f.exchange.as_str()]);
    let bad = f.app.get(&f.list("status=cancelled"), &token).await;
    bad.assert_problem(422, "validation_failed");
    assert_eq!(bad.body["errors"][0]["field"], "status");
}

#[actix_rt::test]
async fn get_subscription_shows_every_field_with_an_etag() {
    let f = Fixture::new().await;
    let token = f.app.token(PROVIDER_AA).await;
    let res = f.app.get(&f.url(&f.standard), &token).await;
    res.assert(200);
    assert_eq!(res.header("etag").as_deref(), Some("\"v1\""));
    let s = &res.body;
    assert_eq!(s["id"], f.standard.as_str());
    assert_eq!(s["customerId"], f.tailspin.as_str());
    assert_eq!(s["offerId"], M365_BUSINESS_STANDARD);
    assert_eq!(s["offerName"], "Microsoft 365 Business Standard");
    assert_eq!(s["quantity"], 10);
    assert_eq!(s["status"], "active");
    assert_eq!(s["billingCycle"], "monthly");
    assert_eq!(s["autoRenew"], true);
    assert_eq!(s["friendlyName"], "Microsoft 365 Business Standard");
    assert_eq!(s["billingPartnerId"], f.provider.as_str());
    assert_eq!(s["partnerIdOnRecord"], f.northwind.as_str());
    assert_eq!(s["supportContactPartnerId"], f.provider.as_str());
    assert!(s["orderId"].is_string());
    assert!(s["createdAt"].is_string() && s["updatedAt"].is_string());
    f.app
        .get(&f.url(&uuid::Uuid::now_v7().to_string()), &token)
        .await
        .assert_problem(404, "not_found");
}

#[actix_rt::test]
async fn update_subscription_adds_licenses_suspends_reactivates_and_audits() {
    let f = Fixture::new().await;
    let token = f.app.token(PROVIDER_SA).await;
    let url = f.url(&f.standard);
    let etag = f.app.get(&url, &token).await.header("etag").unwrap();
    let more = f
        .app
        .send(request_with(
            Method::PATCH,
            &url,
            &token,
            Some(json!({ "quantity": 15 })),
            &[("If-Match", &etag)],
        ))
        .await;
    more.assert(200);
    assert_eq!(more.body["quantity"], 15);
    assert_ne!(more.header("etag").unwrap(), etag);
    let suspended = f
        .app
        .patch(&url, &token, json!({ "status": "suspended" }))
        .await;
    suspended.assert(200);
    assert_eq!(suspended.body["status"], "suspended");
    f.app
        .patch(&url, &token, json!({ "quantity": 20 }))
        .await
        .assert_problem(409, "subscription_suspended");
    let back = f
        .app
        .patch(&url, &token, json!({ "status": "active", "quantity": 20 }))
        .await;
    back.assert(200);
    assert_eq!(back.body["status"], "active");
    assert_eq!(back.body["quantity"], 20);
    let renamed = f
        .app
        .patch(
            &url,
            &token,
            json!({ "autoRenew": false, "friendlyName": "HQ seats" }),
        )
        .await;
    renamed.assert(200);
    assert_eq!(renamed.body["autoRenew"], false);
    assert_eq!(renamed.body["friendlyName"], "HQ seats");
    f.app
        .patch(&url, &token, json!({ "status": "cancelled" }))
        .await
        .assert_problem(422, "validation_failed");

    let ga = f.app.token(PROVIDER_GA).await;
    let audit = f
        .app
        .get(
            &format!(
                "/v1/audit-records?customerId={}&operationType=update_subscription",
                f.tailspin
            ),
            &ga,
        )
        .await;
    let records = audit.items();
    assert_eq!(records.len(), 4, "{}", audit.text);
    assert_eq!(records[0]["resourceId"], f.standard.as_str());
    assert_eq!(records[0]["oldValue"]["quantity"], 10);
    assert_eq!(records[0]["newValue"]["quantity"], 15);
    assert_eq!(records[1]["newValue"]["status"], "suspended");
}

#[actix_rt::test]
async fn update_subscription_refuses_a_quantity_outside_the_offer_range() {
    let f = Fixture::new().await;
    let token = f.app.token(PROVIDER_AA).await;
    let url = f.url(&f.basic);
    let over = f.app.patch(&url, &token, json!({ "quantity": 301 })).await;
    over.assert_problem(422, "quantity_out_of_range");
    assert_eq!(over.body["errors"][0]["field"], "quantity");
    let zero = f.app.patch(&url, &token, json!({ "quantity": 0 })).await;
    zero.assert_problem(422, "validation_failed");
    assert_eq!(zero.body["errors"][0]["field"], "quantity");
    let read = f.app.get(&url, &token).await;
    assert_eq!(read.body["quantity"], 5);
    assert_eq!(read.header("etag").as_deref(), Some("\"v1\""));
}

#[actix_rt::test]
async fn update_subscription_sets_and_clears_the_reseller_of_record() {
    let f = Fixture::new().await;
    let token = f.app.token(PROVIDER_SA).await;
    let fabrikam = f
        .app
        .tenant_id_of_token(&f.app.token(RESELLER_GA).await)
        .await;
    let url = f.url(&f.basic);
    let refused = f
        .app
        .patch(&url, &token, json!({ "partnerIdOnRecord": fabrikam }))
        .await;
    refused.assert_problem(422, "partnership_required");
    assert_eq!(refused.body["errors"][0]["field"], "partnerIdOnRecord");
    let set = f
        .app
        .patch(&url, &token, json!({ "partnerIdOnRecord": f.northwind }))
        .await;
    set.assert(200);
    assert_eq!(set.body["partnerIdOnRecord"], f.northwind.as_str());
    let untouched = f
        .app
        .patch(&url, &token, json!({ "autoRenew": false }))
        .await;
    assert_eq!(untouched.body["partnerIdOnRecord"], f.northwind.as_str());
    let cleared = f
        .app
        .patch(&url, &token, json!({ "partnerIdOnRecord": null }))
        .await;
    cleared.assert(200);
    assert!(cleared.body["partnerIdOnRecord"].is_null());
    let reseller = f.app.token(PARTNERED_GA).await;
    f.app
        .patch(
            &f.url(&f.standard),
            &reseller,
            json!({ "partnerIdOnRecord": null }),
        )
        .await
        .assert_problem(403, "indirect_provider_required");
}

#[actix_rt::test]
async fn concurrent_updates_with_one_etag_have_one_winner_and_no_lost_update() {
    let f = Fixture::new().await;
    let token = f.app.token(PROVIDER_SA).await;
    let url = f.url(&f.standard);
    let etag = f.app.get(&url, &token).await.header("etag").unwrap();
    let results = join_all((11..=15).map(|q| {
        f.app.send(request_with(
            Method::PATCH,
            &url,
            &token,
            Some(json!({ "quantity": q })),
            &[("If-Match", &etag)],
        ))
    }))
    .await;
    let winners: Vec<&Res> = results
        .iter()
        .filter(|r| r.status.as_u16() == 200)
        .collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    for r in results.iter().filter(|r| r.status.as_u16() != 200) {
        r.assert_problem(412, "precondition_failed");
    }
    let read = f.app.get(&url, &token).await;
    assert_eq!(read.body["quantity"], winners[0].body["quantity"]);
    assert_eq!(read.header("etag").as_deref(), Some("\"v2\""));
    assert_eq!(
        f.app.audit_count(&f.tailspin, "update_subscription").await,
        1
    );
}

#[actix_rt::test]
async fn reseller_sees_a_subscription_only_while_it_is_on_record_or_support_contact() {
    let f = Fixture::new().await;
    let reseller = f.app.token(PARTNERED_AA).await;
    let mine = f.app.get(&f.list(""), &reseller).await;
    mine.assert(200);
    assert_eq!(Fixture::ids(&mine), [f.standard.as_str()]);
    f.app
        .get(&f.url(&f.basic), &reseller)
        .await
        .assert_problem(404, "not_found");
    f.app
        .patch(&f.url(&f.basic), &reseller, json!({ "quantity": 6 }))
        .await
        .assert_problem(404, "not_found");
    let more = f
        .app
        .patch(&f.url(&f.standard), &reseller, json!({ "quantity": 12 }))
        .await;
    more.assert(200);
    assert_eq!(more.body["quantity"], 12);

    let provider = f.app.token(PROVIDER_SA).await;
    f.app
        .patch(
            &f.url(&f.basic),
            &provider,
            json!({ "partnerIdOnRecord": f.northwind }),
        )
        .await
        .assert(200);
    let now_mine = f.app.get(&f.list(""), &reseller).await;
    assert_eq!(
        Fixture::ids(&now_mine),
        [f.standard.as_str(), f.basic.as_str()]
    );
    f.app.get(&f.url(&f.basic), &reseller).await.assert(200);

    let adatum = f.app.customer_id("adatum.example").await;
    f.app
        .get(&format!("/v1/customers/{adatum}/subscriptions"), &reseller)
        .await
        .assert_problem(404, "not_found");
    let unrelated = f.app.token(RESELLER_GA).await;
    f.app
        .get(&f.list(""), &unrelated)
        .await
        .assert_problem(404, "not_found");
}

#[actix_rt::test]
async fn subscription_permissions_follow_the_role_table() {
    let f = Fixture::new().await;
    for (user, can_read, can_change) in [
        (PROVIDER_GA, true, true),
        (PROVIDER_UMA, false, false),
        (PROVIDER_AA, true, true),
        (PROVIDER_SA, true, true),
        (PROVIDER_HA, true, false),
    ] {
        let token = f.app.token(user).await;
        let list = f.app.get(&f.list(""), &token).await;
        let read = f.app.get(&f.url(&f.basic), &token).await;
        let change = f
            .app
            .patch(&f.url(&f.basic), &token, json!({ "friendlyName": user }))
            .await;
        for (res, allowed) in [(&list, can_read), (&read, can_read), (&change, can_change)] {
            if allowed {
                res.assert(200);
            } else {
                res.assert_problem(403, "insufficient_role");
                assert!(
                    res.body["detail"]
                        .as_str()
                        .unwrap()
                        .contains("global_admin"),
                    "{user}: {}",
                    res.text
                );
            }
        }
    }
    let customer = f.app.token(TAILSPIN_ADMIN).await;
    f.app
        .get(&f.list(""), &customer)
        .await
        .assert_problem(403, "insufficient_role");
}
