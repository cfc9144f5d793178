//! Administration: users (search, approve, disable, promote), the registration mode, invites.

use actix_web::{delete, get, patch, post, web, HttpResponse};
use diesel::prelude::*;
use maille_config::RegistrationMode;
use maille_database::schema::{invites, users};
use maille_database::UnixTime;
use maille_mail::Email;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{AccountsError, Result};
use crate::sessions::{self, AdminUser};
use crate::users::{self as accounts_users, Me, Role, UserId, UserRow};
use crate::{instance, secret_token, Accounts};

const PER_PAGE: i64 = 50;

/// A user as an admin sees them.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminUserView {
    /// The account.
    #[serde(flatten)]
    pub user: Me,
    /// Address confirmed.
    pub email_verified: bool,
    /// Approved by an admin.
    pub approved: bool,
    /// Disabled by an admin.
    pub disabled: bool,
    /// Last login.
    pub last_login_at: Option<UnixTime>,
    /// Why they asked to join.
    pub reason: String,
}

impl From<&UserRow> for AdminUserView {
    fn from(u: &UserRow) -> Self {
        AdminUserView {
            user: Me::from(u),
            email_verified: u.email_verified,
            approved: u.approved,
            disabled: u.disabled,
            last_login_at: u.last_login_at,
            reason: u.registration_reason.clone(),
        }
    }
}

/// Search and filters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UserQuery {
    /// Part of a username, name or address.
    pub q: Option<String>,
    /// `all`, `pending`, `disabled` or `admins`.
    pub status: Option<String>,
    /// Page, from 1.
    pub page: Option<i64>,
}

/// A page of users.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserPage {
    /// The users.
    pub users: Vec<AdminUserView>,
    /// How many match.
    pub total: i64,
    /// This page.
    pub page: i64,
    /// Page size.
    pub per_page: i64,
}

/// Lists and searches users.
#[utoipa::path(get, path = "/api/admin/users", tag = "admin", params(UserQuery),
    responses((status = 200, body = UserPage), (status = 403, body = maille_http::ErrorBody)))]
#[get("/api/admin/users")]
pub async fn list_users(
    accounts: web::Data<Accounts>,
    _admin: AdminUser,
    query: web::Query<UserQuery>,
) -> Result<HttpResponse> {
    let query = query.into_inner();
    let page = query.page.unwrap_or(1).max(1);
    let status = query.status.unwrap_or_else(|| "all".to_owned());
    if !matches!(status.as_str(), "all" | "pending" | "disabled" | "admins") {
        return Err(AccountsError::invalid(
            "status",
            "use all, pending, disabled or admins",
        ));
    }
    let needle = query
        .q
        .unwrap_or_default()
        .trim()
        .to_lowercase()
        .replace(['%', '_', '\\'], "");
    let result = accounts
        .database()
        .run(move |conn| {
            let filtered = || {
                let mut q = users::table.into_boxed();
                if !needle.is_empty() {
                    let pattern = format!("%{needle}%");
                    q = q.filter(
                        users::username
                            .like(pattern.clone())
                            .or(users::email.like(pattern.clone()))
                            .or(users::display_name.like(pattern)),
                    );
                }
                match status.as_str() {
                    "pending" => q.filter(users::approved.eq(false)),
                    "disabled" => q.filter(users::disabled.eq(true)),
                    "admins" => q.filter(users::role.eq(Role::Admin.code())),
                    _ => q,
                }
            };
            let total: i64 = filtered().count().get_result(conn)?;
            let rows: Vec<UserRow> = filtered()
                .order(users::created_at.desc())
                .limit(PER_PAGE)
                .offset((page - 1) * PER_PAGE)
                .select(UserRow::as_select())
                .load(conn)?;
            Ok::<_, AccountsError>(UserPage {
                users: rows.iter().map(AdminUserView::from).collect(),
                total,
                page,
                per_page: PER_PAGE,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(result))
}

/// What an admin does to an account.
#[derive(Debug, Clone, Copy)]
pub enum AdminAction {
    /// Let a pending account in.
    Approve,
    /// Stop an account from logging in (and end its sessions).
    Disable,
    /// Undo a disable.
    Enable,
    /// Make an admin.
    Promote,
    /// Make a plain user.
    Demote,
}

/// Applies `action` to the account `id`; refuses to disable or demote the last active admin.
pub(crate) async fn apply(
    accounts: &Accounts,
    by: Option<UserId>,
    id: UserId,
    action: AdminAction,
) -> Result<UserRow> {
    let now = maille_database::now();
    let row = accounts
        .database()
        .transaction(move |conn| {
            let before = accounts_users::find(conn, id)?.ok_or(AccountsError::NotFound)?;
            let target = users::table.find(id.0);
            match action {
                AdminAction::Approve => {
                    diesel::update(target)
                        .set((users::approved.eq(true), users::updated_at.eq(now)))
                        .execute(conn)?;
                }
                AdminAction::Disable => {
                    if is_last_admin(conn, &before)? {
                        return Err(AccountsError::invalid(
                            "id",
                            "the last admin cannot be disabled",
                        ));
                    }
                    diesel::update(target)
                        .set((users::disabled.eq(true), users::updated_at.eq(now)))
                        .execute(conn)?;
                    sessions::close_all(conn, id)?;
                }
                AdminAction::Enable => {
                    diesel::update(target)
                        .set((users::disabled.eq(false), users::updated_at.eq(now)))
                        .execute(conn)?;
                }
                AdminAction::Promote => {
                    diesel::update(target)
                        .set((
                            users::role.eq(Role::Admin.code()),
                            users::updated_at.eq(now),
                        ))
                        .execute(conn)?;
                }
                AdminAction::Demote => {
                    if is_last_admin(conn, &before)? {
                        return Err(AccountsError::invalid(
                            "id",
                            "the last admin cannot be demoted",
                        ));
                    }
                    diesel::update(target)
                        .set((users::role.eq(Role::User.code()), users::updated_at.eq(now)))
                        .execute(conn)?;
                }
            }
            let after = accounts_users::find(conn, id)?.ok_or(AccountsError::NotFound)?;
            Ok::<_, AccountsError>((before, after))
        })
        .await?;
    let (before, after) = row;
    if matches!(action, AdminAction::Approve) && !before.approved {
        let settings = accounts.settings();
        accounts.send_later(
            after.email.clone(),
            after.language(settings.default_language),
            Email::AccountApproved {
                display_name: after.display_name.clone(),
                link: settings.link("/login"),
            },
        );
    }
    match by {
        Some(admin) => tracing::info!(%admin, user = %id, ?action, "admin action"),
        None => tracing::info!(user = %id, ?action, "admin action from the command line"),
    }
    Ok(after)
}

fn is_last_admin(conn: &mut maille_database::DbConnection, user: &UserRow) -> Result<bool> {
    let admins: i64 = users::table
        .filter(users::role.eq(Role::Admin.code()))
        .filter(users::disabled.eq(false))
        .count()
        .get_result(conn)?;
    Ok(user.role() == Role::Admin && !user.disabled && admins <= 1)
}

fn parse_id(raw: &str) -> Result<UserId> {
    raw.parse::<i64>()
        .map(UserId)
        .map_err(|_| AccountsError::NotFound)
}

/// What an admin does to an account: `approve`, `disable`, `enable`, `promote` or `demote`.
#[utoipa::path(post, path = "/api/admin/users/{id}/{action}", tag = "admin",
    params(("id" = String, Path, description = "the user's id"),
           ("action" = String, Path, description = "approve, disable (ends their sessions), enable, promote or demote")),
    responses((status = 200, body = AdminUserView), (status = 404, body = maille_http::ErrorBody),
              (status = 422, body = maille_http::ErrorBody)))]
#[post("/api/admin/users/{id}/{action}")]
pub async fn act_on_user(
    accounts: web::Data<Accounts>,
    admin: AdminUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (id, action) = path.into_inner();
    let action = match action.as_str() {
        "approve" => AdminAction::Approve,
        "disable" => AdminAction::Disable,
        "enable" => AdminAction::Enable,
        "promote" => AdminAction::Promote,
        "demote" => AdminAction::Demote,
        _ => return Err(AccountsError::NotFound),
    };
    let row = apply(&accounts, Some(admin.0.id), parse_id(&id)?, action).await?;
    Ok(HttpResponse::Ok().json(AdminUserView::from(&row)))
}

/// Instance settings an admin may change.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminSettings {
    /// `open`, `approval`, `invite` or `closed`.
    pub registration_mode: String,
}

/// The instance settings.
#[utoipa::path(get, path = "/api/admin/settings", tag = "admin", responses((status = 200, body = AdminSettings)))]
#[get("/api/admin/settings")]
pub async fn get_settings(
    accounts: web::Data<Accounts>,
    _admin: AdminUser,
) -> Result<HttpResponse> {
    let configured = accounts.settings().accounts.registration;
    let mode = accounts
        .database()
        .run(move |conn| instance::registration_mode(conn, configured))
        .await?;
    Ok(HttpResponse::Ok().json(AdminSettings {
        registration_mode: mode.code().to_owned(),
    }))
}

/// Changes the instance settings.
#[utoipa::path(patch, path = "/api/admin/settings", tag = "admin", request_body = AdminSettings,
    responses((status = 200, body = AdminSettings), (status = 422, body = maille_http::ErrorBody)))]
#[patch("/api/admin/settings")]
pub async fn update_settings(
    accounts: web::Data<Accounts>,
    admin: AdminUser,
    body: web::Json<AdminSettings>,
) -> Result<HttpResponse> {
    let mode = RegistrationMode::parse(&body.registration_mode).ok_or_else(|| {
        AccountsError::invalid("registration_mode", "use open, approval, invite or closed")
    })?;
    let now = maille_database::now();
    accounts
        .database()
        .transaction(move |conn| instance::set_registration_mode(conn, mode, now))
        .await?;
    tracing::info!(admin = %admin.0.id, mode = mode.code(), "registration mode changed");
    Ok(HttpResponse::Ok().json(AdminSettings {
        registration_mode: mode.code().to_owned(),
    }))
}

/// An invite code.
#[derive(Debug, Serialize, ToSchema)]
pub struct InviteView {
    /// The code.
    pub code: String,
    /// The sign-up link carrying it.
    pub link: String,
    /// Times used.
    pub uses: i32,
    /// Most uses allowed (none: unlimited).
    pub max_uses: Option<i32>,
    /// End of validity.
    pub expires_at: Option<UnixTime>,
    /// Creation time.
    pub created_at: UnixTime,
}

/// A new invite code.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInvite {
    /// Most uses (default 1; 0 for unlimited).
    pub max_uses: Option<i32>,
    /// Days of validity (default 7; 0 for no end).
    pub expires_in_days: Option<i64>,
}

type InviteRow = (String, i32, Option<i32>, Option<UnixTime>, UnixTime);

fn invite_view(accounts: &Accounts, row: InviteRow) -> InviteView {
    let (code, uses, max_uses, expires_at, created_at) = row;
    InviteView {
        link: accounts.settings().link(&format!("/signup?invite={code}")),
        code,
        uses,
        max_uses,
        expires_at,
        created_at,
    }
}

/// The invite codes.
#[utoipa::path(get, path = "/api/admin/invites", tag = "admin", responses((status = 200, body = [InviteView])))]
#[get("/api/admin/invites")]
pub async fn list_invites(
    accounts: web::Data<Accounts>,
    _admin: AdminUser,
) -> Result<HttpResponse> {
    let rows: Vec<InviteRow> = accounts
        .database()
        .run(|conn| {
            Ok::<_, AccountsError>(
                invites::table
                    .order(invites::created_at.desc())
                    .select((
                        invites::code,
                        invites::uses,
                        invites::max_uses,
                        invites::expires_at,
                        invites::created_at,
                    ))
                    .load(conn)?,
            )
        })
        .await?;
    let list: Vec<InviteView> = rows
        .into_iter()
        .map(|r| invite_view(&accounts, r))
        .collect();
    Ok(HttpResponse::Ok().json(list))
}

/// Makes an invite code.
#[utoipa::path(post, path = "/api/admin/invites", tag = "admin", request_body = NewInvite,
    responses((status = 201, body = InviteView)))]
#[post("/api/admin/invites")]
pub async fn create_invite(
    accounts: web::Data<Accounts>,
    admin: AdminUser,
    body: web::Json<NewInvite>,
) -> Result<HttpResponse> {
    let max_uses = match body.max_uses.unwrap_or(1) {
        0 => None,
        n if (1..=10_000).contains(&n) => Some(n),
        _ => {
            return Err(AccountsError::invalid(
                "max_uses",
                "use 0 (unlimited) to 10000",
            ))
        }
    };
    let now = maille_database::now();
    let expires_at = match body.expires_in_days.unwrap_or(7) {
        0 => None,
        d if (1..=365).contains(&d) => Some(now + d * 86_400),
        _ => {
            return Err(AccountsError::invalid(
                "expires_in_days",
                "use 0 (no end) to 365",
            ))
        }
    };
    let code = secret_token::invite_code();
    let row: InviteRow = (code.clone(), 0, max_uses, expires_at, now);
    let creator = admin.0.id;
    accounts
        .database()
        .run(move |conn| {
            diesel::insert_into(invites::table)
                .values((
                    invites::code.eq(&code),
                    invites::created_by.eq(Some(creator.0)),
                    invites::max_uses.eq(max_uses),
                    invites::uses.eq(0),
                    invites::expires_at.eq(expires_at),
                    invites::created_at.eq(now),
                ))
                .execute(conn)?;
            Ok::<_, AccountsError>(())
        })
        .await?;
    Ok(HttpResponse::Created().json(invite_view(&accounts, row)))
}

/// Revokes an invite code.
#[utoipa::path(delete, path = "/api/admin/invites/{code}", tag = "admin",
    params(("code" = String, Path)), responses((status = 204), (status = 404, body = maille_http::ErrorBody)))]
#[delete("/api/admin/invites/{code}")]
pub async fn delete_invite(
    accounts: web::Data<Accounts>,
    _admin: AdminUser,
    code: web::Path<String>,
) -> Result<HttpResponse> {
    let code = code.into_inner();
    let deleted = accounts
        .database()
        .run(move |conn| {
            Ok::<_, AccountsError>(diesel::delete(invites::table.find(code)).execute(conn)?)
        })
        .await?;
    if deleted == 0 {
        return Err(AccountsError::NotFound);
    }
    Ok(HttpResponse::NoContent().finish())
}

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list_users)
        .service(act_on_user)
        .service(get_settings)
        .service(update_settings)
        .service(list_invites)
        .service(create_invite)
        .service(delete_invite);
}
