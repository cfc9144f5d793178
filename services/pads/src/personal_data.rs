//! The pads' part of a person's data export and of their account's deletion.

use diesel::prelude::*;
use maille_accounts::{DeletionBlocker, PersonalData, UserId};
use maille_database::schema::pads;
use maille_database::DbConnection;

use crate::pad::PadRow;

/// What the pads service holds about a person: the pads they own (deleted with their
/// account, with their content and history) and those they created for a space or
/// anonymously while logged in (which stay, no longer naming them).
///
/// Register it once with [`maille_accounts::Accounts::register_personal_data`].
#[derive(Debug, Clone, Copy, Default)]
pub struct PadsPersonalData;

type Query<T> = Result<T, diesel::result::Error>;

impl PersonalData for PadsPersonalData {
    fn section(&self) -> &'static str {
        "pads"
    }

    fn export(&self, conn: &mut DbConnection, user: UserId) -> Query<serde_json::Value> {
        let rows: Vec<PadRow> = pads::table
            .filter(
                pads::owner_user_id
                    .eq(user.0)
                    .or(pads::created_by.eq(user.0)),
            )
            .order(pads::created_at.asc())
            .select(PadRow::as_select())
            .load(conn)?;
        Ok(serde_json::Value::Array(
            rows.into_iter()
                .map(|p| {
                    serde_json::json!({
                        "id": p.id, "read_id": p.read_id, "title": p.title,
                        "visibility": p.visibility, "owned": p.owner_user_id == Some(user.0),
                        "created_at": p.created_at, "updated_at": p.updated_at,
                        "expires_at": p.expires_at, "deleted_at": p.deleted_at,
                    })
                })
                .collect(),
        ))
    }

    fn deletion_blockers(
        &self,
        _conn: &mut DbConnection,
        _user: UserId,
    ) -> Query<Vec<DeletionBlocker>> {
        Ok(Vec::new())
    }

    fn delete(&self, conn: &mut DbConnection, user: UserId) -> Query<()> {
        // Their content, log and versions go with them: ON DELETE CASCADE.
        diesel::delete(pads::table.filter(pads::owner_user_id.eq(user.0))).execute(conn)?;
        diesel::update(pads::table.filter(pads::created_by.eq(user.0)))
            .set(pads::created_by.eq(None::<i64>))
            .execute(conn)?;
        Ok(())
    }
}
