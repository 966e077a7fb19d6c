//! A partner organisation's profile on the wire (docs/concepts.md#organisations-and-who-signs-in).

use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::TenantKind;
use crate::models::partner::PartnerRow;
use crate::models::utc;

/// A partner organisation's profile as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Partner {
    /// Partner id.
    pub id: Uuid,
    /// `indirect_provider` or `indirect_reseller`.
    pub kind: TenantKind,
    /// Organisation name.
    #[schema(example = "Contoso Distribution")]
    pub name: String,
    /// Support email shown to customers.
    #[schema(example = "support@contoso-distribution.example")]
    pub support_email: Option<String>,
    /// Support phone shown to customers.
    #[schema(example = "+1 425 555 0100")]
    pub support_phone: Option<String>,
    /// Website shown to customers.
    #[schema(example = "https://contoso-distribution.example")]
    pub website: Option<String>,
    /// Creation time.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Last change.
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<PartnerRow> for Partner {
    fn from(r: PartnerRow) -> Partner {
        Partner {
            id: r.id.uuid(),
            kind: r.tenant_kind(),
            name: r.name,
            support_email: r.support_email,
            support_phone: r.support_phone,
            website: r.website,
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
        }
    }
}
