//! Turns a rendered email into a MIME message with the headers Maille always sets.

use std::time::SystemTime;

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{Address, Message};
use maille_config::Language;

use crate::templates::Rendered;
use crate::MailError;

/// RFC 3834: tells auto-responders (vacation replies) not to answer.
const AUTO_SUBMITTED: HeaderName = HeaderName::new_from_ascii_str("Auto-Submitted");
const CONTENT_LANGUAGE: HeaderName = HeaderName::new_from_ascii_str("Content-Language");

/// Parses `mail.from`: `Name <address>` or a bare address, which is then shown with the
/// instance's name.
pub(crate) fn sender(from: &str, instance_name: &str) -> Result<Mailbox, MailError> {
    let mailbox: Mailbox = from.trim().parse().map_err(MailError::InvalidSender)?;
    Ok(match mailbox.name {
        None if !instance_name.trim().is_empty() => {
            Mailbox::new(Some(instance_name.trim().to_owned()), mailbox.email)
        }
        _ => mailbox,
    })
}

/// Parses a recipient's bare address.
pub(crate) fn recipient(to: &str) -> Result<Mailbox, MailError> {
    let address: Address = to.trim().parse().map_err(MailError::InvalidAddress)?;
    Ok(Mailbox::new(None, address))
}

/// Builds the message: `From`, `To`, `Subject`, `Date` (`now`), a `Message-ID` in the
/// sender's domain, `Auto-Submitted`, `Content-Language`, and a multipart/alternative body.
pub(crate) fn compose(
    from: &Mailbox,
    to: Mailbox,
    language: Language,
    rendered: Rendered,
    now: SystemTime,
) -> Result<Message, MailError> {
    let message_id = format!("<{:032x}@{}>", rand::random::<u128>(), from.email.domain());
    let message = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(rendered.subject)
        .date(now)
        .message_id(Some(message_id))
        .raw_header(HeaderValue::new(
            AUTO_SUBMITTED,
            "auto-generated".to_owned(),
        ))
        .raw_header(HeaderValue::new(
            CONTENT_LANGUAGE,
            language.code().to_owned(),
        ))
        .multipart(MultiPart::alternative_plain_html(
            rendered.text,
            rendered.html,
        ))?;
    Ok(message)
}
