//! Partner users: create with a temporary password, the rules protecting global admins, disabling
//! and role changes taking effect on the next request, password reset, delete, paging, tenant
//! isolation.

use serde_json::json;

use crate::harness::*;

#[actix_rt::test]
async fn create_user_returns_temporary_password_once_and_forces_change() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_UMA).await;
    let res = app
        .post(
            "/v1/users",
            &token,
            json!({ "userName": "Pat@Contoso-Distribution.example", "displayName": "Pat", "roles": ["sales_agent", "helpdesk_agent"] }),
        )
        .await;
    res.assert(201);
    let user = &res.body["user"];
    let id = user["id"].as_str().unwrap();
    assert_eq!(res.header("location").unwrap(), format!("/v1/users/{id}"));
    assert_eq!(user["userName"], "pat@contoso-distribution.example");
    assert_eq!(user["roles"], json!(["sales_agent", "helpdesk_agent"]));
    assert_eq!(user["mustChangePassword"], true);
    assert_eq!(user["disabled"], false);
    let temp = res.str("temporaryPassword");
    assert!(temp.len() >= 12);
    assert_eq!(res.header("cache-control").as_deref(), Some("no-store"));
    assert!(!res.text.to_lowercase().contains("hash"));

    let read = app.get(&format!("/v1/users/{id}"), &token).await;
    read.assert(200);
    assert_eq!(read.body, *user);
    assert!(!read.text.contains(&temp));
    assert_eq!(read.header("etag"), res.header("etag"));

    let sign_in = app.sign_in("pat@contoso-distribution.example", &temp).await;
    sign_in.assert(400);
    assert_eq!(sign_in.body["error"], "password_change_required");
    let pat = app
        .activate("pat@contoso-distribution.example", &temp)
        .await;
    let me = app.get("/v1/me", &pat).await;
    assert_eq!(me.body["roles"], json!(["sales_agent", "helpdesk_agent"]));
    assert_eq!(me.body["tenantKind"], "indirect_provider");

    let audit = app
        .get("/v1/audit-records?operationType=create_user", &token)
        .await;
    let record = audit
        .items()
        .into_iter()
        .find(|r| r["resourceId"] == id)
        .expect("create_user audit record");
    assert_eq!(record["resourceType"], "user");
    assert_eq!(
        record["newValue"]["userName"],
        "pat@contoso-distribution.example"
    );
    assert!(!record.to_string().contains(&temp));
}

#[actix_rt::test]
async fn create_user_with_taken_user_name_answers_409_naming_user_name() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_GA).await;
    for taken in [PROVIDER_SA, "Sales.Agent@Contoso-Distribution.example"] {
        let res = app
            .post(
                "/v1/users",
                &token,
                json!({ "userName": taken, "displayName": "Again", "roles": ["sales_agent"] }),
            )
            .await;
        res.assert_problem(409, "duplicate_user_name");
        assert_eq!(res.body["errors"][0]["field"], "userName");
    }
}

#[actix_rt::test]
async fn create_user_with_invalid_fields_lists_each_field() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_GA).await;
    let res = app
        .post(
            "/v1/users",
            &token,
            json!({ "userName": "not-an-email", "displayName": " ", "roles": [] }),
        )
        .await;
    res.assert_problem(422, "validation_failed");
    let fields: Vec<&str> = res.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for f in ["userName", "displayName", "roles"] {
        assert!(fields.contains(&f), "{f} missing from {fields:?}");
    }
    for (roles, field) in [
        (json!(["customer_admin"]), "roles"),
        (json!(["owner"]), "roles[0]"),
    ] {
        let res = app
            .post(
                "/v1/users",
                &token,
                json!({ "userName": "x@contoso-distribution.example", "displayName": "X", "roles": roles }),
            )
            .await;
        res.assert_problem(422, "validation_failed");
        assert_eq!(res.body["errors"][0]["field"], field, "{}", res.text);
    }
    let res = app
        .post(
            "/v1/users",
            &token,
            json!({ "userName": "x@contoso-distribution.example", "displayName": "X", "roles": ["sales_agent"], "password": "mine" }),
        )
        .await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(res.body["errors"][0]["field"], "password");
}

#[actix_rt::test]
async fn user_management_admin_cannot_touch_global_admins() {
    let app = TestApp::new().await;
    let uma = app.token(PROVIDER_UMA).await;
    let ga_id = app.user_id(PROVIDER_GA).await;
    let aa_id = app.user_id(PROVIDER_AA).await;
    let create = app
        .post(
            "/v1/users",
            &uma,
            json!({ "userName": "boss@contoso-distribution.example", "displayName": "Boss", "roles": ["global_admin"] }),
        )
        .await;
    create.assert_problem(403, "global_admin_protected");
    let ga_path = format!("/v1/users/{ga_id}");
    for res in [
        app.patch(&ga_path, &uma, json!({ "displayName": "Renamed" }))
            .await,
        app.patch(&ga_path, &uma, json!({ "disabled": true })).await,
        app.post(&format!("{ga_path}/password-reset"), &uma, json!({}))
            .await,
        app.delete(&ga_path, &uma).await,
        app.patch(
            &format!("/v1/users/{aa_id}"),
            &uma,
            json!({ "roles": ["admin_agent", "global_admin"] }),
        )
        .await,
    ] {
        res.assert_problem(403, "global_admin_protected");
    }
    // Nothing changed: the global admin still signs in, the agent is still an agent.
    let ga = app.token(PROVIDER_GA).await;
    let aa = app.get(&format!("/v1/users/{aa_id}"), &ga).await;
    assert_eq!(aa.body["roles"], json!(["admin_agent"]));
    // The user management admin still manages everyone else.
    app.patch(
        &format!("/v1/users/{aa_id}"),
        &uma,
        json!({ "roles": ["admin_agent", "user_management_admin"] }),
    )
    .await
    .assert(200);
    // A global admin may grant the role.
    app.patch(
        &format!("/v1/users/{aa_id}"),
        &ga,
        json!({ "roles": ["global_admin"] }),
    )
    .await
    .assert(200);
}

#[actix_rt::test]
async fn users_cannot_disable_or_delete_themselves() {
    let app = TestApp::new().await;
    for user in [PROVIDER_GA, PROVIDER_UMA] {
        let token = app.token(user).await;
        let id = app.user_id(user).await;
        let path = format!("/v1/users/{id}");
        app.patch(&path, &token, json!({ "disabled": true }))
            .await
            .assert_problem(409, "self_protected");
        app.delete(&path, &token)
            .await
            .assert_problem(409, "self_protected");
        // Still active; renaming oneself is fine.
        app.patch(&path, &token, json!({ "displayName": "Me" }))
            .await
            .assert(200);
    }
}

#[actix_rt::test]
async fn last_enabled_global_admin_keeps_the_role() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let ga_id = app.user_id(PROVIDER_GA).await;
    let ga_path = format!("/v1/users/{ga_id}");
    app.patch(&ga_path, &ga, json!({ "roles": ["admin_agent"] }))
        .await
        .assert_problem(409, "last_global_admin");

    // A second global admin that is disabled does not count.
    let (second_id, second) = app
        .create_signed_in_user(
            &ga,
            "second.admin@contoso-distribution.example",
            &["global_admin"],
        )
        .await;
    let second_path = format!("/v1/users/{second_id}");
    app.patch(&second_path, &ga, json!({ "disabled": true }))
        .await
        .assert(200);
    app.patch(&ga_path, &ga, json!({ "roles": ["admin_agent"] }))
        .await
        .assert_problem(409, "last_global_admin");
    assert_eq!(
        app.get(&ga_path, &ga).await.body["roles"],
        json!(["global_admin"])
    );

    // Once it is enabled again, the first may step down, and is then protected itself.
    app.patch(&second_path, &ga, json!({ "disabled": false }))
        .await
        .assert(200);
    // Re-enabling revoked the second admin's earlier token: it signs in again.
    app.get("/v1/me", &second)
        .await
        .assert_problem(401, "token_revoked");
    let second = app
        .token_with(
            "second.admin@contoso-distribution.example",
            "Changed-Passw0rd!",
        )
        .await;
    app.patch(&ga_path, &ga, json!({ "roles": ["admin_agent"] }))
        .await
        .assert(200);
    app.patch(&second_path, &second, json!({ "roles": ["sales_agent"] }))
        .await
        .assert_problem(409, "last_global_admin");
    // The new admin may disable and delete the former one, who is no longer a global admin.
    app.patch(&ga_path, &second, json!({ "disabled": true }))
        .await
        .assert(200);
    app.delete(&ga_path, &second).await.assert(204);
}

#[actix_rt::test]
async fn global_admin_may_disable_and_delete_another_global_admin() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let (id, other) = app
        .create_signed_in_user(
            &ga,
            "other.admin@contoso-distribution.example",
            &["global_admin"],
        )
        .await;
    let path = format!("/v1/users/{id}");
    app.patch(&path, &ga, json!({ "disabled": true }))
        .await
        .assert(200);
    app.get("/v1/me", &other)
        .await
        .assert_problem(401, "token_revoked");
    app.delete(&path, &ga).await.assert(204);
    app.get(&path, &ga).await.assert_problem(404, "not_found");
}

#[actix_rt::test]
async fn disabled_user_token_is_refused_on_next_request_and_stays_revoked_after_enable() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let agent = app.token(PROVIDER_AA).await;
    app.get("/v1/customers", &agent).await.assert(200);
    let path = format!("/v1/users/{}", app.user_id(PROVIDER_AA).await);
    let res = app.patch(&path, &ga, json!({ "disabled": true })).await;
    res.assert(200);
    assert_eq!(res.body["disabled"], true);
    let refused = app.get("/v1/customers", &agent).await;
    refused.assert_problem(401, "token_revoked");
    assert!(refused.header("www-authenticate").is_some());
    let sign_in = app.sign_in(PROVIDER_AA, PASSWORD).await;
    sign_in.assert(400);
    assert_eq!(sign_in.body["error"], "invalid_grant");
    // Re-enabled: the old token stays revoked (issue 8); signing in again works.
    app.patch(&path, &ga, json!({ "disabled": false }))
        .await
        .assert(200);
    app.get("/v1/customers", &agent)
        .await
        .assert_problem(401, "token_revoked");
    let fresh = app.token(PROVIDER_AA).await;
    app.get("/v1/customers", &fresh).await.assert(200);
}

#[actix_rt::test]
async fn role_change_revokes_old_tokens_and_applies_on_next_sign_in() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let agent = app.token(PROVIDER_SA).await;
    app.get("/v1/users", &agent)
        .await
        .assert_problem(403, "insufficient_role");
    app.get("/v1/customers", &agent).await.assert(200);
    let path = format!("/v1/users/{}", app.user_id(PROVIDER_SA).await);
    app.patch(&path, &ga, json!({ "roles": ["user_management_admin"] }))
        .await
        .assert(200);
    // A role change revokes the tokens issued before it (issue 8); a new one has the new roles.
    // (The old token's roles are checked first, so it is revoked on an operation they allowed.)
    app.get("/v1/users", &agent)
        .await
        .assert_problem(403, "insufficient_role");
    app.get("/v1/customers", &agent)
        .await
        .assert_problem(401, "token_revoked");
    let agent = app.token(PROVIDER_SA).await;
    app.get("/v1/users", &agent).await.assert(200);
    app.get("/v1/customers", &agent)
        .await
        .assert_problem(403, "insufficient_role");
    assert_eq!(
        app.get("/v1/me", &agent).await.body["roles"],
        json!(["user_management_admin"])
    );
    let audit = app
        .get("/v1/audit-records?operationType=update_user", &ga)
        .await;
    let items = audit.items();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["oldValue"]["roles"], json!(["sales_agent"]));
    assert_eq!(
        items[0]["newValue"]["roles"],
        json!(["user_management_admin"])
    );
    assert!(items[0]["oldValue"].get("passwordHash").is_none());
}

#[actix_rt::test]
async fn update_user_with_stale_etag_answers_412() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_UMA).await;
    let path = format!("/v1/users/{}", app.user_id(PROVIDER_HA).await);
    let etag = app.get(&path, &token).await.header("etag").unwrap();
    let ok = app
        .patch_if_match(&path, &token, &etag, json!({ "displayName": "Helpdesk" }))
        .await;
    ok.assert(200);
    assert_ne!(ok.header("etag").unwrap(), etag);
    app.patch_if_match(&path, &token, &etag, json!({ "displayName": "Lost" }))
        .await
        .assert_problem(412, "precondition_failed");
    assert_eq!(app.get(&path, &token).await.body["displayName"], "Helpdesk");
}

#[actix_rt::test]
async fn password_reset_returns_temporary_password_and_stops_old_tokens() {
    let app = TestApp::new().await;
    let uma = app.token(PROVIDER_UMA).await;
    let agent = app.token(PROVIDER_HA).await;
    let id = app.user_id(PROVIDER_HA).await;
    let res = app
        .post(&format!("/v1/users/{id}/password-reset"), &uma, json!({}))
        .await;
    res.assert(200);
    assert_eq!(res.str("userName"), PROVIDER_HA);
    assert_eq!(res.header("cache-control").as_deref(), Some("no-store"));
    let temp = res.str("temporaryPassword");
    assert!(temp.len() >= 12);

    app.get("/v1/me", &agent)
        .await
        .assert_problem(401, "token_revoked");
    assert_eq!(
        app.sign_in(PROVIDER_HA, PASSWORD).await.body["error"],
        "invalid_grant"
    );
    assert_eq!(
        app.sign_in(PROVIDER_HA, &temp).await.body["error"],
        "password_change_required"
    );
    let user = app.get(&format!("/v1/users/{id}"), &uma).await;
    assert_eq!(user.body["mustChangePassword"], true);
    let fresh = app.activate(PROVIDER_HA, &temp).await;
    app.get("/v1/me", &fresh).await.assert(200);

    let audit = app
        .get("/v1/audit-records?operationType=reset_user_password", &uma)
        .await;
    let items = audit.items();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["resourceId"], id);
    assert!(!items[0].to_string().contains(&temp));
}

#[actix_rt::test]
async fn delete_user_removes_access_and_audits() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let agent = app.token(PROVIDER_SA).await;
    let id = app.user_id(PROVIDER_SA).await;
    let path = format!("/v1/users/{id}");
    app.delete(&path, &ga).await.assert(204);
    app.get(&path, &ga).await.assert_problem(404, "not_found");
    app.delete(&path, &ga)
        .await
        .assert_problem(404, "not_found");
    app.get("/v1/me", &agent)
        .await
        .assert_problem(401, "token_revoked");
    assert_eq!(
        app.sign_in(PROVIDER_SA, PASSWORD).await.body["error"],
        "invalid_grant"
    );
    let audit = app
        .get("/v1/audit-records?operationType=delete_user", &ga)
        .await;
    let items = audit.items();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["resourceId"], id);
    assert_eq!(items[0]["oldValue"]["userName"], PROVIDER_SA);
    // The name is free again.
    app.create_user(&ga, PROVIDER_SA, &["sales_agent"]).await;
}

#[actix_rt::test]
async fn list_users_pages_without_duplicates_or_gaps() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_UMA).await;
    for i in 0..6 {
        app.create_user(
            &token,
            &format!("paging{i}@contoso-distribution.example"),
            &["helpdesk_agent"],
        )
        .await;
    }
    let mut seen = Vec::new();
    let mut url = "/v1/users?limit=4".to_owned();
    let mut pages = 0;
    loop {
        let res = app.get(&url, &token).await;
        res.assert(200);
        pages += 1;
        assert!(res.items().len() <= 4);
        seen.extend(
            res.items()
                .iter()
                .map(|u| u["id"].as_str().unwrap().to_owned()),
        );
        match res.body["links"]["next"].as_str() {
            Some(next) => {
                assert!(res.body["nextCursor"].is_string());
                url = next.to_owned();
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 11, "5 demo users + 6 new");
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, seen, "pages repeat a user or are not in id order");
    app.get("/v1/users?limit=0", &token)
        .await
        .assert_problem(422, "validation_failed");
}

#[actix_rt::test]
async fn another_provider_gets_404_on_the_first_providers_users_and_lists_none() {
    let app = TestApp::new().await;
    let (other, _) = app
        .other_provider("Other Distribution", "owner@other.example")
        .await;
    let id = app.user_id(PROVIDER_SA).await;
    let path = format!("/v1/users/{id}");
    app.get(&path, &other)
        .await
        .assert_problem(404, "not_found");
    app.patch(&path, &other, json!({ "disabled": true }))
        .await
        .assert_problem(404, "not_found");
    app.post(&format!("{path}/password-reset"), &other, json!({}))
        .await
        .assert_problem(404, "not_found");
    app.delete(&path, &other)
        .await
        .assert_problem(404, "not_found");
    let list = app.get("/v1/users", &other).await;
    list.assert(200);
    let names: Vec<String> = list
        .items()
        .iter()
        .map(|u| u["userName"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["owner@other.example"]);
    // Untouched, and none of the first provider's user changes show in the other's audit.
    app.token(PROVIDER_SA).await;
    let other_id = app.get("/v1/me", &other).await.body["tenantId"].clone();
    let audit = app.get("/v1/audit-records?resourceType=user", &other).await;
    assert!(!audit.items().is_empty());
    assert!(audit.items().iter().all(|r| r["partnerId"] == other_id));
    // And a reseller's global admin does not reach the provider's users either.
    let reseller = app.token(RESELLER_GA).await;
    app.get(&path, &reseller)
        .await
        .assert_problem(404, "not_found");
}
