//! Portable inserts: the database layer speaks to SQLite and PostgreSQL through one
//! connection type, which has no `ON CONFLICT`; an insert that may meet an existing row runs
//! in a savepoint, so that a unique violation leaves the caller's transaction usable.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::Connection;
use maille_database::DbConnection;

use crate::error::Result;

/// Runs `insert`; `Ok(false)` when a row with the same unique key exists already.
pub(crate) fn insert_new<F>(conn: &mut DbConnection, insert: F) -> Result<bool>
where
    F: FnOnce(&mut DbConnection) -> Result<usize, DieselError>,
{
    match conn.transaction(insert) {
        Ok(n) => Ok(n > 0),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
        Err(other) => Err(other.into()),
    }
}
