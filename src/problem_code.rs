//! [`ProblemCode`]: the closed set of problem `code`s the server answers. Every
//! [`crate::error::ApiError`] carries one; `GET /problems/{code}` describes each one, and the
//! OpenAPI document lists them (the `ProblemCode` schema), all from the table below.
//!
//! This module sits below `error` and imports nothing of the crate.

use std::fmt;

use actix_web::http::StatusCode;
use serde::{Deserialize, Serialize};

/// Declares [`ProblemCode`] and its per-variant data from one table, so a code cannot be added
/// without its status, title and description.
macro_rules! problem_codes {
    ($(
        $variant:ident = $code:literal, $status:ident,
            $title:literal,
            $description:literal;
    )*) => {
        /// A problem `code`: stable snake_case, the problem document's `code` member and the
        /// suffix of its `type` URI (`/problems/{code}`, with `-` for `_`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum ProblemCode {
            $(
                #[doc = $title]
                $variant,
            )*
        }

        impl ProblemCode {
            /// Every code, in the order of the table (general codes first).
            pub const ALL: &'static [ProblemCode] = &[$(ProblemCode::$variant),*];

            /// The code on the wire (the serde name), e.g. `validation_failed`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ProblemCode::$variant => $code,)*
                }
            }

            /// The status this code is usually answered with (a few call sites answer another,
            /// e.g. `bad_request` for any unreadable request the framework refused).
            pub const fn status(self) -> StatusCode {
                match self {
                    $(ProblemCode::$variant => StatusCode::$status,)*
                }
            }

            /// A short title.
            pub const fn title(self) -> &'static str {
                match self {
                    $(ProblemCode::$variant => $title,)*
                }
            }

            /// What it means and what to do about it.
            pub const fn description(self) -> &'static str {
                match self {
                    $(ProblemCode::$variant => $description,)*
                }
            }
        }
    };
}

problem_codes! {
    // Requests the server cannot read or route.
    ValidationFailed = "validation_failed", UNPROCESSABLE_ENTITY,
        "Validation failed",
        "Some fields of the request are invalid; `errors` names each field with a reason. Fix them and send again.";
    NotFound = "not_found", NOT_FOUND,
        "Not found",
        "The resource does not exist or is outside your reach (the two are never told apart).";
    RouteNotFound = "route_not_found", NOT_FOUND,
        "No such operation",
        "No operation answers this method and path; see /api-docs/openapi.json.";
    MethodNotAllowed = "method_not_allowed", METHOD_NOT_ALLOWED,
        "Method not allowed",
        "The path exists but does not answer this method; `Allow` lists those it answers.";
    BadRequest = "bad_request", BAD_REQUEST,
        "Bad request",
        "The request could not be read (the HTTP layer refused it before any operation ran); check the request line, headers and body framing and send it again.";
    InvalidJson = "invalid_json", BAD_REQUEST,
        "Invalid JSON",
        "The body is not well-formed JSON; `detail` quotes the parser. Send a JSON document.";
    InvalidBody = "invalid_body", BAD_REQUEST,
        "Unreadable body",
        "The body could not be read (the connection broke or its encoding is wrong); send the request again.";
    InvalidForm = "invalid_form", BAD_REQUEST,
        "Invalid form",
        "The `application/x-www-form-urlencoded` body could not be parsed; `detail` says why.";
    PayloadTooLarge = "payload_too_large", PAYLOAD_TOO_LARGE,
        "Payload too large",
        "The body is larger than the server accepts (64 KiB).";
    UnsupportedMediaType = "unsupported_media_type", UNSUPPORTED_MEDIA_TYPE,
        "Unsupported media type",
        "The body is not in a media type this operation accepts (JSON unless stated otherwise).";
    RequestHeaderFieldsTooLarge = "request_header_fields_too_large", REQUEST_HEADER_FIELDS_TOO_LARGE,
        "Request headers too large",
        "The request's headers together are larger than the server reads (16 KiB); send fewer or shorter headers.";
    RequestTimeout = "request_timeout", REQUEST_TIMEOUT,
        "Request timeout",
        "The request was not received in time; send it again, in full.";
    InvalidCursor = "invalid_cursor", BAD_REQUEST,
        "Invalid cursor",
        "The `cursor` is not a `nextCursor` this API returned (it was cut, changed or made up); list again from the first page, without `cursor`.";
    InvalidText = "invalid_text", UNPROCESSABLE_ENTITY,
        "Invalid text",
        "A text value contains a character that cannot be stored (NUL); remove it and send again.";

    // Authentication and authorization.
    Unauthorized = "unauthorized", UNAUTHORIZED,
        "Unauthorized",
        "No valid bearer token: sign in with POST /v1/auth/token and send `Authorization: Bearer <token>`.";
    TokenRevoked = "token_revoked", UNAUTHORIZED,
        "Token revoked",
        "The access token was valid, but the account behind it changed after it was issued (password changed or reset, disabled or re-enabled, roles changed, application deleted) or no longer exists. Sign in again with POST /v1/auth/token.";
    InvalidCredentials = "invalid_credentials", UNAUTHORIZED,
        "Invalid credentials",
        "The user name or current password is incorrect (POST /v1/auth/password); check them and send again.";
    InsufficientRole = "insufficient_role", FORBIDDEN,
        "Insufficient role",
        "Your roles do not allow this operation; `requiredRoles` lists the roles that do.";
    DelegatedAdminRequired = "delegated_admin_required", FORBIDDEN,
        "Delegated admin required",
        "The operation needs delegated admin privileges (DAP) on the customer; ask the customer to accept a relationship request that includes DAP.";
    IndirectProviderRequired = "indirect_provider_required", FORBIDDEN,
        "Indirect provider required",
        "Only an indirect provider may do this (for a subscription: the indirect provider that bills it); `detail` says which side the operation belongs to.";
    IndirectResellerRequired = "indirect_reseller_required", FORBIDDEN,
        "Indirect reseller required",
        "Only an indirect reseller may do this; `detail` says which side the operation belongs to.";
    PartnerRequired = "partner_required", FORBIDDEN,
        "Partner required",
        "The operation is for partner users and applications; a customer's user cannot call it.";
    CustomerRequired = "customer_required", FORBIDDEN,
        "Customer required",
        "The operation is for a customer's own admin (customer self-service); partners use the /v1/customers operations instead.";
    GlobalAdminProtected = "global_admin_protected", FORBIDDEN,
        "Global admin protected",
        "Only a global admin can create, change, reset or delete a global admin, or grant the global_admin role; ask one of your global admins.";

    // Limits and availability.
    RateLimited = "rate_limited", TOO_MANY_REQUESTS,
        "Rate limited",
        "Too many requests; wait `Retry-After` seconds (see `RateLimit`) before retrying.";
    QuotaExceeded = "quota_exceeded", CONFLICT,
        "Quota exceeded",
        "Creating this would pass a limit on how many of these one tenant (or one resource) may hold: `limit` names it and `max` gives its value. Waiting does not help; remove some first (the README lists the limits and the variables that set them).";
    InternalError = "internal_error", INTERNAL_SERVER_ERROR,
        "Internal error",
        "An unexpected error; quote the request id (`requestId`, `X-Request-Id`) when reporting it.";
    DatabaseUnavailable = "database_unavailable", SERVICE_UNAVAILABLE,
        "Database unavailable",
        "The database is unavailable; retry after `Retry-After` seconds.";
    SignInBusy = "sign_in_busy", SERVICE_UNAVAILABLE,
        "Sign-in busy",
        "Every password-hashing thread is busy and the queue is full; retry after `Retry-After` seconds (the attempt was not counted against you).";

    // Concurrency, preconditions and idempotency.
    PreconditionFailed = "precondition_failed", PRECONDITION_FAILED,
        "Precondition failed",
        "The resource changed since you read it (`If-Match` is stale): read it again and retry with the new ETag.";
    ConcurrentUpdate = "concurrent_update", CONFLICT,
        "Concurrent update",
        "Another request changed the same data at the same time; retry.";
    AlreadyExists = "already_exists", CONFLICT,
        "Already exists",
        "A resource with the same unique value already exists.";
    UnknownReference = "unknown_reference", UNPROCESSABLE_ENTITY,
        "Unknown reference",
        "The request refers to a resource that does not exist (or no longer does); check the ids you sent.";
    IdempotencyKeyReused = "idempotency_key_reused", UNPROCESSABLE_ENTITY,
        "Idempotency key reused",
        "This `Idempotency-Key` was used with another request; use a new key for a new request.";
    IdempotencyRequestInProgress = "idempotency_request_in_progress", CONFLICT,
        "Idempotent request in progress",
        "A request with this `Idempotency-Key` is still being processed; retry shortly (after `Retry-After` seconds when present) to get its answer.";
    IdempotencyResponseUnavailable = "idempotency_response_unavailable", CONFLICT,
        "Idempotent response unavailable",
        "The request with this `Idempotency-Key` was applied, but its stored answer cannot be replayed (it was lost, or the server key changed); read the resource instead of retrying, or use a new key.";

    // Users and organisations.
    DuplicateUserName = "duplicate_user_name", CONFLICT,
        "Duplicate user name",
        "A user with this sign-in name already exists in your organisation (names are unique across the instance, and each organisation names its users under its own domains); choose another name, or sign in with the existing account.";
    DuplicateDomain = "duplicate_domain", CONFLICT,
        "Duplicate domain",
        "This domain already belongs to an organisation (a customer, or a partner whose users are named under it); look the customer up instead of creating it again.";
    DomainNotOwned = "domain_not_owned", UNPROCESSABLE_ENTITY,
        "Domain not owned",
        "The e-mail address is under a domain your organisation does not own: an organisation names its users only under its own domains (set when it was created: the first admin's e-mail domain, or a customer's domain). The field is named in `errors`.";
    SelfProtected = "self_protected", CONFLICT,
        "Own account protected",
        "You cannot do this to your own account (e.g. disable, delete or demote yourself); ask another admin.";
    LastGlobalAdmin = "last_global_admin", CONFLICT,
        "Last global admin",
        "This is the organisation's last enabled global admin; make another user a global admin first.";
    InvalidPartnerName = "invalid_partner_name", UNPROCESSABLE_ENTITY,
        "Invalid partner name",
        "Bootstrap (`partner-center bootstrap`): the partner name must be 1 to 200 characters.";
    InvalidEmail = "invalid_email", UNPROCESSABLE_ENTITY,
        "Invalid e-mail address",
        "Bootstrap (`partner-center bootstrap`): the admin e-mail must be an e-mail address.";

    // Partnerships, relationships and links.
    InvalidLinkToken = "invalid_link_token", UNPROCESSABLE_ENTITY,
        "Invalid link token",
        "The invitation or link token cannot be used: it is unknown, was already used, was revoked or has expired. Ask the sender for a new link.";
    InvitationNotPending = "invitation_not_pending", CONFLICT,
        "Invitation not pending",
        "The invitation was already accepted, revoked or has expired; only a pending invitation can be revoked.";
    PartnershipExists = "partnership_exists", CONFLICT,
        "Partnership exists",
        "You already have an active partnership with this indirect provider; there is nothing to accept.";
    PartnershipNotActive = "partnership_not_active", CONFLICT,
        "Partnership not active",
        "This partnership has already ended.";
    PartnershipRequired = "partnership_required", UNPROCESSABLE_ENTITY,
        "Partnership required",
        "The named reseller has no active partnership with the indirect provider; invite it (POST /v1/indirect-resellers/invitations) and wait until it accepts.";
    UnknownCustomer = "unknown_customer", UNPROCESSABLE_ENTITY,
        "Unknown customer",
        "No customer has the `customerId` you sent; omit it to address the relationship request by e-mail only.";
    ActiveSubscriptions = "active_subscriptions", CONFLICT,
        "Active subscriptions",
        "The customer still has active subscriptions billed by or attributed to you (`activeSubscriptionIds`); suspend them first, then remove the relationship.";
    SupportContactNotEligible = "support_contact_not_eligible", UNPROCESSABLE_ENTITY,
        "Support contact not eligible",
        "The partner cannot be the subscription's support contact; `reason` says why (`not_an_indirect_reseller`, `no_active_partnership`, `no_customer_relationship`, `no_delegated_admin`) and `detail` what to do. GET …/support-contact/candidates lists the eligible ones.";
    ServiceRequestClosed = "service_request_closed", CONFLICT,
        "Service request closed",
        "The service request is closed and takes no notes; reopen it first (PATCH with `\"status\": \"open\"`, which may carry the note).";

    // Catalog, carts, orders and subscriptions.
    OfferId = "offer_id", UNPROCESSABLE_ENTITY,
        "Not an offer id",
        "The named field is not an offer id; use an `id` from GET /v1/offers.";
    UnknownOffer = "unknown_offer", UNPROCESSABLE_ENTITY,
        "Unknown offer",
        "A line item names an offer that is not in the catalog; pick one from GET /v1/offers.";
    MixedCurrencies = "mixed_currencies", UNPROCESSABLE_ENTITY,
        "Mixed currencies",
        "The order's offers are priced in different currencies; one order has one currency, so place one order per currency.";
    QuantityOutOfRange = "quantity_out_of_range", UNPROCESSABLE_ENTITY,
        "Quantity out of range",
        "The license count is outside the offer's minimum and maximum; `detail` gives the range.";
    BillingCycleNotOffered = "billing_cycle_not_offered", UNPROCESSABLE_ENTITY,
        "Billing cycle not offered",
        "The offer is not sold with this billing cycle; `detail` lists the cycles it is sold with.";
    TermNotOffered = "term_not_offered", UNPROCESSABLE_ENTITY,
        "Term not offered",
        "The offer does not sell this term with this billing cycle; `detail` lists the terms and cycles it sells (GET /v1/offers/{offerId}).";
    SeatReductionWindowPassed = "seat_reduction_window_passed", CONFLICT,
        "Seat reduction window passed",
        "Only seats bought within the cancellation window (`refundableQuantity`) can be removed now; `detail` gives the date from which fewer seats apply: schedule them with `scheduledNextTermInstructions.quantity`.";
    CancellationWindowPassed = "cancellation_window_passed", CONFLICT,
        "Cancellation window passed",
        "The subscription can be cancelled only until `cancellationAllowedUntil`; turn auto-renew off and it expires at the end of its term (`detail` gives the date).";
    SubscriptionEnded = "subscription_ended", CONFLICT,
        "Subscription ended",
        "The subscription is expired, disabled or deleted; those statuses are final and it can no longer change.";
    NextTermNotAvailable = "next_term_not_available", UNPROCESSABLE_ENTITY,
        "Next term not available",
        "`scheduledNextTermInstructions` names an offer outside the subscription's product family and upgrade targets, or a term, cycle or quantity that offer does not sell.";
    UnknownTestClock = "unknown_test_clock", UNPROCESSABLE_ENTITY,
        "Unknown test clock",
        "`testClockId` is not one of your test clocks, or test clocks are not enabled on this server.";
    TestClockNotForward = "test_clock_not_forward", UNPROCESSABLE_ENTITY,
        "Test clock moves forward only",
        "A test clock advances to a time after its `frozenTime` only.";
    TestClockAdvancing = "test_clock_advancing", CONFLICT,
        "Test clock advancing",
        "The clock is still running an advance; wait until its `status` is `ready`.";
    TestClockInUse = "test_clock_in_use", CONFLICT,
        "Test clock in use",
        "Customers live on this clock; a clock is deleted only when no customer does.";
    UnknownCurrency = "unknown_currency", UNPROCESSABLE_ENTITY,
        "Unknown currency",
        "The currency is not an active ISO 4217 code such as USD.";
    InvalidPriceEntry = "invalid_price_entry", UNPROCESSABLE_ENTITY,
        "Invalid price entry",
        "A price list entry names exactly one of `unitPrice` (in the list's currency, not negative) and `markupPercent`, once per offer, term and billing cycle.";
    PriceListVersionInPast = "price_list_version_in_past", UNPROCESSABLE_ENTITY,
        "Price list version in the past",
        "Versions that have taken effect never change, and a new version cannot take effect in the past: give an `effectiveFrom` in the future.";
    PrerequisiteRequired = "prerequisite_required", UNPROCESSABLE_ENTITY,
        "Prerequisite required",
        "The offer is an add-on: the customer needs an active subscription to one of its base offers, or a line for one in the same order.";
    LimitPerCustomerExceeded = "limit_per_customer_exceeded", UNPROCESSABLE_ENTITY,
        "Limit per customer exceeded",
        "The customer would hold more subscriptions to the offer than it allows, counting existing ones and this order.";
    AmountTooLarge = "amount_too_large", UNPROCESSABLE_ENTITY,
        "Amount too large",
        "The order total does not fit in 64-bit minor units; split the order.";
    CartCheckedOut = "cart_checked_out", CONFLICT,
        "Cart checked out",
        "The cart was already checked out; its order is in `orderId`.";
    CartExpired = "cart_expired", CONFLICT,
        "Cart expired",
        "The cart expired; delete it and create a new one.";
    SubscriptionSuspended = "subscription_suspended", CONFLICT,
        "Subscription suspended",
        "The license count of a suspended subscription cannot change; reactivate it (`\"status\": \"active\"`, in the same request if you like).";
    SubscriptionNotActive = "subscription_not_active", CONFLICT,
        "Subscription not active",
        "Only an active subscription can be upgraded; reactivate it first.";
    AlreadyOwned = "already_owned", CONFLICT,
        "Already owned",
        "The customer already has a subscription (active or suspended) to the target offer; change that subscription instead.";
    UpgradeNotAvailable = "upgrade_not_available", UNPROCESSABLE_ENTITY,
        "Upgrade not available",
        "The subscription's offer cannot be upgraded to the target offer; GET …/upgrades lists the targets it can.";

    // Webhooks.
    WebhookTargetRefused = "webhook_target_refused", UNPROCESSABLE_ENTITY,
        "Webhook target refused",
        "The webhook URL is refused (e.g. not HTTPS, or it resolves to a private or loopback address); `detail` says why. Use a public HTTPS endpoint.";
    WebhookDisabled = "webhook_disabled", CONFLICT,
        "Webhook disabled",
        "The webhook is disabled; enable it (PATCH `enabled: true`) before sending it a test event.";
    DeliveryInProgress = "delivery_in_progress", CONFLICT,
        "Delivery in progress",
        "A worker is sending this delivery now; retry once its attempt is recorded.";
    ReplayInProgress = "replay_in_progress", CONFLICT,
        "Replay in progress",
        "The webhook's previous replay is still queued: an endpoint has one open replay at a time. Retry once each of its deliveries has had its first attempt (the delivery log shows them); a disabled webhook sends nothing until it is enabled.";
    DeliveryQueueFull = "delivery_queue_full", TOO_MANY_REQUESTS,
        "Delivery queue full",
        "Your organisation would have more webhook deliveries queued than it may (`max`; `queued` are waiting, `adding` is what this request would add). Retry after `Retry-After` seconds, or replay a shorter window. Deliveries of new events are always queued.";

    // Granular delegated admin (GDAP).
    UnknownDirectoryRole = "unknown_directory_role", UNPROCESSABLE_ENTITY,
        "Unknown directory role",
        "A `roleDefinitionId` is not a directory role this service knows; GET /v1/directory-roles lists them.";
    DurationOutOfRange = "duration_out_of_range", UNPROCESSABLE_ENTITY,
        "Duration out of range",
        "A delegated admin relationship lasts from P1D to P2Y (730 days); `P800D` or `P3Y` is too long.";
    UnknownSecurityGroup = "unknown_security_group", UNPROCESSABLE_ENTITY,
        "Unknown security group",
        "The `accessContainerId` is not one of your partner's security groups (GET /v1/security-groups).";
    RoleNotInRelationship = "role_not_in_relationship", UNPROCESSABLE_ENTITY,
        "Role not in relationship",
        "An access assignment may give only roles of its relationship; `detail` names the ones that are not.";
    RelationshipNotActive = "relationship_not_active", CONFLICT,
        "Relationship not active",
        "Access assignments are made on an active relationship only (approved by the customer, not expired or terminated).";
    RelationshipNotEditable = "relationship_not_editable", CONFLICT,
        "Relationship not editable",
        "The relationship's status does not allow this: it is edited and locked for approval only while `created`, and terminated only while `approvalPending` or `active`.";
    AccessAssignmentExists = "access_assignment_exists", CONFLICT,
        "Access assignment exists",
        "The security group already has an active access assignment in this relationship; delete it first to change its roles.";
}

impl ProblemCode {
    /// The code named `code` (`_` or `-` between words), if the server answers it.
    pub fn parse(code: &str) -> Option<ProblemCode> {
        let code = code.replace('-', "_");
        ProblemCode::ALL
            .iter()
            .copied()
            .find(|known| known.as_str() == code)
    }
}

impl fmt::Display for ProblemCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl AsRef<str> for ProblemCode {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl utoipa::PartialSchema for ProblemCode {
    /// A string enum of every code, described with each code's status and title.
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        let mut description = String::from(
            "Stable snake_case code to branch on; `GET /problems/{code}` describes each one. \
             The codes, with the status each is usually answered with:\n",
        );
        for code in ProblemCode::ALL {
            description.push_str(&format!(
                "\n- `{}` ({}): {}.",
                code.as_str(),
                code.status().as_u16(),
                code.title()
            ));
        }
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(ProblemCode::ALL.iter().map(|c| c.as_str())))
            .description(Some(description))
            .examples([serde_json::json!("validation_failed")])
            .into()
    }
}

impl utoipa::ToSchema for ProblemCode {}

#[cfg(test)]
mod tests {
    use super::ProblemCode;

    #[test]
    fn as_str_is_the_serde_name() {
        for code in ProblemCode::ALL {
            let json = serde_json::to_value(code).unwrap();
            assert_eq!(json, serde_json::json!(code.as_str()), "{code:?}");
            let back: ProblemCode = serde_json::from_value(json).unwrap();
            assert_eq!(back, *code);
        }
    }

    #[test]
    fn all_lists_each_code_once_and_each_has_a_page() {
        let mut seen = std::collections::HashSet::new();
        for code in ProblemCode::ALL {
            assert!(seen.insert(code.as_str()), "{code:?} listed twice");
            assert!(!code.title().is_empty() && !code.description().is_empty());
            assert!(code.status().is_client_error() || code.status().is_server_error());
            assert_eq!(ProblemCode::parse(code.as_str()), Some(*code));
            assert_eq!(
                ProblemCode::parse(&code.as_str().replace('_', "-")),
                Some(*code)
            );
        }
        assert_eq!(ProblemCode::parse("nope"), None);
    }
}
