//! Invitations into a space: a random token, stored only as its digest, valid for
//! [`VALIDITY_DAYS`], sent by email or shown once as a link.
//!
//! An email invitation is for one person: the first account that accepts it uses it up. A link
//! invitation (no email) is meant to be shared, as people share an Etherpad or Jitsi link: any
//! number of people may join with it until it expires or is revoked. The token itself is the
//! credential; the account accepting an email invitation need not use that address (people
//! often sign up with another one).

pub(crate) mod routes;

use diesel::prelude::*;
use maille_accounts::UserId;
use maille_database::schema::{space_invitations, space_members};
use maille_database::{random_id, DbConnection, UnixTime};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{Result, SpacesError};
use crate::role::SpaceRole;
use crate::space::{self, NewMember, SpaceId, SpaceRow};

/// How long an invitation works.
pub const VALIDITY_DAYS: u64 = 14;

const VALIDITY_SECONDS: i64 = VALIDITY_DAYS as i64 * 24 * 3600;

/// At most this many invitations per space in [`THROTTLE_WINDOW_SECONDS`]: a space must not
/// become a way to send mass email from the instance.
pub(crate) const MAX_PER_WINDOW: i64 = 100;

/// The window of [`MAX_PER_WINDOW`].
pub(crate) const THROTTLE_WINDOW_SECONDS: i64 = 24 * 3600;

/// An invitation as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = space_invitations)]
pub(crate) struct InvitationRow {
    pub id: i64,
    pub space_id: i64,
    pub email: Option<String>,
    pub role: String,
    pub created_by: Option<i64>,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
    pub accepted_at: Option<UnixTime>,
}

impl InvitationRow {
    fn role(&self) -> SpaceRole {
        SpaceRole::from_stored(&self.role)
    }

    /// Whether it may still be accepted at `now`.
    fn usable(&self, now: UnixTime) -> bool {
        now < self.expires_at && self.accepted_at.is_none()
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = space_invitations)]
struct NewInvitation<'a> {
    id: i64,
    space_id: i64,
    token_hash: &'a str,
    email: Option<&'a str>,
    role: &'a str,
    created_by: Option<i64>,
    created_at: UnixTime,
    expires_at: UnixTime,
}

/// An invitation as the space's owners and moderators see it (`Invitation` in the API).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InvitationView {
    /// Id, as a string.
    pub id: String,
    /// The address it was sent to; `null` for a link to share.
    pub email: Option<String>,
    /// The role it gives.
    pub role: SpaceRole,
    /// `{public_url}/join/{token}`, shown only in the answer that creates it (`null` after).
    pub link: Option<String>,
    /// Creation time.
    pub created_at: UnixTime,
    /// When it stops working.
    pub expires_at: UnixTime,
}

impl InvitationView {
    pub(crate) fn of(row: &InvitationRow, link: Option<String>) -> InvitationView {
        InvitationView {
            id: row.id.to_string(),
            email: row.email.clone(),
            role: row.role(),
            link,
            created_at: row.created_at,
            expires_at: row.expires_at,
        }
    }
}

/// Fails with [`SpacesError::Throttled`] when `space` made too many invitations lately.
pub(crate) fn throttle(conn: &mut DbConnection, space: SpaceId, now: UnixTime) -> Result<()> {
    let since = now - THROTTLE_WINDOW_SECONDS;
    let recent: Vec<UnixTime> = space_invitations::table
        .filter(space_invitations::space_id.eq(space.0))
        .filter(space_invitations::created_at.gt(since))
        .select(space_invitations::created_at)
        .order(space_invitations::created_at.asc())
        .limit(MAX_PER_WINDOW)
        .load(conn)?;
    if i64::try_from(recent.len()).unwrap_or(i64::MAX) < MAX_PER_WINDOW {
        return Ok(());
    }
    let oldest = recent.first().copied().unwrap_or(now);
    let retry_after = u64::try_from(oldest + THROTTLE_WINDOW_SECONDS - now).unwrap_or(1);
    Err(SpacesError::Throttled { retry_after })
}

/// Makes an invitation into `space`; returns it and its token, which is stored only as a
/// digest and so can be shown only now.
pub(crate) fn issue(
    conn: &mut DbConnection,
    space: SpaceId,
    creator: UserId,
    email: Option<&str>,
    role: SpaceRole,
    now: UnixTime,
) -> Result<(InvitationRow, String)> {
    let token = maille_accounts::generate_token();
    let digest = maille_accounts::token_digest(&token);
    let id = random_id();
    diesel::insert_into(space_invitations::table)
        .values(NewInvitation {
            id,
            space_id: space.0,
            token_hash: &digest,
            email,
            role: role.code(),
            created_by: Some(creator.0),
            created_at: now,
            expires_at: now + VALIDITY_SECONDS,
        })
        .execute(conn)?;
    let row = space_invitations::table
        .find(id)
        .select(InvitationRow::as_select())
        .first(conn)?;
    Ok((row, token))
}

/// The invitations of `space` that can still be accepted, newest first.
pub(crate) fn pending(
    conn: &mut DbConnection,
    space: SpaceId,
    now: UnixTime,
) -> Result<Vec<InvitationRow>> {
    Ok(space_invitations::table
        .filter(space_invitations::space_id.eq(space.0))
        .filter(space_invitations::accepted_at.is_null())
        .filter(space_invitations::expires_at.gt(now))
        .order(space_invitations::created_at.desc())
        .select(InvitationRow::as_select())
        .load(conn)?)
}

/// Deletes invitation `id` of `space`; false when there is none.
pub(crate) fn revoke(conn: &mut DbConnection, space: SpaceId, id: i64) -> Result<bool> {
    let deleted = diesel::delete(
        space_invitations::table
            .filter(space_invitations::id.eq(id))
            .filter(space_invitations::space_id.eq(space.0)),
    )
    .execute(conn)?;
    Ok(deleted > 0)
}

/// The invitation whose token is `token`, whatever its state.
fn find_by_token(conn: &mut DbConnection, token: &str) -> Result<Option<InvitationRow>> {
    let digest = maille_accounts::token_digest(token.trim());
    Ok(space_invitations::table
        .filter(space_invitations::token_hash.eq(digest))
        .select(InvitationRow::as_select())
        .first(conn)
        .optional()?)
}

/// The invitation whose token is `token`, if it can still be accepted at `now`.
pub(crate) fn find_usable(
    conn: &mut DbConnection,
    token: &str,
    now: UnixTime,
) -> Result<InvitationRow> {
    find_by_token(conn, token)?
        .filter(|invitation| invitation.usable(now))
        .ok_or(SpacesError::InvalidToken)
}

/// Accepts the invitation `token` for `user`: they join its space in its role. Someone
/// already a member (who may be opening their used email invitation again) keeps their role,
/// and the invitation is left as it is. Returns the space and `user`'s role in it.
pub(crate) fn accept(
    conn: &mut DbConnection,
    token: &str,
    user: UserId,
    now: UnixTime,
) -> Result<(SpaceRow, SpaceRole)> {
    let invitation = find_by_token(conn, token)?.ok_or(SpacesError::InvalidToken)?;
    let space_id = SpaceId(invitation.space_id);
    // Joins of one space take turns, so that an email invitation is used once and two
    // accepts by one person make one membership.
    if !space::lock(conn, space_id)? {
        return Err(SpacesError::InvalidToken);
    }
    let space = space::find(conn, space_id)?.ok_or(SpacesError::InvalidToken)?;
    if let Some(role) = space::role_of(conn, space_id, user)? {
        return Ok((space, role));
    }
    if !invitation.usable(now) {
        return Err(SpacesError::InvalidToken);
    }
    if invitation.email.is_some() {
        let used = diesel::update(
            space_invitations::table
                .filter(space_invitations::id.eq(invitation.id))
                .filter(space_invitations::accepted_at.is_null()),
        )
        .set((
            space_invitations::accepted_by.eq(user.0),
            space_invitations::accepted_at.eq(now),
        ))
        .execute(conn)?;
        if used != 1 {
            return Err(SpacesError::InvalidToken);
        }
    }
    let role = invitation.role();
    diesel::insert_into(space_members::table)
        .values(NewMember {
            space_id: space_id.0,
            user_id: user.0,
            role: role.code(),
            joined_at: now,
        })
        .execute(conn)?;
    Ok((space, role))
}

/// Deletes invitations that expired before `now`; returns how many.
pub(crate) fn purge_expired(conn: &mut DbConnection, now: UnixTime) -> Result<usize> {
    Ok(
        diesel::delete(space_invitations::table.filter(space_invitations::expires_at.le(now)))
            .execute(conn)?,
    )
}
