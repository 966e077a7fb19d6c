//! Expiry and auto-extension (docs/concepts.md#granular-delegated-admin-gdap) through the service the lifecycle runner calls,
//! with the time injected: notices 30, 7 and 1 days before an end that will not extend, 180-day
//! extensions unless Global Administrator is among the roles, expiry ending access at once, and
//! a pending approval that outlives its link.

use chrono::Duration;
use partner_center::domain::gdap::Transition;

use super::*;

const EVENTS: [&str; 4] = [
    "granular-admin-relationship-expiring",
    "granular-admin-relationship-expired",
    "granular-admin-relationship-auto-extended",
    "granular-admin-relationship-activated",
];

async fn hook(app: &TestApp, token: &str) -> String {
    let res = app
        .post(
            "/v1/webhooks",
            token,
            serde_json::json!({ "url": "https://hooks.example/expiry", "events": EVENTS }),
        )
        .await;
    res.assert(201);
    res.body["webhook"]["id"].as_str().unwrap().to_owned()
}

#[actix_web::test]
async fn relationship_with_p180d_extends_by_180_days_at_its_end() {
    let app = TestApp::new().await;
    let aa = app.token(PROVIDER_AA).await;
    let webhook = hook(&app, &aa).await;
    let adatum = app.customer_id("adatum.example").await;
    let id = active_relationship(
        &app,
        &aa,
        &adatum,
        ADATUM_ADMIN,
        ("Extends", "P30D", "P180D"),
        &["Helpdesk Administrator"],
    )
    .await;
    let path = format!("/v1/delegated-admin-relationships/{id}");
    let end = time(&app.get(&path, &aa).await.body["endDateTime"]);
    assert!(
        apply_due(&app, &id, end - Duration::days(30))
            .await
            .is_empty(),
        "no notices: it will not end"
    );
    let t = apply_due(&app, &id, end).await;
    assert_eq!(
        t,
        vec![Transition::Extended {
            from: end,
            to: end + Duration::days(180)
        }]
    );
    let after = app.get(&path, &aa).await;
    assert_eq!(after.str("status"), "active");
    assert_eq!(time(&after.body["endDateTime"]), end + Duration::days(180));
    assert!(apply_due(&app, &id, end).await.is_empty(), "applied once");
    let types = delivered_types(&app, &aa, &webhook).await;
    assert!(
        types
            .iter()
            .any(|t| t == "granular-admin-relationship-auto-extended"),
        "{types:?}"
    );
}

#[actix_web::test]
async fn relationship_with_global_administrator_expires_despite_p180d_with_notices_before() {
    let app = TestApp::new().await;
    let aa = app.token(PROVIDER_AA).await;
    let webhook = hook(&app, &aa).await;
    let adatum = app.customer_id("adatum.example").await;
    let id = active_relationship(
        &app,
        &aa,
        &adatum,
        ADATUM_ADMIN,
        ("Global", "P60D", "P180D"),
        &["Global Administrator"],
    )
    .await;
    let path = format!("/v1/delegated-admin-relationships/{id}");
    let end = time(&app.get(&path, &aa).await.body["endDateTime"]);
    for days in [30, 7, 1] {
        let t = apply_due(&app, &id, end - Duration::days(days)).await;
        assert_eq!(
            t,
            vec![Transition::Expiring {
                days: days as i32,
                end_at: end
            }]
        );
        assert!(
            apply_due(&app, &id, end - Duration::days(days))
                .await
                .is_empty()
        );
    }
    assert_eq!(
        apply_due(&app, &id, end).await,
        vec![Transition::Expired { at: end }]
    );
    assert_eq!(app.get(&path, &aa).await.str("status"), "expired");
    let types = delivered_types(&app, &aa, &webhook).await;
    assert_eq!(
        types
            .iter()
            .filter(|t| *t == "granular-admin-relationship-expiring")
            .count(),
        3
    );
    assert_eq!(
        types
            .iter()
            .filter(|t| *t == "granular-admin-relationship-expired")
            .count(),
        1
    );
    assert!(
        !types
            .iter()
            .any(|t| t == "granular-admin-relationship-auto-extended")
    );
}

#[actix_web::test]
async fn pending_approval_expires_with_its_link_and_the_link_stops_working() {
    let app = TestApp::new().await;
    let aa = app.token(PROVIDER_AA).await;
    let adatum = app.customer_id("adatum.example").await;
    let res = draft(
        &app,
        &aa,
        &adatum,
        "Unanswered",
        "P30D",
        "PT0S",
        &["Directory Readers"],
    )
    .await;
    let id = res.str("id");
    let locked = lock(&app, &aa, &id).await;
    let expires = time(&locked["expiresAt"]);
    assert_eq!(time(&locked["relationship"]["endDateTime"]), expires);
    assert_eq!(
        apply_due(&app, &id, expires).await,
        vec![Transition::Expired { at: expires }]
    );
    let after = app
        .get(&format!("/v1/delegated-admin-relationships/{id}"), &aa)
        .await;
    assert_eq!(after.str("status"), "expired");
    decide(&app, &app.token(ADATUM_ADMIN).await, &locked, "approve")
        .await
        .assert_problem(422, "invalid_link_token");
}
