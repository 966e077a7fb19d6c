//! Support contacts (docs/concepts.md#designated-support-contact): when an indirect reseller stops qualifying as a support contact — its DAP is
//! removed by the customer, its partnership ends, or its customer relationship is removed — its
//! subscriptions revert to the provider in the same transaction, audited; and (docs/concepts.md#relationships) removing a
//! relationship is refused while subscriptions billed by or attributed to that partner are active.

use serde_json::{Value, json};

use crate::harness::*;

struct Story {
    app: TestApp,
    provider: String,
    northwind: String,
    tailspin: String,
    subscription: String,
}

impl Story {
    /// Tailspin (administered by Northwind with DAP) buys 10 seats; the provider designates
    /// Northwind as their support contact.
    async fn new(on_record: bool) -> Story {
        let app = TestApp::new().await;
        let provider = app.tenant_id(PROVIDER_GA).await;
        let northwind = app.tenant_id(PARTNERED_GA).await;
        let tailspin = app.customer_id("tailspin.example").await;
        let sa = app.token(PROVIDER_SA).await;
        let reseller = on_record.then_some(northwind.as_str());
        let order = app
            .post(
                &format!("/v1/customers/{tailspin}/orders"),
                &sa,
                json!({ "lineItems": [line(M365_BUSINESS_PREMIUM, 10, "monthly", reseller)] }),
            )
            .await;
        order.assert(201);
        let subscription = order.body["subscriptions"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let story = Story {
            app,
            provider,
            northwind,
            tailspin,
            subscription,
        };
        let set = story
            .app
            .put(
                &story.contact_path(),
                &sa,
                json!({ "partnerId": story.northwind }),
            )
            .await;
        set.assert(200);
        assert_eq!(set.body["partnerId"], story.northwind.as_str());
        story
    }

    fn contact_path(&self) -> String {
        format!(
            "/v1/customers/{}/subscriptions/{}/support-contact",
            self.tailspin, self.subscription
        )
    }

    async fn contact(&self) -> Value {
        let token = self.app.token(PROVIDER_HA).await;
        let res = self.app.get(&self.contact_path(), &token).await;
        res.assert(200);
        res.body
    }

    /// The support contact the customer's admin sees for the subscription.
    async fn customer_sees(&self) -> Value {
        let admin = self.app.token(TAILSPIN_ADMIN).await;
        let page = self.app.get("/v1/my/subscriptions", &admin).await;
        page.assert(200);
        page.items()
            .into_iter()
            .find(|s| s["id"] == self.subscription.as_str())
            .map(|s| s["supportContact"].clone())
            .expect("subscription on the customer's page")
    }

    async fn assert_reverted(&self, reason: &str) {
        let contact = self.contact().await;
        assert_eq!(contact["partnerId"], self.provider.as_str());
        assert_eq!(contact["isDefault"], true);
        assert_eq!(self.customer_sees().await["name"], "Contoso Distribution");
        let ga = self.app.token(PROVIDER_GA).await;
        let audit = self
            .app
            .get(
                &format!(
                    "/v1/audit-records?operationType=support_contact_reverted&customerId={}",
                    self.tailspin
                ),
                &ga,
            )
            .await;
        let records = audit.items();
        assert_eq!(
            records.len(),
            1,
            "one revert record for the provider: {}",
            audit.text
        );
        assert_eq!(records[0]["resourceId"], self.subscription.as_str());
        assert_eq!(records[0]["newValue"]["reason"], reason);
        assert_eq!(
            records[0]["newValue"]["supportContactPartnerId"],
            self.provider.as_str()
        );
    }
}

#[actix_rt::test]
async fn customer_removing_resellers_dap_reverts_its_support_contacts_to_the_provider() {
    let story = Story::new(false).await;
    assert_eq!(story.customer_sees().await["name"], "Northwind IT");
    let admin = story.app.token(TAILSPIN_ADMIN).await;
    story
        .app
        .delete(
            &format!("/v1/my/partners/{}/delegated-admin", story.northwind),
            &admin,
        )
        .await
        .assert(204);
    story.assert_reverted("delegated_admin_removed").await;
    // Northwind is no longer a candidate until DAP is restored.
    let ha = story.app.token(PROVIDER_HA).await;
    let candidates = story
        .app
        .get(&format!("{}/candidates", story.contact_path()), &ha)
        .await;
    let ids: Vec<Value> = candidates
        .items()
        .iter()
        .map(|c| c["partnerId"].clone())
        .collect();
    assert_eq!(ids, vec![json!(story.provider)]);
}

#[actix_rt::test]
async fn ending_the_partnership_reverts_the_resellers_support_contacts_to_the_provider() {
    let story = Story::new(false).await;
    let ga = story.app.token(PROVIDER_GA).await;
    story
        .app
        .delete(&format!("/v1/indirect-resellers/{}", story.northwind), &ga)
        .await
        .assert(204);
    story.assert_reverted("partnership_ended").await;
    // The relationship and DAP stay (docs/concepts.md#relationships).
    let rels = story
        .app
        .get(
            &format!("/v1/customers/{}/relationships", story.tailspin),
            &ga,
        )
        .await;
    let northwind = rels
        .items()
        .into_iter()
        .find(|r| r["partnerId"] == story.northwind.as_str());
    assert_eq!(
        northwind.expect("relationship stays")["delegatedAdmin"],
        true
    );
}

#[actix_rt::test]
async fn removing_the_resellers_relationship_reverts_its_support_contacts_to_the_provider() {
    let story = Story::new(false).await;
    let northwind_ga = story.app.token(PARTNERED_GA).await;
    story
        .app
        .delete(
            &format!("/v1/customers/{}/relationship", story.tailspin),
            &northwind_ga,
        )
        .await
        .assert(204);
    story.assert_reverted("relationship_removed").await;
    story
        .app
        .get(&format!("/v1/customers/{}", story.tailspin), &northwind_ga)
        .await
        .assert_problem(404, "not_found");
}

#[actix_rt::test]
async fn removing_a_relationship_is_refused_while_an_attributed_subscription_is_active() {
    let story = Story::new(true).await;
    let northwind_ga = story.app.token(PARTNERED_GA).await;
    let path = format!("/v1/customers/{}/relationship", story.tailspin);
    let refused = story.app.delete(&path, &northwind_ga).await;
    refused.assert_problem(409, "active_subscriptions");
    assert_eq!(
        refused.body["activeSubscriptionIds"],
        json!([story.subscription])
    );
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains(&story.subscription)
    );
    // Nothing changed: the contact is still Northwind.
    assert_eq!(story.contact().await["partnerId"], story.northwind.as_str());

    let sa = story.app.token(PROVIDER_SA).await;
    let sub = format!(
        "/v1/customers/{}/subscriptions/{}",
        story.tailspin, story.subscription
    );
    story
        .app
        .patch(&sub, &sa, json!({ "status": "suspended" }))
        .await
        .assert(200);
    story.app.delete(&path, &northwind_ga).await.assert(204);
    story.assert_reverted("relationship_removed").await;
}
