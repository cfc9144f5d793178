//! A real server with the accounts, spaces and pads services, per test; people to use it; and
//! the Node scenarios that drive real Yjs clients against it.

use std::path::PathBuf;
use std::sync::{Arc, Once};
use std::time::Duration;

use maille_accounts::cli::{create_user, NewAccount};
use maille_accounts::Accounts;
use maille_config::Settings;
use maille_pads::Pads;
use maille_spaces::{Spaces, SpacesPersonalData};
use maille_testing::{TestClient, TestDatabase, TestServer};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

/// Every test user's password.
pub const PASSWORD: &str = "a long enough passphrase";

/// A test's server and services.
pub struct App {
    /// The running server.
    pub server: TestServer,
    /// The accounts service it runs.
    pub accounts: Accounts,
    /// The pads service it runs.
    pub pads: Pads,
    stop: CancellationToken,
}

/// Starts the services on a fresh database, with anonymous pads allowed.
pub async fn spawn_app() -> App {
    spawn_app_with(|_| {}).await
}

/// Starts the services on a fresh database; `tweak` adjusts the settings.
pub async fn spawn_app_with(tweak: impl FnOnce(&mut Settings)) -> App {
    spawn_app_on(TestDatabase::fresh(), tweak).await
}

/// Starts the services on `database`.
pub async fn spawn_app_on(database: TestDatabase, tweak: impl FnOnce(&mut Settings)) -> App {
    let mut services = None;
    let stop = CancellationToken::new();
    let cancel = stop.clone();
    let server = maille_testing::spawn_on(
        database,
        |settings| {
            settings.pads.anonymous_creation = true;
            tweak(settings);
        },
        |ctx| {
            let accounts = Accounts::new(
                ctx.db.clone(),
                ctx.mailer.clone(),
                ctx.settings.clone(),
                ctx.tasks.clone(),
            );
            let spaces = Spaces::new(accounts.clone());
            accounts.register_personal_data(Arc::new(SpacesPersonalData));
            accounts.register_personal_data(Arc::new(maille_pads::PadsPersonalData));
            let pads = Pads::new(spaces.clone(), ctx.tasks.clone(), cancel);
            services = Some((accounts.clone(), pads.clone()));
            move |cfg: &mut actix_web::web::ServiceConfig| {
                accounts.configure(cfg);
                spaces.configure(cfg);
                pads.configure(cfg);
            }
        },
    )
    .await;
    let (accounts, pads) = services.expect("services built");
    App {
        server,
        accounts,
        pads,
        stop,
    }
}

impl App {
    /// Creates the account `name` (verified, approved).
    pub async fn create_user(&self, name: &str) -> maille_accounts::UserId {
        create_user(
            &self.accounts,
            NewAccount {
                username: name.to_owned(),
                email: format!("{name}@example.org"),
                password: PASSWORD.to_owned(),
                admin: false,
            },
        )
        .await
        .expect("user created")
    }

    /// A client logged in as `name`, who is created first.
    pub async fn user(&self, name: &str) -> TestClient {
        self.create_user(name).await;
        let client = self.server.client();
        let (status, body) = client.login(name, PASSWORD).await;
        assert_eq!(status, 200, "login of {name}: {body}");
        client
    }

    /// A client that is not logged in.
    pub fn anonymous(&self) -> TestClient {
        self.server.client()
    }

    /// The WebSocket base URL, as given to `WebsocketProvider`.
    pub fn ws_base(&self) -> String {
        format!("{}/ws/pads", self.server.address.replacen("http", "ws", 1))
    }

    /// Stops the server abruptly (live pads are not told) and hands back its database.
    pub async fn crash(self) -> TestDatabase {
        let database = self.server.stop_keeping_database().await;
        self.stop.cancel();
        database
    }
}

/// Status and JSON body (null when there is none).
pub async fn answer(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

/// Creates a pad as `client` with `body`; returns it.
pub async fn create_pad(client: &TestClient, body: Value) -> Value {
    let (status, pad) = answer(client.post("/api/pads", body).await).await;
    assert_eq!(status, 201, "{pad}");
    pad
}

/// An anonymous `link` pad's edit and read ids.
pub async fn link_pad(app: &App) -> (String, String) {
    let pad = create_pad(&app.anonymous(), json!({"title": "Notes"})).await;
    (
        pad["id"].as_str().unwrap().to_owned(),
        pad["read_id"].as_str().unwrap().to_owned(),
    )
}

fn js_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/js")
}

/// Installs the Node packages of the scenarios once, from the lock file, when missing.
fn npm_ci() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if js_dir().join("node_modules/y-websocket").exists() {
            return;
        }
        let status = std::process::Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(js_dir())
            .status()
            .expect("npm runs (Node.js is needed for the pads tests)");
        assert!(status.success(), "npm ci failed in {}", js_dir().display());
    });
}

/// Runs the Node scenario `script` with `args`; returns the JSON it prints last.
pub async fn node(script: &str, args: &[&str]) -> Value {
    npm_ci();
    let child = tokio::process::Command::new("node")
        .arg(script)
        .args(args)
        .current_dir(js_dir())
        .kill_on_drop(true)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("node runs");
    // A guard against a deadlock, not a timing assertion: the scenarios take a second or two.
    let output = tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("{script} did not finish"))
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{script} failed:\n{stdout}\n{stderr}"
    );
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| panic!("{script} printed {stdout:?}: {e}"))
}
