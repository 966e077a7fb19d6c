//! [`Change`]: one unit of work. Every state change runs as one: the connection inside one
//! transaction, who makes it (the [`Actor`] of its audit records), a server-generated change id,
//! the `Idempotency-Key` the request claimed (if any), and the rows it creates without reading
//! them back, the audit records and the billing line items the services append while they work.
//! At commit the change prepares the records' webhook events ([`crate::outbox`]) and writes new
//! rows, records, lines, events and their deliveries together (one statement on PostgreSQL), with
//! the key's committed mark — all in the same transaction, so none of them exists without the
//! change, and the change never exists without them.
//!
//! Requests open a change through their authorized caller (`Authorized::change`); the CLI, the
//! demo seeding and background workers open one with a system actor ([`Actor::system`]). Nothing
//! about a change travels in thread- or task-local state.

use uuid::Uuid;

use crate::db::{self, AnyConnection};
use crate::domain::Id;
use crate::error::ApiError;
use crate::models::audit::{Actor, Audit, AuditRow, Known};
use crate::models::billing_line::LineItemRow;
use crate::models::change_rows::{self, NewRow};
use crate::models::idempotency_key::ClaimedKey;
use crate::outbox;

/// One unit of work in progress (see the module documentation).
pub struct Change<'c> {
    conn: &'c mut AnyConnection,
    actor: Actor,
    id: Uuid,
    created: Vec<NewRow>,
    audits: Vec<Audit>,
    announced: Vec<Audit>,
    lines: Vec<LineItemRow>,
    related: Vec<(Id, Id)>,
}

impl<'c> Change<'c> {
    /// Runs `f` as one change of `actor` on `conn`: one transaction (`db::transaction`); when
    /// `f` succeeds, the buffered audit records, their events and the idempotency `claim`'s
    /// committed mark are written before the commit. When `f` fails nothing is written.
    pub fn run<T>(
        conn: &mut AnyConnection,
        actor: Actor,
        claim: Option<&ClaimedKey>,
        f: impl FnOnce(&mut Change<'_>) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        Change::run_by(conn, claim, |_| Ok((actor, ())), |change, ()| f(change))
    }

    /// As [`Change::run`], with the actor found inside the transaction, by `by` (which also
    /// returns what `f` needs of it, such as the caller): for a caller reloaded by the
    /// statement that locks what the change reaches (`auth::Authorized::change`). When `by`
    /// fails nothing is written.
    pub fn run_by<A, T>(
        conn: &mut AnyConnection,
        claim: Option<&ClaimedKey>,
        by: impl FnOnce(&mut AnyConnection) -> Result<(Actor, A), ApiError>,
        f: impl FnOnce(&mut Change<'_>, A) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        db::transaction(conn, |conn| {
            let (actor, of_actor) = by(conn)?;
            let mut change = Change {
                conn: &mut *conn,
                actor,
                id: Uuid::now_v7(),
                created: Vec::new(),
                audits: Vec::new(),
                announced: Vec::new(),
                lines: Vec::new(),
                related: Vec::new(),
            };
            let value = f(&mut change, of_actor)?;
            change.flush()?;
            if let Some(claim) = claim {
                claim.mark_committed(conn)?;
            }
            Ok(value)
        })
    }

    /// The connection, inside the change's transaction.
    pub fn conn(&mut self) -> &mut AnyConnection {
        self.conn
    }

    /// Who makes the change.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// The change id: server-generated, never derived from anything the client sends, shared
    /// by every event of the change (each partner gets one event per change and resource).
    pub fn id(&self) -> Uuid {
        self.id
    }

    /// Names who makes the change when it comes into being inside it (an enrolment's new global
    /// admin): every record of the change, buffered or not, is written for `actor`.
    pub fn act_as(&mut self, actor: Actor) {
        self.actor = actor;
    }

    /// Records that `partner_id` has a relationship with `customer_id`, as this change has just
    /// checked while reaching the customer: the events of the change then need not read it again
    /// to know that the partner may see the customer's resources.
    pub fn reached(&mut self, customer_id: Uuid, partner_id: Uuid) {
        self.related
            .push((Id::from(customer_id), Id::from(partner_id)));
    }

    /// Creates `row` at commit, before the change's billing lines and audit records (which may
    /// refer to it) and in the same statement on PostgreSQL: one round trip fewer per row. Only
    /// for rows nothing reads back inside the change (an order and its subscriptions), or that
    /// [`Change::write_created`] writes before such a read; rows are written in the order they
    /// were created.
    pub fn create(&mut self, row: impl Into<NewRow>) {
        self.created.push(row.into());
    }

    /// Writes the rows created so far, before the change reads what they change (a second order
    /// in one change counts the first one's subscriptions); nothing when there are none.
    pub fn write_created(&mut self) -> Result<(), ApiError> {
        if self.created.is_empty() {
            return Ok(());
        }
        let created = std::mem::take(&mut self.created);
        Ok(change_rows::insert(self.conn, &created, &[], &[], &[])?)
    }

    /// Appends an audit record (docs/concepts.md#audit-records-and-events), written with its event at commit.
    pub fn audit(&mut self, audit: Audit) {
        self.audits.push(audit);
    }

    /// Announces an audit record the change has already written itself, set-based (a period
    /// close writes one per statement with one `INSERT … SELECT`): at commit the change prepares
    /// and writes its webhook event like any record's, but does not write the record again.
    pub fn announce(&mut self, audit: Audit) {
        self.announced.push(audit);
    }

    /// Appends a billing line item (`services::billing`), written at commit with the audit
    /// records. Lines are never read back inside the change that writes them.
    pub fn bill(&mut self, line: LineItemRow) {
        self.lines.push(line);
    }

    /// Writes the new rows, the audit records with their events and deliveries, and the billing
    /// lines (one statement on PostgreSQL).
    fn flush(self) -> Result<(), ApiError> {
        if self.created.is_empty()
            && self.audits.is_empty()
            && self.announced.is_empty()
            && self.lines.is_empty()
        {
            return Ok(());
        }
        let written = self.audits.len();
        let records: Vec<(AuditRow, Known)> = self
            .audits
            .into_iter()
            .chain(self.announced)
            .map(|a| a.into_row(&self.actor))
            .collect();
        let events = outbox::prepare(self.conn, self.id, &records, &self.related)?;
        let rows: Vec<AuditRow> = records.into_iter().take(written).map(|(r, _)| r).collect();
        Ok(change_rows::insert(
            self.conn,
            &self.created,
            &rows,
            &self.lines,
            &events,
        )?)
    }
}
