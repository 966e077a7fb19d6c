//! The product.md §5 table — who may do what — in one place. Handlers call
//! [`require`] with the [`Operation`] they perform; nothing else decides on roles.
//!
//! Customer-scoped operations also need a relationship with the customer (and, for the rows
//! marked DAP, delegated admin privileges); that is checked by [`super::visibility`].

use super::{Principal, Role};
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
        }
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
