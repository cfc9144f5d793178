//! Participants whose media goes wrong are dropped with a reason, and the others carry on: a
//! participant that never completes ICE, and a panic in one participant's media.

use std::sync::Arc;
use std::time::Duration;

use maille_rooms::sfu::client::{self, ClientOptions};
use rtc::rtp_transceiver::rtp_sender::RtpCodecKind;
use serde_json::json;
use webrtc::media_stream::track_local::TrackLocal;

use crate::helpers::{create_room, spawn_app, App, PATIENCE};
use crate::peer::{is_from, Client, Options};

/// Sends from both until each has `more` new packets of the other's audio.
async fn both_hear_each_other(a: &mut (Client, &str), b: &mut (Client, &str), more: usize) {
    let heard = |c: &Client, other: &str| c.count(|p| is_from(p, other, "opus"));
    let (a_before, b_before) = (heard(&a.0, b.1), heard(&b.0, a.1));
    let deadline = tokio::time::Instant::now() + PATIENCE * 2;
    while heard(&a.0, b.1) < a_before + more || heard(&b.0, a.1) < b_before + more {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} and {} stopped hearing each other",
            a.1,
            b.1
        );
        a.0.send(a.1).await;
        b.0.send(b.1).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every peer connection of the test is freed once everyone left.
async fn all_freed(app: &App) {
    let sfu = app.rooms.meetings().sfu();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let live = sfu.live_peer_connections();
        let sessions = app.rooms.metrics().media_sessions.get();
        if live == 0 && sessions == 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{live} peer connections and {sessions} media sessions alive after everyone left"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `name` in the room, with nothing but a microphone, named for the messages of the helpers.
async fn joined(app: &App, room: &str, name: &'static str) -> (Client, &'static str) {
    (
        Client::join(app, room, name, Options::default()).await,
        name,
    )
}

#[tokio::test]
async fn a_participant_that_never_completes_ice_is_dropped_and_the_others_carry_on() {
    let app = spawn_app().await;
    // Long enough for the others' connections on a loaded machine, short for the test.
    app.rooms
        .meetings()
        .sfu()
        .set_ice_timeout(Duration::from_secs(3));
    let room = create_room(&app.anonymous(), json!({"name": "Stuck"})).await;
    let id = room["id"].as_str().unwrap();
    let mut ada = joined(&app, id, "ada").await;
    let mut cat = joined(&app, id, "cat").await;
    both_hear_each_other(&mut ada, &mut cat, 10).await;

    // Bob offers media but never takes the answer: ICE cannot complete.
    let (mut bob, joined) = app.join(id, "bob", None).await;
    let bob_id = joined["participant_id"].as_str().unwrap().to_owned();
    let (pc, handler) = client::connection(&ClientOptions::default(), None)
        .await
        .unwrap();
    let audio = client::local_track(
        "bob-stream".into(),
        "bob-audio".into(),
        RtpCodecKind::Audio,
        &client::opus(),
        &[(String::new(), 1234)],
    );
    pc.add_track(audio as Arc<dyn TrackLocal>).await.unwrap();
    let (sdp, mids) = client::publish_offer(pc.as_ref(), &handler).await.unwrap();
    bob.send(json!({"type": "offer", "pc": "publish", "sdp": sdp,
                    "tracks": [{"mid": mids[0].0, "source": "microphone"}]}))
        .await;
    bob.expect("answer").await;

    let (code, error) = bob.closed().await;
    assert_eq!(code, 1011);
    let error = error.expect("an error before the close");
    assert_eq!(error["code"], "failed", "{error}");
    assert!(
        error["message"].as_str().unwrap().contains("ICE"),
        "{error}"
    );
    for (client, _) in [&mut ada, &mut cat] {
        let left = client
            .expect("bob leaving", |m| {
                m["type"] == "participant_left" && m["participant_id"] == bob_id.as_str()
            })
            .await;
        assert_eq!(left["reason"], "failed", "{left}");
    }
    both_hear_each_other(&mut ada, &mut cat, 20).await;
    let _ = pc.close().await;
    ada.0.leave().await;
    cat.0.leave().await;
    all_freed(&app).await;
}

#[tokio::test]
async fn a_panic_in_one_participants_media_ends_that_participant_only() {
    let app = spawn_app().await;
    let room = create_room(&app.anonymous(), json!({"name": "Panic"})).await;
    let id = room["id"].as_str().unwrap();
    let mut ada = joined(&app, id, "ada").await;
    let mut bob = joined(&app, id, "bob").await;
    let mut cat = joined(&app, id, "cat").await;
    both_hear_each_other(&mut ada, &mut bob, 10).await;
    both_hear_each_other(&mut ada, &mut cat, 10).await;
    let bob_id = bob.0.id.clone();

    app.rooms.meetings().sfu().inject_fault(&bob_id);

    let error = bob.0.expect("bob's error", |m| m["type"] == "error").await;
    assert_eq!(error["code"], "failed", "{error}");
    let closed = bob
        .0
        .expect("bob's close", |m| m["type"] == "ws_closed")
        .await;
    assert_eq!(closed["code"], 1011, "{closed}");
    for (client, _) in [&mut ada, &mut cat] {
        let left = client
            .expect("bob leaving", |m| {
                m["type"] == "participant_left" && m["participant_id"] == bob_id.as_str()
            })
            .await;
        assert_eq!(left["reason"], "failed", "{left}");
    }
    both_hear_each_other(&mut ada, &mut cat, 20).await;
    bob.0.leave().await;
    ada.0.leave().await;
    cat.0.leave().await;
    // Bob's connections were closed after the panic like anyone's.
    all_freed(&app).await;
}
