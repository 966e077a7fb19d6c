//! Names an organisation owns: partners and customers own the domains they were created with,
//! users are created only under the organisation's own domains, and the answer for a name under
//! any other domain is the same whether or not someone has it.

use actix_web::http::Method;
use serde_json::{Value, json};

use crate::harness::*;

async fn enroll(app: &TestApp, link: &Value, email: &str) -> Res {
    app.call(
        Method::POST,
        "/v1/partnership-invitations/enroll",
        None,
        Some(json!({ "token": link_token(link), "partnerName": "Litware", "adminEmail": email, "adminDisplayName": "Pat" })),
    )
    .await
}

fn new_user(name: &str) -> Value {
    json!({ "userName": name, "displayName": "Someone", "roles": ["sales_agent"] })
}

#[actix_rt::test]
async fn create_user_under_another_domain_answers_the_same_422_whether_or_not_the_name_exists() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let mut answers = Vec::new();
    for name in [
        RESELLER_GA,                         // exists, another partner
        "nobody@fabrikam-resellers.example", // does not exist, another partner's domain
        "admin@tailspin.example",            // exists, a customer
        "GLOBAL.ADMIN@Northwind-IT.example", // exists, another case
        "someone@nobody-owns-this.example",  // a domain nobody owns
    ] {
        let res = app.post("/v1/users", &ga, new_user(name)).await;
        res.assert_problem(422, "domain_not_owned");
        assert_eq!(res.body["errors"][0]["field"], "userName");
        answers.push((res.body["detail"].clone(), res.body["errors"].clone()));
    }
    assert!(
        answers.windows(2).all(|w| w[0] == w[1]),
        "the answers differ: {answers:?}"
    );
    // Under its own domain, a taken name is the organisation's own business.
    app.post("/v1/users", &ga, new_user(PROVIDER_SA))
        .await
        .assert_problem(409, "duplicate_user_name");
    app.post(
        "/v1/users",
        &ga,
        new_user("pat@contoso-distribution.example"),
    )
    .await
    .assert(201);
}

#[actix_rt::test]
async fn enroll_with_a_customer_domain_answers_422_and_the_enrolled_reseller_owns_its_own_domain() {
    let app = TestApp::new().await;
    let provider = app.token(PROVIDER_GA).await;
    let link = invite(&app, &provider, "owner@litware.example").await;
    let squat = enroll(&app, &link, "it@tailspin.example").await;
    squat.assert_problem(422, "domain_not_owned");
    assert_eq!(squat.body["errors"][0]["field"], "adminEmail");
    let enrolled = enroll(&app, &link, "owner@litware.example").await;
    enrolled.assert(201);
    let temp = enrolled.body["adminUser"]["temporaryPassword"]
        .as_str()
        .unwrap()
        .to_owned();
    let admin = app.activate("owner@litware.example", &temp).await;
    app.post("/v1/users", &admin, new_user("pat@litware.example"))
        .await
        .assert(201);
    app.post("/v1/users", &admin, new_user("pat@northwind-it.example"))
        .await
        .assert_problem(422, "domain_not_owned");
    // The provider cannot name a customer with the reseller's domain either.
    let sales = app.token(PROVIDER_SA).await;
    app.post(
        "/v1/customers",
        &sales,
        customer_body("Litware", "litware.example", None),
    )
    .await
    .assert_problem(409, "duplicate_domain");
}

#[actix_rt::test]
async fn create_customer_with_a_domain_a_partner_owns_answers_409_duplicate_domain() {
    let app = TestApp::new().await;
    let sales = app.token(PROVIDER_SA).await;
    let res = app
        .post(
            "/v1/customers",
            &sales,
            customer_body("Northwind", "northwind-it.example", None),
        )
        .await;
    res.assert_problem(409, "duplicate_domain");
    assert_eq!(res.body["errors"][0]["field"], "domain");
    // A new customer owns its domain: nobody else names users under it.
    app.create_customer(&sales, "Wingtip", "wingtip.example", None)
        .await;
    let ga = app.token(PROVIDER_GA).await;
    app.post("/v1/users", &ga, new_user("agent@wingtip.example"))
        .await
        .assert_problem(422, "domain_not_owned");
}

#[actix_rt::test]
async fn bootstrap_with_an_admin_under_another_organisations_domain_is_refused() {
    let app = TestApp::new().await;
    let refused = app
        .with_conn(|conn| {
            partner_center::services::bootstrap::bootstrap(conn, "Eve", "boss@tailspin.example")
                .err()
                .map(|e| e.code)
        })
        .await;
    assert_eq!(
        refused,
        Some(partner_center::error::ProblemCode::DomainNotOwned)
    );
    let (token, _) = app
        .other_provider("Fresh Distribution", "owner@fresh.example")
        .await;
    app.post("/v1/users", &token, new_user("pat@fresh.example"))
        .await
        .assert(201);
    app.post(
        "/v1/users",
        &token,
        new_user("pat@contoso-distribution.example"),
    )
    .await
    .assert_problem(422, "domain_not_owned");
}

#[actix_rt::test]
async fn migration_gives_existing_organisations_the_domains_of_their_customers_and_users() {
    let app = TestApp::new().await;
    // A database from before domains: a reseller user under a domain nobody else uses.
    app.execute_sql(
        "UPDATE users SET user_name = 'old.agent@legacy.example' \
         WHERE user_name = 'helpdesk.agent@fabrikam-resellers.example'; \
         DROP TABLE tenant_domains;",
    )
    .await;
    app.execute_sql(if app.is_postgres() {
        include_str!("../../../migrations/postgres/2026-12-07-240001_tenant_domains/up.sql")
    } else {
        include_str!("../../../migrations/sqlite/2026-12-07-240001_tenant_domains/up.sql")
    })
    .await;
    let fabrikam = app.token(RESELLER_GA).await;
    app.post("/v1/users", &fabrikam, new_user("new@legacy.example"))
        .await
        .assert(201);
    app.post(
        "/v1/users",
        &fabrikam,
        new_user("new@fabrikam-resellers.example"),
    )
    .await
    .assert(201);
    let contoso = app.token(PROVIDER_GA).await;
    for foreign in ["x@legacy.example", "x@tailspin.example", "x@adatum.example"] {
        app.post("/v1/users", &contoso, new_user(foreign))
            .await
            .assert_problem(422, "domain_not_owned");
    }
    app.post(
        "/v1/users",
        &contoso,
        new_user("x@contoso-distribution.example"),
    )
    .await
    .assert(201);
    let sales = app.token(PROVIDER_SA).await;
    for owned in ["legacy.example", "northwind-it.example"] {
        app.post("/v1/customers", &sales, customer_body("Taken", owned, None))
            .await
            .assert_problem(409, "duplicate_domain");
    }
}
