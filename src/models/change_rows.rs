//! What a change writes at its commit (`crate::change::Change`): its audit records, their
//! webhook events and the events' deliveries. On PostgreSQL the three inserts go out as ONE
//! prepared statement (a data-modifying `WITH`), so however many records a change holds its
//! bookkeeping costs one round trip; on SQLite (in-process, no round trips) as three multi-row
//! inserts.

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Integer, Nullable, Text, Timestamp};

use super::audit::AuditRow;
use super::webhook::{DeliveryRow, EventRow};
use crate::db::AnyConnection;
use crate::schema::{audit_records, webhook_deliveries, webhook_events};

/// Writes `audits`, `events` and `deliveries` (each may be empty).
pub fn insert(
    conn: &mut AnyConnection,
    audits: &[AuditRow],
    events: &[EventRow],
    deliveries: &[DeliveryRow],
) -> QueryResult<()> {
    match conn {
        AnyConnection::Postgresql(c) => insert_pg(c, audits, events, deliveries),
        AnyConnection::Sqlite(c) => {
            if !audits.is_empty() {
                diesel::insert_into(audit_records::table)
                    .values(audits)
                    .execute(c)?;
            }
            if !events.is_empty() {
                diesel::insert_into(webhook_events::table)
                    .values(events)
                    .execute(c)?;
            }
            if !deliveries.is_empty() {
                diesel::insert_into(webhook_deliveries::table)
                    .values(deliveries)
                    .execute(c)?;
            }
            Ok(())
        }
    }
}

const AUDIT_COLUMNS: &str = "audit_records (id, partner_id, customer_id, actor_type, actor_id, \
     actor_name, operation_type, resource_type, resource_id, old_value, new_value, request_id, \
     created_at)";
const EVENT_COLUMNS: &str =
    "webhook_events (id, partner_id, event_type, change_key, payload, created_at)";
const DELIVERY_COLUMNS: &str = "webhook_deliveries (id, webhook_id, event_id, event_type, \
     status, attempts, next_attempt_at, last_status_code, last_error, created_at, updated_at, \
     claim_token)";

/// The one statement of a change's bookkeeping on PostgreSQL: each insert but the last is a
/// member of a `WITH`. Its SQL depends only on how many rows of each kind it writes, so diesel
/// prepares it once per shape and connection (a one-line order always writes the same shape) and
/// afterwards only binds.
struct Bookkeeping<'a> {
    audits: &'a [AuditRow],
    events: &'a [EventRow],
    deliveries: &'a [DeliveryRow],
}

impl QueryId for Bookkeeping<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl QueryFragment<Pg> for Bookkeeping<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let parts = [
            (AUDIT_COLUMNS, self.audits.len()),
            (EVENT_COLUMNS, self.events.len()),
            (DELIVERY_COLUMNS, self.deliveries.len()),
        ];
        let present = parts.iter().filter(|(_, n)| *n > 0).count();
        let mut written = 0;
        for (part, (columns, rows)) in parts.into_iter().enumerate() {
            if rows == 0 {
                continue;
            }
            written += 1;
            let last = written == present;
            if !last {
                out.push_sql(if written == 1 { "WITH " } else { ", " });
                out.push_sql(&format!("w{written} AS ("));
            }
            out.push_sql("INSERT INTO ");
            out.push_sql(columns);
            out.push_sql(" VALUES ");
            for r in 0..rows {
                out.push_sql(if r == 0 { "(" } else { ", (" });
                match part {
                    0 => audit_values(&mut out, &self.audits[r])?,
                    1 => event_values(&mut out, &self.events[r])?,
                    _ => delivery_values(&mut out, &self.deliveries[r])?,
                }
                out.push_sql(")");
            }
            if !last {
                out.push_sql(") ");
            }
        }
        Ok(())
    }
}

fn audit_values<'b>(out: &mut AstPass<'_, 'b, Pg>, a: &'b AuditRow) -> QueryResult<()> {
    out.push_bind_param::<Text, _>(&a.id)?;
    out.push_sql(", ");
    out.push_bind_param::<Nullable<Text>, _>(&a.partner_id)?;
    out.push_sql(", ");
    out.push_bind_param::<Nullable<Text>, _>(&a.customer_id)?;
    out.push_sql(", ");
    out.push_bind_param::<Text, _>(&a.actor_type)?;
    out.push_sql(", ");
    out.push_bind_param::<Nullable<Text>, _>(&a.actor_id)?;
    out.push_sql(", ");
    out.push_bind_param::<Text, _>(&a.actor_name)?;
    out.push_sql(", ");
    out.push_bind_param::<Text, _>(&a.operation_type)?;
    out.push_sql(", ");
    out.push_bind_param::<Text, _>(&a.resource_type)?;
    out.push_sql(", ");
    out.push_bind_param::<Text, _>(&a.resource_id)?;
    out.push_sql(", ");
    out.push_bind_param::<Nullable<Text>, _>(&a.old_value)?;
    out.push_sql(", ");
    out.push_bind_param::<Nullable<Text>, _>(&a.new_value)?;
    out.push_sql(", ");
    out.push_bind_param::<Text, _>(&a.request_id)?;
    out.push_sql(", ");
    out.push_bind_param::<Timestamp, _>(&a.created_at)
}

fn event_values<'b>(out: &mut AstPass<'_, 'b, Pg>, e: &'b EventRow) -> QueryResult<()> {
    out.push_bind_param::<Text, _>(&e.id)?;
    out.push_sql(", ");
    out.push_bind_param::<Text, _>(&e.partner_id)?;
    out.push_sql(", ");
    out.push_bind_param::<Text, _>(&e.event_type)?;
    out.push_sql(", ");
    out.push_bind_param::<Text, _>(&e.change_key)?;
    out.push_sql(", ");
    out.push_bind_param::<Text, _>(&e.payload)?;
    out.push_sql(", ");
    out.push_bind_param::<Timestamp, _>(&e.created_at)
}

fn delivery_values<'b>(out: &mut AstPass<'_, 'b, Pg>, d: &'b DeliveryRow) -> QueryResult<()> {
    out.push_bind_param::<Text, _>(&d.id)?;
    out.push_sql(", ");
    out.push_bind_param::<Text, _>(&d.webhook_id)?;
    out.push_sql(", ");
    out.push_bind_param::<Text, _>(&d.event_id)?;
    out.push_sql(", ");
    out.push_bind_param::<Text, _>(&d.event_type)?;
    out.push_sql(", ");
    out.push_bind_param::<Text, _>(&d.status)?;
    out.push_sql(", ");
    out.push_bind_param::<Integer, _>(&d.attempts)?;
    out.push_sql(", ");
    out.push_bind_param::<Nullable<Timestamp>, _>(&d.next_attempt_at)?;
    out.push_sql(", ");
    out.push_bind_param::<Nullable<Integer>, _>(&d.last_status_code)?;
    out.push_sql(", ");
    out.push_bind_param::<Nullable<Text>, _>(&d.last_error)?;
    out.push_sql(", ");
    out.push_bind_param::<Timestamp, _>(&d.created_at)?;
    out.push_sql(", ");
    out.push_bind_param::<Timestamp, _>(&d.updated_at)?;
    out.push_sql(", ");
    out.push_bind_param::<Nullable<Text>, _>(&d.claim_token)
}

fn insert_pg(
    conn: &mut PgConnection,
    audits: &[AuditRow],
    events: &[EventRow],
    deliveries: &[DeliveryRow],
) -> QueryResult<()> {
    if audits.is_empty() && events.is_empty() && deliveries.is_empty() {
        return Ok(());
    }
    Bookkeeping {
        audits,
        events,
        deliveries,
    }
    .execute(conn)
    .map(drop)
}

impl<Conn> RunQueryDsl<Conn> for Bookkeeping<'_> {}
