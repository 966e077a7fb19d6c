//! Security groups: who may manage them (the permission table: GA, UMA), their members (the partner's own users
//! and applications only), audit records, and what deleting one does to its access.

use serde_json::json;

use super::*;

#[actix_web::test]
async fn security_group_crud_is_audited_and_names_are_unique_per_partner() {
    let app = TestApp::new().await;
    let uma = app.token(PROVIDER_UMA).await;
    let created = app
        .post(
            "/v1/security-groups",
            &uma,
            json!({ "displayName": "Helpdesk", "description": "Tier 1" }),
        )
        .await;
    created.assert(201);
    let id = created.str("id");
    let path = format!("/v1/security-groups/{id}");
    assert_eq!(created.header("location").as_deref(), Some(path.as_str()));
    app.post(
        "/v1/security-groups",
        &uma,
        json!({ "displayName": "Helpdesk" }),
    )
    .await
    .assert_problem(409, "already_exists");
    // Another partner may use the same name.
    app.post(
        "/v1/security-groups",
        &app.token(PARTNERED_GA).await,
        json!({ "displayName": "Helpdesk" }),
    )
    .await
    .assert(201);

    let etag = app.get(&path, &uma).await.header("etag").unwrap();
    let renamed = app
        .patch_if_match(
            &path,
            &uma,
            &etag,
            json!({ "displayName": "Helpdesk tier 1", "description": "" }),
        )
        .await;
    renamed.assert(200);
    assert_eq!(renamed.str("displayName"), "Helpdesk tier 1");
    assert!(renamed.body["description"].is_null());
    app.patch_if_match(&path, &uma, &etag, json!({ "displayName": "Stale" }))
        .await
        .assert(412);

    let agent = app.user_id(PROVIDER_HA).await;
    let app_id = app
        .create_application(&app.token(PROVIDER_GA).await, "Robot", &["helpdesk_agent"])
        .await["application"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for member in [&agent, &app_id] {
        app.put(&format!("{path}/members/{member}"), &uma, json!({}))
            .await
            .assert(200);
    }
    let with = app
        .put(&format!("{path}/members/{agent}"), &uma, json!({}))
        .await;
    with.assert(200);
    let types: Vec<String> = with.body["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["memberType"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        types,
        ["user", "application"],
        "adding again changes nothing"
    );
    // Another partner's user is not found.
    let foreign = partner_user_id(&app, &app.token(PARTNERED_GA).await, PARTNERED_HA).await;
    app.put(&format!("{path}/members/{foreign}"), &uma, json!({}))
        .await
        .assert_problem(404, "not_found");
    app.delete(&format!("{path}/members/{agent}"), &uma)
        .await
        .assert(204);
    app.delete(&format!("{path}/members/{agent}"), &uma)
        .await
        .assert_problem(404, "not_found");
    assert_eq!(app.get("/v1/security-groups", &uma).await.items().len(), 1);
    app.get(&path, &app.token(PARTNERED_GA).await)
        .await
        .assert_problem(404, "not_found");

    app.delete(&path, &uma).await.assert(204);
    app.get(&path, &uma).await.assert_problem(404, "not_found");
    let audit = app
        .get(
            "/v1/audit-records?resourceType=security_group&limit=500",
            &uma,
        )
        .await;
    let ops: Vec<String> = ids(&audit, "operationType");
    for op in [
        "create_security_group",
        "update_security_group",
        "add_security_group_member",
        "remove_security_group_member",
        "delete_security_group",
    ] {
        assert!(ops.iter().any(|o| o == op), "{op} not in {ops:?}");
    }
}

#[actix_web::test]
async fn security_group_permissions_follow_the_role_table() {
    let app = TestApp::new().await;
    for (user, allowed) in [
        (PROVIDER_GA, true),
        (PROVIDER_UMA, true),
        (PROVIDER_AA, false),
        (PROVIDER_SA, false),
        (PROVIDER_HA, false),
    ] {
        let token = app.token(user).await;
        let res = app
            .post(
                "/v1/security-groups",
                &token,
                json!({ "displayName": format!("Group of {user}") }),
            )
            .await;
        if allowed {
            res.assert(201);
        } else {
            res.assert_insufficient_role(&["global_admin", "user_management_admin"]);
        }
    }
}

#[actix_web::test]
async fn deleting_a_group_deletes_its_assignments_and_the_members_lose_access() {
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
    assign(&app, &aa, &id, &readers, &["Directory Readers"])
        .await
        .assert(201);
    let users = format!("/v1/customers/{tailspin}/users");
    let agent = app.token(PARTNERED_HA).await;
    app.get(&users, &agent).await.assert(200);
    app.delete(&format!("/v1/security-groups/{readers}"), &ga)
        .await
        .assert(204);
    app.get(&users, &agent)
        .await
        .assert_problem(403, "delegated_admin_required");
    let list = app
        .get(
            &format!("/v1/delegated-admin-relationships/{id}/accessAssignments"),
            &aa,
        )
        .await;
    assert_eq!(list.items()[0]["status"], "deleted");
}
