use std::io::Write;

use secrecy::ExposeSecret;

use super::*;
use crate::{Language, RegistrationMode};

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn file(text: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(text.as_bytes()).unwrap();
    f
}

#[test]
fn defaults_apply_without_file_or_environment() {
    let s = load_from(None, env(&[])).unwrap();
    assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(s.data_dir.to_str(), Some("./data"));
    assert_eq!(
        s.effective_database_url().expose_secret(),
        "sqlite://./data/maille.sqlite3"
    );
    assert_eq!(s.accounts.registration, RegistrationMode::Open);
}

#[test]
fn environment_overrides_the_file() {
    let f = file("listen = \"0.0.0.0:9000\"\n[accounts]\nregistration = \"approval\"\n");
    let s = load_from(
        Some(f.path()),
        env(&[
            ("MAILLE_LISTEN", "127.0.0.1:9999"),
            ("MAILLE_PUBLIC_URL", "https://pads.example.org"),
            ("MAILLE_DATABASE_URL", "postgres://maille@localhost/maille"),
            ("MAILLE_DATA_DIR", "/var/lib/maille"),
            ("MAILLE_ACCOUNTS__LOGIN_ATTEMPTS_PER_ACCOUNT", "3"),
            (
                "MAILLE_HTTP__TRUSTED_PROXIES",
                "[\"127.0.0.1/32\", \"::1/128\"]",
            ),
            ("OTHER_VARIABLE", "ignored"),
        ]),
    )
    .unwrap();
    assert_eq!(s.listen.to_string(), "127.0.0.1:9999");
    assert!(s.is_https());
    assert_eq!(s.public_origin(), "https://pads.example.org");
    assert_eq!(
        s.effective_database_url().expose_secret(),
        "postgres://maille@localhost/maille"
    );
    assert_eq!(s.accounts.registration, RegistrationMode::Approval);
    assert_eq!(s.accounts.login_attempts_per_account, 3);
    assert_eq!(s.http.trusted_proxies.len(), 2);
    assert_eq!(s.outbox_dir().to_str(), Some("/var/lib/maille/outbox"));
}

#[test]
fn unknown_key_in_file_is_refused_by_name() {
    let f = file("[accounts]\nregistraton = \"open\"\n");
    let err = load_from(Some(f.path()), env(&[])).unwrap_err();
    assert!(
        matches!(&err, ConfigError::Invalid { key, .. } if key == "accounts.registraton"),
        "{err}"
    );
}

#[test]
fn unknown_environment_key_is_refused_by_name() {
    let err = load_from(None, env(&[("MAILLE_LISTN", "127.0.0.1:1")])).unwrap_err();
    assert!(err.to_string().contains("listn"), "{err}");
}

#[test]
fn invalid_values_are_refused_by_name() {
    let cases: &[(&str, &str, &str)] = &[
        ("MAILLE_LISTEN", "not an address", "listen"),
        ("MAILLE_PUBLIC_URL", "ftp://example.org", "public_url"),
        (
            "MAILLE_PUBLIC_URL",
            "https://example.org/maille",
            "public_url",
        ),
        ("MAILLE_DATABASE_URL", "mysql://x", "database_url"),
        (
            "MAILLE_ACCOUNTS__REGISTRATION",
            "everyone",
            "accounts.registration",
        ),
        (
            "MAILLE_ACCOUNTS__PASSWORD_RESET_VALIDITY_MINUTES",
            "120",
            "accounts.password_reset_validity_minutes",
        ),
        (
            "MAILLE_HTTP__TRUSTED_PROXIES",
            "[\"nonsense\"]",
            "http.trusted_proxies",
        ),
        // One media port needs an address to tell clients: 0.0.0.0 is none.
        ("MAILLE_ROOMS__UDP_MUX_PORT", "10000", "rooms.udp_mux_port"),
    ];
    for (var, value, key) in cases {
        let err = load_from(None, env(&[(var, value)])).unwrap_err();
        match &err {
            ConfigError::Invalid { key: k, .. } => {
                assert!(k.starts_with(key), "{var}={value}: key {k}, wanted {key}")
            }
            other => panic!("{var}={value}: unexpected {other}"),
        }
    }
}

#[test]
fn one_media_port_with_an_address_to_tell_is_accepted() {
    let settings = load_from(
        None,
        env(&[
            ("MAILLE_ROOMS__UDP_MUX_PORT", "10000"),
            ("MAILLE_ROOMS__PUBLIC_IPS", "[\"203.0.113.10\"]"),
        ]),
    )
    .unwrap();
    assert_eq!(settings.rooms.udp_mux_port, 10000);
    let settings = load_from(
        None,
        env(&[
            ("MAILLE_ROOMS__UDP_MUX_PORT", "10000"),
            ("MAILLE_ROOMS__UDP_ADDRESS", "192.0.2.4"),
        ]),
    )
    .unwrap();
    assert_eq!(settings.rooms.udp_mux_port, 10000);
}

#[test]
fn missing_file_is_reported() {
    let err = load_from(
        Some(std::path::Path::new("/nonexistent/maille.toml")),
        env(&[]),
    )
    .unwrap_err();
    assert!(matches!(err, ConfigError::Unreadable { .. }));
}

#[test]
fn secrets_never_print() {
    let s = load_from(
        None,
        env(&[("MAILLE_DATABASE_URL", "postgres://u:hunter2@localhost/db")]),
    )
    .unwrap();
    assert!(!format!("{s:?}").contains("hunter2"));
    assert!(!serde_json::to_string(&s).unwrap().contains("hunter2"));
}

#[test]
fn accept_language_picks_the_preferred_known_language() {
    assert_eq!(
        Language::from_accept_language("de-DE,fr;q=0.8,en;q=0.5"),
        Some(Language::Fr)
    );
    assert_eq!(
        Language::from_accept_language("en-GB;q=0.4, fr-CA;q=0.9"),
        Some(Language::Fr)
    );
    assert_eq!(Language::from_accept_language("de, es"), None);
    assert_eq!(
        Language::from_accept_language("fr;q=0, en"),
        Some(Language::En)
    );
}

#[test]
fn insecure_federation_is_for_loopback_tests_only() {
    let insecure = ("MAILLE_FEDERATION__ALLOW_INSECURE_HTTP", "true");
    for public_url in [
        "https://maille.example.org",
        "http://maille.example.org",
        "https://localhost:8443",
        "http://192.168.1.10:8080",
    ] {
        let error =
            load_from(None, env(&[insecure, ("MAILLE_PUBLIC_URL", public_url)])).unwrap_err();
        assert!(
            error.to_string().contains("federation.allow_insecure_http"),
            "{public_url}: {error}"
        );
    }
    for public_url in [
        "http://localhost:4000",
        "http://127.0.0.1:4000",
        "http://[::1]:4000",
    ] {
        let settings =
            load_from(None, env(&[insecure, ("MAILLE_PUBLIC_URL", public_url)])).unwrap();
        assert!(settings.federation.allow_insecure_http);
    }
    let error = load_from(
        None,
        env(&[("MAILLE_FEDERATION__BLOCKED_DOMAINS", "[\"bad domain\"]")]),
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("federation.blocked_domains"),
        "{error}"
    );
}
