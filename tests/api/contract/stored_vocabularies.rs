//! Stored vocabularies are closed: a row whose stored roles, partner kind, billing cycle or
//! severity is outside the vocabulary (written behind the API's back) makes the request that
//! reads it answer 500 `internal_error` with nothing of the stored value in the body — never a
//! default role set, kind, cycle or severity. And the "last global admin" count matches the role
//! name exactly.

use serde_json::json;

use crate::harness::*;

/// Asserts the generic 500 `internal_error` (on the token endpoint: the OAuth `server_error`),
/// whose body does not carry `secret` (the stored value) nor any other internal text.
#[track_caller]
fn assert_internal(res: &Res, secret: &str) {
    let (detail, generic) = if res.body["error"].is_string() {
        res.assert(500);
        assert_eq!(res.body["error"], "server_error", "{}", res.text);
        (&res.body["error_description"], "error_description")
    } else {
        res.assert_problem(500, "internal_error");
        (&res.body["detail"], "detail")
    };
    assert_eq!(
        detail, "An unexpected error occurred; quote the request id when reporting it.",
        "{generic}: {}",
        res.text
    );
    for leak in [secret, "unknown", "database", "internal error"] {
        assert!(
            !res.text.contains(leak),
            "the body shows {leak:?}: {}",
            res.text
        );
    }
}

#[actix_rt::test]
async fn a_user_with_an_unknown_stored_role_is_an_error_not_fewer_roles() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let agent = app.token(PROVIDER_SA).await;
    let agent_id = app.user_id(PROVIDER_SA).await;
    app.execute_sql(&format!(
        "UPDATE users SET roles = 'sales_agent,chief_admin' WHERE id = '{agent_id}'"
    ))
    .await;

    // The user's own requests reload it; its admins read it.
    assert_internal(&app.get("/v1/me", &agent).await, "chief_admin");
    assert_internal(
        &app.get(&format!("/v1/users/{agent_id}"), &ga).await,
        "chief_admin",
    );
    assert_internal(&app.get("/v1/users", &ga).await, "chief_admin");
    assert_internal(&app.sign_in(PROVIDER_SA, PASSWORD).await, "chief_admin");

    // The other users are unaffected.
    app.get("/v1/me", &ga).await.assert(200);
}

#[actix_rt::test]
async fn an_application_with_an_unknown_stored_role_is_an_error_not_fewer_roles() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let created = app
        .create_application(&ga, "Billing bot", &["sales_agent"])
        .await;
    let id = created["application"]["id"].as_str().unwrap().to_owned();
    let client_id = created["application"]["clientId"]
        .as_str()
        .unwrap()
        .to_owned();
    let secret = created["clientSecret"].as_str().unwrap().to_owned();
    let bot = app.client_sign_in(&client_id, &secret).await;
    bot.assert(200);
    let bot = bot.str("access_token");
    app.execute_sql(&format!(
        "UPDATE applications SET roles = 'sales_agent,Sales_Agent' WHERE id = '{id}'"
    ))
    .await;

    assert_internal(&app.get("/v1/me", &bot).await, "Sales_Agent");
    assert_internal(&app.get("/v1/applications", &ga).await, "Sales_Agent");
    assert_internal(
        &app.client_sign_in(&client_id, &secret).await,
        "Sales_Agent",
    );
}

#[actix_rt::test]
async fn a_partner_with_an_unknown_stored_kind_is_an_error_not_a_reseller() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let provider = app.tenant_id(PROVIDER_GA).await;
    // Both schemas hold the kinds in a CHECK constraint: step around it as a faulty writer would.
    let update = format!("UPDATE partners SET kind = 'distributor' WHERE id = '{provider}';");
    app.execute_sql(&if app.is_postgres() {
        format!("ALTER TABLE partners DROP CONSTRAINT partners_kind_check; {update}")
    } else {
        format!(
            "PRAGMA ignore_check_constraints = ON; {update} PRAGMA ignore_check_constraints = OFF;"
        )
    })
    .await;

    assert_internal(&app.get("/v1/me", &ga).await, "distributor");
    assert_internal(&app.get("/v1/partner", &ga).await, "distributor");
    assert_internal(&app.get("/v1/customers", &ga).await, "distributor");
    assert_internal(&app.sign_in(PROVIDER_GA, PASSWORD).await, "distributor");

    // A reseller's own requests do not read the provider's kind.
    let reseller = app.token(RESELLER_GA).await;
    app.get("/v1/partner", &reseller).await.assert(200);
}

#[actix_rt::test]
async fn a_subscription_with_an_unknown_stored_billing_cycle_is_an_error_not_monthly() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let provider = app.tenant_id(PROVIDER_GA).await;
    let customer = app.customer_id("adatum.example").await;
    let subscription = app.insert_subscription(&customer, &provider, M365_E3).await;
    app.execute_sql(&format!(
        "UPDATE subscriptions SET billing_cycle = 'weekly' WHERE id = '{subscription}'"
    ))
    .await;

    let base = format!("/v1/customers/{customer}/subscriptions");
    assert_internal(
        &app.get(&format!("{base}/{subscription}"), &ga).await,
        "weekly",
    );
    assert_internal(&app.get(&base, &ga).await, "weekly");
    assert_internal(
        &app.patch(
            &format!("{base}/{subscription}"),
            &ga,
            json!({ "friendlyName": "Renamed" }),
        )
        .await,
        "weekly",
    );
}

#[actix_rt::test]
async fn an_offer_with_an_unknown_stored_billing_cycle_is_an_error_not_a_shorter_list() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    app.execute_sql(&format!(
        "UPDATE offers SET billing_cycles = '[\"monthly\",\"weekly\"]' WHERE id = '{M365_E3}'"
    ))
    .await;

    assert_internal(
        &app.get(&format!("/v1/offers/{M365_E3}"), &ga).await,
        "weekly",
    );
    assert_internal(&app.get("/v1/offers?limit=100", &ga).await, "weekly");
    let customer = app.customer_id("adatum.example").await;
    assert_internal(
        &app.post(
            &format!("/v1/customers/{customer}/orders"),
            &ga,
            json!({ "lineItems": [line(M365_E3, 10, "monthly", None)] }),
        )
        .await,
        "weekly",
    );
    // Other offers read as before.
    app.get(&format!("/v1/offers/{M365_E5}"), &ga)
        .await
        .assert(200);
}

#[actix_rt::test]
async fn only_the_exact_role_name_counts_as_another_global_admin() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let ga_path = format!("/v1/users/{}", app.user_id(PROVIDER_GA).await);
    let other = app
        .create_user(
            &ga,
            "near.miss@contoso-distribution.example",
            &["helpdesk_agent"],
        )
        .await;
    let other = other["user"]["id"].as_str().unwrap().to_owned();
    let step_down = json!({ "roles": ["admin_agent"] });

    // Stored role sets that contain `global_admin` as text but not as a role: the old
    // `LIKE '%global_admin%'` counted each as a second global admin.
    for near_miss in [
        "global_admin_x",
        "helpdesk_agent,xglobal_admin",
        "global-admin",
        "GLOBAL_ADMIN",
        "helpdesk_agent,global_admins",
    ] {
        app.execute_sql(&format!(
            "UPDATE users SET roles = '{near_miss}' WHERE id = '{other}'"
        ))
        .await;
        app.patch(&ga_path, &ga, step_down.clone())
            .await
            .assert_problem(409, "last_global_admin");
    }

    // The exact name counts wherever it stands in the stored set.
    app.execute_sql(&format!(
        "UPDATE users SET roles = 'helpdesk_agent,global_admin' WHERE id = '{other}'"
    ))
    .await;
    app.patch(&ga_path, &ga, step_down).await.assert(200);
}

#[actix_rt::test]
async fn a_service_request_with_an_unknown_stored_severity_is_an_error_not_medium() {
    let app = TestApp::new().await;
    let agent = app.token(PARTNERED_AA).await;
    let list = format!(
        "/v1/customers/{}/service-requests",
        app.customer_id("tailspin.example").await
    );
    let res = app
        .post(
            &list,
            &agent,
            json!({ "title": "Outlook", "description": "Sign-in fails.", "severity": "high" }),
        )
        .await;
    res.assert(201);
    let id = res.str("id");
    app.execute_sql(&format!(
        "UPDATE service_requests SET severity = 'urgent' WHERE id = '{id}'"
    ))
    .await;

    assert_internal(&app.get(&format!("{list}/{id}"), &agent).await, "urgent");
    assert_internal(&app.get(&list, &agent).await, "urgent");
}
