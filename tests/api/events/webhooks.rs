//! Webhooks (docs/api-guide.md#webhooks): registrations, signed delivery to a real receiver bound on
//! 127.0.0.1, the outbox's atomicity, retries, redelivery and replay, per-partner isolation, the
//! SSRF guard, and two workers sharing one database.

use std::sync::{Arc, Mutex};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use partner_center::change::Change;
use partner_center::db::{self, AnyConnection};
use partner_center::models::audit::{Actor, Audit};
use partner_center::webhooks::delivery;
use serde_json::{Value, json};

use crate::harness::*;

/// One request the receiver got.
#[derive(Debug, Clone)]
pub(super) struct Received {
    headers: http::HeaderMap,
    body: Vec<u8>,
}

impl Received {
    pub(super) fn id(&self) -> String {
        self.headers["webhook-id"].to_str().unwrap().to_owned()
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// A receiver on 127.0.0.1 answering `status` to every POST and keeping what it got.
pub(super) struct Receiver {
    pub(super) url: String,
    got: Arc<Mutex<Vec<Received>>>,
    handle: actix_web::dev::ServerHandle,
}

impl Receiver {
    pub(super) async fn start(status: u16) -> Receiver {
        Receiver::start_slow(status, 0).await
    }

    /// A receiver that answers `delay_ms` after keeping the request.
    pub(super) async fn start_slow(status: u16, delay_ms: u64) -> Receiver {
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let kept = got.clone();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = HttpServer::new(move || {
            let kept = kept.clone();
            App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
                let kept = kept.clone();
                async move {
                    let mut headers = http::HeaderMap::new();
                    for (k, v) in req.headers() {
                        headers.insert(
                            http::HeaderName::from_bytes(k.as_str().as_bytes()).unwrap(),
                            http::HeaderValue::from_bytes(v.as_bytes()).unwrap(),
                        );
                    }
                    kept.lock().unwrap().push(Received {
                        headers,
                        body: body.to_vec(),
                    });
                    actix_web::rt::time::sleep(std::time::Duration::from_millis(delay_ms)).await;
                    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
                        .body("receiver says hi")
                }
            }))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Receiver {
            url: format!("http://127.0.0.1:{port}/hook"),
            got,
            handle,
        }
    }

    pub(super) fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        // The stop command is sent at once; its completion need not be awaited.
        drop(self.handle.stop(false));
    }
}

/// Delivers whatever is due (as the worker's loop does), until nothing is.
pub(super) async fn deliver(app: &TestApp) -> usize {
    let mut total = 0;
    loop {
        let n = delivery::deliver_due(&app.state.pool, &app.state.config)
            .await
            .expect("deliver");
        if n == 0 {
            return total;
        }
        total += n;
    }
}

/// Registers a webhook as `token`; returns (webhook id, secret).
pub(super) async fn register(
    app: &TestApp,
    token: &str,
    url: &str,
    events: &[&str],
) -> (String, String) {
    let res = app
        .post(
            "/v1/webhooks",
            token,
            json!({ "url": url, "events": events, "description": "test" }),
        )
        .await;
    res.assert(201);
    (
        res.body["webhook"]["id"].as_str().unwrap().to_owned(),
        res.str("secret"),
    )
}

/// Makes every pending delivery due now.
async fn make_due(app: &TestApp) {
    app.execute_sql(
        "UPDATE webhook_deliveries SET next_attempt_at = '2000-01-01 00:00:00' WHERE status = 'pending'",
    )
    .await;
}

fn verify(secret: &str, r: &Received) {
    standardwebhooks::Webhook::new(secret)
        .unwrap()
        .verify(&r.body, &r.headers)
        .expect("signature verifies");
}

#[actix_web::test]
async fn create_customer_with_webhook_delivers_signed_full_snapshot() {
    let app = TestApp::new().await;
    let receiver = Receiver::start(202).await;
    let token = app.token(PROVIDER_GA).await;
    let (webhook_id, secret) = register(&app, &token, &receiver.url, &["customer-created"]).await;
    assert!(secret.starts_with("whsec_"));
    let created = app
        .create_customer(&token, "Hook Ltd", "hook.example", None)
        .await;
    let customer_id = created["customer"]["id"].as_str().unwrap();

    assert_eq!(deliver(&app).await, 1);
    let got = receiver.received();
    assert_eq!(got.len(), 1);
    verify(&secret, &got[0]);
    let body = got[0].json();
    assert_eq!(body["type"], "customer-created");
    let keys = |v: &serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&body), ["type", "timestamp", "data"]);
    assert_eq!(
        keys(&body["data"]),
        [
            "resourceUri",
            "resourceName",
            "auditUri",
            "changedAt",
            "partnerId",
            "customerId",
            "resource"
        ]
    );
    let at = body["timestamp"].as_str().unwrap();
    assert!(
        at.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(at).is_ok(),
        "timestamp is RFC 3339 UTC: {at}"
    );
    assert_eq!(body["data"]["changedAt"], at);
    assert_eq!(body["data"]["resourceName"], "customer");
    assert_eq!(
        body["data"]["resourceUri"],
        format!("/v1/customers/{customer_id}")
    );
    assert_eq!(body["data"]["customerId"], customer_id);
    let get = app
        .get(&format!("/v1/customers/{customer_id}"), &token)
        .await;
    assert_eq!(
        body["data"]["resource"], get.body,
        "the resource as GET returns it"
    );

    let log = app
        .get(&format!("/v1/webhooks/{webhook_id}/deliveries"), &token)
        .await;
    log.assert(200);
    let items = log.items();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["status"], "delivered");
    assert_eq!(items[0]["lastStatusCode"], 202);
    assert_eq!(items[0]["eventId"], got[0].id());
    assert_eq!(
        items[0]["attemptLog"][0]["responseBody"],
        "receiver says hi"
    );
    let headers: Value = serde_json::from_str(
        items[0]["attemptLog"][0]["responseHeaders"]
            .as_str()
            .unwrap(),
    )
    .expect("response headers are a JSON object");
    assert!(headers["content-length"].is_string(), "{headers}");
}

#[actix_web::test]
async fn audited_change_that_rolls_back_emits_no_event() {
    let app = TestApp::new().await;
    let receiver = Receiver::start(200).await;
    let token = app.token(PROVIDER_GA).await;
    register(&app, &token, &receiver.url, &["customer-updated"]).await;
    let customer = app.customer_id("adatum.example").await;
    let provider = app.tenant_id(PROVIDER_GA).await;
    let change = move |commit: bool| {
        let (customer, provider) = (customer.clone(), provider.clone());
        move |conn: &mut AnyConnection| {
            let result = Change::run(conn, Actor::system("test"), None, |change| {
                change.audit(
                    Audit::new(
                        partner_center::domain::AuditOperation::UpdateCustomer,
                        customer.parse::<uuid::Uuid>().unwrap(),
                    )
                    .partner(provider.parse().unwrap())
                    .customer(customer.parse().unwrap()),
                );
                if commit {
                    Ok(())
                } else {
                    Err(partner_center::error::ApiError::internal("roll back"))
                }
            });
            result.is_ok()
        }
    };
    assert!(!app.with_conn(change(false)).await);
    assert_eq!(deliver(&app).await, 0);
    assert!(receiver.received().is_empty());

    assert!(app.with_conn(change(true)).await);
    assert_eq!(deliver(&app).await, 1);
    assert_eq!(receiver.received()[0].json()["type"], "customer-updated");
}

#[actix_web::test]
async fn receiver_answering_500_gets_retries_with_growing_delays_then_failed() {
    let app = TestApp::with_config(|c| c.webhook_retry_schedule = vec![60, 600]).await;
    let receiver = Receiver::start(500).await;
    let token = app.token(PROVIDER_GA).await;
    let (webhook_id, _) = register(&app, &token, &receiver.url, &["customer-created"]).await;
    app.create_customer(&token, "Retry Ltd", "retry.example", None)
        .await;
    let log_path = format!("/v1/webhooks/{webhook_id}/deliveries");

    let mut delays = Vec::new();
    for attempt in 1..=2 {
        assert_eq!(deliver(&app).await, 1);
        let d = app.get(&log_path, &token).await.items()[0].clone();
        assert_eq!(d["status"], "pending");
        assert_eq!(d["attempts"], attempt);
        assert_eq!(d["lastStatusCode"], 500);
        let next: chrono::DateTime<chrono::Utc> =
            d["nextAttemptAt"].as_str().unwrap().parse().unwrap();
        let last: chrono::DateTime<chrono::Utc> = d["attemptLog"][attempt - 1]["attemptedAt"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        delays.push((next - last).num_seconds());
        assert_eq!(deliver(&app).await, 0, "not due before its delay");
        make_due(&app).await;
    }
    assert!((60..=66).contains(&delays[0]), "{delays:?}");
    assert!((600..=660).contains(&delays[1]), "{delays:?}");
    assert_eq!(deliver(&app).await, 1);
    let d = app.get(&log_path, &token).await.items()[0].clone();
    assert_eq!(d["status"], "failed");
    assert_eq!(d["attempts"], 3);
    assert_eq!(d["attemptLog"].as_array().unwrap().len(), 3);
    let failed = app.get(&format!("{log_path}?status=failed"), &token).await;
    assert_eq!(failed.items().len(), 1);
    let ids: Vec<String> = receiver.received().iter().map(Received::id).collect();
    assert_eq!(ids.len(), 3);
    assert!(ids.iter().all(|i| *i == ids[0]), "same webhook-id: {ids:?}");
    let hook = app.get(&format!("/v1/webhooks/{webhook_id}"), &token).await;
    assert!(hook.body["failingSince"].is_string());
}

#[actix_web::test]
async fn redeliver_and_replay_resend_with_the_same_webhook_id() {
    let app = TestApp::new().await;
    let receiver = Receiver::start(200).await;
    let token = app.token(PROVIDER_GA).await;
    let (webhook_id, secret) = register(&app, &token, &receiver.url, &["customer-created"]).await;
    let from = chrono::Utc::now() - chrono::Duration::milliseconds(1);
    app.create_customer(&token, "Replay Ltd", "replay.example", None)
        .await;
    deliver(&app).await;
    let first = receiver.received()[0].id();
    let d = app
        .get(&format!("/v1/webhooks/{webhook_id}/deliveries"), &token)
        .await
        .items()[0]
        .clone();

    app.post(
        &format!(
            "/v1/webhooks/{webhook_id}/deliveries/{}/redeliver",
            d["id"].as_str().unwrap()
        ),
        &token,
        json!({}),
    )
    .await
    .assert(202);
    assert_eq!(deliver(&app).await, 1);

    let to = chrono::Utc::now() + chrono::Duration::seconds(5);
    let replay = app
        .post(
            &format!("/v1/webhooks/{webhook_id}/replay"),
            &token,
            json!({ "from": from, "to": to }),
        )
        .await;
    replay.assert(202);
    assert_eq!(replay.body["queued"], 1);
    assert_eq!(replay.body["truncated"], false);
    assert_eq!(deliver(&app).await, 1);

    let got = receiver.received();
    assert_eq!(got.len(), 3);
    for r in &got {
        assert_eq!(r.id(), first);
        verify(&secret, r);
    }
}

#[actix_web::test]
async fn reseller_receives_only_events_of_customers_it_can_see() {
    let app = TestApp::new().await;
    let provider_hook = Receiver::start(200).await;
    let reseller_hook = Receiver::start(200).await;
    let other_hook = Receiver::start(200).await;
    let provider = app.token(PROVIDER_GA).await;
    let reseller = app.token(PARTNERED_GA).await;
    let other = app.token(RESELLER_GA).await;
    let events = ["customer-created", "customer-updated"];
    register(&app, &provider, &provider_hook.url, &events).await;
    register(&app, &reseller, &reseller_hook.url, &events).await;
    register(&app, &other, &other_hook.url, &events).await;
    let reseller_id = app.tenant_id(PARTNERED_GA).await;

    app.create_customer(&provider, "Mine Ltd", "mine.example", None)
        .await;
    let shared = app
        .create_customer(
            &provider,
            "Shared Ltd",
            "shared.example",
            Some(&reseller_id),
        )
        .await;
    let shared_id = shared["customer"]["id"].as_str().unwrap();
    deliver(&app).await;

    assert_eq!(provider_hook.received().len(), 2);
    let got = reseller_hook.received();
    assert_eq!(got.len(), 1, "only the customer it has a relationship with");
    assert_eq!(got[0].json()["data"]["customerId"], shared_id);
    assert_eq!(got[0].json()["data"]["partnerId"], reseller_id);
    assert!(other_hook.received().is_empty(), "another partner's events");
}

#[actix_web::test]
async fn create_webhook_with_private_or_plain_http_target_is_refused() {
    let app = TestApp::with_config(|c| c.webhook_allow_private_targets = false).await;
    let token = app.token(PROVIDER_GA).await;
    for url in [
        "http://hooks.example.com/x",
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://localhost/hook",
    ] {
        app.post(
            "/v1/webhooks",
            &token,
            json!({ "url": url, "events": ["customer-created"] }),
        )
        .await
        .assert_problem(422, "webhook_target_refused");
    }
}

#[actix_web::test]
async fn delivery_to_private_target_is_refused_at_delivery_time() {
    let app = TestApp::new().await;
    let receiver = Receiver::start(200).await;
    let token = app.token(PROVIDER_GA).await;
    let (webhook_id, _) = register(&app, &token, &receiver.url, &["customer-created"]).await;
    app.create_customer(&token, "Ssrf Ltd", "ssrf.example", None)
        .await;
    let mut strict = (*app.state.config).clone();
    strict.webhook_allow_private_targets = false;
    assert_eq!(
        delivery::deliver_due(&app.state.pool, &strict)
            .await
            .unwrap(),
        1
    );
    assert!(receiver.received().is_empty());
    let d = app
        .get(&format!("/v1/webhooks/{webhook_id}/deliveries"), &token)
        .await
        .items()[0]
        .clone();
    assert!(
        d["lastError"].as_str().unwrap().contains("target refused"),
        "{d}"
    );
}

#[actix_web::test]
async fn two_workers_on_one_database_deliver_each_event_once() {
    let app = TestApp::new().await;
    let receiver = Receiver::start(200).await;
    let token = app.token(PROVIDER_GA).await;
    register(&app, &token, &receiver.url, &["customer-created"]).await;
    for i in 0..40 {
        app.create_customer(
            &token,
            &format!("Many {i}"),
            &format!("many{i}.example"),
            None,
        )
        .await;
    }
    let second = db::pool(&app.state.config.database_url).expect("second pool");
    let config = app.state.config.clone();
    let one = async {
        let mut n = 0;
        while let Ok(k @ 1..) = delivery::deliver_due(&app.state.pool, &config).await {
            n += k;
        }
        n
    };
    let two = async {
        let mut n = 0;
        while let Ok(k @ 1..) = delivery::deliver_due(&second, &config).await {
            n += k;
        }
        n
    };
    let (a, b) = futures::join!(one, two);
    assert_eq!(a + b, 40);
    let mut ids: Vec<String> = receiver.received().iter().map(Received::id).collect();
    assert_eq!(ids.len(), 40);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 40, "each event once");
}

#[actix_web::test]
async fn rotate_secret_signs_with_old_and_new_secret() {
    let app = TestApp::new().await;
    let receiver = Receiver::start(200).await;
    let token = app.token(PROVIDER_AA).await;
    let (webhook_id, old) = register(&app, &token, &receiver.url, &["customer-created"]).await;
    let rotated = app
        .post(
            &format!("/v1/webhooks/{webhook_id}/secret"),
            &token,
            json!({}),
        )
        .await;
    rotated.assert(200);
    let new = rotated.str("secret");
    assert_ne!(new, old);
    app.post(
        &format!("/v1/webhooks/{webhook_id}/test"),
        &token,
        json!({}),
    )
    .await
    .assert(202);
    assert_eq!(deliver(&app).await, 1);
    let got = receiver.received();
    assert_eq!(got[0].json()["type"], "test-created");
    verify(&old, &got[0]);
    verify(&new, &got[0]);
}

#[actix_web::test]
async fn webhooks_crud_is_audited_without_secrets_and_needs_admin_roles() {
    let app = TestApp::new().await;
    let sales = app.token(PROVIDER_SA).await;
    app.post(
        "/v1/webhooks",
        &sales,
        json!({ "url": "https://hooks.example.com/x", "events": ["customer-created"] }),
    )
    .await
    .assert_insufficient_role(&["global_admin", "admin_agent"]);
    let token = app.token(PROVIDER_GA).await;
    let (id, secret) = register(
        &app,
        &token,
        "http://127.0.0.1:9/hook",
        &["customer-created"],
    )
    .await;
    app.post(
        "/v1/webhooks",
        &token,
        json!({ "url": "https://hooks.example.com/x", "events": ["no-such-event"] }),
    )
    .await
    .assert_problem(422, "validation_failed");
    let list = app.get("/v1/webhooks", &token).await;
    assert_eq!(list.items().len(), 1);
    let patched = app
        .patch(
            &format!("/v1/webhooks/{id}"),
            &token,
            json!({ "enabled": false, "events": ["order-created", "customer-updated"] }),
        )
        .await;
    patched.assert(200);
    assert_eq!(patched.body["enabled"], false);
    assert_eq!(
        patched.body["events"],
        json!(["order-created", "customer-updated"])
    );
    let other = app.token(PARTNERED_GA).await;
    app.get(&format!("/v1/webhooks/{id}"), &other)
        .await
        .assert_problem(404, "not_found");
    let types = app.get("/v1/webhook-events", &token).await;
    types.assert(200);
    assert!(
        types
            .items()
            .iter()
            .any(|t| t["name"] == "dap-admin-relationship-terminated")
    );
    app.delete(&format!("/v1/webhooks/{id}"), &token)
        .await
        .assert(204);
    let audit = app
        .get("/v1/audit-records?resourceType=webhook", &token)
        .await;
    let ops: Vec<String> = audit
        .items()
        .iter()
        .map(|a| a["operationType"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(ops, ["create_webhook", "update_webhook", "delete_webhook"]);
    let secret_body = &secret["whsec_".len()..];
    assert!(!audit.text.contains(secret_body), "no secret in audit");
    let stored: Vec<String> = app
        .with_conn(|conn| {
            use diesel::prelude::*;
            partner_center::schema::audit_records::table
                .select(partner_center::schema::audit_records::new_value)
                .load::<Option<String>>(conn)
                .unwrap()
                .into_iter()
                .flatten()
                .collect()
        })
        .await;
    assert!(stored.iter().all(|v| !v.contains(secret_body)));
}

#[actix_web::test]
async fn endpoint_failing_for_5_days_is_disabled_and_says_so() {
    let app = TestApp::new().await;
    let receiver = Receiver::start(503).await;
    let token = app.token(PROVIDER_GA).await;
    let (webhook_id, _) = register(&app, &token, &receiver.url, &["customer-created"]).await;
    app.create_customer(&token, "Down Ltd", "down.example", None)
        .await;
    assert_eq!(deliver(&app).await, 1);
    let hook = app.get(&format!("/v1/webhooks/{webhook_id}"), &token).await;
    assert!(hook.body["failingSince"].is_string());
    assert_eq!(hook.body["enabled"], true);
    // It has been failing (every retry, no quiet gap) since long ago.
    app.execute_sql(&format!(
        "UPDATE webhooks SET failing_since = '2000-01-01 00:00:00' WHERE id = '{webhook_id}'"
    ))
    .await;
    make_due(&app).await;
    assert_eq!(deliver(&app).await, 1);
    let hook = app.get(&format!("/v1/webhooks/{webhook_id}"), &token).await;
    assert_eq!(hook.body["enabled"], false);
    assert_eq!(hook.body["disabledReason"], "failing_for_5_days");

    // Nothing goes to a disabled endpoint; enabling it sends what waited.
    make_due(&app).await;
    assert_eq!(deliver(&app).await, 0);
    let enabled = app
        .patch(
            &format!("/v1/webhooks/{webhook_id}"),
            &token,
            json!({ "enabled": true }),
        )
        .await;
    enabled.assert(200);
    assert!(enabled.body["disabledReason"].is_null());
    make_due(&app).await;
    assert_eq!(deliver(&app).await, 1);
    assert_eq!(receiver.received().len(), 3);
}

#[actix_web::test]
async fn reseller_of_record_receives_its_subscription_events_and_others_none() {
    let app = TestApp::new().await;
    let reseller_hook = Receiver::start(200).await;
    let other_hook = Receiver::start(200).await;
    let provider = app.token(PROVIDER_GA).await;
    let reseller = app.token(PARTNERED_GA).await;
    let other = app.token(RESELLER_GA).await;
    let events = [
        "subscription-created",
        "subscription-updated",
        "order-created",
    ];
    let (reseller_webhook, secret) = register(&app, &reseller, &reseller_hook.url, &events).await;
    register(&app, &other, &other_hook.url, &events).await;
    let northwind = app.tenant_id(PARTNERED_GA).await;
    let tailspin = app.customer_id("tailspin.example").await;
    let offer = app
        .get(&format!("/v1/offers/{M365_BUSINESS_BASIC}"), &provider)
        .await;
    let cycle = offer.body["billingCycles"][0].as_str().unwrap().to_owned();
    let placed = app
        .order(
            &provider,
            &tailspin,
            vec![line(M365_BUSINESS_BASIC, 5, &cycle, Some(&northwind))],
        )
        .await;
    let sub_id = placed["subscriptions"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.patch(
        &format!("/v1/customers/{tailspin}/subscriptions/{sub_id}"),
        &provider,
        json!({ "quantity": 7 }),
    )
    .await
    .assert(200);
    deliver(&app).await;

    let got = reseller_hook.received();
    // Sent concurrently: the arrival order is not the order of the changes.
    let mut types: Vec<String> = got
        .iter()
        .map(|r| r.json()["type"].as_str().unwrap().to_owned())
        .collect();
    types.sort();
    assert_eq!(
        types,
        ["subscription-created", "subscription-updated"],
        "not the provider's order"
    );
    for r in &got {
        verify(&secret, r);
    }
    let updated = got
        .iter()
        .map(Received::json)
        .find(|b| b["type"] == "subscription-updated")
        .unwrap();
    assert_eq!(updated["data"]["resource"]["quantity"], 7);
    assert_eq!(updated["data"]["resource"]["partnerIdOnRecord"], northwind);
    let seen = app
        .get(
            &format!("/v1/customers/{tailspin}/subscriptions/{sub_id}"),
            &reseller,
        )
        .await;
    assert_eq!(updated["data"]["resource"], seen.body);
    assert!(other_hook.received().is_empty());
    let log = app
        .get(
            &format!("/v1/webhooks/{reseller_webhook}/deliveries?eventType=subscription-updated"),
            &reseller,
        )
        .await;
    assert_eq!(log.items().len(), 1);
}

#[actix_web::test]
async fn reseller_of_record_without_a_relationship_gets_404_on_get_and_no_event() {
    let app = TestApp::new().await;
    let reseller_hook = Receiver::start(200).await;
    let provider = app.token(PROVIDER_GA).await;
    let reseller = app.token(PARTNERED_GA).await;
    let events = ["subscription-created", "subscription-updated"];
    register(&app, &reseller, &reseller_hook.url, &events).await;
    let northwind = app.tenant_id(PARTNERED_GA).await;
    // Northwind is partnered with the provider but has no relationship with Adatum.
    let adatum = app.customer_id("adatum.example").await;
    let offer = app
        .get(&format!("/v1/offers/{M365_BUSINESS_BASIC}"), &provider)
        .await;
    let cycle = offer.body["billingCycles"][0].as_str().unwrap().to_owned();
    let placed = app
        .order(
            &provider,
            &adatum,
            vec![line(M365_BUSINESS_BASIC, 5, &cycle, Some(&northwind))],
        )
        .await;
    let sub_id = placed["subscriptions"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/v1/customers/{adatum}/subscriptions/{sub_id}");
    app.patch(&path, &provider, json!({ "quantity": 7 }))
        .await
        .assert(200);
    deliver(&app).await;

    app.get(&path, &reseller)
        .await
        .assert_problem(404, "not_found");
    assert!(
        reseller_hook.received().is_empty(),
        "a partner that gets 404 on GET got an event"
    );
}

#[actix_web::test]
async fn customer_removing_dap_sends_dap_admin_relationship_terminated_to_that_partner() {
    let app = TestApp::new().await;
    let northwind_hook = Receiver::start(200).await;
    let provider_hook = Receiver::start(200).await;
    let events = ["dap-admin-relationship-terminated"];
    let northwind = app.token(PARTNERED_GA).await;
    register(&app, &northwind, &northwind_hook.url, &events).await;
    register(
        &app,
        &app.token(PROVIDER_GA).await,
        &provider_hook.url,
        &events,
    )
    .await;
    let northwind_id = app.tenant_id(PARTNERED_GA).await;
    let tailspin = app.customer_id("tailspin.example").await;
    let admin = app.token(TAILSPIN_ADMIN).await;
    app.delete(
        &format!("/v1/my/partners/{northwind_id}/delegated-admin"),
        &admin,
    )
    .await
    .assert(204);
    deliver(&app).await;

    let got = northwind_hook.received();
    assert_eq!(got.len(), 1);
    let body = got[0].json();
    assert_eq!(body["type"], "dap-admin-relationship-terminated");
    assert_eq!(body["data"]["customerId"], tailspin);
    assert_eq!(body["data"]["resource"]["delegatedAdmin"], false);
    assert!(
        provider_hook.received().is_empty(),
        "not the provider's DAP"
    );
}

#[actix_web::test]
async fn two_changes_with_the_same_request_id_both_produce_events() {
    let app = TestApp::new().await;
    let receiver = Receiver::start(200).await;
    let token = app.token(PROVIDER_GA).await;
    register(&app, &token, &receiver.url, &["customer-updated"]).await;
    let id = app.customer_id("adatum.example").await;
    for name in ["Adatum One", "Adatum Two"] {
        app.send(request_with(
            actix_web::http::Method::PATCH,
            &format!("/v1/customers/{id}"),
            &token,
            Some(json!({ "companyName": name })),
            &[("X-Request-Id", "reused-by-the-client")],
        ))
        .await
        .assert(200);
    }
    assert_eq!(deliver(&app).await, 2);
    let names: Vec<Value> = receiver
        .received()
        .iter()
        .map(|r| r.json()["data"]["resource"]["companyName"].clone())
        .collect();
    assert_eq!(names.len(), 2, "one event per change");
    assert!(names.contains(&json!("Adatum Two")), "{names:?}");
}

#[actix_web::test]
async fn reseller_losing_dap_gets_support_contact_updated_without_the_subscription() {
    let app = TestApp::new().await;
    let northwind_hook = Receiver::start(200).await;
    let provider_hook = Receiver::start(200).await;
    let events = ["support-contact-updated"];
    register(
        &app,
        &app.token(PARTNERED_GA).await,
        &northwind_hook.url,
        &events,
    )
    .await;
    register(
        &app,
        &app.token(PROVIDER_GA).await,
        &provider_hook.url,
        &events,
    )
    .await;
    let provider = app.tenant_id(PROVIDER_GA).await;
    let northwind = app.tenant_id(PARTNERED_GA).await;
    let tailspin = app.customer_id("tailspin.example").await;
    let sa = app.token(PROVIDER_SA).await;
    let placed = app
        .order(
            &sa,
            &tailspin,
            vec![line(M365_BUSINESS_PREMIUM, 10, "monthly", None)],
        )
        .await;
    let sub = placed["subscriptions"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.put(
        &format!("/v1/customers/{tailspin}/subscriptions/{sub}/support-contact"),
        &sa,
        json!({ "partnerId": northwind }),
    )
    .await
    .assert(200);
    deliver(&app).await;
    let set = northwind_hook.received();
    assert_eq!(set.len(), 1);
    assert_eq!(
        set[0].json()["data"]["resource"]["quantity"],
        10,
        "it sees it"
    );

    app.delete(
        &format!("/v1/my/partners/{northwind}/delegated-admin"),
        &app.token(TAILSPIN_ADMIN).await,
    )
    .await
    .assert(204);
    deliver(&app).await;
    let got = northwind_hook.received();
    assert_eq!(got.len(), 2);
    let body = got[1].json();
    assert_eq!(body["type"], "support-contact-updated");
    assert_eq!(
        body["data"]["resource"],
        json!({ "id": sub, "supportContactPartnerId": provider }),
        "no subscription details for a partner that lost access"
    );
    let provider_got = provider_hook.received();
    let last = provider_got.last().unwrap().json();
    assert_eq!(
        last["data"]["resource"]["quantity"], 10,
        "the provider sees it"
    );
    assert_eq!(
        last["data"]["resource"]["supportContactPartnerId"],
        provider
    );
}

#[actix_web::test]
async fn failure_after_a_quiet_gap_restarts_the_failing_clock() {
    let app = TestApp::new().await;
    let receiver = Receiver::start(503).await;
    let token = app.token(PROVIDER_GA).await;
    let (webhook_id, _) = register(&app, &token, &receiver.url, &["customer-created"]).await;
    // Failed once long ago, then nothing to send for years.
    app.execute_sql(&format!(
        "UPDATE webhooks SET failing_since = '2000-01-01 00:00:00', \
         last_failed_at = '2000-01-01 00:00:00' WHERE id = '{webhook_id}'"
    ))
    .await;
    app.create_customer(&token, "Quiet Ltd", "quiet.example", None)
        .await;
    assert_eq!(deliver(&app).await, 1);
    let hook = app.get(&format!("/v1/webhooks/{webhook_id}"), &token).await;
    assert_eq!(hook.body["enabled"], true, "{}", hook.text);
    let since: chrono::DateTime<chrono::Utc> =
        hook.body["failingSince"].as_str().unwrap().parse().unwrap();
    assert!(
        chrono::Utc::now() - since < chrono::Duration::hours(1),
        "{since}"
    );
}

#[actix_web::test]
async fn redeliver_after_failure_gets_a_fresh_retry_schedule() {
    let app = TestApp::with_config(|c| c.webhook_retry_schedule = vec![60]).await;
    let receiver = Receiver::start(500).await;
    let token = app.token(PROVIDER_GA).await;
    let (webhook_id, _) = register(&app, &token, &receiver.url, &["customer-created"]).await;
    app.create_customer(&token, "Again Ltd", "again.example", None)
        .await;
    deliver(&app).await;
    make_due(&app).await;
    deliver(&app).await;
    let log_path = format!("/v1/webhooks/{webhook_id}/deliveries");
    let d = app.get(&log_path, &token).await.items()[0].clone();
    assert_eq!(d["status"], "failed");
    assert_eq!(d["attempts"], 2);

    let path = format!("{log_path}/{}/redeliver", d["id"].as_str().unwrap());
    app.post(&path, &token, json!({})).await.assert(202);
    let d = app.get(&log_path, &token).await.items()[0].clone();
    assert_eq!(d["attempts"], 0);
    assert_eq!(deliver(&app).await, 1);
    let d = app.get(&log_path, &token).await.items()[0].clone();
    assert_eq!(d["status"], "pending", "the retry schedule starts again");
    assert_eq!(d["attempts"], 1);
    assert_eq!(d["attemptLog"].as_array().unwrap().len(), 3, "history kept");
}

#[actix_web::test]
async fn redeliver_while_a_worker_is_sending_it_is_refused() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_GA).await;
    let (webhook_id, _) = register(
        &app,
        &token,
        "http://127.0.0.1:9/hook",
        &["customer-created"],
    )
    .await;
    app.create_customer(&token, "Busy Ltd", "busy.example", None)
        .await;
    // A worker claimed it and holds the lease.
    app.execute_sql(
        "UPDATE webhook_deliveries SET claim_token = 'worker-a', \
         next_attempt_at = '2999-01-01 00:00:00'",
    )
    .await;
    let log_path = format!("/v1/webhooks/{webhook_id}/deliveries");
    let d = app.get(&log_path, &token).await.items()[0].clone();
    let path = format!("{log_path}/{}/redeliver", d["id"].as_str().unwrap());
    app.post(&path, &token, json!({}))
        .await
        .assert_problem(409, "delivery_in_progress");
    // Once its lease has expired (the worker died), redeliver takes it back.
    app.execute_sql("UPDATE webhook_deliveries SET next_attempt_at = '2000-01-01 00:00:00'")
        .await;
    app.post(&path, &token, json!({})).await.assert(202);
}

#[actix_web::test]
async fn test_event_to_a_disabled_webhook_is_refused() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_GA).await;
    let (webhook_id, _) = register(
        &app,
        &token,
        "http://127.0.0.1:9/hook",
        &["customer-created"],
    )
    .await;
    app.patch(
        &format!("/v1/webhooks/{webhook_id}"),
        &token,
        json!({ "enabled": false }),
    )
    .await
    .assert(200);
    app.post(
        &format!("/v1/webhooks/{webhook_id}/test"),
        &token,
        json!({}),
    )
    .await
    .assert_problem(409, "webhook_disabled");
    let log = app
        .get(&format!("/v1/webhooks/{webhook_id}/deliveries"), &token)
        .await;
    assert!(log.items().is_empty());
}

#[actix_web::test]
async fn worker_whose_lease_was_taken_over_does_not_record_the_outcome() {
    let app = TestApp::new().await;
    let receiver = Receiver::start_slow(200, 1000).await;
    let token = app.token(PROVIDER_GA).await;
    let (webhook_id, _) = register(&app, &token, &receiver.url, &["customer-created"]).await;
    app.create_customer(&token, "Lease Ltd", "lease.example", None)
        .await;
    let sending = delivery::deliver_due(&app.state.pool, &app.state.config);
    let take_over = async {
        while receiver.received().is_empty() {
            actix_web::rt::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        // Meanwhile the lease expired and another worker claimed it.
        app.execute_sql("UPDATE webhook_deliveries SET claim_token = 'worker-b'")
            .await;
    };
    let (sent, ()) = futures::join!(sending, take_over);
    assert_eq!(sent.unwrap(), 1);
    let d = app
        .get(&format!("/v1/webhooks/{webhook_id}/deliveries"), &token)
        .await
        .items()[0]
        .clone();
    assert_eq!(d["status"], "pending", "left to the claim holding it: {d}");
    assert_eq!(d["attempts"], 0);
    assert_eq!(
        d["attemptLog"].as_array().unwrap().len(),
        1,
        "attempt logged"
    );
}

#[actix_web::test]
async fn webhook_deleted_during_a_delivery_writes_no_error_line() {
    logs::capture();
    let app = TestApp::new().await;
    let receiver = Receiver::start_slow(200, 300).await;
    let token = app.token(PROVIDER_GA).await;
    let (webhook_id, _) = register(&app, &token, &receiver.url, &["customer-created"]).await;
    app.create_customer(&token, "Gone Ltd", "gone.example", None)
        .await;
    let delivery_id = app
        .get(&format!("/v1/webhooks/{webhook_id}/deliveries"), &token)
        .await
        .items()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let delete = async {
        // While the receiver holds the request, the owner deletes the webhook.
        while receiver.received().is_empty() {
            actix_web::rt::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        app.delete(&format!("/v1/webhooks/{webhook_id}"), &token)
            .await
            .assert(204);
    };
    let (delivered, ()) = futures::join!(
        delivery::deliver_due(&app.state.pool, &app.state.config),
        delete
    );
    assert_eq!(delivered.unwrap(), 1);
    let lines =
        logs::errors(|l| l.message.contains(&delivery_id) || l.message.contains("bookkeeping"));
    assert!(lines.is_empty(), "{lines:?}");
    app.get(&format!("/v1/webhooks/{webhook_id}"), &token)
        .await
        .assert(404);
}

#[actix_web::test]
async fn webhook_target_with_control_characters_is_refused_even_with_private_targets_allowed() {
    let app = TestApp::new().await;
    assert!(app.state.config.webhook_allow_private_targets);
    let token = app.token(PROVIDER_GA).await;
    for url in [
        "https://a/b\r\nX: y",
        "http://127.0.0.1:9/a b",
        "http://127.0.0.1:9/\u{7f}",
        "http://exa mple.com/",
        "http://[::1/",
    ] {
        let res = app
            .post(
                "/v1/webhooks",
                &token,
                json!({ "url": url, "events": ["customer-created"] }),
            )
            .await;
        res.assert(422);
        assert_eq!(
            res.body["errors"][0]["field"], "url",
            "{url:?}: {}",
            res.text
        );
    }
}

#[actix_web::test]
async fn refused_webhook_target_does_not_tell_what_its_host_resolves_to() {
    let app = TestApp::with_config(|c| c.webhook_allow_private_targets = false).await;
    let token = app.token(PROVIDER_GA).await;
    let mut details = Vec::new();
    for url in [
        "https://localhost/hook",
        "https://no-such-host.invalid/hook",
    ] {
        let res = app
            .post(
                "/v1/webhooks",
                &token,
                json!({ "url": url, "events": ["customer-created"] }),
            )
            .await;
        res.assert_problem(422, "webhook_target_refused");
        let detail = res.str("detail");
        assert!(
            !detail.contains("127.0.0.1") && !detail.contains("::1"),
            "{detail}"
        );
        assert!(!detail.contains("it host"), "{detail}");
        details.push(detail);
    }
    assert_eq!(
        details[0], details[1],
        "a private answer and no answer read the same"
    );
}

async fn event_count(app: &TestApp) -> i64 {
    app.with_conn(|conn| {
        use diesel::prelude::*;
        use partner_center::schema::webhook_events as e;
        e::table.count().get_result::<i64>(conn).expect("count")
    })
    .await
}

#[actix_web::test]
async fn change_without_a_subscribed_endpoint_writes_no_event() {
    let app = TestApp::new().await;
    let token = app.token(PROVIDER_GA).await;
    let before = event_count(&app).await;
    app.create_customer(&token, "Quiet Ltd", "quiet.example", None)
        .await;
    assert_eq!(event_count(&app).await, before, "nobody listens: no event");
    let (webhook_id, _) = register(
        &app,
        &token,
        "http://127.0.0.1:9/hook",
        &["customer-created"],
    )
    .await;
    app.create_customer(&token, "Heard Ltd", "heard.example", None)
        .await;
    assert_eq!(event_count(&app).await, before + 1);
    // Another type, and a disabled endpoint, write nothing either.
    let quiet = app.customer_id("quiet.example").await;
    app.patch(
        &format!("/v1/customers/{quiet}"),
        &token,
        json!({ "companyName": "Quieter Ltd" }),
    )
    .await
    .assert(200);
    assert_eq!(event_count(&app).await, before + 1);
    app.patch(
        &format!("/v1/webhooks/{webhook_id}"),
        &token,
        json!({ "enabled": false }),
    )
    .await
    .assert(200);
    app.create_customer(&token, "Unheard Ltd", "unheard.example", None)
        .await;
    assert_eq!(event_count(&app).await, before + 1);
}
