use super::*;

fn check_committed(relative: &str, generated: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is stale: regenerate it with `UPDATE_DOCS=1 cargo test -p maille-config`",
        path.display()
    );
}

#[test]
fn committed_example_is_current() {
    check_committed("../../docs/maille.example.toml", &example_toml());
}

#[test]
fn committed_reference_is_current() {
    check_committed("../../docs/configuration.md", &markdown());
}

#[test]
fn example_parses_back_to_the_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("maille.toml");
    std::fs::write(&path, example_toml()).unwrap();
    let loaded = crate::load_from(Some(&path), Vec::new()).unwrap();
    assert_eq!(
        serde_json::to_value(&loaded).unwrap(),
        serde_json::to_value(crate::Settings::default()).unwrap()
    );
}

#[test]
fn every_key_is_documented() {
    let sections = sections();
    let keys: Vec<String> = sections
        .iter()
        .flat_map(|s| s.keys.iter().map(|k| k.path.join(".")))
        .collect();
    for wanted in [
        "listen",
        "public_url",
        "database_url",
        "data_dir",
        "accounts.registration",
        "mail.smtp.host",
        "logging.retention_days",
        "http.trusted_proxies",
    ] {
        assert!(
            keys.iter().any(|k| k == wanted),
            "{wanted} missing: {keys:?}"
        );
    }
    for section in &sections {
        for key in &section.keys {
            assert!(
                !key.description.is_empty(),
                "{:?} has no description",
                key.path
            );
        }
    }
    let env: Vec<String> = sections
        .iter()
        .flat_map(|s| s.keys.iter().map(Key::env_var))
        .collect();
    assert!(env.contains(&"MAILLE_DATABASE_URL".to_owned()));
    assert!(env.contains(&"MAILLE_ACCOUNTS__REGISTRATION".to_owned()));
}
