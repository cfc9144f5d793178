//! The admin's REST API for who may federate: `/api/admin/federation/...`.

use actix_web::{delete, get, put, web, HttpResponse};
use maille_accounts::AdminUser;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{DomainPolicy, DomainPolicyRow};
use crate::delivery::instances::{self, InstanceView};
use crate::error::Result;
use crate::Federation;

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list_domains)
        .service(set_domain)
        .service(remove_domain)
        .service(list_instances);
}

/// The mode and the domain policies.
#[derive(Debug, Serialize, ToSchema)]
pub struct DomainsView {
    /// `open`, `allowlist` or `off` (from the configuration).
    pub mode: String,
    /// Whether unsigned fetches are refused.
    pub signed_fetch_required: bool,
    /// Blocked and allowed domains.
    pub domains: Vec<DomainPolicyRow>,
}

/// A domain's policy.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetDomain {
    /// `block` or `allow`.
    pub policy: DomainPolicy,
    /// Why (shown to admins only).
    #[serde(default)]
    pub reason: String,
}

#[utoipa::path(get, path = "/api/admin/federation/domains", tag = "federation",
    responses((status = 200, body = DomainsView), (status = 401, body = maille_http::ErrorBody),
              (status = 403, body = maille_http::ErrorBody)))]
#[get("/api/admin/federation/domains")]
pub async fn list_domains(
    federation: web::Data<Federation>,
    _admin: AdminUser,
) -> Result<HttpResponse> {
    let domains = federation.database().run(super::list).await?;
    let settings = &federation.settings().federation;
    Ok(HttpResponse::Ok().json(DomainsView {
        mode: settings.mode.code().to_owned(),
        signed_fetch_required: settings.signed_fetch_required,
        domains,
    }))
}

#[utoipa::path(put, path = "/api/admin/federation/domains/{domain}", tag = "federation",
    params(("domain" = String, Path, description = "host or host:port; covers its subdomains")),
    request_body = SetDomain,
    responses((status = 204), (status = 403, body = maille_http::ErrorBody),
              (status = 422, body = maille_http::ErrorBody)))]
#[put("/api/admin/federation/domains/{domain}")]
pub async fn set_domain(
    federation: web::Data<Federation>,
    admin: AdminUser,
    path: web::Path<String>,
    body: web::Json<SetDomain>,
) -> Result<HttpResponse> {
    let domain = path.into_inner();
    let body = body.into_inner();
    let (d, policy, reason) = (domain.clone(), body.policy, body.reason.clone());
    federation
        .database()
        .transaction(move |conn| super::set(conn, &d, policy, &reason, maille_database::now()))
        .await?;
    federation
        .context()
        .policy
        .reload(federation.database())
        .await?;
    tracing::info!(domain, policy = policy.code(), admin = %admin.0.username, "federation: domain policy set");
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(delete, path = "/api/admin/federation/domains/{domain}", tag = "federation",
    params(("domain" = String, Path, description = "host or host:port")),
    responses((status = 204), (status = 403, body = maille_http::ErrorBody),
              (status = 404, body = maille_http::ErrorBody)))]
#[delete("/api/admin/federation/domains/{domain}")]
pub async fn remove_domain(
    federation: web::Data<Federation>,
    admin: AdminUser,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let domain = path.into_inner();
    let d = domain.clone();
    let removed = federation
        .database()
        .transaction(move |conn| super::remove(conn, &d, None))
        .await?;
    if !removed {
        return Err(crate::FederationError::NotFound);
    }
    federation
        .context()
        .policy
        .reload(federation.database())
        .await?;
    tracing::info!(domain, admin = %admin.0.username, "federation: domain policy removed");
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(get, path = "/api/admin/federation/instances", tag = "federation",
    responses((status = 200, body = [InstanceView]), (status = 403, body = maille_http::ErrorBody)))]
#[get("/api/admin/federation/instances")]
pub async fn list_instances(
    federation: web::Data<Federation>,
    _admin: AdminUser,
) -> Result<HttpResponse> {
    let list = federation.database().run(instances::list).await?;
    Ok(HttpResponse::Ok().json(list))
}
