//! The event catalogue (docs/api-guide.md#webhooks): every event type a partner can subscribe to, what it
//! means, which audited operations produce it and the type of resource it carries. The one home
//! of "which change is which event" ([`event_for`]). Vocabulary only; no I/O.

use super::AuditOperation;

/// The `test-created` event type (`POST /v1/webhooks/{webhookId}/test`).
pub const TEST_EVENT: &str = "test-created";

/// An event type: its name, what it means, and the audit operations that produce it.
#[derive(Debug)]
pub struct EventType {
    /// The name (Partner Center's where it has one).
    pub name: &'static str,
    /// What happened.
    pub description: &'static str,
    /// The audit operation types that produce it.
    pub operations: &'static [AuditOperation],
    /// The resource type of `data.resource`.
    pub resource_type: &'static str,
}

/// The name of an event type, documented as an enum of [`EVENT_TYPES`] (their one home).
pub struct EventName;

impl utoipa::PartialSchema for EventName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("An event type (GET /v1/webhook-events lists them)."))
            .enum_values(Some(EVENT_TYPES.iter().map(|e| e.name)))
            .into()
    }
}

impl utoipa::ToSchema for EventName {}

/// Every event type (docs/api-guide.md#webhooks).
pub const EVENT_TYPES: &[EventType] = &[
    EventType {
        name: "customer-created",
        description: "A customer was created (sent to the partners with a relationship with it).",
        operations: &[AuditOperation::CreateCustomer],
        resource_type: "customer",
    },
    EventType {
        name: "customer-updated",
        description: "A customer's billing profile changed.",
        operations: &[AuditOperation::UpdateCustomer],
        resource_type: "customer",
    },
    EventType {
        name: "reseller-relationship-accepted-by-customer",
        description: "A customer accepted your relationship request.",
        operations: &[AuditOperation::AcceptRelationshipRequest],
        resource_type: "customer_relationship",
    },
    EventType {
        name: "dap-admin-relationship-terminated",
        description: "A customer removed your delegated admin privileges (DAP).",
        operations: &[AuditOperation::DapRemoved],
        resource_type: "customer_relationship",
    },
    EventType {
        name: "customer-relationship-removed",
        description: "Your relationship with a customer was removed.",
        operations: &[AuditOperation::RemoveCustomerRelationship],
        resource_type: "customer_relationship",
    },
    EventType {
        name: "indirect-reseller-partnership-accepted",
        description: "An indirect reseller accepted a partnership invitation.",
        operations: &[AuditOperation::CreatePartnerRelationship],
        resource_type: "partnership",
    },
    EventType {
        name: "indirect-reseller-partnership-ended",
        description: "A partnership between an indirect provider and an indirect reseller ended.",
        operations: &[AuditOperation::RemovePartnerRelationship],
        resource_type: "partnership",
    },
    EventType {
        name: "order-created",
        description: "An order was placed for a customer.",
        operations: &[AuditOperation::CreateOrder],
        resource_type: "order",
    },
    EventType {
        name: "subscription-created",
        description: "A subscription was created (by an order or an upgrade).",
        operations: &[AuditOperation::CreateSubscription],
        resource_type: "subscription",
    },
    EventType {
        name: "subscription-updated",
        description: "A subscription's quantity, status, auto-renew, name or reseller of record changed.",
        operations: &[AuditOperation::UpdateSubscription],
        resource_type: "subscription",
    },
    EventType {
        name: "subscription-upgraded",
        description: "A subscription was upgraded to another offer (the resource is the source subscription).",
        operations: &[AuditOperation::UpgradeSubscription],
        resource_type: "subscription",
    },
    EventType {
        name: "subscription-renewal-upcoming",
        description: "A subscription's term ends in 30 or 7 days: it renews then (with its scheduled instructions) if auto-renew is on, else it expires.",
        operations: &[AuditOperation::AnnounceRenewal],
        resource_type: "subscription",
    },
    EventType {
        name: "subscription-renewed",
        description: "A subscription started a new term, with its scheduled next-term instructions applied.",
        operations: &[AuditOperation::RenewSubscription],
        resource_type: "subscription",
    },
    EventType {
        name: "subscription-expired",
        description: "A subscription's term ended without renewal; it is read-only from now on.",
        operations: &[AuditOperation::ExpireSubscription],
        resource_type: "subscription",
    },
    EventType {
        name: "subscription-disabled",
        description: "An expired subscription was disabled, 30 days after it expired.",
        operations: &[AuditOperation::DisableSubscription],
        resource_type: "subscription",
    },
    EventType {
        name: "subscription-deleted",
        description: "A subscription was cancelled within its window, or deleted 90 days after being disabled.",
        operations: &[
            AuditOperation::CancelSubscription,
            AuditOperation::DeleteSubscription,
        ],
        resource_type: "subscription",
    },
    EventType {
        name: "support-contact-updated",
        description: "A subscription's designated support contact changed, including the automatic reverts.",
        operations: &[
            AuditOperation::UpdateSupportContact,
            AuditOperation::SupportContactReverted,
        ],
        resource_type: "subscription",
    },
    EventType {
        name: "service-request-updated",
        description: "A service request's title, description, severity or status changed, or a note was added: the resource is the request as GET returns it (its `noteCount`, not its notes) with the added note as `addedNote`, never the earlier ones.",
        operations: &[AuditOperation::UpdateServiceRequest],
        resource_type: "service_request",
    },
    EventType {
        name: "granular-admin-relationship-approved",
        description: "A customer's admin approved a granular delegated admin (GDAP) relationship.",
        operations: &[AuditOperation::ApproveDelegatedAdminRelationship],
        resource_type: "delegated_admin_relationship",
    },
    EventType {
        name: "granular-admin-relationship-activated",
        description: "A granular delegated admin (GDAP) relationship became active.",
        operations: &[AuditOperation::ActivateDelegatedAdminRelationship],
        resource_type: "delegated_admin_relationship",
    },
    EventType {
        name: "granular-admin-relationship-terminated",
        description: "A granular delegated admin (GDAP) relationship was terminated by the partner or the customer, or rejected by the customer.",
        operations: &[
            AuditOperation::TerminateDelegatedAdminRelationship,
            AuditOperation::RejectDelegatedAdminRelationship,
        ],
        resource_type: "delegated_admin_relationship",
    },
    EventType {
        name: "granular-admin-relationship-expired",
        description: "A granular delegated admin (GDAP) relationship reached its end (or its approval link expired); its access ended.",
        operations: &[AuditOperation::ExpireDelegatedAdminRelationship],
        resource_type: "delegated_admin_relationship",
    },
    EventType {
        name: "granular-admin-relationship-auto-extended",
        description: "A granular delegated admin (GDAP) relationship reached its end and extended itself by 180 days.",
        operations: &[AuditOperation::ExtendDelegatedAdminRelationship],
        resource_type: "delegated_admin_relationship",
    },
    EventType {
        name: "granular-admin-relationship-expiring",
        description: "A granular delegated admin (GDAP) relationship that will not extend ends in 30, 7 or 1 days.",
        operations: &[AuditOperation::DelegatedAdminRelationshipExpiring],
        resource_type: "delegated_admin_relationship",
    },
    EventType {
        name: "granular-admin-access-assignment-created",
        description: "An access assignment gave one of your security groups roles of a GDAP relationship.",
        operations: &[AuditOperation::CreateDelegatedAdminAccessAssignment],
        resource_type: "delegated_admin_access_assignment",
    },
    EventType {
        name: "granular-admin-access-assignment-deleted",
        description: "An access assignment of a GDAP relationship was deleted.",
        operations: &[AuditOperation::DeleteDelegatedAdminAccessAssignment],
        resource_type: "delegated_admin_access_assignment",
    },
    EventType {
        name: "statement-issued",
        description: "A statement was issued when its billing period closed (sent to its issuer and, for a statement to a reseller, to the reseller; Partner Center: invoice-ready).",
        operations: &[AuditOperation::IssueStatement],
        resource_type: "statement",
    },
    EventType {
        name: TEST_EVENT,
        description: "A test event sent by POST /v1/webhooks/{webhookId}/test.",
        operations: &[],
        resource_type: "webhook",
    },
];

/// The event type a change of `operation_type` produces, if any.
pub fn event_for(operation_type: &str) -> Option<&'static EventType> {
    let operation = AuditOperation::parse(operation_type)?;
    EVENT_TYPES
        .iter()
        .find(|e| e.operations.contains(&operation))
}

/// Whether `name` is an event type.
pub fn is_event_type(name: &str) -> bool {
    EVENT_TYPES.iter().any(|e| e.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_type_but_the_test_event_comes_from_an_audit_operation() {
        for e in EVENT_TYPES {
            assert_eq!(e.operations.is_empty(), e.name == TEST_EVENT, "{}", e.name);
            for op in e.operations {
                assert_eq!(event_for(op.as_str()).map(|x| x.name), Some(e.name));
            }
        }
        assert!(event_for("create_user").is_none());
    }
}
