//! A pad's history: versions saved on demand (with a name) and automatically every few minutes
//! of editing, each the whole document as one update; a version can be viewed read-only and
//! restored as a new edit.

pub(crate) mod routes;

use diesel::prelude::*;
use maille_database::schema::pad_versions;
use maille_database::{random_id, DbConnection, UnixTime};

use crate::error::Result;

/// A version as stored, without its document.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = pad_versions)]
pub struct VersionRow {
    /// Id.
    pub id: i64,
    /// The pad's edit id.
    pub pad_id: String,
    /// Name given (empty for automatic versions).
    pub name: String,
    /// Whether it was saved automatically.
    pub automatic: bool,
    /// Who saved it, while their account exists.
    pub created_by: Option<i64>,
    /// When.
    pub created_at: UnixTime,
}

/// Saves a version of `pad` holding `state`; automatic ones beyond `keep_automatic` are
/// deleted, oldest first.
#[allow(clippy::too_many_arguments)]
pub fn save(
    conn: &mut DbConnection,
    pad: &str,
    name: &str,
    automatic: bool,
    state: &[u8],
    created_by: Option<i64>,
    now: UnixTime,
    keep_automatic: u32,
) -> Result<VersionRow> {
    let id = random_id();
    diesel::insert_into(pad_versions::table)
        .values((
            pad_versions::id.eq(id),
            pad_versions::pad_id.eq(pad),
            pad_versions::name.eq(name),
            pad_versions::automatic.eq(automatic),
            pad_versions::state.eq(state),
            pad_versions::created_by.eq(created_by),
            pad_versions::created_at.eq(now),
        ))
        .execute(conn)?;
    if automatic {
        let old: Vec<i64> = pad_versions::table
            .filter(pad_versions::pad_id.eq(pad))
            .filter(pad_versions::automatic.eq(true))
            .order((pad_versions::created_at.desc(), pad_versions::id.desc()))
            .offset(i64::from(keep_automatic.max(1)))
            .select(pad_versions::id)
            .load(conn)?;
        if !old.is_empty() {
            diesel::delete(pad_versions::table.filter(pad_versions::id.eq_any(old)))
                .execute(conn)?;
        }
    }
    Ok(VersionRow {
        id,
        pad_id: pad.to_owned(),
        name: name.to_owned(),
        automatic,
        created_by,
        created_at: now,
    })
}

/// A pad's versions, newest first.
pub fn list(conn: &mut DbConnection, pad: &str) -> Result<Vec<VersionRow>> {
    Ok(pad_versions::table
        .filter(pad_versions::pad_id.eq(pad))
        .order((pad_versions::created_at.desc(), pad_versions::id.desc()))
        .select(VersionRow::as_select())
        .load(conn)?)
}

/// One of a pad's versions with its document.
pub fn get(conn: &mut DbConnection, pad: &str, id: i64) -> Result<Option<(VersionRow, Vec<u8>)>> {
    Ok(pad_versions::table
        .filter(pad_versions::pad_id.eq(pad))
        .filter(pad_versions::id.eq(id))
        .select((VersionRow::as_select(), pad_versions::state))
        .first(conn)
        .optional()?)
}
