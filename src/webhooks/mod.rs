//! Events and webhooks (product.md §11): the event catalogue, the transactional outbox fed by
//! [`crate::models::audit::Audit::write`], signing secrets, and the SSRF guard on targets.
//! Delivery (the worker inside `serve`) lives in [`delivery`].
//!
//! One place decides which change is which event: [`event_for`], from the audit operation type.
//! The event row and its deliveries are written by the same call, in the same transaction, as
//! the audit record, so an event exists if and only if its change committed.

pub mod delivery;

use std::cell::Cell;
use std::net::IpAddr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::db::AnyConnection;
use crate::domain::{AuditOperation, Id};
use crate::error::ApiError;
use crate::models::audit::AuditRow;
use crate::models::customer::CustomerRow;
use crate::models::order::OrderRow;
use crate::models::relationship::RelationshipRow;
use crate::models::service_request::ServiceRequestRow;
use crate::models::subscription::SubscriptionRow;
use crate::models::webhook::{DeliveryRow, EventRow, WebhookRow};

/// The `test-created` event type (`POST /v1/webhooks/{webhookId}/test`).
pub const TEST_EVENT: &str = "test-created";

/// An event type: its name, what it means, and the audit operations that produce it.
#[derive(Debug)]
pub struct EventType {
    /// The name (Partner Center's where it has one).
    pub name: &'static str,
    /// What happened.
    pub description: &'static str,
    /// The audit operation types that produce it.
    pub operations: &'static [AuditOperation],
    /// The resource type of `data.resource`.
    pub resource_type: &'static str,
}

/// The name of an event type, documented as an enum of [`EVENT_TYPES`] (their one home).
pub struct EventName;

impl utoipa::PartialSchema for EventName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("An event type (GET /v1/webhook-events lists them)."))
            .enum_values(Some(EVENT_TYPES.iter().map(|e| e.name)))
            .into()
    }
}

impl utoipa::ToSchema for EventName {}

/// Every event type (product.md §11).
pub const EVENT_TYPES: &[EventType] = &[
    EventType {
        name: "customer-created",
        description: "A customer was created (sent to the partners with a relationship with it).",
        operations: &[AuditOperation::CreateCustomer],
        resource_type: "customer",
    },
    EventType {
        name: "customer-updated",
        description: "A customer's billing profile changed.",
        operations: &[AuditOperation::UpdateCustomer],
        resource_type: "customer",
    },
    EventType {
        name: "reseller-relationship-accepted-by-customer",
        description: "A customer accepted your relationship request.",
        operations: &[AuditOperation::AcceptRelationshipRequest],
        resource_type: "customer_relationship",
    },
    EventType {
        name: "dap-admin-relationship-terminated",
        description: "A customer removed your delegated admin privileges (DAP).",
        operations: &[AuditOperation::DapRemoved],
        resource_type: "customer_relationship",
    },
    EventType {
        name: "customer-relationship-removed",
        description: "Your relationship with a customer was removed.",
        operations: &[AuditOperation::RemoveCustomerRelationship],
        resource_type: "customer_relationship",
    },
    EventType {
        name: "indirect-reseller-partnership-accepted",
        description: "An indirect reseller accepted a partnership invitation.",
        operations: &[AuditOperation::CreatePartnerRelationship],
        resource_type: "partnership",
    },
    EventType {
        name: "indirect-reseller-partnership-ended",
        description: "A partnership between an indirect provider and an indirect reseller ended.",
        operations: &[AuditOperation::RemovePartnerRelationship],
        resource_type: "partnership",
    },
    EventType {
        name: "order-created",
        description: "An order was placed for a customer.",
        operations: &[AuditOperation::CreateOrder],
        resource_type: "order",
    },
    EventType {
        name: "subscription-created",
        description: "A subscription was created (by an order or an upgrade).",
        operations: &[AuditOperation::CreateSubscription],
        resource_type: "subscription",
    },
    EventType {
        name: "subscription-updated",
        description: "A subscription's quantity, status, auto-renew, name or reseller of record changed.",
        operations: &[AuditOperation::UpdateSubscription],
        resource_type: "subscription",
    },
    EventType {
        name: "subscription-upgraded",
        description: "A subscription was upgraded to another offer (the resource is the source subscription).",
        operations: &[AuditOperation::UpgradeSubscription],
        resource_type: "subscription",
    },
    EventType {
        name: "support-contact-updated",
        description: "A subscription's designated support contact changed, including the automatic reverts.",
        operations: &[
            AuditOperation::UpdateSupportContact,
            AuditOperation::SupportContactReverted,
        ],
        resource_type: "subscription",
    },
    EventType {
        name: "service-request-updated",
        description: "A service request's title, description, severity or status changed, or a note was added.",
        operations: &[AuditOperation::UpdateServiceRequest],
        resource_type: "service_request",
    },
    EventType {
        name: TEST_EVENT,
        description: "A test event sent by POST /v1/webhooks/{webhookId}/test.",
        operations: &[],
        resource_type: "webhook",
    },
];

/// The event type a change of `operation_type` produces, if any.
pub fn event_for(operation_type: &str) -> Option<&'static EventType> {
    let operation = AuditOperation::parse(operation_type)?;
    EVENT_TYPES
        .iter()
        .find(|e| e.operations.contains(&operation))
}

/// Whether `name` is an event type.
pub fn is_event_type(name: &str) -> bool {
    EVENT_TYPES.iter().any(|e| e.name == name)
}

/// A new signing secret: `whsec_` + base64 of 32 random bytes (Standard Webhooks).
pub fn new_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    format!("whsec_{}", STANDARD.encode(bytes))
}

thread_local! {
    /// The id of the change (outermost transaction) running on this thread, if any.
    static CHANGE: Cell<Option<Uuid>> = const { Cell::new(None) };
    /// The enabled endpoints of each partner an event of the running change went to.
    static ENDPOINTS: std::cell::RefCell<std::collections::HashMap<Id, Vec<WebhookRow>>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// Runs `f` as one change: every event recorded inside it (however many audit records the change
/// writes) shares a server-generated change id, so each partner gets one event per change.
/// [`db::transaction`](crate::db::transaction) wraps every transaction in it; nested calls join
/// the outer change. Never derived from anything the client sends (such as `X-Request-Id`), so
/// two changes can never be mistaken for one.
pub fn change_scope<T>(f: impl FnOnce() -> T) -> T {
    if CHANGE.get().is_some() {
        return f();
    }
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            CHANGE.set(None);
            ENDPOINTS.with_borrow_mut(|cache| cache.clear());
        }
    }
    CHANGE.set(Some(Uuid::now_v7()));
    let _reset = Reset;
    f()
}

/// The outbox: writes the event of `audit` (if its operation is an event type) for every partner
/// that can see the resource, and a pending delivery for each of their enabled endpoints that
/// subscribe to it. `known` is the resource as GET answers it and `known_subscription` the
/// subscription row, when the change has them at hand. Called by `Audit::write` inside the
/// change's transaction; a change that writes several audit records (one per partner involved)
/// still gives each partner one event.
pub fn record(
    conn: &mut AnyConnection,
    audit: &AuditRow,
    known: Option<Value>,
    known_subscription: Option<SubscriptionRow>,
) -> Result<(), ApiError> {
    let Some(event_type) = event_for(&audit.operation_type) else {
        return Ok(());
    };
    // A subscription is read at most once, for its snapshot and for who may see it (not at all
    // when the change passed the row it wrote).
    let subscription = match (event_type.resource_type, audit.customer_id) {
        ("subscription", _) if known_subscription.is_some() => known_subscription,
        ("subscription", Some(c)) => SubscriptionRow::find(conn, c.uuid(), resource_id(audit)?)?,
        _ => None,
    };
    let resource = match known {
        Some(resource) => resource,
        None => resource_snapshot(conn, event_type.resource_type, audit, subscription.clone())?,
    };
    let change = CHANGE.get().unwrap_or_else(Uuid::now_v7);
    let change_key = format!("{change}/{}/{}", audit.operation_type, audit.resource_id);
    for (partner, sees) in recipients(conn, event_type.resource_type, audit, subscription.as_ref())?
    {
        let resource = if sees {
            resource.clone()
        } else {
            minimal(event_type, audit, &resource)
        };
        let payload = Payload {
            event_type: event_type.name,
            resource_uri: resource_uri(event_type.resource_type, audit),
            resource_name: event_type.resource_type,
            audit_uri: format!(
                "/v1/audit-records?resourceType={}&operationType={}",
                audit.resource_type, audit.operation_type
            ),
            changed_at: audit.created_at,
            partner_id: partner.as_str(),
            customer_id: audit.customer_id.as_ref().map(Id::as_str),
        }
        .json(resource);
        // A change that writes several audit records (one per partner involved) gives each
        // partner one event: the first insert of the (partner, change) pair wins.
        enqueue(conn, &partner, event_type.name, &change_key, payload, None)?;
    }
    Ok(())
}

/// The parts of an event body (Standard Webhooks: `{type, timestamp, data}`).
#[derive(Debug)]
pub struct Payload<'a> {
    /// The event type.
    pub event_type: &'a str,
    /// Where to GET the resource.
    pub resource_uri: String,
    /// Its resource type.
    pub resource_name: &'a str,
    /// The audit records of the change.
    pub audit_uri: String,
    /// When the change committed.
    pub changed_at: chrono::NaiveDateTime,
    /// The receiving partner.
    pub partner_id: &'a str,
    /// The customer concerned.
    pub customer_id: Option<&'a str>,
}

impl Payload<'_> {
    /// The body, with `resource` (the resource as a GET of `resource_uri` returns it).
    pub fn json(&self, resource: Value) -> Value {
        let at = crate::models::utc(self.changed_at);
        json!({
            "type": self.event_type,
            "timestamp": at,
            "data": {
                "resourceUri": self.resource_uri,
                "resourceName": self.resource_name,
                "auditUri": self.audit_uri,
                "changedAt": at,
                "partnerId": self.partner_id,
                "customerId": self.customer_id,
                "resource": resource,
            }
        })
    }
}

/// Writes one event for `partner` and a delivery for each endpoint that should get it (only
/// `only` when given, e.g. the test event). Returns the event.
pub fn enqueue(
    conn: &mut AnyConnection,
    partner: &Id,
    event_type: &str,
    change_key: &str,
    payload: Value,
    only: Option<&WebhookRow>,
) -> Result<Option<EventRow>, ApiError> {
    let t = crate::models::now();
    let event = EventRow {
        id: format!("msg_{}", Uuid::now_v7().simple()),
        partner_id: *partner,
        event_type: event_type.to_owned(),
        change_key: change_key.to_owned(),
        payload: payload.to_string(),
        created_at: t,
    };
    if !EventRow::insert_once(conn, &event)? {
        return Ok(None);
    }
    let endpoints = match only {
        Some(w) => vec![w.clone()],
        None => enabled_endpoints(conn, partner)?
            .into_iter()
            .filter(|w| w.wants(event_type))
            .collect(),
    };
    for w in endpoints {
        DeliveryRow::insert(conn, &DeliveryRow::new(&w.id, &event, t))?;
    }
    Ok(Some(event))
}

/// A partner's enabled endpoints, read once per change (an order's events all go to the same
/// partners) and forgotten when the change ends.
fn enabled_endpoints(conn: &mut AnyConnection, partner: &Id) -> Result<Vec<WebhookRow>, ApiError> {
    if let Some(found) = ENDPOINTS.with_borrow(|cache| cache.get(partner).cloned()) {
        return Ok(found);
    }
    let found = WebhookRow::enabled_for_partner(conn, partner)?;
    if CHANGE.get().is_some() {
        ENDPOINTS.with_borrow_mut(|cache| cache.insert(*partner, found.clone()));
    }
    Ok(found)
}

fn resource_uri(resource_type: &str, audit: &AuditRow) -> String {
    let customer = audit
        .customer_id
        .as_ref()
        .map(Id::as_str)
        .unwrap_or_default();
    let id = &audit.resource_id;
    match resource_type {
        "customer" => format!("/v1/customers/{id}"),
        "subscription" => format!("/v1/customers/{customer}/subscriptions/{id}"),
        "order" => format!("/v1/customers/{customer}/orders/{id}"),
        "service_request" => format!("/v1/customers/{customer}/service-requests/{id}"),
        "customer_relationship" => format!("/v1/customers/{customer}/relationships"),
        "partnership" => "/v1/indirect-resellers".to_owned(),
        _ => String::new(),
    }
}

/// The partners that receive the event, each with whether it can see the resource after the
/// change (product.md §5): a customer's partners with a relationship, a subscription's billing
/// partner, reseller of record and support contact see it; the audit record's partner (the one
/// the change is recorded for) is told too, but when the change took the resource away from it
/// (e.g. it is no longer the support contact) it is not among those who see it.
fn recipients(
    conn: &mut AnyConnection,
    resource_type: &str,
    audit: &AuditRow,
    subscription: Option<&SubscriptionRow>,
) -> Result<Vec<(Id, bool)>, ApiError> {
    let mut seeing: Vec<Id> = Vec::new();
    let customer = audit.customer_id.map(Id::uuid);
    let restricted = match (resource_type, customer) {
        ("customer", Some(c)) => {
            seeing.extend(
                RelationshipRow::for_customer(conn, c)?
                    .into_iter()
                    .map(|r| r.partner_id),
            );
            true
        }
        ("subscription", Some(_)) => {
            if let Some(s) = subscription {
                seeing.push(s.billing_partner_id);
                seeing.extend(s.partner_id_on_record);
                seeing.push(s.support_contact_partner_id);
            }
            true
        }
        _ => false,
    };
    let mut out: Vec<(Id, bool)> = Vec::new();
    if let Some(p) = &audit.partner_id {
        out.push((*p, !restricted || seeing.contains(p)));
    }
    for p in seeing {
        if !out.iter().any(|(o, _)| *o == p) {
            out.push((p, true));
        }
    }
    Ok(out)
}

/// What a partner that cannot see the resource after the change is told: the resource's id and
/// the field the event is about (for `support-contact-updated`, the new support contact), never
/// the snapshot.
fn minimal(event_type: &EventType, audit: &AuditRow, resource: &Value) -> Value {
    let mut out = serde_json::Map::new();
    out.insert("id".to_owned(), Value::from(audit.resource_id.as_str()));
    let field = match event_type.name {
        "support-contact-updated" => Some("supportContactPartnerId"),
        "subscription-updated" => Some("partnerIdOnRecord"),
        _ => None,
    };
    if let Some(f) = field {
        out.insert(
            f.to_owned(),
            resource.get(f).cloned().unwrap_or(Value::Null),
        );
    }
    Value::Object(out)
}

/// The resource as a GET of its URI returns it; for relationships and partnerships, which have
/// no single GET, the audit record's new (or old) value.
fn resource_snapshot(
    conn: &mut AnyConnection,
    resource_type: &str,
    audit: &AuditRow,
    subscription: Option<SubscriptionRow>,
) -> Result<Value, ApiError> {
    use crate::handlers;
    let id = resource_id(audit)?;
    let customer = audit.customer_id.map(Id::uuid);
    let partner = audit.partner_id.map(Id::uuid);
    let loaded = match (resource_type, customer, partner) {
        ("customer", _, _) => CustomerRow::find(conn, id)?
            .map(|r| serde_json::to_value(handlers::customers::Customer::from(r))),
        ("subscription", Some(_), _) => match subscription {
            Some(r) => Some(serde_json::to_value(
                handlers::subscriptions::Subscription::one(conn, r)?.1,
            )),
            None => None,
        },
        ("order", Some(c), Some(p)) => match OrderRow::find(conn, p, c, id)? {
            Some(r) => Some(serde_json::to_value(handlers::orders::Order::try_from(r)?)),
            None => None,
        },
        ("service_request", Some(c), Some(p)) => ServiceRequestRow::find(conn, c, p, id)?
            .map(|r| serde_json::to_value(handlers::service_requests::ServiceRequest::from(r))),
        _ => None,
    };
    match loaded {
        Some(v) => v.map_err(|e| ApiError::internal(format!("event snapshot: {e}"))),
        None => Ok(audit
            .new_value
            .as_deref()
            .or(audit.old_value.as_deref())
            .and_then(|v| serde_json::from_str(v).ok())
            .unwrap_or(Value::Null)),
    }
}

/// The audited resource's id; one that is not a UUID is an internal error, never a nil id.
fn resource_id(audit: &AuditRow) -> Result<Uuid, ApiError> {
    audit
        .resource_id
        .parse()
        .map_err(|e| ApiError::internal(format!("audit resource id {:?}: {e}", audit.resource_id)))
}

/// How long resolving a target's host name may take.
pub const DNS_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Why a target URL is refused (SSRF guard, OWASP API7), or `None` when it may be called.
/// `https://` only, and no loopback, private, link-local, unspecified or metadata address among
/// what the host resolves to; `allow_private` (`WEBHOOK_ALLOW_PRIVATE_TARGETS`) also allows
/// `http://` and those addresses (demos and tests).
pub async fn refused_target(url: &str, allow_private: bool) -> Option<String> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Some("must be an absolute https:// URL".to_owned());
    };
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && !(allow_private && scheme == "http") {
        return Some("must be an https:// URL".to_owned());
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty() || authority.contains('@') {
        return Some("must name a host (and no user information)".to_owned());
    }
    let Some((host, port)) = split_host_port(authority, if scheme == "https" { 443 } else { 80 })
    else {
        return Some("must have a valid host and port".to_owned());
    };
    if allow_private {
        return None;
    }
    let addrs: Vec<IpAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => {
            match tokio::time::timeout(DNS_TIMEOUT, tokio::net::lookup_host((host.as_str(), port)))
                .await
            {
                Ok(Ok(it)) => it.map(|a| a.ip()).collect(),
                Ok(Err(_)) => return Some(format!("host {host} does not resolve")),
                Err(_) => return Some(format!("resolving host {host} timed out")),
            }
        }
    };
    if addrs.is_empty() {
        return Some(format!("host {host} does not resolve"));
    }
    addrs
        .iter()
        .find(|ip| !is_public(ip))
        .map(|ip| format!("must be a public address ({host} resolves to {ip})"))
}

fn split_host_port(authority: &str, default: u16) -> Option<(String, u16)> {
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None => default,
        };
        return Some((host.to_owned(), port));
    }
    match authority.rsplit_once(':') {
        Some((h, p)) => Some((h.to_ascii_lowercase(), p.parse().ok()?)),
        None => Some((authority.to_ascii_lowercase(), default)),
    }
}

/// Whether `ip` is a public unicast address (not loopback, private, link-local, CGNAT,
/// unspecified, multicast, documentation, IETF protocol assignments, or the cloud metadata
/// address 169.254.169.254). IPv6 forms that embed an IPv4 address (IPv4-mapped, IPv4-compatible,
/// NAT64 `64:ff9b::/96`, 6to4 `2002::/16`, Teredo) are judged by that address; site-local
/// `fec0::/10`, local-use NAT64 `64:ff9b:1::/48` and documentation `2001:db8::/32` are refused.
pub fn is_public(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                || (o[0] == 192 && o[1] == 88 && o[2] == 99)
                || (o[0] == 198 && (o[1] == 18 || o[1] == 19))
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = embedded_ipv4(v6) {
                return is_public(&IpAddr::V4(v4));
            }
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] & 0xffc0) == 0xfec0
                || (s[0] == 0x0064 && s[1] == 0xff9b && s[2] == 0x0001)
                || (s[0] == 0x2001 && s[1] == 0x0db8)
                || (s[0] == 0xfd00 && s[1] == 0x0ec2))
        }
    }
}

/// The IPv4 address an IPv6 address stands for, if it is one of the forms that embed one:
/// IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d` (not `::` or `::1`), NAT64
/// `64:ff9b::a.b.c.d`, 6to4 `2002:aabb:ccdd::/48`, Teredo `2001:0::/32` (client address, inverted).
fn embedded_ipv4(v6: &std::net::Ipv6Addr) -> Option<std::net::Ipv4Addr> {
    use std::net::Ipv4Addr;
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = v6.segments();
    let low = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    if s[..6].iter().all(|x| *x == 0) && !(v6.is_unspecified() || v6.is_loopback()) {
        return Some(low(s[6], s[7]));
    }
    if s[0] == 0x0064 && s[1] == 0xff9b && s[2..6].iter().all(|x| *x == 0) {
        return Some(low(s[6], s[7]));
    }
    if s[0] == 0x2002 {
        return Some(low(s[1], s[2]));
    }
    if s[0] == 0x2001 && s[1] == 0 {
        return Some(low(!s[6], !s[7]));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_public_refuses_loopback_private_link_local_and_metadata() {
        for ip in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "fd00:ec2::254",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b::127.0.0.1",
            "64:ff9b:1::5db8:d822",
            "2002:a00:1::1",
            "2002:7f00:1::",
            "::127.0.0.1",
            "::10.0.0.1",
            "::a9fe:a9fe",
            "fec0::1",
            "feff::1",
            "2001:db8::1",
            "2001:0:4136:e378:8000:63bf:80ff:fffe",
            "192.0.0.1",
            "192.0.0.170",
        ] {
            assert!(!is_public(&ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "93.184.216.34",
            "2606:4700::1111",
            "64:ff9b::5db8:d822",
            "2002:5db8:d822::1",
            "::93.184.216.34",
            "192.0.1.1",
        ] {
            assert!(is_public(&ip.parse().unwrap()), "{ip}");
        }
    }

    #[tokio::test]
    async fn refused_target_needs_https_and_a_public_host() {
        assert!(
            refused_target("http://93.184.216.34/x", false)
                .await
                .is_some()
        );
        assert!(
            refused_target("https://127.0.0.1:8443/x", false)
                .await
                .is_some()
        );
        assert!(
            refused_target("https://user@93.184.216.34/x", false)
                .await
                .is_some()
        );
        assert!(
            refused_target("ftp://93.184.216.34/x", true)
                .await
                .is_some()
        );
        assert!(
            refused_target("https://93.184.216.34/x", false)
                .await
                .is_none()
        );
        assert!(refused_target("http://127.0.0.1:9/x", true).await.is_none());
    }

    #[test]
    fn every_event_type_but_the_test_event_comes_from_an_audit_operation() {
        for e in EVENT_TYPES {
            assert_eq!(e.operations.is_empty(), e.name == TEST_EVENT, "{}", e.name);
            for op in e.operations {
                assert_eq!(event_for(op.as_str()).map(|x| x.name), Some(e.name));
            }
        }
        assert!(event_for("create_user").is_none());
    }
}
