//! Per-tenant quotas: past its limit a creation is 409 `quota_exceeded` naming the quota and its
//! value; the limit is the tenant's own (another tenant is not affected), removing one makes room
//! again, and concurrent creations never pass the limit.

use futures::future::join_all;
use partner_center::domain::Quota;
use serde_json::{Value, json};

use crate::harness::*;

/// An app whose `quota` is `limit`.
async fn app_with(quota: Quota, limit: i64) -> TestApp {
    TestApp::with_config(|c| c.quotas = c.quotas.with(quota, limit)).await
}

/// POSTs `body(i)` to `path` for i = 0, 1, … until one is refused; returns the ids created and
/// the refusal, which must be the quota's.
async fn fill(
    app: &TestApp,
    token: &str,
    path: &str,
    quota: Quota,
    limit: i64,
    body: impl Fn(usize) -> Value,
) -> Vec<String> {
    let mut created = Vec::new();
    for i in 0..=(limit as usize) {
        let res = app.post(path, token, body(i)).await;
        if res.status.as_u16() == 409 {
            res.assert_problem(409, "quota_exceeded");
            assert_eq!(res.body["limit"], quota.name(), "{}", res.text);
            assert_eq!(res.body["max"], limit, "{}", res.text);
            return created;
        }
        res.assert(201);
        let id = [
            "/id",
            "/user/id",
            "/webhook/id",
            "/application/id",
            "/cart/id",
        ]
        .iter()
        .find_map(|p| res.body.pointer(p).and_then(Value::as_str))
        .unwrap_or_default()
        .to_owned();
        created.push(id);
    }
    panic!("{path}: {} created, none refused", created.len());
}

#[actix_rt::test]
async fn create_user_past_the_users_quota_answers_409_quota_exceeded_until_one_is_deleted() {
    let app = app_with(Quota::UsersPerPartner, 7).await;
    let ga = app.token(PROVIDER_GA).await;
    let body = |i: usize| json!({ "userName": format!("q{i}@contoso-distribution.example"), "displayName": "Q", "roles": ["sales_agent"] });
    let created = fill(&app, &ga, "/v1/users", Quota::UsersPerPartner, 7, body).await;
    let users = app.get("/v1/users?limit=100", &ga).await;
    assert_eq!(users.items().len(), 7, "the seeded users and the new ones");
    app.delete(&format!("/v1/users/{}", created[0]), &ga)
        .await
        .assert(204);
    app.post("/v1/users", &ga, body(100)).await.assert(201);
    // Another partner's users do not count.
    let northwind = app.token(PARTNERED_GA).await;
    app.post(
        "/v1/users",
        &northwind,
        json!({ "userName": "new@northwind-it.example", "displayName": "N", "roles": ["sales_agent"] }),
    )
    .await
    .assert(201);
}

#[actix_rt::test]
async fn create_webhook_past_the_webhooks_quota_answers_409_and_other_partners_are_not_affected() {
    let app = app_with(Quota::WebhooksPerPartner, 2).await;
    let ga = app.token(PROVIDER_GA).await;
    let body = |i: usize| json!({ "url": format!("http://127.0.0.1:9/hook{i}"), "events": ["customer-created"] });
    let created = fill(
        &app,
        &ga,
        "/v1/webhooks",
        Quota::WebhooksPerPartner,
        2,
        body,
    )
    .await;
    assert_eq!(created.len(), 2);
    let northwind = app.token(PARTNERED_GA).await;
    app.post("/v1/webhooks", &northwind, body(0))
        .await
        .assert(201);
    app.delete(&format!("/v1/webhooks/{}", created[1]), &ga)
        .await
        .assert(204);
    app.post("/v1/webhooks", &ga, body(9)).await.assert(201);
}

#[actix_rt::test]
async fn create_application_past_the_applications_quota_answers_409() {
    let app = app_with(Quota::ApplicationsPerPartner, 2).await;
    let ga = app.token(PROVIDER_GA).await;
    let body = |i: usize| json!({ "displayName": format!("script {i}"), "roles": ["sales_agent"] });
    let created = fill(
        &app,
        &ga,
        "/v1/applications",
        Quota::ApplicationsPerPartner,
        2,
        body,
    )
    .await;
    assert_eq!(created.len(), 2);
}

#[actix_rt::test]
async fn create_price_list_past_the_price_lists_quota_answers_409() {
    let app = app_with(Quota::PriceListsPerPartner, 3).await;
    let ga = app.token(PROVIDER_GA).await;
    let body = |i: usize| json!({ "name": format!("List {i}"), "currency": "USD", "defaultMarkupPercent": "5" });
    fill(
        &app,
        &ga,
        "/v1/price-lists",
        Quota::PriceListsPerPartner,
        3,
        body,
    )
    .await;
    let lists = app.get("/v1/price-lists?limit=100", &ga).await;
    assert_eq!(lists.items().len(), 3, "the seeded list and the new ones");
}

#[actix_rt::test]
async fn create_security_group_past_the_security_groups_quota_answers_409() {
    let app = app_with(Quota::SecurityGroupsPerPartner, 2).await;
    let ga = app.token(PROVIDER_GA).await;
    let body = |i: usize| json!({ "displayName": format!("Group {i}") });
    let created = fill(
        &app,
        &ga,
        "/v1/security-groups",
        Quota::SecurityGroupsPerPartner,
        2,
        body,
    )
    .await;
    assert_eq!(created.len(), 2);
}

#[actix_rt::test]
async fn create_cart_past_the_open_carts_quota_answers_409_for_that_customer_only() {
    let app = app_with(Quota::OpenCartsPerCustomer, 2).await;
    let token = app.token(PROVIDER_SA).await;
    let adatum = app.customer_id("adatum.example").await;
    let tailspin = app.customer_id("tailspin.example").await;
    let body = |_: usize| json!({ "lineItems": [line(M365_BUSINESS_BASIC, 1, "monthly", None)] });
    let carts = format!("/v1/customers/{adatum}/carts");
    let created = fill(&app, &token, &carts, Quota::OpenCartsPerCustomer, 2, body).await;
    app.cart(
        &token,
        &tailspin,
        vec![line(M365_BUSINESS_BASIC, 1, "monthly", None)],
    )
    .await;
    // A checked-out cart is no longer open.
    app.post(
        &format!("{carts}/{}/checkout", created[0]),
        &token,
        json!({}),
    )
    .await
    .assert(201);
    app.post(&carts, &token, body(0)).await.assert(201);
    app.post(&carts, &token, body(0))
        .await
        .assert_problem(409, "quota_exceeded");
}

#[actix_rt::test]
async fn concurrent_creations_never_pass_the_quota() {
    let app = app_with(Quota::SecurityGroupsPerPartner, 3).await;
    let ga = app.token(PROVIDER_GA).await;
    let results = join_all((0..12).map(|i| {
        app.post(
            "/v1/security-groups",
            &ga,
            json!({ "displayName": format!("Race {i}") }),
        )
    }))
    .await;
    let created = results.iter().filter(|r| r.status.as_u16() == 201).count();
    for r in results.iter().filter(|r| r.status.as_u16() != 201) {
        r.assert_problem(409, "quota_exceeded");
    }
    assert_eq!(created, 3, "{results:?}");
    let groups = app.get("/v1/security-groups?limit=100", &ga).await;
    assert_eq!(groups.items().len(), 3);
}
