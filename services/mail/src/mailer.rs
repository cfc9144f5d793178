//! [`Mailer`]: renders Maille's emails and sends them.

use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

use lettre::message::Mailbox;
use maille_config::{Language, MailSettings};

use crate::transport::Transport;
use crate::{message, templates, Email, MailError};

/// Sends Maille's emails. Cheap to clone.
#[derive(Clone)]
pub struct Mailer {
    inner: Arc<Inner>,
}

struct Inner {
    from: Mailbox,
    instance_name: String,
    transport: Transport,
}

impl Mailer {
    /// SMTP when `settings.smtp` is set (STARTTLS, TLS or plain; AUTH when username is not
    /// empty; a pooled async lettre transport on tokio, so this must then be called inside a
    /// tokio runtime), otherwise lettre's async file transport writing one `.eml` file per
    /// email into `outbox_dir` (created when missing, mode 0700 on unix).
    ///
    /// `settings.from` may be `Name <address>` or a bare address; a bare address is shown
    /// with `instance_name`. A malformed one is refused with [`MailError::InvalidSender`].
    pub fn new(
        settings: &MailSettings,
        outbox_dir: &Path,
        instance_name: &str,
    ) -> Result<Mailer, MailError> {
        let from = message::sender(&settings.from, instance_name)?;
        let transport = match &settings.smtp {
            Some(smtp) => Transport::smtp(smtp)?,
            None => Transport::outbox(outbox_dir)?,
        };
        Ok(Mailer {
            inner: Arc::new(Inner {
                from,
                instance_name: instance_name.to_owned(),
                transport,
            }),
        })
    }

    /// Renders `email` in `language` (subject, text/plain and text/html alternatives, both
    /// containing the link(s)) and sends it to `to`, a bare address.
    pub async fn send(&self, to: &str, language: Language, email: &Email) -> Result<(), MailError> {
        let to = message::recipient(to)?;
        let rendered = templates::render(email, language, &self.inner.instance_name);
        let message =
            message::compose(&self.inner.from, to, language, rendered, SystemTime::now())?;
        self.inner.transport.send(message).await?;
        tracing::debug!(
            email = email.kind(),
            language = language.code(),
            "email sent"
        );
        Ok(())
    }

    /// Where emails are written when there is no SMTP server; None with SMTP.
    pub fn outbox_dir(&self) -> Option<&Path> {
        match &self.inner.transport {
            Transport::Outbox { dir, .. } => Some(dir),
            Transport::Smtp(_) => None,
        }
    }

    /// Checks the SMTP server answers (lettre's test_connection); Ok for the outbox. Used at
    /// start to report (not fail) an unreachable server.
    pub async fn check(&self) -> Result<(), MailError> {
        self.inner.transport.check().await
    }

    /// Closes the pooled SMTP connections (QUIT), for a clean shutdown. Emails sent afterwards
    /// fail; nothing happens with the outbox.
    pub async fn shutdown(&self) {
        self.inner.transport.shutdown().await;
    }
}
