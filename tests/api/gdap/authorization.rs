//! The DAP rows of the permission table with a GDAP-only caller (docs/concepts.md#granular-delegated-admin-gdap): Northwind's admin agent, after
//! Tailspin removed Northwind's DAP, holding one directory role at a time through its security
//! group. Each row is allowed exactly with the roles GDAP maps to it (Global Administrator grants
//! every one) and answers 403 `delegated_admin_required` naming those roles otherwise. An
//! application in the group gets the same rights.

use partner_center::auth::permissions::Operation;
use partner_center::domain::gdap::directory_roles;
use serde_json::json;

use super::*;

#[actix_web::test]
async fn every_dap_row_accepts_exactly_its_mapped_gdap_roles() {
    let app = TestApp::new().await;
    let (ga, aa) = (app.token(PARTNERED_GA).await, app.token(PARTNERED_AA).await);
    let northwind = app.tenant_id(PARTNERED_GA).await;
    let tailspin = app.customer_id("tailspin.example").await;
    let sa = app.token(PROVIDER_SA).await;
    let sub = app
        .order(
            &sa,
            &tailspin,
            vec![line(M365_BUSINESS_BASIC, 10, "monthly", Some(&northwind))],
        )
        .await["subscriptions"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let admin = app.token(TAILSPIN_ADMIN).await;
    app.delete(
        &format!("/v1/my/partners/{northwind}/delegated-admin"),
        &admin,
    )
    .await
    .assert(204);
    let all: Vec<&str> = directory_roles()
        .iter()
        .map(|r| r.display_name.as_str())
        .collect();
    let id = active_relationship(
        &app,
        &aa,
        &tailspin,
        TAILSPIN_ADMIN,
        ("Everything", "P30D", "PT0S"),
        &all,
    )
    .await;
    let me = partner_user_id(&app, &ga, PARTNERED_AA).await;
    let group_id = group(&app, &ga, "Rotating", &[&me]).await;
    let users = format!("/v1/customers/{tailspin}/users");
    let customer_user = app.get(&users, &ga).await;
    // Northwind's GA has no grant either: the list is refused, so read the user id as the provider.
    assert_eq!(customer_user.status.as_u16(), 403);
    let customer_user = app.get(&users, &app.token(PROVIDER_GA).await).await.items()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let mut upgraded = false;
    for role_name in &all {
        let assignment = assign(&app, &aa, &id, &group_id, &[role_name]).await;
        assignment.assert(201);
        let rows = [
            (Operation::ListCustomerUsers, app.get(&users, &aa).await),
            (
                Operation::ResetCustomerUserPassword,
                app.post(&format!("{users}/{customer_user}/password-reset"), &aa, json!({})).await,
            ),
            (
                Operation::UpgradeSubscription,
                app.post(
                    &format!("/v1/customers/{tailspin}/subscriptions/{sub}/upgrades"),
                    &aa,
                    json!({ "targetOfferId": M365_BUSINESS_STANDARD, "quantity": 1 }),
                )
                .await,
            ),
            (
                Operation::ReadServiceRequests,
                app.get(&format!("/v1/customers/{tailspin}/service-requests"), &aa).await,
            ),
            (
                Operation::ManageServiceRequests,
                app.post(
                    &format!("/v1/customers/{tailspin}/service-requests"),
                    &aa,
                    json!({ "title": "Sign-in fails", "description": "Everyone.", "severity": "high" }),
                )
                .await,
            ),
        ];
        for (op, res) in rows {
            let what = format!("{op:?} with {role_name}");
            let mapped = op.delegated_roles();
            if mapped.contains(role_name) {
                if op == Operation::UpgradeSubscription && upgraded {
                    // The first allowed upgrade moved a license to the target; later ones are
                    // judged past authorization.
                    res.assert_problem(409, "already_owned");
                } else {
                    assert!(res.status.is_success(), "{what} was refused: {}", res.text);
                    upgraded |= op == Operation::UpgradeSubscription;
                }
            } else {
                assert_eq!(res.status.as_u16(), 403, "{what} was allowed: {}", res.text);
                res.assert_problem(403, "delegated_admin_required");
                let named: Vec<&str> = res.body["delegatedRoles"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r["displayName"].as_str().unwrap())
                    .collect();
                assert_eq!(named, mapped, "{what}");
            }
        }
        app.delete(
            &format!(
                "/v1/delegated-admin-relationships/{id}/accessAssignments/{}",
                assignment.str("id")
            ),
            &aa,
        )
        .await
        .assert(204);
    }
    assert!(upgraded);
}

#[actix_web::test]
async fn an_application_in_the_group_gets_the_groups_gdap_rights() {
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
    let created = app
        .create_application(&ga, "Helpdesk robot", &["helpdesk_agent"])
        .await;
    let client = created["application"]["clientId"].as_str().unwrap();
    let robot = created["application"]["id"].as_str().unwrap();
    let signed = app
        .client_sign_in(client, created["clientSecret"].as_str().unwrap())
        .await;
    signed.assert(200);
    let token = signed.str("access_token");
    let users = format!("/v1/customers/{tailspin}/users");
    app.get(&users, &token)
        .await
        .assert_problem(403, "delegated_admin_required");
    let id = active_relationship(
        &app,
        &aa,
        &tailspin,
        TAILSPIN_ADMIN,
        ("Robots", "P30D", "PT0S"),
        &["Directory Readers"],
    )
    .await;
    let robots = group(&app, &ga, "Robots", &[robot]).await;
    assign(&app, &aa, &id, &robots, &["Directory Readers"])
        .await
        .assert(201);
    app.get(&users, &token).await.assert(200);
    app.delete(
        &format!("/v1/security-groups/{robots}/members/{robot}"),
        &ga,
    )
    .await
    .assert(204);
    app.get(&users, &token)
        .await
        .assert_problem(403, "delegated_admin_required");
}

#[actix_web::test]
async fn a_dap_caller_keeps_every_dap_row_without_any_gdap() {
    let app = TestApp::new().await;
    let tailspin = app.customer_id("tailspin.example").await;
    let agent = app.token(PARTNERED_HA).await;
    app.get(&format!("/v1/customers/{tailspin}/users"), &agent)
        .await
        .assert(200);
    app.get(
        &format!("/v1/customers/{tailspin}/service-requests"),
        &agent,
    )
    .await
    .assert(200);
}
