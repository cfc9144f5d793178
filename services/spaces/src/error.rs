//! What can go wrong in the spaces service, and how each case is answered over HTTP.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use maille_accounts::AccountsError;
use maille_database::DatabaseError;
use maille_http::ApiError;

/// A spaces error. Each variant has a stable `code` and status; internal causes are logged,
/// never sent.
#[derive(Debug, thiserror::Error)]
pub enum SpacesError {
    /// No such space, member or invitation, or the asker is not a member of the space (the
    /// two are indistinguishable on purpose).
    #[error("not found")]
    NotFound,
    /// A member of the space, but their role does not allow this.
    #[error("your role in this space does not allow this")]
    Forbidden,
    /// The handle is reserved or already names a user or a space (even a deleted one).
    #[error("this name is already taken")]
    HandleTaken,
    /// The change would leave the space without an owner.
    #[error("a space needs an owner: make someone else owner first, or delete the space")]
    SoleOwner,
    /// An invitation token is unknown, revoked, used or expired.
    #[error("this invitation is invalid, already used or expired")]
    InvalidToken,
    /// A field is invalid.
    #[error("{field}: {message}")]
    Invalid {
        /// The field at fault.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// Too many invitations were made in this space lately.
    #[error("too many invitations lately")]
    Throttled {
        /// Seconds to wait.
        retry_after: u64,
    },
    /// The accounts service refused or failed (answered as it answers it).
    #[error(transparent)]
    Accounts(AccountsError),
    /// The database failed.
    #[error(transparent)]
    Database(#[from] DatabaseError),
}

impl From<diesel::result::Error> for SpacesError {
    fn from(error: diesel::result::Error) -> Self {
        SpacesError::Database(DatabaseError::Query(error))
    }
}

impl From<AccountsError> for SpacesError {
    fn from(error: AccountsError) -> Self {
        match error {
            AccountsError::HandleTaken => SpacesError::HandleTaken,
            AccountsError::Invalid { field, message } => SpacesError::Invalid { field, message },
            AccountsError::NotFound => SpacesError::NotFound,
            AccountsError::Database(cause) => SpacesError::Database(cause),
            other => SpacesError::Accounts(other),
        }
    }
}

impl SpacesError {
    /// A validation error on `field`.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> SpacesError {
        SpacesError::Invalid {
            field,
            message: message.into(),
        }
    }

    /// The answer to the client.
    pub fn to_api_error(&self) -> ApiError {
        use SpacesError as E;
        let msg = self.to_string();
        match self {
            E::NotFound => ApiError::not_found(),
            E::Forbidden => ApiError::new(StatusCode::FORBIDDEN, "forbidden", msg),
            E::HandleTaken => ApiError::new(StatusCode::CONFLICT, "handle_taken", msg),
            E::SoleOwner => ApiError::new(StatusCode::CONFLICT, "sole_owner", msg),
            E::InvalidToken => ApiError::new(StatusCode::NOT_FOUND, "invalid_token", msg),
            E::Invalid { field, message } => ApiError::validation(field, message.clone()),
            E::Throttled { retry_after } => ApiError::too_many_requests(*retry_after),
            E::Accounts(error) => error.to_api_error(),
            E::Database(DatabaseError::Pool(cause)) => {
                ApiError::unavailable("database pool exhausted", cause)
            }
            E::Database(cause) => ApiError::internal("spaces: database error", cause),
        }
    }
}

impl ResponseError for SpacesError {
    fn status_code(&self) -> StatusCode {
        // Without building the answer: that would log internal causes a second time.
        use SpacesError as E;
        match self {
            E::NotFound | E::InvalidToken => StatusCode::NOT_FOUND,
            E::Forbidden => StatusCode::FORBIDDEN,
            E::HandleTaken | E::SoleOwner => StatusCode::CONFLICT,
            E::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            E::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            E::Accounts(error) => error.status_code(),
            E::Database(DatabaseError::Pool(_)) => StatusCode::SERVICE_UNAVAILABLE,
            E::Database(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        self.to_api_error().error_response()
    }
}

/// Result of the spaces service.
pub type Result<T, E = SpacesError> = std::result::Result<T, E>;
