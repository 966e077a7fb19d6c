//! Customers: create with admin user and relationship, search, paging, ETags, isolation.

use actix_web::http::Method;
use actix_web::test::TestRequest;
use serde_json::json;

use crate::harness::*;

#[actix_rt::test]
async fn create_customer_returns_admin_credentials_once_and_audits() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_SA).await;
    let res = app
        .post(
            "/v1/customers",
            &token,
            customer_body("Wingtip Toys", "wingtip.example", None),
        )
        .await;
    res.assert(201);
    let id = res.body["customer"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        res.header("location").unwrap(),
        format!("/v1/customers/{id}")
    );
    assert_eq!(
        res.body["customer"]["billingProfile"]["address"]["city"],
        "Redmond"
    );
    assert_eq!(res.body["adminUser"]["userName"], "admin@wingtip.example");
    assert!(
        res.body["adminUser"]["temporaryPassword"]
            .as_str()
            .unwrap()
            .len()
            >= 12
    );

    let read = app.get(&format!("/v1/customers/{id}"), &token).await;
    read.assert(200);
    assert!(read.body.get("adminUser").is_none());
    assert!(!read.text.contains("temporaryPassword"));

    let audit = app
        .get(
            &format!("/v1/audit-records?customerId={id}&operationType=create_customer"),
            &token,
        )
        .await;
    audit.assert(200);
    assert_eq!(audit.items().len(), 1);
}

#[actix_rt::test]
async fn create_customer_with_duplicate_domain_answers_409_naming_domain() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_SA).await;
    let res = app
        .post(
            "/v1/customers",
            &token,
            customer_body("Adatum again", "adatum.example", None),
        )
        .await;
    res.assert_problem(409, "duplicate_domain");
    assert_eq!(res.body["errors"][0]["field"], "domain");
}

#[actix_rt::test]
async fn create_customer_with_invalid_fields_lists_each_field() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_SA).await;
    let mut body = customer_body(&"x".repeat(201), "Not A Domain", None);
    body["billingProfile"]["email"] = json!("not-an-email");
    let res = app.post("/v1/customers", &token, body).await;
    res.assert_problem(422, "validation_failed");
    let fields: Vec<String> = res.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    for f in ["companyName", "domain", "billingProfile.email"] {
        assert!(
            fields.contains(&f.to_owned()),
            "{f} missing from {fields:?}"
        );
    }
    let mut bad_uuid = customer_body("Wingtip", "wingtip.example", None);
    bad_uuid["indirectResellerId"] = json!("not-a-uuid");
    let res = app.post("/v1/customers", &token, bad_uuid).await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(res.body["errors"][0]["field"], "indirectResellerId");
}

#[actix_rt::test]
async fn create_customer_failure_leaves_nothing_half_written() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_SA).await;
    let (_, other_partner) = app
        .other_provider("Other Distribution", "owner@other.example")
        .await;
    // A reseller id without partnership fails after validation; nothing may remain.
    let res = app
        .post(
            "/v1/customers",
            &token,
            customer_body("Wingtip", "wingtip.example", Some(&other_partner)),
        )
        .await;
    res.assert_problem(422, "partnership_required");
    assert_eq!(res.body["errors"][0]["field"], "indirectResellerId");
    let list = app.get("/v1/customers?q=wingtip", &token).await;
    assert!(list.items().is_empty());
    assert_eq!(
        app.sign_in("admin@wingtip.example", "x").await.body["error"],
        "invalid_grant"
    );
    // The domain is still free.
    app.create_customer(&token, "Wingtip", "wingtip.example", None)
        .await;
}

#[actix_rt::test]
async fn list_customers_pages_without_duplicates_or_gaps() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_AA).await;
    for i in 0..7 {
        app.create_customer(
            &token,
            &format!("Paging {i}"),
            &format!("paging{i}.example"),
            None,
        )
        .await;
    }
    let mut seen = Vec::new();
    let mut url = "/v1/customers?limit=2".to_owned();
    loop {
        let res = app.get(&url, &token).await;
        res.assert(200);
        let items = res.items();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|c| c["id"].as_str().unwrap().to_owned()));
        match res.body["links"]["next"].as_str() {
            Some(next) => url = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen.len(), 9, "2 demo customers + 7 new");
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "a customer appeared twice");
    assert_eq!(unique, seen, "pages are not in id order");
}

#[actix_rt::test]
async fn list_customers_searches_by_name_or_domain_prefix() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_HA).await;
    let by_name = app.get("/v1/customers?q=adat", &token).await;
    assert_eq!(by_name.items().len(), 1);
    assert_eq!(by_name.items()[0]["companyName"], "Adatum Corporation");
    let by_domain = app.get("/v1/customers?q=TAILSPIN.ex", &token).await;
    assert_eq!(by_domain.items().len(), 1);
    let wildcard = app.get("/v1/customers?q=%25", &token).await;
    assert!(wildcard.items().is_empty(), "% must be matched literally");
}

#[actix_rt::test]
async fn list_customers_rejects_bad_limit_and_cursor() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_SA).await;
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=abc", "limit"),
    ] {
        let res = app.get(&format!("/v1/customers?{query}"), &token).await;
        res.assert_problem(422, "validation_failed");
        assert_eq!(res.body["errors"][0]["field"], field, "{query}");
    }
    app.get("/v1/customers?limit=500", &token).await.assert(200);
}

#[actix_rt::test]
async fn update_customer_honours_if_match() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_HA).await;
    let id = app.customer_id("adatum.example").await;
    let read = app.get(&format!("/v1/customers/{id}"), &token).await;
    let etag = read.header("etag").unwrap();
    let patch = |tag: &str, name: &str| {
        TestRequest::default()
            .method(Method::PATCH)
            .uri(&format!("/v1/customers/{id}"))
            .insert_header(("Authorization", format!("Bearer {token}")))
            .insert_header(("If-Match", tag.to_owned()))
            .set_json(json!({ "companyName": name, "billingProfile": { "address": { "city": "Seattle" } } }))
    };
    let ok = app.send(patch(&etag, "Adatum Corp")).await;
    ok.assert(200);
    assert_eq!(ok.body["companyName"], "Adatum Corp");
    assert_eq!(ok.body["billingProfile"]["address"]["city"], "Seattle");
    assert_eq!(ok.body["billingProfile"]["address"]["postalCode"], "98052");
    assert_ne!(ok.header("etag").unwrap(), etag);
    let stale = app.send(patch(&etag, "Lost update")).await;
    stale.assert_problem(412, "precondition_failed");
    assert_eq!(
        app.get(&format!("/v1/customers/{id}"), &token).await.body["companyName"],
        "Adatum Corp"
    );
}

#[actix_rt::test]
async fn another_provider_sees_none_of_the_first_providers_customers() {
    let app = TestApp::new().await;
    let (other, _) = app
        .other_provider("Other Distribution", "owner@other.example")
        .await;
    let id = app.customer_id("adatum.example").await;
    assert!(app.get("/v1/customers", &other).await.items().is_empty());
    app.get(&format!("/v1/customers/{id}"), &other)
        .await
        .assert_problem(404, "not_found");
    app.patch(
        &format!("/v1/customers/{id}"),
        &other,
        json!({ "companyName": "Hijacked" }),
    )
    .await
    .assert_problem(404, "not_found");
    let audit = app
        .get(&format!("/v1/audit-records?customerId={id}"), &other)
        .await;
    assert!(audit.items().is_empty());
}

#[actix_rt::test]
async fn customer_permissions_follow_the_role_table() {
    let app = TestApp::new().await;
    let id = app.customer_id("adatum.example").await;
    for (user, can_read, can_create, can_update) in [
        (PROVIDER_GA, true, true, true),
        (PROVIDER_UMA, false, false, false),
        (PROVIDER_AA, true, true, true),
        (PROVIDER_SA, true, true, true),
        (PROVIDER_HA, true, false, true),
    ] {
        let token = app.token(user).await;
        let read = app.get(&format!("/v1/customers/{id}"), &token).await;
        assert_eq!(
            read.status.is_success(),
            can_read,
            "{user} read: {}",
            read.text
        );
        let list = app.get("/v1/customers", &token).await;
        assert_eq!(list.status.is_success(), can_read, "{user} list");
        let domain = format!(
            "perm-{}.example",
            user.split('@').next().unwrap().replace('.', "-")
        );
        let create = app
            .post(
                "/v1/customers",
                &token,
                customer_body("Perm", &domain, None),
            )
            .await;
        assert_eq!(
            create.status.as_u16() == 201,
            can_create,
            "{user} create: {}",
            create.text
        );
        let update = app
            .patch(
                &format!("/v1/customers/{id}"),
                &token,
                json!({ "billingProfile": { "culture": "en-GB" } }),
            )
            .await;
        assert_eq!(
            update.status.is_success(),
            can_update,
            "{user} update: {}",
            update.text
        );
        for denied in [
            (!can_read).then_some(read),
            (!can_create).then_some(create),
            (!can_update).then_some(update),
        ]
        .into_iter()
        .flatten()
        {
            denied.assert_problem(403, "insufficient_role");
            assert!(
                denied.body["detail"]
                    .as_str()
                    .unwrap()
                    .contains("global_admin")
            );
        }
    }
}

#[actix_rt::test]
async fn update_customer_with_null_address_line2_clears_it() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_AA).await;
    let id = app.customer_id("adatum.example").await;
    let path = format!("/v1/customers/{id}");
    let set = json!({ "billingProfile": { "address": { "addressLine2": "Suite 100" } } });
    let res = app.patch(&path, &token, set).await;
    res.assert(200);
    assert_eq!(
        res.body["billingProfile"]["address"]["addressLine2"],
        "Suite 100"
    );
    // Absent leaves it; null clears it.
    let other = json!({ "billingProfile": { "address": { "city": "Seattle" } } });
    let res = app.patch(&path, &token, other).await;
    assert_eq!(
        res.body["billingProfile"]["address"]["addressLine2"],
        "Suite 100"
    );
    let clear = json!({ "billingProfile": { "address": { "addressLine2": null } } });
    let res = app.patch(&path, &token, clear).await;
    res.assert(200);
    assert!(res.body["billingProfile"]["address"]["addressLine2"].is_null());
}

#[actix_rt::test]
async fn create_customer_whose_admin_name_is_taken_gets_another_admin_name() {
    let app = TestApp::new().await;
    let reseller_ga = app.token(RESELLER_GA).await;
    // Squatting the name is refused now (the domain is not the reseller's) …
    app.post(
        "/v1/users",
        &reseller_ga,
        json!({ "userName": "admin@victim.example", "displayName": "Squatter", "roles": ["sales_agent"] }),
    )
    .await
    .assert_problem(422, "domain_not_owned");
    // … but a name squatted before domains were owned must not block the customer.
    app.execute_sql(
        "UPDATE users SET user_name = 'admin@victim.example' \
         WHERE user_name = 'helpdesk.agent@fabrikam-resellers.example'",
    )
    .await;
    let token = app.token(PROVIDER_SA).await;
    let created = app
        .create_customer(&token, "Victim Ltd", "victim.example", None)
        .await;
    let user = created["adminUser"]["userName"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        user.starts_with("admin-") && user.ends_with("@victim.example"),
        "{user}"
    );
    let temp = created["adminUser"]["temporaryPassword"]
        .as_str()
        .unwrap()
        .to_owned();
    let admin = app.activate(&user, &temp).await;
    assert_eq!(
        app.get("/v1/me", &admin).await.body["tenantName"],
        "Victim Ltd"
    );
}

#[actix_rt::test]
async fn demo_seed_on_an_existing_database_lists_changed_passwords_as_changed() {
    let app = TestApp::new().await;
    app.call(
        Method::POST,
        "/v1/auth/password",
        None,
        Some(json!({ "username": ADATUM_ADMIN, "currentPassword": PASSWORD, "newPassword": "Adatum-Passw0rd!" })),
    )
    .await
    .assert(204);
    let creds = app
        .with_conn(|conn| partner_center::demo::seed(conn).expect("seed"))
        .await;
    let listed = |name: &str| {
        creds
            .accounts
            .iter()
            .find(|a| a.username == name)
            .map(|a| a.password.clone())
    };
    assert_eq!(
        listed(ADATUM_ADMIN).as_deref(),
        Some(partner_center::demo::CHANGED)
    );
    assert_eq!(listed(PROVIDER_SA).as_deref(), Some(PASSWORD));
    app.token(PROVIDER_SA).await;
}
