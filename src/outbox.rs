//! The transactional outbox (docs/api-guide.md#webhooks): the events of a change and their deliveries,
//! written by [`crate::change::Change`] at commit in the change's own transaction, so an event
//! exists if and only if its change committed. Which change is which event is decided by the
//! catalogue ([`crate::domain::events`]); who receives it by [`recipients`]; what it carries is
//! the resource as a GET of it answers (`crate::api`), or, for a partner that can no longer see
//! it, only its id and the field the event is about.
//!
//! Preparing a change's events reads at most what its audit records do not carry (only when the
//! change did not pass the rows), and, for a change of many records, which of its recipients
//! subscribe (one query, so no payload is built that nobody receives; an endpoint enabled in the
//! instant between that query and the write misses the change's events, as it would had it been
//! enabled just after the commit); the change then writes its audit records and events together
//! and fans the events out to the endpoints subscribed to them (`models::change_rows`, one
//! statement on PostgreSQL); an event no enabled endpoint of its partner subscribes to is not
//! written at all.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;
use uuid::Uuid;

use crate::api;
use crate::db::AnyConnection;
use crate::domain::Id;
use crate::domain::events::{EventType, event_for};
use crate::error::ApiError;
use crate::models::audit::{AuditRow, Known};
use crate::models::change_rows;
use crate::models::customer::CustomerRow;
use crate::models::offer::OfferRow;
use crate::models::order::OrderRow;
use crate::models::relationship::RelationshipRow;
use crate::models::service_request::ServiceRequestRow;
use crate::models::subscription::SubscriptionRow;
use crate::models::test_clock::TestClockRow;
use crate::models::webhook::{DeliveryRow, EventRow, WebhookRow};

/// Records with events from which a change asks which recipients subscribe before it prepares
/// any payload (below it, the write's own filter is cheaper than a query).
const ASK_FIRST_AT: usize = 64;

/// The events of a change's audit records (change id `change`), to be written with the records
/// in the change's transaction (which also fans them out to the endpoints subscribed to them,
/// `models::change_rows`). A change that writes several audit records of one operation on one
/// resource (one per partner involved) still gives each partner one event.
pub fn prepare(
    conn: &mut AnyConnection,
    change: Uuid,
    audits: &[(AuditRow, Known)],
    related: &[(Id, Id)],
) -> Result<Vec<EventRow>, ApiError> {
    let mut events: Vec<EventRow> = Vec::new();
    // Whether a (customer, partner) pair has a relationship, as checked by the change or here.
    let mut related: HashMap<(Id, Id), bool> = related.iter().map(|pair| (*pair, true)).collect();
    // Who would receive each record's event.
    let mut planned = Vec::new();
    for (i, (audit, known)) in audits.iter().enumerate() {
        let Some(event_type) = event_for(&audit.operation_type) else {
            continue;
        };
        // A subscription is read at most once, for its snapshot and for who may see it (not at
        // all when the change passed the row it wrote).
        let subscription = match (event_type.resource_type, audit.customer_id) {
            ("subscription", _) if known.subscription.is_some() => known.subscription.clone(),
            ("subscription", Some(c)) => {
                SubscriptionRow::find(conn, c.uuid(), resource_id(audit)?)?
            }
            _ => None,
        };
        let to = recipients(
            conn,
            event_type.resource_type,
            audit,
            subscription.as_ref(),
            &mut related,
        )?;
        planned.push((i, event_type, subscription, to));
    }
    // A change with many records (a period close audits every statement it issues) first asks
    // which of its recipients subscribe to anything it would send, and prepares only those.
    let wanted = if planned.len() >= ASK_FIRST_AT {
        let mut pairs: Vec<(String, &'static str)> = planned
            .iter()
            .flat_map(|(_, t, _, to)| to.iter().map(|(p, _)| (p.as_str().to_owned(), t.name)))
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        Some(change_rows::subscribed_among(conn, &pairs)?)
    } else {
        None
    };
    let mut seen: HashSet<(Id, String)> = HashSet::new();
    for (i, event_type, subscription, to) in planned {
        let (audit, known) = &audits[i];
        let to: Vec<(Id, bool)> = to
            .into_iter()
            .filter(|(p, _)| {
                wanted.as_ref().is_none_or(|w| {
                    w.contains(&(p.as_str().to_owned(), event_type.name.to_owned()))
                })
            })
            .collect();
        if to.is_empty() {
            continue;
        }
        let resource = match &known.resource {
            Some(resource) => resource.clone(),
            None => raw(&snapshot(
                conn,
                event_type.resource_type,
                audit,
                subscription,
            )?)?,
        };
        let change_key = format!("{change}/{}/{}", audit.operation_type, audit.resource_id);
        for (partner, sees) in to {
            if !seen.insert((partner, change_key.clone())) {
                continue;
            }
            let hidden;
            let resource = if sees {
                &resource
            } else {
                let full: Value = serde_json::from_str(resource.get())
                    .map_err(|e| ApiError::internal(format!("event snapshot: {e}")))?;
                hidden = raw(&minimal(event_type, audit, &full))?;
                &hidden
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
            .json(resource)?;
            events.push(EventRow::new(
                &partner,
                event_type.name,
                change_key.clone(),
                payload,
            ));
        }
    }
    Ok(events)
}

/// Writes one event for `partner` outside the catalogue's changes (the test event of `POST
/// /v1/webhooks/{webhookId}/test`) and its one delivery to `endpoint`. Returns the event.
pub fn write_one(
    conn: &mut AnyConnection,
    partner: &Id,
    event_type: &str,
    change_key: String,
    payload: String,
    endpoint: &WebhookRow,
) -> Result<EventRow, ApiError> {
    let event = EventRow::new(partner, event_type, change_key, payload);
    let delivery = DeliveryRow::new(&endpoint.id, &event, event.created_at);
    change_rows::insert_one(conn, &event, &delivery)?;
    Ok(event)
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
    /// The body, with `resource` (the resource as a GET of `resource_uri` returns it, as JSON
    /// text): `{"type", "timestamp", "data": {"resourceUri", "resourceName", "auditUri",
    /// "changedAt", "partnerId", "customerId", "resource"}}`, written without building a JSON
    /// tree (every change with an event writes one per recipient).
    pub fn json(&self, resource: &RawValue) -> Result<String, ApiError> {
        #[derive(Serialize)]
        struct Body<'b> {
            r#type: &'b str,
            timestamp: chrono::DateTime<chrono::Utc>,
            data: Data<'b>,
        }
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Data<'b> {
            resource_uri: &'b str,
            resource_name: &'b str,
            audit_uri: &'b str,
            changed_at: chrono::DateTime<chrono::Utc>,
            partner_id: &'b str,
            customer_id: Option<&'b str>,
            resource: &'b RawValue,
        }
        let at = crate::models::utc(self.changed_at);
        let body = Body {
            r#type: self.event_type,
            timestamp: at,
            data: Data {
                resource_uri: &self.resource_uri,
                resource_name: self.resource_name,
                audit_uri: &self.audit_uri,
                changed_at: at,
                partner_id: self.partner_id,
                customer_id: self.customer_id,
                resource,
            },
        };
        serde_json::to_string(&body).map_err(|e| ApiError::internal(format!("event body: {e}")))
    }
}

/// `value` as JSON text.
pub fn raw(value: &impl Serialize) -> Result<Box<RawValue>, ApiError> {
    serde_json::value::to_raw_value(value)
        .map_err(|e| ApiError::internal(format!("event snapshot: {e}")))
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
        "statement" => format!("/v1/statements/{id}"),
        "delegated_admin_relationship" => format!("/v1/delegated-admin-relationships/{id}"),
        "delegated_admin_access_assignment" => {
            let relationship = audit
                .new_value
                .as_deref()
                .and_then(|v| serde_json::from_str::<Value>(v).ok())
                .and_then(|v| v["relationshipId"].as_str().map(str::to_owned))
                .unwrap_or_default();
            format!("/v1/delegated-admin-relationships/{relationship}/accessAssignments")
        }
        _ => String::new(),
    }
}

/// The partners that receive the event, each with whether it can see the resource after the
/// change — exactly those a GET of it would answer (docs/concepts.md#roles-and-permissions, `auth::visibility`): a
/// customer's partners with a relationship; a subscription's billing partner, reseller of record
/// and support contact when they have a relationship with its customer (a reseller of record
/// without one gets 404 on GET, so no event). The audit record's partner (the one the change is
/// recorded for) is told too, but when the change took the resource away from it (e.g. it is no
/// longer the support contact) it is not among those who see it. `related` holds the
/// relationships the change has already checked (and those read before); others are read in one
/// statement.
fn recipients(
    conn: &mut AnyConnection,
    resource_type: &str,
    audit: &AuditRow,
    subscription: Option<&SubscriptionRow>,
    related: &mut HashMap<(Id, Id), bool>,
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
        ("subscription", Some(c)) => {
            if let Some(s) = subscription {
                let mut candidates = vec![s.billing_partner_id];
                candidates.extend(s.partner_id_on_record);
                candidates.push(s.support_contact_partner_id);
                candidates.dedup();
                let unknown: Vec<Id> = candidates
                    .iter()
                    .filter(|p| !related.contains_key(&(s.customer_id, **p)))
                    .copied()
                    .collect();
                if !unknown.is_empty() {
                    let found = RelationshipRow::related_among(conn, c, &unknown)?;
                    for p in unknown {
                        related.insert((s.customer_id, p), found.contains(&p));
                    }
                }
                seeing.extend(
                    candidates
                        .into_iter()
                        .filter(|p| related.get(&(s.customer_id, *p)) == Some(&true)),
                );
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
fn snapshot(
    conn: &mut AnyConnection,
    resource_type: &str,
    audit: &AuditRow,
    subscription: Option<SubscriptionRow>,
) -> Result<Value, ApiError> {
    let id = resource_id(audit)?;
    let customer = audit.customer_id.map(Id::uuid);
    let partner = audit.partner_id.map(Id::uuid);
    let loaded = match (resource_type, customer, partner) {
        ("customer", _, _) => CustomerRow::find(conn, id)?
            .map(|r| serde_json::to_value(api::customers::Customer::from(r))),
        ("subscription", Some(_), _) => match subscription {
            Some(row) => {
                let offer_name = OfferRow::find(conn, &row.offer_id)?
                    .map(|o| o.name)
                    .unwrap_or_default();
                let now = TestClockRow::time_on(conn, row.test_clock_id.as_ref())?;
                Some(serde_json::to_value(api::subscriptions::Subscription::new(
                    row, offer_name, now,
                )?))
            }
            None => None,
        },
        ("order", Some(c), Some(p)) => match OrderRow::find(conn, p, c, id)? {
            Some(r) => {
                // Order events go to the provider that placed it: all three price levels.
                let subscriptions: Vec<Id> = r
                    .lines()?
                    .iter()
                    .map(|l| Id::from(l.subscription_id))
                    .collect();
                let prices = crate::models::billing_line::LineItemRow::purchase_prices(
                    conn,
                    &subscriptions,
                )?;
                Some(serde_json::to_value(api::orders::Order::new(
                    r,
                    &prices,
                    crate::domain::billing::PriceView::Provider,
                )?))
            }
            None => None,
        },
        ("service_request", Some(c), Some(p)) => ServiceRequestRow::find(conn, c, p, id)?
            .map(|r| serde_json::to_value(api::service_requests::ServiceRequest::from(r))),
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
