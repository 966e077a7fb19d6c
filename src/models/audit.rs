//! `audit_records`: one row per state change, written in the same transaction as the change
//! (docs/concepts.md#audit-records-and-events), readable by the partner it is recorded for.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::value::RawValue;
use uuid::Uuid;

use crate::db::AnyConnection;
use crate::domain::{AuditOperation, Id};
use crate::schema::audit_records as audit;

/// An audit record.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit)]
#[diesel(treat_none_as_default_value = false)]
pub struct AuditRow {
    pub id: Id,
    pub partner_id: Option<Id>,
    pub customer_id: Option<Id>,
    pub actor_type: String,
    pub actor_id: Option<Id>,
    pub actor_name: String,
    pub operation_type: String,
    pub resource_type: String,
    /// The audited resource's id (written from an [`Id`]; read back as stored).
    pub resource_id: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub request_id: String,
    pub created_at: NaiveDateTime,
}

/// Who made a change: a principal, or the system (CLI, demo seeding).
#[derive(Debug, Clone)]
pub struct Actor {
    /// `user`, `application` or `system`.
    pub kind: &'static str,
    /// The user's or application's id.
    pub id: Option<Uuid>,
    /// Display name.
    pub name: String,
    /// The partner the actor belongs to, the default partner of its records.
    pub partner_id: Option<Uuid>,
    /// The request id.
    pub request_id: String,
}

impl Actor {
    /// The CLI or the server itself.
    pub fn system(what: &str) -> Actor {
        Actor {
            kind: "system",
            id: None,
            name: what.to_owned(),
            partner_id: None,
            request_id: format!("cli-{}", Uuid::now_v7()),
        }
    }

    /// The same actor for the request `request_id`.
    pub fn with_request_id(mut self, request_id: String) -> Actor {
        self.request_id = request_id;
        self
    }

    /// A user acting for itself without a token (changing its own password).
    pub fn user(user: &super::user::UserRow, request_id: String) -> Actor {
        Actor {
            kind: "user",
            id: Some(user.id.uuid()),
            name: user.display_name.clone(),
            partner_id: user.partner_id.map(Id::uuid),
            request_id,
        }
    }
}

/// An audit record of a change: `change.audit(Audit::new(AuditOperation::X, id).customer(c).new_value(v))`.
#[derive(Debug)]
pub struct Audit {
    operation: AuditOperation,
    resource_id: Id,
    partner_id: Option<Uuid>,
    customer_id: Option<Uuid>,
    old_value: Option<String>,
    new_value: Option<String>,
    resource: Option<Box<RawValue>>,
    subscription: Option<super::subscription::SubscriptionRow>,
    at: Option<NaiveDateTime>,
}

impl Audit {
    /// A record of `operation` on the resource `resource_id` (its type comes with the operation).
    pub fn new(operation: AuditOperation, resource_id: impl Into<Id>) -> Audit {
        Audit {
            operation,
            resource_id: resource_id.into(),
            partner_id: None,
            customer_id: None,
            old_value: None,
            new_value: None,
            resource: None,
            subscription: None,
            at: None,
        }
    }

    /// When the change happened, when it is not now: the time of a record the change wrote
    /// set-based and announces (`crate::change::Change::announce`).
    pub fn at(mut self, t: NaiveDateTime) -> Audit {
        self.at = Some(t);
        self
    }

    /// The partner the record is for (default: the actor's partner).
    pub fn partner(mut self, id: Uuid) -> Audit {
        self.partner_id = Some(id);
        self
    }

    /// The customer concerned.
    pub fn customer(mut self, id: Uuid) -> Audit {
        self.customer_id = Some(id);
        self
    }

    /// The value before the change.
    pub fn old_value(mut self, v: impl Serialize) -> Audit {
        self.old_value = serde_json::to_string(&v).ok();
        self
    }

    /// The value after the change.
    pub fn new_value(mut self, v: impl Serialize) -> Audit {
        self.new_value = serde_json::to_string(&v).ok();
        self
    }

    /// The resource after the change as a GET of it answers, when the caller has it at hand: the
    /// change's webhook event carries it (docs/api-guide.md#webhooks) without reading it again.
    /// It is serialized once, here: each recipient's event embeds the same JSON text.
    pub fn resource(mut self, v: impl Serialize) -> Audit {
        self.resource = serde_json::value::to_raw_value(&v).ok();
        self
    }

    /// The subscription row after the change, when the caller has just written it: the event's
    /// recipients (billing partner, reseller of record, support contact) come from it instead of
    /// reading it again (one statement less per subscription an order creates).
    pub fn subscription(mut self, row: super::subscription::SubscriptionRow) -> Audit {
        self.subscription = Some(row);
        self
    }

    /// The row to write for `actor`, and what the change knows of the resource for its event
    /// (`crate::change::Change` buffers records and writes them at commit).
    pub fn into_row(self, actor: &Actor) -> (AuditRow, Known) {
        let row = AuditRow {
            id: super::ids::new(),
            partner_id: self.partner_id.or(actor.partner_id).map(Id::from),
            customer_id: self.customer_id.map(Id::from),
            actor_type: actor.kind.to_owned(),
            actor_id: actor.id.map(Id::from),
            actor_name: actor.name.clone(),
            operation_type: self.operation.as_str().to_owned(),
            resource_type: self.operation.resource_type().to_owned(),
            resource_id: self.resource_id.to_string(),
            old_value: self.old_value,
            new_value: self.new_value,
            request_id: actor.request_id.clone(),
            created_at: self.at.unwrap_or_else(super::now),
        };
        let known = Known {
            resource: self.resource,
            subscription: self.subscription,
        };
        (row, known)
    }
}

/// What a change already holds of an audited resource after it, so its event needs no read.
#[derive(Debug, Default)]
pub struct Known {
    /// The resource as a GET of it answers, as JSON text.
    pub resource: Option<Box<RawValue>>,
    /// The subscription row the change wrote.
    pub subscription: Option<super::subscription::SubscriptionRow>,
}

/// Filters for reading audit records (docs/concepts.md#audit-records-and-events).
#[derive(Debug, Default)]
pub struct AuditFilter {
    /// Inclusive lower bound on the time.
    pub from: Option<NaiveDateTime>,
    /// Exclusive upper bound on the time.
    pub to: Option<NaiveDateTime>,
    /// Only records about this customer.
    pub customer_id: Option<Uuid>,
    /// Only this resource type.
    pub resource_type: Option<String>,
    /// Only this operation type.
    pub operation_type: Option<String>,
}

impl AuditRow {
    /// Deletes at most `limit` of the oldest audit records made before `cutoff`. Ids are
    /// time-ordered (UUIDv7), so the primary key finds them: every id below the smallest id of
    /// `cutoff`'s millisecond, its `created_at` checked too. PostgreSQL skips rows another
    /// replica's purge holds.
    pub fn purge_before(
        conn: &mut AnyConnection,
        cutoff: NaiveDateTime,
        limit: i64,
    ) -> QueryResult<usize> {
        let ms = cutoff.and_utc().timestamp_millis().max(0) as u64;
        let below = format!(
            "{:08x}-{:04x}-0000-0000-000000000000",
            ms >> 16,
            ms & 0xffff
        );
        let lock = if matches!(conn, AnyConnection::Postgresql(_)) {
            " FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        super::raw::execute(
            conn,
            &format!(
                "DELETE FROM audit_records WHERE id IN (SELECT id FROM audit_records \
                 WHERE id < ? AND created_at < ? ORDER BY id LIMIT ?{lock})"
            ),
            vec![
                super::raw::Arg::Text(below),
                super::raw::Arg::Time(cutoff),
                super::raw::Arg::Int(limit),
            ],
        )
    }

    /// One keyset page (by id, oldest first) of a partner's audit records.
    pub fn page(
        conn: &mut AnyConnection,
        partner_id: Uuid,
        filter: &AuditFilter,
        after: Option<&str>,
        limit: i64,
    ) -> QueryResult<Vec<AuditRow>> {
        let mut q = audit::table
            .filter(audit::partner_id.eq(Id::from(partner_id)))
            .select(AuditRow::as_select())
            .into_boxed();
        if let Some(from) = filter.from {
            q = q.filter(audit::created_at.ge(from));
        }
        if let Some(to) = filter.to {
            q = q.filter(audit::created_at.lt(to));
        }
        if let Some(c) = filter.customer_id {
            q = q.filter(audit::customer_id.eq(Id::from(c)));
        }
        if let Some(r) = &filter.resource_type {
            q = q.filter(audit::resource_type.eq(r.clone()));
        }
        if let Some(o) = &filter.operation_type {
            q = q.filter(audit::operation_type.eq(o.clone()));
        }
        if let Some(after) = after {
            q = q.filter(audit::id.gt(after.to_owned()));
        }
        q.order(audit::id.asc()).limit(limit).load(conn)
    }
}
