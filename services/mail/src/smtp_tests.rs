//! The mailer talking SMTP to a tiny in-test server on 127.0.0.1 (plain, `security = none`).

use std::time::Duration;

use base64::Engine;
use maille_config::{Language, MailSettings, SmtpSecurity, SmtpSettings};
use secrecy::SecretString;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::{Email, MailError, Mailer, OutboxEmail};

fn plain_smtp_settings(port: u16, username: &str) -> MailSettings {
    MailSettings {
        from: "Maille <noreply@maille.example>".into(),
        smtp: Some(SmtpSettings {
            host: "127.0.0.1".into(),
            port,
            security: SmtpSecurity::None,
            username: username.into(),
            password: SecretString::from("s3cret"),
        }),
    }
}

/// One message as the server received it.
#[derive(Debug, Default)]
struct Received {
    auth: Option<String>,
    mail_from: String,
    rcpt_to: Vec<String>,
    data: String,
}

/// A server speaking just enough SMTP; messages come out of the channel.
struct FakeSmtp {
    port: u16,
    received: mpsc::UnboundedReceiver<Received>,
    task: JoinHandle<()>,
}

impl FakeSmtp {
    async fn start(advertise_auth: bool) -> FakeSmtp {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (sender, received) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            let mut sessions = tokio::task::JoinSet::new();
            while let Ok((socket, _)) = listener.accept().await {
                sessions.spawn(serve(socket, sender.clone(), advertise_auth));
            }
        });
        FakeSmtp {
            port,
            received,
            task,
        }
    }

    fn settings(&self, username: &str) -> MailSettings {
        plain_smtp_settings(self.port, username)
    }

    async fn next(&mut self) -> Received {
        tokio::time::timeout(Duration::from_secs(10), self.received.recv())
            .await
            .expect("no message within 10 s")
            .expect("server stopped")
    }
}

impl Drop for FakeSmtp {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(socket: TcpStream, sender: mpsc::UnboundedSender<Received>, advertise_auth: bool) {
    let (reader, mut writer) = socket.into_split();
    let mut lines = BufReader::new(reader).lines();
    let mut current = Received::default();
    writer.write_all(b"220 fake.test ESMTP\r\n").await.unwrap();
    while let Ok(Some(line)) = lines.next_line().await {
        let command = line.to_ascii_uppercase();
        let answer: &[u8] = if command.starts_with("EHLO") {
            if advertise_auth {
                b"250-fake.test\r\n250 AUTH PLAIN LOGIN\r\n"
            } else {
                b"250 fake.test\r\n"
            }
        } else if command == "AUTH PLAIN" {
            writer.write_all(b"334 \r\n").await.unwrap();
            current.auth = lines.next_line().await.unwrap();
            b"235 2.7.0 Authentication successful\r\n"
        } else if let Some(initial) = line.strip_prefix("AUTH PLAIN ") {
            current.auth = Some(initial.to_owned());
            b"235 2.7.0 Authentication successful\r\n"
        } else if command.starts_with("MAIL FROM:") {
            current.mail_from = line["MAIL FROM:".len()..].to_owned();
            b"250 2.1.0 OK\r\n"
        } else if command.starts_with("RCPT TO:") {
            current.rcpt_to.push(line["RCPT TO:".len()..].to_owned());
            b"250 2.1.5 OK\r\n"
        } else if command == "DATA" {
            writer.write_all(b"354 go ahead\r\n").await.unwrap();
            let mut data = String::new();
            while let Some(line) = lines.next_line().await.unwrap() {
                if line == "." {
                    break;
                }
                // Dot-stuffing (RFC 5321 4.5.2).
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
                data.push_str("\r\n");
            }
            current.data = data;
            let auth = current.auth.clone();
            let done = std::mem::take(&mut current);
            current.auth = auth;
            sender.send(done).unwrap();
            b"250 2.0.0 queued\r\n"
        } else if command == "NOOP" || command == "RSET" {
            b"250 2.0.0 OK\r\n"
        } else if command == "QUIT" {
            writer.write_all(b"221 2.0.0 bye\r\n").await.unwrap();
            return;
        } else {
            b"500 5.5.1 unknown command\r\n"
        };
        writer.write_all(answer).await.unwrap();
    }
}

#[tokio::test]
async fn an_email_reaches_the_smtp_server() {
    let mut server = FakeSmtp::start(false).await;
    let mailer = Mailer::new(
        &server.settings(""),
        std::path::Path::new("/nonexistent"),
        "Maille",
    )
    .unwrap();
    assert_eq!(mailer.outbox_dir(), None);
    mailer.check().await.unwrap();

    let link = "https://maille.example/verify?token=t0k3n&x=1";
    let email = Email::VerifyEmail {
        display_name: "Zoé".into(),
        link: link.into(),
        valid_hours: 48,
    };
    mailer
        .send("zoe@example.org", Language::Fr, &email)
        .await
        .unwrap();
    // A second email goes through the pooled connection.
    mailer
        .send("yves@example.org", Language::En, &email)
        .await
        .unwrap();

    let first = server.next().await;
    assert_eq!(first.auth, None);
    assert_eq!(first.mail_from, "<noreply@maille.example>");
    assert_eq!(first.rcpt_to, vec!["<zoe@example.org>"]);
    let message = OutboxEmail::parse(first.data.as_bytes()).unwrap();
    assert_eq!(message.to(), Some("zoe@example.org"));
    assert_eq!(
        message.subject(),
        Some("[Maille] Confirmez votre adresse e-mail")
    );
    assert_eq!(message.content_type(), "multipart/alternative");
    assert_eq!(message.links(), vec![link]);
    assert!(message.text().starts_with("Bonjour Zoé,"));

    let second = server.next().await;
    assert_eq!(second.rcpt_to, vec!["<yves@example.org>"]);
    let message = OutboxEmail::parse(second.data.as_bytes()).unwrap();
    assert_eq!(
        message.subject(),
        Some("[Maille] Confirm your email address")
    );

    // The missing outbox directory was never created: SMTP does not use it.
    assert!(!std::path::Path::new("/nonexistent").exists());
    mailer.shutdown().await;
}

#[tokio::test]
async fn credentials_are_sent_when_a_username_is_set() {
    let mut server = FakeSmtp::start(true).await;
    let mailer = Mailer::new(
        &server.settings("maille"),
        std::path::Path::new("/nonexistent"),
        "Maille",
    )
    .unwrap();
    let email = Email::PasswordChanged {
        display_name: "Zoé".into(),
    };
    mailer
        .send("zoe@example.org", Language::En, &email)
        .await
        .unwrap();
    let received = server.next().await;
    let auth = base64::engine::general_purpose::STANDARD
        .decode(received.auth.expect("no AUTH"))
        .unwrap();
    assert_eq!(auth, b"\0maille\0s3cret");
}

#[tokio::test]
async fn an_unreachable_server_is_reported_by_check() {
    // Bind then drop, so that nothing listens on the port.
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap().port()
    };
    let mailer = Mailer::new(
        &plain_smtp_settings(port, ""),
        std::path::Path::new("/nonexistent"),
        "Maille",
    )
    .unwrap();
    let result = mailer.check().await;
    assert!(matches!(result, Err(MailError::Transport(_))), "{result:?}");
    let email = Email::PasswordChanged {
        display_name: String::new(),
    };
    let result = mailer.send("zoe@example.org", Language::En, &email).await;
    assert!(matches!(result, Err(MailError::Transport(_))), "{result:?}");
}

#[test]
fn smtp_needs_a_tokio_runtime() {
    let settings = MailSettings {
        smtp: Some(SmtpSettings::default()),
        ..MailSettings::default()
    };
    let result = Mailer::new(&settings, std::path::Path::new("/nonexistent"), "Maille");
    assert!(matches!(result, Err(MailError::NoRuntime)));
}

#[tokio::test]
async fn tls_settings_build_without_connecting() {
    for security in [SmtpSecurity::Starttls, SmtpSecurity::Tls] {
        let settings = MailSettings {
            smtp: Some(SmtpSettings {
                host: "smtp.example.org".into(),
                security,
                ..SmtpSettings::default()
            }),
            ..MailSettings::default()
        };
        let mailer =
            Mailer::new(&settings, std::path::Path::new("/nonexistent"), "Maille").unwrap();
        assert_eq!(mailer.outbox_dir(), None);
    }
}
