//! Users: the stored account, its public shape, and the queries other modules share.

use diesel::prelude::*;
use maille_config::Language;
use maille_database::schema::users;
use maille_database::{DbConnection, UnixTime};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{AccountsError, Result};

/// A user's identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct UserId(pub i64);

impl std::fmt::Display for UserId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// What a user may do on the instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A person using the instance.
    User,
    /// An administrator of the instance.
    Admin,
}

impl Role {
    /// Stored and API name.
    pub fn code(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
        }
    }

    fn parse(code: &str) -> Role {
        if code == "admin" {
            Role::Admin
        } else {
            Role::User
        }
    }
}

/// A user as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    /// Id.
    pub id: i64,
    /// Handle, lower-case.
    pub username: String,
    /// Email address, lower-case.
    pub email: String,
    /// Whether the address was confirmed by a link.
    pub email_verified: bool,
    /// Name shown to others.
    pub display_name: String,
    /// argon2id hash.
    pub password_hash: String,
    /// `fr` or `en`.
    pub language: String,
    /// `user` or `admin`.
    pub role: String,
    /// Whether an admin approved the account (always true outside the `approval` mode).
    pub approved: bool,
    /// Whether an admin disabled the account.
    pub disabled: bool,
    /// Why the person asked to join (approval mode).
    pub registration_reason: String,
    /// Creation time.
    pub created_at: UnixTime,
    /// Last change.
    pub updated_at: UnixTime,
    /// Last successful login.
    pub last_login_at: Option<UnixTime>,
    /// For someone of another instance who signed in with their home instance: their actor's
    /// ActivityPub id there. `None` for local accounts.
    pub remote_actor_id: Option<String>,
}

impl UserRow {
    /// Whether this is the account of someone of another instance (see [`crate::remote`]).
    pub fn is_remote(&self) -> bool {
        self.remote_actor_id.is_some()
    }

    /// Typed id.
    pub fn user_id(&self) -> UserId {
        UserId(self.id)
    }

    /// Typed role.
    pub fn role(&self) -> Role {
        Role::parse(&self.role)
    }

    /// Typed language (the instance's default when the stored one is unknown).
    pub fn language(&self, fallback: Language) -> Language {
        Language::parse(&self.language).unwrap_or(fallback)
    }
}

/// A new user.
#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    /// Id.
    pub id: i64,
    /// Handle.
    pub username: &'a str,
    /// Email.
    pub email: &'a str,
    /// Verified already (made by an admin).
    pub email_verified: bool,
    /// Name shown.
    pub display_name: &'a str,
    /// argon2id hash.
    pub password_hash: &'a str,
    /// Language code.
    pub language: &'a str,
    /// Role code.
    pub role: &'a str,
    /// Approved already.
    pub approved: bool,
    /// Disabled.
    pub disabled: bool,
    /// Reason given at sign-up.
    pub registration_reason: &'a str,
    /// Now.
    pub created_at: UnixTime,
    /// Now.
    pub updated_at: UnixTime,
}

/// How I see myself.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Me {
    /// Id, as a string.
    pub id: String,
    /// Handle.
    pub username: String,
    /// Email address.
    pub email: String,
    /// Name shown to others.
    pub display_name: String,
    /// `fr` or `en`.
    pub language: String,
    /// `user` or `admin`.
    pub role: Role,
    /// Creation time.
    pub created_at: UnixTime,
    /// Whether this account belongs to someone of another instance who signed in with their
    /// home instance (no password, no email here).
    pub remote: bool,
}

impl From<&UserRow> for Me {
    fn from(u: &UserRow) -> Me {
        Me {
            id: u.id.to_string(),
            username: u.username.clone(),
            // A remote account's address is a placeholder, not theirs: show none.
            email: if u.is_remote() {
                String::new()
            } else {
                u.email.clone()
            },
            display_name: u.display_name.clone(),
            language: u.language.clone(),
            role: u.role(),
            created_at: u.created_at,
            remote: u.is_remote(),
        }
    }
}

/// A user as another service needs to know them.
#[derive(Debug, Clone, Serialize)]
pub struct UserSummary {
    /// Id.
    pub id: UserId,
    /// Handle.
    pub username: String,
    /// Name shown.
    pub display_name: String,
    /// Email (for notifications; never shown to other users).
    pub email: String,
    /// Language of their emails.
    pub language: Language,
}

impl UserSummary {
    pub(crate) fn of(u: &UserRow, fallback: Language) -> UserSummary {
        UserSummary {
            id: u.user_id(),
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            // A remote account's address is a placeholder that must never be written to.
            email: if u.is_remote() {
                String::new()
            } else {
                u.email.clone()
            },
            language: u.language(fallback),
        }
    }
}

/// Normalises an email address for storage and comparison (trimmed, lower-case) and checks
/// its shape.
pub fn normalize_email(raw: &str) -> Result<String> {
    let email = raw.trim().to_lowercase();
    let valid = email.len() <= 254
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
        && match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && local.len() <= 64
                    && domain.contains('.')
                    && !domain.contains('@')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            }
            None => false,
        };
    if valid {
        Ok(email)
    } else {
        Err(AccountsError::invalid(
            "email",
            "this is not an email address",
        ))
    }
}

/// Checks a display name: 1 to 100 characters, no control characters.
pub fn check_display_name(name: &str) -> Result<String> {
    let name = name.trim();
    let length = name.chars().count();
    if !(1..=100).contains(&length) || name.chars().any(char::is_control) {
        return Err(AccountsError::invalid(
            "display_name",
            "use 1 to 100 characters, without control characters",
        ));
    }
    Ok(name.to_owned())
}

/// Finds a user by id.
pub fn find(conn: &mut DbConnection, id: UserId) -> Result<Option<UserRow>> {
    Ok(users::table
        .find(id.0)
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

/// Finds a user by username.
pub fn find_by_username(conn: &mut DbConnection, username: &str) -> Result<Option<UserRow>> {
    Ok(users::table
        .filter(users::username.eq(username.trim().to_lowercase()))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

/// Finds a user by email address.
pub fn find_by_email(conn: &mut DbConnection, email: &str) -> Result<Option<UserRow>> {
    Ok(users::table
        .filter(users::email.eq(email.trim().to_lowercase()))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

/// Finds a user by username, or by email when `login` contains `@`.
pub fn find_by_login(conn: &mut DbConnection, login: &str) -> Result<Option<UserRow>> {
    if login.contains('@') {
        find_by_email(conn, login)
    } else {
        find_by_username(conn, login)
    }
}

/// Finds a user by username or fails with [`AccountsError::NotFound`].
pub fn require_by_username(conn: &mut DbConnection, username: &str) -> Result<UserRow> {
    find_by_username(conn, username)?.ok_or(AccountsError::NotFound)
}

/// Admins of the instance (to notify them).
pub fn admins(conn: &mut DbConnection) -> Result<Vec<UserRow>> {
    Ok(users::table
        .filter(users::role.eq(Role::Admin.code()))
        .filter(users::disabled.eq(false))
        .select(UserRow::as_select())
        .load(conn)?)
}
