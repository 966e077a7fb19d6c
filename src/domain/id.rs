//! [`Id`]: the id of a stored row (a UUID, stored as its lower-case hyphenated text). Reading a
//! stored value that is not a UUID is a deserialization error — a 500 whose cause is logged —
//! never a silent nil UUID.

use std::fmt;
use std::str::FromStr;

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

/// Length of the hyphenated text form.
const TEXT_LEN: usize = uuid::fmt::Hyphenated::LENGTH;

/// The id of a stored row: a UUID together with its stored text form (lower-case, hyphenated),
/// so that it is `Copy` and binds as text without allocating.
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, diesel::AsExpression, diesel::FromSqlRow,
)]
#[diesel(sql_type = Text)]
pub struct Id {
    uuid: Uuid,
    text: [u8; TEXT_LEN],
}

impl Id {
    /// A new time-ordered id (UUIDv7).
    pub fn now_v7() -> Id {
        Id::from(Uuid::now_v7())
    }

    /// The UUID.
    pub fn uuid(self) -> Uuid {
        self.uuid
    }

    /// The stored text form: lower-case and hyphenated.
    pub fn as_str(&self) -> &str {
        // The buffer only ever holds the ASCII written by `Uuid::hyphenated`.
        std::str::from_utf8(&self.text).unwrap_or_default()
    }
}

impl From<Uuid> for Id {
    fn from(uuid: Uuid) -> Id {
        let mut text = [0u8; TEXT_LEN];
        uuid.hyphenated().encode_lower(&mut text);
        Id { uuid, text }
    }
}

impl From<&Uuid> for Id {
    fn from(uuid: &Uuid) -> Id {
        Id::from(*uuid)
    }
}

impl From<&Id> for Id {
    fn from(id: &Id) -> Id {
        *id
    }
}

impl From<Id> for Uuid {
    fn from(id: Id) -> Uuid {
        id.uuid
    }
}

impl From<&Id> for Uuid {
    fn from(id: &Id) -> Uuid {
        id.uuid
    }
}

impl PartialEq<Uuid> for Id {
    fn eq(&self, other: &Uuid) -> bool {
        self.uuid == *other
    }
}

impl PartialEq<Id> for Uuid {
    fn eq(&self, other: &Id) -> bool {
        *self == other.uuid
    }
}

impl AsRef<str> for Id {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.as_str())
    }
}

impl FromStr for Id {
    type Err = String;

    /// Parses the stored form: a hyphenated UUID (any case); anything else is an error.
    fn from_str(s: &str) -> Result<Id, String> {
        if s.len() != TEXT_LEN {
            return Err(format!("stored id {s:?} is not a hyphenated UUID"));
        }
        Uuid::try_parse(s)
            .map(Id::from)
            .map_err(|e| format!("stored id {s:?} is not a UUID: {e}"))
    }
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Id {
    /// Reads the stored text form (e.g. an id inside JSON stored in a column); a value that is
    /// not a UUID is an error.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Id, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl<DB: Backend> ToSql<Text, DB> for Id
where
    str: ToSql<Text, DB>,
{
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
        self.as_str().to_sql(out)
    }
}

impl<DB: Backend> FromSql<Text, DB> for Id
where
    String: FromSql<Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        Ok(String::from_sql(bytes)?.parse()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_keeps_its_uuid_and_stored_text() {
        let u = Uuid::now_v7();
        let id = Id::from(u);
        assert_eq!(id.as_str(), u.to_string());
        assert_eq!(Uuid::from(id), u);
        assert_eq!(id.to_string().parse::<Id>(), Ok(id));
        assert_eq!(
            serde_json::to_value(id).unwrap(),
            serde_json::json!(u.to_string())
        );
    }

    #[test]
    fn a_stored_value_that_is_not_a_uuid_is_an_error_not_nil() {
        assert!("".parse::<Id>().is_err());
        assert!("not-a-uuid-not-a-uuid-not-a-uuid-xx".parse::<Id>().is_err());
        assert!(Uuid::nil().simple().to_string().parse::<Id>().is_err());
    }

    #[test]
    fn json_ids_read_back_and_a_non_uuid_is_an_error() {
        let id = Id::now_v7();
        let json = serde_json::to_string(&vec![id]).unwrap();
        assert_eq!(serde_json::from_str::<Vec<Id>>(&json).unwrap(), vec![id]);
        assert!(serde_json::from_str::<Vec<Id>>(r#"["not-a-uuid"]"#).is_err());
        assert!(serde_json::from_str::<Id>("42").is_err());
    }

    #[test]
    fn ids_order_as_their_stored_text() {
        let a = Id::now_v7();
        let b = Id::now_v7();
        assert_eq!(a.cmp(&b), a.as_str().cmp(b.as_str()));
    }
}
