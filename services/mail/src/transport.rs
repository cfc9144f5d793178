//! Where messages go: an SMTP server, or `.eml` files in the outbox directory.

use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::AsyncSmtpTransportBuilder;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use maille_config::{SmtpSecurity, SmtpSettings};
use secrecy::ExposeSecret;

use crate::MailError;

/// How long one SMTP command (connecting included) may take before the send fails.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// The way out for messages.
#[derive(Clone)]
pub(crate) enum Transport {
    /// A pool of connections to an SMTP server.
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// One `.eml` file per message in `dir`.
    Outbox {
        /// The outbox directory.
        dir: PathBuf,
        /// lettre's file transport writing into `dir`.
        files: AsyncFileTransport<Tokio1Executor>,
    },
}

impl Transport {
    /// A pooled SMTP transport; must be called inside a tokio runtime, where the pool keeps
    /// its cleanup task. Connects only when the first message is sent (or at [`Self::check`]).
    pub(crate) fn smtp(settings: &SmtpSettings) -> Result<Transport, MailError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(MailError::NoRuntime);
        }
        let host = settings.host.trim();
        let invalid = |source| MailError::SmtpSettings {
            host: host.to_owned(),
            port: settings.port,
            source,
        };
        let builder: AsyncSmtpTransportBuilder = match settings.security {
            SmtpSecurity::Tls => {
                AsyncSmtpTransport::<Tokio1Executor>::relay(host).map_err(invalid)?
            }
            SmtpSecurity::Starttls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host).map_err(invalid)?
            }
            SmtpSecurity::None => {
                if !is_this_machine(host) {
                    tracing::warn!(
                        host,
                        "mail.smtp.security is `none` for a server on another machine: emails \
                         and the SMTP password cross the network unencrypted"
                    );
                }
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            }
        };
        let mut builder = builder.port(settings.port).timeout(Some(SMTP_TIMEOUT));
        if !settings.username.is_empty() {
            builder = builder.credentials(Credentials::new(
                settings.username.clone(),
                settings.password.expose_secret().to_owned(),
            ));
        }
        Ok(Transport::Smtp(builder.build()))
    }

    /// Writes messages into `dir`, created (mode 0700 on unix: emails hold secret links) when
    /// missing. An existing directory is left as it is.
    pub(crate) fn outbox(dir: &Path) -> Result<Transport, MailError> {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir).map_err(|source| MailError::OutboxDir {
            path: dir.to_owned(),
            source,
        })?;
        Ok(Transport::Outbox {
            dir: dir.to_owned(),
            files: AsyncFileTransport::new(dir),
        })
    }

    /// Hands `message` over to the SMTP server, or writes it into the outbox.
    pub(crate) async fn send(&self, message: Message) -> Result<(), MailError> {
        match self {
            Transport::Smtp(smtp) => {
                smtp.send(message).await?;
            }
            Transport::Outbox { dir, files } => {
                let id = files.send(message).await?;
                tracing::info!(
                    path = %dir.join(format!("{id}.eml")).display(),
                    "no SMTP server configured: email written to the outbox"
                );
            }
        }
        Ok(())
    }

    /// Checks that the SMTP server answers; always fine for the outbox.
    pub(crate) async fn check(&self) -> Result<(), MailError> {
        match self {
            Transport::Smtp(smtp) => match smtp.test_connection().await? {
                true => Ok(()),
                false => Err(MailError::NotAnswering),
            },
            Transport::Outbox { .. } => Ok(()),
        }
    }

    /// Closes pooled SMTP connections politely (QUIT); nothing to do for the outbox.
    pub(crate) async fn shutdown(&self) {
        if let Transport::Smtp(smtp) = self {
            smtp.shutdown().await;
        }
    }
}

/// Whether `host` names this machine (where an unencrypted SMTP connection is fine).
fn is_this_machine(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|address| address.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::is_this_machine;

    #[test]
    fn this_machine_is_recognised() {
        for host in [
            "localhost",
            "LocalHost",
            "127.0.0.1",
            "127.0.0.2",
            "::1",
            "[::1]",
        ] {
            assert!(is_this_machine(host), "{host}");
        }
        for host in ["smtp.example.org", "192.0.2.1", "localhost.example.org", ""] {
            assert!(!is_this_machine(host), "{host}");
        }
    }
}
