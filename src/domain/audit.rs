//! [`AuditOperation`]: every kind of change the service records (docs/concepts.md#audit-records-and-events), with the type of
//! resource it changes. Audit records store the snake_case names; webhook event types
//! (docs/api-guide.md#webhooks) map from these values.

use std::fmt;

use serde::Serialize;
use utoipa::ToSchema;

/// Defines the operations: variant, stored name, resource type.
macro_rules! operations {
    ($($(#[$meta:meta])* $variant:ident = $name:literal on $resource:literal),+ $(,)?) => {
        /// A kind of audited change.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum AuditOperation {
            $($(#[$meta])* $variant,)+
        }

        impl AuditOperation {
            /// Every operation, in declaration order.
            pub const ALL: &'static [AuditOperation] = &[$(AuditOperation::$variant),+];

            /// The stored snake_case name (`operationType` of an audit record).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(AuditOperation::$variant => $name,)+
                }
            }

            /// The type of resource it changes (`resourceType` of an audit record).
            pub fn resource_type(self) -> &'static str {
                match self {
                    $(AuditOperation::$variant => $resource,)+
                }
            }

            /// The operation stored as `name`, if any.
            pub fn parse(name: &str) -> Option<AuditOperation> {
                match name {
                    $($name => Some(AuditOperation::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

operations! {
    /// A partner organisation was created (bootstrap, enrolment).
    CreatePartner = "create_partner" on "partner",
    /// The partner profile changed.
    UpdatePartner = "update_partner" on "partner",
    /// A partner user was created.
    CreateUser = "create_user" on "user",
    /// A partner user changed (roles, name, disabled).
    UpdateUser = "update_user" on "user",
    /// A partner user was deleted.
    DeleteUser = "delete_user" on "user",
    /// A partner user's password was reset by an admin.
    ResetUserPassword = "reset_user_password" on "user",
    /// A user changed its own password.
    ChangePassword = "change_password" on "user",
    /// A customer user's password was reset by a partner with DAP.
    ResetCustomerUserPassword = "reset_customer_user_password" on "user",
    /// An application (app-only credentials) was created.
    CreateApplication = "create_application" on "application",
    /// An application was deleted.
    DeleteApplication = "delete_application" on "application",
    /// An indirect provider invited an indirect reseller.
    CreatePartnershipInvitation = "create_partnership_invitation" on "partnership_invitation",
    /// An invitation was revoked.
    RevokePartnershipInvitation = "revoke_partnership_invitation" on "partnership_invitation",
    /// A partnership began (invitation accepted).
    CreatePartnerRelationship = "create_partner_relationship" on "partnership",
    /// A partnership ended.
    RemovePartnerRelationship = "remove_partner_relationship" on "partnership",
    /// A customer was created.
    CreateCustomer = "create_customer" on "customer",
    /// A customer's company name or billing profile changed.
    UpdateCustomer = "update_customer" on "customer",
    /// A partner got a relationship with a customer.
    CreateCustomerRelationship = "create_customer_relationship" on "customer_relationship",
    /// A relationship was removed.
    RemoveCustomerRelationship = "remove_customer_relationship" on "customer_relationship",
    /// A relationship request was sent.
    CreateRelationshipRequest = "create_relationship_request" on "relationship_request",
    /// A customer accepted a relationship request.
    AcceptRelationshipRequest = "accept_relationship_request" on "customer_relationship",
    /// A customer removed a partner's DAP.
    DapRemoved = "dap_removed" on "customer_relationship",
    /// A cart was created.
    CreateCart = "create_cart" on "cart",
    /// A cart's line items changed.
    UpdateCart = "update_cart" on "cart",
    /// A cart was deleted.
    DeleteCart = "delete_cart" on "cart",
    /// A cart was checked out.
    CheckoutCart = "checkout_cart" on "cart",
    /// An order was placed.
    CreateOrder = "create_order" on "order",
    /// A subscription was created by an order.
    CreateSubscription = "create_subscription" on "subscription",
    /// A subscription changed (quantity, status, reseller of record, auto-renew, name).
    UpdateSubscription = "update_subscription" on "subscription",
    /// A subscription was upgraded to another offer.
    UpgradeSubscription = "upgrade_subscription" on "subscription",
    /// A subscription was cancelled within its cancellation window (docs/concepts.md#subscription-terms-and-lifecycle).
    CancelSubscription = "cancel_subscription" on "subscription",
    /// A subscription's term ends within 30 or 7 days (the lifecycle runner).
    AnnounceRenewal = "announce_renewal" on "subscription",
    /// A subscription started a new term, with its scheduled instructions applied.
    RenewSubscription = "renew_subscription" on "subscription",
    /// A billing cycle after the first of a subscription's term began and was charged
    /// (`cycleFee` billing line; the lifecycle runner).
    ChargeCycleFee = "charge_cycle_fee" on "subscription",
    /// A subscription's term ended without renewal.
    ExpireSubscription = "expire_subscription" on "subscription",
    /// An expired subscription was disabled (30 days after expiry).
    DisableSubscription = "disable_subscription" on "subscription",
    /// A disabled subscription was deleted (90 days after being disabled).
    DeleteSubscription = "delete_subscription" on "subscription",
    /// A test clock was created.
    CreateTestClock = "create_test_clock" on "test_clock",
    /// A test clock was advanced.
    AdvanceTestClock = "advance_test_clock" on "test_clock",
    /// A test clock was deleted.
    DeleteTestClock = "delete_test_clock" on "test_clock",
    /// A price list was created (docs/billing.md).
    CreatePriceList = "create_price_list" on "price_list",
    /// A price list's name or default flag changed.
    UpdatePriceList = "update_price_list" on "price_list",
    /// A price list version was added (or a future one replaced).
    CreatePriceListVersion = "create_price_list_version" on "price_list",
    /// A price list was assigned to a reseller or a customer.
    AssignPriceList = "assign_price_list" on "price_list",
    /// A statement was issued when its billing period closed (the lifecycle runner).
    IssueStatement = "issue_statement" on "statement",
    /// A subscription's designated support contact changed.
    UpdateSupportContact = "update_support_contact" on "subscription",
    /// A support contact reverted to the provider (partnership or relationship ended).
    SupportContactReverted = "support_contact_reverted" on "subscription",
    /// A service request was opened.
    CreateServiceRequest = "create_service_request" on "service_request",
    /// A service request changed (status, note).
    UpdateServiceRequest = "update_service_request" on "service_request",
    /// A webhook was registered.
    CreateWebhook = "create_webhook" on "webhook",
    /// A webhook changed.
    UpdateWebhook = "update_webhook" on "webhook",
    /// A webhook was deleted.
    DeleteWebhook = "delete_webhook" on "webhook",
    /// A webhook's signing secret was rotated.
    RotateWebhookSecret = "rotate_webhook_secret" on "webhook",
    /// A security group was created (docs/concepts.md#granular-delegated-admin-gdap).
    CreateSecurityGroup = "create_security_group" on "security_group",
    /// A security group's name or description changed.
    UpdateSecurityGroup = "update_security_group" on "security_group",
    /// A security group was deleted (with its access assignments).
    DeleteSecurityGroup = "delete_security_group" on "security_group",
    /// A user or application joined a security group.
    AddSecurityGroupMember = "add_security_group_member" on "security_group",
    /// A user or application left a security group.
    RemoveSecurityGroupMember = "remove_security_group_member" on "security_group",
    /// A delegated admin relationship was drafted.
    CreateDelegatedAdminRelationship = "create_delegated_admin_relationship" on "delegated_admin_relationship",
    /// A drafted delegated admin relationship changed.
    UpdateDelegatedAdminRelationship = "update_delegated_admin_relationship" on "delegated_admin_relationship",
    /// A delegated admin relationship was locked for approval (its approval link issued).
    LockDelegatedAdminRelationship = "lock_delegated_admin_relationship" on "delegated_admin_relationship",
    /// The customer's admin approved a delegated admin relationship.
    ApproveDelegatedAdminRelationship = "approve_delegated_admin_relationship" on "delegated_admin_relationship",
    /// A delegated admin relationship became active.
    ActivateDelegatedAdminRelationship = "activate_delegated_admin_relationship" on "delegated_admin_relationship",
    /// The customer's admin rejected a delegated admin relationship (it is terminated).
    RejectDelegatedAdminRelationship = "reject_delegated_admin_relationship" on "delegated_admin_relationship",
    /// A delegated admin relationship was terminated by the partner or the customer.
    TerminateDelegatedAdminRelationship = "terminate_delegated_admin_relationship" on "delegated_admin_relationship",
    /// A delegated admin relationship reached its end (or its approval link expired).
    ExpireDelegatedAdminRelationship = "expire_delegated_admin_relationship" on "delegated_admin_relationship",
    /// A delegated admin relationship extended itself by 180 days at its end.
    ExtendDelegatedAdminRelationship = "extend_delegated_admin_relationship" on "delegated_admin_relationship",
    /// A delegated admin relationship that will not extend ends in 30, 7 or 1 days.
    DelegatedAdminRelationshipExpiring = "delegated_admin_relationship_expiring" on "delegated_admin_relationship",
    /// An access assignment gave a security group roles of a relationship.
    CreateDelegatedAdminAccessAssignment = "create_delegated_admin_access_assignment" on "delegated_admin_access_assignment",
    /// An access assignment was deleted.
    DeleteDelegatedAdminAccessAssignment = "delete_delegated_admin_access_assignment" on "delegated_admin_access_assignment",
}

impl fmt::Display for AuditOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_parse_back() {
        for op in AuditOperation::ALL {
            assert_eq!(AuditOperation::parse(op.as_str()), Some(*op));
            assert_eq!(serde_json::to_value(op).unwrap(), op.as_str());
        }
        let mut names: Vec<_> = AuditOperation::ALL.iter().map(|o| o.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), AuditOperation::ALL.len());
    }
}
