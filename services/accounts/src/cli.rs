//! Account operations for the `maille admin user` command line, run by the host's admin
//! directly against the database.

use diesel::prelude::*;
use maille_database::schema::users;
use maille_database::{random_id, Database};

use crate::admin::{self, AdminAction};
use crate::error::{AccountsError, Result};
use crate::handles::{self, HandleKind};
use crate::users::{self as accounts_users, NewUser, Role, UserId};
use crate::{password, sessions, Accounts};

/// A new account made by the admin: verified and approved at once.
#[derive(Debug)]
pub struct NewAccount {
    /// Handle.
    pub username: String,
    /// Email address.
    pub email: String,
    /// Password (checked against the policy).
    pub password: String,
    /// Whether it administers the instance.
    pub admin: bool,
}

/// Creates an account; returns its id.
pub async fn create_user(accounts: &Accounts, account: NewAccount) -> Result<UserId> {
    let username = account.username.trim().to_lowercase();
    handles::check_shape("username", &username)?;
    let email = accounts_users::normalize_email(&account.email)?;
    password::check_policy(&account.password, &username, &email)?;
    let pw = account.password;
    let hash = tokio::task::spawn_blocking(move || password::hash(&pw))
        .await
        .map_err(|e| AccountsError::Internal(e.to_string()))??;
    let language = accounts.settings().default_language;
    let now = maille_database::now();
    let role = if account.admin {
        Role::Admin
    } else {
        Role::User
    };
    accounts
        .database()
        .transaction(move |conn| {
            if accounts_users::find_by_email(conn, &email)?.is_some() {
                return Err(AccountsError::EmailTaken);
            }
            handles::claim_even_reserved(conn, &username, HandleKind::User, now)?;
            let id = random_id();
            diesel::insert_into(users::table)
                .values(NewUser {
                    id,
                    username: &username,
                    email: &email,
                    email_verified: true,
                    display_name: &username,
                    password_hash: &hash,
                    language: language.code(),
                    role: role.code(),
                    approved: true,
                    disabled: false,
                    registration_reason: "",
                    created_at: now,
                    updated_at: now,
                })
                .execute(conn)?;
            Ok(UserId(id))
        })
        .await
}

async fn id_of(db: &Database, username: &str) -> Result<UserId> {
    let username = username.to_owned();
    db.run(move |conn| Ok(accounts_users::require_by_username(conn, &username)?.user_id()))
        .await
}

/// Sets a new password for `username` and ends their sessions. When `new_password` is `None`,
/// a random one is made; the password set is returned so that it can be shown once.
pub async fn reset_password(
    accounts: &Accounts,
    username: &str,
    new_password: Option<String>,
) -> Result<String> {
    let id = id_of(accounts.database(), username).await?;
    let new_password =
        new_password.unwrap_or_else(|| crate::secret_token::generate()[..20].to_owned());
    password::check_policy(&new_password, username, "")?;
    let pw = new_password.clone();
    let hash = tokio::task::spawn_blocking(move || password::hash(&pw))
        .await
        .map_err(|e| AccountsError::Internal(e.to_string()))??;
    let now = maille_database::now();
    accounts
        .database()
        .transaction(move |conn| {
            diesel::update(users::table.find(id.0))
                .set((users::password_hash.eq(&hash), users::updated_at.eq(now)))
                .execute(conn)?;
            sessions::close_all(conn, id)?;
            Ok::<_, AccountsError>(())
        })
        .await?;
    Ok(new_password)
}

/// Makes `username` an admin.
pub async fn promote(accounts: &Accounts, username: &str) -> Result<()> {
    let id = id_of(accounts.database(), username).await?;
    admin::apply(accounts, None, id, AdminAction::Promote)
        .await
        .map(|_| ())
}

/// Disables `username` and ends their sessions (or enables them again).
pub async fn set_disabled(accounts: &Accounts, username: &str, disabled: bool) -> Result<()> {
    let id = id_of(accounts.database(), username).await?;
    let action = if disabled {
        AdminAction::Disable
    } else {
        AdminAction::Enable
    };
    admin::apply(accounts, None, id, action).await.map(|_| ())
}
