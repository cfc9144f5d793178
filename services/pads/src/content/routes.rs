//! Export and import of a pad's content.

use actix_web::http::header;
use actix_web::{get, post, web, HttpResponse};
use maille_accounts::OptionalUser;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::{parse_html, parse_markdown, parse_text, read, render, Format};
use crate::error::{PadsError, Result};
use crate::pad::routes::{open, open_to_edit};
use crate::Pads;

/// The export wanted.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// `text`, `markdown`, `html` or `odt`.
    pub format: Format,
}

/// A file name for `title` with `extension`: letters, digits, `-` and `_` only.
fn file_name(title: &str, extension: &str) -> String {
    let base: String = title
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let base = base.trim_matches('-');
    let base = if base.is_empty() { "pad" } else { base };
    format!("{base}.{extension}")
}

/// The pad's content as plain text, Markdown, HTML or OpenDocument text (anyone who may
/// read it).
#[utoipa::path(get, path = "/api/pads/{id}/export", tag = "pads", params(
        ("id" = String, Path, description = "the pad's edit id or read id"), ExportQuery),
    responses((status = 200, description = "the file", content_type = "text/plain"),
              (status = 404, body = maille_http::ErrorBody)))]
#[get("/api/pads/{id}/export")]
pub async fn export(
    pads: web::Data<Pads>,
    user: OptionalUser,
    path: web::Path<String>,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse> {
    let opened = open(&pads, &path, user.0.as_ref(), false).await?;
    let format = query.format;
    let pad = opened.row.id.clone();
    let history = opened.row.history;
    let title = opened.row.title.clone();
    let body: Vec<u8> = pads
        .database()
        .run(move |conn| {
            let document = crate::live::stored_document(conn, &pad, history)?;
            let nodes = read(document.doc());
            match format {
                Format::Odt => super::odt::odt(&nodes, &title)
                    .map_err(|e| PadsError::Internal(format!("writing an OpenDocument file: {e}"))),
                _ => Ok::<_, PadsError>(render(&nodes, format).into_bytes()),
            }
        })
        .await?;
    let name = file_name(&opened.row.title, format.extension());
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, format.media_type()))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .body(body))
}

/// A format that can be imported.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ImportFormat {
    /// Plain text: one paragraph per line.
    Text,
    /// Markdown.
    Markdown,
    /// HTML: only what the editor knows is kept (no scripts, styles or attributes).
    Html,
}

/// Content to import.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Import {
    /// Its format.
    pub format: ImportFormat,
    /// The content.
    pub content: String,
}

/// Replaces the pad's content with the imported one, as one edit everyone connected sees
/// (anyone who may edit it; the previous content stays in the history).
#[utoipa::path(post, path = "/api/pads/{id}/import", tag = "pads", request_body = Import,
    params(("id" = String, Path, description = "the pad's edit id")),
    responses((status = 204), (status = 403, body = maille_http::ErrorBody),
              (status = 404, body = maille_http::ErrorBody)))]
#[post("/api/pads/{id}/import")]
pub async fn import(
    pads: web::Data<Pads>,
    user: OptionalUser,
    path: web::Path<String>,
    body: web::Json<Import>,
) -> Result<HttpResponse> {
    let opened = open_to_edit(&pads, &path, user.0.as_ref()).await?;
    let body = body.into_inner();
    let nodes = match body.format {
        ImportFormat::Text => parse_text(&body.content),
        ImportFormat::Markdown => parse_markdown(&body.content),
        ImportFormat::Html => parse_html(&body.content),
    };
    let pad = opened.row.pad_id();
    crate::history::routes::save_current(&pads, &opened.row, "before import", user.0.map(|u| u.id))
        .await?;
    pads.live().replace(&pad, opened.row.history, nodes).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(export).service(import);
}
