//! Loading and validating the configuration.

use std::path::Path;

use figment::providers::{Format, Serialized, Toml};
use figment::Figment;
use secrecy::ExposeSecret;

use crate::Settings;

/// Prefix of the environment variables that override the configuration file. Nested keys are
/// joined with a double underscore: `MAILLE_ACCOUNTS__REGISTRATION=closed`.
pub const ENV_PREFIX: &str = "MAILLE_";

/// `MAILLE_*` variables that are not configuration keys: the file's path (`--config`).
const NOT_KEYS: &[&str] = &["MAILLE_CONFIG_FILE"];

/// Why the configuration was refused. Each variant names the key at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read the configuration file {path}: {source}")]
    Unreadable {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A key is unknown, or its value has the wrong shape.
    #[error("configuration key `{key}`: {message}")]
    Invalid {
        /// The key, dotted (`accounts.registration`).
        key: String,
        /// What is wrong with it.
        message: String,
    },
}

/// Loads the configuration from `file` (when given) and the process environment.
pub fn load(file: Option<&Path>) -> Result<Settings, ConfigError> {
    let vars: Vec<(String, String)> = std::env::vars().collect();
    load_from(file, vars)
}

/// Loads the configuration from `file` (when given) and the given environment variables;
/// tests pass their own variables rather than changing the process environment.
pub fn load_from(
    file: Option<&Path>,
    vars: impl IntoIterator<Item = (String, String)>,
) -> Result<Settings, ConfigError> {
    let mut figment = Figment::from(Serialized::defaults(Settings::default()));
    if let Some(path) = file {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Unreadable {
            path: path.display().to_string(),
            source,
        })?;
        figment = figment.merge(Toml::string(&text));
    }
    // Only MAILLE_* variables are configuration; they are given to figment as data so that
    // tests can pass their own environment.
    let env: Vec<(String, String)> = vars
        .into_iter()
        .filter(|(k, _)| k.starts_with(ENV_PREFIX) && k.len() > ENV_PREFIX.len())
        .filter(|(k, _)| !NOT_KEYS.contains(&k.as_str()))
        .collect();
    let mut env_toml = toml::Table::new();
    for (key, value) in &env {
        let path: Vec<String> = key[ENV_PREFIX.len()..]
            .to_ascii_lowercase()
            .split("__")
            .map(str::to_owned)
            .collect();
        insert_env_value(&mut env_toml, &path, parse_env_value(value));
    }
    figment = figment.merge(Serialized::defaults(env_toml));
    // The secret-redacting serializer must not be the source of defaults for secrets: an
    // unset `database_url` serializes as null, which deserializes back to None.
    let settings: Settings = figment.extract().map_err(|errors| {
        let first = errors.into_iter().next();
        match first {
            Some(error) => ConfigError::Invalid {
                key: key_of(&error),
                message: error.kind.to_string(),
            },
            None => ConfigError::Invalid {
                key: String::new(),
                message: "invalid configuration".to_owned(),
            },
        }
    })?;
    validate(&settings)?;
    Ok(settings)
}

fn key_of(error: &figment::Error) -> String {
    let mut path = error.path.clone();
    if let figment::error::Kind::UnknownField(field, _) = &error.kind {
        if path.last() != Some(field) {
            path.push(field.clone());
        }
    }
    path.join(".")
}

/// Environment values are read as TOML values when they parse as one (numbers, booleans,
/// arrays), else as strings.
fn parse_env_value(raw: &str) -> toml::Value {
    let trimmed = raw.trim();
    if let Ok(table) = format!("v = {trimmed}").parse::<toml::Table>() {
        if let Some(value) = table.get("v") {
            return value.clone();
        }
    }
    toml::Value::String(raw.to_owned())
}

fn insert_env_value(table: &mut toml::Table, path: &[String], value: toml::Value) {
    match path {
        [] => {}
        [last] => {
            table.insert(last.clone(), value);
        }
        [first, rest @ ..] => {
            let entry = table
                .entry(first.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if !entry.is_table() {
                *entry = toml::Value::Table(toml::Table::new());
            }
            if let toml::Value::Table(inner) = entry {
                insert_env_value(inner, rest, value);
            }
        }
    }
}

fn invalid(key: &str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.to_owned(),
        message: message.into(),
    }
}

fn validate(settings: &Settings) -> Result<(), ConfigError> {
    let url = &settings.public_url;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("public_url", "must start with http:// or https://"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("public_url", "must name a host"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(
            "public_url",
            "must be an origin only (no path, query or fragment); serve Maille at the root of its host",
        ));
    }
    if let Some(db) = &settings.database_url {
        let db = db.expose_secret().trim();
        let known = ["sqlite://", "postgres://", "postgresql://"];
        if !db.is_empty() && !known.iter().any(|prefix| db.starts_with(prefix)) {
            return Err(invalid(
                "database_url",
                "must start with sqlite://, postgres:// or postgresql://",
            ));
        }
    }
    if settings.instance_name.trim().is_empty() || settings.instance_name.chars().count() > 100 {
        return Err(invalid("instance_name", "must have 1 to 100 characters"));
    }
    if settings.database.max_connections == 0 {
        return Err(invalid("database.max_connections", "must be at least 1"));
    }
    if settings.http.max_body_bytes < 1024 {
        return Err(invalid("http.max_body_bytes", "must be at least 1024"));
    }
    let accounts = &settings.accounts;
    if !(5..=60).contains(&accounts.password_reset_validity_minutes) {
        return Err(invalid(
            "accounts.password_reset_validity_minutes",
            "must be between 5 and 60",
        ));
    }
    if accounts.session_idle_timeout_hours == 0 {
        return Err(invalid(
            "accounts.session_idle_timeout_hours",
            "must be at least 1",
        ));
    }
    if accounts.session_absolute_timeout_days == 0 {
        return Err(invalid(
            "accounts.session_absolute_timeout_days",
            "must be at least 1",
        ));
    }
    if accounts.email_verification_validity_hours == 0 {
        return Err(invalid(
            "accounts.email_verification_validity_hours",
            "must be at least 1",
        ));
    }
    if accounts.login_attempts_per_account == 0 || accounts.login_attempts_per_address == 0 {
        return Err(invalid(
            "accounts.login_attempts_per_account",
            "login attempt limits must be at least 1",
        ));
    }
    if accounts.login_throttle_refill_seconds == 0 {
        return Err(invalid(
            "accounts.login_throttle_refill_seconds",
            "must be at least 1",
        ));
    }
    if settings.mail.from.trim().is_empty() || !settings.mail.from.contains('@') {
        return Err(invalid("mail.from", "must be an email address"));
    }
    if let Some(smtp) = &settings.mail.smtp {
        if smtp.host.trim().is_empty() {
            return Err(invalid("mail.smtp.host", "must not be empty"));
        }
    }
    let rooms = &settings.rooms;
    if !(2..=1000).contains(&rooms.max_participants) {
        return Err(invalid(
            "rooms.max_participants",
            "must be between 2 and 1000",
        ));
    }
    if rooms.udp_port_min > rooms.udp_port_max
        || (rooms.udp_port_min == 0) != (rooms.udp_port_max == 0)
    {
        return Err(invalid(
            "rooms.udp_port_min",
            "udp_port_min and udp_port_max must both be 0, or a range with min <= max",
        ));
    }
    if rooms.udp_mux_port != 0 && rooms.public_ips.is_empty() && rooms.udp_address.is_unspecified()
    {
        return Err(invalid(
            "rooms.udp_mux_port",
            "with one UDP port, clients must be told an address: set rooms.public_ips, or a \
             udp_address that is not 0.0.0.0",
        ));
    }
    if !rooms.turn_urls.is_empty() && rooms.turn_secret.expose_secret().len() < 16 {
        return Err(invalid(
            "rooms.turn_secret",
            "must have at least 16 characters when turn_urls are set",
        ));
    }
    if let Some(url) = rooms
        .turn_urls
        .iter()
        .find(|u| !(u.starts_with("turn:") || u.starts_with("turns:")))
    {
        return Err(invalid(
            "rooms.turn_urls",
            format!("{url}: must start with turn: or turns:"),
        ));
    }
    if rooms.turn_credential_ttl_seconds < 60 {
        return Err(invalid(
            "rooms.turn_credential_ttl_seconds",
            "must be at least 60",
        ));
    }
    validate_federation(settings)?;
    if settings.logging.retention_days == 0 {
        return Err(invalid("logging.retention_days", "must be at least 1"));
    }
    Ok(())
}

fn validate_federation(settings: &Settings) -> Result<(), ConfigError> {
    let federation = &settings.federation;
    if federation.allow_insecure_http {
        let url = &settings.public_url;
        let loopback = match url.host() {
            Some(url::Host::Domain(host)) => host.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        };
        if url.scheme() != "http" || !loopback {
            return Err(invalid(
                "federation.allow_insecure_http",
                "is for tests only: allowed only when public_url is http:// on localhost or a loopback address",
            ));
        }
    }
    if federation.max_activity_bytes < 1024 {
        return Err(invalid(
            "federation.max_activity_bytes",
            "must be at least 1024",
        ));
    }
    if federation.inbox_per_second_per_instance == 0 || federation.inbox_burst_per_instance == 0 {
        return Err(invalid(
            "federation.inbox_per_second_per_instance",
            "inbox limits must be at least 1",
        ));
    }
    if federation.delivery_retry_days == 0 {
        return Err(invalid(
            "federation.delivery_retry_days",
            "must be at least 1",
        ));
    }
    if federation.delivery_concurrency == 0 {
        return Err(invalid(
            "federation.delivery_concurrency",
            "must be at least 1",
        ));
    }
    if federation.request_timeout_seconds == 0 {
        return Err(invalid(
            "federation.request_timeout_seconds",
            "must be at least 1",
        ));
    }
    for (key, list) in [
        ("federation.blocked_domains", &federation.blocked_domains),
        ("federation.allowed_domains", &federation.allowed_domains),
    ] {
        for domain in list {
            let ok = !domain.is_empty()
                && domain.len() <= 253
                && domain
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
            if !ok {
                return Err(invalid(key, format!("`{domain}` is not a domain name")));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "load_tests.rs"]
mod tests;
