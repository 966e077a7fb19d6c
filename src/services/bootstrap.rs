//! `partner-center bootstrap` (README.md): an indirect provider and its first global admin
//! with a temporary password, in one transaction. Also how an operator adds further providers.

use uuid::Uuid;

use crate::auth::password;
use crate::change::Change;
use crate::db::AnyConnection;
use crate::domain::AuditOperation;
use crate::domain::{Role, TenantKind};
use crate::error::{ApiError, ProblemCode};
use crate::models::audit::{Actor, Audit};
use crate::models::partner::{NewPartner, PartnerRow};
use crate::models::user::{NewUser, UserRow};
use crate::models::{ids, now};

/// What bootstrap created.
#[derive(Debug, Clone)]
pub struct Bootstrapped {
    /// The new provider's id.
    pub partner_id: Uuid,
    /// Its name.
    pub partner_name: String,
    /// The global admin's sign-in name.
    pub user_name: String,
    /// The temporary password (change it at first sign-in).
    pub temporary_password: String,
}

/// Inserts a partner of `kind` with `name` and returns its id.
pub fn insert_partner(
    conn: &mut AnyConnection,
    kind: TenantKind,
    name: &str,
    support_email: Option<String>,
) -> Result<Uuid, ApiError> {
    let t = now();
    let id = ids::new();
    PartnerRow::insert(
        conn,
        &NewPartner {
            id,
            kind,
            name: name.to_owned(),
            support_email,
            support_phone: None,
            website: None,
            version: 1,
            created_at: t,
            updated_at: t,
        },
    )?;
    Ok(id.uuid())
}

/// Creates the provider and its global admin; the provider owns the domain of `admin_email`
/// (`services::tenant_domains`). Errors: 409 `duplicate_user_name` when the email already signs
/// in somewhere; 422 `domain_not_owned` when another organisation owns its domain; 422 for a
/// blank name or an email without `@`.
pub fn bootstrap(
    conn: &mut AnyConnection,
    partner_name: &str,
    admin_email: &str,
) -> Result<Bootstrapped, ApiError> {
    let name = partner_name.trim();
    let email = admin_email.trim().to_lowercase();
    if name.is_empty() || name.len() > 200 || crate::validate::name(name).is_err() {
        return Err(ApiError::unprocessable(
            ProblemCode::InvalidPartnerName,
            "--partner-name must be 1 to 200 characters, without bidirectional-text controls",
        ));
    }
    if !validator::ValidateEmail::validate_email(&email) {
        return Err(ApiError::unprocessable(
            ProblemCode::InvalidEmail,
            "--admin-email must be an email address",
        ));
    }
    let temporary_password = password::temporary();
    let hash = password::hash(&temporary_password)?;
    Change::run(conn, Actor::system("bootstrap"), None, |change| {
        if UserRow::find_by_user_name(change.conn(), &email)?.is_some() {
            return Err(ApiError::conflict(
                ProblemCode::DuplicateUserName,
                format!("A user named {email} already exists."),
            ));
        }
        let partner_id = insert_partner(
            change.conn(),
            TenantKind::IndirectProvider,
            name,
            Some(email.clone()),
        )?;
        let domain = super::tenant_domains::domain_of(&email);
        super::tenant_domains::claim(change.conn(), partner_id, &domain, || {
            ApiError::unprocessable(
                ProblemCode::DomainNotOwned,
                format!(
                    "--admin-email: the domain {domain} belongs to another organisation; give an address under the new provider's own domain"
                ),
            )
        })?;
        let user = NewUser::new(
            Some(partner_id),
            None,
            &email,
            "Global admin",
            hash,
            Role::join(&[Role::GlobalAdmin]),
            true,
        );
        UserRow::insert(change.conn(), &user)?;
        change.audit(
            Audit::new(AuditOperation::CreatePartner, partner_id)
                .partner(partner_id)
                .new_value(serde_json::json!({ "name": name, "kind": "indirect_provider" })),
        );
        change.audit(
            Audit::new(AuditOperation::CreateUser, user.id)
                .partner(partner_id)
                .new_value(serde_json::json!({ "userName": email, "roles": ["global_admin"] })),
        );
        Ok(Bootstrapped {
            partner_id,
            partner_name: name.to_owned(),
            user_name: email.clone(),
            temporary_password: temporary_password.clone(),
        })
    })
}
