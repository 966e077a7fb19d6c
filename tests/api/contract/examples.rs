//! Every operation's examples, as the OpenAPI document prints them, executed in a sensible order
//! against the demo data (what Swagger UI's "Try it out" sends): path parameters from their
//! examples (demo ids) or from an earlier step's answer, bodies built from the schemas' examples
//! (optional fields only where they have one), optional headers left out. Each step must answer
//! its expected status: 2xx, or the documented status of a deliberately failing example (a link
//! token that only an email carries).

use std::collections::HashMap;

use actix_web::http::{Method, header};
use actix_web::test::TestRequest;
use serde_json::{Map, Value};

use crate::harness::*;

/// One call: operation id, caller (`None`: anonymous), expected status, and values to keep from
/// the answer (a variable named like the path parameter it fills, and a JSON pointer). The
/// pseudo-operation `set` sets variables to the given values instead.
struct Step(
    &'static str,
    Option<&'static str>,
    u16,
    &'static [(&'static str, &'static str)],
);

const STEPS: &[Step] = &[
    Step("get_live", None, 200, &[]),
    Step("get_ready", None, 200, &[]),
    Step("get_problem", None, 200, &[]),
    Step("create_token", None, 200, &[]),
    Step("create_revocation", None, 200, &[]),
    Step("get_jwks", None, 200, &[]),
    Step("get_authorization_server_metadata", None, 200, &[]),
    Step("get_me", Some(PROVIDER_GA), 200, &[]),
    Step("list_offers", Some(PROVIDER_GA), 200, &[]),
    Step("get_offer", Some(PROVIDER_GA), 200, &[]),
    Step("list_customers", Some(PROVIDER_GA), 200, &[]),
    Step("create_customer", Some(PROVIDER_GA), 201, &[]),
    Step("get_customer", Some(PROVIDER_GA), 200, &[]),
    Step("update_customer", Some(PROVIDER_GA), 200, &[]),
    Step("list_invitations", Some(PROVIDER_GA), 200, &[]),
    Step(
        "create_invitation",
        Some(PROVIDER_GA),
        201,
        &[("invitationId", "/id")],
    ),
    Step("delete_invitation", Some(PROVIDER_GA), 204, &[]),
    Step("list_indirect_resellers", Some(PROVIDER_GA), 200, &[]),
    Step("get_indirect_reseller", Some(PROVIDER_GA), 200, &[]),
    // The example token is a placeholder: real ones arrive by email.
    Step("accept_partnership_invitation", Some(RESELLER_GA), 422, &[]),
    Step("enroll_partnership_invitation", None, 422, &[]),
    Step("list_indirect_providers", Some(PARTNERED_GA), 200, &[]),
    Step("create_cart", Some(PROVIDER_GA), 201, &[("cartId", "/id")]),
    Step("delete_cart", Some(PROVIDER_GA), 204, &[]),
    Step("create_cart", Some(PROVIDER_GA), 201, &[("cartId", "/id")]),
    Step("get_cart", Some(PROVIDER_GA), 200, &[]),
    Step("update_cart", Some(PROVIDER_GA), 200, &[]),
    Step(
        "create_cart_checkout",
        Some(PROVIDER_GA),
        201,
        &[("subscriptionId", "/subscriptions/0/id")],
    ),
    Step("list_orders", Some(PROVIDER_GA), 200, &[]),
    Step(
        "create_order",
        Some(PROVIDER_GA),
        201,
        &[("orderId", "/order/id")],
    ),
    Step("get_order", Some(PROVIDER_GA), 200, &[]),
    Step("list_subscriptions", Some(PROVIDER_GA), 200, &[]),
    Step("get_subscription", Some(PROVIDER_GA), 200, &[]),
    Step("update_subscription", Some(PROVIDER_GA), 200, &[]),
    Step("list_subscription_upgrades", Some(PROVIDER_GA), 200, &[]),
    Step("get_support_contact", Some(PROVIDER_GA), 200, &[]),
    Step(
        "list_support_contact_candidates",
        Some(PROVIDER_GA),
        200,
        &[],
    ),
    Step("update_support_contact", Some(PROVIDER_GA), 200, &[]),
    Step("create_subscription_upgrade", Some(PROVIDER_GA), 201, &[]),
    Step("list_service_requests", Some(PROVIDER_GA), 200, &[]),
    Step(
        "create_service_request",
        Some(PROVIDER_GA),
        201,
        &[("serviceRequestId", "/id")],
    ),
    Step("get_service_request", Some(PROVIDER_GA), 200, &[]),
    Step("update_service_request", Some(PROVIDER_GA), 200, &[]),
    Step("create_service_request_note", Some(PROVIDER_GA), 201, &[]),
    Step("list_service_request_notes", Some(PROVIDER_GA), 200, &[]),
    Step("list_customer_relationships", Some(PROVIDER_GA), 200, &[]),
    Step("list_relationship_requests", Some(PARTNERED_GA), 200, &[]),
    Step("create_relationship_request", Some(PARTNERED_GA), 201, &[]),
    Step("accept_relationship_request", Some(ADATUM_ADMIN), 422, &[]),
    Step("list_my_partners", Some(ADATUM_ADMIN), 200, &[]),
    Step("list_my_subscriptions", Some(ADATUM_ADMIN), 200, &[]),
    Step(
        "delete_my_partner_delegated_admin",
        Some(ADATUM_ADMIN),
        204,
        &[],
    ),
    Step("list_audit_records", Some(PROVIDER_GA), 200, &[]),
    Step("list_webhook_events", Some(PROVIDER_GA), 200, &[]),
    Step(
        "create_webhook",
        Some(PROVIDER_GA),
        201,
        &[("webhookId", "/webhook/id")],
    ),
    Step("list_webhooks", Some(PROVIDER_GA), 200, &[]),
    Step("get_webhook", Some(PROVIDER_GA), 200, &[]),
    Step("update_webhook", Some(PROVIDER_GA), 200, &[]),
    Step("rotate_webhook_secret", Some(PROVIDER_GA), 200, &[]),
    Step("test_webhook", Some(PROVIDER_GA), 202, &[]),
    Step(
        "list_webhook_deliveries",
        Some(PROVIDER_GA),
        200,
        &[("deliveryId", "/items/0/id")],
    ),
    Step("redeliver_webhook_delivery", Some(PROVIDER_GA), 202, &[]),
    Step("replay_webhook_events", Some(PROVIDER_GA), 202, &[]),
    Step("delete_webhook", Some(PROVIDER_GA), 204, &[]),
    Step(
        "create_test_clock",
        Some(PROVIDER_GA),
        201,
        &[("clockId", "/id")],
    ),
    Step("list_test_clocks", Some(PROVIDER_GA), 200, &[]),
    Step("get_test_clock", Some(PROVIDER_GA), 200, &[]),
    Step("create_test_clock_advance", Some(PROVIDER_GA), 200, &[]),
    Step("delete_test_clock", Some(PROVIDER_GA), 204, &[]),
    Step("list_price_lists", Some(PROVIDER_GA), 200, &[]),
    Step("get_price_list", Some(PROVIDER_GA), 200, &[]),
    Step("update_price_list", Some(PROVIDER_GA), 200, &[]),
    Step("list_price_list_versions", Some(PROVIDER_GA), 200, &[]),
    Step("get_price_list_version", Some(PROVIDER_GA), 200, &[]),
    Step("create_price_list_version", Some(PROVIDER_GA), 201, &[]),
    // This walk sends no query parameters: the required `offerId` is missing.
    Step("get_price_list_price", Some(PROVIDER_GA), 422, &[]),
    Step("update_reseller_price_list", Some(PROVIDER_GA), 200, &[]),
    Step("update_customer_price_list", Some(PROVIDER_GA), 200, &[]),
    Step("create_price_list", Some(PROVIDER_GA), 201, &[]),
    Step("list_billing_line_items", Some(PROVIDER_GA), 200, &[]),
    Step("list_billing_periods", Some(PROVIDER_GA), 200, &[]),
    Step("list_statements", Some(PROVIDER_GA), 200, &[]),
    Step("get_statement", Some(PROVIDER_GA), 200, &[]),
    Step("list_statement_lines", Some(PROVIDER_GA), 200, &[]),
    Step(
        "list_my_statements",
        Some("admin@proseware.example"),
        200,
        &[],
    ),
    Step(
        "get_my_statement",
        Some("admin@proseware.example"),
        200,
        &[],
    ),
    Step(
        "list_my_statement_lines",
        Some("admin@proseware.example"),
        200,
        &[],
    ),
    Step("get_partner", Some(PROVIDER_GA), 200, &[]),
    Step("update_partner", Some(PROVIDER_GA), 200, &[]),
    Step("list_users", Some(PROVIDER_GA), 200, &[]),
    Step(
        "create_user",
        Some(PROVIDER_GA),
        201,
        &[("userId", "/user/id")],
    ),
    Step("get_user", Some(PROVIDER_GA), 200, &[]),
    Step("update_user", Some(PROVIDER_GA), 200, &[]),
    Step("reset_user_password", Some(PROVIDER_GA), 200, &[]),
    Step("delete_user", Some(PROVIDER_GA), 204, &[]),
    Step("list_applications", Some(PROVIDER_GA), 200, &[]),
    Step(
        "create_application",
        Some(PROVIDER_GA),
        201,
        &[("applicationId", "/application/id")],
    ),
    Step("delete_application", Some(PROVIDER_GA), 204, &[]),
    // Granular delegated admin: a group, a relationship with Adatum locked for approval (the
    // approval token only an email carries), terminated by Adatum's admin.
    Step("list_directory_roles", Some(PROVIDER_GA), 200, &[]),
    Step(
        "create_security_group",
        Some(PROVIDER_GA),
        201,
        &[("groupId", "/id")],
    ),
    Step("list_security_groups", Some(PROVIDER_GA), 200, &[]),
    Step("get_security_group", Some(PROVIDER_GA), 200, &[]),
    Step("update_security_group", Some(PROVIDER_GA), 200, &[]),
    Step(
        "list_users",
        Some(PROVIDER_GA),
        200,
        &[("memberId", "/items/0/id")],
    ),
    Step("add_security_group_member", Some(PROVIDER_GA), 200, &[]),
    Step("remove_security_group_member", Some(PROVIDER_GA), 204, &[]),
    Step(
        "create_delegated_admin_relationship",
        Some(PROVIDER_GA),
        201,
        &[("relationshipId", "/id")],
    ),
    Step(
        "list_delegated_admin_relationships",
        Some(PROVIDER_GA),
        200,
        &[],
    ),
    Step(
        "get_delegated_admin_relationship",
        Some(PROVIDER_GA),
        200,
        &[],
    ),
    Step(
        "update_delegated_admin_relationship",
        Some(PROVIDER_GA),
        200,
        &[],
    ),
    Step(
        "create_delegated_admin_relationship_request",
        Some(PROVIDER_GA),
        201,
        &[],
    ),
    Step(
        "approve_delegated_admin_relationship",
        Some(ADATUM_ADMIN),
        422,
        &[],
    ),
    Step(
        "reject_delegated_admin_relationship",
        Some(ADATUM_ADMIN),
        422,
        &[],
    ),
    // Awaiting approval: assignments need an active relationship.
    Step("create_access_assignment", Some(PROVIDER_GA), 409, &[]),
    Step("list_access_assignments", Some(PROVIDER_GA), 200, &[]),
    Step(
        "set",
        None,
        0,
        &[("assignmentId", "019a8f3c-1300-7000-8000-000000000000")],
    ),
    Step("delete_access_assignment", Some(PROVIDER_GA), 404, &[]),
    Step(
        "list_my_delegated_admin_relationships",
        Some(ADATUM_ADMIN),
        200,
        &[],
    ),
    Step(
        "create_my_delegated_admin_relationship_request",
        Some(ADATUM_ADMIN),
        201,
        &[],
    ),
    Step("delete_security_group", Some(PROVIDER_GA), 204, &[]),
    // Adatum has the active subscriptions ordered above.
    Step("delete_customer_relationship", Some(PROVIDER_GA), 409, &[]),
    Step("delete_indirect_reseller", Some(PROVIDER_GA), 204, &[]),
    // The same partnership, from the reseller's side: already ended.
    Step("delete_indirect_provider", Some(PARTNERED_GA), 409, &[]),
    Step("change_password", None, 204, &[]),
    // A customer user's password reset, on Tailspin so Adatum's admin keeps the demo password.
    Step(
        "set",
        None,
        0,
        &[("customerId", partner_center::demo::TAILSPIN_ID)],
    ),
    Step(
        "list_customer_users",
        Some(PROVIDER_GA),
        200,
        &[("userId", "/items/0/id")],
    ),
    Step("reset_customer_user_password", Some(PROVIDER_GA), 200, &[]),
];

/// `schema` with `$ref`s resolved against the document.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => resolve(
            doc,
            doc.pointer(r.trim_start_matches('#'))
                .expect("a $ref target"),
        ),
        None => schema,
    }
}

/// The value the schema's examples make: its own example, else (objects) the required properties
/// and those with examples, (arrays) one item, (required enums) the first value.
fn example(doc: &Value, schema: &Value, required: bool) -> Option<Value> {
    let schema = resolve(doc, schema);
    if let Some(e) = schema.get("example") {
        return Some(e.clone());
    }
    if let Some(e) = schema["examples"].as_array().and_then(|e| e.first()) {
        return Some(e.clone());
    }
    if let Some(all) = schema["allOf"].as_array() {
        return all.iter().find_map(|s| example(doc, s, required));
    }
    if let Some(props) = schema["properties"].as_object() {
        let needed: Vec<&str> = schema["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut out = Map::new();
        for (name, prop) in props {
            let is_required = needed.contains(&name.as_str());
            if let Some(v) = example(doc, prop, is_required) {
                out.insert(name.clone(), v);
            } else if is_required {
                panic!("required property {name} has no example");
            }
        }
        return Some(Value::Object(out));
    }
    if schema["items"].is_object() {
        return example(doc, &schema["items"], true).map(|v| Value::Array(vec![v]));
    }
    if required && let Some(first) = schema["enum"].as_array().and_then(|e| e.first()) {
        return Some(first.clone());
    }
    None
}

#[actix_rt::test]
async fn every_operation_example_succeeds_against_the_demo_data() {
    let app = TestApp::new().await;
    // `serve --demo` also seeds a month of charges with its statements.
    app.with_conn(|conn| partner_center::demo::seed_billing(conn, 168).expect("billing demo"))
        .await;
    let doc = app
        .call(Method::GET, "/api-docs/openapi.json", None, None)
        .await
        .body;
    let mut operations: HashMap<String, (Method, String, Value)> = HashMap::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let id = op["operationId"].as_str().expect("operationId").to_owned();
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            operations.insert(id, (method, path.clone(), op.clone()));
        }
    }
    for id in operations.keys() {
        assert!(
            STEPS.iter().any(|s| s.0 == id),
            "operation {id} has no step in this test"
        );
    }
    let mut tokens: HashMap<&str, String> = HashMap::new();
    let mut vars: HashMap<String, String> = HashMap::new();
    for Step(id, who, expected, keep) in STEPS {
        if *id == "set" {
            for (var, value) in *keep {
                vars.insert((*var).to_owned(), (*value).to_owned());
            }
            continue;
        }
        let (method, template, op) = operations
            .get(*id)
            .unwrap_or_else(|| panic!("no operation {id}"));
        let mut path = template.clone();
        for param in op["parameters"].as_array().into_iter().flatten() {
            let param = resolve(&doc, param);
            let name = param["name"].as_str().expect("parameter name");
            if param["in"] == "path" {
                let value = vars
                    .get(name)
                    .map(|v| Value::String(v.clone()))
                    .or_else(|| param.get("example").cloned())
                    .or_else(|| example(&doc, &param["schema"], true))
                    .map(|v| match v {
                        Value::String(s) => s,
                        other => other.to_string(),
                    })
                    .unwrap_or_else(|| panic!("{id}: path parameter {name} has no example"));
                path = path.replace(&format!("{{{name}}}"), &value);
            }
        }
        let mut req = TestRequest::default().method(method.clone()).uri(&path);
        if let Some(who) = who {
            if !tokens.contains_key(who) {
                tokens.insert(who, app.token(who).await);
            }
            req = req.insert_header((header::AUTHORIZATION, format!("Bearer {}", tokens[who])));
        }
        if let Some(content) = op["requestBody"]["content"].as_object() {
            let (media, body) = content.iter().next().expect("a media type");
            let value = example(&doc, &body["schema"], true).expect("a body example");
            req = if media == "application/x-www-form-urlencoded" {
                let pairs: Vec<(String, String)> = value
                    .as_object()
                    .expect("a form object")
                    .iter()
                    .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
                    .collect();
                req.insert_header((header::CONTENT_TYPE, media.as_str()))
                    .set_payload(serde_urlencoded::to_string(pairs).expect("form"))
            } else {
                req.set_json(value)
            };
        }
        let res = app.send(req).await;
        assert_eq!(
            res.status.as_u16(),
            *expected,
            "{id} ({method} {path}) answered {}: {}",
            res.status,
            res.text
        );
        for (var, pointer) in *keep {
            let value = res
                .body
                .pointer(pointer)
                .and_then(Value::as_str)
                .unwrap_or_else(|| panic!("{id}: no {pointer} in {}", res.text));
            vars.insert((*var).to_owned(), value.to_owned());
        }
    }
}
