//! Idempotency-Key across creating POSTs: replays return the first response, but secrets shown
//! once (temporary passwords, client secrets, link tokens) are neither replayed nor stored.

use actix_web::http::Method;
use diesel::prelude::*;
use serde_json::json;

use crate::support::*;

async fn stored_bodies(app: &TestApp) -> Vec<String> {
    app.with_conn(|conn| {
        use partner_center::schema::idempotency_keys as k;
        k::table
            .select(k::response_body)
            .load::<Option<String>>(conn)
            .expect("read keys")
            .into_iter()
            .flatten()
            .collect()
    })
    .await
}

#[actix_rt::test]
async fn replayed_customer_creation_returns_the_same_customer_without_the_password() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_SA).await;
    let send = || {
        app.send(request_with(
            Method::POST,
            "/v1/customers",
            &token,
            Some(customer_body("Wingtip", "wingtip.example", None)),
            &[("Idempotency-Key", "create-wingtip-1")],
        ))
    };
    let first = send().await;
    first.assert(201);
    let password = first.body["adminUser"]["temporaryPassword"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(first.header("cache-control").as_deref(), Some("no-store"));
    let replay = send().await;
    replay.assert(201);
    assert_eq!(
        replay.header("idempotent-replayed").as_deref(),
        Some("true")
    );
    assert_eq!(replay.body["customer"]["id"], first.body["customer"]["id"]);
    assert_eq!(
        replay.body["adminUser"]["userName"],
        "admin@wingtip.example"
    );
    assert_eq!(
        replay.body["adminUser"]["temporaryPassword"],
        partner_center::idempotency::REDACTED
    );
    assert!(!replay.text.contains(&password));
    assert!(
        stored_bodies(&app)
            .await
            .iter()
            .all(|b| !b.contains(&password)),
        "the password was stored"
    );
    // Only one customer exists, and the password shown the first time is the one that works.
    assert_eq!(
        app.get("/v1/customers?q=wingtip", &token)
            .await
            .items()
            .len(),
        1
    );
    app.activate("admin@wingtip.example", &password).await;
}

#[actix_rt::test]
async fn replayed_invitation_and_application_hide_their_secrets() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let invite = || {
        app.send(request_with(
            Method::POST,
            "/v1/indirect-resellers/invitations",
            &ga,
            Some(json!({ "email": "owner@wingtip-resellers.example" })),
            &[("Idempotency-Key", "invite-1")],
        ))
    };
    let first = invite().await;
    first.assert(201);
    let link = first.str("link");
    let token = link
        .split("token=")
        .nth(1)
        .expect("token in link")
        .to_owned();
    let replay = invite().await;
    assert_eq!(
        replay.header("idempotent-replayed").as_deref(),
        Some("true")
    );
    assert_eq!(replay.body["id"], first.body["id"]);
    assert!(!replay.text.contains(&token), "the link token was replayed");

    let create_app = || {
        app.send(request_with(
            Method::POST,
            "/v1/applications",
            &ga,
            Some(json!({ "displayName": "Nightly sync", "roles": ["sales_agent"] })),
            &[("MS-RequestId", "app-1")],
        ))
    };
    let first_app = create_app().await;
    first_app.assert(201);
    let secret = first_app.str("clientSecret");
    let replay_app = create_app().await;
    assert_eq!(
        replay_app.body["application"]["id"],
        first_app.body["application"]["id"]
    );
    assert_eq!(
        replay_app.body["clientSecret"],
        partner_center::idempotency::REDACTED
    );
    let stored = stored_bodies(&app).await;
    assert_eq!(stored.len(), 2);
    for secret in [&token, &secret] {
        assert!(
            stored.iter().all(|b| !b.contains(secret.as_str())),
            "a secret was stored"
        );
    }
}

#[actix_rt::test]
async fn same_key_with_another_body_is_refused_and_keys_are_per_caller() {
    let app = TestApp::new().await;
    let sa = app.token(PROVIDER_SA).await;
    let aa = app.token(PROVIDER_AA).await;
    let create = |token: &str, domain: &str| {
        app.send(request_with(
            Method::POST,
            "/v1/customers",
            token,
            Some(customer_body("Key test", domain, None)),
            &[("Idempotency-Key", "shared-key")],
        ))
    };
    create(&sa, "first.example").await.assert(201);
    create(&sa, "second.example")
        .await
        .assert_problem(422, "idempotency_key_reused");
    // Another caller's identical key is its own.
    let other = create(&aa, "third.example").await;
    other.assert(201);
    assert!(other.header("idempotent-replayed").is_none());
    // A failed first attempt releases the key for a corrected retry.
    let with_key = |domain: &str| {
        app.send(request_with(
            Method::POST,
            "/v1/customers",
            &aa,
            Some(customer_body("Key test", domain, None)),
            &[("Idempotency-Key", "retry-key")],
        ))
    };
    with_key("Not A Domain")
        .await
        .assert_problem(422, "validation_failed");
    let fixed = with_key("fourth.example").await;
    fixed.assert(201);
}
