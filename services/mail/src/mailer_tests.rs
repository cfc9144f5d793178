use maille_config::{Language, MailSettings};

use crate::{Email, Mailer};

#[tokio::test]
async fn dump() {
    let dir = tempfile::tempdir().unwrap();
    let mailer = Mailer::new(&MailSettings::default(), &dir.path().join("outbox"), "Maille").unwrap();
    mailer.send("alice@example.org", Language::Fr, &Email::ApprovalRequested { username: "bob".into(), reason: "Je voudrais\nun compte, s’il vous plaît, pour écrire des choses très longues qui dépassent soixante-seize caractères".into(), link: "https://example.org/admin/requests?id=123&x=a_very_long_token_0123456789abcdef0123456789abcdef".into() }).await.unwrap();
    for e in std::fs::read_dir(dir.path().join("outbox")).unwrap() {
        println!("{}", std::fs::read_to_string(e.unwrap().path()).unwrap());
    }
}
