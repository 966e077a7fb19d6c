//! Two indirect providers serving the same customer: each reaches only the subscriptions it bills
//! (the permission table — a partner never sees or changes another partner's business).

use serde_json::json;

use crate::harness::*;

#[actix_rt::test]
async fn another_provider_with_a_relationship_cannot_reach_the_first_providers_subscriptions() {
    let app = TestApp::new().await;
    let (litware, _) = app
        .other_provider("Litware Distribution", "owner@litware.example")
        .await;
    let adatum = app.customer_id("adatum.example").await;
    // Litware becomes Adatum's partner too, with DAP.
    let req = app
        .post(
            "/v1/relationship-requests",
            &litware,
            json!({ "includeDelegatedAdmin": true }),
        )
        .await;
    req.assert(201);
    let token = req.str("link").split("token=").nth(1).unwrap().to_owned();
    let admin = app.token(ADATUM_ADMIN).await;
    app.post(
        "/v1/relationship-requests/accept",
        &admin,
        json!({ "token": token }),
    )
    .await
    .assert(200);
    app.get(&format!("/v1/customers/{adatum}"), &litware)
        .await
        .assert(200);

    let contoso_sub = app
        .insert_subscription(
            &adatum,
            &app.tenant_id(PROVIDER_GA).await,
            M365_BUSINESS_BASIC,
        )
        .await;
    let base = format!("/v1/customers/{adatum}/subscriptions");
    let sub = format!("{base}/{contoso_sub}");
    assert!(
        app.get(&base, &litware).await.items().is_empty(),
        "Litware lists Contoso's subscription"
    );
    app.get(&sub, &litware)
        .await
        .assert_problem(404, "not_found");
    app.patch(&sub, &litware, json!({ "quantity": 300 }))
        .await
        .assert_problem(404, "not_found");
    app.get(&format!("{sub}/support-contact"), &litware)
        .await
        .assert_problem(404, "not_found");
    app.get(&format!("{sub}/support-contact/candidates"), &litware)
        .await
        .assert_problem(404, "not_found");
    let litware_id = app.tenant_id_of_token(&litware).await;
    app.put(
        &format!("{sub}/support-contact"),
        &litware,
        json!({ "partnerId": litware_id }),
    )
    .await
    .assert_problem(404, "not_found");
    app.get(&format!("{sub}/upgrades"), &litware)
        .await
        .assert_problem(404, "not_found");

    // Contoso still sees and manages its own; the customer sees it too.
    let sa = app.token(PROVIDER_SA).await;
    assert_eq!(app.get(&base, &sa).await.items().len(), 1);
    app.patch(&sub, &sa, json!({ "quantity": 12 }))
        .await
        .assert(200);
    assert_eq!(
        app.get("/v1/my/subscriptions", &admin).await.items().len(),
        1
    );
}
