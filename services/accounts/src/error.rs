//! What can go wrong in the accounts service, and how each case is answered over HTTP.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use maille_database::DatabaseError;
use maille_http::ApiError;

/// An accounts error. Each variant has a stable `code` and status; internal causes are logged,
/// never sent.
#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    /// Wrong login or password (or no such account: the two are indistinguishable).
    #[error("invalid login or password")]
    InvalidCredentials,
    /// The right password, but the email address is not verified yet.
    #[error("the email address is not verified yet")]
    EmailNotVerified,
    /// The right password, but an admin has not approved the account yet.
    #[error("the account awaits an admin's approval")]
    PendingApproval,
    /// The right password, but the account is disabled.
    #[error("the account is disabled")]
    AccountDisabled,
    /// Not logged in, or the session ended.
    #[error("not logged in")]
    NotAuthenticated,
    /// The CSRF token is missing or wrong.
    #[error("missing or wrong CSRF token")]
    CsrfFailed,
    /// Logged in but not allowed.
    #[error("not allowed")]
    Forbidden,
    /// No such thing (or not visible to this user).
    #[error("not found")]
    NotFound,
    /// A token (verification, reset) is unknown, used or expired.
    #[error("this link is invalid, already used or expired")]
    InvalidToken,
    /// The username is already someone's (or a space's).
    #[error("this name is already taken")]
    HandleTaken,
    /// The email address is already in use by another account.
    #[error("this email address is already in use")]
    EmailTaken,
    /// Sign-up is closed on this instance.
    #[error("registration is closed on this instance")]
    RegistrationClosed,
    /// Sign-up needs an invite code.
    #[error("an invite code is needed to sign up here")]
    InviteRequired,
    /// The invite code is unknown, used up or expired.
    #[error("this invite code is invalid, used up or expired")]
    InviteInvalid,
    /// A field is invalid.
    #[error("{field}: {message}")]
    Invalid {
        /// The field at fault.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The account cannot be deleted while it is the sole owner of these.
    #[error("hand over or delete these first: {}", .0.iter().map(|b| format!("{} {}", b.kind, b.name)).collect::<Vec<_>>().join(", "))]
    SoleOwner(Vec<crate::DeletionBlocker>),
    /// The operation needs a recent sign-in, and this session is older.
    #[error("sign in again first: this needs a sign-in of the last few minutes")]
    SignInAgain,
    /// Too many attempts.
    #[error("too many attempts")]
    Throttled {
        /// Seconds to wait.
        retry_after: u64,
    },
    /// The database failed.
    #[error(transparent)]
    Database(#[from] DatabaseError),
    /// Something else failed inside the server.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<diesel::result::Error> for AccountsError {
    fn from(error: diesel::result::Error) -> Self {
        AccountsError::Database(DatabaseError::Query(error))
    }
}

impl AccountsError {
    /// A validation error on `field`.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> AccountsError {
        AccountsError::Invalid {
            field,
            message: message.into(),
        }
    }

    /// The answer to the client.
    pub fn to_api_error(&self) -> ApiError {
        use AccountsError as E;
        let msg = self.to_string();
        match self {
            E::InvalidCredentials => {
                ApiError::new(StatusCode::UNAUTHORIZED, "invalid_credentials", msg)
            }
            E::EmailNotVerified => ApiError::new(StatusCode::FORBIDDEN, "email_not_verified", msg),
            E::PendingApproval => ApiError::new(StatusCode::FORBIDDEN, "pending_approval", msg),
            E::AccountDisabled => ApiError::new(StatusCode::FORBIDDEN, "account_disabled", msg),
            E::NotAuthenticated => ApiError::not_authenticated(),
            E::CsrfFailed => ApiError::new(StatusCode::FORBIDDEN, "csrf_failed", msg),
            E::Forbidden => ApiError::forbidden(),
            E::NotFound => ApiError::not_found(),
            E::InvalidToken => ApiError::new(StatusCode::BAD_REQUEST, "invalid_token", msg),
            E::HandleTaken => ApiError::new(StatusCode::CONFLICT, "username_taken", msg),
            E::EmailTaken => ApiError::new(StatusCode::CONFLICT, "email_taken", msg),
            E::RegistrationClosed => {
                ApiError::new(StatusCode::FORBIDDEN, "registration_closed", msg)
            }
            E::InviteRequired => ApiError::new(StatusCode::FORBIDDEN, "invite_required", msg),
            E::InviteInvalid => ApiError::new(StatusCode::FORBIDDEN, "invite_invalid", msg),
            E::Invalid { field, message } => ApiError::validation(field, message.clone()),
            E::SoleOwner(blockers) => ApiError::new(StatusCode::CONFLICT, "sole_owner", msg)
                .with_details(serde_json::json!({
                    "spaces": blockers.iter().filter(|b| b.kind == "space").map(|b| b.name.clone()).collect::<Vec<_>>(),
                    "blockers": blockers,
                })),
            E::SignInAgain => ApiError::new(StatusCode::UNAUTHORIZED, "sign_in_again", msg),
            E::Throttled { retry_after } => ApiError::too_many_requests(*retry_after),
            E::Database(DatabaseError::Pool(cause)) => {
                ApiError::unavailable("database pool exhausted", cause)
            }
            E::Database(cause) => ApiError::internal("accounts: database error", cause),
            E::Internal(cause) => ApiError::internal("accounts: internal error", cause),
        }
    }
}

impl ResponseError for AccountsError {
    fn status_code(&self) -> StatusCode {
        // Not through `to_api_error`, which logs internal causes: they are logged once, when
        // the response is made.
        match self {
            AccountsError::Database(DatabaseError::Pool(_)) => StatusCode::SERVICE_UNAVAILABLE,
            AccountsError::Database(_) | AccountsError::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            other => other.to_api_error().status(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        self.to_api_error().error_response()
    }
}

/// Result of the accounts service.
pub type Result<T, E = AccountsError> = std::result::Result<T, E>;
