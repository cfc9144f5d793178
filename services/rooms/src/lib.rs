//! Maille's rooms service: video calls through its own SFU on the `webrtc` crate. A room has
//! an owner (a user, a space, or nobody), an unguessable id, an optional password and lobby,
//! a participant limit and moderators; a meeting in it is signalled over a WebSocket and its
//! media forwarded by the server.
//!
//! REST routes live under `/api/rooms` ([`room`]), the signalling WebSocket at
//! `/ws/rooms/{id}` ([`signal`], `docs/protocols/rooms.md`), the media in [`sfu`], TURN
//! credentials in [`turn`].

mod error;
mod metrics;
mod personal_data;
pub mod room;
pub mod sfu;
pub mod signal;
pub mod turn;

use std::sync::Arc;

use actix_web::web;
use maille_accounts::Accounts;
use maille_config::Settings;
use maille_database::Database;
use maille_spaces::Spaces;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use error::{Result, RoomsError};
pub use metrics::RoomsMetrics;
pub use personal_data::RoomsPersonalData;
pub use room::routes::{CreateRoom, RoomOwner, RoomView, UpdateRoom};
pub use room::RoomId;
pub use signal::Meetings;

/// The rooms service: its state, shared by its routes. Cheap to clone.
#[derive(Clone)]
pub struct Rooms {
    inner: Arc<Inner>,
}

struct Inner {
    spaces: Spaces,
    meetings: Meetings,
    metrics: RoomsMetrics,
}

impl std::fmt::Debug for Rooms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rooms").finish_non_exhaustive()
    }
}

impl Rooms {
    /// The service, over the spaces service (and through it accounts, the database and the
    /// settings). Meetings and their connections run on `tasks`; when `cancel` fires they
    /// close their connections.
    pub fn new(spaces: Spaces, tasks: TaskTracker, cancel: CancellationToken) -> Rooms {
        let metrics = RoomsMetrics::default();
        let settings = Arc::new(spaces.settings().rooms.clone());
        let sfu = sfu::Sfu::new((*settings).clone(), metrics.clone());
        let meetings = Meetings::new(settings, sfu, tasks, cancel);
        Rooms {
            inner: Arc::new(Inner {
                spaces,
                meetings,
                metrics,
            }),
        }
    }

    /// Starts what the service needs before it serves: binds the shared media port when
    /// `rooms.udp_mux_port` is set. Called by the process that mounts the rooms.
    pub fn start(&self) -> Result<(), String> {
        self.inner.meetings.sfu().start()
    }

    /// Mounts the service's routes (`/api/rooms...` and `/ws/rooms/{id}`), with the accounts
    /// service's app data so that it works mounted alone (`maille serve --only rooms`).
    pub fn configure(&self, cfg: &mut web::ServiceConfig) {
        cfg.app_data(web::Data::new(self.clone()));
        cfg.app_data(web::Data::new(self.accounts().clone()));
        room::routes::routes(cfg);
        cfg.service(signal::websocket);
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

    /// The meetings in progress.
    pub fn meetings(&self) -> &Meetings {
        &self.inner.meetings
    }

    /// The service's metrics (register them once with [`RoomsMetrics::register`]).
    pub fn metrics(&self) -> &RoomsMetrics {
        &self.inner.metrics
    }

    /// Refreshes the gauges that are measured rather than counted.
    pub fn refresh_metrics(&self) {
        let live = self.meetings().sfu().live_peer_connections();
        self.metrics()
            .peer_connections
            .set(i64::try_from(live).unwrap_or(i64::MAX));
    }
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        room::routes::create_room,
        room::routes::list_rooms,
        room::routes::get_room,
        room::routes::update_room,
        room::routes::delete_room,
    ),
    components(schemas(maille_http::ErrorBody, RoomOwner)),
    tags((name = "rooms", description = "Rooms: video calls, their rules and moderators"))
)]
struct ApiDoc;
