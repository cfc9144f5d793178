//! Building and running the server: every service in one process by default, or the ones
//! named with `--only`. Shutdown on SIGTERM or SIGINT stops accepting, lets requests in flight
//! finish, waits for background work (emails), and returns.

use std::sync::Arc;
use std::time::Duration;

use actix_web::{web, HttpServer};
use anyhow::Context as _;
use maille_accounts::{Accounts, AccountsMetrics};
use maille_config::Settings;
use maille_database::Database;
use maille_federation::Federation;
use maille_http::{Conventions, Metrics};
use maille_mail::Mailer;
use maille_pads::Pads;
use maille_rooms::Rooms;
use maille_spaces::{Spaces, SpacesMetrics};
use secrecy::ExposeSecret;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::health::{self, Probe};
use crate::web_assets;

/// A service that a process can mount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// Accounts, sessions, administration.
    Accounts,
    /// Spaces and their members.
    Spaces,
    /// Pads: their REST API and live editing.
    Pads,
    /// Rooms: their REST API, signalling and the SFU.
    Rooms,
    /// Federation over ActivityPub: WebFinger, NodeInfo, actors, inboxes, delivery.
    Federation,
    /// The web front end's files.
    Web,
}

impl Service {
    /// Every service, in mounting order.
    pub const ALL: [Service; 6] = [
        Service::Accounts,
        Service::Spaces,
        Service::Pads,
        Service::Rooms,
        Service::Federation,
        Service::Web,
    ];

    /// Its name on the command line and in `/healthz`.
    pub fn name(self) -> &'static str {
        match self {
            Service::Accounts => "accounts",
            Service::Spaces => "spaces",
            Service::Pads => "pads",
            Service::Rooms => "rooms",
            Service::Federation => "federation",
            Service::Web => "web",
        }
    }

    /// Parses a name.
    pub fn parse(name: &str) -> Option<Service> {
        Service::ALL.into_iter().find(|s| s.name() == name.trim())
    }

    /// Whether it cannot work without the database.
    pub fn needs_database(self) -> bool {
        !matches!(self, Service::Web)
    }
}

/// Connects to the configured database and applies pending migrations.
pub async fn open_database(settings: &Settings) -> anyhow::Result<Database> {
    let url = settings.effective_database_url().expose_secret().to_owned();
    let pool_settings = settings.database.clone();
    let db = tokio::task::spawn_blocking(move || Database::connect(&url, &pool_settings))
        .await
        .context("database task")?
        .context("the database is unreachable (check database_url / MAILLE_DATABASE_URL)")?;
    let applied = db.migrate().await.context("database migrations failed")?;
    for name in &applied {
        tracing::info!(migration = %name, "migration applied");
    }
    Ok(db)
}

/// The services' objects, built once per process (all of them, even those not mounted: an
/// accounts process must still export and delete the data of the others).
#[derive(Clone)]
pub struct Services {
    /// Accounts.
    pub accounts: Accounts,
    /// Spaces.
    pub spaces: Spaces,
    /// Pads.
    pub pads: Pads,
    /// Rooms.
    pub rooms: Rooms,
    /// Fires when the process stops: loaded pads close their connections.
    pub stop: CancellationToken,
}

impl Services {
    /// Builds them over `db`.
    pub fn new(
        db: Database,
        mailer: Mailer,
        settings: Arc<Settings>,
        tasks: TaskTracker,
    ) -> Services {
        let accounts = Accounts::new(db, mailer, settings, tasks.clone());
        let spaces = Spaces::new(accounts.clone());
        accounts.register_personal_data(Arc::new(maille_spaces::SpacesPersonalData));
        accounts.register_personal_data(Arc::new(maille_pads::PadsPersonalData));
        accounts.register_personal_data(Arc::new(maille_rooms::RoomsPersonalData));
        let stop = CancellationToken::new();
        let pads = Pads::new(spaces.clone(), tasks.clone(), stop.clone());
        let rooms = Rooms::new(spaces.clone(), tasks, stop.clone());
        Services {
            accounts,
            spaces,
            pads,
            rooms,
            stop,
        }
    }
}

/// How often the mounted services tidy up: expired sessions, tokens and invitations, expired
/// and trashed pads, the federation's queues and remembered ids.
const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(300);

/// One round of housekeeping of the `mounted` services; a failure is logged and the others go on.
async fn housekeeping(services: &Services, federation: &Federation, mounted: &[Service]) {
    fn report<T, E: std::fmt::Display>(service: Service, result: Result<T, E>) {
        if let Err(error) = result {
            tracing::warn!(%error, service = service.name(), "housekeeping failed");
        }
    }
    for &service in mounted {
        match service {
            Service::Accounts => report(service, services.accounts.maintenance().await),
            Service::Spaces => report(service, services.spaces.maintenance().await),
            Service::Pads => report(service, services.pads.maintenance().await),
            Service::Federation => report(service, federation.maintenance().await),
            Service::Rooms | Service::Web => {}
        }
    }
}

fn openapi_document(services: &[Service]) -> String {
    let mut doc = utoipa::openapi::OpenApiBuilder::new()
        .info(
            utoipa::openapi::InfoBuilder::new()
                .title("Maille")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "The HTTP API of a Maille instance. Errors are {\"code\", \"message\"}.",
                ))
                .license(Some(utoipa::openapi::License::new("AGPL-3.0-or-later")))
                .build(),
        )
        .build();
    for service in services {
        match service {
            Service::Accounts => doc.merge(Accounts::openapi()),
            Service::Spaces => doc.merge(Spaces::openapi()),
            Service::Pads => doc.merge(Pads::openapi()),
            Service::Rooms => doc.merge(Rooms::openapi()),
            Service::Federation => doc.merge(Federation::openapi()),
            Service::Web => {}
        }
    }
    doc.to_json().unwrap_or_else(|_| "{}".to_owned())
}

/// A server, bound and ready to run.
pub struct Application {
    port: u16,
    server: actix_web::dev::Server,
    cancel: CancellationToken,
    tasks: TaskTracker,
    mailer: Mailer,
}

impl Application {
    /// Opens the database, builds the services and binds the listener (port 0 picks a free
    /// port: see [`Application::port`]).
    pub async fn build(settings: Settings, mounted: &[Service]) -> anyhow::Result<Application> {
        let settings = Arc::new(settings);
        let db = open_database(&settings).await?;
        let mailer = Mailer::new(
            &settings.mail,
            &settings.outbox_dir(),
            &settings.instance_name,
        )
        .context("mail settings")?;
        let tasks = TaskTracker::new();
        let services = Services::new(db.clone(), mailer.clone(), settings.clone(), tasks.clone());
        let cancel = services.stop.clone();
        let federation = Federation::new(services.spaces.clone(), tasks.clone(), cancel.clone())
            .await
            .context("federation")?;
        if mounted.contains(&Service::Federation) {
            federation.start();
        }
        if mounted.contains(&Service::Rooms) {
            services.rooms.start().map_err(anyhow::Error::msg)?;
        }

        // An unreachable SMTP server is reported, not fatal: everything else works.
        {
            let mailer = mailer.clone();
            tasks.spawn(async move {
                if let Err(error) = mailer.check().await {
                    tracing::warn!(%error, "the SMTP server does not answer; emails will fail until it does");
                }
            });
        }

        if services.accounts.admin_count().await.unwrap_or(1) == 0 {
            tracing::warn!(
                "no administrator yet: create one with \
                 `maille admin user create --username NAME --email EMAIL --admin`"
            );
        }

        let metrics = Metrics::new();
        let probe = Probe {
            db: db.clone(),
            services: mounted.to_vec(),
            metrics: metrics.clone(),
            accounts: mounted
                .contains(&Service::Accounts)
                .then(|| services.accounts.clone()),
            accounts_metrics: AccountsMetrics::default(),
            spaces: mounted
                .contains(&Service::Spaces)
                .then(|| services.spaces.clone()),
            spaces_metrics: SpacesMetrics::default(),
            pads: mounted
                .contains(&Service::Pads)
                .then(|| services.pads.clone()),
            rooms: mounted
                .contains(&Service::Rooms)
                .then(|| services.rooms.clone()),
            pool_connections: Default::default(),
            pool_idle: Default::default(),
            metrics_allowed: Arc::new(settings.http.metrics_allowed.clone()),
            openapi: Arc::new(openapi_document(mounted)),
        };
        probe.register();

        // Housekeeping of the services this process mounts (a split deployment runs each
        // service's once, in its own process), until shutdown.
        {
            let services = services.clone();
            let federation = federation.clone();
            let mounted = mounted.to_vec();
            let cancel = cancel.clone();
            tasks.spawn(async move {
                let mut every = tokio::time::interval(HOUSEKEEPING_EVERY);
                loop {
                    tokio::select! {
                        _ = cancel.cancelled() => break,
                        _ = every.tick() => housekeeping(&services, &federation, &mounted).await,
                    }
                }
            });
        }

        let conventions = Conventions::new(&settings, metrics);
        let mounted_list: Vec<Service> = mounted.to_vec();
        let serve_web = mounted.contains(&Service::Web);
        if serve_web && !web_assets::available() {
            tracing::warn!("the web front end is not built; run `make web`");
        }
        let listener = std::net::TcpListener::bind(settings.listen)
            .with_context(|| format!("cannot listen on {}", settings.listen))?;
        let port = listener.local_addr()?.port();
        let app_services = services.clone();
        let app_federation = federation.clone();
        let mut server = HttpServer::new(move || {
            let services = app_services.clone();
            let federation = app_federation.clone();
            let probe = probe.clone();
            let mounted = mounted_list.clone();
            let app = maille_http::app(&conventions, move |cfg| {
                cfg.app_data(web::Data::new(probe));
                health::routes(cfg);
                for service in &mounted {
                    match service {
                        Service::Accounts => services.accounts.configure(cfg),
                        Service::Spaces => services.spaces.configure(cfg),
                        Service::Pads => services.pads.configure(cfg),
                        Service::Rooms => services.rooms.configure(cfg),
                        Service::Federation => federation.configure(cfg),
                        // The front end is the default service, below.
                        Service::Web => {}
                    }
                }
            });
            if serve_web {
                app.default_service(web::to(web_assets::serve))
            } else {
                app.default_service(web::to(maille_http::api_not_found))
            }
        })
        .disable_signals()
        .shutdown_timeout(settings.http.shutdown_timeout_seconds);
        if settings.http.workers > 0 {
            server = server.workers(settings.http.workers);
        }
        let server = server.listen(listener)?.run();
        tracing::info!(
            address = %settings.listen,
            public_url = %settings.public_origin(),
            database = db.backend().name(),
            services = ?mounted.iter().map(|s| s.name()).collect::<Vec<_>>(),
            "Maille is listening"
        );
        Ok(Application {
            port,
            server,
            cancel,
            tasks,
            mailer,
        })
    }

    /// The port bound.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGTERM or SIGINT, then shuts down gracefully.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let handle = self.server.handle();
        let cancel = self.cancel.clone();
        let signals = tokio::spawn(async move {
            wait_for_signal().await;
            tracing::info!("stopping: finishing requests in flight");
            // Live pads close their WebSockets first (everything relayed is stored), so that
            // those long-lived responses do not hold up the graceful stop.
            cancel.cancel();
            handle.stop(true).await;
        });
        let result = self.server.await;
        signals.abort();
        self.cancel.cancel();
        self.tasks.close();
        if tokio::time::timeout(Duration::from_secs(30), self.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!("background work did not finish within 30 s");
        }
        self.mailer.shutdown().await;
        tracing::info!("stopped");
        result.map_err(Into::into)
    }
}

#[cfg(unix)]
async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(error) => {
            tracing::error!(%error, "cannot listen for SIGTERM");
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() {
    let _ = tokio::signal::ctrl_c().await;
}
