//! Pads as records: their ids, owner, visibility, expiry and trash, and who may do what.

pub(crate) mod public;
pub(crate) mod routes;
mod rules;

use base64::Engine as _;
use diesel::prelude::*;
use maille_accounts::UserId;
use maille_database::schema::pads;
use maille_database::{DbConnection, UnixTime};
use maille_spaces::SpaceId;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use rules::{Access, SignedIn, Viewer};

use crate::error::Result;

/// A pad's edit id or read id: 128 random bits in base64url, 22 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PadId(pub String);

impl PadId {
    /// A fresh random id.
    pub fn generate() -> PadId {
        let mut bytes = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut bytes);
        PadId(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
    }

    /// `text` as an id, when it has the shape of one (anything else names no pad, and is
    /// never looked up).
    pub fn parse(text: &str) -> Option<PadId> {
        let well_formed = text.len() == 22
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        well_formed.then(|| PadId(text.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What logs call the pad: a digest of its id, since the id itself lets its holder edit
    /// (or read) the pad and logs are read by other people than its editors.
    pub fn log_tag(&self) -> String {
        log_tag(&self.0)
    }
}

/// [`PadId::log_tag`] of an id held as text.
pub fn log_tag(id: &str) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(id.as_bytes());
    digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

impl std::fmt::Display for PadId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who may open a pad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Its owner, or the members of its owning space.
    Private,
    /// Any logged-in user of this instance.
    Instance,
    /// Anyone with the link.
    Link,
    /// Anyone; listed, and announced by federation later.
    Public,
}

impl Visibility {
    /// Stored and API name.
    pub fn code(self) -> &'static str {
        match self {
            Visibility::Private => "private",
            Visibility::Instance => "instance",
            Visibility::Link => "link",
            Visibility::Public => "public",
        }
    }

    /// The visibility named `code`, if any.
    pub fn parse(code: &str) -> Option<Visibility> {
        [
            Visibility::Private,
            Visibility::Instance,
            Visibility::Link,
            Visibility::Public,
        ]
        .into_iter()
        .find(|v| v.code() == code)
    }

    /// A visibility read from the database; an unknown code (a bug or a hand edit) grants the
    /// least.
    pub(crate) fn from_stored(code: &str) -> Visibility {
        Visibility::parse(code).unwrap_or_else(|| {
            tracing::warn!(
                code,
                "unknown pad visibility in the database, read as private"
            );
            Visibility::Private
        })
    }
}

/// Whom a pad belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// A user.
    User(UserId),
    /// A space: its members share it.
    Space(SpaceId),
    /// Nobody: created anonymously; whoever holds the edit id manages it.
    Nobody,
}

/// A pad as stored.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = pads)]
pub struct PadRow {
    /// Edit id.
    pub id: String,
    /// Read-only id.
    pub read_id: String,
    /// Title (may be empty).
    pub title: String,
    /// Owning user.
    pub owner_user_id: Option<i64>,
    /// Owning space.
    pub owner_space_id: Option<i64>,
    /// Who created it, while their account exists.
    pub created_by: Option<i64>,
    /// Visibility code.
    pub visibility: String,
    /// Whether it keeps its full history.
    pub history: bool,
    /// Creation time.
    pub created_at: UnixTime,
    /// Last change of its record or content.
    pub updated_at: UnixTime,
    /// When it is deleted for good, if ever.
    pub expires_at: Option<UnixTime>,
    /// When it went to the trash.
    pub deleted_at: Option<UnixTime>,
}

impl PadRow {
    /// Whom it belongs to.
    pub fn owner(&self) -> Owner {
        match (self.owner_user_id, self.owner_space_id) {
            (_, Some(space)) => Owner::Space(SpaceId(space)),
            (Some(user), None) => Owner::User(UserId(user)),
            (None, None) => Owner::Nobody,
        }
    }

    /// Its visibility.
    pub fn visibility(&self) -> Visibility {
        Visibility::from_stored(&self.visibility)
    }

    /// Its edit id.
    pub fn pad_id(&self) -> PadId {
        PadId(self.id.clone())
    }
}

/// Which of a pad's ids a request used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// The edit id.
    EditId,
    /// The read id.
    ReadId,
}

/// The pad whose edit id or read id is `id`, and which of the two it is.
pub fn find_by_any_id(conn: &mut DbConnection, id: &PadId) -> Result<Option<(PadRow, Via)>> {
    let row: Option<PadRow> = pads::table
        .filter(pads::id.eq(id.as_str()).or(pads::read_id.eq(id.as_str())))
        .select(PadRow::as_select())
        .first(conn)
        .optional()?;
    Ok(row.map(|row| {
        let via = if row.id == id.0 {
            Via::EditId
        } else {
            Via::ReadId
        };
        (row, via)
    }))
}

/// The pad whose edit id is `id`.
pub fn find(conn: &mut DbConnection, id: &PadId) -> Result<Option<PadRow>> {
    Ok(pads::table
        .find(id.as_str())
        .select(PadRow::as_select())
        .first(conn)
        .optional()?)
}

/// A pad opened by someone: the record, and what they may do with it.
#[derive(Debug, Clone)]
pub struct Opened {
    /// The record.
    pub row: PadRow,
    /// Read or edit.
    pub access: Access,
    /// Whether they may rename, move to the trash, and change its visibility and expiry.
    pub can_manage: bool,
}

/// Opens the pad `id` for `user` at `now`: `None` when it does not exist or they may not
/// open it. Trashed pads open only for their managers, with the edit id, and `live` (the
/// WebSocket) never opens them.
pub fn open(
    conn: &mut DbConnection,
    spaces: &maille_spaces::Spaces,
    id: &PadId,
    user: Option<SignedIn>,
    now: UnixTime,
    include_trashed: bool,
) -> Result<Option<Opened>> {
    let Some((row, via)) = find_by_any_id(conn, id)? else {
        return Ok(None);
    };
    let space_role = match (row.owner(), user) {
        (Owner::Space(space), Some(user)) => spaces.role_of_blocking(conn, space, user.id)?,
        _ => None,
    };
    let viewer = Viewer { user, space_role };
    let Some(access) = rules::access(&row, via, &viewer, now) else {
        return Ok(None);
    };
    let can_manage = rules::can_manage(&row, access, &viewer);
    if row.deleted_at.is_some() && !(include_trashed && can_manage && via == Via::EditId) {
        return Ok(None);
    }
    Ok(Some(Opened {
        row,
        access,
        can_manage,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_22_base64url_characters_and_logs_never_show_them() {
        let id = PadId::generate();
        assert_eq!(PadId::parse(id.as_str()), Some(id.clone()));
        assert_ne!(PadId::generate(), id);
        assert_eq!(PadId::parse("short"), None);
        assert_eq!(PadId::parse("AAAAAAAAAAAAAAAAAAAA/A"), None);
        let tag = id.log_tag();
        assert_eq!(tag.len(), 12);
        assert!(!id.as_str().contains(&tag));
        assert_eq!(tag, id.log_tag());
    }
}
