//! The dispatcher and the per-instance workers. Their writes go through
//! [`maille_database::Database::transaction`] (on SQLite, one writer at a time): a write
//! outside it could land between the read and the write of another transaction, which SQLite
//! then refuses ("database is locked") instead of waiting.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Semaphore;

use super::send::{send, Outcome};
use super::{instances, DeliveryRow};
use crate::actors::{ActorKind, LocalActor, SigningActor};
use crate::error::Result;
use crate::Federation;

/// How often the dispatcher looks at the queue when nothing wakes it.
const POLL: Duration = Duration::from_secs(2);
/// Rows a worker reads at a time.
const BATCH: i64 = 50;

/// Starts the dispatcher on the service's tracked tasks.
pub(crate) fn start(federation: Federation) {
    let tasks = federation.tasks().clone();
    tasks.spawn(dispatch(federation));
}

async fn dispatch(federation: Federation) {
    let active: Arc<Mutex<HashSet<String>>> = Arc::default();
    let permits = Arc::new(Semaphore::new(
        federation.settings().federation.delivery_concurrency.max(1),
    ));
    let cancel = federation.cancel().clone();
    let wake = federation.context().wake.clone();
    loop {
        match due(&federation).await {
            Ok(domains) => {
                for domain in domains {
                    let fresh = active
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .insert(domain.clone());
                    if fresh {
                        let federation2 = federation.clone();
                        let active = active.clone();
                        let permits = permits.clone();
                        federation.tasks().spawn(async move {
                            if let Ok(_permit) = permits.acquire_owned().await {
                                if let Err(error) = work(&federation2, &domain).await {
                                    tracing::warn!(%error, domain, "federation: delivery worker failed");
                                }
                            }
                            active
                                .lock()
                                .unwrap_or_else(std::sync::PoisonError::into_inner)
                                .remove(&domain);
                            federation2.context().wake.notify_one();
                        });
                    }
                }
            }
            Err(error) => tracing::warn!(%error, "federation: cannot read the delivery queue"),
        }
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = wake.notified() => {}
            _ = tokio::time::sleep(POLL) => {}
        }
    }
}

/// Instances with rows waiting whose next attempt is due.
async fn due(federation: &Federation) -> Result<Vec<String>> {
    federation
        .database()
        .run(|conn| {
            let now = maille_database::now();
            let waiting: HashSet<String> = instances::waiting(conn, now)?.into_iter().collect();
            Ok(super::domains_waiting(conn)?
                .into_iter()
                .filter(|d| !waiting.contains(d))
                .collect())
        })
        .await
}

/// Delivers `domain`'s rows in order until none is left, one fails, or the service stops.
async fn work(federation: &Federation, domain: &str) -> Result<()> {
    let data = federation.data();
    let context = federation.context().clone();
    let settings = federation.settings().federation.clone();
    let mut signers: HashMap<(String, i64), Option<SigningActor>> = HashMap::new();
    let mut delivered_any = false;
    loop {
        let d = domain.to_owned();
        let rows: Vec<DeliveryRow> = federation
            .database()
            .run(move |conn| super::next_of(conn, &d, BATCH))
            .await?;
        if rows.is_empty() {
            break;
        }
        for row in rows {
            if federation.cancel().is_cancelled() {
                return Ok(());
            }
            let id = row.id;
            if let Some(reason) = context.policy.refusal(context.settings(), domain) {
                tracing::info!(domain, activity = %row.activity_id, reason = %reason,
                    "federation: queued delivery dropped");
                federation
                    .database()
                    .transaction(move |conn| super::done(conn, id))
                    .await?;
                continue;
            }
            let key = (row.actor_kind.clone(), row.actor_local_id);
            if !signers.contains_key(&key) {
                let signer = signer_of(federation, &row).await?;
                signers.insert(key.clone(), signer);
            }
            let Some(signer) = signers.get(&key).cloned().flatten() else {
                tracing::info!(domain, activity = %row.activity_id,
                    "federation: queued delivery dropped, its actor is gone");
                federation
                    .database()
                    .transaction(move |conn| super::done(conn, id))
                    .await?;
                continue;
            };
            match send(&row, &signer, &data).await {
                Outcome::Delivered => {
                    delivered_any = true;
                    federation
                        .database()
                        .transaction(move |conn| super::done(conn, id))
                        .await?;
                }
                Outcome::Refused(reason) => {
                    tracing::info!(domain, inbox = %row.inbox, activity = %row.activity_id,
                        reason = %reason, "federation: queued delivery dropped");
                    federation
                        .database()
                        .transaction(move |conn| super::done(conn, id))
                        .await?;
                }
                Outcome::Failed(error) => {
                    let d = domain.to_owned();
                    let settings = settings.clone();
                    let e = error.clone();
                    let state = federation
                        .database()
                        .transaction(move |conn| {
                            let now = maille_database::now();
                            super::failed(conn, id, &e)?;
                            let state = instances::failed(conn, &d, &e, &settings, now)?;
                            let dropped = if state.state == "dead" {
                                let before = now - i64::from(settings.delivery_retry_days) * 86_400;
                                super::drop_older(conn, &d, before)?
                            } else {
                                0
                            };
                            Ok::<_, crate::FederationError>((state, dropped))
                        })
                        .await?;
                    tracing::warn!(domain, activity = %row.activity_id, %error,
                        state = %state.0.state, failures = state.0.failures,
                        retry_in_seconds = state.0.next_attempt_at - maille_database::now(),
                        dropped = state.1, "federation: delivery failed");
                    return Ok(());
                }
            }
        }
    }
    if delivered_any {
        let d = domain.to_owned();
        federation
            .database()
            .transaction(move |conn| instances::succeeded(conn, &d, maille_database::now()))
            .await?;
    }
    Ok(())
}

async fn signer_of(federation: &Federation, row: &DeliveryRow) -> Result<Option<SigningActor>> {
    let Some(kind) = ActorKind::parse(&row.actor_kind) else {
        return Ok(None);
    };
    let local_id = row.actor_local_id;
    let context = federation.context().clone();
    federation
        .database()
        .run(move |conn| {
            Ok(
                LocalActor::find_by_id(&context, conn, kind, local_id, maille_database::now())?
                    .map(|a| a.signing_actor(&context.urls)),
            )
        })
        .await
}
