//! The rooms' part of a person's data export and of their account's deletion.

use diesel::prelude::*;
use maille_accounts::{DeletionBlocker, PersonalData, UserId};
use maille_database::schema::{room_moderators, rooms};
use maille_database::DbConnection;

use crate::room::RoomRow;

/// What the rooms service holds about a person: the rooms they own (deleted with their
/// account), those they created for a space (which stay, no longer naming them), and the
/// rooms whose owner named them moderator. What happens in meetings is never stored.
///
/// Register it once with [`maille_accounts::Accounts::register_personal_data`].
#[derive(Debug, Clone, Copy, Default)]
pub struct RoomsPersonalData;

type Query<T> = Result<T, diesel::result::Error>;

impl PersonalData for RoomsPersonalData {
    fn section(&self) -> &'static str {
        "rooms"
    }

    fn export(&self, conn: &mut DbConnection, user: UserId) -> Query<serde_json::Value> {
        let rows: Vec<RoomRow> = rooms::table
            .filter(
                rooms::owner_user_id
                    .eq(user.0)
                    .or(rooms::created_by.eq(user.0)),
            )
            .order(rooms::created_at.asc())
            .select(RoomRow::as_select())
            .load(conn)?;
        let moderating: Vec<String> = room_moderators::table
            .filter(room_moderators::user_id.eq(user.0))
            .select(room_moderators::room_id)
            .load(conn)?;
        Ok(serde_json::json!({
            "rooms": rows.into_iter().map(|r| serde_json::json!({
                "id": r.id, "name": r.name, "owned": r.owner_user_id == Some(user.0),
                "has_password": r.password_hash.is_some(), "lobby": r.lobby,
                "max_participants": r.max_participants, "created_at": r.created_at,
            })).collect::<Vec<_>>(),
            "moderator_of": moderating,
        }))
    }

    fn deletion_blockers(
        &self,
        _conn: &mut DbConnection,
        _user: UserId,
    ) -> Query<Vec<DeletionBlocker>> {
        Ok(Vec::new())
    }

    fn delete(&self, conn: &mut DbConnection, user: UserId) -> Query<()> {
        diesel::delete(room_moderators::table.filter(room_moderators::user_id.eq(user.0)))
            .execute(conn)?;
        diesel::delete(rooms::table.filter(rooms::owner_user_id.eq(user.0))).execute(conn)?;
        diesel::update(rooms::table.filter(rooms::created_by.eq(user.0)))
            .set(rooms::created_by.eq(None::<i64>))
            .execute(conn)?;
        Ok(())
    }
}
