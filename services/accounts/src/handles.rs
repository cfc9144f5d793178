//! Handles: the names of users and spaces share one namespace (`@name@host` must name one
//! actor), so each is claimed here, whichever service owns it, and never reused.

use diesel::prelude::*;
use maille_database::schema::handles;
use maille_database::{DbConnection, UnixTime};

use crate::error::{AccountsError, Result};

/// What a handle names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandleKind {
    /// A user.
    User,
    /// A space.
    Space,
    /// Someone of another instance, as `name@domain` (see [`crate::remote`]).
    Remote,
}

impl HandleKind {
    fn code(self) -> &'static str {
        match self {
            HandleKind::User => "user",
            HandleKind::Space => "space",
            HandleKind::Remote => "remote",
        }
    }
}

/// Names kept for the instance's own pages and for roles people would trust.
const RESERVED: &[&str] = &[
    "admin",
    "administrator",
    "api",
    "assets",
    "static",
    "www",
    "root",
    "maille",
    "support",
    "help",
    "security",
    "abuse",
    "postmaster",
    "hostmaster",
    "webmaster",
    "noreply",
    "no_reply",
    "moderator",
    "moderators",
    "staff",
    "system",
    "instance",
    "settings",
    "login",
    "logout",
    "signup",
    "join",
    "spaces",
    "users",
    "pads",
    "rooms",
    "ws",
    "well_known",
    "healthz",
    "metrics",
    "inbox",
    "outbox",
    "actor",
    "nodeinfo",
];

/// Checks the shape of a handle: 2 to 30 characters among `a-z`, `0-9` and `_`, starting with
/// a letter or digit. Handles are stored lower-case.
pub fn check_shape(field: &'static str, handle: &str) -> Result<()> {
    let length = handle.chars().count();
    if !(2..=30).contains(&length) {
        return Err(AccountsError::invalid(field, "use 2 to 30 characters"));
    }
    if !handle
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(AccountsError::invalid(
            field,
            "use only lower-case letters a-z, digits and _",
        ));
    }
    if handle.starts_with('_') {
        return Err(AccountsError::invalid(
            field,
            "start with a letter or a digit",
        ));
    }
    Ok(())
}

/// Claims `handle` for a new user or space inside the caller's transaction. Fails with
/// [`AccountsError::HandleTaken`] when it is reserved or already claimed, even by something
/// since deleted.
pub fn claim(conn: &mut DbConnection, handle: &str, kind: HandleKind, now: UnixTime) -> Result<()> {
    if RESERVED.contains(&handle) {
        return Err(AccountsError::HandleTaken);
    }
    claim_even_reserved(conn, handle, kind, now)
}

/// [`claim`] without the reserved list: for the host's admin on the command line, who may
/// name an account `admin`.
pub fn claim_even_reserved(
    conn: &mut DbConnection,
    handle: &str,
    kind: HandleKind,
    now: UnixTime,
) -> Result<()> {
    let taken: i64 = handles::table
        .filter(handles::handle.eq(handle))
        .count()
        .get_result(conn)?;
    if taken > 0 {
        return Err(AccountsError::HandleTaken);
    }
    diesel::insert_into(handles::table)
        .values((
            handles::handle.eq(handle),
            handles::kind.eq(kind.code()),
            handles::created_at.eq(now),
        ))
        .execute(conn)
        .map_err(|e| match e {
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            ) => AccountsError::HandleTaken,
            other => other.into(),
        })?;
    Ok(())
}

/// Whether `handle` is free to claim.
pub fn is_free(conn: &mut DbConnection, handle: &str) -> Result<bool> {
    if RESERVED.contains(&handle) {
        return Ok(false);
    }
    let taken: i64 = handles::table
        .filter(handles::handle.eq(handle))
        .count()
        .get_result(conn)?;
    Ok(taken == 0)
}
