//! One WebSocket connection to a pad: access is decided at connect, then the connection
//! decodes what the client sends (closing itself on garbage or flooding) and passes it to the
//! pad's room, and writes what the room sends back, with keep-alive pings.

use std::time::{Duration, Instant};

use actix_web::{get, web, HttpRequest, HttpResponse};
use actix_ws::{AggregatedMessage, CloseCode, CloseReason, ProtocolError, Session};
use futures_util::StreamExt as _;
use maille_accounts::Accounts;
use maille_http::TokenBucket;
use serde::Deserialize;

use super::protocol;
use super::room::{Command, Outgoing};
use super::Joined;
use crate::pad::{Access, PadId};
use crate::Pads;

/// The WebSocket's query parameters.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ConnectQuery {
    /// A session token, for clients that cannot send the cookie.
    pub token: Option<String>,
    /// `1` to receive acknowledgements of stored updates.
    pub acks: Option<String>,
}

/// The logged-in user making a WebSocket request: by the `token` parameter, or by the session
/// cookie when the request comes from this instance's own pages (or from no page at all).
async fn who(
    pads: &Pads,
    req: &HttpRequest,
    token: Option<String>,
) -> Option<crate::pad::SignedIn> {
    let accounts: &Accounts = pads.accounts();
    let own_origin = pads.settings().public_origin();
    let same_site = req
        .headers()
        .get("origin")
        .and_then(|o| o.to_str().ok())
        .is_none_or(|origin| origin == own_origin);
    let token = token.filter(|t| !t.is_empty()).or_else(|| {
        same_site
            .then(|| maille_accounts::sessions::extract_token(req, accounts))
            .flatten()
    })?;
    let settings = pads.settings_arc();
    let now = maille_database::now();
    let found = accounts
        .database()
        .run(move |conn| maille_accounts::sessions::resume(conn, &settings, &token, now))
        .await;
    match found {
        Ok(found) => found.map(|(_, user)| crate::pad::SignedIn {
            id: user.user_id(),
            remote: user.is_remote(),
        }),
        Err(error) => {
            tracing::warn!(%error, "a pad connection's session could not be checked");
            None
        }
    }
}

/// The live document of a pad, over y-websocket (see `docs/protocols/pads.md`).
#[get("/ws/pads/{id}")]
pub async fn route(
    pads: web::Data<Pads>,
    req: HttpRequest,
    body: web::Payload,
    path: web::Path<String>,
    query: web::Query<ConnectQuery>,
) -> actix_web::Result<HttpResponse> {
    let query = query.into_inner();
    let acks = query.acks.as_deref() == Some("1");
    let user = who(&pads, &req, query.token).await;
    let opened = match PadId::parse(&path) {
        Some(id) => {
            let spaces = pads.spaces().clone();
            let now = maille_database::now();
            pads.database()
                .run(move |conn| crate::pad::open(conn, &spaces, &id, user, now, false))
                .await
        }
        None => Ok(None),
    };
    let (response, session, stream) = actix_ws::handle(&req, body)?;
    let settings = pads.live().settings();
    let stream = stream
        .max_frame_size(settings.max_message_bytes)
        .aggregate_continuations()
        .max_continuation_size(settings.max_message_bytes);
    let live = pads.live().clone();
    match opened {
        Ok(Some(opened)) => {
            let pad = opened.row.pad_id();
            let history = opened.row.history;
            let access = opened.access;
            pads.tasks().spawn_local(async move {
                match live.join(&pad, history, access, acks).await {
                    Ok(joined) => serve(live, pad, access, joined, session, stream).await,
                    Err(reason) => {
                        tracing::warn!(pad = %pad.log_tag(), %reason, "a pad connection could not join");
                        close(session, 1011, &reason).await;
                    }
                }
            });
        }
        Ok(None) => {
            pads.tasks()
                .spawn_local(deny(session, "no such pad, or you may not open it"));
        }
        Err(error) => {
            tracing::error!(%error, "a pad connection could not be checked");
            pads.tasks()
                .spawn_local(async move { close(session, 1011, "try again later").await });
        }
    }
    Ok(response)
}

async fn deny(mut session: Session, reason: &'static str) {
    if session
        .binary(protocol::permission_denied(reason))
        .await
        .is_ok()
    {
        close(session, 4403, reason).await;
    }
}

async fn close(session: Session, code: u16, reason: &str) {
    let _ = session
        .close(Some(CloseReason {
            code: CloseCode::from(code),
            description: Some(reason.to_owned()),
        }))
        .await;
}

async fn serve(
    live: super::Live,
    pad: PadId,
    access: Access,
    joined: Joined,
    mut session: Session,
    mut stream: actix_ws::AggregatedMessageStream,
) {
    let Joined {
        id,
        commands,
        mut outbox,
    } = joined;
    let tag = pad.log_tag();
    live.metrics().connections.inc();
    let settings = live.settings();
    let interval = Duration::from_secs(settings.ping_interval_seconds.max(1));
    let mut pings = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    let mut bucket = TokenBucket::per_second(
        settings.updates_per_second,
        settings.update_burst,
        Instant::now(),
    );
    // Every other message (awareness, mostly: carets moving) is relayed to everyone too, so
    // it is limited as well, more generously.
    let mut other_bucket = TokenBucket::per_second(
        settings.updates_per_second.saturating_mul(5),
        settings.update_burst.saturating_mul(5),
        Instant::now(),
    );
    let mut heard = Instant::now();
    tracing::debug!(pad = %tag, conn = id, ?access, "pad connection opened");
    let closing: Option<(u16, String)> = loop {
        tokio::select! {
            incoming = stream.next() => {
                let message = match incoming {
                    None | Some(Ok(AggregatedMessage::Close(_))) => break None,
                    Some(Ok(message)) => message,
                    Some(Err(ProtocolError::Overflow)) => {
                        tracing::info!(pad = %tag, conn = id, "pad message too big; connection closed");
                        break Some((1009, "message too big".into()));
                    }
                    Some(Err(error)) => {
                        tracing::info!(pad = %tag, conn = id, %error, "pad connection protocol error");
                        let code = if error.to_string().contains("maximum") { 1009 } else { 1002 };
                        break Some((code, "protocol error".into()));
                    }
                };
                heard = Instant::now();
                match message {
                    AggregatedMessage::Binary(bytes) => {
                        let decoded = match protocol::decode(&bytes) {
                            Ok(decoded) => decoded,
                            Err(error) => {
                                tracing::info!(pad = %tag, conn = id, %error, "malformed pad message; connection closed");
                                break Some((1003, format!("malformed message: {error}")));
                            }
                        };
                        let allowed = if decoded.update().is_some() {
                            bucket.take(Instant::now())
                        } else {
                            other_bucket.take(Instant::now())
                        };
                        if !allowed {
                            tracing::info!(pad = %tag, conn = id, "too many pad messages; connection closed");
                            break Some((1008, "too many updates".into()));
                        }
                        if commands.send(Command::Message(id, decoded)).await.is_err() {
                            break Some((1012, "the pad was unloaded; reconnect".into()));
                        }
                    }
                    AggregatedMessage::Ping(bytes) => {
                        if session.pong(&bytes).await.is_err() {
                            break None;
                        }
                    }
                    AggregatedMessage::Pong(_) => {}
                    AggregatedMessage::Text(_) => {
                        tracing::info!(pad = %tag, conn = id, "text message on a pad connection; closed");
                        break Some((1003, "binary messages only".into()));
                    }
                    AggregatedMessage::Close(_) => break None,
                }
            }
            outgoing = outbox.recv() => match outgoing {
                Some(Outgoing::Message(bytes)) => {
                    if session.binary(bytes).await.is_err() {
                        break None;
                    }
                }
                Some(Outgoing::Close(code, reason)) => break Some((code, reason)),
                None => break Some((1012, "the pad was unloaded; reconnect".into())),
            },
            _ = pings.tick() => {
                if heard.elapsed() > interval * 3 {
                    tracing::debug!(pad = %tag, conn = id, "pad connection silent; closed");
                    break Some((1001, "no answer to pings".into()));
                }
                if session.ping(b"").await.is_err() {
                    break None;
                }
            }
            _ = live.cancelled().cancelled() => break Some((1001, "the server is stopping".into())),
        }
    };
    let _ = commands.send(Command::Leave(id)).await;
    live.metrics().connections.dec();
    if let Some((1002 | 1003 | 1007 | 1008 | 1009, _)) = closing {
        live.metrics().connections_refused.inc();
    }
    match closing {
        Some((code, reason)) => close(session, code, &reason).await,
        None => {
            let _ = session.close(None).await;
        }
    }
    tracing::debug!(pad = %tag, conn = id, "pad connection closed");
}
