use crate::helpers::{repository, stderr, stdout, Instance, BIN};

#[test]
fn config_example_prints_the_committed_example() {
    let output = std::process::Command::new(BIN)
        .args(["config", "example"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let committed = std::fs::read_to_string(repository().join("docs/maille.example.toml")).unwrap();
    assert_eq!(stdout(&output), committed);
}

#[test]
fn an_unknown_key_stops_the_start_naming_it() {
    let instance = Instance::new();
    let file = instance.data.path().join("maille.toml");
    std::fs::write(&file, "[accounts]\nregistation = \"open\"\n").unwrap();
    let output = instance.run(&["--config", file.to_str().unwrap(), "serve"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("accounts.registation"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn an_invalid_environment_value_stops_the_start_naming_the_key() {
    let instance = Instance::new();
    let output = instance
        .command(&["serve"])
        .env("MAILLE_ACCOUNTS__REGISTRATION", "everybody")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("accounts.registration"),
        "{}",
        stderr(&output)
    );
    let output = instance
        .command(&["serve"])
        .env("MAILLE_PUBLIC_URL", "not a url")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("public_url"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn an_unreachable_database_is_a_clear_error_and_a_failure_exit() {
    let instance = Instance::new();
    let output = instance
        .command(&["serve"])
        .env(
            "MAILLE_DATABASE_URL",
            "postgres://nobody@127.0.0.1:1/maille",
        )
        .env("MAILLE_DATABASE__CONNECTION_TIMEOUT_SECONDS", "1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("database is unreachable"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn config_check_hides_secrets() {
    let instance = Instance::new();
    let output = instance
        .command(&["config", "check"])
        .env(
            "MAILLE_DATABASE_URL",
            "postgres://maille:hunter2@localhost/maille",
        )
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!stdout(&output).contains("hunter2"));
    assert!(stdout(&output).contains("[redacted]"));
}
