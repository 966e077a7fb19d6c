//! Every permission cell of the permission table (docs/concepts.md#roles-and-permissions) for the operations that exist: each of the five partner
//! roles (and a customer admin) against the partner profile, partner users, applications, audit
//! records and customers. Allowed cells succeed; the others answer 403 `insufficient_role` naming
//! the roles that would do.

use serde_json::{Value, json};

use crate::harness::*;

/// The provider's users, one per role, in the permission table's column order: GA, UMA, AA, SA, HA.
const ROLES: [(&str, &str); 5] = [
    (PROVIDER_GA, "ga"),
    (PROVIDER_UMA, "uma"),
    (PROVIDER_AA, "aa"),
    (PROVIDER_SA, "sa"),
    (PROVIDER_HA, "ha"),
];

const ALL: [bool; 5] = [true, true, true, true, true];
const GA: [&str; 1] = ["global_admin"];
const GA_UMA: [&str; 2] = ["global_admin", "user_management_admin"];

/// Asserts one cell: a 2xx when `allowed`, otherwise 403 naming exactly `required`.
#[track_caller]
fn cell(res: &Res, allowed: bool, required: &[&str], what: &str) {
    if allowed {
        assert!(res.status.is_success(), "{what} was refused: {}", res.text);
    } else {
        assert_eq!(
            res.status.as_u16(),
            403,
            "{what} was not refused: {}",
            res.text
        );
        res.assert_insufficient_role(required);
    }
}

fn id(body: &Value, pointer: &str) -> String {
    body.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no {pointer} in {body}"))
        .to_owned()
}

#[actix_rt::test]
async fn partner_profile_permissions_follow_the_role_table() {
    let app = TestApp::new().await;
    let update = [true, false, false, false, false];
    for (i, (user, short)) in ROLES.into_iter().enumerate() {
        let token = app.token(user).await;
        let read = app.get("/v1/partner", &token).await;
        cell(&read, ALL[i], &[], &format!("{short} read profile"));
        let write = app
            .patch(
                "/v1/partner",
                &token,
                json!({ "supportPhone": "+1 425 555 0199" }),
            )
            .await;
        cell(&write, update[i], &GA, &format!("{short} update profile"));
    }
}

#[actix_rt::test]
async fn partner_user_permissions_follow_the_role_table() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let allowed = [true, true, false, false, false];
    let agent = app.user_id(PROVIDER_HA).await;
    for (i, (user, short)) in ROLES.into_iter().enumerate() {
        let token = app.token(user).await;
        let what = |op: &str| format!("{short} {op}");
        let list = app.get("/v1/users", &token).await;
        cell(&list, allowed[i], &GA_UMA, &what("list users"));
        let read = app.get(&format!("/v1/users/{agent}"), &token).await;
        cell(&read, allowed[i], &GA_UMA, &what("read user"));
        let create = app
            .post(
                "/v1/users",
                &token,
                json!({ "userName": format!("new.{short}@contoso-distribution.example"), "displayName": "New", "roles": ["sales_agent"] }),
            )
            .await;
        cell(&create, allowed[i], &GA_UMA, &what("create user"));
        let update = app
            .patch(
                &format!("/v1/users/{agent}"),
                &token,
                json!({ "displayName": format!("Renamed by {short}") }),
            )
            .await;
        cell(&update, allowed[i], &GA_UMA, &what("update user"));
        // Reset and delete act on throwaway users, so every role meets a fresh one.
        let target = app
            .create_user(
                &ga,
                &format!("target.{short}@contoso-distribution.example"),
                &["helpdesk_agent"],
            )
            .await;
        let target = id(&target, "/user/id");
        let reset = app
            .post(
                &format!("/v1/users/{target}/password-reset"),
                &token,
                json!({}),
            )
            .await;
        cell(&reset, allowed[i], &GA_UMA, &what("reset password"));
        let delete = app.delete(&format!("/v1/users/{target}"), &token).await;
        cell(&delete, allowed[i], &GA_UMA, &what("delete user"));
    }
}

#[actix_rt::test]
async fn application_permissions_follow_the_role_table() {
    let app = TestApp::new().await;
    let ga = app.token(PROVIDER_GA).await;
    let allowed = [true, false, false, false, false];
    for (i, (user, short)) in ROLES.into_iter().enumerate() {
        let token = app.token(user).await;
        let what = |op: &str| format!("{short} {op}");
        let list = app.get("/v1/applications", &token).await;
        cell(&list, allowed[i], &GA, &what("list applications"));
        let create = app
            .post(
                "/v1/applications",
                &token,
                json!({ "displayName": format!("Bot of {short}"), "roles": ["sales_agent"] }),
            )
            .await;
        cell(&create, allowed[i], &GA, &what("create application"));
        let target = app
            .create_application(&ga, &format!("Target for {short}"), &["helpdesk_agent"])
            .await;
        let target = id(&target, "/application/id");
        let delete = app
            .delete(&format!("/v1/applications/{target}"), &token)
            .await;
        cell(&delete, allowed[i], &GA, &what("delete application"));
    }
}

#[actix_rt::test]
async fn audit_record_permissions_follow_the_role_table() {
    let app = TestApp::new().await;
    for (i, (user, short)) in ROLES.into_iter().enumerate() {
        let token = app.token(user).await;
        let read = app.get("/v1/audit-records", &token).await;
        cell(&read, ALL[i], &[], &format!("{short} read audit records"));
        assert!(!read.items().is_empty(), "{short} sees no audit records");
    }
}

#[actix_rt::test]
async fn customer_permissions_name_the_allowed_roles() {
    let app = TestApp::new().await;
    let customer = app.customer_id("adatum.example").await;
    let read = [true, false, true, true, true];
    let create = [true, false, true, true, false];
    let update = [true, false, true, true, true];
    let readers = [
        "global_admin",
        "admin_agent",
        "sales_agent",
        "helpdesk_agent",
    ];
    let creators = ["global_admin", "admin_agent", "sales_agent"];
    for (i, (user, short)) in ROLES.into_iter().enumerate() {
        let token = app.token(user).await;
        let what = |op: &str| format!("{short} {op}");
        let list = app.get("/v1/customers", &token).await;
        cell(&list, read[i], &readers, &what("list customers"));
        let get = app.get(&format!("/v1/customers/{customer}"), &token).await;
        cell(&get, read[i], &readers, &what("read customer"));
        let post = app
            .post(
                "/v1/customers",
                &token,
                customer_body("Perm", &format!("perm-{short}.example"), None),
            )
            .await;
        cell(&post, create[i], &creators, &what("create customer"));
        let patch = app
            .patch(
                &format!("/v1/customers/{customer}"),
                &token,
                json!({ "billingProfile": { "culture": "en-GB" } }),
            )
            .await;
        cell(&patch, update[i], &readers, &what("update customer"));
    }
}

#[actix_rt::test]
async fn customer_admin_gets_403_on_partner_operations() {
    let app = TestApp::new().await;
    let token = app.token(ADATUM_ADMIN).await;
    let every = [
        "global_admin",
        "user_management_admin",
        "admin_agent",
        "sales_agent",
        "helpdesk_agent",
    ];
    for (path, required) in [
        ("/v1/partner", &every[..]),
        ("/v1/users", &GA_UMA[..]),
        ("/v1/applications", &GA[..]),
        ("/v1/audit-records", &every[..]),
    ] {
        app.get(path, &token)
            .await
            .assert_insufficient_role(required);
    }
}
