//! A shared screen that stops is unpublished: the others are told and lose the track; shared
//! again, it is published anew.

use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{create_room, spawn_app, PATIENCE};
use crate::peer::{is_from, Client, Options};

/// Sends from `sender` until `receiver` satisfies `done`; panics if it never does.
async fn send_until(
    sender: &mut Client,
    name: &str,
    receiver: &Client,
    done: impl Fn(&Client) -> bool,
) {
    let deadline = tokio::time::Instant::now() + PATIENCE * 2;
    while !done(receiver) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the media never arrived"
        );
        sender.send(name).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Whether a subscribe offer carries `participant`'s `source`.
fn offers(message: &Value, participant: &str, source: &str) -> bool {
    message["tracks"].as_array().is_some_and(|tracks| {
        tracks
            .iter()
            .any(|t| t["participant_id"] == participant && t["source"] == source)
    })
}

fn is_subscribe_offer(message: &Value) -> bool {
    message["type"] == "offer" && message["pc"] == "subscribe"
}

#[tokio::test]
async fn a_stopped_screen_share_is_unpublished_and_its_subscriptions_end() {
    let app = spawn_app().await;
    let room = create_room(&app.anonymous(), json!({"name": "Screens"})).await;
    let id = room["id"].as_str().unwrap();
    let options = Options {
        screen: true,
        ..Options::default()
    };
    let mut ada = Client::join(&app, id, "ada", options).await;
    let mut bob = Client::join(&app, id, "bob", Options::default()).await;
    let ada_id = ada.id.clone();

    send_until(&mut ada, "ada", &bob, |bob| {
        bob.count(|p| is_from(p, "ada", "screen")) >= 10
    })
    .await;
    bob.expect("an offer of ada's screen", |m| {
        is_subscribe_offer(m) && offers(m, &ada_id, "screen")
    })
    .await;

    // Ada stops sharing: her client turns the screen's transceiver inactive and offers again.
    // Bob is told, and his subscription to it ends: a subscribe offer no longer carries it
    // (its media section is inactive) but still carries her microphone. The two come in
    // either order.
    ada.share_screen(false).await;
    let (mut told, mut offer) = (false, None);
    while !told || offer.is_none() {
        let m = bob
            .expect("ada's screen off and an offer without it", |m| {
                m["type"] == "participant_updated" || is_subscribe_offer(m)
            })
            .await;
        if m["type"] == "participant_updated" && m["participant"]["id"] == ada_id {
            told |= m["participant"]["screen"] == false;
        } else if is_subscribe_offer(&m) && !offers(&m, &ada_id, "screen") {
            offer = Some(m);
        }
    }
    let offer = offer.unwrap();
    assert!(offers(&offer, &ada_id, "microphone"), "{offer}");
    // Her microphone carries on.
    let heard = bob.count(|p| is_from(p, "ada", "opus"));
    send_until(&mut ada, "ada", &bob, |bob| {
        bob.count(|p| is_from(p, "ada", "opus")) >= heard + 10
    })
    .await;

    // Shared again: published anew, and Bob gets it again.
    ada.share_screen(true).await;
    let seen = bob.count(|p| is_from(p, "ada", "screen"));
    send_until(&mut ada, "ada", &bob, |bob| {
        bob.count(|p| is_from(p, "ada", "screen")) >= seen + 10
    })
    .await;
    bob.expect("ada's screen on", |m| {
        m["type"] == "participant_updated"
            && m["participant"]["id"] == ada_id
            && m["participant"]["screen"] == true
    })
    .await;

    ada.leave().await;
    bob.leave().await;
}
