//! Maille's pads service: live collaborative documents on yrs. A pad has an owner (a user, a
//! space, or nobody), a visibility, an optional expiry and a trash; its document is edited
//! over the standard y-websocket protocol, and every update is stored before anyone else sees
//! it.
//!
//! REST routes live under `/api/pads` ([`pad`]), the WebSocket at `/ws/pads/{id}`
//! ([`live`]). See `docs/api.md` and `docs/protocols/pads.md`.

pub mod content;
mod error;
pub mod history;
pub mod live;
mod metrics;
pub mod pad;
mod personal_data;
mod purge;

use std::sync::Arc;

use actix_web::web;
use maille_accounts::Accounts;
use maille_config::Settings;
use maille_database::Database;
use maille_spaces::Spaces;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use error::{PadsError, Result};
pub use live::Live;
pub use metrics::PadsMetrics;
pub use pad::routes::{CreatePad, ExpiresIn, OwnerView, PadView, UpdatePad};
pub use pad::{Access, PadId, Visibility};
pub use personal_data::PadsPersonalData;

/// The pads service: its state, shared by its routes. Cheap to clone.
#[derive(Clone)]
pub struct Pads {
    inner: Arc<Inner>,
}

struct Inner {
    spaces: Spaces,
    live: Live,
    tasks: TaskTracker,
}

impl std::fmt::Debug for Pads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pads").finish_non_exhaustive()
    }
}

impl Pads {
    /// The service, over the spaces service (and through it the accounts service, its
    /// database and settings). Loaded pads and their connections run on `tasks`; when
    /// `cancel` fires they close their connections (everything relayed is stored already).
    pub fn new(spaces: Spaces, tasks: TaskTracker, cancel: CancellationToken) -> Pads {
        let live = Live::new(
            spaces.database().clone(),
            Arc::new(spaces.settings().pads.clone()),
            tasks.clone(),
            cancel,
        );
        Pads {
            inner: Arc::new(Inner {
                spaces,
                live,
                tasks,
            }),
        }
    }

    /// Mounts the service's routes (`/api/pads...` and `/ws/pads/{id}`). It also provides the
    /// accounts service's app data, which tells who is asking, so that it works when mounted
    /// alone (`maille serve --only pads`).
    pub fn configure(&self, cfg: &mut web::ServiceConfig) {
        cfg.app_data(web::Data::new(self.clone()));
        cfg.app_data(web::Data::new(self.accounts().clone()));
        pad::routes::routes(cfg);
        history::routes::routes(cfg);
        content::routes::routes(cfg);
        cfg.service(live::websocket);
    }

    /// The service's part of the OpenAPI document.
    pub fn openapi() -> utoipa::openapi::OpenApi {
        use utoipa::OpenApi;
        ApiDoc::openapi()
    }

    /// The spaces service.
    pub fn spaces(&self) -> &Spaces {
        &self.inner.spaces
    }

    /// The accounts service.
    pub fn accounts(&self) -> &Accounts {
        self.inner.spaces.accounts()
    }

    /// The database.
    pub fn database(&self) -> &Database {
        self.inner.spaces.database()
    }

    /// The configuration.
    pub fn settings(&self) -> &Settings {
        self.inner.spaces.settings()
    }

    pub(crate) fn settings_arc(&self) -> Arc<Settings> {
        Arc::new(self.settings().clone())
    }

    /// The service's metrics (register them once with [`PadsMetrics::register`]).
    pub fn metrics(&self) -> &PadsMetrics {
        self.inner.live.metrics()
    }

    /// Refreshes the gauges that are measured rather than counted.
    pub fn refresh_metrics(&self) {
        let loaded = i64::try_from(self.live().loaded()).unwrap_or(i64::MAX);
        self.metrics().loaded.set(loaded);
    }

    /// The live side: loaded pads and their connections.
    pub fn live(&self) -> &Live {
        &self.inner.live
    }

    pub(crate) fn tasks(&self) -> &TaskTracker {
        &self.inner.tasks
    }

    /// Deletes for good the expired pads and those trashed more than `pads.trash_days` ago;
    /// returns how many. Run it now and then (every few minutes is plenty).
    pub async fn maintenance(&self) -> Result<usize> {
        self.maintenance_at(maille_database::now()).await
    }

    /// [`Pads::maintenance`] as if it were `now`.
    pub async fn maintenance_at(&self, now: maille_database::UnixTime) -> Result<usize> {
        let trash_days = self.settings().pads.trash_days;
        let purged = self
            .database()
            .transaction(move |conn| purge::purge(conn, trash_days, now))
            .await?;
        for id in &purged {
            self.live()
                .evict(&PadId(id.clone()), "the pad was deleted")
                .await;
        }
        if !purged.is_empty() {
            self.database().notify_outbox();
            tracing::info!(count = purged.len(), "expired and trashed pads deleted");
        }
        Ok(purged.len())
    }
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        pad::routes::create_pad,
        pad::routes::list_pads,
        pad::routes::get_pad,
        pad::routes::update_pad,
        pad::routes::delete_pad,
        pad::routes::restore_pad,
        history::routes::list_versions,
        history::routes::save_version,
        history::routes::get_version,
        history::routes::restore_version,
        content::routes::export,
        content::routes::import,
    ),
    components(schemas(maille_http::ErrorBody, Visibility, Access, ExpiresIn, OwnerView,
                       content::Format, content::routes::ImportFormat)),
    tags((name = "pads", description = "Pads: collaborative documents, their rules and history"))
)]
struct ApiDoc;
