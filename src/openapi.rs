//! The OpenAPI document's frame: info, tags and security schemes. Paths and schemas are collected
//! from the registered handlers (`app::openapi_document`), never listed by hand.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// Info, tags and security schemes.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "partner-center",
        description = "Self-hostable REST API for the cloud-reseller channel: indirect providers, \
            indirect resellers, customers, delegated admin privileges, subscriptions and designated \
            support contacts. Sign in with `POST /v1/auth/token`, then send the access token as \
            `Authorization: Bearer` (in Swagger UI: the Authorize button) on any operation. Errors are RFC 9457 problem+json with a stable \
            `code`; collections are keyset-paged with `limit` and `cursor`. Every GET also answers \
            HEAD; single resources carry an `ETag` (send it as `If-None-Match` for a 304, or as \
            `If-Match` to update safely). Rate-limited responses carry `RateLimit-Policy` and \
            `RateLimit` (IETF draft) next to `Retry-After` on 429.",
        license(name = "MIT OR Apache-2.0"),
        contact(name = "partner-center maintainers (see the README for support)")
    ),
    servers((url = "/", description = "The server that serves this document")),
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
        (name = "granular delegated admin", description = "GDAP: security groups of your users and applications, the directory-role catalog, time-bound delegated admin relationships a customer's admin approves, and access assignments that give your groups their roles."),
        (name = "webhooks", description = "Signed event deliveries (Standard Webhooks) to your endpoints: registrations, secrets, the delivery log, redelivery and replay."),
        (name = "test clocks", description = "Simulated time for a provider's customers: create a clock, put customers on it, advance it to run their subscriptions' renewals and expiries."),
        (name = "billing", description = "Price lists over cost (provider) or over the reseller price (reseller), their dated versions and assignments; billing line items written with each subscription change; billing periods and the statements issued when a period closes."),
        (name = "operations", description = "Health probes.")
    )
)]
pub struct ApiDoc;

/// Adds the `bearer` (JWT) scheme. There is deliberately no `oauth2` scheme: Swagger UI shows
/// an OAuth2 scheme with a required `client_id` and a scope picker, neither of which this API
/// has; a bearer token from the token endpoint is all Authorize needs.
pub struct SecurityAddon;

/// The security requirement name handlers use: `security(("bearer" = []))`.
pub const SCHEMES: [&str; 1] = ["bearer"];

impl Modify for SecurityAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "An access token from `POST /v1/auth/token`. In Swagger UI: open that \
                         operation, Try it out (the demo's sales agent is filled in), Execute, copy \
                         `access_token`, then Authorize and paste it; every Try it out sends it \
                         until it expires (`expires_in` seconds).",
                    ))
                    .build(),
            ),
        );
    }
}

/// Completes the collected document with what every `/v1` operation shares (docs/api-guide.md), so
/// the handlers' annotations need not repeat it: the `X-Request-Id` request parameter and
/// response header; on every operation the 429 answer of the per-caller request budget
/// (`rate_limit`), 500 and 503; on secured operations 401; for JSON bodies the 400, 413 and 415
/// answers of the extractors; on lists (a `cursor` parameter) the 400 `invalid_cursor`; for
/// creating POSTs the `Idempotency-Key` schema (and its description, unless the handler wrote
/// one) and the `Idempotent-Replayed` header. This is the
/// one source of the common error responses: a handler's annotation lists only the statuses
/// particular to it, and what it writes is never overwritten. Called on the document `app`
/// collects, before it is served or printed.
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
             too), echoed in the response header and in problems; generated when absent or not \
             such an id.",
        ))
        .schema(Some(
            schema::ObjectBuilder::new().schema_type(schema::Type::String),
        ))
        .build();
    let mut echoed = Header::new(string(1, 128));
    echoed.description = Some("The request id: yours, or one the server generated.".to_owned());
    let mut replayed = Header::new(schema::ObjectBuilder::new().schema_type(schema::Type::String));
    replayed.description = Some(
        "`true` when this is the stored first answer to a repeated Idempotency-Key.".to_owned(),
    );
    let common = [
        (
            "429",
            problem(
                "Too many requests from this caller (`rate_limited`); retry after `Retry-After` seconds.",
                true,
            ),
        ),
        (
            "500",
            problem(
                "An unexpected error (`internal_error`); quote the request id when reporting it.",
                false,
            ),
        ),
        (
            "503",
            problem(
                "The database is unavailable (`database_unavailable`); retry after `Retry-After` seconds.",
                true,
            ),
        ),
    ];
    let signed_in = [(
        "401",
        problem(
            "Not signed in: no bearer token, or it is malformed, expired or revoked \
             (`unauthorized`, `token_revoked`).",
            false,
        ),
    )];
    let json_body = [
        (
            "400",
            problem("The body is not well-formed JSON (`invalid_json`).", false),
        ),
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
    let paged = [(
        "400",
        problem(
            "The `cursor` is not a `nextCursor` this API returned (`invalid_cursor`).",
            false,
        ),
    )];
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
            let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
            let has_cursor = op
                .parameters
                .iter()
                .flatten()
                .any(|p| matches!(p, RefOr::T(p) if p.name == "cursor"));
            let responses = &mut op.responses.responses;
            let sets: [&[(&str, RefOr<Response>)]; 4] = [
                &common,
                if secured { &signed_in } else { &[] },
                if takes_json { &json_body } else { &[] },
                if has_cursor { &paged } else { &[] },
            ];
            for (code, response) in sets.into_iter().flatten() {
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
                    p.description.get_or_insert_with(|| {
                        "Makes a retry safe: the same key with the same body returns the first answer \
                         (header `Idempotent-Replayed: true`) for 24 hours; with another body 422 \
                         `idempotency_key_reused`; while the first is running 409. Keys are per caller; \
                         `MS-RequestId` is accepted too."
                            .to_owned()
                    });
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
    finish(api);
    add_webhooks(api);
}

/// The document as it is served and printed: `api` as JSON, with the growing enumerations
/// marked ([`EXTENSIBLE_ENUMS`]).
pub fn to_json(api: &utoipa::openapi::OpenApi) -> serde_json::Value {
    let mut doc = serde_json::to_value(api).unwrap_or_default();
    mark_extensible(&mut doc);
    doc
}

/// Makes the collected document as strict and as readable as the server: list
/// schemas reference their named item schema; every 429 documents `Retry-After` and the rate-limit
/// headers; GETs answering an `ETag` take `If-None-Match` and document 304; `If-Match` is a
/// required-format string, never nullable; a summary is one sentence without backticks and every
/// operation has a description (the whole doc comment).
fn finish(api: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::header::Header;
    use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
    use utoipa::openapi::{Ref, RefOr, Required, ResponseBuilder, schema};

    if let Some(components) = api.components.as_mut() {
        add_examples(&mut components.schemas);
        let names: Vec<String> = components.schemas.keys().cloned().collect();
        for (name, page) in components.schemas.iter_mut() {
            let Some(item) = name.strip_prefix("Page_") else {
                continue;
            };
            if !names.iter().any(|n| n == item) {
                continue;
            }
            if let RefOr::T(schema::Schema::Object(page)) = page
                && let Some(RefOr::T(schema::Schema::Array(items))) =
                    page.properties.get_mut("items")
            {
                items.items = schema::ArrayItems::RefOrSchema(Box::new(RefOr::Ref(
                    Ref::from_schema_name(item),
                )));
            }
        }
    }

    let header = |description: &str, schema: schema::Object| {
        let mut h = Header::new(schema);
        h.description = Some(description.to_owned());
        RefOr::T(h)
    };
    let retry_after = header(
        "Seconds to wait before retrying.",
        schema::ObjectBuilder::new()
            .schema_type(schema::Type::Integer)
            .minimum(Some(0))
            .build(),
    );
    let policy = header(
        "The request budget: `\"default\";q=600;w=60` (quota `q` per window of `w` seconds).",
        schema::ObjectBuilder::new()
            .schema_type(schema::Type::String)
            .build(),
    );
    let remaining = header(
        "What is left of it: `\"default\";r=0;t=7` (`r` requests left, `t` seconds until it is whole).",
        schema::ObjectBuilder::new()
            .schema_type(schema::Type::String)
            .build(),
    );
    let etag_schema = || {
        schema::ObjectBuilder::new()
            .schema_type(schema::Type::String)
            .pattern(Some(r#"^(\*|(W/)?"v[0-9]{1,18}")$"#))
            .examples([serde_json::json!("\"v1\"")])
            .build()
    };
    for (path, item) in api.paths.paths.iter_mut() {
        let ops: [(bool, &mut Option<Operation>); 5] = [
            (true, &mut item.get),
            (false, &mut item.put),
            (false, &mut item.post),
            (false, &mut item.delete),
            (false, &mut item.patch),
        ];
        for (is_get, op) in ops {
            let Some(op) = op.as_mut() else { continue };
            describe(op);
            let responses = &mut op.responses.responses;
            if let Some(RefOr::T(r)) = responses.get_mut("429") {
                for (name, h) in [
                    ("Retry-After", &retry_after),
                    ("RateLimit-Policy", &policy),
                    ("RateLimit", &remaining),
                ] {
                    r.headers
                        .entry(name.to_owned())
                        .or_insert_with(|| h.clone());
                }
            }
            let etag_on_200 =
                matches!(responses.get("200"), Some(RefOr::T(r)) if r.headers.contains_key("ETag"));
            if is_get && etag_on_200 {
                let mut not_modified = ResponseBuilder::new()
                    .description("Not modified: `If-None-Match` names the current ETag.")
                    .build();
                not_modified.headers.insert(
                    "ETag".to_owned(),
                    header("The current ETag.", etag_schema()),
                );
                responses.insert("304".to_owned(), RefOr::T(not_modified));
                op.parameters.get_or_insert_with(Vec::new).push(RefOr::T(
                    ParameterBuilder::new()
                        .name("If-None-Match")
                        .parameter_in(ParameterIn::Header)
                        .required(Required::False)
                        .description(Some(
                            "ETags you hold (`\"v3\"`, comma-separated, or `*`): when one is still current the \
                             answer is 304 without a body; anything else is ignored.",
                        ))
                        .schema(Some(
                            schema::ObjectBuilder::new()
                                .schema_type(schema::Type::String)
                                .examples([serde_json::json!("\"v1\"")]),
                        ))
                        .build(),
                ));
            }
            for param in op.parameters.iter_mut().flatten() {
                let RefOr::T(p) = param else { continue };
                if p.name == "cursor" && p.parameter_in == ParameterIn::Query {
                    p.schema = Some(RefOr::T(schema::Schema::Object(
                        schema::ObjectBuilder::new()
                            .schema_type(schema::Type::String)
                            .max_length(Some(200))
                            .pattern(Some(CURSOR_PATTERN))
                            .build(),
                    )));
                }
                if p.name == "If-Match" {
                    p.schema = Some(RefOr::T(schema::Schema::Object(etag_schema())));
                    // Prefilled in Swagger UI with an ETag's form (a resource's first version);
                    // send the one a GET answered.
                    *p = ParameterBuilder::from(p.clone())
                        .example(Some(serde_json::json!("\"v1\"")))
                        .build();
                }
                if let Some(id) = demo_path_id(path, &p.name)
                    && p.parameter_in == ParameterIn::Path
                    && let Some(RefOr::T(schema::Schema::Object(s))) = p.schema.as_mut()
                    && s.example.is_none()
                    && s.examples.is_empty()
                {
                    s.example = Some(serde_json::json!(id));
                }
            }
        }
    }
}

/// One-sentence summary without Markdown; the whole doc comment as the description.
fn describe(op: &mut utoipa::openapi::path::Operation) {
    let Some(summary) = op.summary.take() else {
        return;
    };
    let text = summary.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut end = text.len();
    let bytes = text.as_bytes();
    for (i, window) in bytes.windows(3).enumerate() {
        if window[0] == b'.' && window[1] == b' ' && window[2].is_ascii_uppercase() {
            end = i;
            break;
        }
    }
    let first = text[..end].trim_end_matches('.').replace('`', "");
    op.description = Some(match op.description.take() {
        Some(more) => format!("{text}\n\n{more}"),
        None => text.clone(),
    });
    op.summary = Some(first);
}

/// What a `cursor` looks like: base64url without padding (`nextCursor` of a previous page).
const CURSOR_PATTERN: &str = "^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2,3})?$";

/// What `validator` accepts as an email address (HTML5's definition, local part at most 64).
const EMAIL_PATTERN: &str = r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$";

/// Path parameters whose examples name demo data (`serve --demo` seeds it with these ids,
/// `crate::demo`): Contoso's customer Adatum (with DAP), Northwind IT (partnered with Contoso),
/// Contoso itself, Microsoft 365 Business Basic, and the objects `demo::seed_examples` makes.
const DEMO_PATH_IDS: [(&str, &str); 21] = [
    ("customerId", crate::demo::ADATUM_ID),
    ("resellerId", crate::demo::PARTNERED_ID),
    ("providerId", crate::demo::PROVIDER_ID),
    ("partnerId", crate::demo::PROVIDER_ID),
    ("offerId", "019a8f3c-2000-758b-a2a2-055bb55bcbbb"),
    ("priceListId", crate::demo::PRICE_LIST_ID),
    ("versionId", crate::demo::PRICE_LIST_VERSION_ID),
    ("userId", crate::demo::USER_ID),
    ("memberId", crate::demo::MEMBER_ID),
    ("cartId", crate::demo::CART_ID),
    ("orderId", crate::demo::ORDER_ID),
    ("subscriptionId", crate::demo::SUBSCRIPTION_ID),
    ("serviceRequestId", crate::demo::SERVICE_REQUEST_ID),
    ("applicationId", crate::demo::APPLICATION_ID),
    ("webhookId", crate::demo::WEBHOOK_ID),
    ("deliveryId", crate::demo::DELIVERY_ID),
    ("clockId", crate::demo::CLOCK_ID),
    ("groupId", crate::demo::GROUP_ID),
    ("relationshipId", crate::demo::RELATIONSHIP_ID),
    ("assignmentId", crate::demo::ASSIGNMENT_ID),
    ("invitationId", crate::demo::INVITATION_ID),
];

/// The demo id that is the example of path parameter `name` in `path`: a customer's users are
/// Adatum's (its admin), partner users are Contoso's.
fn demo_path_id(path: &str, name: &str) -> Option<&'static str> {
    if name == "userId" && path.contains("/customers/{customerId}/users/") {
        return Some(crate::demo::ADATUM_ADMIN_ID);
    }
    DEMO_PATH_IDS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, id)| *id)
}

/// Examples that work against `serve --demo`: an optional reference or value without its own
/// example is `null` in examples (Swagger UI would otherwise fill in a placeholder that the
/// server refuses), and the fields whose working value names demo data get it.
fn add_examples(
    schemas: &mut std::collections::BTreeMap<
        String,
        utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
    >,
) {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::{AdditionalProperties, Schema, SchemaFormat, SchemaType, Type};
    let named: [(&str, &str, serde_json::Value); 7] = [
        (
            "AssignPriceList",
            "priceListId",
            serde_json::json!(crate::demo::PRICE_LIST_ID),
        ),
        (
            "CreateRelationshipRequest",
            "includeDelegatedAdmin",
            serde_json::json!(true),
        ),
        (
            "CreateRelationshipRequest",
            "indirectProviderId",
            serde_json::json!(crate::demo::PROVIDER_ID),
        ),
        (
            "SetSupportContact",
            "partnerId",
            serde_json::json!(crate::demo::PROVIDER_ID),
        ),
        (
            "PasswordChange",
            "newPassword",
            serde_json::json!("Changed-Passw0rd!"),
        ),
        (
            "AcceptLink",
            "token",
            serde_json::json!("the-token-from-the-invitation-link"),
        ),
        (
            "EnrollReseller",
            "token",
            serde_json::json!("the-token-from-the-invitation-link"),
        ),
    ];
    for (name, schema) in schemas.iter_mut() {
        if name == "TokenRequest" {
            continue;
        }
        let RefOr::T(Schema::Object(object)) = schema else {
            continue;
        };
        for (property, value) in object.properties.iter_mut() {
            let RefOr::T(Schema::Object(p)) = value else {
                continue;
            };
            if let Some((_, _, example)) = named.iter().find(|(n, f, _)| n == name && f == property)
            {
                p.example = Some(example.clone());
                continue;
            }
            if matches!(&p.format, Some(SchemaFormat::Custom(f)) if f == "email")
                && p.pattern.is_none()
            {
                p.pattern = Some(EMAIL_PATTERN.to_owned());
            }
            let object = match &p.schema_type {
                SchemaType::Type(t) => *t == Type::Object,
                SchemaType::Array(types) => types.contains(&Type::Object),
                SchemaType::AnyValue => false,
            };
            if object && p.properties.is_empty() && p.additional_properties.is_none() {
                // A free-form JSON object (audit values): any members, not "no members".
                p.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(true)));
            }
            let nullable =
                matches!(&p.schema_type, SchemaType::Array(types) if types.contains(&Type::Null));
            if nullable && p.example.is_none() && p.examples.is_empty() {
                p.example = Some(serde_json::Value::Null);
            }
        }
    }
}

/// Enumerations that will gain values as the API grows (a subscription's status, a problem's
/// code, roles…). Where the server answers them, the document lists their values under
/// `x-extensible-enum` instead of `enum`, so generated clients read them as strings and keep
/// working when a new value arrives; the description says so. Where a client sends them (a
/// request body or a query parameter), a closed copy named `{Name}Input` keeps the exact values
/// the server accepts. Enumerations only sent (`PartnerRole`, `billingCycle`, `severity`) and
/// the fixed vocabularies (`actorKind`, `tenantKind`) stay closed.
const EXTENSIBLE_ENUMS: [&str; 6] = [
    "SubscriptionStatus",
    "CartStatus",
    "ServiceRequestStatus",
    "Ineligibility",
    "ProblemCode",
    "Role",
];

/// See [`EXTENSIBLE_ENUMS`]. Works on the document as JSON (which schemas a request reaches and
/// which a response reaches is a walk over `$ref`s).
fn mark_extensible(doc: &mut serde_json::Value) {
    use serde_json::Value;
    use std::collections::BTreeSet;

    fn refs(value: &Value, out: &mut BTreeSet<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref")
                    && let Some(name) = r.strip_prefix("#/components/schemas/")
                {
                    out.insert(name.to_owned());
                }
                map.values().for_each(|v| refs(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    fn rewrite(value: &mut Value, from: &str, to: &str) {
        match value {
            Value::Object(map) => {
                if map.get("$ref").and_then(Value::as_str) == Some(from) {
                    map.insert("$ref".to_owned(), Value::String(to.to_owned()));
                }
                map.values_mut().for_each(|v| rewrite(v, from, to));
            }
            Value::Array(items) => items.iter_mut().for_each(|v| rewrite(v, from, to)),
            _ => {}
        }
    }
    let schemas = doc["components"]["schemas"].clone();
    let closure = |roots: BTreeSet<String>| {
        let mut seen = BTreeSet::new();
        let mut todo: Vec<String> = roots.into_iter().collect();
        while let Some(name) = todo.pop() {
            if seen.insert(name.clone()) {
                let mut next = BTreeSet::new();
                refs(&schemas[&name], &mut next);
                todo.extend(next);
            }
        }
        seen
    };
    let (mut sent, mut answered) = (BTreeSet::new(), BTreeSet::new());
    for item in doc["paths"]
        .as_object()
        .into_iter()
        .flat_map(|p| p.values())
    {
        for op in item.as_object().into_iter().flat_map(|i| i.values()) {
            refs(&op["requestBody"], &mut sent);
            refs(&op["parameters"], &mut sent);
            refs(&op["responses"], &mut answered);
        }
    }
    let (sent, answered) = (closure(sent), closure(answered));
    let note = "More values may be added as the API grows: treat a value you do not know as \
                unknown rather than failing (the known ones are listed under \
                `x-extensible-enum`).";
    for name in EXTENSIBLE_ENUMS {
        let Some(schema) = doc["components"]["schemas"].get(name).cloned() else {
            continue;
        };
        let Some(values) = schema.get("enum").cloned() else {
            continue;
        };
        if sent.contains(name) {
            let input = format!("{name}Input");
            let from = format!("#/components/schemas/{name}");
            let to = format!("#/components/schemas/{input}");
            for only_sent in sent.difference(&answered) {
                rewrite(&mut doc["components"]["schemas"][only_sent], &from, &to);
            }
            for item in doc["paths"]
                .as_object_mut()
                .into_iter()
                .flat_map(|p| p.values_mut())
            {
                for op in item
                    .as_object_mut()
                    .into_iter()
                    .flat_map(|i| i.values_mut())
                {
                    if let Some(parameters) = op.get_mut("parameters") {
                        rewrite(parameters, &from, &to);
                    }
                }
            }
            doc["components"]["schemas"][&input] = schema.clone();
        }
        let extensible = &mut doc["components"]["schemas"][name];
        if let Some(object) = extensible.as_object_mut() {
            object.remove("enum");
            if !object.contains_key("example") && !object.contains_key("examples") {
                object.insert("example".to_owned(), values[0].clone());
            }
            object.insert("x-extensible-enum".to_owned(), values);
            let description = match object.get("description").and_then(Value::as_str) {
                Some(d) => format!("{d}\n\n{note}"),
                None => note.to_owned(),
            };
            object.insert("description".to_owned(), Value::String(description));
        }
    }
}

/// The document's `webhooks` (OpenAPI 3.1): one entry per event type of the catalogue
/// ([`crate::domain::events::EVENT_TYPES`]), the POST a registered endpoint receives — the
/// Standard Webhooks headers and the event body with `data.resource` typed for that event.
fn add_webhooks(api: &mut utoipa::openapi::OpenApi) {
    use serde_json::json;
    let header = |name: &str, description: &str| {
        json!({
            "name": name, "in": "header", "required": true,
            "description": description, "schema": { "type": "string" }
        })
    };
    let headers = [
        header(
            "webhook-id",
            "The event id: the same on every retry, redelivery and replay (deduplicate on it).",
        ),
        header(
            "webhook-timestamp",
            "Seconds since the epoch when this attempt was signed; refuse old ones (replays).",
        ),
        header(
            "webhook-signature",
            "`v1,<base64 HMAC-SHA256>` of `{webhook-id}.{webhook-timestamp}.{body}` with the \
             endpoint's secret (Standard Webhooks); during a rotation, one per valid secret, \
             space-separated.",
        ),
    ];
    let mut webhooks = serde_json::Map::new();
    for event in crate::domain::events::EVENT_TYPES {
        let resource = match event.resource_type {
            "customer" => json!({ "$ref": "#/components/schemas/Customer" }),
            "order" => json!({ "$ref": "#/components/schemas/Order" }),
            "statement" => json!({ "$ref": "#/components/schemas/Statement" }),
            "service_request" => json!({ "$ref": "#/components/schemas/ServiceRequest" }),
            "subscription" => json!({ "anyOf": [
                { "$ref": "#/components/schemas/Subscription" },
                {
                    "type": "object", "required": ["id"], "additionalProperties": true,
                    "description": "Sent to a partner that can no longer see the subscription \
                        after the change: its `id` and the changed field \
                        (`supportContactPartnerId` or `partnerIdOnRecord`).",
                    "properties": { "id": { "type": "string", "format": "uuid" } }
                }
            ]}),
            _ => json!({ "type": "object", "additionalProperties": true }),
        };
        let operation = json!({
            "summary": event.description.trim_end_matches('.'),
            "description": format!(
                "{} `data.resource` is a `{}`. Answer 2xx within {} seconds to acknowledge; \
                 anything else is retried (`WEBHOOK_RETRY_SCHEDULE`).",
                event.description,
                event.resource_type,
                crate::webhooks::delivery::TIMEOUT.as_secs()
            ),
            "operationId": format!("{}_event", event.name.replace('-', "_")),
            "tags": ["webhooks"],
            "parameters": headers,
            "requestBody": {
                "required": true,
                "content": { "application/json": { "schema": { "allOf": [
                    { "$ref": "#/components/schemas/WebhookEventPayload" },
                    {
                        "type": "object",
                        "properties": {
                            "type": { "type": "string", "enum": [event.name] },
                            "data": {
                                "type": "object",
                                "properties": { "resource": resource }
                            }
                        }
                    }
                ]}}}
            },
            "responses": {
                "2XX": { "description": "Received; the delivery is done." },
                "default": { "description": "Not received; the delivery is retried." }
            }
        });
        webhooks.insert(event.name.to_owned(), json!({ "post": operation }));
    }
    match serde_json::from_value(serde_json::Value::Object(webhooks)) {
        Ok(paths) => api.webhooks = Some(paths),
        Err(e) => log::error!("the document's webhooks section could not be built: {e}"),
    }
}
