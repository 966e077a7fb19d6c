//! The designated support contact of a subscription (docs/concepts.md#designated-support-contact, seeds "Assign support
//! contacts" and "Assign a reseller as a technical support contact for customers"): who it is,
//! who may be chosen, choosing one, and reverting to the provider.
//!
//! A new subscription's contact is its indirect provider (the billing partner). It may be set to
//! an indirect reseller with an active partnership with that provider and a relationship with the
//! customer that includes DAP or an active GDAP relationship with it (docs/concepts.md#granular-delegated-admin-gdap); setting it
//! back to the provider is always allowed. When a reseller stops qualifying — its partnership
//! with the provider ended, or it lost both DAP and its last active GDAP relationship, or its
//! relationship with the customer was removed — every subscription naming it reverts to the
//! provider that bills it ([`revert`]), in the caller's transaction, with a
//! `support_contact_reverted` audit record for the provider and the reseller.

use std::collections::{BTreeSet, HashMap};

use actix_web::http::StatusCode;
use uuid::Uuid;

use crate::auth::permissions::Operation;
use crate::auth::{Principal, visibility};
use crate::change::Change;
use crate::db::AnyConnection;
use crate::domain::{AuditOperation, Id};
use crate::domain::{PartnershipStatus, TenantKind};
use crate::error::{ApiError, FieldError, ProblemCode};
use crate::etag::Precondition;
use crate::models::audit::{Actor, Audit};
use crate::models::partner::{PartnerRow, SupportContactStanding};
use crate::models::subscription::SubscriptionRow;
use crate::paging::PageRequest;

/// A subscription with its designated support contact.
#[derive(Debug, Clone)]
pub struct Designated {
    /// The subscription.
    pub subscription: SubscriptionRow,
    /// Its support contact.
    pub contact: PartnerRow,
}

/// Why a partner may not be a subscription's support contact (the `reason` member of a 422
/// `support_contact_not_eligible` problem).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ineligible {
    /// Not an indirect reseller (another provider, or no such partner).
    NotAnIndirectReseller,
    /// No active partnership with the subscription's indirect provider.
    NoActivePartnership,
    /// No relationship with the customer.
    NoCustomerRelationship,
    /// A relationship with the customer, but neither delegated admin privileges nor an active
    /// GDAP relationship.
    NoDelegatedAdmin,
}

impl Ineligible {
    /// The support-contact rule (docs/concepts.md#designated-support-contact), in one place: why the partner of `standing` may
    /// not be a support contact of the customer's subscriptions billed by the provider the
    /// standing was read against (`None`: it may). Used both to list the candidates and to
    /// check a choice. The provider itself is always allowed and is not judged here.
    pub fn of(standing: &SupportContactStanding) -> Option<Ineligible> {
        if standing.partner.tenant_kind() != TenantKind::IndirectReseller {
            Some(Ineligible::NotAnIndirectReseller)
        } else if standing.partnership_status != Some(PartnershipStatus::Active) {
            Some(Ineligible::NoActivePartnership)
        } else {
            match (standing.delegated_admin, standing.granular_admin) {
                (None, _) => Some(Ineligible::NoCustomerRelationship),
                (Some(false), false) => Some(Ineligible::NoDelegatedAdmin),
                _ => None,
            }
        }
    }

    /// The snake_case reason.
    pub fn as_str(self) -> &'static str {
        match self {
            Ineligible::NotAnIndirectReseller => "not_an_indirect_reseller",
            Ineligible::NoActivePartnership => "no_active_partnership",
            Ineligible::NoCustomerRelationship => "no_customer_relationship",
            Ineligible::NoDelegatedAdmin => "no_delegated_admin",
        }
    }

    /// 422 `support_contact_not_eligible` on `partnerId`, with `reason` and what to do.
    fn error(self, reseller: Option<&PartnerRow>, provider: &PartnerRow) -> ApiError {
        let name = reseller.map_or("This partner", |r| r.name.as_str());
        let ask = "have it send the customer a relationship request that includes delegated admin \
                   privileges (POST /v1/relationship-requests) and the customer accept it; it then \
                   appears in GET …/support-contact/candidates";
        let detail = match self {
            Ineligible::NotAnIndirectReseller => format!(
                "{name} is not an indirect reseller. A support contact is the subscription's indirect \
                 provider ({}) or one of the resellers listed by GET …/support-contact/candidates.",
                provider.name
            ),
            Ineligible::NoActivePartnership => format!(
                "{name} has no active partnership with {}, the subscription's indirect provider. \
                 Invite it (POST /v1/indirect-resellers/invitations); once it has accepted, {ask}.",
                provider.name
            ),
            Ineligible::NoCustomerRelationship => {
                format!("{name} has no relationship with this customer: {ask}.")
            }
            Ineligible::NoDelegatedAdmin => format!(
                "{name}'s relationship with this customer does not include delegated admin \
                 privileges (DAP): {ask}."
            ),
        };
        let mut e = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ProblemCode::SupportContactNotEligible,
            detail.clone(),
        )
        .with("reason", self.as_str());
        e.errors
            .push(FieldError::new("partnerId", self.as_str(), detail));
        e
    }
}

/// The partner with `id`; a dangling reference is an internal error.
fn partner(conn: &mut AnyConnection, id: &Id) -> Result<PartnerRow, ApiError> {
    PartnerRow::find(conn, id.uuid())?
        .ok_or_else(|| ApiError::internal(format!("partner {id} referenced but missing")))
}

/// The current support contact of a subscription within the caller's reach
/// (`ReadSupportContact`); 404 `not_found` otherwise.
pub fn current(
    conn: &mut AnyConnection,
    caller: &Principal,
    customer_id: Uuid,
    subscription_id: Uuid,
) -> Result<Designated, ApiError> {
    let (_, subscription) = visibility::subscription(
        conn,
        caller,
        customer_id,
        subscription_id,
        Operation::ReadSupportContact,
    )?;
    let contact = partner(conn, &subscription.support_contact_partner_id)?;
    Ok(Designated {
        subscription,
        contact,
    })
}

/// The support contacts of `subscriptions`, by partner id (one lookup per distinct partner).
fn contacts_of(
    conn: &mut AnyConnection,
    subscriptions: &[(SubscriptionRow, String)],
) -> Result<HashMap<Id, PartnerRow>, ApiError> {
    let mut out = HashMap::new();
    for (s, _) in subscriptions {
        if !out.contains_key(&s.support_contact_partner_id) {
            let p = partner(conn, &s.support_contact_partner_id)?;
            out.insert(p.id, p);
        }
    }
    Ok(out)
}

/// One of the customer's own subscriptions as its product support page shows it.
#[derive(Debug, Clone)]
pub struct Supported {
    /// The subscription.
    pub subscription: SubscriptionRow,
    /// Its offer's name.
    pub offer_name: String,
    /// Its support contact.
    pub contact: PartnerRow,
}

/// The signed-in customer's own subscriptions (`CustomerSelfService`), one page (up to
/// `page.limit + 1` rows in id order), each with its offer's name and support contact: the
/// customer's product support page (docs/concepts.md#designated-support-contact, seed "Assign support contacts").
pub fn product_support_page(
    conn: &mut AnyConnection,
    caller: &Principal,
    page: &PageRequest,
) -> Result<Vec<Supported>, ApiError> {
    let customer_id = caller.tenant_id;
    visibility::customer(conn, caller, customer_id, Operation::CustomerSelfService)?;
    let rows = SubscriptionRow::page_with_offer_name(
        conn,
        customer_id,
        page.after.as_deref(),
        page.rows_to_fetch(),
    )?;
    let contacts = contacts_of(conn, &rows)?;
    rows.into_iter()
        .map(|(subscription, offer_name)| {
            let contact = contacts
                .get(&subscription.support_contact_partner_id)
                .cloned()
                .ok_or_else(|| ApiError::internal("support contact not loaded"))?;
            Ok(Supported {
                subscription,
                offer_name,
                contact,
            })
        })
        .collect()
}

/// Exactly the partners that may be the support contact of a subscription within the caller's
/// reach (`ReadSupportContact`): its billing provider first, then every indirect reseller
/// [`Ineligible::of`] admits — an active partnership with that provider and a relationship with
/// the customer that includes DAP (docs/concepts.md#designated-support-contact). Returns the subscription too.
pub fn candidates(
    conn: &mut AnyConnection,
    caller: &Principal,
    customer_id: Uuid,
    subscription_id: Uuid,
) -> Result<(SubscriptionRow, Vec<PartnerRow>), ApiError> {
    let (_, subscription) = visibility::subscription(
        conn,
        caller,
        customer_id,
        subscription_id,
        Operation::ReadSupportContact,
    )?;
    let provider = partner(conn, &subscription.billing_partner_id)?;
    let resellers =
        PartnerRow::support_contact_standings(conn, provider.id.uuid(), customer_id, None)?
            .into_iter()
            .filter(|s| Ineligible::of(s).is_none())
            .map(|s| s.partner);
    let partners = std::iter::once(provider).chain(resellers).collect();
    Ok((subscription, partners))
}

/// On PostgreSQL, share-locks the partnership and relationship rows that make `reseller`
/// eligible, so that ending either waits for this transaction (and its [`revert`] then sees the
/// new contact); the reads that follow see the latest committed rows. SQLite transactions
/// already hold the database's write lock ([`db::transaction`]).
fn lock_qualification(
    conn: &mut AnyConnection,
    provider: &Id,
    reseller: &Id,
    customer: &Id,
) -> Result<(), ApiError> {
    if matches!(conn, AnyConnection::Postgresql(_)) {
        use diesel::RunQueryDsl;
        use diesel::sql_types::Text;
        diesel::sql_query(
            "SELECT id FROM partnerships WHERE provider_id = $1 AND reseller_id = $2 FOR SHARE",
        )
        .bind::<Text, _>(provider)
        .bind::<Text, _>(reseller)
        .execute(conn)?;
        diesel::sql_query(
            "SELECT id FROM customer_relationships WHERE partner_id = $1 AND customer_id = $2 FOR SHARE",
        )
        .bind::<Text, _>(reseller)
        .bind::<Text, _>(customer)
        .execute(conn)?;
    }
    Ok(())
}

/// The partner `partner_id` if it may be `subscription`'s support contact; otherwise 422
/// `support_contact_not_eligible` with the [`Ineligible`] reason. Call inside a transaction.
pub fn eligible(
    conn: &mut AnyConnection,
    subscription: &SubscriptionRow,
    partner_id: Uuid,
) -> Result<PartnerRow, ApiError> {
    let provider = partner(conn, &subscription.billing_partner_id)?;
    if partner_id == provider.id {
        return Ok(provider);
    }
    lock_qualification(
        conn,
        &provider.id,
        &Id::from(partner_id),
        &subscription.customer_id,
    )?;
    let standing = PartnerRow::support_contact_standings(
        conn,
        provider.id.uuid(),
        subscription.customer_id.uuid(),
        Some(partner_id),
    )?
    .pop();
    let Some(standing) = standing else {
        return Err(Ineligible::NotAnIndirectReseller.error(None, &provider));
    };
    match Ineligible::of(&standing) {
        None => Ok(standing.partner),
        Some(Ineligible::NotAnIndirectReseller) => {
            Err(Ineligible::NotAnIndirectReseller.error(None, &provider))
        }
        Some(reason) => Err(reason.error(Some(&standing.partner), &provider)),
    }
}

/// Sets the support contact of a subscription the caller reaches (`SetSupportContact`, see
/// [`visibility::subscription`]) to `partner_id`, honouring `If-Match` (412 when stale), in one
/// transaction. A change writes an `update_support_contact` audit record (old and new contact)
/// for the provider, each reseller involved and the caller's partner; setting the current
/// contact again changes nothing. Errors: 404 `not_found`, 412, 422 `support_contact_not_eligible`.
pub fn set(
    change: &mut Change<'_>,
    principal: &Principal,
    customer_id: Uuid,
    subscription_id: Uuid,
    partner_id: Uuid,
    precondition: Precondition,
) -> Result<Designated, ApiError> {
    let (_, before) = visibility::subscription(
        change.conn(),
        principal,
        customer_id,
        subscription_id,
        Operation::SetSupportContact,
    )?;
    precondition.expect(before.version)?;
    let contact = eligible(change.conn(), &before, partner_id)?;
    if contact.id == before.support_contact_partner_id {
        return Ok(Designated {
            subscription: before,
            contact,
        });
    }
    if !SubscriptionRow::set_support_contact(change.conn(), &before, &contact.id)? {
        return Err(ApiError::precondition_failed());
    }
    let after = SubscriptionRow::find(change.conn(), customer_id, subscription_id)?
        .ok_or_else(|| ApiError::not_found("The subscription"))?;
    let actor = Actor::from(principal);
    let involved: BTreeSet<Uuid> = [
        &before.billing_partner_id,
        &before.support_contact_partner_id,
        &after.support_contact_partner_id,
    ]
    .into_iter()
    .map(|p| p.uuid())
    .chain(actor.partner_id)
    .collect();
    for p in involved {
        change.audit(Audit::new(AuditOperation::UpdateSupportContact, after.id)
            .partner(p)
            .customer(customer_id)
            .old_value(serde_json::json!({ "supportContactPartnerId": before.support_contact_partner_id }))
            .new_value(serde_json::json!({ "supportContactPartnerId": after.support_contact_partner_id }))
            );
    }
    Ok(Designated {
        subscription: after,
        contact,
    })
}

/// Why a reseller stopped qualifying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevertCause {
    /// The provider ↔ reseller partnership ended.
    PartnershipEnded,
    /// The customer removed the reseller's delegated admin privileges.
    DelegatedAdminRemoved,
    /// The reseller's relationship with the customer was removed.
    RelationshipRemoved,
    /// The reseller's last active GDAP relationship with the customer ended (terminated or
    /// expired) and it has no DAP.
    GranularAdminEnded,
}

impl RevertCause {
    /// The snake_case reason written into audit records.
    pub fn as_str(self) -> &'static str {
        match self {
            RevertCause::PartnershipEnded => "partnership_ended",
            RevertCause::DelegatedAdminRemoved => "delegated_admin_removed",
            RevertCause::RelationshipRemoved => "relationship_removed",
            RevertCause::GranularAdminEnded => "granular_admin_ended",
        }
    }
}

/// Reverts to their billing provider the subscriptions supported by `reseller_id`: those of
/// `customer_id` (DAP or relationship removed) or those billed by `provider_id` (partnership
/// ended). Call inside the transaction that makes the reseller stop qualifying, after the write
/// that does so: that row then stays locked until commit, so a concurrent [`set`] either sees the
/// change (and refuses) or has committed before this runs (and is reverted here). Returns the
/// reverted subscription ids.
pub fn revert(
    change: &mut Change<'_>,
    reseller_id: Uuid,
    customer_id: Option<Uuid>,
    provider_id: Option<Uuid>,
    cause: RevertCause,
) -> Result<Vec<Id>, ApiError> {
    let rows = SubscriptionRow::supported_by(change.conn(), reseller_id, customer_id, provider_id)?;
    let mut reverted = Vec::with_capacity(rows.len());
    let me = Id::from(reseller_id);
    for row in rows {
        let provider = row.billing_partner_id;
        // Conditioned on the contact, not the version: a concurrent quantity change must not
        // make the customer's DAP removal fail, and a contact changed meanwhile is left alone.
        if !SubscriptionRow::replace_support_contact(change.conn(), &row.id, &me, &provider)? {
            continue;
        }
        for partner in [provider.uuid(), reseller_id] {
            change.audit(Audit::new(AuditOperation::SupportContactReverted, row.id)
                .partner(partner)
                .customer(row.customer_id.uuid())
                .old_value(serde_json::json!({ "supportContactPartnerId": reseller_id }))
                .new_value(serde_json::json!({ "supportContactPartnerId": provider, "reason": cause.as_str() }))
                );
        }
        reverted.push(row.id);
    }
    Ok(reverted)
}
