//! The configuration struct. Every field's doc comment is its documentation: it is printed in
//! the example configuration and in `docs/configuration.md`.

use std::net::SocketAddr;
use std::path::PathBuf;

use ipnet::IpNet;
use schemars::JsonSchema;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize, Serializer};
use url::Url;

/// Everything Maille can be told at start.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Address and port the HTTP server listens on.
    #[schemars(with = "String")]
    pub listen: SocketAddr,
    /// The address people use to reach this instance, as typed in a browser (scheme, host,
    /// optional port, no path). Links in emails use it; when it starts with `https://`, cookies
    /// are marked Secure and HSTS is sent.
    #[schemars(with = "String")]
    pub public_url: Url,
    /// Where Maille keeps its files: the SQLite database (when no `database_url` is given)
    /// and the outbox of emails when no SMTP server is configured.
    #[schemars(with = "String")]
    pub data_dir: PathBuf,
    /// Database to use: `sqlite://PATH` or `postgres://USER:PASSWORD@HOST:PORT/DATABASE`.
    /// Empty: a SQLite file `maille.sqlite3` in `data_dir`.
    #[schemars(with = "Option<String>")]
    #[serde(serialize_with = "serialize_optional_secret")]
    pub database_url: Option<SecretString>,
    /// The instance's name, shown in the interface and in emails.
    pub instance_name: String,
    /// Language of the interface and emails for visitors whose browser states no preference
    /// Maille knows.
    pub default_language: Language,
    /// Database connection pool.
    pub database: DatabaseSettings,
    /// HTTP server and conventions.
    pub http: HttpSettings,
    /// Accounts, sign-up and sessions.
    pub accounts: AccountsSettings,
    /// Outgoing email.
    pub mail: MailSettings,
    /// Pads: anonymous creation, trash, live-editing limits.
    pub pads: PadsSettings,
    /// Rooms: video calls through Maille's SFU, their UDP ports, public address and TURN.
    pub rooms: RoomsSettings,
    /// Federation over ActivityPub: who this instance federates with, and its limits.
    pub federation: FederationSettings,
    /// Logs.
    pub logging: LoggingSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: default_public_url(),
            data_dir: PathBuf::from("./data"),
            database_url: None,
            instance_name: "Maille".to_owned(),
            default_language: Language::En,
            database: DatabaseSettings::default(),
            http: HttpSettings::default(),
            accounts: AccountsSettings::default(),
            mail: MailSettings::default(),
            pads: PadsSettings::default(),
            rooms: RoomsSettings::default(),
            federation: FederationSettings::default(),
            logging: LoggingSettings::default(),
        }
    }
}

#[allow(clippy::expect_used)] // a constant known to parse
fn default_public_url() -> Url {
    Url::parse("http://127.0.0.1:8080").expect("constant URL")
}

impl Settings {
    /// The database URL in effect: the configured one, or the default SQLite file in the data
    /// directory.
    pub fn effective_database_url(&self) -> SecretString {
        match &self.database_url {
            Some(url) if !url.expose_secret().trim().is_empty() => url.clone(),
            _ => SecretString::from(format!(
                "sqlite://{}",
                self.data_dir.join("maille.sqlite3").display()
            )),
        }
    }

    /// Whether the instance is reached over https (cookies Secure and `__Host-`, HSTS).
    pub fn is_https(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    /// The public origin, e.g. `https://pads.example.org`, without a trailing slash.
    pub fn public_origin(&self) -> String {
        self.public_url.origin().ascii_serialization()
    }

    /// An absolute link to a path of this instance; `path` starts with `/`.
    pub fn link(&self, path: &str) -> String {
        format!("{}{}", self.public_origin(), path)
    }

    /// The directory where emails are written when no SMTP server is configured.
    pub fn outbox_dir(&self) -> PathBuf {
        self.data_dir.join("outbox")
    }
}

fn serialize_optional_secret<S: Serializer>(
    value: &Option<SecretString>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(_) => serializer.serialize_some("[redacted]"),
        None => serializer.serialize_none(),
    }
}

fn serialize_secret<S: Serializer>(value: &SecretString, serializer: S) -> Result<S::Ok, S::Error> {
    if value.expose_secret().is_empty() {
        serializer.serialize_str("")
    } else {
        serializer.serialize_str("[redacted]")
    }
}

/// A language of the interface and of emails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// French.
    Fr,
    /// English.
    En,
}

impl Language {
    /// Every language the interface and emails exist in.
    pub const ALL: [Language; 2] = [Language::Fr, Language::En];

    /// The language's code as used in the API and the database: `fr` or `en`.
    pub fn code(self) -> &'static str {
        match self {
            Language::Fr => "fr",
            Language::En => "en",
        }
    }

    /// Parses `fr` or `en` (also `fr-FR`, `en-GB` and the like).
    pub fn parse(code: &str) -> Option<Language> {
        let primary = code.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "fr" => Some(Language::Fr),
            "en" => Some(Language::En),
            _ => None,
        }
    }

    /// The first language of an `Accept-Language` header that Maille knows, by preference order.
    pub fn from_accept_language(header: &str) -> Option<Language> {
        let mut ranked: Vec<(f32, usize, Language)> = header
            .split(',')
            .enumerate()
            .filter_map(|(position, part)| {
                let mut pieces = part.split(';');
                let language = Language::parse(pieces.next()?)?;
                let quality = pieces
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.parse::<f32>().ok())
                    .unwrap_or(1.0);
                (quality > 0.0).then_some((quality, position, language))
            })
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        ranked.first().map(|r| r.2)
    }
}

/// Database connection pool.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSettings {
    /// Largest number of open connections to the database.
    pub max_connections: u32,
    /// Seconds to wait for a free connection before a request fails with 503.
    pub connection_timeout_seconds: u64,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        DatabaseSettings {
            max_connections: 10,
            connection_timeout_seconds: 10,
        }
    }
}

/// HTTP server and conventions.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct HttpSettings {
    /// Addresses (or ranges, in CIDR notation) of reverse proxies whose `X-Forwarded-For`
    /// header is believed. A request from any other address is attributed to the address it
    /// came from.
    #[schemars(with = "Vec<String>")]
    pub trusted_proxies: Vec<IpNet>,
    /// Largest accepted request body for the JSON API, in bytes (larger: 413).
    pub max_body_bytes: usize,
    /// Seconds given to requests in flight to finish when Maille is asked to stop.
    pub shutdown_timeout_seconds: u64,
    /// Number of worker threads serving HTTP; 0 means one per CPU core.
    pub workers: usize,
    /// Addresses (CIDR) allowed to read `/metrics`; others get 404. Loopback by default, so
    /// that a Prometheus on the same machine can scrape it and nobody else can.
    #[schemars(with = "Vec<String>")]
    pub metrics_allowed: Vec<IpNet>,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            trusted_proxies: Vec::new(),
            max_body_bytes: 64 * 1024,
            shutdown_timeout_seconds: 30,
            workers: 0,
            metrics_allowed: ["127.0.0.0/8", "::1/128"]
                .iter()
                .filter_map(|n| n.parse().ok())
                .collect(),
        }
    }
}

/// Who may create an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RegistrationMode {
    /// Anyone may sign up.
    Open,
    /// Anyone may ask; an admin approves each account.
    Approval,
    /// Only with an invite code or link made by an admin.
    Invite,
    /// Nobody may sign up; admins create accounts.
    Closed,
}

impl RegistrationMode {
    /// The mode's name as used in the API and configuration.
    pub fn code(self) -> &'static str {
        match self {
            RegistrationMode::Open => "open",
            RegistrationMode::Approval => "approval",
            RegistrationMode::Invite => "invite",
            RegistrationMode::Closed => "closed",
        }
    }

    /// Parses a mode's name.
    pub fn parse(code: &str) -> Option<RegistrationMode> {
        match code {
            "open" => Some(RegistrationMode::Open),
            "approval" => Some(RegistrationMode::Approval),
            "invite" => Some(RegistrationMode::Invite),
            "closed" => Some(RegistrationMode::Closed),
            _ => None,
        }
    }
}

/// Accounts, sign-up and sessions.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct AccountsSettings {
    /// Who may sign up: `open`, `approval`, `invite` or `closed`. An admin can change it
    /// later from the administration page; that choice then wins over this one.
    pub registration: RegistrationMode,
    /// A session unused for this many hours ends.
    pub session_idle_timeout_hours: u64,
    /// A session ends this many days after login, however much it is used.
    pub session_absolute_timeout_days: u64,
    /// Minutes a password-reset link stays valid (at most 60).
    pub password_reset_validity_minutes: u64,
    /// Hours an email-verification or email-change link stays valid.
    pub email_verification_validity_hours: u64,
    /// Failed logins allowed in a burst for one account before it is slowed down; afterwards
    /// one more attempt is allowed per `login_throttle_refill_seconds`.
    pub login_attempts_per_account: u32,
    /// Login attempts allowed in a burst from one client address.
    pub login_attempts_per_address: u32,
    /// Seconds after which one more login attempt is allowed again, per account and address.
    pub login_throttle_refill_seconds: u64,
}

impl Default for AccountsSettings {
    fn default() -> Self {
        AccountsSettings {
            registration: RegistrationMode::Open,
            session_idle_timeout_hours: 24 * 7,
            session_absolute_timeout_days: 30,
            password_reset_validity_minutes: 60,
            email_verification_validity_hours: 48,
            login_attempts_per_account: 5,
            login_attempts_per_address: 20,
            login_throttle_refill_seconds: 60,
        }
    }
}

/// Pads: who may create them, how long the trash keeps them, and the limits of live editing.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct PadsSettings {
    /// Whether people who are not logged in may create pads (from the home page, as on
    /// Framapad). Such pads belong to nobody and are open to anyone with their link.
    pub anonymous_creation: bool,
    /// Whether new pads keep their full editing history unless their creator says otherwise.
    pub history_default: bool,
    /// Days a deleted pad stays in the trash, where it can be restored, before it is deleted
    /// for good.
    pub trash_days: u32,
    /// Largest WebSocket message accepted from an editor, in bytes; a larger one closes that
    /// connection.
    pub max_message_bytes: usize,
    /// Largest size of a pad's stored document, in bytes; an update that would make it larger
    /// is refused and its connection closed.
    pub max_pad_bytes: usize,
    /// Updates one connection may send per second, on average; a connection sending faster
    /// than this (beyond `update_burst`) is closed.
    pub updates_per_second: u32,
    /// Updates one connection may send in a burst above `updates_per_second` (pasting, a
    /// reconnection catching up). Other messages (presence, mostly) are allowed five times
    /// as many, on average and in bursts.
    pub update_burst: u32,
    /// Seconds between keep-alive pings; a connection that answers nothing for three of these
    /// is closed.
    pub ping_interval_seconds: u64,
    /// Seconds a pad stays in memory after its last editor left (it is stored already).
    pub idle_unload_seconds: u64,
    /// Stored updates after which a pad's log is compacted into one snapshot.
    pub compaction_threshold: u32,
    /// Minutes of editing after which a version is saved automatically in the pad's history
    /// (for pads that keep their history).
    pub version_interval_minutes: u64,
    /// Automatic versions kept per pad; older ones are deleted (named versions are kept).
    pub automatic_versions_kept: u32,
}

impl Default for PadsSettings {
    fn default() -> Self {
        PadsSettings {
            anonymous_creation: false,
            history_default: true,
            trash_days: 30,
            max_message_bytes: 1024 * 1024,
            max_pad_bytes: 16 * 1024 * 1024,
            updates_per_second: 20,
            update_burst: 200,
            ping_interval_seconds: 30,
            idle_unload_seconds: 60,
            compaction_threshold: 500,
            version_interval_minutes: 5,
            automatic_versions_kept: 100,
        }
    }
}

/// Rooms: video calls through Maille's own SFU (selective forwarding unit). See
/// `docs/admin/rooms.md` for the ports to open and for TURN.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RoomsSettings {
    /// Whether people who are not logged in may create rooms from a link (as on Framatalk).
    /// Such rooms belong to nobody; whoever created them moderates them.
    pub anonymous_rooms: bool,
    /// Most participants a room may have; each room's own limit (50 by default) is capped
    /// by this.
    pub max_participants: u32,
    /// Local IP address the media (UDP) sockets bind to. `0.0.0.0` binds every interface
    /// except loopback; name one address to bind only it (`127.0.0.1` for local tests).
    #[schemars(with = "String")]
    pub udp_address: std::net::IpAddr,
    /// First UDP port of the range used for media: each participant's two connections take
    /// one port each. `0` (with `udp_port_max` 0): any free port the system picks. Open the
    /// range in the firewall. Not used when `udp_mux_port` is set.
    pub udp_port_min: u16,
    /// Last UDP port of the media range (inclusive).
    pub udp_port_max: u16,
    /// One UDP port for the media of every participant (as Jitsi's 10000), instead of the
    /// range: open only this port in the firewall. `0` (the default): the range is used.
    /// With it, clients are told `public_ips`, or `udp_address` when that names one address.
    pub udp_mux_port: u16,
    /// Public IP addresses of this host when it sits behind a 1:1 NAT (a cloud instance
    /// with a private address): they replace the private address in what clients are told.
    /// Empty: the addresses of the interfaces are announced as they are.
    #[schemars(with = "Vec<String>")]
    pub public_ips: Vec<std::net::IpAddr>,
    /// TURN server(s) handed to clients, e.g. `turn:turn.example.org:3478?transport=udp`
    /// and `turns:turn.example.org:5349?transport=tcp`. Empty: no TURN (calls from behind
    /// strict firewalls fail). No STUN server of someone else is ever used.
    pub turn_urls: Vec<String>,
    /// Secret shared with coturn (`static-auth-secret` with `use-auth-secret`): clients get
    /// short-lived credentials computed from it.
    #[schemars(with = "String")]
    #[serde(serialize_with = "serialize_secret")]
    pub turn_secret: SecretString,
    /// How long the TURN credentials handed to a participant stay valid, in seconds.
    pub turn_credential_ttl_seconds: u64,
}

impl Default for RoomsSettings {
    fn default() -> Self {
        RoomsSettings {
            anonymous_rooms: false,
            max_participants: 50,
            udp_address: std::net::IpAddr::from([0, 0, 0, 0]),
            udp_port_min: 40000,
            udp_port_max: 40999,
            udp_mux_port: 0,
            public_ips: Vec::new(),
            turn_urls: Vec::new(),
            turn_secret: SecretString::from(String::new()),
            turn_credential_ttl_seconds: 24 * 3600,
        }
    }
}

/// Outgoing email.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct MailSettings {
    /// Sender of every email, as `Name <address>` or a bare address.
    pub from: String,
    /// SMTP server. When absent, every email is written as an `.eml` file into
    /// `DATA_DIR/outbox/` instead of being sent.
    pub smtp: Option<SmtpSettings>,
}

impl Default for MailSettings {
    fn default() -> Self {
        MailSettings {
            from: "Maille <noreply@localhost>".to_owned(),
            smtp: None,
        }
    }
}

/// How to reach the SMTP server.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SmtpSettings {
    /// Host name of the SMTP server.
    pub host: String,
    /// Port of the SMTP server (587 for STARTTLS, 465 for TLS).
    pub port: u16,
    /// `starttls`, `tls`, or `none` (only for a server on this machine).
    pub security: SmtpSecurity,
    /// User name for SMTP authentication; empty for none.
    pub username: String,
    /// Password for SMTP authentication.
    #[schemars(with = "String")]
    #[serde(serialize_with = "serialize_secret")]
    pub password: SecretString,
}

impl Default for SmtpSettings {
    fn default() -> Self {
        SmtpSettings {
            host: "localhost".to_owned(),
            port: 587,
            security: SmtpSecurity::Starttls,
            username: String::new(),
            password: SecretString::from(String::new()),
        }
    }
}

/// Transport security towards the SMTP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (port 587).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on this machine.
    None,
}

/// Log format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Lines for people.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Logs.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct LoggingSettings {
    /// What to log: `error`, `warn`, `info`, `debug`, or a tracing filter such as
    /// `info,maille_accounts=debug`.
    pub level: String,
    /// `text` or `json`.
    pub format: LogFormat,
    /// Shorten client addresses in logs and stored sessions (IPv4 to /24, IPv6 to /48), so that
    /// they no longer name one household.
    pub truncate_addresses: bool,
    /// Days logs are kept, as published in the instance's log policy; Maille's own records of
    /// addresses (sessions) follow it, and the Ansible deployment rotates logs to match.
    pub retention_days: u32,
}

impl Default for LoggingSettings {
    fn default() -> Self {
        LoggingSettings {
            level: "info".to_owned(),
            format: LogFormat::Text,
            truncate_addresses: true,
            retention_days: 14,
        }
    }
}

/// Who this instance federates with over ActivityPub.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FederationMode {
    /// Every instance but the blocked domains.
    Open,
    /// Only the allowed domains (and never a blocked one).
    Allowlist,
    /// No federation: nothing is sent, received or served to other instances.
    Off,
}

impl FederationMode {
    /// The mode's name as used in the API and configuration.
    pub fn code(self) -> &'static str {
        match self {
            FederationMode::Open => "open",
            FederationMode::Allowlist => "allowlist",
            FederationMode::Off => "off",
        }
    }
}

/// Federation over ActivityPub (see `docs/federation.md`): who this instance federates with,
/// and the limits it applies to other instances.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct FederationSettings {
    /// `open` (every instance but blocked domains), `allowlist` (only allowed domains) or
    /// `off`.
    pub mode: FederationMode,
    /// Domains blocked from the first start (added to the admin's list, where
    /// `maille admin federation unblock` can remove them). A blocked domain's subdomains are
    /// blocked too.
    pub blocked_domains: Vec<String>,
    /// Domains allowed from the first start, for the `allowlist` mode.
    pub allowed_domains: Vec<String>,
    /// Refuse unsigned requests for actors and objects (401), as Mastodon's "secure mode"
    /// does, so that blocked instances cannot read public data either. WebFinger and NodeInfo
    /// stay open.
    pub signed_fetch_required: bool,
    /// Largest activity accepted in an inbox, in bytes (larger: 413).
    pub max_activity_bytes: usize,
    /// Activities accepted per second from one instance, on average (more: 429).
    pub inbox_per_second_per_instance: u32,
    /// Activities accepted from one instance in a burst above the average.
    pub inbox_burst_per_instance: u32,
    /// Days a delivery is retried (with growing delays) before it is dropped and its instance
    /// marked dead.
    pub delivery_retry_days: u32,
    /// Seconds before the first retry of a failed delivery; each further failure doubles the
    /// delay, up to six hours.
    pub delivery_first_retry_seconds: u64,
    /// Instances delivered to at the same time (each instance receives its activities one
    /// by one, in order).
    pub delivery_concurrency: usize,
    /// Seconds a request to another instance may take.
    pub request_timeout_seconds: u64,
    /// Days the ids of received activities are remembered, so that a repeat is ignored.
    pub received_ids_days: u32,
    /// Days an item of the feed (others' public pads and rooms) is kept after its last change
    /// or its arrival, whichever is later.
    pub feed_days: u32,
    /// FOR TESTS ONLY: allow plain http, `localhost` and ports in other instances' addresses,
    /// and requests to loopback addresses. Refused unless `public_url` is plain http on
    /// `localhost` or a loopback address.
    pub allow_insecure_http: bool,
}

impl Default for FederationSettings {
    fn default() -> Self {
        FederationSettings {
            mode: FederationMode::Open,
            blocked_domains: Vec::new(),
            allowed_domains: Vec::new(),
            signed_fetch_required: false,
            max_activity_bytes: 256 * 1024,
            inbox_per_second_per_instance: 50,
            inbox_burst_per_instance: 500,
            delivery_retry_days: 7,
            delivery_concurrency: 32,
            delivery_first_retry_seconds: 30,
            request_timeout_seconds: 10,
            received_ids_days: 30,
            feed_days: 90,
            allow_insecure_http: false,
        }
    }
}
