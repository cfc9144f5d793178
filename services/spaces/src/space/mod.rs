//! Spaces themselves: the stored row, how members see it, and the queries the other parts of
//! the service share (finding a space, a member's role, counting owners).

pub(crate) mod routes;

use diesel::prelude::*;
use maille_accounts::UserId;
use maille_database::schema::{space_members, spaces};
use maille_database::{DbConnection, UnixTime};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{Result, SpacesError};
use crate::role::SpaceRole;

/// A space's identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SpaceId(pub i64);

impl std::fmt::Display for SpaceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A space as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = spaces)]
pub(crate) struct SpaceRow {
    pub id: i64,
    pub handle: String,
    pub display_name: String,
    pub description: String,
    pub created_at: UnixTime,
}

/// A new space.
#[derive(Debug, Insertable)]
#[diesel(table_name = spaces)]
pub(crate) struct NewSpace<'a> {
    pub id: i64,
    pub handle: &'a str,
    pub display_name: &'a str,
    pub description: &'a str,
    pub created_at: UnixTime,
    pub updated_at: UnixTime,
}

/// A new membership.
#[derive(Debug, Insertable)]
#[diesel(table_name = space_members)]
pub(crate) struct NewMember<'a> {
    pub space_id: i64,
    pub user_id: i64,
    pub role: &'a str,
    pub joined_at: UnixTime,
}

/// A space as other services need to know it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpaceInfo {
    /// Id.
    pub id: SpaceId,
    /// Handle, lower-case; shares one namespace with usernames.
    pub handle: String,
    /// Name shown.
    pub display_name: String,
    /// What the space is about (may be empty).
    pub description: String,
    /// Creation time.
    pub created_at: UnixTime,
}

impl From<&SpaceRow> for SpaceInfo {
    fn from(row: &SpaceRow) -> SpaceInfo {
        SpaceInfo {
            id: SpaceId(row.id),
            handle: row.handle.clone(),
            display_name: row.display_name.clone(),
            description: row.description.clone(),
            created_at: row.created_at,
        }
    }
}

/// A user's membership of a space, as other services need to know it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Membership {
    /// The space.
    pub space: SpaceInfo,
    /// The user's role in it.
    pub role: SpaceRole,
    /// When they joined.
    pub joined_at: UnixTime,
}

/// A space as its members see it (`Space` in the API).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SpaceView {
    /// Handle, lower-case.
    pub handle: String,
    /// Name shown.
    pub display_name: String,
    /// What the space is about (may be empty).
    pub description: String,
    /// Creation time.
    pub created_at: UnixTime,
    /// The asker's role.
    pub my_role: SpaceRole,
    /// How many members it has, the asker included.
    pub member_count: i64,
}

impl SpaceView {
    pub(crate) fn of(row: &SpaceRow, my_role: SpaceRole, member_count: i64) -> SpaceView {
        SpaceView {
            handle: row.handle.clone(),
            display_name: row.display_name.clone(),
            description: row.description.clone(),
            created_at: row.created_at,
            my_role,
            member_count,
        }
    }
}

/// Longest description, in characters.
pub(crate) const DESCRIPTION_MAX: usize = 2000;

/// Checks and trims a description: at most [`DESCRIPTION_MAX`] characters, no control
/// characters but line breaks and tabs.
pub(crate) fn check_description(raw: &str) -> Result<String> {
    let description = raw.trim();
    let bad_character = description
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'));
    if description.chars().count() > DESCRIPTION_MAX || bad_character {
        return Err(SpacesError::invalid(
            "description",
            format!("use at most {DESCRIPTION_MAX} characters, without control characters"),
        ));
    }
    Ok(description.to_owned())
}

/// Handles are stored lower-case; a handle typed in a URL is read the same way.
pub(crate) fn normalize_handle(raw: &str) -> String {
    raw.trim().to_lowercase()
}

/// The space called `handle`.
pub(crate) fn find_by_handle(conn: &mut DbConnection, handle: &str) -> Result<Option<SpaceRow>> {
    Ok(spaces::table
        .filter(spaces::handle.eq(normalize_handle(handle)))
        .select(SpaceRow::as_select())
        .first(conn)
        .optional()?)
}

/// The space `id`.
pub(crate) fn find(conn: &mut DbConnection, id: SpaceId) -> Result<Option<SpaceRow>> {
    Ok(spaces::table
        .find(id.0)
        .select(SpaceRow::as_select())
        .first(conn)
        .optional()?)
}

/// `user`'s role in `space`, if they are a member.
pub(crate) fn role_of(
    conn: &mut DbConnection,
    space: SpaceId,
    user: UserId,
) -> Result<Option<SpaceRole>> {
    let code: Option<String> = space_members::table
        .find((space.0, user.0))
        .select(space_members::role)
        .first(conn)
        .optional()?;
    Ok(code.as_deref().map(SpaceRole::from_stored))
}

/// The space called `handle` and `user`'s role in it. Answers [`SpacesError::NotFound`] both
/// when there is no such space and when `user` is not a member: only members see a space.
pub(crate) fn access(
    conn: &mut DbConnection,
    handle: &str,
    user: UserId,
) -> Result<(SpaceRow, SpaceRole)> {
    let space = find_by_handle(conn, handle)?.ok_or(SpacesError::NotFound)?;
    let role = role_of(conn, SpaceId(space.id), user)?.ok_or(SpacesError::NotFound)?;
    Ok((space, role))
}

/// Like [`access`], but first locks the space's row until the transaction ends, so that
/// concurrent changes of membership in one space take turns. Two owners demoting each other
/// at the same moment would otherwise both see another owner and leave none.
pub(crate) fn access_locked(
    conn: &mut DbConnection,
    handle: &str,
    user: UserId,
) -> Result<(SpaceRow, SpaceRole)> {
    let space = find_by_handle(conn, handle)?.ok_or(SpacesError::NotFound)?;
    if !lock(conn, SpaceId(space.id))? {
        return Err(SpacesError::NotFound);
    }
    let role = role_of(conn, SpaceId(space.id), user)?.ok_or(SpacesError::NotFound)?;
    Ok((space, role))
}

/// Locks a space's row until the transaction ends; false when there is no such space.
/// Portable: an update that changes nothing takes PostgreSQL's row lock, and SQLite
/// serialises writers anyway (no `SELECT ... FOR UPDATE` there).
pub(crate) fn lock(conn: &mut DbConnection, space: SpaceId) -> Result<bool> {
    let updated = diesel::update(spaces::table.find(space.0))
        .set(spaces::updated_at.eq(spaces::updated_at))
        .execute(conn)?;
    Ok(updated == 1)
}

/// How many members `space` has.
pub(crate) fn member_count(conn: &mut DbConnection, space: SpaceId) -> Result<i64> {
    Ok(space_members::table
        .filter(space_members::space_id.eq(space.0))
        .count()
        .get_result(conn)?)
}

/// How many owners `space` has.
pub(crate) fn owner_count(conn: &mut DbConnection, space: SpaceId) -> Result<i64> {
    Ok(space_members::table
        .filter(space_members::space_id.eq(space.0))
        .filter(space_members::role.eq(SpaceRole::Owner.code()))
        .count()
        .get_result(conn)?)
}

/// Fails with [`SpacesError::SoleOwner`] when `user`, whose role in `space` is `role`, is its
/// only owner: they may not leave, be removed or stop being owner.
pub(crate) fn ensure_not_sole_owner(
    conn: &mut DbConnection,
    space: SpaceId,
    role: SpaceRole,
) -> Result<()> {
    if role == SpaceRole::Owner && owner_count(conn, space)? <= 1 {
        return Err(SpacesError::SoleOwner);
    }
    Ok(())
}

/// The view of `space` for someone whose role is `role`.
pub(crate) fn view(
    conn: &mut DbConnection,
    space: &SpaceRow,
    role: SpaceRole,
) -> Result<SpaceView> {
    let count = member_count(conn, SpaceId(space.id))?;
    Ok(SpaceView::of(space, role, count))
}

/// Every space `user` belongs to, with their role and when they joined, by name.
pub(crate) fn memberships(
    conn: &mut DbConnection,
    user: UserId,
) -> Result<Vec<(SpaceRow, SpaceRole, UnixTime)>> {
    let rows: Vec<(SpaceRow, String, UnixTime)> = spaces::table
        .inner_join(space_members::table)
        .filter(space_members::user_id.eq(user.0))
        .select((
            SpaceRow::as_select(),
            space_members::role,
            space_members::joined_at,
        ))
        .load(conn)?;
    let mut list: Vec<(SpaceRow, SpaceRole, UnixTime)> = rows
        .into_iter()
        .map(|(space, role, joined_at)| (space, SpaceRole::from_stored(&role), joined_at))
        .collect();
    list.sort_by_cached_key(|(space, _, _)| {
        (space.display_name.to_lowercase(), space.handle.clone())
    });
    Ok(list)
}

/// How many members each of `spaces` has.
pub(crate) fn member_counts(
    conn: &mut DbConnection,
    spaces: &[i64],
) -> Result<std::collections::HashMap<i64, i64>> {
    let counts: Vec<(i64, i64)> = space_members::table
        .filter(space_members::space_id.eq_any(spaces))
        .group_by(space_members::space_id)
        .select((space_members::space_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(counts.into_iter().collect())
}
