//! The caller's own partner profile: read with an ETag, update with `If-Match`, validation,
//! audit.

use serde_json::json;

use crate::harness::*;

#[actix_rt::test]
async fn get_partner_returns_the_callers_own_profile_with_etag() {
    let app = TestApp::new().await;
    let provider = app.get("/v1/partner", &app.token(PROVIDER_HA).await).await;
    provider.assert(200);
    assert_eq!(provider.body["name"], "Contoso Distribution");
    assert_eq!(provider.body["kind"], "indirect_provider");
    assert_eq!(
        provider.body["supportEmail"],
        "support@contoso-distribution.example"
    );
    assert_eq!(provider.body["supportPhone"], "+1 425 555 0100");
    assert_eq!(
        provider.body["website"],
        "https://contoso-distribution.example"
    );
    assert!(provider.header("etag").is_some());
    let me = app.get("/v1/me", &app.token(PROVIDER_HA).await).await;
    assert_eq!(provider.body["id"], me.body["tenantId"]);

    let reseller = app.get("/v1/partner", &app.token(RESELLER_SA).await).await;
    reseller.assert(200);
    assert_eq!(reseller.body["name"], "Fabrikam Resellers");
    assert_eq!(reseller.body["kind"], "indirect_reseller");
}

#[actix_rt::test]
async fn update_partner_changes_and_clears_fields_and_audits() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_GA).await;
    let read = app.get("/v1/partner", &token).await;
    let etag = read.header("etag").unwrap();
    let res = app
        .patch_if_match(
            "/v1/partner",
            &token,
            &etag,
            json!({ "name": "Contoso Distribution EU", "supportPhone": "+44 20 7946 0000", "website": null }),
        )
        .await;
    res.assert(200);
    assert_eq!(res.body["name"], "Contoso Distribution EU");
    assert_eq!(res.body["supportPhone"], "+44 20 7946 0000");
    assert_eq!(res.body["website"], serde_json::Value::Null);
    // Absent fields stay as they are.
    assert_eq!(
        res.body["supportEmail"],
        "support@contoso-distribution.example"
    );
    assert_ne!(res.header("etag").unwrap(), etag);
    let again = app.get("/v1/partner", &token).await;
    assert_eq!(again.body, res.body);
    assert_eq!(again.header("etag"), res.header("etag"));

    let audit = app
        .get("/v1/audit-records?operationType=update_partner", &token)
        .await;
    let items = audit.items();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["resourceType"], "partner");
    assert_eq!(items[0]["resourceId"], res.body["id"]);
    assert_eq!(items[0]["oldValue"]["name"], "Contoso Distribution");
    assert_eq!(
        items[0]["oldValue"]["website"],
        "https://contoso-distribution.example"
    );
    assert_eq!(items[0]["newValue"]["name"], "Contoso Distribution EU");
    assert_eq!(items[0]["newValue"]["website"], serde_json::Value::Null);
}

#[actix_rt::test]
async fn update_partner_with_stale_etag_answers_412_and_changes_nothing() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_GA).await;
    let etag = app.get("/v1/partner", &token).await.header("etag").unwrap();
    app.patch_if_match("/v1/partner", &token, &etag, json!({ "name": "First" }))
        .await
        .assert(200);
    app.patch_if_match("/v1/partner", &token, &etag, json!({ "name": "Second" }))
        .await
        .assert_problem(412, "precondition_failed");
    assert_eq!(app.get("/v1/partner", &token).await.body["name"], "First");
}

#[actix_rt::test]
async fn update_partner_with_invalid_fields_lists_each_field() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_GA).await;
    let res = app
        .patch(
            "/v1/partner",
            &token,
            json!({
                "name": "  ",
                "supportEmail": "not-an-email",
                "supportPhone": "+1 425 555 0100 0100 0100 0100 0100",
                "website": "ftp://contoso.example"
            }),
        )
        .await;
    res.assert_problem(422, "validation_failed");
    let mut fields: Vec<&str> = res.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.dedup();
    assert_eq!(
        fields,
        ["name", "supportEmail", "supportPhone", "website"],
        "{}",
        res.text
    );
    for (field, value) in [
        ("website", "not a url"),
        ("supportPhone", "call me"),
        ("kind", "indirect_reseller"),
    ] {
        let res = app
            .patch("/v1/partner", &token, json!({ field: value }))
            .await;
        res.assert_problem(422, "validation_failed");
        assert_eq!(res.body["errors"][0]["field"], field);
    }
    assert_eq!(
        app.get("/v1/partner", &token).await.body["name"],
        "Contoso Distribution"
    );
}
