//! The caller's own partner profile (docs/concepts.md#organisations-and-who-signs-in): name and the public support details
//! (email, phone, website) that customers see for their designated support contact (docs/concepts.md#designated-support-contact). Every
//! partner role reads it; only a global admin updates it, with `If-Match`.

use actix_web::{get, patch, web};
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use crate::api::partner::Partner;
use crate::auth::{Authorized, ops};
use crate::error::{ApiError, Problem};
use crate::etag::Precondition;
use crate::extract::ValidJson;
use crate::models::partner::PartnerChanges;
use crate::respond::Tagged;
use crate::services::partner as service;
use crate::state::AppState;
use crate::validate;

/// Changes to the partner profile: absent fields stay as they are; `null` clears an optional
/// field.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdatePartner {
    /// Organisation name.
    #[validate(length(min = 1, max = 200), custom(function = "validate::name"))]
    #[schema(
        pattern = r"^[^\u200E\u200F\u202A-\u202E\u2066-\u2069]*[^\s\u0085\u200E\u200F\u202A-\u202E\u2066-\u2069][^\u200E\u200F\u202A-\u202E\u2066-\u2069]*$",
        example = "Contoso Distribution",
        min_length = 1,
        max_length = 200
    )]
    pub name: Option<String>,
    /// Support email (`null` clears it).
    #[serde(default, deserialize_with = "crate::extract::double_option")]
    #[validate(email, length(max = 254))]
    #[schema(value_type = Option<String>, format = "email", max_length = 254, example = "support@contoso-distribution.example")]
    pub support_email: Option<Option<String>>,
    /// Support phone, at most 32 characters of digits, spaces and `+ - ( ) .` (`null` clears it).
    #[serde(default, deserialize_with = "crate::extract::double_option")]
    #[validate(custom(function = "validate::phone"))]
    #[schema(value_type = Option<String>, max_length = 32, pattern = "^[0-9 +().-]*[0-9][0-9 +().-]*$", example = "+1 425 555 0100")]
    pub support_phone: Option<Option<String>>,
    /// Website, an `http://` or `https://` URL (`null` clears it).
    #[serde(default, deserialize_with = "crate::extract::double_option")]
    #[validate(url, length(max = 2048), custom(function = "validate::http_url"))]
    #[schema(value_type = Option<String>, format = "uri", max_length = 2048, example = "https://contoso-distribution.example")]
    pub website: Option<Option<String>>,
}

/// Read the caller's own partner profile.
#[utoipa::path(
    tag = "partner",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The profile.", body = Partner, headers(("ETag" = String))),
        (status = 403, description = "Role not enough, or a customer user (`partner_required`).", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/partner")]
pub async fn get_partner(
    caller: Authorized<ops::ReadPartnerProfile>,
    state: web::Data<AppState>,
) -> Result<Tagged<Partner>, ApiError> {
    let row = caller.run(&state.pool, service::get).await?;
    Ok(Tagged::new(row.version, Partner::from(row)))
}

/// Update the caller's own partner profile (global admin). Send `If-Match` with the ETag you
/// read to avoid overwriting someone else's change (412 when stale).
#[utoipa::path(
    tag = "partner",
    params(("If-Match" = Option<String>, Header, description = "The ETag from your last read")),
    request_body = UpdatePartner,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Updated.", body = Partner, headers(("ETag" = String))),
        (status = 403, description = "Role not enough, or a customer user.", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The ETag is stale.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or a malformed `If-Match`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[patch("/partner")]
pub async fn update_partner(
    caller: Authorized<ops::UpdatePartnerProfile>,
    state: web::Data<AppState>,
    precondition: Precondition,
    body: ValidJson<UpdatePartner>,
) -> Result<Tagged<Partner>, ApiError> {
    let changes = body.0.into_changes();
    let updated = caller
        .change(&state.pool, move |change, caller| {
            service::update(change, caller, precondition, changes)
        })
        .await?;
    Ok(Tagged::new(updated.version, Partner::from(updated)))
}

impl UpdatePartner {
    /// The column changes this patch asks for (absent fields stay as they are; the name is
    /// trimmed).
    fn into_changes(self) -> PartnerChanges {
        PartnerChanges {
            name: self.name.map(|n| n.trim().to_owned()),
            support_email: self.support_email,
            support_phone: self.support_phone,
            website: self.website,
        }
    }
}

/// Registers the partner profile operations.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(get_partner).service(update_partner);
}
