//! Designated support contacts (docs/concepts.md#designated-support-contact; seeds "Assign support contacts" and "Assign a
//! reseller as a technical support contact for customers"): the default, the candidates, setting
//! and setting back, each refusal reason, If-Match, the role cells, isolation, audit, and the
//! customer's product support page (`GET /v1/my/subscriptions`).

use actix_web::http::{Method, header};
use serde_json::{Value, json};

use crate::harness::*;

/// The demo world with one subscription each for Tailspin (which Northwind administers with
/// DAP) and Adatum, billed by the provider.
struct World {
    app: TestApp,
    provider: String,
    northwind: String,
    fabrikam: String,
    tailspin: String,
    adatum: String,
    tailspin_sub: String,
    adatum_sub: String,
}

impl World {
    async fn new() -> World {
        let app = TestApp::new().await;
        let provider = app.tenant_id(PROVIDER_GA).await;
        let northwind = app.tenant_id(PARTNERED_GA).await;
        let fabrikam = app.tenant_id(RESELLER_GA).await;
        let tailspin = app.customer_id("tailspin.example").await;
        let adatum = app.customer_id("adatum.example").await;
        let tailspin_sub = app
            .insert_subscription(&tailspin, &provider, M365_BUSINESS_PREMIUM)
            .await;
        let adatum_sub = app
            .insert_subscription(&adatum, &provider, M365_BUSINESS_PREMIUM)
            .await;
        World {
            app,
            provider,
            northwind,
            fabrikam,
            tailspin,
            adatum,
            tailspin_sub,
            adatum_sub,
        }
    }

    fn contact(&self, customer: &str, sub: &str) -> String {
        format!("/v1/customers/{customer}/subscriptions/{sub}/support-contact")
    }

    fn tailspin_contact(&self) -> String {
        self.contact(&self.tailspin, &self.tailspin_sub)
    }

    /// `PUT …/support-contact` with an optional `If-Match`.
    async fn put_contact(&self, path: &str, token: &str, partner: &str, etag: Option<&str>) -> Res {
        let mut req = request(
            Method::PUT,
            path,
            Some(token),
            Some(json!({ "partnerId": partner })),
        );
        if let Some(tag) = etag {
            req = req.insert_header((header::IF_MATCH, tag.to_owned()));
        }
        self.app.send(req).await
    }

    /// Sets or clears a partner's DAP on a customer directly in the database (the DAP removal
    /// endpoint belongs to another issue).
    async fn set_dap(&self, partner: &str, customer: &str, value: bool) {
        use partner_center::models::relationship::RelationshipRow;
        let (p, c) = (partner.parse().unwrap(), customer.parse().unwrap());
        self.app
            .with_conn(move |conn| {
                let rel = RelationshipRow::find(conn, p, c)
                    .unwrap()
                    .expect("relationship");
                RelationshipRow::set_delegated_admin(conn, &rel.id, value).unwrap();
            })
            .await;
    }

    /// Gives a partner a relationship (with DAP) with a customer directly in the database.
    async fn add_relationship(&self, partner: &str, customer: &str) {
        use partner_center::models::relationship::RelationshipRow;
        let row = RelationshipRow::new(partner.parse().unwrap(), customer.parse().unwrap(), true);
        self.app
            .with_conn(move |conn| RelationshipRow::insert(conn, &row).unwrap())
            .await;
    }

    async fn candidate_ids(&self, token: &str, customer: &str, sub: &str) -> Vec<String> {
        let res = self
            .app
            .get(
                &format!("{}/candidates", self.contact(customer, sub)),
                token,
            )
            .await;
        res.assert(200);
        res.items()
            .iter()
            .map(|c| c["partnerId"].as_str().unwrap().to_owned())
            .collect()
    }
}

fn my_item<'a>(page: &'a Res, sub: &str) -> &'a Value {
    page.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == sub)
        .unwrap_or_else(|| panic!("subscription {sub} not listed: {}", page.text))
}

#[actix_rt::test]
async fn get_support_contact_of_new_subscription_is_the_provider() {
    let w = World::new().await;
    let token = w.app.token(PROVIDER_SA).await;
    let res = w.app.get(&w.tailspin_contact(), &token).await;
    res.assert(200);
    assert_eq!(res.body["partnerId"], w.provider.as_str());
    assert_eq!(res.body["kind"], "indirect_provider");
    assert_eq!(res.body["name"], "Contoso Distribution");
    assert_eq!(res.body["email"], "support@contoso-distribution.example");
    assert_eq!(res.body["phone"], "+1 425 555 0100");
    assert_eq!(res.body["website"], "https://contoso-distribution.example");
    assert_eq!(res.body["isDefault"], true);
    assert_eq!(res.header("etag").as_deref(), Some("\"v1\""));
}

#[actix_rt::test]
async fn list_candidates_holds_exactly_the_provider_and_partnered_resellers_with_dap() {
    let w = World::new().await;
    let token = w.app.token(PROVIDER_AA).await;
    assert_eq!(
        w.candidate_ids(&token, &w.tailspin, &w.tailspin_sub).await,
        vec![w.provider.clone(), w.northwind.clone()]
    );
    // Northwind has no relationship with Adatum.
    assert_eq!(
        w.candidate_ids(&token, &w.adatum, &w.adatum_sub).await,
        vec![w.provider.clone()]
    );
    // Fabrikam administers Tailspin with DAP but has no partnership with the provider.
    w.add_relationship(&w.fabrikam, &w.tailspin).await;
    assert_eq!(
        w.candidate_ids(&token, &w.tailspin, &w.tailspin_sub).await,
        vec![w.provider.clone(), w.northwind.clone()]
    );
    // Without DAP, Northwind is no longer a candidate.
    w.set_dap(&w.northwind, &w.tailspin, false).await;
    assert_eq!(
        w.candidate_ids(&token, &w.tailspin, &w.tailspin_sub).await,
        vec![w.provider.clone()]
    );
}

#[actix_rt::test]
async fn set_support_contact_to_reseller_shows_on_customers_page_and_sets_back() {
    let w = World::new().await;
    let token = w.app.token(PROVIDER_SA).await;
    let res = w
        .put_contact(&w.tailspin_contact(), &token, &w.northwind, Some("\"v1\""))
        .await;
    res.assert(200);
    assert_eq!(res.body["partnerId"], w.northwind.as_str());
    assert_eq!(res.body["kind"], "indirect_reseller");
    assert_eq!(res.body["isDefault"], false);
    assert_eq!(res.header("etag").as_deref(), Some("\"v2\""));
    let read = w.app.get(&w.tailspin_contact(), &token).await;
    assert_eq!(read.body["name"], "Northwind IT");

    let admin = w.app.token(TAILSPIN_ADMIN).await;
    let page = w.app.get("/v1/my/subscriptions", &admin).await;
    page.assert(200);
    let item = my_item(&page, &w.tailspin_sub);
    assert_eq!(item["offerId"], M365_BUSINESS_PREMIUM);
    assert_eq!(item["offerName"], "Microsoft 365 Business Premium");
    assert_eq!(item["quantity"], 10);
    assert_eq!(item["status"], "active");
    let contact = &item["supportContact"];
    assert_eq!(contact["name"], "Northwind IT");
    assert_eq!(contact["email"], "support@northwind-it.example");
    assert_eq!(contact["phone"], "+1 425 555 0100");
    assert_eq!(contact["website"], "https://northwind-it.example");

    let back = w
        .put_contact(&w.tailspin_contact(), &token, &w.provider, Some("\"v2\""))
        .await;
    back.assert(200);
    assert_eq!(back.body["isDefault"], true);
    let page = w.app.get("/v1/my/subscriptions", &admin).await;
    let contact = &my_item(&page, &w.tailspin_sub)["supportContact"];
    assert_eq!(contact["name"], "Contoso Distribution");
    assert_eq!(contact["isDefault"], true);
}

#[actix_rt::test]
async fn set_support_contact_to_ineligible_partner_answers_422_with_reason() {
    let w = World::new().await;
    let token = w.app.token(PROVIDER_GA).await;
    let (_, other_provider) = w
        .app
        .other_provider("Other Distribution", "owner@other.example")
        .await;
    let tailspin = w.tailspin_contact();
    let adatum = w.contact(&w.adatum, &w.adatum_sub);
    let unknown = uuid::Uuid::now_v7().to_string();
    // Fabrikam gets DAP on Tailspin, but still has no partnership with the provider.
    w.add_relationship(&w.fabrikam, &w.tailspin).await;
    let cases = [
        (&tailspin, unknown.as_str(), "not_an_indirect_reseller"),
        (
            &tailspin,
            other_provider.as_str(),
            "not_an_indirect_reseller",
        ),
        (&tailspin, w.fabrikam.as_str(), "no_active_partnership"),
        (&adatum, w.northwind.as_str(), "no_customer_relationship"),
    ];
    for (path, partner, reason) in cases {
        let res = w.put_contact(path, &token, partner, None).await;
        res.assert_problem(422, "support_contact_not_eligible");
        assert_eq!(res.body["reason"], reason, "{}", res.text);
        assert_eq!(res.body["errors"][0]["field"], "partnerId");
        assert_eq!(res.body["errors"][0]["code"], reason);
    }
    w.set_dap(&w.northwind, &w.tailspin, false).await;
    let res = w.put_contact(&tailspin, &token, &w.northwind, None).await;
    res.assert_problem(422, "support_contact_not_eligible");
    assert_eq!(res.body["reason"], "no_delegated_admin");
    assert!(
        res.str("detail").contains("relationship request"),
        "the detail says what to do: {}",
        res.text
    );
    let read = w.app.get(&tailspin, &token).await;
    assert_eq!(read.body["partnerId"], w.provider.as_str());
    assert_eq!(read.header("etag").as_deref(), Some("\"v1\""));
}

#[actix_rt::test]
async fn set_support_contact_with_stale_etag_answers_412() {
    let w = World::new().await;
    let token = w.app.token(PROVIDER_AA).await;
    let path = w.tailspin_contact();
    w.put_contact(&path, &token, &w.northwind, Some("\"v1\""))
        .await
        .assert(200);
    w.put_contact(&path, &token, &w.provider, Some("\"v1\""))
        .await
        .assert_problem(412, "precondition_failed");
    let read = w.app.get(&path, &token).await;
    assert_eq!(read.body["partnerId"], w.northwind.as_str());
}

#[actix_rt::test]
async fn set_support_contact_concurrently_with_one_etag_lets_exactly_one_win() {
    let w = World::new().await;
    let token = w.app.token(PROVIDER_GA).await;
    let path = w.tailspin_contact();
    let attempts = (0..6).map(|_| w.put_contact(&path, &token, &w.northwind, Some("\"v1\"")));
    let results = futures::future::join_all(attempts).await;
    let won = results.iter().filter(|r| r.status == 200).count();
    let stale = results.iter().filter(|r| r.status == 412).count();
    assert_eq!((won, stale), (1, 5), "{results:?}");
}

#[actix_rt::test]
async fn support_contact_is_read_and_set_by_all_five_provider_roles() {
    let w = World::new().await;
    let path = w.tailspin_contact();
    for user in [
        PROVIDER_GA,
        PROVIDER_UMA,
        PROVIDER_AA,
        PROVIDER_SA,
        PROVIDER_HA,
    ] {
        let token = w.app.token(user).await;
        w.app.get(&path, &token).await.assert(200);
        w.app
            .get(&format!("{path}/candidates"), &token)
            .await
            .assert(200);
        for partner in [&w.northwind, &w.provider] {
            let res = w.put_contact(&path, &token, partner, None).await;
            res.assert(200);
            assert_eq!(res.body["partnerId"], partner.as_str(), "{user}");
        }
    }
}

#[actix_rt::test]
async fn reseller_reaches_support_contact_only_of_subscriptions_it_supports() {
    let w = World::new().await;
    let path = w.tailspin_contact();
    let northwind_roles = [PARTNERED_GA, PARTNERED_AA, PARTNERED_SA, PARTNERED_HA];
    for user in northwind_roles {
        let token = w.app.token(user).await;
        w.app
            .get(&path, &token)
            .await
            .assert_problem(404, "not_found");
    }
    let provider = w.app.token(PROVIDER_SA).await;
    w.put_contact(&path, &provider, &w.northwind, None)
        .await
        .assert(200);
    for user in northwind_roles {
        let token = w.app.token(user).await;
        let res = w.app.get(&path, &token).await;
        res.assert(200);
        assert_eq!(res.body["name"], "Northwind IT", "{user}");
        w.app
            .get(&format!("{path}/candidates"), &token)
            .await
            .assert(200);
    }
    // Fabrikam has no relationship with Tailspin; the customer's admin is not a partner.
    let fabrikam = w.app.token(RESELLER_GA).await;
    w.app
        .get(&path, &fabrikam)
        .await
        .assert_problem(404, "not_found");
    w.put_contact(&path, &fabrikam, &w.fabrikam, None)
        .await
        .assert_problem(404, "not_found");
    let admin = w.app.token(TAILSPIN_ADMIN).await;
    w.app
        .get(&path, &admin)
        .await
        .assert_problem(403, "insufficient_role");
    // Northwind's helpdesk agent hands support back to the provider, and loses sight of it.
    let helpdesk = w.app.token(PARTNERED_HA).await;
    w.put_contact(&path, &helpdesk, &w.provider, None)
        .await
        .assert(200);
    w.app
        .get(&path, &helpdesk)
        .await
        .assert_problem(404, "not_found");
}

#[actix_rt::test]
async fn another_provider_cannot_reach_the_support_contact() {
    let w = World::new().await;
    let (token, other) = w
        .app
        .other_provider("Other Distribution", "owner@other.example")
        .await;
    let path = w.tailspin_contact();
    w.app
        .get(&path, &token)
        .await
        .assert_problem(404, "not_found");
    w.app
        .get(&format!("{path}/candidates"), &token)
        .await
        .assert_problem(404, "not_found");
    w.put_contact(&path, &token, &other, None)
        .await
        .assert_problem(404, "not_found");
    // A subscription id under another customer is not found either.
    let provider = w.app.token(PROVIDER_GA).await;
    w.app
        .get(&w.contact(&w.adatum, &w.tailspin_sub), &provider)
        .await
        .assert_problem(404, "not_found");
}

#[actix_rt::test]
async fn set_support_contact_writes_audit_records_for_provider_and_reseller() {
    let w = World::new().await;
    let token = w.app.token(PROVIDER_SA).await;
    let path = w.tailspin_contact();
    w.put_contact(&path, &token, &w.northwind, None)
        .await
        .assert(200);
    // Setting the current contact again changes nothing and records nothing.
    w.put_contact(&path, &token, &w.northwind, None)
        .await
        .assert(200);
    let query = format!(
        "/v1/audit-records?customerId={}&operationType=update_support_contact",
        w.tailspin
    );
    let records = w.app.get(&query, &token).await;
    records.assert(200);
    let items = records.items();
    assert_eq!(items.len(), 1, "{}", records.text);
    assert_eq!(items[0]["resourceId"], w.tailspin_sub.as_str());
    assert_eq!(
        items[0]["oldValue"]["supportContactPartnerId"],
        w.provider.as_str()
    );
    assert_eq!(
        items[0]["newValue"]["supportContactPartnerId"],
        w.northwind.as_str()
    );
    let northwind = w.app.token(PARTNERED_GA).await;
    let theirs = w.app.get(&query, &northwind).await;
    assert_eq!(theirs.items().len(), 1, "{}", theirs.text);
}

#[actix_rt::test]
async fn list_my_subscriptions_shows_only_the_customers_own_and_pages() {
    let w = World::new().await;
    w.app
        .insert_subscription(&w.adatum, &w.provider, M365_E3)
        .await;
    let admin = w.app.token(ADATUM_ADMIN).await;
    let first = w.app.get("/v1/my/subscriptions?limit=1", &admin).await;
    first.assert(200);
    assert_eq!(first.items().len(), 1);
    assert_eq!(first.items()[0]["id"], w.adatum_sub.as_str());
    let cursor = first.str("nextCursor");
    let second = w
        .app
        .get(
            &format!("/v1/my/subscriptions?limit=1&cursor={cursor}"),
            &admin,
        )
        .await;
    second.assert(200);
    assert_eq!(second.items().len(), 1);
    assert_eq!(second.items()[0]["offerId"], M365_E3);
    assert!(second.body.get("nextCursor").is_none());
    let all = w.app.get("/v1/my/subscriptions", &admin).await;
    assert!(!all.text.contains(&w.tailspin_sub));
    // Partner users have their own subscription views.
    let partner = w.app.token(PROVIDER_GA).await;
    w.app
        .get("/v1/my/subscriptions", &partner)
        .await
        .assert_problem(403, "insufficient_role");
    w.app
        .get("/v1/my/subscriptions?limit=0", &admin)
        .await
        .assert_problem(422, "validation_failed");
}

#[actix_rt::test]
async fn revert_hands_reseller_supported_subscriptions_back_to_the_provider() {
    use partner_center::change::Change;
    use partner_center::models::audit::Actor;
    use partner_center::services::support_contacts::{RevertCause, revert};
    let w = World::new().await;
    let token = w.app.token(PROVIDER_SA).await;
    let second = w
        .app
        .insert_subscription(&w.tailspin, &w.provider, M365_E3)
        .await;
    for sub in [&w.tailspin_sub, &second] {
        w.put_contact(&w.contact(&w.tailspin, sub), &token, &w.northwind, None)
            .await
            .assert(200);
    }
    w.set_dap(&w.northwind, &w.tailspin, false).await;
    let (northwind, tailspin) = (w.northwind.parse().unwrap(), w.tailspin.parse().unwrap());
    let reverted = w
        .app
        .with_conn(move |conn| {
            Change::run(conn, Actor::system("test"), None, |change| {
                revert(
                    change,
                    northwind,
                    Some(tailspin),
                    None,
                    RevertCause::DelegatedAdminRemoved,
                )
            })
            .unwrap()
        })
        .await;
    assert_eq!(reverted.len(), 2);
    for sub in [&w.tailspin_sub, &second] {
        let read = w.app.get(&w.contact(&w.tailspin, sub), &token).await;
        assert_eq!(read.body["partnerId"], w.provider.as_str());
    }
    let records = w
        .app
        .get(
            "/v1/audit-records?operationType=support_contact_reverted",
            &token,
        )
        .await;
    assert_eq!(records.items().len(), 2, "{}", records.text);
    assert_eq!(
        records.items()[0]["newValue"]["reason"],
        "delegated_admin_removed"
    );
}

#[actix_rt::test]
async fn set_support_contact_racing_dap_removal_never_leaves_an_ineligible_contact() {
    use partner_center::change::Change;
    use partner_center::models::audit::Actor;
    use partner_center::models::relationship::RelationshipRow;
    use partner_center::services::support_contacts::{RevertCause, revert};
    let w = World::new().await;
    let (northwind, tailspin) = (w.northwind.parse().unwrap(), w.tailspin.parse().unwrap());
    let token = w.app.token(PROVIDER_GA).await;
    // The customer removes Northwind's DAP in a transaction that is still open when the
    // provider's PUT arrives.
    let pool = w.app.state.pool.clone();
    let (changed, wait) = std::sync::mpsc::channel();
    let removal = std::thread::spawn(move || {
        let mut conn = pool.get().unwrap();
        Change::run(&mut conn, Actor::system("test"), None, |change| {
            let rel = RelationshipRow::find(change.conn(), northwind, tailspin)?.unwrap();
            RelationshipRow::set_delegated_admin(change.conn(), &rel.id, false)?;
            changed.send(()).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(400));
            revert(
                change,
                northwind,
                Some(tailspin),
                None,
                RevertCause::DelegatedAdminRemoved,
            )?;
            Ok(())
        })
        .unwrap();
    });
    actix_web::web::block(move || wait.recv().unwrap())
        .await
        .unwrap();
    let res = w
        .put_contact(&w.tailspin_contact(), &token, &w.northwind, None)
        .await;
    removal.join().unwrap();
    res.assert_problem(422, "support_contact_not_eligible");
    let read = w.app.get(&w.tailspin_contact(), &token).await;
    assert_eq!(read.body["partnerId"], w.provider.as_str());
}
