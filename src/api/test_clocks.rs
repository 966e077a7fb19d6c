//! Test clocks on the wire (docs/concepts.md#subscription-terms-and-lifecycle): a provider's simulated time, as GET answers it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::TestClockStatus;
use crate::models::test_clock::TestClockRow;
use crate::models::utc;

/// A test clock.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TestClock {
    /// Clock id.
    pub id: Uuid,
    /// Its name.
    #[schema(example = "Three-year walk")]
    pub name: String,
    /// The clock's time: the time of the customers that live on it.
    pub frozen_time: DateTime<Utc>,
    /// `ready`, or `advancing` while an advance runs the transitions due on the way.
    pub status: TestClockStatus,
    /// The time an advance in progress is heading for.
    pub advance_to: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<TestClockRow> for TestClock {
    fn from(r: TestClockRow) -> TestClock {
        TestClock {
            id: r.id.uuid(),
            name: r.name,
            frozen_time: utc(r.frozen_time),
            status: r.status,
            advance_to: r.advance_to.map(utc),
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
        }
    }
}
