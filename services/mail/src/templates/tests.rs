use maille_config::Language;

use super::html::escape;
use super::render;
use crate::Email;

const INSTANCE: &str = "Les Chatons d’Alice";

/// One of each email, each with its own links (with `&` so that escaping shows).
fn every_email() -> Vec<Email> {
    vec![
        Email::VerifyEmail {
            display_name: "Alice".into(),
            link: "https://maille.example/verify?token=v1&lang=fr".into(),
            valid_hours: 48,
        },
        Email::ConfirmEmailChange {
            display_name: "Alice".into(),
            link: "https://maille.example/email/confirm?token=c2&x=1".into(),
            valid_hours: 1,
        },
        Email::PasswordReset {
            display_name: "Alice".into(),
            link: "https://maille.example/reset?token=r3&x=1".into(),
            valid_minutes: 60,
        },
        Email::PasswordChanged {
            display_name: "Alice".into(),
        },
        Email::SignupWithExistingAddress {
            display_name: "Alice".into(),
            login_link: "https://maille.example/login?from=signup&x=1".into(),
            reset_link: "https://maille.example/reset/ask?from=signup&x=1".into(),
        },
        Email::AccountApproved {
            display_name: "Alice".into(),
            link: "https://maille.example/login?approved=1&x=1".into(),
        },
        Email::ApprovalRequested {
            username: "bob".into(),
            reason: "I run the local\nbike repair workshop.".into(),
            link: "https://maille.example/admin/requests?user=bob&x=1".into(),
        },
        Email::SpaceInvitation {
            inviter: "Carole".into(),
            space_name: "Atelier vélo".into(),
            link: "https://maille.example/invitations/i4?x=1&y=2".into(),
            valid_days: 7,
        },
    ]
}

/// The links an email must carry; exhaustive, so a new kind of email must be added here.
fn links_of(email: &Email) -> Vec<&str> {
    match email {
        Email::VerifyEmail { link, .. }
        | Email::ConfirmEmailChange { link, .. }
        | Email::PasswordReset { link, .. }
        | Email::AccountApproved { link, .. }
        | Email::ApprovalRequested { link, .. }
        | Email::SpaceInvitation { link, .. } => vec![link],
        Email::SignupWithExistingAddress {
            login_link,
            reset_link,
            ..
        } => vec![login_link, reset_link],
        Email::PasswordChanged { .. } => vec![],
    }
}

#[test]
fn every_email_renders_in_both_languages_with_its_links() {
    for email in every_email() {
        for language in Language::ALL {
            let rendered = render(&email, language, INSTANCE);
            let context = format!("{} in {}", email.kind(), language.code());
            assert!(
                rendered.subject.starts_with(&format!("[{INSTANCE}] ")),
                "{context}: {}",
                rendered.subject
            );
            assert!(rendered.text.contains(INSTANCE), "{context}: no signature");
            assert!(
                rendered.html.contains(&escape(INSTANCE)),
                "{context}: no signature in HTML"
            );
            assert!(
                rendered
                    .html
                    .contains(&format!("<html lang=\"{}\">", language.code())),
                "{context}"
            );
            for link in links_of(&email) {
                assert!(
                    rendered.text.lines().any(|line| line == link),
                    "{context}: {link} not on its own line in:\n{}",
                    rendered.text
                );
                let escaped = escape(link);
                assert!(escaped.contains("&amp;"));
                assert!(
                    rendered.html.contains(&format!("href=\"{escaped}\"")),
                    "{context}: {link} not in:\n{}",
                    rendered.html
                );
            }
        }
    }
}

#[test]
fn french_and_english_differ_and_french_uses_french_typography() {
    for email in every_email() {
        let fr = render(&email, Language::Fr, INSTANCE);
        let en = render(&email, Language::En, INSTANCE);
        assert_ne!(fr.subject, en.subject);
        assert!(fr.text.starts_with("Bonjour"), "{}", fr.text);
        assert!(en.text.starts_with("Hello"), "{}", en.text);
        // Typographic apostrophes, and no colon without its no-break space.
        assert!(!fr.text.contains('\''), "{}", fr.text);
        assert!(!fr.text.contains(" :"), "{}", fr.text);
    }
    let invitation = &every_email()[7];
    let fr = render(invitation, Language::Fr, INSTANCE);
    assert!(
        fr.text.contains("l’espace «\u{a0}Atelier vélo\u{a0}»"),
        "{}",
        fr.text
    );
    assert!(fr.text.contains("valable 7\u{a0}jours"), "{}", fr.text);
    let en = render(invitation, Language::En, INSTANCE);
    assert!(en.text.contains("the space “Atelier vélo”"), "{}", en.text);
    assert!(en.text.contains("valid for 7 days"), "{}", en.text);
}

#[test]
fn durations_agree_in_number() {
    let email = |valid_hours| Email::VerifyEmail {
        display_name: String::new(),
        link: "https://maille.example/v".into(),
        valid_hours,
    };
    let text = |language, hours| render(&email(hours), language, INSTANCE).text;
    assert!(text(Language::En, 1).contains("valid for 1 hour."));
    assert!(text(Language::En, 48).contains("valid for 48 hours."));
    assert!(text(Language::Fr, 1).contains("valable 1\u{a0}heure."));
    assert!(text(Language::Fr, 48).contains("valable 48\u{a0}heures."));
    // An empty name gives a greeting without a dangling space.
    assert!(text(Language::En, 1).starts_with("Hello,\n"));
    assert!(text(Language::Fr, 1).starts_with("Bonjour,\n"));
}

#[test]
fn hostile_values_are_escaped_in_html_and_kept_off_the_subject_line() {
    let hostile = "<script>alert('x')</script>";
    let emails = [
        Email::VerifyEmail {
            display_name: hostile.into(),
            link: "https://maille.example/v?a=\"><script>".into(),
            valid_hours: 1,
        },
        Email::ApprovalRequested {
            username: hostile.into(),
            reason: format!("{hostile}\nsecond line"),
            link: "https://maille.example/admin".into(),
        },
        Email::SpaceInvitation {
            inviter: format!("Eve\r\nBcc: victim@example.org {hostile}"),
            space_name: hostile.into(),
            link: "https://maille.example/i".into(),
            valid_days: 1,
        },
    ];
    for email in &emails {
        for language in Language::ALL {
            let rendered = render(email, language, "<b>Instance</b>");
            assert!(!rendered.html.contains("<script>"), "{}", rendered.html);
            assert!(!rendered.html.contains("<b>"), "{}", rendered.html);
            assert!(
                rendered
                    .html
                    .contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"),
                "{}",
                rendered.html
            );
            // The text part is plain text: values stay as they are.
            assert!(rendered.text.contains(hostile), "{}", rendered.text);
            assert!(!rendered.subject.contains(['\r', '\n']));
        }
    }
}

#[test]
fn an_empty_reason_is_said_so() {
    let email = Email::ApprovalRequested {
        username: "bob".into(),
        reason: "  \n".into(),
        link: "https://maille.example/admin".into(),
    };
    assert!(render(&email, Language::En, INSTANCE)
        .text
        .contains("(no reason given)"));
    assert!(render(&email, Language::Fr, INSTANCE)
        .text
        .contains("(aucun motif indiqué)"));
}

#[test]
fn a_reason_is_quoted_line_by_line() {
    let rendered = render(&every_email()[6], Language::En, INSTANCE);
    assert!(rendered
        .text
        .contains("> I run the local\n> bike repair workshop."));
    assert!(rendered.html.contains("<blockquote"));
}

#[test]
fn escape_covers_the_five_characters() {
    assert_eq!(
        escape(r#"<a href="x">'&'</a>"#),
        "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
    );
    assert_eq!(escape("plain é"), "plain é");
}
