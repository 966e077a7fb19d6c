//! Granular delegated admin (docs/concepts.md#granular-delegated-admin-gdap): security groups, relationships approved by the
//! customer's admin, access assignments, authorization through them, expiry and auto-extension.

mod authorization;
mod expiry;
mod relationships;
mod security_groups;

use chrono::NaiveDateTime;
use partner_center::domain::gdap::{Transition, directory_role_named};
use serde_json::{Value, json};

use crate::harness::*;

/// The template id of the directory role `name`.
pub fn role(name: &str) -> String {
    directory_role_named(name)
        .unwrap_or_else(|| panic!("no role {name}"))
        .id
        .clone()
}

/// The `unifiedRoles` of `names`.
pub fn roles(names: &[&str]) -> Value {
    json!({ "unifiedRoles": names.iter().map(|n| json!({ "roleDefinitionId": role(n) })).collect::<Vec<_>>() })
}

/// Drafts a relationship as `token`; returns the response.
pub async fn draft(
    app: &TestApp,
    token: &str,
    customer: &str,
    name: &str,
    duration: &str,
    auto_extend: &str,
    role_names: &[&str],
) -> Res {
    app.post(
        "/v1/delegated-admin-relationships",
        token,
        json!({
            "displayName": name,
            "duration": duration,
            "autoExtendDuration": auto_extend,
            "customer": { "tenantId": customer },
            "accessDetails": roles(role_names),
        }),
    )
    .await
}

/// Locks a relationship for approval as `token`; returns the 201 body (with the link).
pub async fn lock(app: &TestApp, token: &str, relationship: &str) -> Value {
    let res = app
        .post(
            &format!("/v1/delegated-admin-relationships/{relationship}/requests"),
            token,
            json!({ "action": "lockForApproval" }),
        )
        .await;
    res.assert(201);
    res.body
}

/// Approves (or rejects, `verb = "reject"`) a locked relationship as a customer admin.
pub async fn decide(app: &TestApp, admin: &str, locked: &Value, verb: &str) -> Res {
    app.post(
        &format!("/v1/delegated-admin-relationships/{verb}"),
        admin,
        json!({ "token": link_token(locked) }),
    )
    .await
}

/// Drafts (name, duration, auto-extension), locks and approves a relationship; returns its id.
pub async fn active_relationship(
    app: &TestApp,
    partner: &str,
    customer: &str,
    admin: &str,
    (name, duration, auto_extend): (&str, &str, &str),
    role_names: &[&str],
) -> String {
    let res = draft(
        app,
        partner,
        customer,
        name,
        duration,
        auto_extend,
        role_names,
    )
    .await;
    res.assert(201);
    let id = res.str("id");
    let locked = lock(app, partner, &id).await;
    decide(app, &app.token(admin).await, &locked, "approve")
        .await
        .assert(200);
    id
}

/// Creates a security group as `token` with `members`; returns its id.
pub async fn group(app: &TestApp, token: &str, name: &str, members: &[&str]) -> String {
    let res = app
        .post("/v1/security-groups", token, json!({ "displayName": name }))
        .await;
    res.assert(201);
    let id = res.str("id");
    for m in members {
        app.put(
            &format!("/v1/security-groups/{id}/members/{m}"),
            token,
            json!({}),
        )
        .await
        .assert(200);
    }
    id
}

/// Assigns `role_names` of `relationship` to `group` as `token`.
pub async fn assign(
    app: &TestApp,
    token: &str,
    relationship: &str,
    group: &str,
    role_names: &[&str],
) -> Res {
    app.post(
        &format!("/v1/delegated-admin-relationships/{relationship}/accessAssignments"),
        token,
        json!({
            "accessContainer": { "accessContainerId": group, "accessContainerType": "securityGroup" },
            "accessDetails": roles(role_names),
        }),
    )
    .await
}

/// The id of a user of the partner of `ga` (its global admin) by sign-in name.
pub async fn partner_user_id(app: &TestApp, ga: &str, user_name: &str) -> String {
    let res = app.get("/v1/users?limit=500", ga).await;
    res.assert(200);
    res.items()
        .into_iter()
        .find(|u| u["userName"] == user_name)
        .and_then(|u| u["id"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("no user {user_name}"))
}

/// Runs the expiry rule for one relationship at `at`, as the lifecycle runner does.
pub async fn apply_due(app: &TestApp, relationship: &str, at: NaiveDateTime) -> Vec<Transition> {
    let id: uuid::Uuid = relationship.parse().expect("relationship id");
    app.with_conn(move |conn| {
        partner_center::change::Change::run(
            conn,
            partner_center::models::audit::Actor::system("lifecycle runner"),
            None,
            |change| partner_center::services::gdap::apply_due(change, id, at),
        )
        .expect("apply due transitions")
    })
    .await
}

/// A time of a response (`endDateTime`, …) as stored.
pub fn time(v: &Value) -> NaiveDateTime {
    chrono::DateTime::parse_from_rfc3339(v.as_str().expect("a time"))
        .expect("RFC 3339")
        .naive_utc()
}
