//! Reseller partnerships (issue 3, flows 1 and 7): invitations with email drafts, acceptance and
//! enrollment, both sides' lists, ending from either side, partner-kind checks, the permission-table
//! "reseller partnerships" row, and isolation from a second provider and its resellers.

use serde_json::json;

use crate::harness::*;

#[actix_rt::test]
async fn invite_then_accept_makes_both_sides_list_each_other() {
    let app = TestApp::new().await;
    let provider = app.token(PROVIDER_SA).await;
    let reseller = app.token(RESELLER_AA).await;
    let provider_id = tenant_id(&app, &provider).await;
    let reseller_id = tenant_id(&app, &reseller).await;

    let res = app
        .post(
            "/v1/indirect-resellers/invitations",
            &provider,
            json!({ "email": "Owner@Fabrikam-Resellers.example", "message": "Let's sell together." }),
        )
        .await;
    res.assert(201);
    assert_eq!(res.body["status"], "pending");
    let link = res.str("link");
    assert!(
        link.starts_with("http://localhost:8080/v1/partnership-invitations/accept?token="),
        "{link}"
    );
    let draft = &res.body["emailDraft"];
    assert_eq!(draft["to"], "owner@fabrikam-resellers.example");
    assert!(
        draft["subject"]
            .as_str()
            .unwrap()
            .contains("Contoso Distribution")
    );
    let body = draft["body"].as_str().unwrap();
    assert!(body.contains(&link), "the draft must carry the link");
    assert!(body.contains("Let's sell together."));
    let expires: chrono::DateTime<chrono::Utc> = res.str("expiresAt").parse().unwrap();
    let days = (expires - chrono::Utc::now()).num_hours() as f64 / 24.0;
    assert!((13.9..=14.0).contains(&days), "expires in {days} days");

    let accepted = app
        .post(
            "/v1/partnership-invitations/accept",
            &reseller,
            json!({ "token": link_token(&res.body) }),
        )
        .await;
    accepted.assert(200);
    assert_eq!(accepted.body["id"], provider_id.as_str());
    assert_eq!(accepted.body["kind"], "indirect_provider");
    assert_eq!(accepted.body["status"], "active");

    let resellers = app.get("/v1/indirect-resellers", &provider).await;
    resellers.assert(200);
    let listed = ids(&resellers, "id");
    assert!(listed.contains(&reseller_id), "{}", resellers.text);
    let providers = app.get("/v1/indirect-providers", &reseller).await;
    assert_eq!(ids(&providers, "id"), vec![provider_id.clone()]);
    assert_eq!(providers.items()[0]["name"], "Contoso Distribution");

    let one = app
        .get(&format!("/v1/indirect-resellers/{reseller_id}"), &provider)
        .await;
    one.assert(200);
    assert_eq!(one.body["name"], "Fabrikam Resellers");
    assert!(one.header("etag").is_some());

    let invitations = app
        .get("/v1/indirect-resellers/invitations", &provider)
        .await;
    let item = invitations
        .items()
        .into_iter()
        .find(|i| i["id"] == res.body["id"])
        .expect("invitation listed");
    assert_eq!(item["status"], "accepted");
    assert_eq!(item["acceptedByPartnerId"], reseller_id.as_str());
    assert!(!invitations.text.contains(&link_token(&res.body)));
}

#[actix_rt::test]
async fn enroll_through_invitation_creates_the_reseller_its_admin_and_the_partnership() {
    let app = TestApp::new().await;
    let provider = app.token(PROVIDER_GA).await;
    let created = invite(&app, &provider, "owner@litware.example").await;
    let body = json!({
        "token": link_token(&created),
        "partnerName": "Litware Resellers",
        "adminEmail": "owner@litware.example",
        "adminDisplayName": "Pat Owner",
    });
    let res = app
        .call(
            actix_web::http::Method::POST,
            "/v1/partnership-invitations/enroll",
            None,
            Some(body.clone()),
        )
        .await;
    res.assert(201);
    assert_eq!(res.body["partner"]["kind"], "indirect_reseller");
    assert_eq!(res.body["partner"]["name"], "Litware Resellers");
    assert_eq!(res.body["indirectProvider"]["name"], "Contoso Distribution");
    assert_eq!(res.body["adminUser"]["userName"], "owner@litware.example");
    let temp = res.body["adminUser"]["temporaryPassword"]
        .as_str()
        .unwrap()
        .to_owned();
    let reseller_id = res.body["partner"]["id"].as_str().unwrap().to_owned();

    let first = app.sign_in("owner@litware.example", &temp).await;
    assert_eq!(first.body["error"], "password_change_required");
    let admin = app.activate("owner@litware.example", &temp).await;
    let me = app.get("/v1/me", &admin).await;
    assert_eq!(me.body["tenantId"], reseller_id.as_str());
    assert_eq!(me.body["roles"], json!(["global_admin"]));
    let providers = app.get("/v1/indirect-providers", &admin).await;
    assert_eq!(providers.items()[0]["name"], "Contoso Distribution");
    let resellers = app.get("/v1/indirect-resellers", &provider).await;
    assert!(ids(&resellers, "id").contains(&reseller_id));

    let again = app
        .call(
            actix_web::http::Method::POST,
            "/v1/partnership-invitations/enroll",
            None,
            Some(json!({ "token": link_token(&created), "partnerName": "Litware Two", "adminEmail": "two@litware.example", "adminDisplayName": "Two" })),
        )
        .await;
    again.assert_problem(422, "invalid_link_token");
}

#[actix_rt::test]
async fn enroll_with_an_admin_email_another_organisation_owns_answers_422_and_keeps_the_link_usable()
 {
    let app = TestApp::new().await;
    let provider = app.token(PROVIDER_GA).await;
    let created = invite(&app, &provider, "owner@litware.example").await;
    let enroll = |email: &str| json!({ "token": link_token(&created), "partnerName": "Litware", "adminEmail": email, "adminDisplayName": "Pat" });
    let taken = app
        .call(
            actix_web::http::Method::POST,
            "/v1/partnership-invitations/enroll",
            None,
            Some(enroll(RESELLER_GA)),
        )
        .await;
    // The address is another organisation's name, under its domain: refused as such, without
    // telling whether that user exists.
    taken.assert_problem(422, "domain_not_owned");
    assert_eq!(taken.body["errors"][0]["field"], "adminEmail");
    let resellers = app.get("/v1/indirect-resellers", &provider).await;
    assert_eq!(
        resellers.items().len(),
        1,
        "only Northwind: {}",
        resellers.text
    );
    app.call(
        actix_web::http::Method::POST,
        "/v1/partnership-invitations/enroll",
        None,
        Some(enroll("owner@litware.example")),
    )
    .await
    .assert(201);
}

#[actix_rt::test]
async fn partnership_operations_answer_403_to_the_wrong_partner_kind() {
    let app = TestApp::new().await;
    let provider = app.token(PROVIDER_GA).await;
    let reseller = app.token(RESELLER_GA).await;
    let res = app
        .post(
            "/v1/indirect-resellers/invitations",
            &reseller,
            json!({ "email": "x@y.example" }),
        )
        .await;
    res.assert_problem(403, "indirect_provider_required");
    app.get("/v1/indirect-resellers", &reseller)
        .await
        .assert_problem(403, "indirect_provider_required");
    app.get("/v1/indirect-providers", &provider)
        .await
        .assert_problem(403, "indirect_reseller_required");
    let created = invite(&app, &provider, "x@y.example").await;
    app.post(
        "/v1/partnership-invitations/accept",
        &provider,
        json!({ "token": link_token(&created) }),
    )
    .await
    .assert_problem(403, "indirect_reseller_required");
    // The refused attempt did not use the link up.
    app.post(
        "/v1/partnership-invitations/accept",
        &reseller,
        json!({ "token": link_token(&created) }),
    )
    .await
    .assert(200);
}

#[actix_rt::test]
async fn accept_when_already_partnered_answers_409_partnership_exists() {
    let app = TestApp::new().await;
    let provider = app.token(PROVIDER_GA).await;
    let northwind = app.token(PARTNERED_GA).await;
    let created = invite(&app, &provider, "owner@northwind-it.example").await;
    app.post(
        "/v1/partnership-invitations/accept",
        &northwind,
        json!({ "token": link_token(&created) }),
    )
    .await
    .assert_problem(409, "partnership_exists");
    let resellers = app.get("/v1/indirect-resellers", &provider).await;
    assert_eq!(resellers.items().len(), 1, "{}", resellers.text);
    let invitations = app
        .get("/v1/indirect-resellers/invitations", &provider)
        .await;
    assert_eq!(invitations.items()[0]["status"], "pending");
}

#[actix_rt::test]
async fn end_partnership_from_either_side_keeps_customers_and_dap() {
    let app = TestApp::new().await;
    let provider = app.token(PROVIDER_AA).await;
    let northwind = app.token(PARTNERED_AA).await;
    let provider_id = tenant_id(&app, &provider).await;
    let northwind_id = tenant_id(&app, &northwind).await;
    let tailspin = app.customer_id("tailspin.example").await;

    app.delete(&format!("/v1/indirect-resellers/{northwind_id}"), &provider)
        .await
        .assert(204);
    assert!(
        app.get("/v1/indirect-resellers", &provider)
            .await
            .items()
            .is_empty()
    );
    assert!(
        app.get("/v1/indirect-providers", &northwind)
            .await
            .items()
            .is_empty()
    );
    let ended = app
        .get("/v1/indirect-resellers?status=ended", &provider)
        .await;
    assert_eq!(ids(&ended, "id"), vec![northwind_id.clone()]);
    assert_eq!(ended.items()[0]["status"], "ended");
    app.delete(&format!("/v1/indirect-resellers/{northwind_id}"), &provider)
        .await
        .assert_problem(409, "partnership_not_active");

    // Customers and DAP stay.
    let customers = app.get("/v1/customers", &northwind).await;
    assert_eq!(ids(&customers, "id"), vec![tailspin.clone()]);
    app.get(&format!("/v1/customers/{tailspin}/users"), &northwind)
        .await
        .assert(200);
    // But the provider can no longer create customers for it.
    app.post(
        "/v1/customers",
        &provider,
        customer_body("Wingtip", "wingtip.example", Some(&northwind_id)),
    )
    .await
    .assert_problem(422, "partnership_required");

    // A new invitation restarts it; then the reseller ends it from its side.
    partner(&app, &provider, &northwind).await;
    assert_eq!(
        ids(&app.get("/v1/indirect-providers", &northwind).await, "id"),
        vec![provider_id.clone()]
    );
    app.delete(&format!("/v1/indirect-providers/{provider_id}"), &northwind)
        .await
        .assert(204);
    assert!(
        app.get("/v1/indirect-resellers", &provider)
            .await
            .items()
            .is_empty()
    );
    for token in [&provider, &northwind] {
        let audit = app
            .get(
                "/v1/audit-records?operationType=remove_partner_relationship",
                token,
            )
            .await;
        assert_eq!(audit.items().len(), 2, "{}", audit.text);
    }
}

#[actix_rt::test]
async fn revoke_invitation_shows_it_revoked_and_refuses_a_second_revoke() {
    let app = TestApp::new().await;
    let provider = app.token(PROVIDER_SA).await;
    let created = invite(&app, &provider, "x@y.example").await;
    let id = created["id"].as_str().unwrap();
    app.delete(
        &format!("/v1/indirect-resellers/invitations/{id}"),
        &provider,
    )
    .await
    .assert(204);
    let list = app
        .get("/v1/indirect-resellers/invitations", &provider)
        .await;
    assert_eq!(list.items()[0]["status"], "revoked");
    app.delete(
        &format!("/v1/indirect-resellers/invitations/{id}"),
        &provider,
    )
    .await
    .assert_problem(409, "invitation_not_pending");
    let audit = app
        .get(
            "/v1/audit-records?operationType=revoke_partnership_invitation",
            &provider,
        )
        .await;
    assert_eq!(audit.items().len(), 1);
}

#[actix_rt::test]
async fn reseller_partnership_permissions_follow_the_role_table() {
    let app = TestApp::new().await;
    let northwind_id = tenant_id(&app, &app.token(PARTNERED_GA).await).await;
    let provider_id = tenant_id(&app, &app.token(PROVIDER_GA).await).await;
    // Provider side: invite, list, revoke, end — GA, AA, SA; HA lists only; UMA nothing.
    for (user, can_manage, can_list) in [
        (PROVIDER_GA, true, true),
        (PROVIDER_UMA, false, false),
        (PROVIDER_AA, true, true),
        (PROVIDER_SA, true, true),
        (PROVIDER_HA, false, true),
    ] {
        let token = app.token(user).await;
        let created = app
            .post(
                "/v1/indirect-resellers/invitations",
                &token,
                json!({ "email": "x@y.example" }),
            )
            .await;
        assert_eq!(
            created.status == 201,
            can_manage,
            "{user} invite: {}",
            created.text
        );
        for path in [
            "/v1/indirect-resellers",
            "/v1/indirect-resellers/invitations",
        ] {
            let list = app.get(path, &token).await;
            assert_eq!(list.status == 200, can_list, "{user} {path}: {}", list.text);
        }
        let read = app
            .get(&format!("/v1/indirect-resellers/{northwind_id}"), &token)
            .await;
        assert_eq!(read.status == 200, can_list, "{user} read: {}", read.text);
        let end = app
            .delete(&format!("/v1/indirect-resellers/{northwind_id}"), &token)
            .await;
        assert_eq!(end.status == 204, can_manage, "{user} end: {}", end.text);
        if can_manage {
            let id = created.body["id"].as_str().unwrap();
            app.delete(&format!("/v1/indirect-resellers/invitations/{id}"), &token)
                .await
                .assert(204);
            // Partner again for the next role.
            partner(&app, &token, &app.token(PARTNERED_GA).await).await;
        } else {
            for denied in [&created, &end] {
                denied.assert_problem(403, "insufficient_role");
            }
            let ga = app.token(PROVIDER_GA).await;
            let id = invite(&app, &ga, "x@y.example").await["id"]
                .as_str()
                .unwrap()
                .to_owned();
            app.delete(&format!("/v1/indirect-resellers/invitations/{id}"), &token)
                .await
                .assert_problem(403, "insufficient_role");
        }
    }
    // Reseller side: accept and end — GA, AA, SA; HA lists only.
    let ga = app.token(PROVIDER_GA).await;
    for (user, can_manage) in [
        (RESELLER_GA, true),
        (RESELLER_AA, true),
        (RESELLER_SA, true),
        (RESELLER_HA, false),
    ] {
        let token = app.token(user).await;
        let created = invite(&app, &ga, "owner@fabrikam-resellers.example").await;
        let accept = app
            .post(
                "/v1/partnership-invitations/accept",
                &token,
                json!({ "token": link_token(&created) }),
            )
            .await;
        assert_eq!(
            accept.status == 200,
            can_manage,
            "{user} accept: {}",
            accept.text
        );
        app.get("/v1/indirect-providers", &token).await.assert(200);
        if can_manage {
            app.delete(&format!("/v1/indirect-providers/{provider_id}"), &token)
                .await
                .assert(204);
        } else {
            accept.assert_problem(403, "insufficient_role");
            app.delete(&format!("/v1/indirect-providers/{provider_id}"), &token)
                .await
                .assert_problem(403, "insufficient_role");
        }
    }
    // Customer users have no part in partnerships.
    let customer = app.token(ADATUM_ADMIN).await;
    app.get("/v1/indirect-resellers", &customer)
        .await
        .assert_problem(403, "insufficient_role");
}

#[actix_rt::test]
async fn another_provider_and_its_resellers_see_none_of_the_first_providers_channel() {
    let app = TestApp::new().await;
    let contoso = app.token(PROVIDER_GA).await;
    let contoso_id = tenant_id(&app, &contoso).await;
    let northwind_id = tenant_id(&app, &app.token(PARTNERED_GA).await).await;
    let tailspin = app.customer_id("tailspin.example").await;
    let contoso_invitation = invite(&app, &contoso, "x@y.example").await;
    let (other, _) = app
        .other_provider("Other Distribution", "owner@other.example")
        .await;

    // The other provider sees none of Contoso's resellers or invitations.
    assert!(
        app.get("/v1/indirect-resellers", &other)
            .await
            .items()
            .is_empty()
    );
    assert!(
        app.get("/v1/indirect-resellers/invitations", &other)
            .await
            .items()
            .is_empty()
    );
    app.get(&format!("/v1/indirect-resellers/{northwind_id}"), &other)
        .await
        .assert_problem(404, "not_found");
    app.delete(&format!("/v1/indirect-resellers/{northwind_id}"), &other)
        .await
        .assert_problem(404, "not_found");
    let id = contoso_invitation["id"].as_str().unwrap();
    app.delete(&format!("/v1/indirect-resellers/invitations/{id}"), &other)
        .await
        .assert_problem(404, "not_found");
    for path in [
        format!("/v1/customers/{tailspin}/relationships"),
        format!("/v1/customers/{tailspin}/users"),
    ] {
        app.get(&path, &other)
            .await
            .assert_problem(404, "not_found");
    }

    // Its reseller (Fabrikam, partnered with the other provider only) sees nothing of Contoso's.
    let fabrikam = app.token(RESELLER_GA).await;
    partner(&app, &other, &fabrikam).await;
    let providers = app.get("/v1/indirect-providers", &fabrikam).await;
    assert_eq!(providers.items().len(), 1);
    assert_eq!(providers.items()[0]["name"], "Other Distribution");
    assert!(app.get("/v1/customers", &fabrikam).await.items().is_empty());
    for path in [
        format!("/v1/customers/{tailspin}"),
        format!("/v1/customers/{tailspin}/relationships"),
        format!("/v1/customers/{tailspin}/users"),
    ] {
        app.get(&path, &fabrikam)
            .await
            .assert_problem(404, "not_found");
    }
    app.delete(&format!("/v1/customers/{tailspin}/relationship"), &fabrikam)
        .await
        .assert_problem(404, "not_found");
    app.delete(&format!("/v1/indirect-providers/{contoso_id}"), &fabrikam)
        .await
        .assert_problem(404, "not_found");
    let audit = app
        .get(
            &format!("/v1/audit-records?customerId={tailspin}"),
            &fabrikam,
        )
        .await;
    assert!(audit.items().is_empty());
    // And Contoso's lists are unchanged.
    assert_eq!(
        ids(&app.get("/v1/indirect-resellers", &contoso).await, "id"),
        vec![northwind_id]
    );
}
