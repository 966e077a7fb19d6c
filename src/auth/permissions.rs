//! The permission table — who may do what — in one place: for each [`Operation`], the roles
//! that may perform it and the kind of organisation ([`Tenants`]) that may. The authorization
//! extractor ([`super::authorized::Authorized`]) checks a handler's row with [`check`] before any
//! path, query or body is read; nothing else decides on roles or tenant kinds.
//!
//! Customer-scoped operations also need a relationship with the customer (and, for the rows
//! marked DAP, delegated admin privileges); that is checked by [`super::visibility`].

use crate::domain::gdap::{self, GLOBAL_ADMINISTRATOR};
use crate::domain::{Role, TenantKind};
use crate::error::{ApiError, ProblemCode};

use Role::{
    AdminAgent as AA, GlobalAdmin as GA, HelpdeskAgent as HA, SalesAgent as SA,
    UserManagementAdmin as UMA,
};

/// The one list of the permission-table operations, each with its doc comment, in table order: hands it to
/// `$then!` — `operations!(docs declare)` with the doc comments (for [`Operation`] and
/// [`Operation::ALL`], below), `operations!(names then)` with the names only (for the marker
/// types `super::authorized::ops`). A new operation is added here and nowhere else; the permission rule
/// of each is [`Operation::rule`].
macro_rules! operations {
    (docs $then:ident) => {
        $crate::auth::permissions::operations! { @list [docs $then] }
    };
    (names $then:ident) => {
        $crate::auth::permissions::operations! { @list [names $then] }
    };
    (@list $how:tt) => {
        $crate::auth::permissions::operations! { @emit $how
            /// Read own partner profile (`GET /v1/partner`).
            ReadPartnerProfile,
            /// Update own partner profile (`PATCH /v1/partner`).
            UpdatePartnerProfile,
            /// Partner users and their roles (UMA cannot touch global admins; see `services::users`).
            ManagePartnerUsers,
            /// Applications (app-only credentials).
            ManageApplications,
            /// Reseller partnerships, provider side: invite, revoke an invitation, end.
            ManageIndirectResellers,
            /// Reseller partnerships, provider side: list resellers and invitations.
            ListIndirectResellers,
            /// Reseller partnerships, reseller side: accept an invitation.
            AcceptPartnershipInvitation,
            /// Reseller partnerships, reseller side: end a partnership with an indirect provider.
            ManageIndirectProviders,
            /// Reseller partnerships, reseller side: list indirect providers.
            ListIndirectProviders,
            /// Customers: list, search, read.
            ReadCustomers,
            /// Customers: create (provider side).
            CreateCustomer,
            /// Customers: update billing profile.
            UpdateCustomer,
            /// Relationship requests: create, list.
            ManageRelationshipRequests,
            /// Remove a customer relationship.
            RemoveCustomerRelationship,
            /// Customer users: list (DAP, or GDAP per [`Operation::delegated_roles`]).
            ListCustomerUsers,
            /// Customer users: reset password (DAP, or GDAP per [`Operation::delegated_roles`]).
            ResetCustomerUserPassword,
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
            /// Customer self-service (`/v1/my/...`, accepting a relationship request): the customer's
            /// own admin.
            CustomerSelfService,
            /// Webhooks: register, change, rotate secret, test, deliveries, replay (docs/api-guide.md#webhooks).
            ManageWebhooks,
            /// Test clocks: create, read, advance, delete (docs/concepts.md#subscription-terms-and-lifecycle; only where enabled).
            ManageTestClocks,
            /// Price lists: create, version, assign (docs/billing.md).
            ManagePriceLists,
            /// Billing line items: read, export (docs/billing.md).
            ReadBilling,
            /// Security groups and their members (docs/concepts.md#granular-delegated-admin-gdap).
            ManageSecurityGroups,
            /// Directory roles: read the catalog (docs/concepts.md#granular-delegated-admin-gdap; every partner role, like offers).
            ReadDirectoryRoles,
            /// GDAP relationships and access assignments: create, read, edit, lock for approval,
            /// terminate (docs/concepts.md#granular-delegated-admin-gdap).
            ManageDelegatedAdminRelationships,
        }
    };
    (@emit [docs $then:ident] $($body:tt)*) => {
        $then! { $($body)* }
    };
    (@emit [names $then:ident] $($(#[doc = $doc:literal])* $name:ident,)*) => {
        $then!($($name),*);
    };
}
pub(crate) use operations;

/// Declares [`Operation`] and [`Operation::ALL`] from `operations!`.
macro_rules! declare_operations {
    ($($(#[doc = $doc:literal])* $name:ident,)*) => {
        /// Every operation that needs a role, one per row (or half-row) of docs/concepts.md#roles-and-permissions.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Operation {
            $($(#[doc = $doc])* $name,)*
        }

        impl Operation {
            /// Every operation, in table order.
            pub const ALL: &'static [Operation] = &[$(Operation::$name),*];
        }
    };
}

operations!(docs declare_operations);

/// The kind of organisation whose users and applications may perform an operation: the
/// tenant-kind column of the permission table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tenants {
    /// Any partner: indirect provider or indirect reseller.
    Partners,
    /// Indirect providers only; an indirect reseller gets 403 `indirect_provider_required`
    /// with this detail.
    IndirectProvider(&'static str),
    /// Indirect resellers only; an indirect provider gets 403 `indirect_reseller_required`
    /// with this detail.
    IndirectReseller(&'static str),
    /// Customer organisations only (self-service).
    Customers,
}

impl Tenants {
    /// Whether an organisation of `kind` may perform the operation.
    pub fn admit(self, kind: TenantKind) -> bool {
        match self {
            Tenants::Partners => kind != TenantKind::Customer,
            Tenants::IndirectProvider(_) => kind == TenantKind::IndirectProvider,
            Tenants::IndirectReseller(_) => kind == TenantKind::IndirectReseller,
            Tenants::Customers => kind == TenantKind::Customer,
        }
    }
}

const RESELLERS_BY_PROVIDER: &str =
    "Only an indirect provider invites, lists and manages indirect resellers.";
const PROVIDERS_BY_RESELLER: &str = "Only an indirect reseller accepts partnership invitations and lists or ends its indirect providers.";

impl Operation {
    /// The row: the roles that may perform this operation and the tenant kinds they must belong
    /// to (docs/concepts.md#roles-and-permissions).
    pub const fn rule(self) -> (&'static [Role], Tenants) {
        use Operation::*;
        use Tenants::{Customers, IndirectProvider, IndirectReseller, Partners};
        match self {
            ReadPartnerProfile => (&[GA, UMA, AA, SA, HA], Partners),
            UpdatePartnerProfile => (&[GA], Partners),
            ManagePartnerUsers => (&[GA, UMA], Partners),
            ManageApplications => (&[GA], Partners),
            ManageIndirectResellers => (&[GA, AA, SA], IndirectProvider(RESELLERS_BY_PROVIDER)),
            ListIndirectResellers => (&[GA, AA, SA, HA], IndirectProvider(RESELLERS_BY_PROVIDER)),
            AcceptPartnershipInvitation => (&[GA, AA, SA], IndirectReseller(PROVIDERS_BY_RESELLER)),
            ManageIndirectProviders => (&[GA, AA, SA], IndirectReseller(PROVIDERS_BY_RESELLER)),
            ListIndirectProviders => (&[GA, AA, SA, HA], IndirectReseller(PROVIDERS_BY_RESELLER)),
            ReadCustomers => (&[GA, AA, SA, HA], Partners),
            CreateCustomer => (
                &[GA, AA, SA],
                IndirectProvider(
                    "Customers are created by an indirect provider; an indirect reseller connects \
                     with an existing customer through a relationship request.",
                ),
            ),
            UpdateCustomer => (&[GA, AA, SA, HA], Partners),
            ManageRelationshipRequests => (&[GA, AA, SA], Partners),
            RemoveCustomerRelationship => (&[GA], Partners),
            ListCustomerUsers => (&[GA, AA, HA], Partners),
            ResetCustomerUserPassword => (&[GA, AA, HA], Partners),
            ReadOffers => (&[GA, UMA, AA, SA, HA], Partners),
            ManageOrders => (
                &[GA, AA, SA],
                IndirectProvider(
                    "Carts and orders are placed by the indirect provider on behalf of its \
                     indirect resellers' customers; ask your indirect provider to place this order.",
                ),
            ),
            ReadSubscriptions => (&[GA, AA, SA, HA], Partners),
            ManageSubscriptions => (&[GA, AA, SA], Partners),
            UpgradeSubscription => (&[GA, AA, SA], Partners),
            ReadSupportContact => (&[GA, UMA, AA, SA, HA], Partners),
            SetSupportContact => (&[GA, UMA, AA, SA, HA], Partners),
            ReadServiceRequests => (&[GA, AA, SA, HA], Partners),
            ManageServiceRequests => (&[GA, AA, HA], Partners),
            ReadAuditRecords => (&[GA, UMA, AA, SA, HA], Partners),
            CustomerSelfService => (&[Role::CustomerAdmin], Customers),
            ManageWebhooks => (&[GA, AA], Partners),
            ManageTestClocks => (
                &[GA, AA],
                IndirectProvider(
                    "Test clocks belong to an indirect provider: the customers that live on them \
                     are the provider's.",
                ),
            ),
            ManagePriceLists => (&[GA, AA], Partners),
            ReadBilling => (&[GA, AA, SA], Partners),
            ManageSecurityGroups => (&[GA, UMA], Partners),
            ReadDirectoryRoles => (&[GA, UMA, AA, SA, HA], Partners),
            ManageDelegatedAdminRelationships => (&[GA, AA], Partners),
        }
    }

    /// Whether only partners (indirect providers, indirect resellers or both) may perform this
    /// operation: its caller is then a [`super::PartnerCaller`].
    pub const fn partners_only(self) -> bool {
        !matches!(self.rule().1, Tenants::Customers)
    }

    /// The roles that may perform this operation (docs/concepts.md#roles-and-permissions).
    pub fn allowed_roles(self) -> &'static [Role] {
        self.rule().0
    }

    /// The tenant kinds that may perform this operation (docs/concepts.md#roles-and-permissions).
    pub fn tenants(self) -> Tenants {
        self.rule().1
    }

    /// Whether this operation may change a customer's data (customer-scoped writes lock the
    /// customer's and the relationship's rows as they read them; see `visibility::customer`).
    pub fn changes_customer_data(self) -> bool {
        matches!(
            self,
            Operation::UpdateCustomer
                | Operation::RemoveCustomerRelationship
                | Operation::ResetCustomerUserPassword
                | Operation::ManageOrders
                | Operation::ManageSubscriptions
                | Operation::UpgradeSubscription
                | Operation::SetSupportContact
                | Operation::ManageServiceRequests
        )
    }

    /// Whether the caller's relationship with the customer must include delegated admin
    /// privileges (docs/concepts.md#relationships: customer users, service requests, upgrades) — or the caller a
    /// GDAP grant of one of [`Operation::delegated_roles`].
    pub fn needs_delegated_admin(self) -> bool {
        !self.delegated_roles().is_empty()
    }

    /// The customer-side directory roles (names in `data/directory-roles.json`) a GDAP grant
    /// must give the caller for this operation when its partner has no DAP on the customer
    /// (docs/concepts.md#granular-delegated-admin-gdap); empty for operations that need no delegated admin. Global Administrator
    /// grants every one.
    pub const fn delegated_roles(self) -> &'static [&'static str] {
        use Operation::*;
        match self {
            ListCustomerUsers => &[
                "Directory Readers",
                "Global Reader",
                "User Administrator",
                "Helpdesk Administrator",
                GLOBAL_ADMINISTRATOR,
            ],
            ResetCustomerUserPassword => &[
                "Helpdesk Administrator",
                "Password Administrator",
                "User Administrator",
                GLOBAL_ADMINISTRATOR,
            ],
            ReadServiceRequests | ManageServiceRequests => {
                &["Service Support Administrator", GLOBAL_ADMINISTRATOR]
            }
            UpgradeSubscription => &["License Administrator", GLOBAL_ADMINISTRATOR],
            _ => &[],
        }
    }

    /// [`Operation::delegated_roles`] as stored template ids (`,id1,id2,`, the form
    /// `models::gdap::grants_any` matches; empty for operations that need no delegated admin),
    /// resolved once from the directory-role catalog.
    pub fn delegated_role_ids(self) -> &'static str {
        static IDS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
        IDS.get_or_init(|| {
            Operation::ALL
                .iter()
                .map(|op| {
                    let ids: Vec<String> = op
                        .delegated_roles()
                        .iter()
                        .filter_map(|name| gdap::directory_role_named(name))
                        .map(|r| r.id.clone())
                        .collect();
                    gdap::join_roles(&ids)
                })
                .collect()
        })
        .get(self as usize)
        .map_or("", String::as_str)
    }
}

/// Whether any of `roles` may perform `op`.
pub fn allows(roles: &[Role], op: Operation) -> bool {
    op.allowed_roles().iter().any(|r| roles.contains(r))
}

/// Ok when a caller holding `roles` in an organisation of `kind` may perform `op`. Otherwise 403:
/// `insufficient_role` (detail and `requiredRoles` name the roles that may) when no role is
/// enough; `indirect_provider_required` / `indirect_reseller_required` when the role is enough
/// but the operation belongs to the other side of the channel; `partner_required` /
/// `customer_required` for the wrong kind of organisation.
pub fn check(roles: &[Role], kind: TenantKind, op: Operation) -> Result<(), ApiError> {
    if !allows(roles, op) {
        let names: Vec<&str> = op.allowed_roles().iter().map(|r| r.as_str()).collect();
        return Err(ApiError::forbidden(
            ProblemCode::InsufficientRole,
            format!(
                "This operation needs one of these roles: {}.",
                names.join(", ")
            ),
        )
        .with("requiredRoles", names));
    }
    let tenants = op.tenants();
    if tenants.admit(kind) {
        return Ok(());
    }
    Err(match tenants {
        Tenants::IndirectProvider(detail) => {
            ApiError::forbidden(ProblemCode::IndirectProviderRequired, detail)
        }
        Tenants::IndirectReseller(detail) => {
            ApiError::forbidden(ProblemCode::IndirectResellerRequired, detail)
        }
        Tenants::Partners => ApiError::forbidden(
            ProblemCode::PartnerRequired,
            "This operation is for partner users and applications.",
        ),
        Tenants::Customers => ApiError::forbidden(
            ProblemCode::CustomerRequired,
            "This operation is for a customer's own admin.",
        ),
    })
}

/// [`check`] for a loaded caller (its current roles and tenant kind).
pub fn require(principal: &super::Principal, op: Operation) -> Result<(), ApiError> {
    check(&principal.roles, principal.tenant_kind, op)
}

/// The rule under the `ManagePartnerUsers` row (docs/concepts.md#roles-and-permissions: a user management admin manages
/// partner users except global admins): 403 `global_admin_protected` unless the caller is a
/// global admin, for any change to, reset of, or grant of the global admin role.
pub fn may_manage_global_admins(principal: &super::Principal) -> Result<(), ApiError> {
    if principal.has_role(Role::GlobalAdmin) {
        return Ok(());
    }
    Err(ApiError::forbidden(
        ProblemCode::GlobalAdminProtected,
        "Only a global admin can create, change, reset or delete a global admin, or grant the global_admin role.",
    ))
}

/// The rule under the `ManageSubscriptions` row for the reseller of record (docs/concepts.md#commerce):
/// only the indirect provider that bills a subscription sets it; 403
/// `indirect_provider_required` for anyone else.
pub fn may_set_reseller_of_record(
    principal: &super::Principal,
    billing_partner_id: uuid::Uuid,
) -> Result<(), ApiError> {
    if principal.tenant_kind != TenantKind::Customer && principal.tenant_id == billing_partner_id {
        return Ok(());
    }
    Err(ApiError::forbidden(
        ProblemCode::IndirectProviderRequired,
        "The reseller of record is set by the indirect provider that bills the subscription.",
    ))
}

#[cfg(test)]
mod tests {
    //! docs/concepts.md#roles-and-permissions written out again, row by row, independently of `allowed_roles`.

    use super::Operation::{self, *};
    use super::*;
    use crate::domain::TenantKind;

    const Y: bool = true;
    const N: bool = false;

    /// One row of the permission table: the operation, then GA, UMA, AA, SA, HA. An exhaustive match, so
    /// a new operation does not compile until its row is written here.
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
            ManageIndirectResellers    =>      [Y, N,  Y,  Y,  N],
            ListIndirectResellers      =>      [Y, N,  Y,  Y,  Y],
            AcceptPartnershipInvitation =>     [Y, N,  Y,  Y,  N],
            ManageIndirectProviders    =>      [Y, N,  Y,  Y,  N],
            ListIndirectProviders      =>      [Y, N,  Y,  Y,  Y],
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
            ListCustomerUsers          =>      [Y, N,  Y,  N,  Y],
            ResetCustomerUserPassword  =>      [Y, N,  Y,  N,  Y],
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
            // Test clocks: create, advance (only where enabled)
            ManageTestClocks           =>      [Y, N,  Y,  N,  N],
            // Price lists: create, version, assign
            ManagePriceLists           =>      [Y, N,  Y,  N,  N],
            // Billing line items and statements: read, export
            ReadBilling                =>      [Y, N,  Y,  Y,  N],
            // Security groups and their members
            ManageSecurityGroups       =>      [Y, Y,  N,  N,  N],
            // Directory roles (a catalog, read like offers)
            ReadDirectoryRoles         =>      [Y, Y,  Y,  Y,  Y],
            // GDAP relationships and access assignments
            ManageDelegatedAdminRelationships => [Y, N, Y, N,  N],
        }
    }

    /// The rows marked DAP in the permission table (and docs/concepts.md#relationships: password resets, service requests, upgrades).
    fn dap(op: Operation) -> bool {
        matches!(
            op,
            ListCustomerUsers
                | ResetCustomerUserPassword
                | UpgradeSubscription
                | ReadServiceRequests
                | ManageServiceRequests
        )
    }

    /// GDAP's mapping of the DAP rows to directory roles, written out again.
    #[rustfmt::skip]
    fn gdap(op: Operation) -> &'static [&'static str] {
        match op {
            ListCustomerUsers => &["Directory Readers", "Global Reader", "User Administrator", "Helpdesk Administrator", "Global Administrator"],
            ResetCustomerUserPassword => &["Helpdesk Administrator", "Password Administrator", "User Administrator", "Global Administrator"],
            ReadServiceRequests | ManageServiceRequests => &["Service Support Administrator", "Global Administrator"],
            UpgradeSubscription => &["License Administrator", "Global Administrator"],
            _ => &[],
        }
    }

    #[test]
    fn delegated_roles_match_the_gdap_mapping_and_resolve_to_catalog_ids() {
        for &op in ALL {
            assert_eq!(op.delegated_roles(), gdap(op), "{op:?}");
            let ids = crate::domain::gdap::split_roles(op.delegated_role_ids());
            assert_eq!(
                ids.len(),
                gdap(op).len(),
                "{op:?}: a role name is not in the catalog"
            );
        }
    }

    /// The tenant-kind column: `P` provider only, `R` reseller only, `PR` either partner, `C`
    /// customer only (the permission table's "provider side only", docs/concepts.md#relationships and the seed pages' sides).
    #[rustfmt::skip]
    fn side(op: Operation) -> &'static str {
        match op {
            ManageIndirectResellers | ListIndirectResellers | CreateCustomer | ManageOrders
            | ManageTestClocks => "P",
            AcceptPartnershipInvitation | ManageIndirectProviders | ListIndirectProviders => "R",
            CustomerSelfService => "C",
            _ => "PR",
        }
    }

    const ALL: &[Operation] = Operation::ALL;

    #[test]
    fn all_lists_every_operation_once() {
        let mut seen: Vec<usize> = ALL.iter().map(|op| *op as usize).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen, (0..ALL.len()).collect::<Vec<_>>());
    }

    #[test]
    fn allowed_roles_match_the_product_table_cell_by_cell() {
        for &op in ALL {
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
        for &op in ALL {
            assert_eq!(
                allows(&[Role::CustomerAdmin], op),
                op == CustomerSelfService,
                "{op:?}"
            );
        }
    }

    #[test]
    fn needs_delegated_admin_matches_the_dap_rows() {
        for &op in ALL {
            assert_eq!(op.needs_delegated_admin(), dap(op), "{op:?}");
        }
    }

    #[test]
    fn tenants_match_the_side_of_each_row() {
        for &op in ALL {
            let admitted: String = [
                (TenantKind::IndirectProvider, "P"),
                (TenantKind::IndirectReseller, "R"),
                (TenantKind::Customer, "C"),
            ]
            .iter()
            .filter(|(kind, _)| op.tenants().admit(*kind))
            .map(|(_, letter)| *letter)
            .collect();
            assert_eq!(admitted, side(op), "{op:?}");
        }
    }

    #[test]
    fn check_without_role_answers_403_naming_the_allowed_roles() {
        let provider = TenantKind::IndirectProvider;
        assert!(check(&[Role::SalesAgent], provider, ReadCustomers).is_ok());
        let err = check(&[Role::SalesAgent], provider, ManagePartnerUsers).unwrap_err();
        assert_eq!(err.status.as_u16(), 403);
        assert_eq!(err.code, ProblemCode::InsufficientRole);
        assert!(err.detail.contains("global_admin, user_management_admin"));
        assert_eq!(
            err.extensions["requiredRoles"],
            serde_json::json!(["global_admin", "user_management_admin"])
        );
    }

    #[test]
    fn check_with_role_on_the_wrong_side_names_the_side() {
        let reseller = TenantKind::IndirectReseller;
        let provider = TenantKind::IndirectProvider;
        let code = |kind, op| check(&[Role::GlobalAdmin], kind, op).unwrap_err().code;
        assert_eq!(
            code(reseller, ManageOrders),
            ProblemCode::IndirectProviderRequired
        );
        assert_eq!(
            code(reseller, CreateCustomer),
            ProblemCode::IndirectProviderRequired
        );
        assert_eq!(
            code(provider, AcceptPartnershipInvitation),
            ProblemCode::IndirectResellerRequired
        );
        assert_eq!(
            code(TenantKind::Customer, ReadCustomers),
            ProblemCode::PartnerRequired
        );
        let err = check(&[Role::CustomerAdmin], provider, CustomerSelfService).unwrap_err();
        assert_eq!(err.code, ProblemCode::CustomerRequired);
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
