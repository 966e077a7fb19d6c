//! The product.md §5 table — who may do what — in one place. Handlers call
//! [`require`] with the [`Operation`] they perform; nothing else decides on roles.
//!
//! Customer-scoped operations also need a relationship with the customer (and, for the rows
//! marked DAP, delegated admin privileges); that is checked by [`super::visibility`].

use super::Principal;
use crate::domain::Role;
use crate::error::ApiError;

use Role::{
    AdminAgent as AA, GlobalAdmin as GA, HelpdeskAgent as HA, SalesAgent as SA,
    UserManagementAdmin as UMA,
};

/// Every operation that needs a role, one per row (or half-row) of product.md §5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// Read own partner profile (`GET /v1/partner`).
    ReadPartnerProfile,
    /// Update own partner profile (`PATCH /v1/partner`).
    UpdatePartnerProfile,
    /// Partner users and their roles (UMA cannot touch global admins; see `users` handlers).
    ManagePartnerUsers,
    /// Applications (app-only credentials).
    ManageApplications,
    /// Reseller partnerships: invite, revoke invite, end; accept (reseller side).
    ManagePartnerships,
    /// Reseller partnerships: list.
    ListPartnerships,
    /// Customers: list, search, read.
    ReadCustomers,
    /// Customers: create.
    CreateCustomer,
    /// Customers: update billing profile.
    UpdateCustomer,
    /// Relationship requests: create, list.
    ManageRelationshipRequests,
    /// Remove a customer relationship.
    RemoveCustomerRelationship,
    /// Customer users: list, reset password (DAP).
    ManageCustomerUsers,
    /// Offers: read.
    ReadOffers,
    /// Carts, orders, checkout (provider side only).
    ManageOrders,
    /// Subscriptions: read.
    ReadSubscriptions,
    /// Subscriptions: quantity, suspend, reactivate, reseller of record, auto-renew, name.
    ManageSubscriptions,
    /// Subscriptions: upgrade (DAP).
    UpgradeSubscription,
    /// Support contact: read, candidates.
    ReadSupportContact,
    /// Support contact: set (seed "Assign a reseller as a technical support contact" lists all five roles).
    SetSupportContact,
    /// Service requests (DAP): read.
    ReadServiceRequests,
    /// Service requests (DAP): create, update, add note.
    ManageServiceRequests,
    /// Audit records: read.
    ReadAuditRecords,
    /// Customer self-service (`/v1/my/...`): the customer's own admin.
    CustomerSelfService,
    /// Webhooks: register, change, rotate secret, test, deliveries, replay (product.md §11).
    ManageWebhooks,
}

impl Operation {
    /// The roles that may perform this operation (product.md §5).
    pub fn allowed_roles(self) -> &'static [Role] {
        use Operation::*;
        match self {
            ReadPartnerProfile => &[GA, UMA, AA, SA, HA],
            UpdatePartnerProfile => &[GA],
            ManagePartnerUsers => &[GA, UMA],
            ManageApplications => &[GA],
            ManagePartnerships => &[GA, AA, SA],
            ListPartnerships => &[GA, AA, SA, HA],
            ReadCustomers => &[GA, AA, SA, HA],
            CreateCustomer => &[GA, AA, SA],
            UpdateCustomer => &[GA, AA, SA, HA],
            ManageRelationshipRequests => &[GA, AA, SA],
            RemoveCustomerRelationship => &[GA],
            ManageCustomerUsers => &[GA, AA, HA],
            ReadOffers => &[GA, UMA, AA, SA, HA],
            ManageOrders => &[GA, AA, SA],
            ReadSubscriptions => &[GA, AA, SA, HA],
            ManageSubscriptions => &[GA, AA, SA],
            UpgradeSubscription => &[GA, AA, SA],
            ReadSupportContact => &[GA, UMA, AA, SA, HA],
            SetSupportContact => &[GA, UMA, AA, SA, HA],
            ReadServiceRequests => &[GA, AA, SA, HA],
            ManageServiceRequests => &[GA, AA, HA],
            ReadAuditRecords => &[GA, UMA, AA, SA, HA],
            CustomerSelfService => &[Role::CustomerAdmin],
            ManageWebhooks => &[GA, AA],
        }
    }

    /// Whether this operation may change a customer's data (customer-scoped writes take the
    /// customer's row lock before checking the relationship; see `visibility::customer`).
    pub fn changes_customer_data(self) -> bool {
        matches!(
            self,
            Operation::UpdateCustomer
                | Operation::RemoveCustomerRelationship
                | Operation::ManageCustomerUsers
                | Operation::ManageOrders
                | Operation::ManageSubscriptions
                | Operation::UpgradeSubscription
                | Operation::SetSupportContact
                | Operation::ManageServiceRequests
        )
    }

    /// Whether the caller's relationship with the customer must include delegated admin
    /// privileges (product.md §2: password resets, service requests, upgrades).
    pub fn needs_delegated_admin(self) -> bool {
        matches!(
            self,
            Operation::ManageCustomerUsers
                | Operation::UpgradeSubscription
                | Operation::ReadServiceRequests
                | Operation::ManageServiceRequests
        )
    }

    /// Whether only an indirect provider's users and applications may perform this operation
    /// (product.md §5: "Carts, orders, checkout (provider side only)"; orders are placed by the
    /// indirect provider, so an indirect reseller gets 403 saying so).
    pub fn provider_side_only(self) -> bool {
        matches!(self, Operation::ManageOrders)
    }
}

/// Whether any of `roles` may perform `op`.
pub fn allows(roles: &[Role], op: Operation) -> bool {
    op.allowed_roles().iter().any(|r| roles.contains(r))
}

/// Ok when the principal holds a role that may perform `op`; otherwise 403
/// `insufficient_role` whose detail and `requiredRoles` name the roles that may. A provider-side
/// operation ([`Operation::provider_side_only`]) called by an indirect reseller is 403
/// `indirect_provider_required`.
pub fn require(principal: &Principal, op: Operation) -> Result<(), ApiError> {
    if allows(&principal.roles, op) {
        if op.provider_side_only() && !principal.is_provider() {
            return Err(ApiError::forbidden(
                "indirect_provider_required",
                "Carts and orders are placed by the indirect provider on behalf of its indirect \
                 resellers' customers; ask your indirect provider to place this order.",
            ));
        }
        return Ok(());
    }
    let names: Vec<&str> = op.allowed_roles().iter().map(|r| r.as_str()).collect();
    Err(ApiError::forbidden(
        "insufficient_role",
        format!(
            "This operation needs one of these roles: {}.",
            names.join(", ")
        ),
    )
    .with("requiredRoles", names))
}

#[cfg(test)]
mod tests {
    //! product.md §5 written out again, row by row, independently of `allowed_roles`.

    use super::Operation::{self, *};
    use super::*;
    use crate::domain::{ActorKind, TenantKind};

    const Y: bool = true;
    const N: bool = false;

    /// One row of the §5 table: the operation, then GA, UMA, AA, SA, HA. An exhaustive match, so
    /// a new operation does not compile until its row is written here (and added to `ALL`).
    #[rustfmt::skip]
    fn row(op: Operation) -> [bool; 5] {
        match op {
            //                                  GA UMA AA  SA  HA
            // Read own partner profile; update it (GA R/W, others R)
            ReadPartnerProfile         =>      [Y, Y,  Y,  Y,  Y],
            UpdatePartnerProfile       =>      [Y, N,  N,  N,  N],
            // Partner users and their roles
            ManagePartnerUsers         =>      [Y, Y,  N,  N,  N],
            // Applications (app-only credentials)
            ManageApplications         =>      [Y, N,  N,  N,  N],
            // Reseller partnerships: invite, revoke, end, accept (HA: list only)
            ManagePartnerships         =>      [Y, N,  Y,  Y,  N],
            ListPartnerships           =>      [Y, N,  Y,  Y,  Y],
            // Customers: list, search, read
            ReadCustomers              =>      [Y, N,  Y,  Y,  Y],
            // Customers: create; update billing profile (HA: update only)
            CreateCustomer             =>      [Y, N,  Y,  Y,  N],
            UpdateCustomer             =>      [Y, N,  Y,  Y,  Y],
            // Relationship requests: create, list
            ManageRelationshipRequests =>      [Y, N,  Y,  Y,  N],
            // Remove a customer relationship
            RemoveCustomerRelationship =>      [Y, N,  N,  N,  N],
            // Customer users: list, reset password (DAP)
            ManageCustomerUsers        =>      [Y, N,  Y,  N,  Y],
            // Offers: read
            ReadOffers                 =>      [Y, Y,  Y,  Y,  Y],
            // Carts, orders, checkout
            ManageOrders               =>      [Y, N,  Y,  Y,  N],
            // Subscriptions: read
            ReadSubscriptions          =>      [Y, N,  Y,  Y,  Y],
            // Subscriptions: quantity, suspend, reactivate, reseller of record, upgrade (DAP)
            ManageSubscriptions        =>      [Y, N,  Y,  Y,  N],
            UpgradeSubscription        =>      [Y, N,  Y,  Y,  N],
            // Support contact: read, candidates, set (all five roles)
            ReadSupportContact         =>      [Y, Y,  Y,  Y,  Y],
            SetSupportContact          =>      [Y, Y,  Y,  Y,  Y],
            // Service requests (DAP): create, update, add note (SA: read)
            ReadServiceRequests        =>      [Y, N,  Y,  Y,  Y],
            ManageServiceRequests      =>      [Y, N,  Y,  N,  Y],
            // Audit records
            ReadAuditRecords           =>      [Y, Y,  Y,  Y,  Y],
            // Customer self-service: the customer's admin, no partner role
            CustomerSelfService        =>      [N, N,  N,  N,  N],
            // Webhooks: register, change, rotate secret, test, deliveries, replay
            ManageWebhooks             =>      [Y, N,  Y,  N,  N],
        }
    }

    /// The rows marked DAP in §5 (and §2: password resets, service requests, upgrades).
    fn dap(op: Operation) -> bool {
        matches!(
            op,
            ManageCustomerUsers | UpgradeSubscription | ReadServiceRequests | ManageServiceRequests
        )
    }

    const ALL: [Operation; 24] = [
        ReadPartnerProfile,
        UpdatePartnerProfile,
        ManagePartnerUsers,
        ManageApplications,
        ManagePartnerships,
        ListPartnerships,
        ReadCustomers,
        CreateCustomer,
        UpdateCustomer,
        ManageRelationshipRequests,
        RemoveCustomerRelationship,
        ManageCustomerUsers,
        ReadOffers,
        ManageOrders,
        ReadSubscriptions,
        ManageSubscriptions,
        UpgradeSubscription,
        ReadSupportContact,
        SetSupportContact,
        ReadServiceRequests,
        ManageServiceRequests,
        ReadAuditRecords,
        CustomerSelfService,
        ManageWebhooks,
    ];

    #[test]
    fn all_lists_every_operation_once() {
        let mut seen: Vec<usize> = ALL.iter().map(|op| *op as usize).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen, (0..ALL.len()).collect::<Vec<_>>());
    }

    #[test]
    fn allowed_roles_match_the_product_table_cell_by_cell() {
        for op in ALL {
            for (role, expected) in Role::PARTNER_ROLES.into_iter().zip(row(op)) {
                assert_eq!(
                    op.allowed_roles().contains(&role),
                    expected,
                    "{op:?} for {role}"
                );
                assert_eq!(allows(&[role], op), expected, "allows({role}, {op:?})");
            }
        }
    }

    #[test]
    fn customer_admin_may_only_use_self_service() {
        for op in ALL {
            assert_eq!(
                allows(&[Role::CustomerAdmin], op),
                op == CustomerSelfService,
                "{op:?}"
            );
        }
    }

    #[test]
    fn needs_delegated_admin_matches_the_dap_rows() {
        for op in ALL {
            assert_eq!(op.needs_delegated_admin(), dap(op), "{op:?}");
        }
    }

    #[test]
    fn require_without_role_answers_403_naming_the_allowed_roles() {
        let principal = Principal {
            actor_kind: ActorKind::User,
            actor_id: uuid::Uuid::nil(),
            display_name: "Sam".to_owned(),
            tenant_kind: TenantKind::IndirectProvider,
            tenant_id: uuid::Uuid::nil(),
            roles: vec![Role::SalesAgent],
            request_id: String::new(),
        };
        assert!(require(&principal, ReadCustomers).is_ok());
        let err = require(&principal, ManagePartnerUsers).unwrap_err();
        assert_eq!(err.status.as_u16(), 403);
        assert_eq!(err.code, "insufficient_role");
        assert!(err.detail.contains("global_admin, user_management_admin"));
        assert_eq!(
            err.extensions["requiredRoles"],
            serde_json::json!(["global_admin", "user_management_admin"])
        );
    }

    #[test]
    fn several_roles_allow_the_union_of_their_cells() {
        assert!(allows(
            &[Role::HelpdeskAgent, Role::UserManagementAdmin],
            ManagePartnerUsers
        ));
        assert!(allows(
            &[Role::HelpdeskAgent, Role::UserManagementAdmin],
            ReadCustomers
        ));
        assert!(!allows(
            &[Role::HelpdeskAgent, Role::UserManagementAdmin],
            ManageApplications
        ));
        assert!(!allows(&[], ReadAuditRecords));
    }
}
