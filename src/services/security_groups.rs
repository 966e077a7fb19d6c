//! Security groups (docs/concepts.md#granular-delegated-admin-gdap, #roles-and-permissions "Security groups and their members": GA, UMA): a
//! partner's groups of its own users and applications, which GDAP access assignments give
//! customer-side roles. Each change is one transaction with its audit record; another partner's
//! groups, users and applications answer 404. Deleting a group deletes its active access
//! assignments with it (their access ends at once).

use actix_web::http::StatusCode;
use uuid::Uuid;

use crate::api::gdap::SecurityGroup;
use crate::auth::PartnerCaller;
use crate::change::Change;
use crate::db::AnyConnection;
use crate::domain::{AuditOperation, Id};
use crate::domain::{Quota, Quotas};
use crate::error::{ApiError, ProblemCode};
use crate::etag::Precondition;
use crate::models::application::ApplicationRow;
use crate::models::audit::Audit;
use crate::models::gdap::AssignmentRow;
use crate::models::security_group::{MemberRow, SecurityGroupRow};
use crate::models::user::UserRow;
use crate::models::{ids, now};
use crate::paging::PageRequest;

/// A group with its members.
pub type Group = (SecurityGroupRow, Vec<MemberRow>);

/// A group's name and description as sent (`None`: unchanged on update).
#[derive(Debug, Clone, Default)]
pub struct GroupFields {
    /// Name, unique within the partner.
    pub display_name: Option<String>,
    /// Description (`Some("")` clears it).
    pub description: Option<String>,
}

fn name_taken(name: &str) -> ApiError {
    ApiError::field(
        StatusCode::CONFLICT,
        ProblemCode::AlreadyExists,
        "displayName",
        format!("Your partner already has a security group named {name:?}."),
    )
}

fn description(d: Option<String>) -> Option<String> {
    d.map(|d| d.trim().to_owned()).filter(|d| !d.is_empty())
}

/// Creates a group of the caller's partner. Errors: 409 `already_exists` on `displayName`.
pub fn create(
    change: &mut Change<'_>,
    caller: &PartnerCaller,
    fields: GroupFields,
    quotas: &Quotas,
) -> Result<Group, ApiError> {
    super::quotas::check(
        change,
        quotas,
        Quota::SecurityGroupsPerPartner,
        caller.partner_id(),
    )?;
    let t = now();
    let row = SecurityGroupRow {
        id: ids::new(),
        partner_id: Id::from(caller.partner_id()),
        display_name: fields.display_name.unwrap_or_default().trim().to_owned(),
        description: description(fields.description),
        version: 1,
        created_at: t,
        updated_at: t,
    };
    if !SecurityGroupRow::insert(change.conn(), &row)? {
        return Err(name_taken(&row.display_name));
    }
    let group = (row, Vec::new());
    change.audit(
        Audit::new(AuditOperation::CreateSecurityGroup, group.0.id)
            .new_value(SecurityGroup::new(group.0.clone(), Vec::new())),
    );
    Ok(group)
}

/// One page of the caller's partner's groups, each with its members.
pub fn list(
    conn: &mut AnyConnection,
    caller: &PartnerCaller,
    page: &PageRequest,
) -> Result<Vec<Group>, ApiError> {
    let rows = SecurityGroupRow::page(
        conn,
        caller.partner_id(),
        page.after.as_deref(),
        page.rows_to_fetch(),
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let members = MemberRow::of_group(conn, row.id)?;
        out.push((row, members));
    }
    Ok(out)
}

/// The caller's partner's group `group_id` with its members; 404 otherwise.
pub fn get(
    conn: &mut AnyConnection,
    caller: &PartnerCaller,
    group_id: Uuid,
) -> Result<Group, ApiError> {
    let row = find(conn, caller, group_id)?;
    let members = MemberRow::of_group(conn, row.id)?;
    Ok((row, members))
}

fn find(
    conn: &mut AnyConnection,
    caller: &PartnerCaller,
    group_id: Uuid,
) -> Result<SecurityGroupRow, ApiError> {
    SecurityGroupRow::find_for_partner(conn, caller.partner_id(), group_id)?
        .ok_or_else(|| ApiError::not_found("The security group"))
}

/// Renames a group or changes its description. Errors: 404, 412 (stale `If-Match`), 409
/// `already_exists` on `displayName`.
pub fn update(
    change: &mut Change<'_>,
    caller: &PartnerCaller,
    group_id: Uuid,
    precondition: Precondition,
    fields: GroupFields,
) -> Result<Group, ApiError> {
    let before = find(change.conn(), caller, group_id)?;
    let expected = precondition.expect(before.version)?;
    let mut after = before.clone();
    if let Some(name) = fields.display_name {
        after.display_name = name.trim().to_owned();
        if SecurityGroupRow::name_taken(
            change.conn(),
            after.partner_id,
            &after.display_name,
            Some(after.id),
        )? {
            return Err(name_taken(&after.display_name));
        }
    }
    if fields.description.is_some() {
        after.description = description(fields.description);
    }
    after.version += 1;
    after.updated_at = now();
    if !SecurityGroupRow::save(change.conn(), &after, expected)? {
        return Err(ApiError::precondition_failed());
    }
    let members = MemberRow::of_group(change.conn(), after.id)?;
    change.audit(
        Audit::new(AuditOperation::UpdateSecurityGroup, after.id)
            .old_value(SecurityGroup::new(before, members.clone()))
            .new_value(SecurityGroup::new(after.clone(), members.clone())),
    );
    Ok((after, members))
}

/// Deletes a group with its memberships; its active access assignments are deleted in the same
/// change (audited, with their events), so its members lose what they granted at once.
pub fn delete(
    change: &mut Change<'_>,
    caller: &PartnerCaller,
    group_id: Uuid,
) -> Result<(), ApiError> {
    let row = find(change.conn(), caller, group_id)?;
    for assignment in AssignmentRow::active_of_group(change.conn(), row.id)? {
        super::gdap::delete_assignment_row(change, assignment)?;
    }
    let members = MemberRow::of_group(change.conn(), row.id)?;
    SecurityGroupRow::delete(change.conn(), row.id)?;
    change.audit(
        Audit::new(AuditOperation::DeleteSecurityGroup, row.id)
            .old_value(SecurityGroup::new(row, members)),
    );
    Ok(())
}

/// Adds `member_id`, a user or an application of the caller's partner, to the group (adding a
/// member again changes nothing). Errors: 404 (no such group, or no such user or application in
/// the partner).
pub fn add_member(
    change: &mut Change<'_>,
    caller: &PartnerCaller,
    group_id: Uuid,
    member_id: Uuid,
) -> Result<Group, ApiError> {
    let row = find(change.conn(), caller, group_id)?;
    let partner_id = caller.partner_id();
    let (user_id, application_id) =
        if UserRow::find_for_partner(change.conn(), partner_id, member_id)?.is_some() {
            (Some(Id::from(member_id)), None)
        } else if ApplicationRow::find_for_partner(change.conn(), partner_id, member_id)?.is_some()
        {
            (None, Some(Id::from(member_id)))
        } else {
            return Err(ApiError::not_found("The user or application"));
        };
    let member = MemberRow {
        group_id: row.id,
        member_id: Id::from(member_id),
        user_id,
        application_id,
        created_at: now(),
    };
    if MemberRow::add(change.conn(), &member)? {
        change.audit(
            Audit::new(AuditOperation::AddSecurityGroupMember, row.id).new_value(
                serde_json::json!({
                    "memberId": member_id,
                    "memberType": if user_id.is_some() { "user" } else { "application" },
                }),
            ),
        );
    }
    let members = MemberRow::of_group(change.conn(), row.id)?;
    Ok((row, members))
}

/// Removes a member from the group: what the group's assignments granted it ends at once.
/// Errors: 404 (no such group, or not a member).
pub fn remove_member(
    change: &mut Change<'_>,
    caller: &PartnerCaller,
    group_id: Uuid,
    member_id: Uuid,
) -> Result<(), ApiError> {
    let row = find(change.conn(), caller, group_id)?;
    if !MemberRow::remove(change.conn(), row.id, Id::from(member_id))? {
        return Err(ApiError::not_found("The member"));
    }
    change.audit(
        Audit::new(AuditOperation::RemoveSecurityGroupMember, row.id)
            .old_value(serde_json::json!({ "memberId": member_id })),
    );
    Ok(())
}
