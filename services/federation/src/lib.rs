//! Maille's federation service: an ActivityPub bridge built on `activitypub_federation`.
//!
//! - [`discovery`]: WebFinger and NodeInfo;
//! - [`actors`]: users as `Person`, spaces as `Group`, the instance as `Application`, and the
//!   remote actors known here;
//! - [`inbox`]: activities received, with HTTP signatures verified and Maille's own checks;
//! - [`follows`]: following in both directions, and its REST API;
//! - [`delivery`]: the durable outgoing queue and its workers, one per destination instance;
//! - [`home_sign_in`]: signing in here with one's home instance, and members of spaces from
//!   other instances;
//! - [`policy`]: who may federate (mode, domain blocks and allows), the SSRF-safe HTTP client
//!   and the per-instance inbox limit.
//!
//! See `docs/federation.md` for the protocol and `/tmp`-free API notes in the crate docs.

pub mod actors;
pub mod announce;
pub mod delivery;
pub mod discovery;
mod error;
pub mod feed;
pub mod follows;
pub mod home_sign_in;
pub mod inbox;
pub mod keys;
pub mod policy;
mod store;
pub mod urls;

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use activitypub_federation::config::{Data, FederationConfig};
use actix_web::web;
use maille_accounts::Accounts;
use maille_config::{FederationMode, Settings};
use maille_database::Database;
use maille_spaces::Spaces;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use actors::{ActorKind, LocalActor, RemoteActor, SigningActor};
pub use error::{FederationError, Result};
pub use urls::Urls;

/// What every handler and activity of the federation service reaches: the services it builds
/// on, the addresses of local documents, the admin's policy, the inbox limiter and the
/// delivery workers' wake-up. Cheap to clone. It is the `app_data` of the crate's
/// [`FederationConfig`], so that `Data<Context>` derefs to it.
#[derive(Clone)]
pub struct Context(Arc<ContextInner>);

/// See [`Context`].
pub struct ContextInner {
    /// The spaces service (and through it accounts, the database, the settings).
    pub spaces: Spaces,
    /// Addresses of local documents.
    pub urls: Urls,
    /// Who may federate.
    pub policy: policy::Policy,
    /// Per-instance limit of incoming activities.
    pub limiter: policy::InboxLimiter,
    /// Wakes the delivery dispatcher after something was queued.
    pub wake: Arc<tokio::sync::Notify>,
}

impl Deref for Context {
    type Target = ContextInner;
    fn deref(&self) -> &ContextInner {
        &self.0
    }
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("domain", &self.urls.domain())
            .finish_non_exhaustive()
    }
}

impl ContextInner {
    /// The database.
    pub fn database(&self) -> &Database {
        self.spaces.database()
    }

    /// The configuration.
    pub fn settings(&self) -> &Settings {
        self.spaces.settings()
    }

    /// The accounts service.
    pub fn accounts(&self) -> &Accounts {
        self.spaces.accounts()
    }

    /// Whether federation is on at all.
    pub fn is_on(&self) -> bool {
        self.settings().federation.mode != FederationMode::Off
    }
}

/// The federation service: its context and the crate's configuration. Cheap to clone.
#[derive(Clone)]
pub struct Federation {
    context: Context,
    config: FederationConfig<Context>,
    tasks: TaskTracker,
    cancel: CancellationToken,
}

impl std::fmt::Debug for Federation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Federation")
            .field("domain", &self.context.urls.domain())
            .finish_non_exhaustive()
    }
}

impl Federation {
    /// The service over the spaces service. Makes the instance actor's key pair on first
    /// start, seeds the domain policies from the configuration, and loads them. Background
    /// work (the delivery workers, started by [`Federation::start`]) runs on `tasks` and stops
    /// when `cancel` fires.
    pub async fn new(
        spaces: Spaces,
        tasks: TaskTracker,
        cancel: CancellationToken,
    ) -> Result<Federation> {
        let settings = spaces.settings().clone();
        let urls = Urls::new(&settings.public_url);
        let db = spaces.database().clone();
        let seeded = {
            let federation = settings.federation.clone();
            db.transaction(move |conn| policy::seed(conn, &federation, maille_database::now()))
                .await?
        };
        let policy = policy::Policy::load(&db).await?;
        if seeded > 0 {
            tracing::info!(
                count = seeded,
                "federation: domain policies seeded from the configuration"
            );
        }
        let context = Context(Arc::new(ContextInner {
            spaces,
            urls: urls.clone(),
            policy,
            limiter: policy::InboxLimiter::new(&settings.federation),
            wake: Arc::new(tokio::sync::Notify::new()),
        }));
        let instance = {
            let context = context.clone();
            db.run(move |conn| LocalActor::instance(&context, conn, maille_database::now()))
                .await?
        };
        let signer = instance.signing_actor(&urls);
        let insecure = settings.federation.allow_insecure_http;
        let timeout = Duration::from_secs(settings.federation.request_timeout_seconds);
        let config = FederationConfig::builder()
            .domain(urls.domain())
            .app_data(context.clone())
            .client(policy::http_client(insecure, timeout, &settings)?)
            .debug(insecure)
            .allow_http_urls(insecure)
            .request_timeout(timeout)
            .url_verifier(Box::new(policy::Verifier(context.clone())))
            .http_fetch_limit(20)
            .signed_fetch_actor(&signer)
            .build()
            .await
            .map_err(|e| FederationError::Internal(format!("federation config: {e}")))?;
        Ok(Federation {
            context,
            config,
            tasks,
            cancel,
        })
    }

    /// Starts the delivery dispatcher (one worker per destination instance) on the tracked
    /// tasks; it resumes whatever the queue holds.
    pub fn start(&self) {
        delivery::start(self.clone());
        announce::start(self.clone());
    }

    /// Mounts the routes: WebFinger, NodeInfo, actors and their collections, inboxes, and the
    /// REST API under `/api/federation` and `/api/admin/federation`.
    pub fn configure(&self, cfg: &mut web::ServiceConfig) {
        cfg.app_data(web::Data::new(self.clone()));
        cfg.app_data(web::Data::new(self.context.accounts().clone()));
        discovery::routes(cfg);
        actors::routes::routes(cfg);
        inbox::routes::routes(cfg);
        follows::routes::routes(cfg);
        feed::routes::routes(cfg);
        policy::routes::routes(cfg);
        home_sign_in::routes::routes(cfg);
    }

    /// The service's part of the OpenAPI document.
    pub fn openapi() -> utoipa::openapi::OpenApi {
        use utoipa::OpenApi;
        ApiDoc::openapi()
    }

    /// The context shared with handlers.
    pub fn context(&self) -> &Context {
        &self.context
    }

    /// Data for one request or job, as the crate's functions want it (its counter limits the
    /// fetches one incoming request may cause).
    pub fn data(&self) -> Data<Context> {
        self.config.to_request_data()
    }

    /// The database.
    pub fn database(&self) -> &Database {
        self.context.database()
    }

    /// The configuration.
    pub fn settings(&self) -> &Settings {
        self.context.settings()
    }

    /// Wakes the delivery workers: call it after committing a transaction that queued
    /// activities with [`delivery::enqueue`] (they also look every few seconds).
    pub fn wake_delivery(&self) {
        self.context.wake.notify_one();
    }

    pub(crate) fn tasks(&self) -> &TaskTracker {
        &self.tasks
    }

    pub(crate) fn cancel(&self) -> &CancellationToken {
        &self.cancel
    }

    /// Forgets old received-activity ids and old feed items (`federation.feed_days`), and
    /// refreshes the domain policies; run it now and then (every few minutes).
    pub async fn maintenance(&self) -> Result<()> {
        let now = maille_database::now();
        let days = i64::from(self.settings().federation.received_ids_days);
        let before = now - days * 86_400;
        let feed_before = now - i64::from(self.settings().federation.feed_days) * 86_400;
        let pruned = self
            .database()
            .transaction(move |conn| {
                inbox::forget_received(conn, before)?;
                feed::prune(conn, feed_before)
            })
            .await?;
        if pruned > 0 {
            tracing::info!(count = pruned, "federation: old feed items pruned");
        }
        self.context.policy.reload(self.database()).await
    }
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        follows::routes::follow,
        follows::routes::unfollow,
        follows::routes::following,
        follows::routes::followers,
        follows::routes::approve,
        follows::routes::reject,
        follows::routes::remove_follower,
        follows::routes::get_profile,
        follows::routes::update_profile,
        feed::routes::feed,
        policy::routes::list_domains,
        policy::routes::set_domain,
        policy::routes::remove_domain,
        policy::routes::list_instances,
        home_sign_in::routes::start,
        home_sign_in::routes::finish,
        home_sign_in::routes::preview_authorization,
        home_sign_in::routes::authorize,
        home_sign_in::routes::add_remote_member,
    ),
    components(schemas(maille_http::ErrorBody, ActorKind)),
    tags((name = "federation", description = "Following across instances over ActivityPub, and the admin's choices of who may federate"))
)]
struct ApiDoc;
