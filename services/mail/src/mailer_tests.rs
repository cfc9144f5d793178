//! The mailer writing into the outbox (no SMTP server).

use std::path::Path;

use maille_config::{Language, MailSettings};

use crate::{read_outbox, Email, MailError, Mailer};

fn settings(from: &str) -> MailSettings {
    MailSettings {
        from: from.to_owned(),
        smtp: None,
    }
}

fn reset_email() -> Email {
    Email::PasswordReset {
        display_name: "Alice Dupont".into(),
        link: "https://maille.example/reset?token=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ&x=1".into(),
        valid_minutes: 60,
    }
}

fn eml_files(dir: &Path) -> Vec<std::path::PathBuf> {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries.map(|entry| entry.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

#[tokio::test]
async fn sending_writes_a_readable_eml_file_into_the_outbox() {
    let data = tempfile::tempdir().unwrap();
    let outbox = data.path().join("outbox");
    let mailer = Mailer::new(
        &settings("Maille <noreply@maille.example>"),
        &outbox,
        "Maille",
    )
    .unwrap();
    assert_eq!(mailer.outbox_dir(), Some(outbox.as_path()));
    mailer.check().await.unwrap();

    for language in Language::ALL {
        mailer
            .send("alice@example.org", language, &reset_email())
            .await
            .unwrap();
    }

    let files = eml_files(&outbox);
    assert_eq!(files.len(), 2);
    assert!(files
        .iter()
        .all(|file| file.extension().is_some_and(|e| e == "eml")));
    let emails = read_outbox(&outbox).unwrap();
    assert_eq!(emails.len(), 2);
    let link = match reset_email() {
        Email::PasswordReset { link, .. } => link,
        _ => unreachable!(),
    };
    let mut subjects: Vec<&str> = emails
        .iter()
        .map(|email| email.subject().unwrap())
        .collect();
    subjects.sort();
    assert_eq!(
        subjects,
        vec![
            "[Maille] Reset your password",
            "[Maille] Réinitialisation de votre mot de passe"
        ]
    );
    for email in &emails {
        assert_eq!(email.to(), Some("alice@example.org"));
        assert_eq!(
            email.header("From"),
            Some("Maille <noreply@maille.example>")
        );
        assert_eq!(email.content_type(), "multipart/alternative");
        assert_eq!(email.header("Auto-Submitted"), Some("auto-generated"));
        assert!(email.header("Date").is_some_and(|date| !date.is_empty()));
        let message_id = email.header("Message-ID").unwrap();
        assert!(message_id.starts_with('<') && message_id.ends_with("@maille.example>"));
        assert!(email.text().contains("Alice Dupont"));
        assert_eq!(email.links(), vec![link.as_str()]);
        assert!(email.html().contains(&link.replace('&', "&amp;")));
        let language = email.header("Content-Language").unwrap();
        assert!(email.html().contains(&format!("lang=\"{language}\"")));
    }
    let ids: Vec<&str> = emails
        .iter()
        .map(|email| email.header("Message-ID").unwrap())
        .collect();
    assert_ne!(ids[0], ids[1]);
}

#[cfg(unix)]
#[tokio::test]
async fn the_outbox_is_created_private() {
    use std::os::unix::fs::PermissionsExt;

    let data = tempfile::tempdir().unwrap();
    let outbox = data.path().join("deep").join("outbox");
    Mailer::new(&MailSettings::default(), &outbox, "Maille").unwrap();
    let mode = std::fs::metadata(&outbox).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700);
}

#[tokio::test]
async fn an_invalid_recipient_is_refused_and_nothing_is_written() {
    let data = tempfile::tempdir().unwrap();
    let outbox = data.path().join("outbox");
    let mailer = Mailer::new(&MailSettings::default(), &outbox, "Maille").unwrap();
    for to in [
        "",
        "not an address",
        "alice@",
        "@example.org",
        "Alice <alice@example.org>",
        "alice@example.org\r\nBcc: eve@example.org",
    ] {
        let result = mailer.send(to, Language::En, &reset_email()).await;
        assert!(
            matches!(result, Err(MailError::InvalidAddress(_))),
            "{to:?}: {result:?}"
        );
    }
    assert!(eml_files(&outbox).is_empty());
}

#[tokio::test]
async fn a_malformed_sender_is_refused() {
    let data = tempfile::tempdir().unwrap();
    for from in [
        "",
        "noreply",
        "Maille <noreply@>",
        "Maille <noreply@example.org",
    ] {
        let result = Mailer::new(&settings(from), &data.path().join("outbox"), "Maille");
        assert!(
            matches!(result, Err(MailError::InvalidSender(_))),
            "{from:?}"
        );
    }
    let error = Mailer::new(&settings("nope"), data.path(), "Maille")
        .err()
        .unwrap();
    assert!(error.to_string().contains("mail.from"), "{error}");
}

#[tokio::test]
async fn a_bare_sender_address_is_shown_with_the_instance_name() {
    let data = tempfile::tempdir().unwrap();
    let outbox = data.path().join("outbox");
    let mailer = Mailer::new(
        &settings("noreply@maille.example"),
        &outbox,
        "Les Chatons d’Alice",
    )
    .unwrap();
    mailer
        .send(
            "bob@example.org",
            Language::Fr,
            &Email::PasswordChanged {
                display_name: "Bob".into(),
            },
        )
        .await
        .unwrap();
    let email = read_outbox(&outbox).unwrap().pop().unwrap();
    let from = email.header("From").unwrap();
    assert!(from.contains("Les Chatons d’Alice"), "{from}");
    assert!(from.ends_with("<noreply@maille.example>"), "{from}");
    assert_eq!(
        email.subject(),
        Some("[Les Chatons d’Alice] Votre mot de passe a été modifié")
    );
    assert!(email.links().is_empty());
}

#[tokio::test]
async fn hostile_values_stay_escaped_in_the_sent_html() {
    let data = tempfile::tempdir().unwrap();
    let outbox = data.path().join("outbox");
    let mailer = Mailer::new(&MailSettings::default(), &outbox, "Maille").unwrap();
    let email = Email::SpaceInvitation {
        inviter: "<script>alert(1)</script>".into(),
        space_name: "Space\r\nBcc: eve@example.org".into(),
        link: "https://maille.example/i/1".into(),
        valid_days: 7,
    };
    mailer
        .send("carol@example.org", Language::En, &email)
        .await
        .unwrap();
    let sent = read_outbox(&outbox).unwrap().pop().unwrap();
    assert!(!sent.html().contains("<script>"));
    assert!(sent
        .html()
        .contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(sent.header("Bcc").is_none());
    assert!(sent
        .subject()
        .unwrap()
        .contains("Space  Bcc: eve@example.org"));
}

#[test]
fn debug_does_not_show_links() {
    let shown = format!("{:?}", reset_email());
    assert_eq!(shown, "Email::password_reset { .. }");
    assert!(!shown.contains("token"));
}
