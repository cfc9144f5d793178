//! The spaces' part of a person's data export and of their account's deletion.

use diesel::prelude::*;
use maille_accounts::{DeletionBlocker, PersonalData, UserId};
use maille_database::schema::{space_invitations, space_members, spaces};
use maille_database::{DbConnection, UnixTime};

use crate::role::SpaceRole;

/// What the spaces service holds about a person: their memberships and the invitations they
/// made or accepted. A space whose only owner they are blocks their account's deletion until
/// they hand it over or delete it.
///
/// Register it once with [`maille_accounts::Accounts::register_personal_data`]. It holds no
/// state (and no [`crate::Spaces`], which holds the accounts service: that would make a
/// reference cycle).
#[derive(Debug, Clone, Copy, Default)]
pub struct SpacesPersonalData;

type Query<T> = Result<T, diesel::result::Error>;

fn owned_alone(conn: &mut DbConnection, user: UserId) -> Query<Vec<String>> {
    let mine: Vec<i64> = space_members::table
        .filter(space_members::user_id.eq(user.0))
        .filter(space_members::role.eq(SpaceRole::Owner.code()))
        .select(space_members::space_id)
        .load(conn)?;
    if mine.is_empty() {
        return Ok(Vec::new());
    }
    // Lock those spaces until the deletion's transaction ends, so that no other owner steps
    // down between this check and the deletion (see `space::lock`).
    diesel::update(spaces::table.filter(spaces::id.eq_any(&mine)))
        .set(spaces::updated_at.eq(spaces::updated_at))
        .execute(conn)?;
    let owners: Vec<(i64, i64)> = space_members::table
        .filter(space_members::space_id.eq_any(&mine))
        .filter(space_members::role.eq(SpaceRole::Owner.code()))
        .group_by(space_members::space_id)
        .select((space_members::space_id, diesel::dsl::count_star()))
        .load(conn)?;
    let alone: Vec<i64> = owners
        .into_iter()
        .filter(|(_, count)| *count <= 1)
        .map(|(space, _)| space)
        .collect();
    let mut handles: Vec<String> = spaces::table
        .filter(spaces::id.eq_any(alone))
        .select(spaces::handle)
        .load(conn)?;
    handles.sort();
    Ok(handles)
}

impl PersonalData for SpacesPersonalData {
    fn section(&self) -> &'static str {
        "spaces"
    }

    fn export(&self, conn: &mut DbConnection, user: UserId) -> Query<serde_json::Value> {
        let memberships: Vec<(String, String, String, UnixTime)> = space_members::table
            .inner_join(spaces::table)
            .filter(space_members::user_id.eq(user.0))
            .order(space_members::joined_at.asc())
            .select((
                spaces::handle,
                spaces::display_name,
                space_members::role,
                space_members::joined_at,
            ))
            .load(conn)?;
        type Invitation = (
            String,
            Option<String>,
            String,
            UnixTime,
            UnixTime,
            Option<UnixTime>,
        );
        let created: Vec<Invitation> = space_invitations::table
            .inner_join(spaces::table)
            .filter(space_invitations::created_by.eq(user.0))
            .order(space_invitations::created_at.asc())
            .select((
                spaces::handle,
                space_invitations::email,
                space_invitations::role,
                space_invitations::created_at,
                space_invitations::expires_at,
                space_invitations::accepted_at,
            ))
            .load(conn)?;
        let accepted: Vec<(String, Option<UnixTime>)> = space_invitations::table
            .inner_join(spaces::table)
            .filter(space_invitations::accepted_by.eq(user.0))
            .select((spaces::handle, space_invitations::accepted_at))
            .load(conn)?;
        Ok(serde_json::json!({
            "memberships": memberships.into_iter().map(|(handle, name, role, joined_at)| {
                serde_json::json!({"space": handle, "display_name": name, "role": role, "joined_at": joined_at})
            }).collect::<Vec<_>>(),
            "invitations_created": created.into_iter().map(|(handle, email, role, created_at, expires_at, accepted_at)| {
                serde_json::json!({
                    "space": handle, "email": email, "role": role, "created_at": created_at,
                    "expires_at": expires_at, "accepted_at": accepted_at,
                })
            }).collect::<Vec<_>>(),
            "invitations_accepted": accepted.into_iter().map(|(handle, accepted_at)| {
                serde_json::json!({"space": handle, "accepted_at": accepted_at})
            }).collect::<Vec<_>>(),
        }))
    }

    fn deletion_blockers(
        &self,
        conn: &mut DbConnection,
        user: UserId,
    ) -> Query<Vec<DeletionBlocker>> {
        Ok(owned_alone(conn, user)?
            .into_iter()
            .map(|handle| DeletionBlocker {
                kind: "space".to_owned(),
                name: handle,
            })
            .collect())
    }

    fn delete(&self, conn: &mut DbConnection, user: UserId) -> Query<()> {
        diesel::delete(space_members::table.filter(space_members::user_id.eq(user.0)))
            .execute(conn)?;
        // Invitations belong to their space and stay; they just no longer name this person.
        diesel::update(space_invitations::table.filter(space_invitations::created_by.eq(user.0)))
            .set(space_invitations::created_by.eq(None::<i64>))
            .execute(conn)?;
        diesel::update(space_invitations::table.filter(space_invitations::accepted_by.eq(user.0)))
            .set(space_invitations::accepted_by.eq(None::<i64>))
            .execute(conn)?;
        Ok(())
    }
}
