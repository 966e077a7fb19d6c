//! What a change writes at its commit (`crate::change::Change`): its audit records, their
//! webhook events and the events' deliveries. On PostgreSQL the three inserts go out as ONE
//! statement (a data-modifying `WITH`), so however many records a change holds its bookkeeping
//! costs one round trip; on SQLite (in-process, no round trips) as three multi-row inserts.

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::BoxedSqlQuery;
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

/// The SQL of one statement and its binds, built together so a placeholder never drifts from
/// its value.
struct Statement<'a> {
    sql: String,
    query: Option<BoxedSqlQuery<'a, Pg, diesel::query_builder::SqlQuery>>,
    binds: usize,
}

impl<'a> Statement<'a> {
    /// Appends `INSERT INTO <columns> VALUES (…), (…)` with `width` placeholders per row.
    fn values(&mut self, columns: &str, rows: usize, width: usize) {
        self.sql.push_str("INSERT INTO ");
        self.sql.push_str(columns);
        self.sql.push_str(" VALUES ");
        for r in 0..rows {
            self.sql.push_str(if r == 0 { "(" } else { ", (" });
            for c in 0..width {
                if c > 0 {
                    self.sql.push_str(", ");
                }
                self.binds += 1;
                self.sql.push('$');
                self.sql.push_str(&self.binds.to_string());
            }
            self.sql.push(')');
        }
    }

    fn bind<T, V>(&mut self, value: V)
    where
        V: diesel::serialize::ToSql<T, Pg> + Send + 'a,
        T: diesel::sql_types::SqlType + diesel::query_builder::QueryId + Send + 'static,
        Pg: diesel::sql_types::HasSqlType<T>,
    {
        let q = self.query.take().expect("query present while binding");
        self.query = Some(q.bind::<T, V>(value));
    }
}

fn insert_pg(
    conn: &mut PgConnection,
    audits: &[AuditRow],
    events: &[EventRow],
    deliveries: &[DeliveryRow],
) -> QueryResult<()> {
    // Each insert but the last is a `WITH` member; the last is the statement itself.
    let parts: Vec<(&str, usize, usize)> = [
        (AUDIT_COLUMNS, audits.len(), 13),
        (EVENT_COLUMNS, events.len(), 6),
        (DELIVERY_COLUMNS, deliveries.len(), 12),
    ]
    .into_iter()
    .filter(|(_, rows, _)| *rows > 0)
    .collect();
    let Some((last, init)) = parts.split_last() else {
        return Ok(());
    };
    let mut st = Statement {
        sql: String::new(),
        query: None,
        binds: 0,
    };
    for (i, (columns, rows, width)) in init.iter().enumerate() {
        st.sql.push_str(if i == 0 { "WITH " } else { ", " });
        st.sql.push_str(&format!("w{i} AS ("));
        st.values(columns, *rows, *width);
        st.sql.push_str(")\n");
    }
    st.values(last.0, last.1, last.2);
    st.query = Some(diesel::sql_query(st.sql.clone()).into_boxed());
    for a in audits {
        st.bind::<Text, _>(a.id.as_str().to_owned());
        st.bind::<Nullable<Text>, _>(a.partner_id.map(|p| p.as_str().to_owned()));
        st.bind::<Nullable<Text>, _>(a.customer_id.map(|c| c.as_str().to_owned()));
        st.bind::<Text, _>(a.actor_type.clone());
        st.bind::<Nullable<Text>, _>(a.actor_id.map(|i| i.as_str().to_owned()));
        st.bind::<Text, _>(a.actor_name.clone());
        st.bind::<Text, _>(a.operation_type.clone());
        st.bind::<Text, _>(a.resource_type.clone());
        st.bind::<Text, _>(a.resource_id.clone());
        st.bind::<Nullable<Text>, _>(a.old_value.clone());
        st.bind::<Nullable<Text>, _>(a.new_value.clone());
        st.bind::<Text, _>(a.request_id.clone());
        st.bind::<Timestamp, _>(a.created_at);
    }
    for e in events {
        st.bind::<Text, _>(e.id.clone());
        st.bind::<Text, _>(e.partner_id.as_str().to_owned());
        st.bind::<Text, _>(e.event_type.clone());
        st.bind::<Text, _>(e.change_key.clone());
        st.bind::<Text, _>(e.payload.clone());
        st.bind::<Timestamp, _>(e.created_at);
    }
    for d in deliveries {
        st.bind::<Text, _>(d.id.as_str().to_owned());
        st.bind::<Text, _>(d.webhook_id.as_str().to_owned());
        st.bind::<Text, _>(d.event_id.clone());
        st.bind::<Text, _>(d.event_type.clone());
        st.bind::<Text, _>(d.status.as_str().to_owned());
        st.bind::<Integer, _>(d.attempts);
        st.bind::<Nullable<Timestamp>, _>(d.next_attempt_at);
        st.bind::<Nullable<Integer>, _>(d.last_status_code);
        st.bind::<Nullable<Text>, _>(d.last_error.clone());
        st.bind::<Timestamp, _>(d.created_at);
        st.bind::<Timestamp, _>(d.updated_at);
        st.bind::<Nullable<Text>, _>(d.claim_token.clone());
    }
    st.query
        .take()
        .expect("query built")
        .execute(conn)
        .map(drop)
}
