//! Applications (app-only credentials, docs/api-guide.md) on the wire: never their secret.

use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::Role;
use crate::models::application::ApplicationRow;
use crate::models::utc;

/// An application as the API shows it (never its secret).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Application {
    /// Application id.
    pub id: Uuid,
    /// Display name, as written into audit records.
    #[schema(example = "Nightly billing sync")]
    pub display_name: String,
    /// The client id to sign in with (`client_credentials` grant).
    pub client_id: Uuid,
    /// Roles (from `admin_agent`, `sales_agent`, `helpdesk_agent`).
    pub roles: Vec<Role>,
    /// Creation time.
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<ApplicationRow> for Application {
    fn from(r: ApplicationRow) -> Application {
        Application {
            id: r.id.uuid(),
            display_name: r.display_name,
            client_id: r.client_id.uuid(),
            roles: r.roles.to_vec(),
            created_at: utc(r.created_at),
        }
    }
}
