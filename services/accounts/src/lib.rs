//! Maille's accounts service: users, argon2id passwords, sessions, email verification,
//! password reset, invite codes, administration, and each person's data export and deletion.
//!
//! Other services learn who is asking through the [`CurrentUser`] extractor and look people up
//! through [`Accounts`]; they never touch this service's tables.

mod account_tokens;
mod admin;
pub mod cli;
mod error;
pub mod handles;
mod instance;
mod login;
mod maintenance;
mod me;
mod password;
mod personal_data;
pub mod remote;
mod reset;
mod secret_token;
pub mod sessions;
mod signup;
mod throttle;
pub mod users;

use std::sync::{Arc, RwLock};

use actix_web::web;
use maille_config::Settings;
use maille_database::Database;
use maille_mail::{Email, Mailer};
use tokio_util::task::TaskTracker;

pub use error::{AccountsError, Result};
pub use login::SessionBody;
pub use personal_data::{DeletionBlocker, PersonalData};
pub use secret_token::{digest as token_digest, generate as generate_token};
pub use sessions::{AdminUser, CurrentUser, OptionalUser};
pub use users::{Role, UserId, UserSummary};

use throttle::LoginThrottle;

/// The accounts service: its state, shared by its routes. Cheap to clone.
#[derive(Clone)]
pub struct Accounts {
    inner: Arc<Inner>,
}

struct Inner {
    db: Database,
    mailer: Mailer,
    settings: Arc<Settings>,
    throttle: LoginThrottle,
    personal_data: RwLock<Vec<Arc<dyn PersonalData>>>,
    tasks: TaskTracker,
}

impl std::fmt::Debug for Accounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Accounts").finish_non_exhaustive()
    }
}

impl Accounts {
    /// The service over this database and mailer. Emails are sent on tasks tracked by `tasks`,
    /// so that shutdown waits for them.
    pub fn new(
        db: Database,
        mailer: Mailer,
        settings: Arc<Settings>,
        tasks: TaskTracker,
    ) -> Accounts {
        let throttle = LoginThrottle::new(&settings.accounts);
        Accounts {
            inner: Arc::new(Inner {
                db,
                mailer,
                settings,
                throttle,
                personal_data: RwLock::new(Vec::new()),
                tasks,
            }),
        }
    }

    /// Mounts the service's routes (all under `/api/`).
    pub fn configure(&self, cfg: &mut web::ServiceConfig) {
        cfg.app_data(web::Data::new(self.clone()));
        instance::routes(cfg);
        signup::routes(cfg);
        login::routes(cfg);
        reset::routes(cfg);
        me::routes(cfg);
        admin::routes(cfg);
    }

    /// The service's part of the OpenAPI document.
    pub fn openapi() -> utoipa::openapi::OpenApi {
        use utoipa::OpenApi;
        ApiDoc::openapi()
    }

    /// Lets another service include its data in exports and take part in deletions.
    pub fn register_personal_data(&self, source: Arc<dyn PersonalData>) {
        self.inner
            .personal_data
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(source);
    }

    pub(crate) fn personal_data_sources(&self) -> Vec<Arc<dyn PersonalData>> {
        self.inner
            .personal_data
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The database.
    pub fn database(&self) -> &Database {
        &self.inner.db
    }

    /// The configuration.
    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    pub(crate) fn settings_arc(&self) -> Arc<Settings> {
        self.inner.settings.clone()
    }

    pub(crate) fn throttle(&self) -> &LoginThrottle {
        &self.inner.throttle
    }

    /// Sends an email on a tracked task, so that the request does not wait for the mail server
    /// (and its timing does not reveal whether an email was sent). Failures are logged.
    pub fn send_later(&self, to: String, language: maille_config::Language, email: Email) {
        // Remote accounts have no address here (a placeholder under `.invalid`).
        if to.is_empty() || to.ends_with(&format!("@{}", remote::PLACEHOLDER_EMAIL_DOMAIN)) {
            return;
        }
        let mailer = self.inner.mailer.clone();
        self.inner.tasks.spawn(async move {
            if let Err(error) = mailer.send(&to, language, &email).await {
                tracing::error!(%error, "an email could not be sent");
            }
        });
    }

    /// Opens a session for `user` (a remote account whose home instance vouched for them):
    /// the session cookie to set and what the client is told, as a password login does.
    pub async fn open_session(
        &self,
        req: &actix_web::HttpRequest,
        user: users::UserRow,
    ) -> Result<(actix_web::cookie::Cookie<'static>, SessionBody)> {
        login::start_session(self, req, user).await
    }

    /// A user's public summary by username.
    pub async fn user_by_username(&self, username: String) -> Result<Option<UserSummary>> {
        let fallback = self.settings().default_language;
        self.database()
            .run(move |conn| {
                Ok(
                    users::find_by_username(conn, &username)?
                        .map(|u| UserSummary::of(&u, fallback)),
                )
            })
            .await
    }

    /// Several users' summaries by id, in no particular order (unknown ids are skipped).
    pub fn users_blocking(
        &self,
        conn: &mut maille_database::DbConnection,
        ids: &[UserId],
    ) -> Result<Vec<UserSummary>> {
        use diesel::prelude::*;
        use maille_database::schema::users as t;
        let raw: Vec<i64> = ids.iter().map(|i| i.0).collect();
        let rows: Vec<users::UserRow> = t::table
            .filter(t::id.eq_any(raw))
            .select(users::UserRow::as_select())
            .load(conn)?;
        let fallback = self.settings().default_language;
        Ok(rows.iter().map(|u| UserSummary::of(u, fallback)).collect())
    }

    /// Figures published in NodeInfo: accounts that can log in, those who logged in within 30
    /// and 180 days of `now`, and whether anyone may sign up.
    pub fn usage_blocking(
        &self,
        conn: &mut maille_database::DbConnection,
        now: maille_database::UnixTime,
    ) -> Result<Usage> {
        use diesel::prelude::*;
        use maille_database::schema::users as t;
        // People of other instances who signed in here are counted by their home instance.
        let active = t::approved
            .eq(true)
            .and(t::disabled.eq(false))
            .and(t::remote_actor_id.is_null());
        let total: i64 = t::table.filter(active).count().get_result(conn)?;
        let since = |days: i64| t::last_login_at.ge(now - days * 86_400);
        let active_month: i64 = t::table
            .filter(active.and(since(30)))
            .count()
            .get_result(conn)?;
        let active_halfyear: i64 = t::table
            .filter(active.and(since(180)))
            .count()
            .get_result(conn)?;
        let mode = instance::registration_mode(conn, self.settings().accounts.registration)?;
        Ok(Usage {
            total,
            active_month,
            active_halfyear,
            open_registrations: mode == maille_config::RegistrationMode::Open,
        })
    }

    /// How many active administrators the instance has.
    pub async fn admin_count(&self) -> Result<usize> {
        self.database()
            .run(|conn| Ok(users::admins(conn)?.len()))
            .await
    }

    /// Deletes expired sessions and tokens and trims the login throttle's memory.
    pub async fn maintenance(&self) -> Result<()> {
        maintenance::run(self).await
    }

    /// Refreshes the service's gauges.
    pub async fn refresh_metrics(&self, metrics: &AccountsMetrics) -> Result<()> {
        maintenance::refresh_metrics(self, metrics).await
    }
}

pub use maintenance::AccountsMetrics;

/// Figures about the instance's accounts, as NodeInfo publishes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    /// Accounts that can log in.
    pub total: i64,
    /// Of those, logged in within 30 days.
    pub active_month: i64,
    /// Of those, logged in within 180 days.
    pub active_halfyear: i64,
    /// Whether anyone may sign up (registration mode `open`).
    pub open_registrations: bool,
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        instance::get_instance,
        signup::sign_up,
        signup::verify_email,
        login::log_in,
        login::get_session,
        login::log_out,
        reset::request_reset,
        reset::confirm_reset,
        me::get_me,
        me::update_me,
        me::change_password,
        me::change_email,
        me::confirm_email,
        me::list_sessions,
        me::revoke_session,
        me::export,
        me::delete_me,
        admin::list_users,
        admin::act_on_user,
        admin::get_settings,
        admin::update_settings,
        admin::list_invites,
        admin::create_invite,
        admin::delete_invite,
    ),
    components(schemas(maille_http::ErrorBody)),
    tags((name = "accounts", description = "Sign-up, login, sessions, my account"),
         (name = "admin", description = "Administration of the instance"))
)]
struct ApiDoc;
