//! Granular delegated admin (GDAP) on the wire (docs/concepts.md#granular-delegated-admin-gdap), with Microsoft Graph's field
//! names (`delegatedAdminRelationship`, `delegatedAdminAccessAssignment`): security groups,
//! directory roles, relationships and access assignments.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::Id;
use crate::domain::gdap::{self, DirectoryRole as RoleRow};
use crate::models::gdap::{AssignmentRow, GdapRelationshipRow};
use crate::models::security_group::{MemberRow, SecurityGroupRow};
use crate::models::utc;

/// A security group of partner users and applications.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecurityGroup {
    /// Group id.
    pub id: Uuid,
    /// Name, unique within the partner.
    #[schema(example = "Helpdesk")]
    pub display_name: String,
    /// What the group is for.
    pub description: Option<String>,
    /// Its members: users and applications of the partner.
    pub members: Vec<GroupMember>,
    /// Creation time.
    pub created_date_time: DateTime<Utc>,
    /// Last change.
    pub last_modified_date_time: DateTime<Utc>,
}

/// A member of a security group.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GroupMember {
    /// The user's or application's id.
    pub id: Uuid,
    /// `user` or `application`.
    #[schema(example = "user")]
    pub member_type: &'static str,
}

impl SecurityGroup {
    /// A group with its members.
    pub fn new(row: SecurityGroupRow, members: Vec<MemberRow>) -> SecurityGroup {
        SecurityGroup {
            id: row.id.uuid(),
            display_name: row.display_name,
            description: row.description,
            members: members
                .into_iter()
                .map(|m| GroupMember {
                    id: m.member_id.uuid(),
                    member_type: if m.user_id.is_some() {
                        "user"
                    } else {
                        "application"
                    },
                })
                .collect(),
            created_date_time: utc(row.created_at),
            last_modified_date_time: utc(row.updated_at),
        }
    }
}

/// A customer-side directory role (a Microsoft Entra built-in role).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryRole {
    /// The role template id (`roleDefinitionId` in relationships and assignments).
    #[schema(example = "729827e3-9c14-49f7-bb1b-9608f156bbb8")]
    pub id: String,
    /// Name.
    #[schema(example = "Helpdesk Administrator")]
    pub display_name: String,
    /// What it allows.
    pub description: String,
    /// Whether `enableGDAPByDefault` on customer creation grants it.
    pub default_for_new_customers: bool,
}

impl From<&RoleRow> for DirectoryRole {
    fn from(r: &RoleRow) -> DirectoryRole {
        DirectoryRole {
            id: r.id.clone(),
            display_name: r.display_name.clone(),
            description: r.description.clone(),
            default_for_new_customers: r.default_for_new_customers,
        }
    }
}

/// One role of a relationship or an assignment.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UnifiedRole {
    /// The role template id.
    #[schema(example = "729827e3-9c14-49f7-bb1b-9608f156bbb8")]
    pub role_definition_id: String,
    /// Its name (from `GET /v1/directory-roles`).
    pub display_name: Option<String>,
}

/// The roles of a relationship or an assignment.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccessDetails {
    /// The roles.
    pub unified_roles: Vec<UnifiedRole>,
}

impl AccessDetails {
    /// The roles of a stored list (`,id1,id2,`).
    pub fn of(stored: &str) -> AccessDetails {
        AccessDetails {
            unified_roles: gdap::split_roles(stored)
                .into_iter()
                .map(|id| UnifiedRole {
                    display_name: gdap::directory_role(&id).map(|r| r.display_name.clone()),
                    role_definition_id: id,
                })
                .collect(),
        }
    }
}

/// The customer of a relationship.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RelationshipCustomer {
    /// The customer's id.
    pub tenant_id: Uuid,
    /// Its company name.
    pub display_name: String,
}

/// The partner of a relationship.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RelationshipPartner {
    /// The partner's id.
    pub id: Uuid,
    /// Its name.
    pub display_name: String,
}

/// A granular delegated admin relationship (Graph `delegatedAdminRelationship`).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DelegatedAdminRelationship {
    /// Relationship id.
    pub id: Uuid,
    /// Name, at most 50 characters, unique within the partner.
    #[schema(example = "Contoso helpdesk, 30 days")]
    pub display_name: String,
    /// How long it lasts once active (ISO 8601, P1D–P2Y).
    #[schema(example = "P30D")]
    pub duration: String,
    /// `P180D`: it extends itself by 180 days at its end, unless Global Administrator is among
    /// its roles; `PT0S`: it expires.
    #[schema(example = "PT0S")]
    pub auto_extend_duration: String,
    /// The customer.
    pub customer: RelationshipCustomer,
    /// The partner that holds it.
    pub partner: RelationshipPartner,
    /// Its roles.
    pub access_details: AccessDetails,
    /// `created`, `approvalPending`, `active`, `expired` or `terminated`.
    #[schema(example = "created")]
    pub status: &'static str,
    /// Creation time.
    pub created_date_time: DateTime<Utc>,
    /// When the customer approved it.
    pub activated_date_time: Option<DateTime<Utc>>,
    /// When it ends (active), ended (expired, terminated), or its approval link expires
    /// (approvalPending).
    pub end_date_time: Option<DateTime<Utc>>,
    /// Last change.
    pub last_modified_date_time: DateTime<Utc>,
}

impl DelegatedAdminRelationship {
    /// A relationship with its customer's and partner's names.
    pub fn new(
        row: GdapRelationshipRow,
        customer_name: String,
        partner_name: String,
    ) -> DelegatedAdminRelationship {
        DelegatedAdminRelationship {
            id: row.id.uuid(),
            display_name: row.display_name,
            duration: row.duration,
            auto_extend_duration: row.auto_extend_duration,
            customer: RelationshipCustomer {
                tenant_id: row.customer_id.uuid(),
                display_name: customer_name,
            },
            partner: RelationshipPartner {
                id: row.partner_id.uuid(),
                display_name: partner_name,
            },
            access_details: AccessDetails::of(&row.roles),
            status: row.status.as_str(),
            created_date_time: utc(row.created_at),
            activated_date_time: row.activated_at.map(utc),
            end_date_time: row.end_at.map(utc),
            last_modified_date_time: utc(row.updated_at),
        }
    }
}

/// The group an assignment gives roles to.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccessContainer {
    /// The security group's id.
    pub access_container_id: Uuid,
    /// Always `securityGroup`.
    #[schema(example = "securityGroup")]
    pub access_container_type: &'static str,
}

/// An access assignment (Graph `delegatedAdminAccessAssignment`): a security group of the
/// partner given some of the relationship's roles.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccessAssignment {
    /// Assignment id.
    pub id: Uuid,
    /// The relationship.
    pub relationship_id: Uuid,
    /// The security group.
    pub access_container: AccessContainer,
    /// The roles it gives (a subset of the relationship's).
    pub access_details: AccessDetails,
    /// `active` or `deleted`.
    #[schema(example = "active")]
    pub status: &'static str,
    /// Creation time.
    pub created_date_time: DateTime<Utc>,
    /// Last change.
    pub last_modified_date_time: DateTime<Utc>,
}

impl From<AssignmentRow> for AccessAssignment {
    fn from(row: AssignmentRow) -> AccessAssignment {
        AccessAssignment {
            id: row.id.uuid(),
            relationship_id: Id::uuid(row.relationship_id),
            access_container: AccessContainer {
                access_container_id: row.group_id.uuid(),
                access_container_type: "securityGroup",
            },
            access_details: AccessDetails::of(&row.roles),
            status: row.status.as_str(),
            created_date_time: utc(row.created_at),
            last_modified_date_time: utc(row.updated_at),
        }
    }
}
