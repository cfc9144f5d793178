//! Test support: every test gets a fresh database of the backend named by the `TEST_DATABASE`
//! environment variable (`sqlite`, the default, or `postgres`, at `TEST_POSTGRES_URL`,
//! default `postgres://postgres@127.0.0.1:5432/postgres`), a real HTTP server on port 0 with
//! the instance's conventions, and a client that keeps cookies and the CSRF token.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod client;
mod database;

use std::sync::Arc;

use actix_web::{web, HttpServer};
use maille_config::Settings;
use maille_database::Database;
use maille_http::{Conventions, Metrics};
use maille_mail::{Mailer, OutboxEmail};
use tokio_util::task::TaskTracker;

pub use client::TestClient;
pub use database::TestDatabase;

/// What a test's services are built from.
#[derive(Clone)]
pub struct Context {
    /// The fresh database, migrated.
    pub db: Database,
    /// The mailer, writing into the outbox.
    pub mailer: Mailer,
    /// The settings.
    pub settings: Arc<Settings>,
    /// Tracks background tasks (emails).
    pub tasks: TaskTracker,
    /// Metrics.
    pub metrics: Metrics,
}

/// A running server for one test.
pub struct TestServer {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    /// What the services were built from.
    pub context: Context,
    handle: actix_web::dev::ServerHandle,
    _data_dir: tempfile::TempDir,
    database: TestDatabase,
}

impl TestServer {
    /// A new client for this server (its own cookies).
    pub fn client(&self) -> TestClient {
        TestClient::new(&self.address)
    }

    /// Every email written so far, oldest first, once the background senders are done.
    pub async fn emails(&self) -> Vec<OutboxEmail> {
        // Emails are sent on tracked tasks; wait until none is running.
        for _ in 0..200 {
            if self.context.tasks.is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let dir = self.context.settings.outbox_dir();
        if !dir.exists() {
            return Vec::new();
        }
        maille_mail::read_outbox(&dir).unwrap()
    }

    /// Emails sent to `to`, oldest first.
    pub async fn emails_to(&self, to: &str) -> Vec<OutboxEmail> {
        self.emails()
            .await
            .into_iter()
            .filter(|e| e.to().is_some_and(|t| t.contains(to)))
            .collect()
    }

    /// The first link starting with `prefix` (after the origin) in the last email to `to`.
    pub async fn link_to(&self, to: &str, path_prefix: &str) -> String {
        let emails = self.emails_to(to).await;
        let last = emails.last().unwrap_or_else(|| panic!("no email to {to}"));
        let wanted = format!("{}{}", self.address, path_prefix);
        last.links()
            .into_iter()
            .find(|l| l.starts_with(&wanted))
            .unwrap_or_else(|| panic!("no link {wanted} in {:?}", last.text()))
            .to_owned()
    }

    /// The token query parameter of the link starting with `prefix` in the last email to `to`.
    pub async fn token_to(&self, to: &str, path_prefix: &str) -> String {
        let link = self.link_to(to, path_prefix).await;
        link.split("token=").nth(1).unwrap_or_default().to_owned()
    }

    /// Stops the server.
    pub async fn stop(self) {
        self.handle.stop(true).await;
    }

    /// Stops the server at once (no graceful shutdown) and hands back its database, for a new
    /// server to start on.
    pub async fn stop_keeping_database(self) -> TestDatabase {
        self.handle.stop(false).await;
        self.database
    }
}

/// Starts a server: `tweak` adjusts the settings, `mount` builds the services from the context
/// and returns what mounts their routes.
pub async fn spawn<T, M, F>(tweak: T, mount: M) -> TestServer
where
    T: FnOnce(&mut Settings),
    M: FnOnce(&Context) -> F,
    F: Fn(&mut web::ServiceConfig) + Clone + Send + 'static,
{
    spawn_on(TestDatabase::fresh(), tweak, mount).await
}

/// [`spawn`] on an existing database, for tests of what survives a restart (see
/// [`TestServer::stop_keeping_database`]).
pub async fn spawn_on<T, M, F>(database: TestDatabase, tweak: T, mount: M) -> TestServer
where
    T: FnOnce(&mut Settings),
    M: FnOnce(&Context) -> F,
    F: Fn(&mut web::ServiceConfig) + Clone + Send + 'static,
{
    let data_dir = tempfile::tempdir().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut settings = Settings {
        data_dir: data_dir.path().to_path_buf(),
        public_url: format!("http://127.0.0.1:{port}").parse().unwrap(),
        ..Settings::default()
    };
    settings.database_url = Some(database.url().to_owned().into());
    tweak(&mut settings);
    let settings = Arc::new(settings);
    let db = Database::connect(database.url(), &settings.database).unwrap();
    db.migrate().await.unwrap();
    let mailer = Mailer::new(
        &settings.mail,
        &settings.outbox_dir(),
        &settings.instance_name,
    )
    .unwrap();
    let metrics = Metrics::new();
    let context = Context {
        db,
        mailer,
        settings: settings.clone(),
        tasks: TaskTracker::new(),
        metrics: metrics.clone(),
    };
    let configure = mount(&context);
    let conventions = Conventions::new(&settings, metrics);
    let server = HttpServer::new(move || {
        maille_http::app(&conventions, configure.clone())
            .default_service(web::to(maille_http::api_not_found))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    TestServer {
        address: format!("http://127.0.0.1:{port}"),
        context,
        handle,
        _data_dir: data_dir,
        database,
    }
}
