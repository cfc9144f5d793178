//! `/healthz`, `/metrics` and `/api/openapi.json`.

use std::sync::Arc;

use actix_web::{get, web, HttpRequest, HttpResponse};
use maille_accounts::{Accounts, AccountsMetrics};
use maille_database::Database;
use maille_http::{ClientAddress, Metrics};
use prometheus_client::metrics::gauge::Gauge;
use serde::Serialize;

use crate::startup::Service;

/// What the health and metrics routes need.
#[derive(Clone)]
pub struct Probe {
    pub db: Database,
    pub services: Vec<Service>,
    pub metrics: Metrics,
    pub accounts: Option<Accounts>,
    pub accounts_metrics: AccountsMetrics,
    pub spaces: Option<maille_spaces::Spaces>,
    pub spaces_metrics: maille_spaces::SpacesMetrics,
    pub pads: Option<maille_pads::Pads>,
    pub rooms: Option<maille_rooms::Rooms>,
    pub pool_connections: Gauge,
    pub pool_idle: Gauge,
    pub metrics_allowed: Arc<Vec<ipnet::IpNet>>,
    pub openapi: Arc<String>,
}

impl Probe {
    /// Registers the gauges.
    pub fn register(&self) {
        self.accounts_metrics.register(&self.metrics);
        self.spaces_metrics.register(&self.metrics);
        if let Some(pads) = &self.pads {
            pads.metrics().register(&self.metrics);
        }
        if let Some(rooms) = &self.rooms {
            rooms.metrics().register(&self.metrics);
        }
        self.metrics.register(
            "database_connections",
            "Open database connections",
            self.pool_connections.clone(),
        );
        self.metrics.register(
            "database_connections_idle",
            "Idle database connections",
            self.pool_idle.clone(),
        );
    }
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
    version: &'static str,
    database: &'static str,
    backend: &'static str,
    services: serde_json::Map<String, serde_json::Value>,
}

/// Whether the instance can serve: 200 when the database answers, 503 otherwise.
#[get("/healthz")]
async fn healthz(probe: web::Data<Probe>) -> HttpResponse {
    let reachable = probe.db.is_reachable().await;
    let mut services = serde_json::Map::new();
    for service in &probe.services {
        let state = if service.needs_database() && !reachable {
            "degraded"
        } else {
            "ok"
        };
        services.insert(service.name().to_owned(), state.into());
    }
    let health = Health {
        status: if reachable { "ok" } else { "unhealthy" },
        version: env!("CARGO_PKG_VERSION"),
        database: if reachable { "ok" } else { "unreachable" },
        backend: probe.db.backend().name(),
        services,
    };
    let mut response = if reachable {
        HttpResponse::Ok()
    } else {
        HttpResponse::ServiceUnavailable()
    };
    response
        .insert_header(("Cache-Control", "no-store"))
        .json(health)
}

/// Prometheus metrics, for the addresses allowed to read them.
#[get("/metrics")]
async fn metrics(req: HttpRequest, probe: web::Data<Probe>) -> HttpResponse {
    let allowed = ClientAddress::of(&req)
        .0
        .is_some_and(|a| probe.metrics_allowed.iter().any(|n| n.contains(&a)));
    if !allowed {
        return HttpResponse::NotFound().finish();
    }
    if let Some(accounts) = &probe.accounts {
        if let Err(error) = accounts.refresh_metrics(&probe.accounts_metrics).await {
            tracing::warn!(%error, "accounts metrics could not be refreshed");
        }
    }
    if let Some(spaces) = &probe.spaces {
        if let Err(error) = spaces.refresh_metrics(&probe.spaces_metrics).await {
            tracing::warn!(%error, "spaces metrics could not be refreshed");
        }
    }
    if let Some(pads) = &probe.pads {
        pads.refresh_metrics();
    }
    if let Some(rooms) = &probe.rooms {
        rooms.refresh_metrics();
    }
    let (open, idle) = probe.db.pool_state();
    probe.pool_connections.set(i64::from(open));
    probe.pool_idle.set(i64::from(idle));
    match probe.metrics.encode() {
        Ok(text) => HttpResponse::Ok()
            .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
            .body(text),
        Err(error) => {
            tracing::error!(%error, "metrics could not be encoded");
            HttpResponse::InternalServerError().finish()
        }
    }
}

/// The OpenAPI document of the services mounted.
#[get("/api/openapi.json")]
async fn openapi(probe: web::Data<Probe>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(probe.openapi.as_str().to_owned())
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(healthz).service(metrics).service(openapi);
}
