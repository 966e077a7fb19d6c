//! What a change writes at its commit (`crate::change::Change`): the rows it creates and never
//! reads back ([`NewRow`]: an order and its subscriptions), its audit records, its billing
//! line items, those of
//! their webhook events that someone can receive — an event is written only when its partner has
//! an enabled endpoint subscribed to its type at commit ([`SUBSCRIBED`], the one home of that
//! rule), so changes nobody listens to write no payloads — and a pending delivery of each written
//! event to every such endpoint. On PostgreSQL all of
//! it is ONE prepared statement (a data-modifying `WITH` whose deliveries are selected from the
//! events it inserts joined with the endpoints), so a change's bookkeeping costs one round trip
//! however many rows, records and lines it holds and whoever listens; on SQLite (in-process, no
//! round trips) it is one statement per new row and up to four more.
//!
//! A delivery's id is its event's time-ordered id prefix (so the delivery log keeps the order of
//! the events) followed by 64 bits that tell the event's deliveries apart.

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Date, Integer, Nullable, Text, Timestamp};

use std::collections::HashSet;

use super::audit::AuditRow;
use super::billing_line::LineItemRow;
use super::order::OrderRow;
use super::raw::{self, Arg};
use super::subscription::SubscriptionRow;
use super::webhook::{DeliveryRow, EventRow};
use crate::db::AnyConnection;
use crate::schema::{
    audit_records, billing_line_items, orders, subscriptions, webhook_deliveries, webhook_events,
};

/// A row a change creates and never reads back, written at its commit before its billing lines
/// and audit records, which may refer to it (`Change::create`).
#[derive(Debug, Clone)]
pub enum NewRow {
    /// An order (`services::orders::place`).
    Order(Box<OrderRow>),
    /// A subscription of that order.
    Subscription(Box<SubscriptionRow>),
}

impl From<OrderRow> for NewRow {
    fn from(row: OrderRow) -> NewRow {
        NewRow::Order(Box::new(row))
    }
}

impl From<SubscriptionRow> for NewRow {
    fn from(row: SubscriptionRow) -> NewRow {
        NewRow::Subscription(Box::new(row))
    }
}

impl NewRow {
    /// The row's single-row `INSERT`, as a part of [`Bookkeeping`] (a single row's `INSERT` is
    /// prepared once per connection; diesel does not cache a multi-row one).
    fn insert(&self) -> Box<dyn QueryFragment<Pg> + '_> {
        match self {
            NewRow::Order(row) => Box::new(diesel::insert_into(orders::table).values(&**row)),
            NewRow::Subscription(row) => {
                Box::new(diesel::insert_into(subscriptions::table).values(&**row))
            }
        }
    }
}

/// Whether endpoint `w` (a `webhooks` row) subscribes to event `e`'s type: its comma-separated
/// `event_types` hold that name (event type names are lowercase words joined by `-`, so they
/// never hold a `LIKE` wildcard).
const SUBSCRIBED: &str = "w.enabled AND w.partner_id = e.partner_id \
     AND (',' || w.event_types || ',') LIKE ('%,' || e.event_type || ',%')";

/// The columns of a new delivery, in the order the `SELECT`s below produce them.
const DELIVERY_COLUMNS: &str = "webhook_deliveries (id, webhook_id, event_id, event_type, \
     status, attempts, next_attempt_at, created_at, updated_at)";

/// The values of a delivery of event `e` to endpoint `w`, after its id (pending, due at once).
const DELIVERY_VALUES: &str =
    "w.id, e.id, e.event_type, 'pending', 0, e.created_at, e.created_at, e.created_at";

/// Rows of each kind written by one statement at most. A statement binds at most 65,535
/// parameters on PostgreSQL and 32,766 on SQLite; [`CHUNK`] records (13 each), lines (25) and
/// events (6) bind 44,000 (on SQLite each kind is its own statement: at most 25,000). A change
/// with more (a billing-period close issuing thousands of statements, each audited) writes them
/// in several statements, still inside its one transaction.
const CHUNK: usize = 1_000;

/// New rows written by the first statement of [`insert`] at most (a subscription binds 23
/// parameters: 4,600, beside a [`CHUNK`] of each other kind); a change creating more (none
/// does today: an order of 100 lines creates 101) writes them one statement each first.
const NEW_ROWS_IN_BOOKKEEPING: usize = 200;

/// Writes a change's `created` rows (in their order), `audits`, billing `lines` and `events`
/// (any may be empty) and fans each event out to the endpoints subscribed to it, [`CHUNK`] rows
/// of each kind per statement. The new rows are all written by the first statement (or before
/// it), so every line and record can refer to them.
pub fn insert(
    conn: &mut AnyConnection,
    created: &[NewRow],
    audits: &[AuditRow],
    lines: &[LineItemRow],
    events: &[EventRow],
) -> QueryResult<()> {
    let created = if created.len() > NEW_ROWS_IN_BOOKKEEPING {
        for row in created {
            insert_chunk(conn, std::slice::from_ref(row), &[], &[], &[])?;
        }
        &[]
    } else {
        created
    };
    let chunks = audits
        .len()
        .max(lines.len())
        .max(events.len())
        .div_ceil(CHUNK)
        .max(usize::from(!created.is_empty()));
    let part =
        |rows_len: usize, i: usize| (i * CHUNK).min(rows_len)..((i + 1) * CHUNK).min(rows_len);
    for i in 0..chunks {
        insert_chunk(
            conn,
            if i == 0 { created } else { &[] },
            &audits[part(audits.len(), i)],
            &lines[part(lines.len(), i)],
            &events[part(events.len(), i)],
        )?;
    }
    Ok(())
}

/// [`insert`] of the new rows and at most [`CHUNK`] rows of each other kind.
fn insert_chunk(
    conn: &mut AnyConnection,
    created: &[NewRow],
    audits: &[AuditRow],
    lines: &[LineItemRow],
    events: &[EventRow],
) -> QueryResult<()> {
    match conn {
        AnyConnection::Postgresql(c) => {
            if created.is_empty() && audits.is_empty() && lines.is_empty() && events.is_empty() {
                return Ok(());
            }
            Bookkeeping {
                created: created.iter().map(NewRow::insert).collect(),
                audits,
                lines,
                events,
            }
            .execute(c)
            .map(drop)
        }
        AnyConnection::Sqlite(c) => {
            for row in created {
                match row {
                    NewRow::Order(o) => {
                        diesel::insert_into(orders::table).values(&**o).execute(c)?
                    }
                    NewRow::Subscription(s) => diesel::insert_into(subscriptions::table)
                        .values(&**s)
                        .execute(c)?,
                };
            }
            if !lines.is_empty() {
                diesel::insert_into(billing_line_items::table)
                    .values(lines)
                    .execute(c)?;
            }
            if !audits.is_empty() {
                diesel::insert_into(audit_records::table)
                    .values(audits)
                    .execute(c)?;
            }
            if events.is_empty() {
                return Ok(());
            }
            // Only the events some endpoint subscribes to.
            let rows = vec!["(?, ?, ?, ?, ?, ?)"; events.len()].join(", ");
            let mut written = diesel::sql_query(format!(
                "INSERT INTO {EVENT_COLUMNS} SELECT * FROM (SELECT column1 AS id, \
                 column2 AS partner_id, column3 AS event_type, column4 AS change_key, \
                 column5 AS payload, column6 AS created_at FROM (VALUES {rows})) e \
                 WHERE EXISTS (SELECT 1 FROM webhooks w WHERE {SUBSCRIBED})"
            ))
            .into_boxed();
            for e in events {
                written = written
                    .bind::<Text, _>(&e.id)
                    .bind::<Text, _>(&e.partner_id)
                    .bind::<Text, _>(&e.event_type)
                    .bind::<Text, _>(&e.change_key)
                    .bind::<Text, _>(&e.payload)
                    .bind::<Timestamp, _>(&e.created_at);
            }
            if written.execute(c)? == 0 {
                return Ok(());
            }
            // The fan-out selects from the change's events as bound values, not from
            // `webhook_events`: reading the events just inserted back through the table cost
            // 1 to 8 ms per change at 1M rows, growing with the table (a per-statement profile
            // of the order benchmark), while an order's other statements take about 0.1 ms.
            let rows = vec!["(?, ?, ?, ?)"; events.len()].join(", ");
            let mut fan_out = diesel::sql_query(format!(
                "WITH e (id, partner_id, event_type, created_at) AS (VALUES {rows}) \
                 INSERT INTO {DELIVERY_COLUMNS} \
                 SELECT lower(substr(e.id, 5, 8) || '-' || substr(e.id, 13, 4) || '-' || \
                 substr(e.id, 17, 4) || '-' || hex(randomblob(2)) || '-' || hex(randomblob(6))), \
                 {DELIVERY_VALUES} FROM e CROSS JOIN webhooks w WHERE {SUBSCRIBED}"
            ))
            .into_boxed();
            for e in events {
                fan_out = fan_out
                    .bind::<Text, _>(e.id.as_str())
                    .bind::<Text, _>(e.partner_id)
                    .bind::<Text, _>(e.event_type.as_str())
                    .bind::<Timestamp, _>(e.created_at);
            }
            fan_out.execute(c).map(drop)
        }
    }
}

/// Which of `pairs` (partner, event type) some enabled endpoint subscribes to, by the rule of
/// [`SUBSCRIBED`], [`CHUNK`] pairs per query. A change with many audit records asks this once
/// before it prepares their events (`crate::outbox::prepare`), so it builds no payload that the
/// write would drop.
pub fn subscribed_among(
    conn: &mut AnyConnection,
    pairs: &[(String, &'static str)],
) -> QueryResult<HashSet<(String, String)>> {
    #[derive(QueryableByName)]
    struct Pair {
        #[diesel(sql_type = Text)]
        partner_id: String,
        #[diesel(sql_type = Text)]
        event_type: String,
    }
    let mut out = HashSet::new();
    for chunk in pairs.chunks(CHUNK) {
        let values = vec!["(?, ?)"; chunk.len()].join(", ");
        let args = chunk
            .iter()
            .flat_map(|(p, t)| [Arg::Text(p.clone()), Arg::Text((*t).to_owned())])
            .collect();
        let found: Vec<Pair> = raw::load(
            conn,
            &format!(
                "SELECT e.partner_id, e.event_type FROM (SELECT column1 AS partner_id, \
                 column2 AS event_type FROM (VALUES {values}) v) e \
                 WHERE EXISTS (SELECT 1 FROM webhooks w WHERE {SUBSCRIBED})"
            ),
            args,
        )?;
        out.extend(found.into_iter().map(|r| (r.partner_id, r.event_type)));
    }
    Ok(out)
}

/// Writes one event with its one delivery, whatever the endpoint subscribes to (the test event
/// of `POST /v1/webhooks/{webhookId}/test`).
pub fn insert_one(
    conn: &mut AnyConnection,
    event: &EventRow,
    delivery: &DeliveryRow,
) -> QueryResult<()> {
    crate::db::on_backend!(conn, |c| {
        diesel::insert_into(webhook_events::table)
            .values(event)
            .execute(c)?;
        diesel::insert_into(webhook_deliveries::table)
            .values(delivery)
            .execute(c)
            .map(drop)
    })
}

const AUDIT_COLUMNS: &str = "audit_records (id, partner_id, customer_id, actor_type, actor_id, \
     actor_name, operation_type, resource_type, resource_id, old_value, new_value, request_id, \
     created_at)";
const LINE_COLUMNS: &str = "billing_line_items (id, provider_id, customer_id, reseller_id, \
     subscription_id, offer_id, term_duration, billing_cycle, charge_type, quantity, \
     charge_start_date, charge_end_date, days, cycle_days, billing_period, currency, \
     cost_unit_minor, cost_total_minor, reseller_unit_minor, reseller_total_minor, \
     customer_unit_minor, customer_total_minor, reseller_price_list_id, customer_price_list_id, \
     created_at)";
const EVENT_COLUMNS: &str =
    "webhook_events (id, partner_id, event_type, change_key, payload, created_at)";

/// The one statement of a change's bookkeeping on PostgreSQL. Its SQL depends only on which
/// rows it creates and how many records, billing lines and events it writes, so diesel
/// prepares it once per shape and connection (a one-line order always writes the same shape)
/// and afterwards only binds. Every data-modifying `WITH` item runs before the statement's
/// foreign-key checks, so a line may refer to a subscription created by the same statement.
struct Bookkeeping<'a> {
    /// The `INSERT`s of the new rows ([`NewRow::insert`]).
    created: Vec<Box<dyn QueryFragment<Pg> + 'a>>,
    audits: &'a [AuditRow],
    lines: &'a [LineItemRow],
    events: &'a [EventRow],
}

/// The inserts of [`Bookkeeping`]: every one but the last is a data-modifying `WITH` item.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    /// The i-th new row.
    Created(usize),
    Audits,
    Lines,
    /// The events some endpoint subscribes to, and their deliveries (always the last part).
    Events,
}

impl QueryId for Bookkeeping<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl QueryFragment<Pg> for Bookkeeping<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let mut parts: Vec<Part> = (0..self.created.len())
            .map(Part::Created)
            .chain(
                [
                    (!self.audits.is_empty()).then_some(Part::Audits),
                    (!self.lines.is_empty()).then_some(Part::Lines),
                    (!self.events.is_empty()).then_some(Part::Events),
                ]
                .into_iter()
                .flatten(),
            )
            .collect();
        let Some(last) = parts.pop() else {
            return Ok(());
        };
        for (i, part) in parts.iter().enumerate() {
            out.push_sql(if i == 0 { "WITH " } else { ", " });
            match part {
                Part::Created(n) => {
                    out.push_sql("created_");
                    out.push_sql(&n.to_string());
                }
                Part::Audits => out.push_sql("records"),
                _ => out.push_sql("lines"),
            }
            out.push_sql(" AS (");
            self.part(&mut out, *part)?;
            out.push_sql(") ");
        }
        if last == Part::Events {
            out.push_sql(if parts.is_empty() { "WITH " } else { ", " });
        }
        self.part(&mut out, last)
    }
}

impl<'a> Bookkeeping<'a> {
    /// Writes one part: a plain `INSERT` for records and lines; for events the `e AS (…)` item
    /// followed by the deliveries' `INSERT` that ends the statement.
    fn part<'b>(&'b self, out: &mut AstPass<'_, 'b, Pg>, part: Part) -> QueryResult<()> {
        match part {
            Part::Created(n) => self.created[n].walk_ast(out.reborrow()),
            Part::Audits => values(out, AUDIT_COLUMNS, self.audits, audit_values),
            Part::Lines => values(out, LINE_COLUMNS, self.lines, line_values),
            Part::Events => {
                // Only the events some endpoint subscribes to are written.
                out.push_sql("e AS (INSERT INTO ");
                out.push_sql(EVENT_COLUMNS);
                out.push_sql(" SELECT * FROM (VALUES ");
                for (i, e) in self.events.iter().enumerate() {
                    out.push_sql(if i == 0 { "(" } else { ", (" });
                    event_values(out, e)?;
                    out.push_sql(")");
                }
                out.push_sql(
                    ") AS e (id, partner_id, event_type, change_key, payload, created_at) \
                     WHERE EXISTS (SELECT 1 FROM webhooks w WHERE ",
                );
                out.push_sql(SUBSCRIBED);
                out.push_sql(") RETURNING id, partner_id, event_type, created_at) ");
                out.push_sql("INSERT INTO ");
                out.push_sql(DELIVERY_COLUMNS);
                out.push_sql(
                    " SELECT (substr(e.id, 5, 16) || substr(md5(w.id || e.id), 1, 16))::uuid::text, ",
                );
                out.push_sql(DELIVERY_VALUES);
                out.push_sql(" FROM e JOIN webhooks w ON ");
                out.push_sql(SUBSCRIBED);
                Ok(())
            }
        }
    }
}

impl<Conn> RunQueryDsl<Conn> for Bookkeeping<'_> {}

/// `INSERT INTO <columns> VALUES (…), (…)`, each row's binds pushed by `row`.
fn values<'b, T>(
    out: &mut AstPass<'_, 'b, Pg>,
    columns: &str,
    rows: &'b [T],
    row: fn(&mut AstPass<'_, 'b, Pg>, &'b T) -> QueryResult<()>,
) -> QueryResult<()> {
    out.push_sql("INSERT INTO ");
    out.push_sql(columns);
    out.push_sql(" VALUES ");
    for (i, r) in rows.iter().enumerate() {
        out.push_sql(if i == 0 { "(" } else { ", (" });
        row(out, r)?;
        out.push_sql(")");
    }
    Ok(())
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

fn line_values<'b>(out: &mut AstPass<'_, 'b, Pg>, l: &'b LineItemRow) -> QueryResult<()> {
    out.push_bind_param::<Text, _>(&l.id)?;
    out.push_sql(", ");
    out.push_bind_param::<Text, _>(&l.provider_id)?;
    out.push_sql(", ");
    out.push_bind_param::<Text, _>(&l.customer_id)?;
    out.push_sql(", ");
    out.push_bind_param::<Nullable<Text>, _>(&l.reseller_id)?;
    out.push_sql(", ");
    out.push_bind_param::<Text, _>(&l.subscription_id)?;
    out.push_sql(", ");
    out.push_bind_param::<Text, _>(&l.offer_id)?;
    out.push_sql(", ");
    out.push_bind_param::<Text, _>(&l.term_duration)?;
    out.push_sql(", ");
    out.push_bind_param::<Text, _>(&l.billing_cycle)?;
    out.push_sql(", ");
    out.push_bind_param::<Text, _>(&l.charge_type)?;
    out.push_sql(", ");
    out.push_bind_param::<Integer, _>(&l.quantity)?;
    out.push_sql(", ");
    out.push_bind_param::<Date, _>(&l.charge_start_date)?;
    out.push_sql(", ");
    out.push_bind_param::<Date, _>(&l.charge_end_date)?;
    out.push_sql(", ");
    out.push_bind_param::<Integer, _>(&l.days)?;
    out.push_sql(", ");
    out.push_bind_param::<Integer, _>(&l.cycle_days)?;
    out.push_sql(", ");
    out.push_bind_param::<Text, _>(&l.billing_period)?;
    out.push_sql(", ");
    out.push_bind_param::<Text, _>(&l.currency)?;
    out.push_sql(", ");
    out.push_bind_param::<BigInt, _>(&l.cost_unit_minor)?;
    out.push_sql(", ");
    out.push_bind_param::<BigInt, _>(&l.cost_total_minor)?;
    out.push_sql(", ");
    out.push_bind_param::<Nullable<BigInt>, _>(&l.reseller_unit_minor)?;
    out.push_sql(", ");
    out.push_bind_param::<Nullable<BigInt>, _>(&l.reseller_total_minor)?;
    out.push_sql(", ");
    out.push_bind_param::<BigInt, _>(&l.customer_unit_minor)?;
    out.push_sql(", ");
    out.push_bind_param::<BigInt, _>(&l.customer_total_minor)?;
    out.push_sql(", ");
    out.push_bind_param::<Nullable<Text>, _>(&l.reseller_price_list_id)?;
    out.push_sql(", ");
    out.push_bind_param::<Nullable<Text>, _>(&l.customer_price_list_id)?;
    out.push_sql(", ");
    out.push_bind_param::<Timestamp, _>(&l.created_at)
}
