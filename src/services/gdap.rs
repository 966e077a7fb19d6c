//! Granular delegated admin relationships (docs/concepts.md#granular-delegated-admin-gdap, Microsoft Graph
//! `delegatedAdminRelationship`): a partner (indirect provider or reseller) with a relationship
//! with a customer drafts one with directory roles and a duration, edits it while `created`,
//! locks it for approval (an approval link bound to that customer, hashed, single-use, expiring
//! after 90 days — the link machinery of `services::links`), and the customer's admin approves
//! (`active` until `endDateTime`) or rejects it. Access assignments give the partner's security
//! groups some of its roles, synchronously, each refused with its own error. Either side
//! terminates it; expiry and auto-extension are [`apply_due`], which a lifecycle runner calls
//! with the time it runs at. Every transition is one change: its audit records and events, the
//! grants authorization reads (`models::gdap`), and, when a reseller loses its last delegated
//! admin on a customer (no DAP, no active relationship), the revert of its support-contact
//! assignments (docs/concepts.md#designated-support-contact).

use actix_web::http::StatusCode;
use chrono::{Duration, NaiveDateTime};
use uuid::Uuid;

use super::links::{self, IssuedLink, invalid_link_token};
use super::support_contacts::{self, RevertCause};
use crate::api::gdap::{AccessAssignment, DelegatedAdminRelationship};
use crate::auth::permissions::Operation;
use crate::auth::{PartnerCaller, Principal, visibility};
use crate::change::Change;
use crate::db::AnyConnection;
use crate::domain::gdap::{
    self, AssignmentStatus, GdapStatus, Term, Transition, includes_global_administrator,
};
use crate::domain::{AuditOperation, Id, LinkStatus, TenantKind};
use crate::error::{ApiError, FieldError, ProblemCode};
use crate::etag::Precondition;
use crate::models::audit::Audit;
use crate::models::customer::CustomerRow;
use crate::models::gdap::{ApprovalRequestRow, AssignmentRow, GdapRelationshipRow};
use crate::models::partner::PartnerRow;
use crate::models::relationship::RelationshipRow;
use crate::models::security_group::SecurityGroupRow;
use crate::models::test_clock::TestClockRow;
use crate::models::{ids, now};
use crate::paging::PageRequest;

/// Days an approval link stays usable (Partner Center: 90).
pub const APPROVAL_LINK_DAYS: i64 = 90;

/// The duration of a relationship created by `enableGDAPByDefault`.
pub const DEFAULT_DURATION: &str = "P730D";

/// A relationship with its customer's and partner's names (what the API shows).
pub type Relationship = (GdapRelationshipRow, String, String);

/// A relationship to draft, as sent.
#[derive(Debug, Clone)]
pub struct NewRelationship {
    /// Name (≤ 50, unique within the partner).
    pub display_name: String,
    /// ISO 8601, P1D–P2Y.
    pub duration: String,
    /// `PT0S` or `P180D`.
    pub auto_extend_duration: String,
    /// The customer.
    pub customer_id: Uuid,
    /// Role template ids.
    pub roles: Vec<String>,
}

/// Changes to a drafted relationship (`None`: unchanged).
#[derive(Debug, Clone, Default)]
pub struct RelationshipChanges {
    /// New name.
    pub display_name: Option<String>,
    /// New duration.
    pub duration: Option<String>,
    /// New auto-extension.
    pub auto_extend_duration: Option<String>,
    /// New roles.
    pub roles: Option<Vec<String>>,
}

/// The relationship as the API shows it (for audit values and events).
fn shown(r: &Relationship) -> DelegatedAdminRelationship {
    DelegatedAdminRelationship::new(r.0.clone(), r.1.clone(), r.2.clone())
}

/// Reads the names a relationship is shown with.
fn named(conn: &mut AnyConnection, row: GdapRelationshipRow) -> Result<Relationship, ApiError> {
    let customer = CustomerRow::find(conn, row.customer_id.uuid())?
        .map(|c| c.company_name)
        .unwrap_or_default();
    let partner = PartnerRow::find(conn, row.partner_id.uuid())?
        .map(|p| p.name)
        .unwrap_or_default();
    Ok((row, customer, partner))
}

/// 422 `unknown_directory_role` unless every id is in the catalog (and there is at least one).
fn check_roles(roles: &[String], field: &str) -> Result<Vec<String>, ApiError> {
    let mut out: Vec<String> = Vec::new();
    for (i, id) in roles.iter().enumerate() {
        let id = id.trim().to_lowercase();
        if gdap::directory_role(&id).is_none() {
            return Err(ApiError::field(
                StatusCode::UNPROCESSABLE_ENTITY,
                ProblemCode::UnknownDirectoryRole,
                &format!("{field}[{i}].roleDefinitionId"),
                format!("{id:?} is not a directory role; GET /v1/directory-roles lists them."),
            ));
        }
        if !out.contains(&id) {
            out.push(id);
        }
    }
    if out.is_empty() {
        return Err(ApiError::validation(vec![FieldError::new(
            field,
            "length",
            "name at least one role",
        )]));
    }
    Ok(out)
}

/// The number of days of `duration`: 422 `validation_failed` on `duration` when it is not
/// `P<n>D`, `P<n>W` or `P<n>Y`, 422 `duration_out_of_range` when it is not P1D–P2Y.
fn check_duration(duration: &str) -> Result<i32, ApiError> {
    if let Some(days) = gdap::duration_days(duration) {
        return Ok(days);
    }
    let shaped = duration
        .strip_prefix('P')
        .and_then(|d| d.strip_suffix(['D', 'W', 'Y']))
        .is_some_and(|n| !n.is_empty() && n.len() <= 4 && n.bytes().all(|b| b.is_ascii_digit()));
    if shaped {
        return Err(ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            ProblemCode::DurationOutOfRange,
            "duration",
            format!("{duration} is outside P1D–P2Y (730 days)."),
        ));
    }
    Err(ApiError::validation(vec![FieldError::new(
        "duration",
        "invalid",
        "must be an ISO 8601 duration in days, weeks or years (P30D, P2W, P1Y)",
    )]))
}

fn name_taken(name: &str) -> ApiError {
    ApiError::field(
        StatusCode::CONFLICT,
        ProblemCode::AlreadyExists,
        "displayName",
        format!("Your partner already has a delegated admin relationship named {name:?}."),
    )
}

fn not_editable(row: &GdapRelationshipRow, what: &str) -> ApiError {
    ApiError::conflict(
        ProblemCode::RelationshipNotEditable,
        format!("The relationship is {}; {what}.", row.status.as_str()),
    )
    .with("relationshipStatus", row.status.as_str())
}

/// The expiry rule's view of a relationship.
fn term(row: &GdapRelationshipRow) -> Term {
    Term {
        status: row.status,
        end_at: row.end_at,
        auto_extends: row.auto_extend_duration == "P180D"
            && !includes_global_administrator(&gdap::split_roles(&row.roles)),
        notified_days: row.notified_days,
    }
}

/// An audit record of `operation` on a relationship, for its partner (its event goes there).
fn audit(operation: AuditOperation, r: &Relationship) -> Audit {
    Audit::new(operation, r.0.id)
        .partner(r.0.partner_id.uuid())
        .customer(r.0.customer_id.uuid())
        .new_value(shown(r))
        .resource(shown(r))
}

/// Drafts a relationship (`created`) with a customer the caller's partner has a relationship
/// with. Errors: 404 (customer out of reach), 422 (`duration`, `unknown_directory_role`), 409
/// `already_exists` on `displayName`.
pub fn create(
    change: &mut Change<'_>,
    caller: &PartnerCaller,
    new: NewRelationship,
) -> Result<Relationship, ApiError> {
    let days = check_duration(&new.duration)?;
    let roles = check_roles(&new.roles, "accessDetails.unifiedRoles")?;
    visibility::customer(
        change.conn(),
        caller,
        new.customer_id,
        Operation::ManageDelegatedAdminRelationships,
    )?;
    let partner_id = Id::from(caller.partner_id());
    let display_name = new.display_name.trim().to_owned();
    if GdapRelationshipRow::name_taken(change.conn(), partner_id, &display_name, None)? {
        return Err(name_taken(&display_name));
    }
    let t = now();
    let row = GdapRelationshipRow {
        id: ids::new(),
        partner_id,
        customer_id: Id::from(new.customer_id),
        display_name,
        duration: new.duration,
        duration_days: days,
        auto_extend_duration: new.auto_extend_duration,
        roles: gdap::join_roles(&roles),
        status: GdapStatus::Created,
        activated_at: None,
        end_at: None,
        notified_days: None,
        next_transition_at: None,
        version: 1,
        created_at: t,
        updated_at: t,
    };
    GdapRelationshipRow::insert(change.conn(), &row)?;
    let r = named(change.conn(), row)?;
    change.audit(audit(AuditOperation::CreateDelegatedAdminRelationship, &r));
    Ok(r)
}

/// Creates the active relationship of `enableGDAPByDefault` (docs/concepts.md#granular-delegated-admin-gdap) for each partner of
/// a new customer: `roles`, P2Y, auto-extending unless Global Administrator is among them.
/// Called inside the customer's creating change.
pub fn create_default(
    change: &mut Change<'_>,
    partner_ids: &[Uuid],
    customer: &CustomerRow,
    roles: &[String],
) -> Result<(), ApiError> {
    let days = check_duration(DEFAULT_DURATION)?;
    for partner in partner_ids {
        let t = now();
        let name: String = format!("Default {}", customer.domain)
            .chars()
            .take(50)
            .collect();
        let auto = if includes_global_administrator(roles) {
            "PT0S"
        } else {
            "P180D"
        };
        let mut row = GdapRelationshipRow {
            id: ids::new(),
            partner_id: Id::from(partner),
            customer_id: customer.id,
            display_name: name,
            duration: DEFAULT_DURATION.to_owned(),
            duration_days: days,
            auto_extend_duration: auto.to_owned(),
            roles: gdap::join_roles(roles),
            status: GdapStatus::Active,
            activated_at: Some(t),
            end_at: Some(t + Duration::days(i64::from(days))),
            notified_days: None,
            next_transition_at: None,
            version: 1,
            created_at: t,
            updated_at: t,
        };
        row.next_transition_at = gdap::next_due(&term(&row));
        GdapRelationshipRow::insert(change.conn(), &row)?;
        let r = (row, customer.company_name.clone(), String::new());
        let r = named(change.conn(), r.0)?;
        change.audit(audit(AuditOperation::CreateDelegatedAdminRelationship, &r));
        change.audit(audit(
            AuditOperation::ActivateDelegatedAdminRelationship,
            &r,
        ));
    }
    Ok(())
}

/// One page of the caller's partner's relationships (optionally with one customer only).
pub fn list(
    conn: &mut AnyConnection,
    caller: &PartnerCaller,
    customer_id: Option<Uuid>,
    page: &PageRequest,
) -> Result<Vec<Relationship>, ApiError> {
    let rows = GdapRelationshipRow::page(
        conn,
        Some(caller.partner_id()),
        customer_id,
        page.after.as_deref(),
        page.rows_to_fetch(),
    )?;
    rows.into_iter().map(|r| named(conn, r)).collect()
}

/// The caller's partner's relationship `id`; 404 otherwise.
fn own(
    conn: &mut AnyConnection,
    caller: &PartnerCaller,
    id: Uuid,
) -> Result<GdapRelationshipRow, ApiError> {
    GdapRelationshipRow::find(conn, id)?
        .filter(|r| r.partner_id == caller.partner_id())
        .ok_or_else(|| ApiError::not_found("The delegated admin relationship"))
}

/// The caller's partner's relationship `id`, named; 404 otherwise.
pub fn get(
    conn: &mut AnyConnection,
    caller: &PartnerCaller,
    id: Uuid,
) -> Result<Relationship, ApiError> {
    let row = own(conn, caller, id)?;
    named(conn, row)
}

/// Edits a relationship while `created`. Errors: 404, 412, 409 `relationship_not_editable`,
/// 422 (`duration`, `unknown_directory_role`), 409 `already_exists` on `displayName`.
pub fn update(
    change: &mut Change<'_>,
    caller: &PartnerCaller,
    id: Uuid,
    precondition: Precondition,
    changes: RelationshipChanges,
) -> Result<Relationship, ApiError> {
    let before = own(change.conn(), caller, id)?;
    let expected = precondition.expect(before.version)?;
    if before.status != GdapStatus::Created {
        return Err(not_editable(
            &before,
            "only a relationship still `created` can be edited",
        ));
    }
    let mut after = before.clone();
    if let Some(name) = changes.display_name {
        after.display_name = name.trim().to_owned();
        if GdapRelationshipRow::name_taken(
            change.conn(),
            after.partner_id,
            &after.display_name,
            Some(after.id),
        )? {
            return Err(name_taken(&after.display_name));
        }
    }
    if let Some(duration) = changes.duration {
        after.duration_days = check_duration(&duration)?;
        after.duration = duration;
    }
    if let Some(auto) = changes.auto_extend_duration {
        after.auto_extend_duration = auto;
    }
    if let Some(roles) = changes.roles {
        after.roles = gdap::join_roles(&check_roles(&roles, "accessDetails.unifiedRoles")?);
    }
    after.version += 1;
    after.updated_at = now();
    if !GdapRelationshipRow::save(change.conn(), &after, expected)? {
        return Err(ApiError::precondition_failed());
    }
    let old = named(change.conn(), before)?;
    let r = named(change.conn(), after)?;
    change
        .audit(audit(AuditOperation::UpdateDelegatedAdminRelationship, &r).old_value(shown(&old)));
    Ok(r)
}

/// Locks a `created` relationship for approval: `approvalPending`, with an approval link (the
/// already issued `link`, stored as its hash) that only the relationship's customer can use,
/// until it expires (90 days; the relationship then expires too). Errors: 404, 409
/// `relationship_not_editable`.
pub fn lock_for_approval(
    change: &mut Change<'_>,
    caller: &PartnerCaller,
    id: Uuid,
    link: &IssuedLink,
) -> Result<Relationship, ApiError> {
    let mut row = own(change.conn(), caller, id)?;
    let before = row.version;
    if row.status != GdapStatus::Created {
        return Err(not_editable(
            &row,
            "only a relationship still `created` can be locked for approval",
        ));
    }
    let t = now();
    ApprovalRequestRow::insert(
        change.conn(),
        &ApprovalRequestRow {
            id: ids::new(),
            relationship_id: row.id,
            customer_id: row.customer_id,
            token_hash: link.token_hash.clone(),
            status: LinkStatus::Pending,
            expires_at: link.expires_at,
            created_at: t,
            updated_at: t,
        },
    )?;
    row.status = GdapStatus::ApprovalPending;
    row.end_at = Some(link.expires_at);
    row.next_transition_at = gdap::next_due(&term(&row));
    row.version += 1;
    row.updated_at = t;
    if !GdapRelationshipRow::save(change.conn(), &row, before)? {
        return Err(ApiError::precondition_failed());
    }
    let r = named(change.conn(), row)?;
    change.audit(audit(AuditOperation::LockDelegatedAdminRelationship, &r));
    Ok(r)
}

/// The partner terminates its relationship (`approvalPending` or `active`): access ends at once.
/// Errors: 404, 409 `relationship_not_editable`.
pub fn terminate(
    change: &mut Change<'_>,
    caller: &PartnerCaller,
    id: Uuid,
) -> Result<Relationship, ApiError> {
    own(change.conn(), caller, id)?;
    end(
        change,
        id,
        GdapStatus::Terminated,
        AuditOperation::TerminateDelegatedAdminRelationship,
    )
}

/// The customer's admin terminates one of its relationships. Errors: 404 (not the caller's
/// customer's, or still a draft), 409 `relationship_not_editable`.
pub fn terminate_mine(
    change: &mut Change<'_>,
    caller: &Principal,
    id: Uuid,
) -> Result<Relationship, ApiError> {
    mine(change.conn(), caller, id)?;
    end(
        change,
        id,
        GdapStatus::Terminated,
        AuditOperation::TerminateDelegatedAdminRelationship,
    )
}

/// The caller's customer's relationship `id` (never a draft); 404 otherwise.
fn mine(
    conn: &mut AnyConnection,
    caller: &Principal,
    id: Uuid,
) -> Result<GdapRelationshipRow, ApiError> {
    visibility::customer(
        conn,
        caller,
        caller.tenant_id,
        Operation::CustomerSelfService,
    )?;
    GdapRelationshipRow::find(conn, id)?
        .filter(|r| r.customer_id == caller.tenant_id && r.status != GdapStatus::Created)
        .ok_or_else(|| ApiError::not_found("The delegated admin relationship"))
}

/// One page of the caller's customer's relationships (drafts excluded), any partner.
pub fn list_mine(
    conn: &mut AnyConnection,
    caller: &Principal,
    page: &PageRequest,
) -> Result<Vec<Relationship>, ApiError> {
    visibility::customer(
        conn,
        caller,
        caller.tenant_id,
        Operation::CustomerSelfService,
    )?;
    let rows = GdapRelationshipRow::page(
        conn,
        None,
        Some(caller.tenant_id),
        page.after.as_deref(),
        page.rows_to_fetch(),
    )?;
    rows.into_iter().map(|r| named(conn, r)).collect()
}

/// The pending approval request a token names, for the caller's customer only (anything else
/// is 422 `invalid_link_token`, whatever the cause), with its relationship locked.
fn approval(
    change: &mut Change<'_>,
    caller: &Principal,
    token: &str,
) -> Result<(ApprovalRequestRow, GdapRelationshipRow), ApiError> {
    visibility::customer(
        change.conn(),
        caller,
        caller.tenant_id,
        Operation::CustomerSelfService,
    )?;
    let request = links::usable(change.conn(), token, ApprovalRequestRow::find_by_token_hash)?;
    if request.customer_id != caller.tenant_id {
        return Err(invalid_link_token());
    }
    let row = GdapRelationshipRow::lock(change.conn(), request.relationship_id.uuid())?
        .filter(|r| r.status == GdapStatus::ApprovalPending)
        .ok_or_else(invalid_link_token)?;
    Ok((request, row))
}

/// The customer's admin approves a relationship with the token of its approval link: it is
/// `active` from now for its duration (`granular-admin-relationship-approved` and `-activated`).
/// Errors: 422 `invalid_link_token` (unknown, used, expired, or another customer's).
pub fn approve(
    change: &mut Change<'_>,
    caller: &Principal,
    token: &str,
) -> Result<Relationship, ApiError> {
    let (request, mut row) = approval(change, caller, token)?;
    if !ApprovalRequestRow::finish(change.conn(), request.id, LinkStatus::Accepted)? {
        return Err(invalid_link_token());
    }
    let before = row.version;
    // A customer on a test clock lives on its time (its relationships too).
    let clock =
        CustomerRow::find(change.conn(), row.customer_id.uuid())?.and_then(|c| c.test_clock_id);
    let t = TestClockRow::time_on(change.conn(), clock.as_ref())?;
    row.status = GdapStatus::Active;
    row.activated_at = Some(t);
    row.end_at = Some(t + Duration::days(i64::from(row.duration_days)));
    row.notified_days = None;
    row.next_transition_at = gdap::next_due(&term(&row));
    row.version += 1;
    row.updated_at = t;
    if !GdapRelationshipRow::save(change.conn(), &row, before)? {
        return Err(invalid_link_token());
    }
    let r = named(change.conn(), row)?;
    change.audit(audit(AuditOperation::ApproveDelegatedAdminRelationship, &r));
    change.audit(audit(
        AuditOperation::ActivateDelegatedAdminRelationship,
        &r,
    ));
    Ok(r)
}

/// The customer's admin rejects a relationship with the token of its approval link: it is
/// `terminated` (`granular-admin-relationship-terminated`). Errors as [`approve`].
pub fn reject(
    change: &mut Change<'_>,
    caller: &Principal,
    token: &str,
) -> Result<Relationship, ApiError> {
    let (request, row) = approval(change, caller, token)?;
    if !ApprovalRequestRow::finish(change.conn(), request.id, LinkStatus::Revoked)? {
        return Err(invalid_link_token());
    }
    end(
        change,
        row.id.uuid(),
        GdapStatus::Terminated,
        AuditOperation::RejectDelegatedAdminRelationship,
    )
}

/// Ends a relationship (`approvalPending` or `active`) as `status` now, audited as `operation`:
/// its pending links are revoked, its grants removed, and support contacts revert if its partner
/// is left without delegated admin on the customer. Errors: 409 `relationship_not_editable`.
fn end(
    change: &mut Change<'_>,
    id: Uuid,
    status: GdapStatus,
    operation: AuditOperation,
) -> Result<Relationship, ApiError> {
    let mut row = GdapRelationshipRow::lock(change.conn(), id)?
        .ok_or_else(|| ApiError::not_found("The delegated admin relationship"))?;
    if !matches!(row.status, GdapStatus::ApprovalPending | GdapStatus::Active) {
        return Err(not_editable(
            &row,
            "only a relationship awaiting approval or active can be terminated",
        ));
    }
    let before = row.version;
    let t = now();
    row.status = status;
    row.end_at = Some(t);
    row.next_transition_at = None;
    row.version += 1;
    row.updated_at = t;
    if !GdapRelationshipRow::save(change.conn(), &row, before)? {
        return Err(ApiError::precondition_failed());
    }
    end_access(change, &row)?;
    let r = named(change.conn(), row)?;
    change.audit(audit(operation, &r));
    Ok(r)
}

/// What ending a relationship does besides its status: pending approval links revoked, grants
/// removed (access ends with the transaction), and — when its partner is an indirect reseller
/// now without DAP and without another active relationship with the customer — its support
/// contact assignments for the customer revert to the provider (docs/concepts.md#designated-support-contact).
fn end_access(change: &mut Change<'_>, row: &GdapRelationshipRow) -> Result<(), ApiError> {
    ApprovalRequestRow::revoke_for(change.conn(), row.id)?;
    AssignmentRow::revoke_grants(change.conn(), row.id)?;
    let (partner, customer) = (row.partner_id.uuid(), row.customer_id.uuid());
    if !still_delegated(change.conn(), partner, customer)? {
        let reseller = PartnerRow::find(change.conn(), partner)?
            .is_some_and(|p| p.tenant_kind() == TenantKind::IndirectReseller);
        if reseller {
            support_contacts::revert(
                change,
                partner,
                Some(customer),
                None,
                RevertCause::GranularAdminEnded,
            )?;
        }
    }
    Ok(())
}

/// Whether `partner` still administers `customer`: DAP, or an active relationship.
pub fn still_delegated(
    conn: &mut AnyConnection,
    partner: Uuid,
    customer: Uuid,
) -> Result<bool, ApiError> {
    if RelationshipRow::find(conn, partner, customer)?.is_some_and(|r| r.delegated_admin) {
        return Ok(true);
    }
    Ok(!GdapRelationshipRow::active_partners(conn, customer, &[Id::from(partner)])?.is_empty())
}

/// Applies every transition due for relationship `id` at `now` (docs/concepts.md#granular-delegated-admin-gdap), as one change:
/// expiring notices (30, 7 and 1 days before an end that will not extend), the 180-day
/// auto-extension, expiry (access ends at once; support contacts revert as in [`end`]), and the
/// expiry of a pending approval link. Each transition is audited with its event. Returns them
/// (none when nothing was due, or the relationship is gone). A lifecycle runner calls this for
/// the ids `GdapRelationshipRow::due` lists, with the time it runs at (or a test clock's).
pub fn apply_due(
    change: &mut Change<'_>,
    id: Uuid,
    at: NaiveDateTime,
) -> Result<Vec<Transition>, ApiError> {
    let Some(mut row) = GdapRelationshipRow::lock(change.conn(), id)? else {
        return Ok(Vec::new());
    };
    let (transitions, after) = gdap::due(&term(&row), at);
    if transitions.is_empty() {
        return Ok(transitions);
    }
    let before = row.version;
    row.status = after.status;
    row.end_at = after.end_at;
    row.notified_days = after.notified_days;
    row.next_transition_at = gdap::next_due(&after);
    row.version += 1;
    row.updated_at = at;
    if !GdapRelationshipRow::save(change.conn(), &row, before)? {
        return Err(ApiError::precondition_failed());
    }
    if row.status == GdapStatus::Expired {
        end_access(change, &row)?;
    }
    let r = named(change.conn(), row)?;
    for t in &transitions {
        let (operation, detail) = match t {
            Transition::Expiring { days, end_at } => (
                AuditOperation::DelegatedAdminRelationshipExpiring,
                serde_json::json!({ "daysLeft": days, "endDateTime": crate::models::utc(*end_at) }),
            ),
            Transition::Extended { from, to } => (
                AuditOperation::ExtendDelegatedAdminRelationship,
                serde_json::json!({ "from": crate::models::utc(*from), "to": crate::models::utc(*to) }),
            ),
            Transition::Expired { at } => (
                AuditOperation::ExpireDelegatedAdminRelationship,
                serde_json::json!({ "endDateTime": crate::models::utc(*at) }),
            ),
        };
        change.audit(audit(operation, &r).old_value(detail));
    }
    Ok(transitions)
}

/// An access assignment to create, as sent.
#[derive(Debug, Clone)]
pub struct NewAssignment {
    /// The security group.
    pub group_id: Uuid,
    /// Role template ids.
    pub roles: Vec<String>,
}

/// Gives a security group of the caller's partner some of an active relationship's roles, at
/// once (`active`): its members hold them on the customer from the commit on. Errors: 404 (no
/// such relationship), 409 `relationship_not_active`, 422 `unknown_security_group` on
/// `accessContainer.accessContainerId`, 422 `unknown_directory_role` / `role_not_in_relationship`
/// on `accessDetails.unifiedRoles[i].roleDefinitionId`, 409 `access_assignment_exists`.
pub fn create_assignment(
    change: &mut Change<'_>,
    caller: &PartnerCaller,
    relationship_id: Uuid,
    new: NewAssignment,
) -> Result<AssignmentRow, ApiError> {
    let rel = own(change.conn(), caller, relationship_id)?;
    let rel = GdapRelationshipRow::lock(change.conn(), rel.id.uuid())?
        .ok_or_else(|| ApiError::not_found("The delegated admin relationship"))?;
    if rel.status != GdapStatus::Active {
        return Err(ApiError::conflict(
            ProblemCode::RelationshipNotActive,
            format!(
                "The relationship is {}; access assignments are made on an active relationship only.",
                rel.status.as_str()
            ),
        )
        .with("relationshipStatus", rel.status.as_str()));
    }
    let group =
        SecurityGroupRow::find_for_partner(change.conn(), caller.partner_id(), new.group_id)?
            .ok_or_else(|| {
                ApiError::field(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    ProblemCode::UnknownSecurityGroup,
                    "accessContainer.accessContainerId",
                    "No security group of your partner has this id (GET /v1/security-groups).",
                )
            })?;
    let field = "accessDetails.unifiedRoles";
    let roles = check_roles(&new.roles, field)?;
    let granted = gdap::split_roles(&rel.roles);
    if let Some((i, outside)) = new
        .roles
        .iter()
        .map(|r| r.trim().to_lowercase())
        .enumerate()
        .find(|(_, r)| !granted.contains(r))
    {
        let name =
            gdap::directory_role(&outside).map_or(outside.clone(), |r| r.display_name.clone());
        return Err(ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            ProblemCode::RoleNotInRelationship,
            &format!("{field}[{i}].roleDefinitionId"),
            format!("{name} is not one of the relationship's roles."),
        ));
    }
    if AssignmentRow::active_for_group(change.conn(), rel.id, group.id)? {
        return Err(ApiError::conflict(
            ProblemCode::AccessAssignmentExists,
            "This security group already has an active access assignment in this relationship; delete it first.",
        ));
    }
    let t = now();
    let row = AssignmentRow {
        id: ids::new(),
        relationship_id: rel.id,
        partner_id: rel.partner_id,
        customer_id: rel.customer_id,
        group_id: group.id,
        roles: gdap::join_roles(&roles),
        status: AssignmentStatus::Active,
        version: 1,
        created_at: t,
        updated_at: t,
    };
    AssignmentRow::insert_active(change.conn(), &row)?;
    change.audit(
        Audit::new(AuditOperation::CreateDelegatedAdminAccessAssignment, row.id)
            .partner(rel.partner_id.uuid())
            .customer(rel.customer_id.uuid())
            .new_value(AccessAssignment::from(row.clone()))
            .resource(AccessAssignment::from(row.clone())),
    );
    Ok(row)
}

/// One page of a relationship's access assignments. Errors: 404.
pub fn list_assignments(
    conn: &mut AnyConnection,
    caller: &PartnerCaller,
    relationship_id: Uuid,
    page: &PageRequest,
) -> Result<Vec<AssignmentRow>, ApiError> {
    let rel = own(conn, caller, relationship_id)?;
    Ok(AssignmentRow::page(
        conn,
        rel.id,
        page.after.as_deref(),
        page.rows_to_fetch(),
    )?)
}

/// Deletes an access assignment at once: its group's members lose its roles with the commit.
/// Deleting one already deleted changes nothing. Errors: 404.
pub fn delete_assignment(
    change: &mut Change<'_>,
    caller: &PartnerCaller,
    relationship_id: Uuid,
    assignment_id: Uuid,
) -> Result<(), ApiError> {
    let rel = own(change.conn(), caller, relationship_id)?;
    let row = AssignmentRow::find(change.conn(), rel.id, assignment_id)?
        .ok_or_else(|| ApiError::not_found("The access assignment"))?;
    delete_assignment_row(change, row)
}

/// Marks an assignment deleted, removes its grants and audits it (with its event).
pub(crate) fn delete_assignment_row(
    change: &mut Change<'_>,
    row: AssignmentRow,
) -> Result<(), ApiError> {
    if !AssignmentRow::delete(change.conn(), row.id)? {
        return Ok(());
    }
    let after = AssignmentRow {
        status: AssignmentStatus::Deleted,
        version: row.version + 1,
        updated_at: now(),
        ..row.clone()
    };
    change.audit(
        Audit::new(AuditOperation::DeleteDelegatedAdminAccessAssignment, row.id)
            .partner(row.partner_id.uuid())
            .customer(row.customer_id.uuid())
            .old_value(AccessAssignment::from(row))
            .new_value(AccessAssignment::from(after.clone()))
            .resource(AccessAssignment::from(after)),
    );
    Ok(())
}
