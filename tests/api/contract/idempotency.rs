//! Idempotency-Key across creating POSTs: replays return the first response — including secrets
//! shown once, so a script that lost the answer is not locked out — but those are never stored
//! in clear (the stored copy is encrypted).

use actix_web::http::Method;
use diesel::prelude::*;
use serde_json::json;

use crate::harness::*;

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
async fn replayed_customer_creation_returns_the_first_answer_and_stores_no_password() {
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
    assert_eq!(replay.body, first.body, "a replay is the first answer");
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
async fn replayed_invitation_and_application_store_no_secret_in_clear() {
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
    assert_eq!(replay.body, first.body);

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
    assert_eq!(replay_app.body["clientSecret"], secret.as_str());
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
    // The same body with its keys in another order and other whitespace is the same request.
    let reordered = app
        .send(
            actix_web::test::TestRequest::post()
                .uri("/v1/customers")
                .insert_header(("Authorization", format!("Bearer {sa}")))
                .insert_header(("Idempotency-Key", "shared-key"))
                .insert_header(("Content-Type", "application/json"))
                .set_payload(reorder(&customer_body("Key test", "first.example", None))),
        )
        .await;
    reordered.assert(201);
    assert_eq!(
        reordered.header("idempotent-replayed").as_deref(),
        Some("true")
    );
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

/// The JSON text of `v` with every object's keys in reverse order, pretty-printed.
fn reorder(v: &serde_json::Value) -> String {
    fn rev(v: &serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Object(m) => serde_json::Value::Object(
                m.iter().rev().map(|(k, v)| (k.clone(), rev(v))).collect(),
            ),
            other => other.clone(),
        }
    }
    serde_json::to_string_pretty(&rev(v)).unwrap()
}

#[actix_rt::test]
async fn purge_with_one_expired_key_removes_only_that_key() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_SA).await;
    let create = |key: &'static str, domain: &'static str| {
        app.send(request_with(
            Method::POST,
            "/v1/customers",
            &token,
            Some(customer_body(domain, domain, None)),
            &[("Idempotency-Key", key)],
        ))
    };
    create("purge-old", "old.example").await.assert(201);
    create("purge-new", "new.example").await.assert(201);
    app.execute_sql(
        "UPDATE idempotency_keys SET created_at = '2000-01-01 00:00:00' \
         WHERE idempotency_key = 'purge-old'",
    )
    .await;
    let purged = app
        .with_conn(|conn| {
            partner_center::models::idempotency_key::purge_expired(conn).expect("purge")
        })
        .await;
    assert_eq!(purged, 1);
    let left: Vec<String> = app
        .with_conn(|conn| {
            use partner_center::schema::idempotency_keys as k;
            k::table
                .select(k::idempotency_key)
                .load(conn)
                .expect("read keys")
        })
        .await;
    assert_eq!(left, vec!["purge-new".to_owned()]);
    let replay = create("purge-new", "new.example").await;
    replay.assert(201);
    assert_eq!(
        replay.header("idempotent-replayed").as_deref(),
        Some("true")
    );
}

#[actix_rt::test]
async fn retry_after_a_crash_between_commit_and_response_does_not_repeat_the_order() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_SA).await;
    let adatum = app.customer_id("adatum.example").await;
    let orders = format!("/v1/customers/{adatum}/orders");
    let send = || {
        app.send(request_with(
            Method::POST,
            &orders,
            &token,
            Some(json!({ "lineItems": [line(EXCHANGE_ONLINE_PLAN_1, 1, "monthly", None)] })),
            &[("Idempotency-Key", "order-crash-1")],
        ))
    };
    send().await.assert(201);
    // The mark was written with the order; now pretend the process died before it stored the
    // response, an hour ago (its claim's lease long run out).
    let hour_ago = (chrono::Utc::now().naive_utc() - chrono::Duration::hours(1))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    app.execute_sql(&format!(
        "UPDATE idempotency_keys SET status = 'in_progress', response_status = NULL, \
         response_headers = NULL, response_body = NULL, created_at = '{hour_ago}', \
         lease_until = '{hour_ago}' \
         WHERE idempotency_key = 'order-crash-1' AND committed_at IS NOT NULL"
    ))
    .await;
    send()
        .await
        .assert_problem(409, "idempotency_response_unavailable");
    let listed = app.get(&orders, &token).await;
    listed.assert(200);
    assert_eq!(listed.items().len(), 1, "the order was not placed again");
    // A key abandoned before any change committed is retaken: the retry runs.
    app.execute_sql(&format!(
        "UPDATE idempotency_keys SET committed_at = NULL, created_at = '{hour_ago}', \
         lease_until = '{hour_ago}' WHERE idempotency_key = 'order-crash-1'"
    ))
    .await;
    send().await.assert(201);
}

/// `YYYY-MM-DD HH:MM:SS` of now plus `seconds` (negative: in the past), as both databases read it.
fn at(seconds: i64) -> String {
    (chrono::Utc::now().naive_utc() + chrono::Duration::seconds(seconds))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// Writes the claim of a request creating the customer `domain` that is running — or whose
/// process died — for the sales agent's `key`: claimed `claimed` seconds ago, its lease ending
/// `lease` seconds from now.
async fn write_claim(app: &TestApp, key: &str, domain: &str, claimed: i64, lease: i64) {
    let scope = format!("user:{}", app.user_id(PROVIDER_SA).await);
    let same = partner_center::models::idempotency_key::PendingKey::new(
        Some(key.to_owned()),
        "POST /v1/customers?".to_owned(),
    );
    same.read_body(customer_body(domain, domain, None).to_string().as_bytes());
    app.execute_sql(&format!(
        "INSERT INTO idempotency_keys (scope, idempotency_key, request_hash, status, created_at, \
         lease_until) VALUES ('{scope}', '{key}', '{}', 'in_progress', '{}', '{}')",
        same.hash(),
        at(-claimed),
        at(lease),
    ))
    .await;
}

fn customer_with_key(token: &str, key: &str, domain: &str) -> actix_web::test::TestRequest {
    request_with(
        Method::POST,
        "/v1/customers",
        token,
        Some(customer_body(domain, domain, None)),
        &[("Idempotency-Key", key)],
    )
}

#[actix_rt::test]
async fn retry_after_a_crash_takes_over_a_claim_whose_lease_ran_out_within_30_seconds() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_SA).await;
    // A process claimed the key 31 s ago and died: it renewed its lease once, which ran out.
    write_claim(&app, "crashed-1", "crashed.example", 31, -1).await;
    let res = app
        .send(customer_with_key(&token, "crashed-1", "crashed.example"))
        .await;
    res.assert(201);
    assert!(res.header("idempotent-replayed").is_none());
    // The retry's own answer is now the key's: a second retry replays it.
    let again = app
        .send(customer_with_key(&token, "crashed-1", "crashed.example"))
        .await;
    again.assert(201);
    assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
    assert_eq!(again.body, res.body);
}

#[actix_rt::test]
async fn retry_while_a_long_request_keeps_renewing_its_lease_answers_409_in_progress() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_SA).await;
    // Claimed ten minutes ago and still renewed: the request is alive, however long it runs.
    write_claim(&app, "long-1", "long.example", 600, 25).await;
    let res = app
        .send(customer_with_key(&token, "long-1", "long.example"))
        .await;
    res.assert_problem(409, "idempotency_request_in_progress");
    assert_eq!(res.header("retry-after").as_deref(), Some("1"));
}

#[actix_rt::test]
async fn a_running_request_renews_its_claims_lease_until_it_is_answered() {
    use partner_center::models::idempotency_key::PendingKey;
    let app = TestApp::new().await;
    let scope = format!("user:{}", app.user_id(PROVIDER_SA).await);
    let pending = PendingKey::new(Some("renewed-1".to_owned()), "POST /v1/x?".to_owned());
    pending.admit(scope).expect("admit");
    let claiming = pending.clone();
    app.with_conn(move |conn| claiming.claim(conn).expect("claim"))
        .await
        .expect("claimed");
    // Its lease is about to end (as if the last renewal was 29 s ago).
    app.execute_sql(&format!(
        "UPDATE idempotency_keys SET lease_until = '{}' WHERE idempotency_key = 'renewed-1'",
        at(1)
    ))
    .await;
    let lease = || {
        app.with_conn(|conn| {
            use diesel::prelude::*;
            use partner_center::schema::idempotency_keys as k;
            k::table
                .filter(k::idempotency_key.eq("renewed-1"))
                .select(k::lease_until)
                .first::<Option<chrono::NaiveDateTime>>(conn)
                .expect("read the key")
                .expect("a lease")
        })
    };
    let before = lease().await;
    let keeper = partner_center::idempotency::keep_leased(
        pending.clone(),
        app.state.pool.clone(),
        std::time::Duration::from_millis(2),
    );
    let mut renewed = before;
    for _ in 0..200 {
        actix_web::rt::time::sleep(std::time::Duration::from_millis(2)).await;
        renewed = lease().await;
        if renewed > before {
            break;
        }
    }
    drop(keeper);
    assert!(
        renewed >= chrono::Utc::now().naive_utc() + chrono::Duration::seconds(25),
        "the lease was renewed to 30 s from now: {before} -> {renewed}"
    );
}

#[actix_rt::test]
async fn a_request_whose_claim_was_taken_over_commits_nothing() {
    use partner_center::change::Change;
    use partner_center::models::audit::Actor;
    use partner_center::models::idempotency_key::PendingKey;
    let app = TestApp::new().await;
    let scope = format!("user:{}", app.user_id(PROVIDER_SA).await);
    let pending = PendingKey::new(Some("lost-1".to_owned()), "POST /v1/x?".to_owned());
    pending.admit(scope).expect("admit");
    let claiming = pending.clone();
    let claim = app
        .with_conn(move |conn| claiming.claim(conn).expect("claim"))
        .await
        .expect("claimed");
    // Its lease ran out while the request was stuck, and a retry took the key over.
    app.execute_sql(&format!(
        "UPDATE idempotency_keys SET created_at = '{}', lease_until = '{}' \
         WHERE idempotency_key = 'lost-1'",
        at(0),
        at(30)
    ))
    .await;
    let outcome = app
        .with_conn(move |conn| {
            Change::run(conn, Actor::system("test"), Some(&claim), |change| {
                partner_center::services::bootstrap::insert_partner(
                    change.conn(),
                    partner_center::domain::TenantKind::IndirectProvider,
                    "Twice",
                    None,
                )
            })
            .err()
            .map(|e| e.code)
        })
        .await;
    assert_eq!(
        outcome,
        Some(partner_center::error::ProblemCode::IdempotencyRequestInProgress)
    );
    let partners: i64 = app
        .with_conn(|conn| {
            use diesel::prelude::*;
            use partner_center::schema::partners as p;
            p::table
                .filter(p::name.eq("Twice"))
                .count()
                .get_result(conn)
                .expect("count")
        })
        .await;
    assert_eq!(partners, 0, "the change rolled back");
}
