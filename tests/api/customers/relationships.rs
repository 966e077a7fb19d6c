//! Customer relationships (issue 3, flows 2–6): customers created for a reseller, relationship
//! requests and their acceptance, a customer removing a partner's DAP, a partner removing its
//! relationship (blocked by active subscriptions; an order waiting on it finds none), customer users and password resets, the permission-table
//! rows for relationship requests, relationship removal and customer users, and the audit trail
//! of a whole flow.

use diesel::RunQueryDsl;
use diesel::connection::SimpleConnection;
use serde_json::json;

use crate::harness::*;
use crate::harness::{ids, invite, partner, tenant_id};

/// The id of a customer's (first) user, read with DAP as `token`.
async fn first_user(app: &TestApp, token: &str, customer: &str) -> String {
    let users = app
        .get(&format!("/v1/customers/{customer}/users"), token)
        .await;
    users.assert(200);
    users.items()[0]["id"].as_str().unwrap().to_owned()
}

/// Inserts an offer and an `active` subscription of `customer` billed by `provider`, with
/// `reseller` (if any) as reseller of record and support contact; returns its id.
async fn active_subscription(
    app: &TestApp,
    customer: &str,
    provider: &str,
    reseller: Option<&str>,
) -> String {
    let offer = uuid::Uuid::now_v7();
    let id = uuid::Uuid::now_v7().to_string();
    let on_record = reseller.map_or("NULL".to_owned(), |r| format!("'{r}'"));
    let support = reseller.unwrap_or(provider);
    app.execute_sql(&format!(
        "INSERT INTO offers (id, name, description, product_family, min_quantity, max_quantity, \
           unit_price_minor, currency, billing_cycles, is_add_on, prerequisite_offer_ids, \
           upgrade_target_offer_ids, limit_per_customer, created_at, updated_at) \
         VALUES ('{offer}', 'Test offer', 'For tests', 'test', 1, 100, 1000, 'USD', '[\"monthly\"]', \
           FALSE, '[]', '[]', NULL, '2026-01-01 00:00:00', '2026-01-01 00:00:00'); \
         INSERT INTO subscriptions (id, customer_id, offer_id, order_id, quantity, status, \
           billing_cycle, auto_renew, friendly_name, billing_partner_id, partner_id_on_record, \
           support_contact_partner_id, version, created_at, updated_at, term_start_date) \
         VALUES ('{id}', '{customer}', '{offer}', NULL, 5, 'active', 'monthly', TRUE, 'Seats', \
           '{provider}', {on_record}, '{support}', 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00', \
           '2026-01-01 00:00:00');"
    ))
    .await;
    id
}

#[actix_rt::test]
async fn create_customer_for_a_reseller_gives_its_agents_the_customer_with_dap() {
    let app = TestApp::new().await;
    let provider = app.token(PROVIDER_SA).await;
    let fabrikam = app.token(RESELLER_HA).await;
    let fabrikam_id = tenant_id(&app, &fabrikam).await;
    // Not partnered yet: refused, naming the field.
    let refused = app
        .post(
            "/v1/customers",
            &provider,
            customer_body("Wingtip", "wingtip.example", Some(&fabrikam_id)),
        )
        .await;
    refused.assert_problem(422, "partnership_required");
    assert_eq!(refused.body["errors"][0]["field"], "indirectResellerId");

    partner(&app, &provider, &app.token(RESELLER_GA).await).await;
    let created = app
        .create_customer(&provider, "Wingtip", "wingtip.example", Some(&fabrikam_id))
        .await;
    let wingtip = created["customer"]["id"].as_str().unwrap().to_owned();

    // The reseller's agents see it and hold DAP on it.
    let mine = app.get("/v1/customers", &fabrikam).await;
    assert_eq!(ids(&mine, "id"), vec![wingtip.clone()]);
    app.get(&format!("/v1/customers/{wingtip}/users"), &fabrikam)
        .await
        .assert(200);
    let rels = app
        .get(&format!("/v1/customers/{wingtip}/relationships"), &fabrikam)
        .await;
    rels.assert(200);
    let fab = rels
        .items()
        .into_iter()
        .find(|r| r["partnerId"] == fabrikam_id.as_str())
        .expect("reseller relationship");
    assert_eq!(fab["delegatedAdmin"], true);
    assert_eq!(fab["kind"], "indirect_reseller");
    assert_eq!(fab["name"], "Fabrikam Resellers");
    assert_eq!(rels.items().len(), 2, "provider and reseller");

    // The provider's list filters by reseller.
    let northwind_id = tenant_id(&app, &app.token(PARTNERED_SA).await).await;
    let tailspin = app.customer_id("tailspin.example").await;
    let by_fabrikam = app
        .get(
            &format!("/v1/customers?indirectResellerId={fabrikam_id}"),
            &provider,
        )
        .await;
    assert_eq!(ids(&by_fabrikam, "id"), vec![wingtip]);
    let by_northwind = app
        .get(
            &format!("/v1/customers?indirectResellerId={northwind_id}"),
            &provider,
        )
        .await;
    assert_eq!(ids(&by_northwind, "id"), vec![tailspin]);
}

#[actix_rt::test]
async fn accepted_relationship_request_puts_the_customer_in_the_partners_list() {
    let app = TestApp::new().await;
    let fabrikam = app.token(RESELLER_SA).await;
    let fabrikam_id = tenant_id(&app, &fabrikam).await;
    let adatum = app.customer_id("adatum.example").await;
    let created = relationship_request(
        &app,
        &fabrikam,
        json!({ "includeDelegatedAdmin": true, "customerEmail": "admin@adatum.example" }),
    )
    .await;
    assert_eq!(created["status"], "pending");
    let link = created["link"].as_str().unwrap();
    assert!(link.starts_with("http://localhost:8080/v1/relationship-requests/accept?token="));
    assert_eq!(created["emailDraft"]["to"], "admin@adatum.example");
    let body = created["emailDraft"]["body"].as_str().unwrap();
    assert!(body.contains(link) && body.contains("delegated admin"));
    assert!(app.get("/v1/customers", &fabrikam).await.items().is_empty());

    let admin = app.token(ADATUM_ADMIN).await;
    let accepted = accept(&app, &admin, &created).await;
    accepted.assert(200);
    assert_eq!(accepted.body["status"], "accepted");
    assert_eq!(accepted.body["customerId"], adatum.as_str());
    assert_eq!(
        accepted.body["relationships"][0]["partnerId"],
        fabrikam_id.as_str()
    );
    assert_eq!(accepted.body["relationships"][0]["delegatedAdmin"], true);

    assert_eq!(
        ids(&app.get("/v1/customers", &fabrikam).await, "id"),
        vec![adatum.clone()]
    );
    // With DAP, the reseller's admin agent administers the customer's users.
    app.get(
        &format!("/v1/customers/{adatum}/users"),
        &app.token(RESELLER_AA).await,
    )
    .await
    .assert(200);
    let listed = app.get("/v1/relationship-requests", &fabrikam).await;
    assert_eq!(listed.items()[0]["status"], "accepted");
    assert_eq!(listed.items()[0]["customerId"], adatum.as_str());
    let partners = app.get("/v1/my/partners", &admin).await;
    assert!(ids(&partners, "partnerId").contains(&fabrikam_id));
}

/// A customer of another provider (Litware, unknown to Contoso and Northwind): its id and its
/// admin's token.
async fn unknown_customer(app: &TestApp) -> (String, String) {
    let (other, _) = app
        .other_provider("Other Distribution", "owner@other.example")
        .await;
    let litware = app
        .create_customer(&other, "Litware", "litware.example", None)
        .await;
    let litware_id = litware["customer"]["id"].as_str().unwrap().to_owned();
    let admin = app
        .activate(
            "admin@litware.example",
            litware["adminUser"]["temporaryPassword"].as_str().unwrap(),
        )
        .await;
    (litware_id, admin)
}

#[actix_rt::test]
async fn request_naming_a_provider_whose_partnership_ended_authorises_only_the_reseller() {
    let app = TestApp::new().await;
    let contoso = app.token(PROVIDER_SA).await;
    let contoso_id = tenant_id(&app, &contoso).await;
    let northwind = app.token(PARTNERED_SA).await;
    let northwind_id = tenant_id(&app, &northwind).await;
    let (litware_id, admin) = unknown_customer(&app).await;
    let created = relationship_request(
        &app,
        &northwind,
        json!({ "includeDelegatedAdmin": true, "indirectProviderId": contoso_id }),
    )
    .await;
    // The partnership ends before the customer accepts.
    app.delete(&format!("/v1/indirect-resellers/{northwind_id}"), &contoso)
        .await
        .assert(204);
    let accepted = accept(&app, &admin, &created).await;
    accepted.assert(200);
    let partners: Vec<&str> = accepted.body["relationships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["partnerId"].as_str().unwrap())
        .collect();
    assert_eq!(partners, vec![northwind_id.as_str()]);
    app.get(&format!("/v1/customers/{litware_id}"), &contoso)
        .await
        .assert_problem(404, "not_found");
}

#[actix_rt::test]
async fn request_naming_the_indirect_provider_authorises_both_partners() {
    let app = TestApp::new().await;
    let contoso = app.token(PROVIDER_SA).await;
    let contoso_id = tenant_id(&app, &contoso).await;
    let northwind = app.token(PARTNERED_SA).await;
    let northwind_id = tenant_id(&app, &northwind).await;
    // A customer of another provider, unknown to Contoso and Northwind.
    let (litware_id, admin) = unknown_customer(&app).await;

    let created = relationship_request(
        &app,
        &northwind,
        json!({ "includeDelegatedAdmin": true, "indirectProviderId": contoso_id }),
    )
    .await;
    assert_eq!(created["indirectProviderId"], contoso_id.as_str());
    assert!(
        created["emailDraft"]["body"]
            .as_str()
            .unwrap()
            .contains("Contoso Distribution")
    );
    let accepted = accept(&app, &admin, &created).await;
    accepted.assert(200);
    let partners: Vec<&str> = accepted.body["relationships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["partnerId"].as_str().unwrap())
        .collect();
    assert_eq!(partners, vec![northwind_id.as_str(), contoso_id.as_str()]);
    for token in [&northwind, &contoso] {
        let list = app.get("/v1/customers", token).await;
        assert!(ids(&list, "id").contains(&litware_id), "{}", list.text);
    }
    // Both partners can read the acceptance in their audit records.
    for token in [&northwind, &contoso] {
        let audit = app
            .get(
                &format!(
                    "/v1/audit-records?customerId={litware_id}&operationType=accept_relationship_request"
                ),
                token,
            )
            .await;
        assert_eq!(audit.items().len(), 1, "{}", audit.text);
        assert_eq!(audit.items()[0]["actor"]["displayName"], "Litware admin");
    }
}

#[actix_rt::test]
async fn request_naming_a_provider_without_partnership_answers_422_naming_the_field() {
    let app = TestApp::new().await;
    let contoso = app.token(PROVIDER_GA).await;
    let contoso_id = tenant_id(&app, &contoso).await;
    for token in [app.token(RESELLER_GA).await, contoso] {
        let res = app
            .post(
                "/v1/relationship-requests",
                &token,
                json!({ "includeDelegatedAdmin": false, "indirectProviderId": contoso_id }),
            )
            .await;
        res.assert_problem(422, "partnership_required");
        assert_eq!(res.body["errors"][0]["field"], "indirectProviderId");
        assert!(
            app.get("/v1/relationship-requests", &token)
                .await
                .items()
                .is_empty()
        );
    }
}

#[actix_rt::test]
async fn removing_dap_blocks_admin_operations_until_an_accepted_request_restores_it() {
    let app = TestApp::new().await;
    let northwind = app.token(PARTNERED_AA).await;
    let northwind_id = tenant_id(&app, &northwind).await;
    let tailspin = app.customer_id("tailspin.example").await;
    let admin = app.token(TAILSPIN_ADMIN).await;
    let user = first_user(&app, &northwind, &tailspin).await;
    let supported = active_subscription(
        &app,
        &tailspin,
        &tenant_id(&app, &app.token(PROVIDER_GA).await).await,
        Some(&northwind_id),
    )
    .await;

    let partners = app.get("/v1/my/partners", &admin).await;
    partners.assert(200);
    assert_eq!(partners.items().len(), 2);
    let nw = partners
        .items()
        .into_iter()
        .find(|p| p["partnerId"] == northwind_id.as_str())
        .expect("Northwind listed");
    assert_eq!(nw["delegatedAdmin"], true);
    assert_eq!(nw["name"], "Northwind IT");
    assert_eq!(nw["supportEmail"], "support@northwind-it.example");
    assert_eq!(nw["website"], "https://northwind-it.example");

    app.delete(
        &format!("/v1/my/partners/{northwind_id}/delegated-admin"),
        &admin,
    )
    .await
    .assert(204);

    // The relationship stays, the admin operations go.
    app.get(&format!("/v1/customers/{tailspin}"), &northwind)
        .await
        .assert(200);
    app.get(&format!("/v1/customers/{tailspin}/users"), &northwind)
        .await
        .assert_problem(403, "delegated_admin_required");
    app.post(
        &format!("/v1/customers/{tailspin}/users/{user}/password-reset"),
        &northwind,
        json!({}),
    )
    .await
    .assert_problem(403, "delegated_admin_required");
    let partners = app.get("/v1/my/partners", &admin).await;
    let nw = partners
        .items()
        .into_iter()
        .find(|p| p["partnerId"] == northwind_id.as_str())
        .unwrap();
    assert_eq!(nw["delegatedAdmin"], false);
    // Audited for Northwind, and its support-contact assignment reverted.
    let audit = app
        .get(
            &format!("/v1/audit-records?customerId={tailspin}&operationType=dap_removed"),
            &northwind,
        )
        .await;
    assert_eq!(audit.items().len(), 1, "{}", audit.text);
    assert_eq!(
        audit.items()[0]["actor"]["displayName"],
        "Tailspin Toys admin"
    );
    let reverted = app
        .get(
            "/v1/audit-records?operationType=support_contact_reverted",
            &northwind,
        )
        .await;
    assert_eq!(reverted.items()[0]["resourceId"], supported.as_str());

    // A new request with DAP, accepted, restores it on the same relationship.
    let created =
        relationship_request(&app, &northwind, json!({ "includeDelegatedAdmin": true })).await;
    accept(&app, &admin, &created).await.assert(200);
    let rels = app
        .get(
            &format!("/v1/customers/{tailspin}/relationships"),
            &northwind,
        )
        .await;
    assert_eq!(
        rels.items().len(),
        2,
        "no second relationship: {}",
        rels.text
    );
    assert!(rels.items().iter().all(|r| r["delegatedAdmin"] == true));
    app.post(
        &format!("/v1/customers/{tailspin}/users/{user}/password-reset"),
        &northwind,
        json!({}),
    )
    .await
    .assert(200);
}

#[actix_rt::test]
async fn removing_dap_of_a_partner_without_relationship_answers_404() {
    let app = TestApp::new().await;
    let fabrikam_id = tenant_id(&app, &app.token(RESELLER_GA).await).await;
    let admin = app.token(ADATUM_ADMIN).await;
    app.delete(
        &format!("/v1/my/partners/{fabrikam_id}/delegated-admin"),
        &admin,
    )
    .await
    .assert_problem(404, "not_found");
    let partner_user = app.token(PROVIDER_GA).await;
    app.get("/v1/my/partners", &partner_user)
        .await
        .assert_problem(403, "insufficient_role");
}

#[actix_rt::test]
async fn removing_a_relationship_takes_the_customer_off_that_partners_lists_only() {
    let app = TestApp::new().await;
    let provider = app.token(PROVIDER_GA).await;
    let provider_id = tenant_id(&app, &provider).await;
    let northwind = app.token(PARTNERED_GA).await;
    let northwind_id = tenant_id(&app, &northwind).await;
    let tailspin = app.customer_id("tailspin.example").await;

    app.delete(&format!("/v1/customers/{tailspin}/relationship"), &provider)
        .await
        .assert(204);
    let list = app.get("/v1/customers", &provider).await;
    assert!(!ids(&list, "id").contains(&tailspin));
    app.get(&format!("/v1/customers/{tailspin}"), &provider)
        .await
        .assert_problem(404, "not_found");
    app.delete(&format!("/v1/customers/{tailspin}/relationship"), &provider)
        .await
        .assert_problem(404, "not_found");
    // Northwind keeps its own.
    assert_eq!(
        ids(&app.get("/v1/customers", &northwind).await, "id"),
        vec![tailspin.clone()]
    );
    let partners = app
        .get("/v1/my/partners", &app.token(TAILSPIN_ADMIN).await)
        .await;
    assert_eq!(ids(&partners, "partnerId"), vec![northwind_id]);
    let audit = app
        .get(
            &format!(
                "/v1/audit-records?customerId={tailspin}&operationType=remove_customer_relationship"
            ),
            &provider,
        )
        .await;
    assert_eq!(audit.items().len(), 1);
    assert_eq!(audit.items()[0]["partnerId"], provider_id.as_str());
}

/// Sends the provider's one-line order for `customer` while another transaction, on a
/// connection of its own, has run `held` and not committed. On PostgreSQL the transaction is
/// held until the order is seen waiting on a lock (asserted; at most about 10 s), then runs
/// `before_commit` and commits; SQLite runs one writer at a time, so there it commits first.
/// Returns the order's answer once both have finished.
async fn order_while_held(
    app: &TestApp,
    token: &str,
    customer: &str,
    held: String,
    before_commit: String,
) -> Res {
    let pg = app.is_postgres();
    let pool = app.state.pool.clone();
    let (started, began) = std::sync::mpsc::channel();
    let (commit, committed) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        let mut conn = pool.get().expect("conn");
        conn.batch_execute(&format!("BEGIN; {held}"))
            .expect("held transaction");
        started.send(()).expect("started");
        committed.recv().expect("commit signal");
        conn.batch_execute(&format!("{before_commit} COMMIT;"))
            .expect("commit");
    });
    began.recv().expect("held transaction began");
    if !pg {
        commit.send(()).expect("commit");
    }
    let body = json!({ "lineItems": [line(EXCHANGE_ONLINE_PLAN_1, 1, "monthly", None)] });
    let path = format!("/v1/customers/{customer}/orders");
    let order = app.post(&path, token, body);
    let release = async {
        if !pg {
            return;
        }
        let mut seen = false;
        for _ in 0..200 {
            let waiting = app
                .with_conn(|c| {
                    #[derive(diesel::QueryableByName)]
                    struct Waiting {
                        #[diesel(sql_type = diesel::sql_types::BigInt)]
                        n: i64,
                    }
                    diesel::sql_query(
                        "SELECT count(*) AS n FROM pg_stat_activity \
                         WHERE datname = current_database() AND wait_event_type = 'Lock'",
                    )
                    .get_result::<Waiting>(c)
                    .expect("pg_stat_activity")
                    .n
                })
                .await;
            if waiting > 0 {
                seen = true;
                break;
            }
            actix_rt::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        commit.send(()).expect("commit");
        assert!(
            seen,
            "the order never waited on the held transaction's locks"
        );
    };
    let (answer, ()) = futures::join!(order, release);
    holder.join().expect("the held transaction committed");
    answer
}

/// An order that arrives while the provider's relationship with the customer is being removed
/// (the removal's transaction has locked the customer and deleted the relationship, and not
/// committed yet) waits for it, then finds no relationship: 404, nothing written. An order
/// never slips past a removal on a relationship it read before the removal committed.
#[actix_rt::test]
async fn an_order_waiting_on_a_relationship_removal_finds_no_relationship() {
    let app = TestApp::new().await;
    let provider = app.token(PROVIDER_GA).await;
    let provider_id = tenant_id(&app, &provider).await;
    let tailspin = app.customer_id("tailspin.example").await;
    let lock = if app.is_postgres() {
        format!("SELECT id FROM customers WHERE id = '{tailspin}' FOR UPDATE;")
    } else {
        String::new()
    };
    let removal = format!(
        "{lock} DELETE FROM customer_relationships \
         WHERE partner_id = '{provider_id}' AND customer_id = '{tailspin}';"
    );
    let answer = order_while_held(&app, &provider, &tailspin, removal, String::new()).await;
    answer.assert_problem(404, "not_found");
    let held = app
        .get("/v1/my/subscriptions", &app.token(TAILSPIN_ADMIN).await)
        .await;
    held.assert(200);
    assert!(
        held.items()
            .iter()
            .all(|s| s["billingPartnerId"] != provider_id.as_str()),
        "{:?}",
        held.items()
    );
}

/// A customer admin removing the provider's DAP (the relationship's row locked first, then an
/// audit record naming the customer) while an order of the provider waits on that row: the
/// order's customer lock must not block the removal's foreign-key check on the customer, or
/// the two would deadlock. Both finish: the removal commits, the order answers without a 5xx.
#[actix_rt::test]
async fn an_order_waiting_on_a_dap_removal_does_not_deadlock_with_it() {
    let app = TestApp::new().await;
    let provider = app.token(PROVIDER_GA).await;
    let provider_id = tenant_id(&app, &provider).await;
    let tailspin = app.customer_id("tailspin.example").await;
    let removal = format!(
        "UPDATE customer_relationships SET delegated_admin = FALSE \
         WHERE partner_id = '{provider_id}' AND customer_id = '{tailspin}';"
    );
    // The audit record's foreign-key check on the customer, just before the commit.
    let audit = format!(
        "INSERT INTO audit_records (id, partner_id, customer_id, actor_type, actor_id, \
         actor_name, operation_type, resource_type, resource_id, old_value, new_value, \
         request_id, created_at) VALUES ('{}', '{provider_id}', '{tailspin}', 'user', NULL, \
         'Tailspin admin', 'dap_removed', 'relationship', '{tailspin}', NULL, NULL, 'test', \
         '2026-01-01 00:00:00');",
        uuid::Uuid::now_v7()
    );
    let answer = order_while_held(&app, &provider, &tailspin, removal, audit).await;
    assert!(
        matches!(answer.status.as_u16(), 201 | 403),
        "the order answered {answer:?}"
    );
}

#[actix_rt::test]
async fn removing_a_relationship_with_active_subscriptions_answers_409_listing_them() {
    let app = TestApp::new().await;
    let provider = app.token(PROVIDER_GA).await;
    let provider_id = tenant_id(&app, &provider).await;
    let northwind = app.token(PARTNERED_GA).await;
    let northwind_id = tenant_id(&app, &northwind).await;
    let tailspin = app.customer_id("tailspin.example").await;
    let sub = active_subscription(&app, &tailspin, &provider_id, Some(&northwind_id)).await;

    for token in [&provider, &northwind] {
        let res = app
            .delete(&format!("/v1/customers/{tailspin}/relationship"), token)
            .await;
        res.assert_problem(409, "active_subscriptions");
        assert_eq!(res.body["activeSubscriptionIds"], json!([sub]));
        let detail = res.body["detail"].as_str().unwrap();
        assert!(
            detail.contains(&sub) && detail.contains("Suspend"),
            "{detail}"
        );
    }
    assert!(ids(&app.get("/v1/customers", &provider).await, "id").contains(&tailspin));

    app.execute_sql(&format!(
        "UPDATE subscriptions SET status = 'suspended' WHERE id = '{sub}'"
    ))
    .await;
    app.delete(
        &format!("/v1/customers/{tailspin}/relationship"),
        &northwind,
    )
    .await
    .assert(204);
    assert!(
        app.get("/v1/customers", &northwind)
            .await
            .items()
            .is_empty()
    );
}

#[actix_rt::test]
async fn customer_user_password_reset_gives_a_temporary_password_once() {
    let app = TestApp::new().await;
    let agent = app.token(PROVIDER_HA).await;
    let adatum = app.customer_id("adatum.example").await;
    let users = app
        .get(&format!("/v1/customers/{adatum}/users"), &agent)
        .await;
    users.assert(200);
    assert_eq!(users.items().len(), 1);
    assert_eq!(users.items()[0]["userName"], ADATUM_ADMIN);
    assert_eq!(users.items()[0]["roles"], json!(["customer_admin"]));
    let user = users.items()[0]["id"].as_str().unwrap().to_owned();
    let before = app.token(ADATUM_ADMIN).await;

    let res = app
        .post(
            &format!("/v1/customers/{adatum}/users/{user}/password-reset"),
            &agent,
            json!({}),
        )
        .await;
    res.assert(200);
    assert_eq!(res.body["userName"], ADATUM_ADMIN);
    let temp = res.str("temporaryPassword");
    assert!(temp.len() >= 12);

    // The old password and the old token stop working; the temporary one must be changed.
    assert_eq!(
        app.sign_in(ADATUM_ADMIN, PASSWORD).await.body["error"],
        "invalid_grant"
    );
    app.get("/v1/my/partners", &before)
        .await
        .assert_problem(401, "token_revoked");
    assert_eq!(
        app.sign_in(ADATUM_ADMIN, &temp).await.body["error"],
        "password_change_required"
    );
    let after = app.activate(ADATUM_ADMIN, &temp).await;
    app.get("/v1/my/partners", &after).await.assert(200);
    let listed = app
        .get(&format!("/v1/customers/{adatum}/users"), &agent)
        .await;
    assert!(!listed.text.contains(&temp));

    let audit = app
        .get(
            &format!(
                "/v1/audit-records?customerId={adatum}&operationType=reset_customer_user_password"
            ),
            &agent,
        )
        .await;
    assert_eq!(audit.items().len(), 1);
    assert!(!audit.text.contains(&temp), "the password is never audited");

    // Another customer's user, or an unknown one, is not found under this customer.
    let tailspin = app.customer_id("tailspin.example").await;
    let tailspin_user = first_user(&app, &agent, &tailspin).await;
    for id in [tailspin_user, uuid::Uuid::now_v7().to_string()] {
        app.post(
            &format!("/v1/customers/{adatum}/users/{id}/password-reset"),
            &agent,
            json!({}),
        )
        .await
        .assert_problem(404, "not_found");
    }
}

#[actix_rt::test]
async fn relationship_request_permissions_follow_the_role_table() {
    let app = TestApp::new().await;
    for (user, allowed) in [
        (PROVIDER_GA, true),
        (PROVIDER_UMA, false),
        (PROVIDER_AA, true),
        (PROVIDER_SA, true),
        (PROVIDER_HA, false),
        (RESELLER_GA, true),
        (RESELLER_AA, true),
        (RESELLER_SA, true),
        (RESELLER_HA, false),
    ] {
        let token = app.token(user).await;
        let create = app
            .post(
                "/v1/relationship-requests",
                &token,
                json!({ "includeDelegatedAdmin": false }),
            )
            .await;
        let list = app.get("/v1/relationship-requests", &token).await;
        assert_eq!(
            create.status == 201,
            allowed,
            "{user} create: {}",
            create.text
        );
        assert_eq!(list.status == 200, allowed, "{user} list: {}", list.text);
        if !allowed {
            create.assert_problem(403, "insufficient_role");
            list.assert_problem(403, "insufficient_role");
        }
    }
    // Only a customer admin accepts.
    let created = relationship_request(
        &app,
        &app.token(RESELLER_GA).await,
        json!({ "includeDelegatedAdmin": false }),
    )
    .await;
    accept(&app, &app.token(PROVIDER_GA).await, &created)
        .await
        .assert_problem(403, "insufficient_role");
    app.post(
        "/v1/relationship-requests",
        &app.token(ADATUM_ADMIN).await,
        json!({ "includeDelegatedAdmin": false }),
    )
    .await
    .assert_problem(403, "insufficient_role");
    accept(&app, &app.token(ADATUM_ADMIN).await, &created)
        .await
        .assert(200);
}

#[actix_rt::test]
async fn remove_customer_relationship_is_for_global_admins_only() {
    let app = TestApp::new().await;
    let adatum = app.customer_id("adatum.example").await;
    for user in [PROVIDER_UMA, PROVIDER_AA, PROVIDER_SA, PROVIDER_HA] {
        let res = app
            .delete(
                &format!("/v1/customers/{adatum}/relationship"),
                &app.token(user).await,
            )
            .await;
        res.assert_problem(403, "insufficient_role");
        assert!(
            res.body["detail"]
                .as_str()
                .unwrap()
                .contains("global_admin")
        );
    }
    app.delete(
        &format!("/v1/customers/{adatum}/relationship"),
        &app.token(PROVIDER_GA).await,
    )
    .await
    .assert(204);
}

#[actix_rt::test]
async fn customer_user_permissions_follow_the_role_table() {
    let app = TestApp::new().await;
    let adatum = app.customer_id("adatum.example").await;
    let user = first_user(&app, &app.token(PROVIDER_GA).await, &adatum).await;
    for (who, allowed) in [
        (PROVIDER_GA, true),
        (PROVIDER_UMA, false),
        (PROVIDER_AA, true),
        (PROVIDER_SA, false),
        (PROVIDER_HA, true),
    ] {
        let token = app.token(who).await;
        let list = app
            .get(&format!("/v1/customers/{adatum}/users"), &token)
            .await;
        let reset = app
            .post(
                &format!("/v1/customers/{adatum}/users/{user}/password-reset"),
                &token,
                json!({}),
            )
            .await;
        assert_eq!(list.status == 200, allowed, "{who} list: {}", list.text);
        assert_eq!(reset.status == 200, allowed, "{who} reset: {}", reset.text);
        if !allowed {
            list.assert_problem(403, "insufficient_role");
            reset.assert_problem(403, "insufficient_role");
        }
    }
}

#[actix_rt::test]
async fn whole_flow_audit_trail_is_readable_by_each_partner_involved() {
    let app = TestApp::new().await;
    let contoso = app.token(PROVIDER_GA).await;
    let contoso_id = tenant_id(&app, &contoso).await;
    let fabrikam = app.token(RESELLER_GA).await;
    let fabrikam_id = tenant_id(&app, &fabrikam).await;
    let adatum = app.customer_id("adatum.example").await;
    let admin = app.token(ADATUM_ADMIN).await;
    let start = chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string();

    // Flow 1: invite (one revoked, one accepted).
    let revoked = invite(&app, &contoso, "old@fabrikam-resellers.example").await;
    app.delete(
        &format!(
            "/v1/indirect-resellers/invitations/{}",
            revoked["id"].as_str().unwrap()
        ),
        &contoso,
    )
    .await
    .assert(204);
    partner(&app, &contoso, &fabrikam).await;
    // Flow 2: a customer for the reseller.
    let wingtip = app
        .create_customer(&contoso, "Wingtip", "wingtip.example", Some(&fabrikam_id))
        .await["customer"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Flow 3: the reseller asks Adatum for a relationship with DAP, naming its provider.
    let created = relationship_request(
        &app,
        &fabrikam,
        json!({ "includeDelegatedAdmin": true, "indirectProviderId": contoso_id }),
    )
    .await;
    accept(&app, &admin, &created).await.assert(200);
    // Flow 6: a password reset with DAP; the admin signs in with the temporary password.
    let user = first_user(&app, &fabrikam, &adatum).await;
    let reset = app
        .post(
            &format!("/v1/customers/{adatum}/users/{user}/password-reset"),
            &fabrikam,
            json!({}),
        )
        .await;
    reset.assert(200);
    let admin = app
        .activate(ADATUM_ADMIN, &reset.str("temporaryPassword"))
        .await;
    // Flow 4: Adatum's admin removes the reseller's DAP.
    app.delete(
        &format!("/v1/my/partners/{fabrikam_id}/delegated-admin"),
        &admin,
    )
    .await
    .assert(204);
    // Flow 5: the reseller removes its relationship with Adatum.
    app.delete(&format!("/v1/customers/{adatum}/relationship"), &fabrikam)
        .await
        .assert(204);
    // Flow 7: the reseller ends the partnership.
    app.delete(&format!("/v1/indirect-providers/{contoso_id}"), &fabrikam)
        .await
        .assert(204);

    let trail = |token: String| {
        let app = &app;
        let url = format!("/v1/audit-records?limit=500&from={}", urlencode(&start));
        async move {
            let res = app.get(&url, &token).await;
            res.assert(200);
            for r in res.items() {
                assert!(!r["actor"]["displayName"].as_str().unwrap().is_empty());
                assert!(!r["requestId"].as_str().unwrap().is_empty());
            }
            res.items()
                .iter()
                .map(|r| {
                    (
                        r["operationType"].as_str().unwrap().to_owned(),
                        r["customerId"].as_str().map(str::to_owned),
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    let adatum_ = Some(adatum.clone());
    let wingtip_ = Some(wingtip.clone());
    let op = |o: &str, c: &Option<String>| (o.to_owned(), c.clone());
    assert_eq!(
        trail(fabrikam.clone()).await,
        vec![
            op("create_partner_relationship", &None),
            op("create_customer_relationship", &wingtip_),
            op("create_relationship_request", &None),
            op("accept_relationship_request", &adatum_),
            op("reset_customer_user_password", &adatum_),
            op("dap_removed", &adatum_),
            op("remove_customer_relationship", &adatum_),
            op("remove_partner_relationship", &None),
        ]
    );
    assert_eq!(
        trail(contoso.clone()).await,
        vec![
            op("create_partnership_invitation", &None),
            op("revoke_partnership_invitation", &None),
            op("create_partnership_invitation", &None),
            op("create_partner_relationship", &None),
            op("create_customer", &wingtip_),
            op("create_customer_relationship", &wingtip_),
            op("create_relationship_request", &None),
            op("accept_relationship_request", &adatum_),
            op("remove_partner_relationship", &None),
        ]
    );
    // A partner not involved reads none of it.
    assert!(trail(app.token(PARTNERED_GA).await).await.is_empty());
}
