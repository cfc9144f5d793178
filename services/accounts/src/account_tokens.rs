//! Single-use tokens sent by email: verify an address, reset a password, confirm a new address.

use diesel::prelude::*;
use maille_database::schema::account_tokens;
use maille_database::{DbConnection, UnixTime};

use crate::error::{AccountsError, Result};
use crate::secret_token;
use crate::users::UserId;

/// What a token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Confirm the address given at sign-up.
    VerifyEmail,
    /// Choose a new password.
    ResetPassword,
    /// Confirm a new address.
    ChangeEmail,
}

impl Purpose {
    fn code(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "verify_email",
            Purpose::ResetPassword => "reset_password",
            Purpose::ChangeEmail => "change_email",
        }
    }
}

/// A redeemed token: whose, and the address it was about.
#[derive(Debug, Clone)]
pub struct Redeemed {
    /// The user.
    pub user: UserId,
    /// The address (verified or new).
    pub email: String,
}

/// Issues a token valid for `validity_seconds`; earlier unused tokens of the same purpose for
/// that user stop working.
pub fn issue(
    conn: &mut DbConnection,
    user: UserId,
    purpose: Purpose,
    email: &str,
    validity_seconds: i64,
    now: UnixTime,
) -> Result<String> {
    diesel::update(
        account_tokens::table
            .filter(account_tokens::user_id.eq(user.0))
            .filter(account_tokens::purpose.eq(purpose.code()))
            .filter(account_tokens::used_at.is_null()),
    )
    .set(account_tokens::used_at.eq(now))
    .execute(conn)?;
    let token = secret_token::generate();
    diesel::insert_into(account_tokens::table)
        .values((
            account_tokens::token_hash.eq(secret_token::digest(&token)),
            account_tokens::user_id.eq(user.0),
            account_tokens::purpose.eq(purpose.code()),
            account_tokens::email.eq(email),
            account_tokens::created_at.eq(now),
            account_tokens::expires_at.eq(now.saturating_add(validity_seconds)),
        ))
        .execute(conn)?;
    Ok(token)
}

/// Uses a token once: fails with [`AccountsError::InvalidToken`] when it is unknown, of
/// another purpose, already used or expired. Call inside the transaction that acts on it, so
/// that a failure later in that transaction leaves the token unused.
pub fn redeem(
    conn: &mut DbConnection,
    token: &str,
    purpose: Purpose,
    now: UnixTime,
) -> Result<Redeemed> {
    let hash = secret_token::digest(token.trim());
    let found: Option<(i64, String, UnixTime)> = account_tokens::table
        .filter(account_tokens::token_hash.eq(&hash))
        .filter(account_tokens::purpose.eq(purpose.code()))
        .filter(account_tokens::used_at.is_null())
        .select((
            account_tokens::user_id,
            account_tokens::email,
            account_tokens::expires_at,
        ))
        .first(conn)
        .optional()?;
    let Some((user, email, expires_at)) = found else {
        return Err(AccountsError::InvalidToken);
    };
    if now >= expires_at {
        return Err(AccountsError::InvalidToken);
    }
    // The update names `used_at IS NULL` again so that two concurrent uses cannot both win.
    let updated = diesel::update(
        account_tokens::table
            .filter(account_tokens::token_hash.eq(&hash))
            .filter(account_tokens::used_at.is_null()),
    )
    .set(account_tokens::used_at.eq(now))
    .execute(conn)?;
    if updated != 1 {
        return Err(AccountsError::InvalidToken);
    }
    Ok(Redeemed {
        user: UserId(user),
        email,
    })
}

/// Deletes tokens that can no longer be used, a day after they stopped working.
pub fn purge(conn: &mut DbConnection, now: UnixTime) -> Result<usize> {
    Ok(diesel::delete(
        account_tokens::table.filter(
            account_tokens::expires_at
                .le(now - 86_400)
                .or(account_tokens::used_at.le(now - 86_400)),
        ),
    )
    .execute(conn)?)
}
