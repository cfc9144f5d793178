//! Announcing public work. Pads and rooms write a [`WorkEvent`] into the outbox in the
//! transaction of the change (`maille_database::outbox`); this consumer takes each event, in
//! order, and in one transaction queues its activities for delivery and deletes the event, so
//! that an event is announced exactly once even if the process dies.
//!
//! - a user's work: the user sends `Create` (published), `Update` (renamed) or `Delete`
//!   (withdrawn) of a `Note` to their followers;
//! - a space's work made by a member: the member is the Note's author (with the space as its
//!   `audience`) and sends the activity to their followers, and the space re-shares it to its
//!   own followers with an `Announce` that embeds it (FEP-1b12);
//! - a space's work whose author is gone: the space is the author.
//!
//! The Note's id is stable (`/ap/objects/{pad|room}/{public id}`), so that `Update` and
//! `Delete` name what `Create` published.

pub mod activities;

use std::time::Duration;

use maille_database::outbox::{self, WorkAction, WorkEvent, WorkKind, PUBLIC_WORK};
use maille_database::{DbConnection, UnixTime};
use url::Url;

use self::activities::Publisher;
use crate::actors::{ActorKind, LocalActor};
use crate::delivery;
use crate::error::{FederationError, Result};
use crate::follows;
use crate::{Context, Federation};

/// How many events one transaction takes.
const BATCH: i64 = 50;

/// Starts the consumer on the service's tasks: it drains the outbox when woken
/// (`Database::notify_outbox`) and every two seconds, until the service is cancelled.
pub(crate) fn start(federation: Federation) {
    let signal = federation.database().outbox_signal();
    let cancel = federation.cancel().clone();
    federation.tasks().clone().spawn(async move {
        loop {
            match drain(&federation).await {
                Ok(0) => {}
                Ok(queued) => {
                    tracing::debug!(queued, "federation: announcements queued");
                    federation.wake_delivery();
                }
                Err(error) => tracing::warn!(%error, "federation: announcing public work failed"),
            }
            tokio::select! {
                () = cancel.cancelled() => break,
                () = signal.notified() => {}
                () = tokio::time::sleep(Duration::from_secs(2)) => {}
            }
        }
    });
}

/// Takes every waiting event; returns how many deliveries were queued.
pub async fn drain(federation: &Federation) -> Result<usize> {
    let mut queued = 0;
    loop {
        let context = federation.context().clone();
        let (taken, rows) = federation
            .database()
            .transaction(move |conn| {
                let events = outbox::next(conn, PUBLIC_WORK, BATCH)?;
                let mut queued = 0;
                for event in &events {
                    // Another consumer (another process) took it first: skip it.
                    if !outbox::remove(conn, event.id)? {
                        continue;
                    }
                    let Some(work) = WorkEvent::parse(&event.payload) else {
                        tracing::warn!(
                            id = event.id,
                            "federation: unreadable outbox event dropped"
                        );
                        continue;
                    };
                    queued += announce(conn, &context, &work, maille_database::now())?;
                }
                Ok::<_, FederationError>((events.len(), queued))
            })
            .await?;
        queued += rows;
        if taken < usize::try_from(BATCH).unwrap_or(usize::MAX) {
            return Ok(queued);
        }
    }
}

/// The id of the Note that stands for a piece of work.
pub fn note_id(context: &Context, kind: WorkKind, public_id: &str) -> Result<Url> {
    let kind = match kind {
        WorkKind::Pad => "pad",
        WorkKind::Room => "room",
    };
    Url::parse(&format!(
        "{}/ap/objects/{kind}/{public_id}",
        context.urls.origin()
    ))
    .map_err(|e| FederationError::Internal(format!("note id: {e}")))
}

/// Queues the activities of one event in the caller's transaction; returns how many
/// deliveries. Nothing when federation is off, or when the owner is gone.
pub fn announce(
    conn: &mut DbConnection,
    context: &Context,
    event: &WorkEvent,
    now: UnixTime,
) -> Result<usize> {
    if !context.is_on() {
        return Ok(0);
    }
    let urls = &context.urls;
    let find = |conn: &mut DbConnection, kind, id: Option<i64>| match id {
        Some(id) => LocalActor::find_by_id(context, conn, kind, id, now),
        None => Ok(None),
    };
    let space = find(conn, ActorKind::Space, event.owner_space_id)?;
    let author = match (&space, event.owner_user_id) {
        (Some(_), _) => find(conn, ActorKind::User, event.author_user_id)?,
        (None, Some(user)) => find(conn, ActorKind::User, Some(user))?,
        (None, None) => None,
    };
    let Some(author) = author.or_else(|| space.clone()) else {
        tracing::info!(path = %event.path, "federation: public work of an owner that is gone, not announced");
        return Ok(0);
    };
    let audience = space.as_ref().filter(|s| s.kind != author.kind);
    let by = Publisher {
        actor: author.id(urls),
        followers: author.followers(urls),
        audience: audience.map(|s| s.id(urls)),
    };
    let link = Url::parse(&format!("{}{}", urls.origin(), event.path))
        .map_err(|e| FederationError::Internal(format!("work link: {e}")))?;
    let note_id = note_id(context, event.kind, &event.public_id)?;
    let activity = match event.action {
        WorkAction::Published | WorkAction::Updated => {
            let note = activities::note(event, &note_id, &link, &by, now);
            let kind = if event.action == WorkAction::Published {
                "Create"
            } else {
                "Update"
            };
            activities::create_or_update(kind, &urls.new_activity(), note, &by, now)
        }
        WorkAction::Withdrawn => activities::delete(&urls.new_activity(), &note_id, &by, now),
    };
    let inboxes = follows::follower_inboxes(conn, (author.kind, author.local_id))?;
    let mut queued = delivery::enqueue(
        conn,
        context,
        (author.kind, author.local_id),
        &activity,
        &inboxes,
        now,
    )?;
    if let Some(space) = audience {
        let announce = activities::announce(
            &urls.new_activity(),
            &space.id(urls),
            &space.followers(urls),
            activity,
            now,
        );
        let inboxes = follows::follower_inboxes(conn, (space.kind, space.local_id))?;
        queued += delivery::enqueue(
            conn,
            context,
            (space.kind, space.local_id),
            &announce,
            &inboxes,
            now,
        )?;
    }
    tracing::info!(path = %event.path, action = ?event.action, queued, "federation: public work announced");
    Ok(queued)
}
