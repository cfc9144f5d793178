//! What can go wrong in the rooms service, and how each case is answered over HTTP.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use maille_accounts::AccountsError;
use maille_database::DatabaseError;
use maille_http::ApiError;
use maille_spaces::SpacesError;

/// A rooms error. Each variant has a stable `code` and status; internal causes are logged,
/// never sent.
#[derive(Debug, thiserror::Error)]
pub enum RoomsError {
    /// No such room.
    #[error("not found")]
    NotFound,
    /// Creating a room needs an account here (or an instance allowing anonymous rooms).
    #[error("log in first")]
    NotAuthenticated,
    /// The asker may not do this to the room.
    #[error("you may not manage this room")]
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

impl From<diesel::result::Error> for RoomsError {
    fn from(error: diesel::result::Error) -> Self {
        RoomsError::Database(DatabaseError::Query(error))
    }
}

impl From<AccountsError> for RoomsError {
    fn from(error: AccountsError) -> Self {
        match error {
            AccountsError::NotFound => RoomsError::NotFound,
            AccountsError::NotAuthenticated => RoomsError::NotAuthenticated,
            AccountsError::Database(cause) => RoomsError::Database(cause),
            other => RoomsError::Accounts(other),
        }
    }
}

impl From<SpacesError> for RoomsError {
    fn from(error: SpacesError) -> Self {
        match error {
            SpacesError::NotFound => RoomsError::NotFound,
            SpacesError::Forbidden => RoomsError::Forbidden,
            SpacesError::Invalid { field, message } => RoomsError::Invalid { field, message },
            SpacesError::Database(cause) => RoomsError::Database(cause),
            SpacesError::Accounts(cause) => RoomsError::from(cause),
            other => RoomsError::Internal(other.to_string()),
        }
    }
}

impl RoomsError {
    /// A validation error on `field`.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> RoomsError {
        RoomsError::Invalid {
            field,
            message: message.into(),
        }
    }

    /// The answer to the client.
    pub fn to_api_error(&self) -> ApiError {
        use RoomsError as E;
        match self {
            E::NotFound => ApiError::not_found(),
            E::NotAuthenticated => ApiError::not_authenticated(),
            E::Forbidden => ApiError::new(StatusCode::FORBIDDEN, "forbidden", self.to_string()),
            E::Invalid { field, message } => ApiError::validation(field, message.clone()),
            E::Accounts(error) => error.to_api_error(),
            E::Database(DatabaseError::Pool(cause)) => {
                ApiError::unavailable("database pool exhausted", cause)
            }
            E::Database(cause) => ApiError::internal("rooms: database error", cause),
            E::Internal(cause) => ApiError::internal("rooms: internal error", cause),
        }
    }
}

impl ResponseError for RoomsError {
    fn status_code(&self) -> StatusCode {
        // Without building the answer: that would log internal causes a second time.
        use RoomsError as E;
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

/// Result of the rooms service.
pub type Result<T, E = RoomsError> = std::result::Result<T, E>;
