//! Per-tenant quotas: how many of the things a tenant can create in bulk it may hold at once
//! (users, webhooks, applications, price lists, security groups, open carts), each with a
//! generous default that an environment variable changes. Names and numbers only; the check
//! (count under a lock, in the creating change) is `services::quotas`.

/// One quota: what it counts and whose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quota {
    /// A partner's users.
    UsersPerPartner,
    /// A partner's webhook endpoints.
    WebhooksPerPartner,
    /// A partner's applications (client credentials).
    ApplicationsPerPartner,
    /// A partner's price lists.
    PriceListsPerPartner,
    /// A partner's security groups.
    SecurityGroupsPerPartner,
    /// A customer's carts not checked out (active or expired, until deleted), whoever made them.
    OpenCartsPerCustomer,
}

impl Quota {
    /// Every quota, in the order of the configuration table.
    pub const ALL: [Quota; 6] = [
        Quota::UsersPerPartner,
        Quota::WebhooksPerPartner,
        Quota::ApplicationsPerPartner,
        Quota::PriceListsPerPartner,
        Quota::SecurityGroupsPerPartner,
        Quota::OpenCartsPerCustomer,
    ];

    /// The name a `quota_exceeded` problem gives in its `limit` member.
    pub fn name(self) -> &'static str {
        match self {
            Quota::UsersPerPartner => "usersPerPartner",
            Quota::WebhooksPerPartner => "webhooksPerPartner",
            Quota::ApplicationsPerPartner => "applicationsPerPartner",
            Quota::PriceListsPerPartner => "priceListsPerPartner",
            Quota::SecurityGroupsPerPartner => "securityGroupsPerPartner",
            Quota::OpenCartsPerCustomer => "openCartsPerCustomer",
        }
    }

    /// The environment variable that sets it.
    pub fn variable(self) -> &'static str {
        match self {
            Quota::UsersPerPartner => "MAX_USERS_PER_PARTNER",
            Quota::WebhooksPerPartner => "MAX_WEBHOOKS_PER_PARTNER",
            Quota::ApplicationsPerPartner => "MAX_APPLICATIONS_PER_PARTNER",
            Quota::PriceListsPerPartner => "MAX_PRICE_LISTS_PER_PARTNER",
            Quota::SecurityGroupsPerPartner => "MAX_SECURITY_GROUPS_PER_PARTNER",
            Quota::OpenCartsPerCustomer => "MAX_OPEN_CARTS_PER_CUSTOMER",
        }
    }

    /// Its default.
    pub fn default_limit(self) -> i64 {
        match self {
            Quota::UsersPerPartner => 10_000,
            Quota::WebhooksPerPartner => 25,
            Quota::ApplicationsPerPartner => 50,
            Quota::PriceListsPerPartner => 100,
            Quota::SecurityGroupsPerPartner => 500,
            Quota::OpenCartsPerCustomer => 100,
        }
    }

    /// Who holds what it counts, for the problem's detail.
    pub fn holder(self) -> &'static str {
        match self {
            Quota::OpenCartsPerCustomer => "This customer",
            _ => "Your organisation",
        }
    }

    fn index(self) -> usize {
        match self {
            Quota::UsersPerPartner => 0,
            Quota::WebhooksPerPartner => 1,
            Quota::ApplicationsPerPartner => 2,
            Quota::PriceListsPerPartner => 3,
            Quota::SecurityGroupsPerPartner => 4,
            Quota::OpenCartsPerCustomer => 5,
        }
    }
}

/// The limit of every quota (from the configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quotas([i64; 6]);

impl Default for Quotas {
    fn default() -> Quotas {
        Quotas(Quota::ALL.map(Quota::default_limit))
    }
}

impl Quotas {
    /// The limit of `quota`.
    pub fn limit(&self, quota: Quota) -> i64 {
        self.0[quota.index()]
    }

    /// These limits with `quota` set to `limit`.
    pub fn with(mut self, quota: Quota, limit: i64) -> Quotas {
        self.0[quota.index()] = limit;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_quota_has_its_own_slot_name_and_variable() {
        let q = Quota::ALL
            .iter()
            .fold(Quotas::default(), |q, &k| q.with(k, k.index() as i64 + 1));
        for k in Quota::ALL {
            assert_eq!(q.limit(k), k.index() as i64 + 1);
        }
        let mut names: Vec<_> = Quota::ALL.iter().map(|q| q.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 6);
        let mut vars: Vec<_> = Quota::ALL.iter().map(|q| q.variable()).collect();
        vars.sort_unstable();
        vars.dedup();
        assert_eq!(vars.len(), 6);
    }
}
