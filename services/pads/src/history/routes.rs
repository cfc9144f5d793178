//! The history panel: list versions, save one, view one read-only, restore one.

use actix_web::{get, post, web, HttpResponse};
use maille_accounts::{OptionalUser, UserId};
use maille_database::UnixTime;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::VersionRow;
use crate::content::{read, render, Format};
use crate::error::{PadsError, Result};
use crate::pad::routes::{open, open_to_edit};
use crate::pad::PadRow;
use crate::Pads;

/// A version in the history panel.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VersionView {
    /// Id, as a string.
    pub id: String,
    /// Name (empty for automatic versions).
    pub name: String,
    /// Whether it was saved automatically.
    pub automatic: bool,
    /// Who saved it (null for automatic versions and gone accounts).
    pub created_by: Option<String>,
    /// When.
    pub created_at: UnixTime,
}

/// A version's content, to show read-only.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VersionContent {
    /// The version.
    pub version: VersionView,
    /// Its content as HTML.
    pub html: String,
    /// Its content as plain text.
    pub text: String,
}

async fn views(pads: &Pads, rows: Vec<VersionRow>) -> Result<Vec<VersionView>> {
    let ids: Vec<UserId> = rows
        .iter()
        .filter_map(|r| r.created_by)
        .map(UserId)
        .collect();
    let accounts = pads.accounts().clone();
    let names = pads
        .database()
        .run(move |conn| Ok::<_, PadsError>(accounts.users_blocking(conn, &ids)?))
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| VersionView {
            id: r.id.to_string(),
            name: r.name,
            automatic: r.automatic,
            created_by: r.created_by.and_then(|by| {
                names
                    .iter()
                    .find(|u| u.id.0 == by)
                    .map(|u| u.username.clone())
            }),
            created_at: r.created_at,
        })
        .collect())
}

/// Saves the pad's stored document as a version.
pub(crate) async fn save_current(
    pads: &Pads,
    pad: &PadRow,
    name: &str,
    by: Option<UserId>,
) -> Result<VersionRow> {
    let id = pad.id.clone();
    let history = pad.history;
    let name = name.to_owned();
    let keep = pads.settings().pads.automatic_versions_kept;
    let now = maille_database::now();
    pads.database()
        .transaction(move |conn| {
            let state = crate::live::stored_document(conn, &id, history)?
                .encode()
                .map_err(|e| PadsError::Internal(e.to_string()))?;
            super::save(conn, &id, &name, false, &state, by.map(|u| u.0), now, keep)
        })
        .await
}

fn version_id(text: &str) -> Result<i64> {
    text.parse().map_err(|_| PadsError::NotFound)
}

/// The pad's versions, newest first (anyone who may read it).
#[utoipa::path(get, path = "/api/pads/{id}/versions", tag = "pads",
    params(("id" = String, Path, description = "the pad's edit id or read id")),
    responses((status = 200, body = [VersionView]), (status = 404, body = maille_http::ErrorBody)))]
#[get("/api/pads/{id}/versions")]
pub async fn list_versions(
    pads: web::Data<Pads>,
    user: OptionalUser,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let opened = open(&pads, &path, user.0.as_ref(), false).await?;
    let id = opened.row.id.clone();
    let rows = pads
        .database()
        .run(move |conn| super::list(conn, &id))
        .await?;
    Ok(HttpResponse::Ok().json(views(&pads, rows).await?))
}

/// A version to save.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaveVersion {
    /// Its name: 1 to 100 characters.
    pub name: String,
}

/// Saves the pad as it is now as a named version (anyone who may edit it).
#[utoipa::path(post, path = "/api/pads/{id}/versions", tag = "pads", request_body = SaveVersion,
    params(("id" = String, Path, description = "the pad's edit id")),
    responses((status = 201, body = VersionView), (status = 403, body = maille_http::ErrorBody),
              (status = 404, body = maille_http::ErrorBody), (status = 422, body = maille_http::ErrorBody)))]
#[post("/api/pads/{id}/versions")]
pub async fn save_version(
    pads: web::Data<Pads>,
    user: OptionalUser,
    path: web::Path<String>,
    body: web::Json<SaveVersion>,
) -> Result<HttpResponse> {
    let name = body.into_inner().name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(PadsError::invalid("name", "1 to 100 characters"));
    }
    let by = user.0.as_ref().map(|u| u.id);
    let opened = open_to_edit(&pads, &path, user.0.as_ref()).await?;
    let row = save_current(&pads, &opened.row, &name, by).await?;
    let view = views(&pads, vec![row])
        .await?
        .pop()
        .ok_or_else(|| PadsError::Internal("a version went missing".into()))?;
    Ok(HttpResponse::Created().json(view))
}

async fn version(
    pads: &Pads,
    pad: &PadRow,
    version: i64,
) -> Result<(VersionRow, crate::live::Document)> {
    let id = pad.id.clone();
    let history = pad.history;
    pads.database()
        .run(move |conn| {
            let (row, state) = super::get(conn, &id, version)?.ok_or(PadsError::NotFound)?;
            Ok::<_, PadsError>((
                row,
                crate::live::Document::load(history, [state.as_slice()]),
            ))
        })
        .await
}

/// A version's content, read-only (anyone who may read the pad).
#[utoipa::path(get, path = "/api/pads/{id}/versions/{version}", tag = "pads",
    params(("id" = String, Path, description = "the pad's edit id or read id"),
           ("version" = String, Path, description = "the version's id")),
    responses((status = 200, body = VersionContent), (status = 404, body = maille_http::ErrorBody)))]
#[get("/api/pads/{id}/versions/{version}")]
pub async fn get_version(
    pads: web::Data<Pads>,
    user: OptionalUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (id, version_text) = path.into_inner();
    let opened = open(&pads, &id, user.0.as_ref(), false).await?;
    let (row, document) = version(&pads, &opened.row, version_id(&version_text)?).await?;
    let nodes = read(document.doc());
    let content = VersionContent {
        version: views(&pads, vec![row])
            .await?
            .pop()
            .ok_or_else(|| PadsError::Internal("a version went missing".into()))?,
        html: render(&nodes, Format::Html),
        text: render(&nodes, Format::Text),
    };
    Ok(HttpResponse::Ok().json(content))
}

/// Restores a version: the pad's content becomes the version's, as a new edit that everyone
/// connected sees (anyone who may edit it). The content replaced is saved as a version first.
#[utoipa::path(post, path = "/api/pads/{id}/versions/{version}/restore", tag = "pads",
    params(("id" = String, Path, description = "the pad's edit id"),
           ("version" = String, Path, description = "the version's id")),
    responses((status = 204), (status = 403, body = maille_http::ErrorBody),
              (status = 404, body = maille_http::ErrorBody)))]
#[post("/api/pads/{id}/versions/{version}/restore")]
pub async fn restore_version(
    pads: web::Data<Pads>,
    user: OptionalUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (id, version_text) = path.into_inner();
    let by = user.0.as_ref().map(|u| u.id);
    let opened = open_to_edit(&pads, &id, user.0.as_ref()).await?;
    let (_, document) = version(&pads, &opened.row, version_id(&version_text)?).await?;
    let nodes = read(document.doc());
    save_current(&pads, &opened.row, "before restore", by).await?;
    pads.live()
        .replace(&opened.row.pad_id(), opened.row.history, nodes)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list_versions)
        .service(save_version)
        .service(get_version)
        .service(restore_version);
}
