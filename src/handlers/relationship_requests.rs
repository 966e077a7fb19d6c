//! Relationship requests (docs/concepts.md#relationships; seed "Connect with customers in Partner
//! Center"): a partner asks an existing customer for a reseller relationship, optionally with
//! delegated admin privileges (DAP), and a reseller may name its indirect provider so both are
//! authorised at once. The API answers an email draft with a personalized, single-use, expiring
//! link; the customer's admin accepts it, which creates the relationships or restores DAP on
//! existing ones.

use actix_web::{get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::customer_relationships::CustomerRelationship;
use super::indirect_resellers::EmailDraft;
use super::partnership_invitations::AcceptLink;
use crate::auth::{Authorized, ops};
use crate::domain::{Id, LinkStatus};
use crate::error::{ApiError, Problem};
use crate::extract::ValidJson;
use crate::models::partner::PartnerRow;
use crate::models::relationship_request::{Recipient, RelationshipRequestRow};
use crate::models::{now, utc};
use crate::paging::{Page, PageParams, Paged};
use crate::respond::{Created, Json};
use crate::services::links::{IssuedLink, Link};
use crate::services::relationships as service;
use crate::state::AppState;

/// The path the request link points to (with `?token=…`).
pub const ACCEPT_PATH: &str = "/v1/relationship-requests/accept";

/// Request to create a relationship request.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateRelationshipRequest {
    /// Whether the relationship should include delegated admin privileges (DAP).
    pub include_delegated_admin: bool,
    /// An indirect reseller's indirect provider (with an active partnership), authorised too.
    pub indirect_provider_id: Option<Uuid>,
    /// The customer admin's email, used as the draft's recipient. The link is then bound to it:
    /// only a customer with a user signing in under this e-mail can accept.
    #[validate(email, length(max = 254))]
    #[schema(example = "admin@adatum.example", format = "email", max_length = 254)]
    pub customer_email: Option<String>,
    /// The customer the request is for, when the partner knows its id: only that customer's
    /// admin can accept the link. 422 `unknown_customer` when no customer has this id.
    pub customer_id: Option<Uuid>,
}

/// A relationship request as listed (the link itself is shown only when created).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RelationshipRequest {
    /// Request id.
    pub id: Uuid,
    /// `pending`, `accepted`, or `expired` (a pending request past `expiresAt`).
    #[schema(example = "pending")]
    pub status: String,
    /// Whether accepting grants delegated admin privileges.
    pub include_delegated_admin: bool,
    /// The indirect provider authorised along with the requester, if any.
    pub indirect_provider_id: Option<Uuid>,
    /// The customer that accepted it, once accepted.
    pub customer_id: Option<Uuid>,
    /// When the link stops working.
    pub expires_at: DateTime<Utc>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

impl From<RelationshipRequestRow> for RelationshipRequest {
    fn from(r: RelationshipRequestRow) -> RelationshipRequest {
        RelationshipRequest {
            id: r.id.uuid(),
            status: r.display_status(now()).to_owned(),
            include_delegated_admin: r.include_delegated_admin,
            indirect_provider_id: r.indirect_provider_id.map(Id::uuid),
            customer_id: r.customer_id.map(Id::uuid),
            expires_at: utc(r.expires_at),
            created_at: utc(r.created_at),
        }
    }
}

/// A created relationship request: its personalized link (shown only here) and the email draft.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedRelationshipRequest {
    /// Request id.
    pub id: Uuid,
    /// Always `pending`.
    #[schema(value_type = String, example = "pending")]
    pub status: LinkStatus,
    /// Whether accepting grants delegated admin privileges.
    pub include_delegated_admin: bool,
    /// The indirect provider authorised along with the requester, if any.
    pub indirect_provider_id: Option<Uuid>,
    /// The personalized, single-use link (`{PUBLIC_BASE_URL}/v1/relationship-requests/accept?token=…`).
    pub link: String,
    /// When the link stops working (`INVITATION_TTL_DAYS` after creation).
    pub expires_at: DateTime<Utc>,
    /// The email to send to the customer's admin.
    pub email_draft: EmailDraft,
}

fn request_draft(
    partner: &PartnerRow,
    provider: Option<&PartnerRow>,
    row: &RelationshipRequestRow,
    link: &str,
) -> EmailDraft {
    let dap = if row.include_delegated_admin {
        format!(
            "The relationship includes delegated admin privileges, so {} can administer your services and users on your behalf.\n",
            partner.name
        )
    } else {
        String::new()
    };
    let both = provider
        .map(|p| {
            format!(
                "It also authorises {}, the indirect provider {} works with.\n",
                p.name, partner.name
            )
        })
        .unwrap_or_default();
    EmailDraft {
        to: row.customer_email.clone(),
        subject: format!(
            "{} requests a reseller relationship with your organisation",
            partner.name
        ),
        body: format!(
            "Hello,\n\n{name} would like to become your reseller so it can provision and manage your cloud services.\n{dap}{both}\n\
             Your administrator can accept with this personalized link (it works once, until {expires}; do not forward it):\n{link}\n\n{name}\n",
            name = partner.name,
            expires = utc(row.expires_at).format("%Y-%m-%d %H:%M UTC"),
        ),
    }
}

/// Request a reseller relationship with a customer.
///
/// Returns an email draft whose body carries a personalized link, single-use and expiring
/// (`INVITATION_TTL_DAYS`, default 14); send it to the customer's admin, who accepts it with
/// `POST /v1/relationship-requests/accept`. An indirect reseller may name its indirect provider
/// (`indirectProviderId`) so both are authorised on acceptance.
#[utoipa::path(
    tag = "relationship requests",
    request_body = CreateRelationshipRequest,
    params(("Idempotency-Key" = Option<String>, Header)),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created.", body = CreatedRelationshipRequest),
        (status = 403, description = "Role not enough, or a customer user.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The Idempotency-Key is in use.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, `partnership_required` on `indirectProviderId`, or `unknown_customer` on `customerId`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/relationship-requests")]
pub async fn create_relationship_request(
    caller: Authorized<ops::ManageRelationshipRequests>,
    state: web::Data<AppState>,
    body: ValidJson<CreateRelationshipRequest>,
) -> Result<Created<CreatedRelationshipRequest>, ApiError> {
    let req = body.0;
    let issued = IssuedLink::issue(state.config.invitation_ttl_days);
    let link = issued.url(&state.config.public_base_url, ACCEPT_PATH);
    let recipient = Recipient {
        customer_email: req.customer_email.clone(),
        customer_id: req.customer_id,
    };
    let (dap, provider_id) = (req.include_delegated_admin, req.indirect_provider_id);
    let (row, partner, provider) = caller
        .change(&state.pool, move |change, caller| {
            service::create_request(change, caller, dap, provider_id, &recipient, &issued)
        })
        .await?;
    let email_draft = request_draft(&partner, provider.as_ref(), &row, &link);
    Ok(Created::unlocated(CreatedRelationshipRequest {
        id: row.id.uuid(),
        status: row.status,
        include_delegated_admin: row.include_delegated_admin,
        indirect_provider_id: row.indirect_provider_id.map(Id::uuid),
        link,
        expires_at: utc(row.expires_at),
        email_draft,
    }))
}

/// List the caller's partner's relationship requests, oldest first, with their status.
#[utoipa::path(
    tag = "relationship requests",
    params(PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of relationship requests.", body = Page<RelationshipRequest>),
        (status = 403, description = "Role not enough, or a customer user.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad `limit` or `cursor`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/relationship-requests")]
pub async fn list_relationship_requests(
    caller: Authorized<ops::ManageRelationshipRequests>,
    state: web::Data<AppState>,
    query: Paged,
) -> Result<Json<Page<RelationshipRequest>>, ApiError> {
    let page = query.page.clone();
    let rows = caller
        .run(&state.pool, move |conn, caller| {
            service::list_requests(conn, caller, &page)
        })
        .await?;
    Ok(Json::new(query.answer(
        rows,
        |r| r.id.as_str(),
        RelationshipRequest::from,
    )))
}

/// An accepted relationship request and the relationships it created or updated.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AcceptedRelationshipRequest {
    /// Request id.
    pub id: Uuid,
    /// Always `accepted`.
    #[schema(value_type = String, example = "accepted")]
    pub status: LinkStatus,
    /// The customer (the caller's).
    pub customer_id: Uuid,
    /// The requesting partner's relationship, then its indirect provider's (if named).
    pub relationships: Vec<CustomerRelationship>,
}

/// Accept a relationship request as the signed-in customer admin.
///
/// Creates the requesting partner's relationship with your organisation (and its indirect
/// provider's, if named), or updates the existing one: a request with DAP restores delegated
/// admin privileges removed earlier. The link works once, and only for the customer it names
/// (`customerId`, or a user signing in as `customerEmail`) when the partner named one.
#[utoipa::path(
    tag = "relationship requests",
    request_body = AcceptLink,
    params(("Idempotency-Key" = Option<String>, Header)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Accepted.", body = AcceptedRelationshipRequest),
        (status = 403, description = "Not a customer admin.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The Idempotency-Key is in use.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_link_token` (unknown, used, revoked, expired, or meant for another customer), or invalid fields.", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/relationship-requests/accept")]
pub async fn accept_relationship_request(
    caller: Authorized<ops::CustomerSelfService>,
    state: web::Data<AppState>,
    body: ValidJson<AcceptLink>,
) -> Result<Json<AcceptedRelationshipRequest>, ApiError> {
    let token = body.0.token;
    let accepted = caller
        .change(&state.pool, move |change, caller| {
            service::accept_request(change, caller, &token)
        })
        .await?;
    Ok(Json::new(AcceptedRelationshipRequest {
        id: accepted.request.id.uuid(),
        customer_id: accepted.customer_id,
        status: accepted.request.status,
        relationships: accepted
            .relationships
            .into_iter()
            .map(CustomerRelationship::from)
            .collect(),
    }))
}

/// Registers the relationship-request operations.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_relationship_request)
        .service(list_relationship_requests)
        .service(accept_relationship_request);
}

crate::bodies!(AcceptedRelationshipRequest, RelationshipRequest);

// Show a secret once: sealed by the idempotency store, `Cache-Control: no-store`.
crate::secret_bodies!(CreatedRelationshipRequest);
