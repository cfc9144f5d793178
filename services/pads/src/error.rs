//! What can go wrong in the pads service, and how each case is answered over HTTP.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use maille_accounts::AccountsError;
use maille_database::DatabaseError;
use maille_http::ApiError;
use maille_spaces::SpacesError;

/// A pads error. Each variant has a stable `code` and status; internal causes are logged,
/// never sent.
#[derive(Debug, thiserror::Error)]
pub enum PadsError {
    /// No such pad, or the asker may not open it (the two are indistinguishable on purpose).
    #[error("not found")]
    NotFound,
    /// Creating a pad needs an account here.
    #[error("log in first")]
    NotAuthenticated,
    /// The asker may open the pad but not do this to it.
    #[error("you may not manage this pad")]
    Forbidden,
    /// A field is invalid.
    #[error("{field}: {message}")]
    Invalid {
        /// The field at fault.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The accounts service refused or failed (answered as it answers it).
    #[error(transparent)]
    Accounts(AccountsError),
    /// The database failed.
    #[error(transparent)]
    Database(#[from] DatabaseError),
    /// Something else failed inside the server.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<diesel::result::Error> for PadsError {
    fn from(error: diesel::result::Error) -> Self {
        PadsError::Database(DatabaseError::Query(error))
    }
}

impl From<AccountsError> for PadsError {
    fn from(error: AccountsError) -> Self {
        match error {
            AccountsError::NotFound => PadsError::NotFound,
            AccountsError::NotAuthenticated => PadsError::NotAuthenticated,
            AccountsError::Database(cause) => PadsError::Database(cause),
            other => PadsError::Accounts(other),
        }
    }
}

impl From<SpacesError> for PadsError {
    fn from(error: SpacesError) -> Self {
        match error {
            SpacesError::NotFound => PadsError::NotFound,
            SpacesError::Forbidden => PadsError::Forbidden,
            SpacesError::Invalid { field, message } => PadsError::Invalid { field, message },
            SpacesError::Database(cause) => PadsError::Database(cause),
            SpacesError::Accounts(cause) => PadsError::from(cause),
            other => PadsError::Internal(other.to_string()),
        }
    }
}

impl PadsError {
    /// A validation error on `field`.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> PadsError {
        PadsError::Invalid {
            field,
            message: message.into(),
        }
    }

    /// The answer to the client.
    pub fn to_api_error(&self) -> ApiError {
        use PadsError as E;
        match self {
            E::NotFound => ApiError::not_found(),
            E::NotAuthenticated => ApiError::not_authenticated(),
            E::Forbidden => ApiError::new(StatusCode::FORBIDDEN, "forbidden", self.to_string()),
            E::Invalid { field, message } => ApiError::validation(field, message.clone()),
            E::Accounts(error) => error.to_api_error(),
            E::Database(DatabaseError::Pool(cause)) => {
                ApiError::unavailable("database pool exhausted", cause)
            }
            E::Database(cause) => ApiError::internal("pads: database error", cause),
            E::Internal(cause) => ApiError::internal("pads: internal error", cause),
        }
    }
}

impl ResponseError for PadsError {
    fn status_code(&self) -> StatusCode {
        // Without building the answer: that would log internal causes a second time.
        use PadsError as E;
        match self {
            E::NotFound => StatusCode::NOT_FOUND,
            E::NotAuthenticated => StatusCode::UNAUTHORIZED,
            E::Forbidden => StatusCode::FORBIDDEN,
            E::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            E::Accounts(error) => error.status_code(),
            E::Database(DatabaseError::Pool(_)) => StatusCode::SERVICE_UNAVAILABLE,
            E::Database(_) | E::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        self.to_api_error().error_response()
    }
}

/// Result of the pads service.
pub type Result<T, E = PadsError> = std::result::Result<T, E>;
