//! Maille's outgoing email.
//!
//! [`Mailer`] renders an [`Email`] in the recipient's language (a text/plain and a text/html
//! alternative, from the templates in `templates/`) and hands it to an SMTP server, or, when
//! none is configured, writes it as an `.eml` file into the outbox directory, where
//! [`read_outbox`] can read it back (tests use it to follow the links).

mod email;
mod error;
mod mailer;
mod message;
mod outbox;
mod templates;
mod transport;

#[cfg(test)]
mod mailer_tests;
#[cfg(test)]
mod smtp_tests;

pub use email::Email;
pub use error::MailError;
pub use mailer::Mailer;
pub use outbox::{read_outbox, OutboxEmail};
