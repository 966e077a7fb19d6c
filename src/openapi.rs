//! The OpenAPI document's frame: info, tags and security schemes. Paths and schemas are collected
//! from the registered handlers (`app::openapi_document`), never listed by hand.

use utoipa::openapi::security::{
    Flow, HttpAuthScheme, HttpBuilder, OAuth2, Password, Scopes, SecurityScheme,
};
use utoipa::{Modify, OpenApi};

/// Info, tags and security schemes.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "partner-center",
        description = "Self-hostable REST API for the cloud-reseller channel: indirect providers, \
            indirect resellers, customers, delegated admin privileges, subscriptions and designated \
            support contacts. Sign in with `POST /v1/auth/token` (or the Authorize button: OAuth2 \
            password flow), then call any operation. Errors are RFC 9457 problem+json with a stable \
            `code`; collections are keyset-paged with `limit` and `cursor`.",
        license(name = "MIT OR Apache-2.0")
    ),
    modifiers(&SecurityAddon),
    tags(
        (name = "auth", description = "Sign-in (OAuth 2.0 token endpoint), password change, the caller."),
        (name = "partner", description = "The caller's own partner profile and support contact details."),
        (name = "partner users", description = "Partner users (agents) and their roles."),
        (name = "applications", description = "App-only credentials for automation scripts."),
        (name = "customers", description = "Customers the caller has a relationship with."),
        (name = "support contact", description = "A subscription's designated support contact: read it, list the eligible candidates, set it."),
        (name = "service requests", description = "Service requests a partner opens for a customer it administers (DAP)."),
        (name = "indirect resellers", description = "Provider side of reseller partnerships: invitations, partnered resellers, ending a partnership."),
        (name = "indirect providers", description = "Reseller side of reseller partnerships: accepting or enrolling through an invitation link, partnered providers, ending a partnership."),
        (name = "relationship requests", description = "Requests for a reseller relationship (optionally with DAP) that a customer admin accepts."),
        (name = "customer relationships", description = "Partners holding a relationship with a customer; removing your own."),
        (name = "customer users", description = "A customer's users and their password resets (needs DAP)."),
        (name = "customer self-service", description = "The signed-in customer admin's own organisation: its partners and their DAP, its subscriptions with their designated support contacts."),
        (name = "catalog", description = "Offers: the instance-wide catalog, with prices in integer minor units."),
        (name = "carts and orders", description = "Provider side: carts (review, submit or cancel) and orders that create subscriptions."),
        (name = "subscriptions", description = "Customers' subscriptions: licenses, suspend and reactivate, reseller of record, upgrades."),
        (name = "audit", description = "Audit records of every state change."),
        (name = "webhooks", description = "Signed event deliveries (Standard Webhooks) to your endpoints: registrations, secrets, the delivery log, redelivery and replay."),
        (name = "operations", description = "Health probes.")
    )
)]
pub struct ApiDoc;

/// Adds the `bearer` (JWT) and `oauth2` (password flow, for Swagger UI's Authorize) schemes.
pub struct SecurityAddon;

/// The security requirement names handlers use: `("bearer" = [])` or `("oauth2" = [])`.
pub const SCHEMES: [&str; 2] = ["bearer", "oauth2"];

impl Modify for SecurityAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("An access token from POST /v1/auth/token."))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "oauth2",
            SecurityScheme::OAuth2(OAuth2::with_description(
                [Flow::Password(Password::new(
                    "/v1/auth/token",
                    Scopes::new(),
                ))],
                "Sign in with a user name and password (Swagger UI's Authorize button).",
            )),
        );
    }
}

/// Completes the collected document with what every `/v1` operation shares (product.md §7), so
/// the handlers' annotations need not repeat it: the `X-Request-Id` request parameter and
/// response header; the 429 answer of the per-caller request budget (`rate_limit`) with
/// `Retry-After`; for JSON bodies the 413 and 415 answers of the extractors; for creating POSTs
/// the `Idempotency-Key` constraints and the `Idempotent-Replayed` header. Called on the
/// document `app` collects, before it is served or printed.
pub fn add_common_responses(api: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::header::Header;
    use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn};
    use utoipa::openapi::{Content, Ref, RefOr, Required, Response, ResponseBuilder, schema};

    let string = |min: usize, max: usize| {
        schema::ObjectBuilder::new()
            .schema_type(schema::Type::String)
            .min_length(Some(min))
            .max_length(Some(max))
            .build()
    };
    let problem = |description: &str, retry_after: bool| {
        let mut b = ResponseBuilder::new().description(description).content(
            "application/problem+json",
            Content::new(Some(RefOr::Ref(Ref::from_schema_name("Problem")))),
        );
        if retry_after {
            b = b.header(
                "Retry-After",
                Header::new(schema::ObjectBuilder::new().schema_type(schema::Type::Integer)),
            );
        }
        RefOr::<Response>::T(b.build())
    };
    let request_id: Parameter = ParameterBuilder::new()
        .name("X-Request-Id")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "Your id for this request (1–128 visible ASCII characters; `MS-CorrelationId` is accepted \
             too), echoed in the response header and in problems; generated when absent.",
        ))
        .schema(Some(string(1, 128)))
        .build();
    let mut echoed = Header::new(string(1, 128));
    echoed.description = Some("The request id: yours, or one the server generated.".to_owned());
    let mut replayed = Header::new(schema::ObjectBuilder::new().schema_type(schema::Type::String));
    replayed.description = Some(
        "`true` when this is the stored first answer to a repeated Idempotency-Key.".to_owned(),
    );
    let common = [(
        "429",
        problem(
            "Too many requests from this caller (`rate_limited`); retry after `Retry-After` seconds.",
            true,
        ),
    )];
    let json_body = [
        (
            "413",
            problem(
                "The body is larger than 64 KiB (`payload_too_large`).",
                false,
            ),
        ),
        (
            "415",
            problem("The body is not JSON (`unsupported_media_type`).", false),
        ),
    ];
    for (path, item) in api.paths.paths.iter_mut() {
        if !path.starts_with("/v1/") {
            continue;
        }
        let ops: [&mut Option<Operation>; 5] = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for op in ops.into_iter().flatten() {
            let takes_json = matches!(&op.request_body, Some(RefOr::T(body)) if body.content.contains_key("application/json"));
            let responses = &mut op.responses.responses;
            for (code, response) in common.iter().chain(if takes_json {
                json_body.iter()
            } else {
                [].iter()
            }) {
                responses
                    .entry((*code).to_owned())
                    .or_insert_with(|| response.clone());
            }
            let params = op.parameters.get_or_insert_with(Vec::new);
            let mut idempotent = false;
            for param in params.iter_mut() {
                if let RefOr::T(p) = param
                    && p.name == "Idempotency-Key"
                {
                    idempotent = true;
                    p.schema = Some(string(1, 255).into());
                    p.description = Some(
                        "Makes a retry safe: the same key with the same body returns the first answer \
                         (header `Idempotent-Replayed: true`) for 24 hours; with another body 422 \
                         `idempotency_key_reused`; while the first is running 409. Keys are per caller; \
                         `MS-RequestId` is accepted too."
                            .to_owned(),
                    );
                }
            }
            params.push(RefOr::T(request_id.clone()));
            for (code, response) in responses.iter_mut() {
                if let RefOr::T(r) = response {
                    r.headers
                        .entry("X-Request-Id".to_owned())
                        .or_insert_with(|| RefOr::T(echoed.clone()));
                    if idempotent && code.starts_with('2') {
                        r.headers
                            .entry("Idempotent-Replayed".to_owned())
                            .or_insert_with(|| RefOr::T(replayed.clone()));
                    }
                }
            }
        }
    }
}
