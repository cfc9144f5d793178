//! What can go wrong when Maille prepares or sends an email.

use std::path::PathBuf;

use lettre::address::AddressError;

/// An email could not be prepared, sent or read back.
///
/// Addresses are left out of the messages on purpose: errors end up in logs, and an address
/// names a person.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// `mail.from` in the configuration is not an address (`Name <address>` or `address`).
    #[error("mail.from is not a valid sender (expected `Name <address>` or `address`): {0}")]
    InvalidSender(#[source] AddressError),
    /// The recipient's address is malformed; nothing was sent.
    #[error("invalid recipient address: {0}")]
    InvalidAddress(#[source] AddressError),
    /// The SMTP settings cannot be used (for example TLS cannot be set up for the host name).
    #[error("SMTP settings for {host}:{port} cannot be used: {source}")]
    SmtpSettings {
        /// The configured host.
        host: String,
        /// The configured port.
        port: u16,
        /// What lettre refused.
        #[source]
        source: lettre::transport::smtp::Error,
    },
    /// An SMTP transport was asked for outside a tokio runtime (its connection pool needs one).
    #[error("the SMTP transport must be created inside a tokio runtime")]
    NoRuntime,
    /// The email could not be assembled (headers or MIME structure).
    #[error("could not build the email: {0}")]
    Build(#[from] lettre::error::Error),
    /// The SMTP server could not be reached or refused the email.
    #[error("SMTP: {0}")]
    Transport(#[from] lettre::transport::smtp::Error),
    /// The SMTP server accepted a connection but did not answer a NOOP.
    #[error("the SMTP server accepted the connection but does not answer")]
    NotAnswering,
    /// The outbox directory could not be created or read.
    #[error("outbox directory {path}: {source}")]
    OutboxDir {
        /// The outbox directory.
        path: PathBuf,
        /// The file-system error.
        #[source]
        source: std::io::Error,
    },
    /// The email could not be written into the outbox.
    #[error("could not write the email into the outbox: {0}")]
    Outbox(#[from] lettre::transport::file::Error),
    /// A file read back from the outbox is not an email as Maille writes them.
    #[error("not an email as Maille writes them: {0}")]
    Unreadable(String),
}
