//! How other services take part in a person's data export (GDPR articles 15 and 20) and in
//! the deletion of their account (article 17), without this service knowing their tables.

use maille_database::DbConnection;

use crate::users::UserId;

/// Something that stops an account's deletion until the person acts (hands over a space).
#[derive(Debug, Clone, serde::Serialize)]
pub struct DeletionBlocker {
    /// What kind of thing (`space`).
    pub kind: String,
    /// Its name.
    pub name: String,
}

/// A service's part of a person's data.
pub trait PersonalData: Send + Sync {
    /// The name of this part in the export (`spaces`).
    fn section(&self) -> &'static str;

    /// Everything this service holds about `user`, as JSON.
    fn export(
        &self,
        conn: &mut DbConnection,
        user: UserId,
    ) -> Result<serde_json::Value, diesel::result::Error>;

    /// What must be settled before `user` can be deleted.
    fn deletion_blockers(
        &self,
        conn: &mut DbConnection,
        user: UserId,
    ) -> Result<Vec<DeletionBlocker>, diesel::result::Error>;

    /// Deletes or anonymises what this service holds about `user`, inside the deletion's
    /// transaction.
    fn delete(&self, conn: &mut DbConnection, user: UserId) -> Result<(), diesel::result::Error>;
}
