//! Delegated admin relationships end to end: drafting, editing while `created`, the approval link
//! bound to its customer, approval and rejection, access assignments and their errors, both
//! sides terminating, `enableGDAPByDefault`, and the reseller's whole story with its events.

use chrono::Duration;
use serde_json::json;

use super::*;

const GDAP_EVENTS: [&str; 8] = [
    "granular-admin-relationship-approved",
    "granular-admin-relationship-activated",
    "granular-admin-relationship-terminated",
    "granular-admin-relationship-expired",
    "granular-admin-relationship-auto-extended",
    "granular-admin-relationship-expiring",
    "granular-admin-access-assignment-created",
    "granular-admin-access-assignment-deleted",
];

/// The reseller's story, on a test clock: a P30D Helpdesk Administrator relationship for one of
/// its customers, approved by that customer only; DAP removed; a group's helpdesk agent resets a
/// password and one outside it gets 403 naming the roles; the reseller stays an eligible support
/// contact; the clock passes the end: the relationship expires, the reset is refused, the
/// support contact reverts, and every event reaches the reseller's webhook.
#[actix_web::test]
async fn reseller_gdap_relationship_grants_the_helpdesk_group_until_it_expires() {
    let app = TestApp::new().await;
    let (ga, aa) = (app.token(PARTNERED_GA).await, app.token(PARTNERED_AA).await);
    let northwind = app.tenant_id(PARTNERED_GA).await;
    let provider = app.tenant_id(PROVIDER_GA).await;
    let tailspin = app.customer_id("tailspin.example").await;
    // Tailspin lives on a test clock (a customer gets one at creation; the demo customer is
    // moved onto it directly).
    let clock = app
        .post(
            "/v1/test-clocks",
            &app.token(PROVIDER_GA).await,
            json!({ "name": "gdap", "frozenTime": "2027-01-01T00:00:00Z" }),
        )
        .await;
    clock.assert(201);
    let clock = clock.str("id");
    app.execute_sql(&format!(
        "UPDATE customers SET test_clock_id = '{clock}' WHERE id = '{tailspin}'"
    ))
    .await;
    let hook = app
        .post(
            "/v1/webhooks",
            &ga,
            json!({ "url": "https://hooks.example/gdap", "events": GDAP_EVENTS }),
        )
        .await;
    hook.assert(201);
    let hook = hook.body["webhook"]["id"].as_str().unwrap().to_owned();

    let created = draft(
        &app,
        &aa,
        &tailspin,
        "Tailspin helpdesk",
        "P30D",
        "PT0S",
        &["Helpdesk Administrator"],
    )
    .await;
    created.assert(201);
    assert_eq!(created.str("status"), "created");
    assert_eq!(created.body["customer"]["tenantId"], tailspin);
    let id = created.str("id");
    let locked = lock(&app, &aa, &id).await;
    assert_eq!(locked["relationship"]["status"], "approvalPending");
    assert!(
        locked["emailDraft"]["body"]
            .as_str()
            .unwrap()
            .contains("Helpdesk Administrator")
    );

    // Another customer's admin cannot use the link; the right one approves.
    decide(&app, &app.token(ADATUM_ADMIN).await, &locked, "approve")
        .await
        .assert_problem(422, "invalid_link_token");
    let tailspin_admin = app.token(TAILSPIN_ADMIN).await;
    let approved = decide(&app, &tailspin_admin, &locked, "approve").await;
    approved.assert(200);
    assert_eq!(approved.str("status"), "active");
    assert_eq!(approved.body["activatedDateTime"], "2027-01-01T00:00:00Z");
    let end = time(&approved.body["endDateTime"]);
    assert_eq!(
        end - time(&approved.body["activatedDateTime"]),
        Duration::days(30)
    );
    decide(&app, &tailspin_admin, &locked, "approve")
        .await
        .assert_problem(422, "invalid_link_token");

    // The customer removes Northwind's DAP; GDAP is all it has left.
    app.delete(
        &format!("/v1/my/partners/{northwind}/delegated-admin"),
        &tailspin_admin,
    )
    .await
    .assert(204);

    let in_group = partner_user_id(&app, &ga, PARTNERED_HA).await;
    let helpdesk = group(&app, &ga, "Helpdesk", &[&in_group]).await;
    let assigned = assign(&app, &aa, &id, &helpdesk, &["Helpdesk Administrator"]).await;
    assigned.assert(201);
    assert_eq!(assigned.str("status"), "active");

    let users = format!("/v1/customers/{tailspin}/users");
    let agent = app.token(PARTNERED_HA).await;
    let user = app.get(&users, &agent).await;
    user.assert(200);
    let reset = format!(
        "{users}/{}/password-reset",
        user.items()[0]["id"].as_str().unwrap()
    );
    app.post(&reset, &agent, json!({})).await.assert(200);
    let (_, outsider) = app
        .create_signed_in_user(
            &ga,
            "helpdesk.two@northwind-it.example",
            &["helpdesk_agent"],
        )
        .await;
    let refused = app.post(&reset, &outsider, json!({})).await;
    refused.assert_problem(403, "delegated_admin_required");
    let named: Vec<&str> = refused.body["delegatedRoles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["displayName"].as_str().unwrap())
        .collect();
    assert_eq!(
        named,
        [
            "Helpdesk Administrator",
            "Password Administrator",
            "User Administrator",
            "Global Administrator"
        ]
    );

    // Still an eligible support contact through GDAP alone.
    let sa = app.token(PROVIDER_SA).await;
    let sub = app
        .order(
            &sa,
            &tailspin,
            vec![line(M365_BUSINESS_BASIC, 5, "monthly", Some(&northwind))],
        )
        .await["subscriptions"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let contact = format!("/v1/customers/{tailspin}/subscriptions/{sub}/support-contact");
    app.put(&contact, &sa, json!({ "partnerId": northwind }))
        .await
        .assert(200);

    // The clock passes the end: expired, access gone, the support contact back to the provider.
    let advanced = app
        .post(
            &format!("/v1/test-clocks/{clock}/advance"),
            &app.token(PROVIDER_GA).await,
            json!({ "frozenTime": (end + Duration::seconds(1)).and_utc().to_rfc3339() }),
        )
        .await;
    advanced.assert(200);
    assert_eq!(advanced.body["status"], "ready");
    let after = app
        .get(&format!("/v1/delegated-admin-relationships/{id}"), &aa)
        .await;
    assert_eq!(after.str("status"), "expired");
    app.post(&reset, &agent, json!({}))
        .await
        .assert_problem(403, "delegated_admin_required");
    assert_eq!(app.get(&contact, &sa).await.body["partnerId"], provider);
    let candidates = app.get(&format!("{contact}/candidates"), &sa).await;
    assert!(!candidates.text.contains(&northwind), "{}", candidates.text);

    let types = delivered_types(&app, &ga, &hook).await;
    for expected in [
        "granular-admin-relationship-approved",
        "granular-admin-relationship-activated",
        "granular-admin-access-assignment-created",
        "granular-admin-relationship-expired",
    ] {
        assert!(
            types.iter().any(|t| t == expected),
            "{expected} not in {types:?}"
        );
    }
}

#[actix_web::test]
async fn update_relationship_while_created_needs_the_current_etag_and_is_refused_once_locked() {
    let app = TestApp::new().await;
    let aa = app.token(PROVIDER_AA).await;
    let adatum = app.customer_id("adatum.example").await;
    let res = draft(
        &app,
        &aa,
        &adatum,
        "Adatum readers",
        "P90D",
        "P180D",
        &["Directory Readers"],
    )
    .await;
    res.assert(201);
    let path = format!("/v1/delegated-admin-relationships/{}", res.str("id"));
    let etag = res.header("etag").unwrap();
    let changed = app
        .patch_if_match(
            &path,
            &aa,
            &etag,
            json!({ "duration": "P1Y", "accessDetails": roles(&["Global Reader"]) }),
        )
        .await;
    changed.assert(200);
    assert_eq!(changed.str("duration"), "P1Y");
    assert_eq!(
        changed.body["accessDetails"]["unifiedRoles"][0]["displayName"],
        "Global Reader"
    );
    app.patch_if_match(&path, &aa, &etag, json!({ "duration": "P2Y" }))
        .await
        .assert(412);
    app.patch(&path, &aa, json!({ "duration": "P3Y" }))
        .await
        .assert_problem(422, "duration_out_of_range");
    app.patch(&path, &aa, json!({ "duration": "P1M" }))
        .await
        .assert_problem(422, "validation_failed");
    lock(&app, &aa, &res.str("id")).await;
    app.patch(&path, &aa, json!({ "displayName": "Too late" }))
        .await
        .assert_problem(409, "relationship_not_editable");
}

#[actix_web::test]
async fn create_relationship_refuses_unknown_roles_taken_names_and_unreachable_customers() {
    let app = TestApp::new().await;
    let aa = app.token(PARTNERED_AA).await;
    let tailspin = app.customer_id("tailspin.example").await;
    let adatum = app.customer_id("adatum.example").await;
    draft(
        &app,
        &aa,
        &tailspin,
        "One",
        "P30D",
        "PT0S",
        &["Helpdesk Administrator"],
    )
    .await
    .assert(201);
    draft(
        &app,
        &aa,
        &tailspin,
        "One",
        "P30D",
        "PT0S",
        &["Helpdesk Administrator"],
    )
    .await
    .assert_problem(409, "already_exists");
    // Northwind has no relationship with Adatum.
    draft(
        &app,
        &aa,
        &adatum,
        "Two",
        "P30D",
        "PT0S",
        &["Helpdesk Administrator"],
    )
    .await
    .assert_problem(404, "not_found");
    let res = app
        .post(
            "/v1/delegated-admin-relationships",
            &aa,
            json!({ "displayName": "Three", "duration": "P30D", "customer": { "tenantId": tailspin },
                    "accessDetails": { "unifiedRoles": [{ "roleDefinitionId": "00000000-0000-0000-0000-000000000000" }] } }),
        )
        .await;
    res.assert_problem(422, "unknown_directory_role");
    assert_eq!(
        res.body["errors"][0]["field"],
        "accessDetails.unifiedRoles[0].roleDefinitionId"
    );
}

#[actix_web::test]
async fn create_access_assignment_refuses_each_wrong_item_with_its_own_error() {
    let app = TestApp::new().await;
    let (ga, aa) = (app.token(PROVIDER_GA).await, app.token(PROVIDER_AA).await);
    let adatum = app.customer_id("adatum.example").await;
    let helpdesk = group(&app, &ga, "Helpdesk", &[]).await;
    let drafted = draft(
        &app,
        &aa,
        &adatum,
        "Drafted",
        "P30D",
        "PT0S",
        &["Helpdesk Administrator"],
    )
    .await;
    assign(
        &app,
        &aa,
        &drafted.str("id"),
        &helpdesk,
        &["Helpdesk Administrator"],
    )
    .await
    .assert_problem(409, "relationship_not_active");
    let id = active_relationship(
        &app,
        &aa,
        &adatum,
        ADATUM_ADMIN,
        ("Active", "P30D", "PT0S"),
        &["Helpdesk Administrator"],
    )
    .await;
    let unknown = assign(
        &app,
        &aa,
        &id,
        "019a8f3c-9999-7000-8000-000000000000",
        &["Helpdesk Administrator"],
    )
    .await;
    unknown.assert_problem(422, "unknown_security_group");
    assert_eq!(
        unknown.body["errors"][0]["field"],
        "accessContainer.accessContainerId"
    );
    let outside = assign(
        &app,
        &aa,
        &id,
        &helpdesk,
        &["Helpdesk Administrator", "User Administrator"],
    )
    .await;
    outside.assert_problem(422, "role_not_in_relationship");
    assert_eq!(
        outside.body["errors"][0]["field"],
        "accessDetails.unifiedRoles[1].roleDefinitionId"
    );
    let created = assign(&app, &aa, &id, &helpdesk, &["Helpdesk Administrator"]).await;
    created.assert(201);
    assign(&app, &aa, &id, &helpdesk, &["Helpdesk Administrator"])
        .await
        .assert_problem(409, "access_assignment_exists");
    let list = app
        .get(
            &format!("/v1/delegated-admin-relationships/{id}/accessAssignments"),
            &aa,
        )
        .await;
    assert_eq!(ids(&list, "id"), [created.str("id")]);
    app.delete(
        &format!(
            "/v1/delegated-admin-relationships/{id}/accessAssignments/{}",
            created.str("id")
        ),
        &aa,
    )
    .await
    .assert(204);
    let list = app
        .get(
            &format!("/v1/delegated-admin-relationships/{id}/accessAssignments"),
            &aa,
        )
        .await;
    assert_eq!(list.items()[0]["status"], "deleted");
}

#[actix_web::test]
async fn deleting_an_access_assignment_ends_the_groups_access_at_once() {
    let app = TestApp::new().await;
    let (ga, aa) = (app.token(PARTNERED_GA).await, app.token(PARTNERED_AA).await);
    let northwind = app.tenant_id(PARTNERED_GA).await;
    let tailspin = app.customer_id("tailspin.example").await;
    app.delete(
        &format!("/v1/my/partners/{northwind}/delegated-admin"),
        &app.token(TAILSPIN_ADMIN).await,
    )
    .await
    .assert(204);
    let id = active_relationship(
        &app,
        &aa,
        &tailspin,
        TAILSPIN_ADMIN,
        ("Readers", "P30D", "PT0S"),
        &["Directory Readers"],
    )
    .await;
    let member = partner_user_id(&app, &ga, PARTNERED_HA).await;
    let readers = group(&app, &ga, "Readers", &[&member]).await;
    let assignment = assign(&app, &aa, &id, &readers, &["Directory Readers"]).await;
    assignment.assert(201);
    let users = format!("/v1/customers/{tailspin}/users");
    let agent = app.token(PARTNERED_HA).await;
    app.get(&users, &agent).await.assert(200);
    app.delete(
        &format!(
            "/v1/delegated-admin-relationships/{id}/accessAssignments/{}",
            assignment.str("id")
        ),
        &aa,
    )
    .await
    .assert(204);
    app.get(&users, &agent)
        .await
        .assert_problem(403, "delegated_admin_required");
}

#[actix_web::test]
async fn customer_admin_rejects_lists_and_terminates_its_relationships() {
    let app = TestApp::new().await;
    let (ga, aa) = (app.token(PARTNERED_GA).await, app.token(PARTNERED_AA).await);
    let northwind = app.tenant_id(PARTNERED_GA).await;
    let tailspin = app.customer_id("tailspin.example").await;
    let admin = app.token(TAILSPIN_ADMIN).await;
    app.delete(
        &format!("/v1/my/partners/{northwind}/delegated-admin"),
        &admin,
    )
    .await
    .assert(204);

    let drafted = draft(
        &app,
        &aa,
        &tailspin,
        "Rejected",
        "P30D",
        "PT0S",
        &["Directory Readers"],
    )
    .await;
    let locked = lock(&app, &aa, &drafted.str("id")).await;
    let rejected = decide(&app, &admin, &locked, "reject").await;
    rejected.assert(200);
    assert_eq!(rejected.str("status"), "terminated");
    draft(
        &app,
        &aa,
        &tailspin,
        "Unsent draft",
        "P30D",
        "PT0S",
        &["Directory Readers"],
    )
    .await
    .assert(201);

    let id = active_relationship(
        &app,
        &aa,
        &tailspin,
        TAILSPIN_ADMIN,
        ("Kept", "P30D", "PT0S"),
        &["Directory Readers"],
    )
    .await;
    let member = partner_user_id(&app, &ga, PARTNERED_HA).await;
    let readers = group(&app, &ga, "Readers", &[&member]).await;
    assign(&app, &aa, &id, &readers, &["Directory Readers"])
        .await
        .assert(201);
    let mine = app
        .get("/v1/my/delegated-admin-relationships", &admin)
        .await;
    mine.assert(200);
    let names: Vec<String> = ids(&mine, "displayName");
    assert_eq!(names, ["Rejected", "Kept"], "drafts are the partner's own");

    let agent = app.token(PARTNERED_HA).await;
    let users = format!("/v1/customers/{tailspin}/users");
    app.get(&users, &agent).await.assert(200);
    let ended = app
        .post(
            &format!("/v1/my/delegated-admin-relationships/{id}/requests"),
            &admin,
            json!({ "action": "terminate" }),
        )
        .await;
    ended.assert(201);
    assert_eq!(ended.body["relationship"]["status"], "terminated");
    app.get(&users, &agent)
        .await
        .assert_problem(403, "delegated_admin_required");
    // Adatum's admin sees none of them.
    let other = app
        .get(
            "/v1/my/delegated-admin-relationships",
            &app.token(ADATUM_ADMIN).await,
        )
        .await;
    assert!(other.items().is_empty());
}

#[actix_web::test]
async fn partner_terminates_an_active_relationship_and_its_access_ends() {
    let app = TestApp::new().await;
    let (ga, aa) = (app.token(PARTNERED_GA).await, app.token(PARTNERED_AA).await);
    let northwind = app.tenant_id(PARTNERED_GA).await;
    let tailspin = app.customer_id("tailspin.example").await;
    app.delete(
        &format!("/v1/my/partners/{northwind}/delegated-admin"),
        &app.token(TAILSPIN_ADMIN).await,
    )
    .await
    .assert(204);
    let id = active_relationship(
        &app,
        &aa,
        &tailspin,
        TAILSPIN_ADMIN,
        ("Ended", "P30D", "PT0S"),
        &["Directory Readers"],
    )
    .await;
    let member = partner_user_id(&app, &ga, PARTNERED_HA).await;
    let readers = group(&app, &ga, "Readers", &[&member]).await;
    assign(&app, &aa, &id, &readers, &["Directory Readers"])
        .await
        .assert(201);
    let terminate = format!("/v1/delegated-admin-relationships/{id}/requests");
    let ended = app
        .post(&terminate, &aa, json!({ "action": "terminate" }))
        .await;
    ended.assert(201);
    assert_eq!(ended.body["relationship"]["status"], "terminated");
    app.get(
        &format!("/v1/customers/{tailspin}/users"),
        &app.token(PARTNERED_HA).await,
    )
    .await
    .assert_problem(403, "delegated_admin_required");
    app.post(&terminate, &aa, json!({ "action": "terminate" }))
        .await
        .assert_problem(409, "relationship_not_editable");
}

#[actix_web::test]
async fn create_customer_with_enable_gdap_by_default_gives_provider_and_reseller_an_active_relationship()
 {
    let app = TestApp::new().await;
    let sa = app.token(PROVIDER_SA).await;
    let northwind = app.tenant_id(PARTNERED_GA).await;
    let mut body = customer_body("Wingtip", "wingtip.example", Some(&northwind));
    body["enableGDAPByDefault"] = json!(true);
    let res = app.post("/v1/customers", &sa, body).await;
    res.assert(201);
    let customer = res.body["customer"]["id"].as_str().unwrap().to_owned();
    for token in [app.token(PROVIDER_AA).await, app.token(PARTNERED_AA).await] {
        let list = app
            .get(
                &format!("/v1/delegated-admin-relationships?customerId={customer}"),
                &token,
            )
            .await;
        list.assert(200);
        let items = list.items();
        assert_eq!(items.len(), 1, "{}", list.text);
        assert_eq!(items[0]["status"], "active");
        assert_eq!(items[0]["duration"], "P730D");
        assert_eq!(items[0]["autoExtendDuration"], "P180D");
        let names: Vec<&str> = items[0]["accessDetails"]["unifiedRoles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["displayName"].as_str().unwrap())
            .collect();
        let defaults: Vec<&str> = partner_center::domain::gdap::directory_roles()
            .iter()
            .filter(|r| r.default_for_new_customers)
            .map(|r| r.display_name.as_str())
            .collect();
        assert_eq!(names, defaults);
    }
    let plain = app
        .create_customer(&sa, "Plain", "plain.example", None)
        .await;
    let list = app
        .get(
            &format!(
                "/v1/delegated-admin-relationships?customerId={}",
                plain["customer"]["id"].as_str().unwrap()
            ),
            &app.token(PROVIDER_AA).await,
        )
        .await;
    assert!(list.items().is_empty());
}

#[actix_web::test]
async fn list_directory_roles_serves_the_catalog_with_template_ids() {
    let app = TestApp::new().await;
    let res = app
        .get("/v1/directory-roles", &app.token(PROVIDER_HA).await)
        .await;
    res.assert(200);
    let helpdesk = res
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["displayName"] == "Helpdesk Administrator")
        .cloned()
        .expect("Helpdesk Administrator");
    assert_eq!(helpdesk["id"], "729827e3-9c14-49f7-bb1b-9608f156bbb8");
    app.get("/v1/directory-roles", &app.token(ADATUM_ADMIN).await)
        .await
        .assert_problem(403, "insufficient_role");
}

#[actix_web::test]
async fn reseller_keeps_its_support_contacts_while_dap_or_gdap_remains_and_loses_them_with_both() {
    let app = TestApp::new().await;
    let aa = app.token(PARTNERED_AA).await;
    let northwind = app.tenant_id(PARTNERED_GA).await;
    let provider = app.tenant_id(PROVIDER_GA).await;
    let tailspin = app.customer_id("tailspin.example").await;
    let sa = app.token(PROVIDER_SA).await;
    let sub = app
        .order(
            &sa,
            &tailspin,
            vec![line(M365_BUSINESS_BASIC, 5, "monthly", Some(&northwind))],
        )
        .await["subscriptions"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let contact = format!("/v1/customers/{tailspin}/subscriptions/{sub}/support-contact");
    app.put(&contact, &sa, json!({ "partnerId": northwind }))
        .await
        .assert(200);
    let id = active_relationship(
        &app,
        &aa,
        &tailspin,
        TAILSPIN_ADMIN,
        ("Support", "P30D", "PT0S"),
        &["Directory Readers"],
    )
    .await;

    // DAP removed, GDAP active: still the support contact.
    let admin = app.token(TAILSPIN_ADMIN).await;
    app.delete(
        &format!("/v1/my/partners/{northwind}/delegated-admin"),
        &admin,
    )
    .await
    .assert(204);
    assert_eq!(app.get(&contact, &sa).await.body["partnerId"], northwind);

    // The last GDAP relationship ends: back to the provider, audited with the reason.
    app.post(
        &format!("/v1/delegated-admin-relationships/{id}/requests"),
        &aa,
        json!({ "action": "terminate" }),
    )
    .await
    .assert(201);
    assert_eq!(app.get(&contact, &sa).await.body["partnerId"], provider);
    let audit = app
        .get(
            "/v1/audit-records?operationType=support_contact_reverted",
            &sa,
        )
        .await;
    assert!(
        audit.text.contains("granular_admin_ended"),
        "{}",
        audit.text
    );
}
