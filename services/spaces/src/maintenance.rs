//! Housekeeping and gauges.

use diesel::prelude::*;
use maille_database::schema::spaces;
use prometheus_client::metrics::gauge::Gauge;

use crate::error::{Result, SpacesError};
use crate::{invitations, Spaces};

/// The service's gauges, registered once in the instance's metrics.
#[derive(Debug, Clone, Default)]
pub struct SpacesMetrics {
    /// Spaces on the instance.
    pub spaces: Gauge,
}

impl SpacesMetrics {
    /// Registers the gauges.
    pub fn register(&self, metrics: &maille_http::Metrics) {
        metrics.register(
            "spaces_total",
            "Spaces on this instance",
            self.spaces.clone(),
        );
    }
}

pub(crate) async fn run(spaces: &Spaces) -> Result<usize> {
    let now = maille_database::now();
    let purged = spaces
        .database()
        .run(move |conn| invitations::purge_expired(conn, now))
        .await?;
    if purged > 0 {
        tracing::info!(invitations = purged, "expired space invitations deleted");
    }
    Ok(purged)
}

pub(crate) async fn refresh_metrics(spaces: &Spaces, metrics: &SpacesMetrics) -> Result<()> {
    let count = spaces
        .database()
        .run(|conn| Ok::<i64, SpacesError>(spaces::table.count().get_result(conn)?))
        .await?;
    metrics.spaces.set(count);
    Ok(())
}
