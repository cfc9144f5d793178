//! Maille's spaces service: an association's or team's shared home, with a handle, a name and
//! a description, members who are owners, moderators or members, and invitations by email or
//! by link.
//!
//! Other services (pads, rooms) that let a space own things ask this one who belongs to a space
//! and in which role, through [`Spaces`]; they never read its tables.

mod error;
mod invitations;
mod maintenance;
mod members;
mod personal_data;
mod role;
mod space;

use std::sync::Arc;

use actix_web::web;
use maille_accounts::{Accounts, UserId};
use maille_config::Settings;
use maille_database::{Database, DbConnection};

pub use error::{Result, SpacesError};
pub use invitations::routes::{CreateInvitation, InvitationPreview, InvitedSpace};
pub use invitations::{InvitationView, VALIDITY_DAYS as INVITATION_VALIDITY_DAYS};
pub use maintenance::SpacesMetrics;
pub use members::routes::ChangeRole;
pub use members::MemberView;
pub use personal_data::SpacesPersonalData;
pub use role::SpaceRole;
pub use space::routes::{CreateSpace, UpdateSpace};
pub use space::{Membership, SpaceId, SpaceInfo, SpaceView};

/// The spaces service: its state, shared by its routes, and the questions other services ask
/// about spaces. Cheap to clone.
#[derive(Clone)]
pub struct Spaces {
    inner: Arc<Inner>,
}

struct Inner {
    accounts: Accounts,
}

impl std::fmt::Debug for Spaces {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spaces").finish_non_exhaustive()
    }
}

impl Spaces {
    /// The service, over the accounts service's database, mailer and sessions.
    ///
    /// Register [`SpacesPersonalData`] with `accounts` too, so that exports include
    /// memberships and an account cannot be deleted while it is a space's only owner.
    pub fn new(accounts: Accounts) -> Spaces {
        Spaces {
            inner: Arc::new(Inner { accounts }),
        }
    }

    /// Mounts the service's routes (all under `/api/`). It also provides the accounts
    /// service's app data, which tells who is asking, so that it works when mounted without
    /// the accounts routes (`maille serve --only spaces`).
    pub fn configure(&self, cfg: &mut web::ServiceConfig) {
        cfg.app_data(web::Data::new(self.clone()));
        cfg.app_data(web::Data::new(self.accounts().clone()));
        space::routes::routes(cfg);
        members::routes::routes(cfg);
        invitations::routes::routes(cfg);
    }

    /// The service's part of the OpenAPI document.
    pub fn openapi() -> utoipa::openapi::OpenApi {
        use utoipa::OpenApi;
        ApiDoc::openapi()
    }

    /// The accounts service.
    pub fn accounts(&self) -> &Accounts {
        &self.inner.accounts
    }

    /// The database.
    pub fn database(&self) -> &Database {
        self.inner.accounts.database()
    }

    /// The configuration.
    pub fn settings(&self) -> &Settings {
        self.inner.accounts.settings()
    }

    /// The space called `handle` (any case), if it exists.
    pub async fn find_by_handle(&self, handle: &str) -> Result<Option<SpaceInfo>> {
        let handle = handle.to_owned();
        self.database()
            .run(move |conn| {
                Ok(space::find_by_handle(conn, &handle)?
                    .as_ref()
                    .map(SpaceInfo::from))
            })
            .await
    }

    /// [`Spaces::find_by_handle`] inside the caller's connection or transaction.
    pub fn find_by_handle_blocking(
        &self,
        conn: &mut DbConnection,
        handle: &str,
    ) -> Result<Option<SpaceInfo>> {
        Ok(space::find_by_handle(conn, handle)?
            .as_ref()
            .map(SpaceInfo::from))
    }

    /// [`Spaces::space`] inside the caller's connection or transaction.
    pub fn space_blocking(
        &self,
        conn: &mut DbConnection,
        id: SpaceId,
    ) -> Result<Option<SpaceInfo>> {
        Ok(space::find(conn, id)?.as_ref().map(SpaceInfo::from))
    }

    /// The space `id`, if it exists.
    pub async fn space(&self, id: SpaceId) -> Result<Option<SpaceInfo>> {
        self.database()
            .run(move |conn| Ok(space::find(conn, id)?.as_ref().map(SpaceInfo::from)))
            .await
    }

    /// `user`'s role in `space`, or `None` when they are not a member (or there is no such
    /// space). Only members may see a space or what it owns.
    pub async fn role_of(&self, space: SpaceId, user: UserId) -> Result<Option<SpaceRole>> {
        self.database()
            .run(move |conn| space::role_of(conn, space, user))
            .await
    }

    /// [`Spaces::role_of`] inside the caller's connection or transaction.
    pub fn role_of_blocking(
        &self,
        conn: &mut DbConnection,
        space: SpaceId,
        user: UserId,
    ) -> Result<Option<SpaceRole>> {
        space::role_of(conn, space, user)
    }

    /// The spaces `user` belongs to, with their role in each, by name.
    pub async fn spaces_of(&self, user: UserId) -> Result<Vec<Membership>> {
        self.database()
            .run(move |conn| {
                Ok(space::memberships(conn, user)?
                    .iter()
                    .map(|(row, role, joined_at)| Membership {
                        space: SpaceInfo::from(row),
                        role: *role,
                        joined_at: *joined_at,
                    })
                    .collect())
            })
            .await
    }

    /// The members of `space` and their roles, in no particular order (empty when there is no
    /// such space), for services that tell a space's members about something.
    pub async fn members_of(&self, space: SpaceId) -> Result<Vec<(UserId, SpaceRole)>> {
        self.database()
            .run(move |conn| {
                Ok(members::roles(conn, space)?
                    .into_iter()
                    .map(|(user, role, _)| (user, role))
                    .collect())
            })
            .await
    }

    /// Adds `user` to the space `handle` in `role` on behalf of `by` (an owner or moderator
    /// of it, who may invite into that role), inside the caller's transaction; someone
    /// already a member keeps their role. [`SpacesError::NotFound`] when `by` is not a member,
    /// [`SpacesError::Forbidden`] when they may not. For members who cannot take an
    /// invitation link first, such as people of other instances.
    pub fn add_member_blocking(
        &self,
        conn: &mut DbConnection,
        handle: &str,
        by: UserId,
        user: &maille_accounts::users::UserRow,
        role: SpaceRole,
        now: maille_database::UnixTime,
    ) -> Result<MemberView> {
        Ok(members::add(conn, handle, by, user, role, now)?.1)
    }

    /// Deletes invitations that have expired; returns how many. Run it now and then (daily is
    /// plenty).
    pub async fn maintenance(&self) -> Result<usize> {
        maintenance::run(self).await
    }

    /// Refreshes the service's gauges.
    pub async fn refresh_metrics(&self, metrics: &SpacesMetrics) -> Result<()> {
        maintenance::refresh_metrics(self, metrics).await
    }
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        space::routes::create_space,
        space::routes::list_my_spaces,
        space::routes::get_space,
        space::routes::update_space,
        space::routes::delete_space,
        members::routes::list_members,
        members::routes::change_role,
        members::routes::remove_member,
        members::routes::leave,
        invitations::routes::list_invitations,
        invitations::routes::create_invitation,
        invitations::routes::revoke_invitation,
        invitations::routes::preview_invitation,
        invitations::routes::accept_invitation,
    ),
    components(schemas(maille_http::ErrorBody, SpaceRole)),
    tags((name = "spaces", description = "Spaces, their members and invitations"))
)]
struct ApiDoc;
