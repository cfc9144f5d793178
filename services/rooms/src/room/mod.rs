//! Rooms as records: their ids, owner, password, lobby, limit and moderators, and who may do
//! what with them.

pub mod public;
pub(crate) mod routes;
mod rules;

use base64::Engine as _;
use diesel::prelude::*;
use maille_accounts::UserId;
use maille_database::schema::{room_moderators, rooms};
use maille_database::{DbConnection, UnixTime};
use maille_spaces::SpaceId;
use rand::RngCore;
use serde::{Deserialize, Serialize};

pub use rules::{is_moderator, Asker};

use crate::error::Result;

/// A room's id: 128 random bits in base64url, 22 characters. Whoever holds it may knock.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RoomId(pub String);

impl RoomId {
    /// A fresh random id.
    pub fn generate() -> RoomId {
        let mut bytes = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut bytes);
        RoomId(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
    }

    /// `text` as an id, when it has the shape of one (anything else names no room and is
    /// never looked up).
    pub fn parse(text: &str) -> Option<RoomId> {
        let well_formed = text.len() == 22
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        well_formed.then(|| RoomId(text.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What logs call the room: a digest of its id (the id itself lets its holder join).
    pub fn log_tag(&self) -> String {
        use sha2::Digest as _;
        let digest = sha2::Sha256::digest(self.0.as_bytes());
        digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
    }
}

impl std::fmt::Display for RoomId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whom a room belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// A user.
    User(UserId),
    /// A space: its owners and moderators moderate the room.
    Space(SpaceId),
    /// Nobody: created anonymously; whoever holds its moderator key moderates it.
    Nobody,
}

/// A room as stored.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = rooms)]
pub struct RoomRow {
    /// Id.
    pub id: String,
    /// Name shown.
    pub name: String,
    /// Owning user.
    pub owner_user_id: Option<i64>,
    /// Owning space.
    pub owner_space_id: Option<i64>,
    /// Who created it, while their account exists.
    pub created_by: Option<i64>,
    /// argon2id hash of its password, if it has one.
    pub password_hash: Option<String>,
    /// SHA-256 of the moderator key of an anonymous room.
    pub moderator_key_hash: Option<String>,
    /// Whether newcomers wait until a moderator admits them.
    pub lobby: bool,
    /// Most participants at once.
    pub max_participants: i64,
    /// Whether newcomers are refused.
    pub locked: bool,
    /// Creation time.
    pub created_at: UnixTime,
    /// Last change.
    pub updated_at: UnixTime,
}

impl RoomRow {
    /// Whom it belongs to.
    pub fn owner(&self) -> Owner {
        match (self.owner_user_id, self.owner_space_id) {
            (_, Some(space)) => Owner::Space(SpaceId(space)),
            (Some(user), None) => Owner::User(UserId(user)),
            (None, None) => Owner::Nobody,
        }
    }

    /// Its id.
    pub fn room_id(&self) -> RoomId {
        RoomId(self.id.clone())
    }
}

/// The room `id`.
pub fn find(conn: &mut DbConnection, id: &RoomId) -> Result<Option<RoomRow>> {
    Ok(rooms::table
        .find(id.as_str())
        .select(RoomRow::as_select())
        .first(conn)
        .optional()?)
}

/// The users the owner named moderators of `room`.
pub fn named_moderators(conn: &mut DbConnection, room: &RoomId) -> Result<Vec<UserId>> {
    Ok(room_moderators::table
        .filter(room_moderators::room_id.eq(room.as_str()))
        .select(room_moderators::user_id)
        .order(room_moderators::user_id.asc())
        .load::<i64>(conn)?
        .into_iter()
        .map(UserId)
        .collect())
}

/// Who `user` (holding `key`, maybe) is to `room`.
pub fn asker(
    conn: &mut DbConnection,
    spaces: &maille_spaces::Spaces,
    room: &RoomRow,
    user: Option<UserId>,
    key: Option<&str>,
) -> Result<Asker> {
    let space_role = match (room.owner(), user) {
        (Owner::Space(space), Some(user)) => spaces.role_of_blocking(conn, space, user)?,
        _ => None,
    };
    let named = match user {
        Some(user) => {
            room_moderators::table
                .filter(room_moderators::room_id.eq(&room.id))
                .filter(room_moderators::user_id.eq(user.0))
                .count()
                .get_result::<i64>(conn)?
                > 0
        }
        None => false,
    };
    Ok(Asker {
        user,
        space_role,
        named,
        holds_key: room.owner() == Owner::Nobody && moderator_key_matches(room, key),
    })
}

/// Hashes a room password (argon2id, OWASP's parameters). Slow: call it off the executor.
pub fn hash_password(password: &str) -> Result<String> {
    use argon2::password_hash::rand_core::OsRng;
    use argon2::password_hash::{PasswordHasher, SaltString};
    let salt = SaltString::generate(&mut OsRng);
    argon2()?
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| crate::RoomsError::Internal(format!("argon2 hashing: {e}")))
}

/// Checks a room password against its hash. Slow: call it off the executor.
pub fn verify_password(password: &str, stored: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    argon2().is_ok_and(|a| a.verify_password(password.as_bytes(), &parsed).is_ok())
}

fn argon2() -> Result<argon2::Argon2<'static>> {
    let params = argon2::Params::new(19_456, 2, 1, None)
        .map_err(|e| crate::RoomsError::Internal(format!("argon2 parameters: {e}")))?;
    Ok(argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        params,
    ))
}

/// A fresh moderator key for an anonymous room, and its stored digest.
pub fn moderator_key() -> (String, String) {
    let key = maille_accounts::generate_token();
    let digest = maille_accounts::token_digest(&key);
    (key, digest)
}

/// Whether `key` is the moderator key of `room` (compared in constant time).
pub fn moderator_key_matches(room: &RoomRow, key: Option<&str>) -> bool {
    use subtle::ConstantTimeEq as _;
    match (room.moderator_key_hash.as_deref(), key) {
        (Some(stored), Some(key)) if !key.is_empty() => {
            let given = maille_accounts::token_digest(key);
            bool::from(stored.as_bytes().ct_eq(given.as_bytes()))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_22_base64url_characters_and_logs_never_show_them() {
        let id = RoomId::generate();
        assert_eq!(RoomId::parse(id.as_str()), Some(id.clone()));
        assert_ne!(RoomId::generate(), id);
        assert_eq!(RoomId::parse("short"), None);
        assert_eq!(RoomId::parse("AAAAAAAAAAAAAAAAAAAA/A"), None);
        assert!(!id.as_str().contains(&id.log_tag()));
    }

    #[test]
    fn passwords_verify_only_themselves() {
        let hash = hash_password("s3cret").unwrap();
        assert!(verify_password("s3cret", &hash));
        assert!(!verify_password("S3cret", &hash));
        assert!(!verify_password("s3cret", "garbage"));
    }
}
