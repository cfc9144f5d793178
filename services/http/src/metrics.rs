//! Prometheus metrics: requests by route and status, a latency histogram, and gauges that the
//! services register; plus one log line per request.

use std::sync::{Arc, RwLock};
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Metric, Registry};

use crate::ClientAddress;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

/// The instance's metrics registry. Cheap to clone.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<RwLock<Registry>>,
    requests: Family<RequestLabels, Counter>,
    durations: Family<RouteLabels, Histogram>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// A registry with the HTTP metrics.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("maille");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route and status",
            requests.clone(),
        );
        let durations = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0005, 2.0, 16))
        });
        registry.register(
            "http_request_duration_seconds",
            "Time to answer HTTP requests, by route",
            durations.clone(),
        );
        Metrics {
            registry: Arc::new(RwLock::new(registry)),
            requests,
            durations,
        }
    }

    /// Registers a service's metric (a gauge of users, of open pads, ...).
    pub fn register(&self, name: &str, help: &str, metric: impl Metric) {
        let mut registry = self
            .registry
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        registry.register(name, help, metric);
    }

    /// The metrics in Prometheus text format.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let registry = self
            .registry
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &registry)?;
        Ok(out)
    }

    fn record(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status,
            })
            .inc();
        self.durations
            .get_or_create(&RouteLabels {
                route: route.to_owned(),
            })
            .observe(seconds);
    }
}

/// Middleware recording each request in [`Metrics`] (from app data) and logging it.
#[derive(Debug)]
pub struct RequestMetrics;

impl RequestMetrics {
    /// `App::new().wrap(from_fn(RequestMetrics::middleware))`.
    pub async fn middleware(
        req: ServiceRequest,
        next: Next<impl MessageBody>,
    ) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
        let started = Instant::now();
        let method = req.method().to_string();
        let metrics = req.app_data::<web::Data<Metrics>>().cloned();
        let address = ClientAddress::record_of(req.request());
        let response = next.call(req).await?;
        // The route pattern, never the raw path: it keeps the label set small and keeps
        // tokens in URLs out of metrics and logs.
        let route = response
            .request()
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_owned());
        let status = response.status().as_u16();
        let elapsed = started.elapsed();
        if let Some(metrics) = metrics {
            metrics.record(&method, &route, status, elapsed.as_secs_f64());
        }
        tracing::info!(
            target: "maille::http",
            %method,
            %route,
            status,
            duration_ms = elapsed.as_secs_f64() * 1000.0,
            client = %address,
            "request"
        );
        Ok(response)
    }
}
