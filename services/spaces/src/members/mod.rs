//! The members of a space: who they are, changing roles, removing someone and leaving, with
//! the rule that a space never loses its last owner.

pub(crate) mod routes;

use diesel::prelude::*;
use maille_accounts::{Accounts, UserId};
use maille_database::schema::{space_invitations, space_members};
use maille_database::{DbConnection, UnixTime};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{Result, SpacesError};
use crate::role::SpaceRole;
use crate::space::{self, SpaceId, SpaceRow};

/// A member as the space's members see them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberView {
    /// Their handle.
    pub username: String,
    /// Their name shown.
    pub display_name: String,
    /// Their role in the space.
    pub role: SpaceRole,
    /// When they joined.
    pub joined_at: UnixTime,
}

/// The members of `space` with their roles and when they joined, in no particular order.
pub(crate) fn roles(
    conn: &mut DbConnection,
    space: SpaceId,
) -> Result<Vec<(UserId, SpaceRole, UnixTime)>> {
    let rows: Vec<(i64, String, UnixTime)> = space_members::table
        .filter(space_members::space_id.eq(space.0))
        .select((
            space_members::user_id,
            space_members::role,
            space_members::joined_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(user, role, joined_at)| (UserId(user), SpaceRole::from_stored(&role), joined_at))
        .collect())
}

/// The members of `space` as shown to its members: owners first, then moderators, then
/// members, each by name.
pub(crate) fn list(
    conn: &mut DbConnection,
    accounts: &Accounts,
    space: SpaceId,
) -> Result<Vec<MemberView>> {
    let members = roles(conn, space)?;
    let ids: Vec<UserId> = members.iter().map(|(user, _, _)| *user).collect();
    let people: std::collections::HashMap<UserId, _> = accounts
        .users_blocking(conn, &ids)?
        .into_iter()
        .map(|summary| (summary.id, summary))
        .collect();
    let mut list: Vec<MemberView> = members
        .into_iter()
        .filter_map(|(user, role, joined_at)| {
            people.get(&user).map(|person| MemberView {
                username: person.username.clone(),
                display_name: person.display_name.clone(),
                role,
                joined_at,
            })
        })
        .collect();
    list.sort_by_cached_key(|m| {
        (
            m.role.rank(),
            m.display_name.to_lowercase(),
            m.username.clone(),
        )
    });
    Ok(list)
}

/// The user called `username` and their role in `space`; [`SpacesError::NotFound`] when there
/// is no such user or they are not a member.
pub(crate) fn member_by_username(
    conn: &mut DbConnection,
    space: SpaceId,
    username: &str,
) -> Result<(maille_accounts::users::UserRow, SpaceRole)> {
    let user =
        maille_accounts::users::find_by_username(conn, username)?.ok_or(SpacesError::NotFound)?;
    let role = space::role_of(conn, space, user.user_id())?.ok_or(SpacesError::NotFound)?;
    Ok((user, role))
}

/// Gives `user` the role `role` in `space`, whose row the caller has locked. Refuses to take
/// the last owner's ownership away.
pub(crate) fn set_role(
    conn: &mut DbConnection,
    space: SpaceId,
    user: UserId,
    current: SpaceRole,
    role: SpaceRole,
) -> Result<()> {
    if role != SpaceRole::Owner {
        space::ensure_not_sole_owner(conn, space, current)?;
    }
    diesel::update(space_members::table.find((space.0, user.0)))
        .set(space_members::role.eq(role.code()))
        .execute(conn)?;
    Ok(())
}

/// Takes `user`, whose role is `role`, out of `space`, whose row the caller has locked.
/// Refuses to remove the last owner.
pub(crate) fn remove(
    conn: &mut DbConnection,
    space: SpaceId,
    user: UserId,
    role: SpaceRole,
) -> Result<()> {
    space::ensure_not_sole_owner(conn, space, role)?;
    diesel::delete(space_members::table.find((space.0, user.0))).execute(conn)?;
    Ok(())
}

/// Adds `user` to the space called `handle` in `role`, on behalf of `by`, who must be allowed
/// to invite into that role (owners and moderators; only owners add moderators). Someone
/// already a member keeps their role. For people who cannot take an invitation link
/// themselves first, such as members from other instances (the federation service resolves
/// them). Returns the space and the member as shown.
pub(crate) fn add(
    conn: &mut DbConnection,
    handle: &str,
    by: UserId,
    user: &maille_accounts::users::UserRow,
    role: SpaceRole,
    now: UnixTime,
) -> Result<(SpaceRow, MemberView)> {
    let (space, my_role) = space::access_locked(conn, handle, by)?;
    if !my_role.can_invite_as(role) {
        return Err(SpacesError::Forbidden);
    }
    let space_id = SpaceId(space.id);
    if space::role_of(conn, space_id, user.user_id())?.is_none() {
        diesel::insert_into(space_members::table)
            .values(space::NewMember {
                space_id: space_id.0,
                user_id: user.id,
                role: role.code(),
                joined_at: now,
            })
            .execute(conn)?;
    }
    let view = view_of(conn, &space, user)?;
    Ok((space, view))
}

/// Revokes the invitations that `user` made in `space` and that could still be used: someone
/// removed from a space must not walk back in through their own link.
pub(crate) fn revoke_invitations_by(
    conn: &mut DbConnection,
    space: SpaceId,
    user: UserId,
) -> Result<usize> {
    Ok(diesel::delete(
        space_invitations::table
            .filter(space_invitations::space_id.eq(space.0))
            .filter(space_invitations::created_by.eq(user.0))
            .filter(space_invitations::accepted_at.is_null()),
    )
    .execute(conn)?)
}

/// The view of one member of `space`.
pub(crate) fn view_of(
    conn: &mut DbConnection,
    space: &SpaceRow,
    user: &maille_accounts::users::UserRow,
) -> Result<MemberView> {
    let space_id = SpaceId(space.id);
    let (role, joined_at): (String, UnixTime) = space_members::table
        .find((space_id.0, user.id))
        .select((space_members::role, space_members::joined_at))
        .first(conn)
        .optional()?
        .ok_or(SpacesError::NotFound)?;
    Ok(MemberView {
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        role: SpaceRole::from_stored(&role),
        joined_at,
    })
}
