//! Authorization comes before anything about the request (issue 9; the permission table, docs/concepts.md#roles-and-permissions): for every
//! operation with a row in the permission table, every demo caller whose role or organisation is not enough gets 403
//! even when the path id is not a UUID, the query is out of range and the body is empty or
//! invalid — never 404 or 422 first. The route → row table below is written from the permission table (docs/concepts.md#roles-and-permissions)
//! (independently of the handlers), and a test checks it covers every secured operation of the
//! OpenAPI document.

use partner_center::auth::permissions::{self, Operation, Operation::*};
use partner_center::domain::{Role, TenantKind};
use serde_json::{Value, json};

use crate::harness::*;

/// Every secured operation: method, path, its permission-table row. Operations without a row: `/v1/me` and
/// (`POST /v1/auth/password` is not secured: it takes the user name and password in its body).
const ROUTES: &[(&str, &str, Operation)] = &[
    ("GET", "/v1/customers", ReadCustomers),
    ("POST", "/v1/customers", CreateCustomer),
    ("GET", "/v1/customers/{customerId}", ReadCustomers),
    ("PATCH", "/v1/customers/{customerId}", UpdateCustomer),
    (
        "GET",
        "/v1/indirect-resellers/invitations",
        ListIndirectResellers,
    ),
    (
        "POST",
        "/v1/indirect-resellers/invitations",
        ManageIndirectResellers,
    ),
    (
        "DELETE",
        "/v1/indirect-resellers/invitations/{invitationId}",
        ManageIndirectResellers,
    ),
    ("GET", "/v1/indirect-resellers", ListIndirectResellers),
    (
        "GET",
        "/v1/indirect-resellers/{resellerId}",
        ListIndirectResellers,
    ),
    (
        "DELETE",
        "/v1/indirect-resellers/{resellerId}",
        ManageIndirectResellers,
    ),
    (
        "POST",
        "/v1/partnership-invitations/accept",
        AcceptPartnershipInvitation,
    ),
    ("GET", "/v1/indirect-providers", ListIndirectProviders),
    (
        "DELETE",
        "/v1/indirect-providers/{providerId}",
        ManageIndirectProviders,
    ),
    (
        "GET",
        "/v1/relationship-requests",
        ManageRelationshipRequests,
    ),
    (
        "POST",
        "/v1/relationship-requests",
        ManageRelationshipRequests,
    ),
    (
        "POST",
        "/v1/relationship-requests/accept",
        CustomerSelfService,
    ),
    (
        "GET",
        "/v1/customers/{customerId}/relationships",
        ReadCustomers,
    ),
    (
        "DELETE",
        "/v1/customers/{customerId}/relationship",
        RemoveCustomerRelationship,
    ),
    ("GET", "/v1/customers/{customerId}/users", ListCustomerUsers),
    (
        "POST",
        "/v1/customers/{customerId}/users/{userId}/password-reset",
        ResetCustomerUserPassword,
    ),
    ("GET", "/v1/my/partners", CustomerSelfService),
    (
        "DELETE",
        "/v1/my/partners/{partnerId}/delegated-admin",
        CustomerSelfService,
    ),
    ("GET", "/v1/offers", ReadOffers),
    ("GET", "/v1/offers/{offerId}", ReadOffers),
    ("POST", "/v1/customers/{customerId}/carts", ManageOrders),
    (
        "GET",
        "/v1/customers/{customerId}/carts/{cartId}",
        ManageOrders,
    ),
    (
        "PUT",
        "/v1/customers/{customerId}/carts/{cartId}",
        ManageOrders,
    ),
    (
        "DELETE",
        "/v1/customers/{customerId}/carts/{cartId}",
        ManageOrders,
    ),
    (
        "POST",
        "/v1/customers/{customerId}/carts/{cartId}/checkout",
        ManageOrders,
    ),
    ("GET", "/v1/customers/{customerId}/orders", ManageOrders),
    ("POST", "/v1/customers/{customerId}/orders", ManageOrders),
    (
        "GET",
        "/v1/customers/{customerId}/orders/{orderId}",
        ManageOrders,
    ),
    (
        "GET",
        "/v1/customers/{customerId}/subscriptions",
        ReadSubscriptions,
    ),
    (
        "GET",
        "/v1/customers/{customerId}/subscriptions/{subscriptionId}",
        ReadSubscriptions,
    ),
    (
        "PATCH",
        "/v1/customers/{customerId}/subscriptions/{subscriptionId}",
        ManageSubscriptions,
    ),
    (
        "GET",
        "/v1/customers/{customerId}/subscriptions/{subscriptionId}/upgrades",
        ReadSubscriptions,
    ),
    (
        "POST",
        "/v1/customers/{customerId}/subscriptions/{subscriptionId}/upgrades",
        UpgradeSubscription,
    ),
    ("GET", "/v1/audit-records", ReadAuditRecords),
    (
        "GET",
        "/v1/customers/{customerId}/subscriptions/{subscriptionId}/support-contact",
        ReadSupportContact,
    ),
    (
        "PUT",
        "/v1/customers/{customerId}/subscriptions/{subscriptionId}/support-contact",
        SetSupportContact,
    ),
    (
        "GET",
        "/v1/customers/{customerId}/subscriptions/{subscriptionId}/support-contact/candidates",
        ReadSupportContact,
    ),
    ("GET", "/v1/my/subscriptions", CustomerSelfService),
    (
        "GET",
        "/v1/customers/{customerId}/service-requests",
        ReadServiceRequests,
    ),
    (
        "POST",
        "/v1/customers/{customerId}/service-requests",
        ManageServiceRequests,
    ),
    (
        "GET",
        "/v1/customers/{customerId}/service-requests/{serviceRequestId}",
        ReadServiceRequests,
    ),
    (
        "PATCH",
        "/v1/customers/{customerId}/service-requests/{serviceRequestId}",
        ManageServiceRequests,
    ),
    (
        "GET",
        "/v1/customers/{customerId}/service-requests/{serviceRequestId}/notes",
        ReadServiceRequests,
    ),
    (
        "POST",
        "/v1/customers/{customerId}/service-requests/{serviceRequestId}/notes",
        ManageServiceRequests,
    ),
    ("GET", "/v1/partner", ReadPartnerProfile),
    ("PATCH", "/v1/partner", UpdatePartnerProfile),
    ("GET", "/v1/users", ManagePartnerUsers),
    ("POST", "/v1/users", ManagePartnerUsers),
    ("GET", "/v1/users/{userId}", ManagePartnerUsers),
    ("DELETE", "/v1/users/{userId}", ManagePartnerUsers),
    ("PATCH", "/v1/users/{userId}", ManagePartnerUsers),
    (
        "POST",
        "/v1/users/{userId}/password-reset",
        ManagePartnerUsers,
    ),
    ("GET", "/v1/applications", ManageApplications),
    ("POST", "/v1/applications", ManageApplications),
    (
        "DELETE",
        "/v1/applications/{applicationId}",
        ManageApplications,
    ),
    ("GET", "/v1/webhooks", ManageWebhooks),
    ("POST", "/v1/webhooks", ManageWebhooks),
    ("GET", "/v1/webhooks/{webhookId}", ManageWebhooks),
    ("DELETE", "/v1/webhooks/{webhookId}", ManageWebhooks),
    ("PATCH", "/v1/webhooks/{webhookId}", ManageWebhooks),
    ("POST", "/v1/webhooks/{webhookId}/secret", ManageWebhooks),
    ("POST", "/v1/webhooks/{webhookId}/test", ManageWebhooks),
    ("GET", "/v1/webhooks/{webhookId}/deliveries", ManageWebhooks),
    (
        "POST",
        "/v1/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver",
        ManageWebhooks,
    ),
    ("POST", "/v1/webhooks/{webhookId}/replay", ManageWebhooks),
    ("GET", "/v1/webhook-events", ManageWebhooks),
    ("POST", "/v1/test-clocks", ManageTestClocks),
    ("GET", "/v1/test-clocks", ManageTestClocks),
    ("GET", "/v1/test-clocks/{clockId}", ManageTestClocks),
    ("DELETE", "/v1/test-clocks/{clockId}", ManageTestClocks),
    (
        "POST",
        "/v1/test-clocks/{clockId}/advance",
        ManageTestClocks,
    ),
    ("POST", "/v1/price-lists", ManagePriceLists),
    ("GET", "/v1/price-lists", ManagePriceLists),
    ("GET", "/v1/price-lists/{priceListId}", ManagePriceLists),
    ("PATCH", "/v1/price-lists/{priceListId}", ManagePriceLists),
    (
        "POST",
        "/v1/price-lists/{priceListId}/versions",
        ManagePriceLists,
    ),
    (
        "GET",
        "/v1/price-lists/{priceListId}/versions",
        ManagePriceLists,
    ),
    (
        "GET",
        "/v1/price-lists/{priceListId}/versions/{versionId}",
        ManagePriceLists,
    ),
    (
        "GET",
        "/v1/price-lists/{priceListId}/prices",
        ManagePriceLists,
    ),
    (
        "PUT",
        "/v1/indirect-resellers/{resellerId}/price-list",
        ManagePriceLists,
    ),
    (
        "PUT",
        "/v1/customers/{customerId}/price-list",
        ManagePriceLists,
    ),
    ("GET", "/v1/billing/line-items", ReadBilling),
    ("GET", "/v1/billing/periods", ReadBilling),
    ("GET", "/v1/statements", ReadBilling),
    ("GET", "/v1/statements/{statementId}", ReadBilling),
    ("GET", "/v1/statements/{statementId}/lines", ReadBilling),
    ("GET", "/v1/my/statements", CustomerSelfService),
    (
        "GET",
        "/v1/my/statements/{statementId}",
        CustomerSelfService,
    ),
    (
        "GET",
        "/v1/my/statements/{statementId}/lines",
        CustomerSelfService,
    ),
    ("POST", "/v1/security-groups", ManageSecurityGroups),
    ("GET", "/v1/security-groups", ManageSecurityGroups),
    ("GET", "/v1/security-groups/{groupId}", ManageSecurityGroups),
    (
        "PATCH",
        "/v1/security-groups/{groupId}",
        ManageSecurityGroups,
    ),
    (
        "DELETE",
        "/v1/security-groups/{groupId}",
        ManageSecurityGroups,
    ),
    (
        "PUT",
        "/v1/security-groups/{groupId}/members/{memberId}",
        ManageSecurityGroups,
    ),
    (
        "DELETE",
        "/v1/security-groups/{groupId}/members/{memberId}",
        ManageSecurityGroups,
    ),
    ("GET", "/v1/directory-roles", ReadDirectoryRoles),
    (
        "POST",
        "/v1/delegated-admin-relationships",
        ManageDelegatedAdminRelationships,
    ),
    (
        "GET",
        "/v1/delegated-admin-relationships",
        ManageDelegatedAdminRelationships,
    ),
    (
        "GET",
        "/v1/delegated-admin-relationships/{relationshipId}",
        ManageDelegatedAdminRelationships,
    ),
    (
        "PATCH",
        "/v1/delegated-admin-relationships/{relationshipId}",
        ManageDelegatedAdminRelationships,
    ),
    (
        "POST",
        "/v1/delegated-admin-relationships/{relationshipId}/requests",
        ManageDelegatedAdminRelationships,
    ),
    (
        "POST",
        "/v1/delegated-admin-relationships/{relationshipId}/accessAssignments",
        ManageDelegatedAdminRelationships,
    ),
    (
        "GET",
        "/v1/delegated-admin-relationships/{relationshipId}/accessAssignments",
        ManageDelegatedAdminRelationships,
    ),
    (
        "DELETE",
        "/v1/delegated-admin-relationships/{relationshipId}/accessAssignments/{assignmentId}",
        ManageDelegatedAdminRelationships,
    ),
    (
        "POST",
        "/v1/delegated-admin-relationships/approve",
        CustomerSelfService,
    ),
    (
        "POST",
        "/v1/delegated-admin-relationships/reject",
        CustomerSelfService,
    ),
    (
        "GET",
        "/v1/my/delegated-admin-relationships",
        CustomerSelfService,
    ),
    (
        "POST",
        "/v1/my/delegated-admin-relationships/{relationshipId}/requests",
        CustomerSelfService,
    ),
];

/// Secured operations about the caller itself, with no permission-table row.
const ANY_SIGNED_IN: &[(&str, &str)] = &[("GET", "/v1/me")];

/// The demo callers: sign-in name, roles, organisation kind.
fn callers() -> Vec<(&'static str, Role, TenantKind)> {
    use Role::*;
    use TenantKind::*;
    vec![
        (PROVIDER_GA, GlobalAdmin, IndirectProvider),
        (PROVIDER_UMA, UserManagementAdmin, IndirectProvider),
        (PROVIDER_AA, AdminAgent, IndirectProvider),
        (PROVIDER_SA, SalesAgent, IndirectProvider),
        (PROVIDER_HA, HelpdeskAgent, IndirectProvider),
        (PARTNERED_GA, GlobalAdmin, IndirectReseller),
        (PARTNERED_AA, AdminAgent, IndirectReseller),
        (PARTNERED_SA, SalesAgent, IndirectReseller),
        (PARTNERED_HA, HelpdeskAgent, IndirectReseller),
        (ADATUM_ADMIN, CustomerAdmin, Customer),
    ]
}

/// The path with every `{param}` replaced by text that is not an id.
fn with_bad_ids(path: &str) -> String {
    path.split('/')
        .map(|seg| {
            if seg.starts_with('{') {
                "not-an-id"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[actix_web::test]
async fn forbidden_caller_gets_403_before_path_query_or_body_are_read() {
    let app = TestApp::new().await;
    let mut tokens = Vec::new();
    for (name, role, kind) in callers() {
        tokens.push((name, role, kind, app.token(name).await));
    }
    let mut checked = 0;
    for &(method, path, op) in ROUTES {
        let mut forbidden_seen = false;
        for (name, role, kind, token) in &tokens {
            let Err(expected) = permissions::check(&[*role], *kind, op) else {
                continue;
            };
            forbidden_seen = true;
            let uri = format!("{}?limit=0&cursor=!!", with_bad_ids(path));
            for body in [None, Some(json!({})), Some(json!({ "unexpected": [1, 2] }))] {
                let res = match (method, &body) {
                    ("GET", _) => app.get(&uri, token).await,
                    ("DELETE", _) => app.delete(&uri, token).await,
                    ("POST", Some(b)) => app.post(&uri, token, b.clone()).await,
                    ("PUT", Some(b)) => app.put(&uri, token, b.clone()).await,
                    ("PATCH", Some(b)) => app.patch(&uri, token, b.clone()).await,
                    (_, None) => {
                        let method =
                            actix_web::http::Method::from_bytes(method.as_bytes()).expect("method");
                        app.call(method, &uri, Some(token), None).await
                    }
                    _ => unreachable!(),
                };
                assert_eq!(
                    res.status.as_u16(),
                    403,
                    "{method} {path} as {name} with body {body:?}: {}",
                    res.text
                );
                let problem: Value = serde_json::from_str(&res.text).expect("problem+json");
                assert_eq!(
                    problem["code"],
                    expected.code.as_ref(),
                    "{method} {path} as {name}"
                );
                checked += 1;
            }
        }
        assert!(
            forbidden_seen,
            "{method} {path}: no demo caller is forbidden"
        );
    }
    assert!(checked > 500, "only {checked} requests checked");
}

#[actix_web::test]
async fn the_route_table_covers_every_secured_operation_of_the_document() {
    let document = partner_center::app::openapi_document();
    let mut documented = Vec::new();
    for (path, item) in &document.paths.paths {
        let ops = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ];
        for (method, op) in ops {
            if let Some(op) = op
                && op.security.as_ref().is_some_and(|s| !s.is_empty())
            {
                documented.push((method.to_owned(), path.clone()));
            }
        }
    }
    let mut listed: Vec<(String, String)> = ROUTES
        .iter()
        .map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned()))
        .chain(
            ANY_SIGNED_IN
                .iter()
                .map(|(m, p)| ((*m).to_owned(), (*p).to_owned())),
        )
        .collect();
    documented.sort();
    listed.sort();
    assert_eq!(documented, listed);
}
