//! The SFU between real peers built with the `webrtc` crate: packets arrive intact,
//! simulcast layers follow the size a subscriber shows, and closed connections are freed.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{create_room, spawn_app, PATIENCE};
use crate::peer::{is_from, Client, Options};

/// Sends from every client until `done` holds; panics if it never does.
pub async fn send_until(clients: &mut [(Client, &str)], done: impl Fn(&[(Client, &str)]) -> bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE * 2;
    while !done(clients) {
        if tokio::time::Instant::now() > deadline {
            for (c, name) in clients.iter_mut() {
                let mut messages = Vec::new();
                while let Ok(m) = c.messages.try_recv() {
                    messages.push(m["type"].to_string());
                }
                eprintln!(
                    "{name}: received {} packets; messages {messages:?}",
                    c.received.lock().unwrap().len()
                );
            }
            panic!("the media never arrived");
        }
        for (client, name) in clients.iter_mut() {
            client.send(name).await;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Whether every client received at least `n` Opus and `n` VP8 packets from each other one.
pub fn everyone_has_everyone_else(clients: &[(Client, &str)], n: usize) -> bool {
    clients.iter().all(|(c, me)| {
        clients
            .iter()
            .filter(|(_, other)| other != me)
            .all(|(_, other)| {
                c.count(|p| is_from(p, other, "opus")) >= n
                    && c.count(|p| is_from(p, other, "vp8")) >= n
            })
    })
}

#[tokio::test]
async fn three_participants_receive_each_others_opus_and_vp8_intact() {
    let app = spawn_app().await;
    let room = create_room(&app.anonymous(), json!({"name": "Three"})).await;
    let id = room["id"].as_str().unwrap();
    let names = ["ada", "bob", "cat"];
    let mut clients = Vec::new();
    for name in names {
        let options = Options {
            camera: true,
            ..Options::default()
        };
        clients.push((Client::join(&app, id, name, options).await, name));
    }
    send_until(&mut clients, |clients| {
        everyone_has_everyone_else(clients, 20)
    })
    .await;
    for (client, me) in &clients {
        let received = client.received.lock().unwrap().clone();
        for payload in &received {
            let text = String::from_utf8_lossy(payload);
            assert!(
                !text.contains(&format!(":{me}:")),
                "{me} received its own media"
            );
            // Every packet is byte for byte one that was sent.
            let tag = text.rsplit("opus:").next().unwrap();
            let intact = if text.starts_with("opus:") {
                let (name, seq) = tag.split_once(':').unwrap();
                Client::audio_payload(name, seq.parse().unwrap()) == *payload
            } else {
                let tag = text.rsplit("vp8:").next().unwrap();
                let mut parts = tag.split(':');
                let (name, rid, seq) = (
                    parts.next().unwrap(),
                    parts.next().unwrap(),
                    parts.next().unwrap(),
                );
                Client::video_payload(name, rid, seq.parse().unwrap()) == *payload
            };
            assert!(intact, "{me} received a damaged packet: {payload:?}");
        }
    }
    let metrics = app.rooms.metrics();
    assert!(
        metrics.packets_out.get() >= 6 * 40,
        "{}",
        metrics.packets_out.get()
    );
    for (client, _) in clients {
        client.leave().await;
    }
}

#[tokio::test]
async fn the_publish_answer_asks_for_nack_and_keyframes_without_rtx() {
    let app = spawn_app().await;
    let room = create_room(&app.anonymous(), json!({"name": "Repairs"})).await;
    let id = room["id"].as_str().unwrap();
    let options = Options {
        camera: true,
        simulcast: true,
        ..Options::default()
    };
    let client = Client::join(&app, id, "ada", options).await;
    // The client offered RTX (the crate's default codecs do); the server leaves it out, so
    // that lost packets come back on the layer's own stream, and keeps NACK and PLI.
    let answer = &client.answer;
    assert!(!answer.to_lowercase().contains("rtx/"), "{answer}");
    assert!(answer.contains(" nack\r\n"), "{answer}");
    assert!(answer.contains("nack pli"), "{answer}");
    assert!(answer.contains("VP8/90000"), "{answer}");
    client.leave().await;
}

#[tokio::test]
async fn a_subscriber_gets_the_simulcast_layer_that_fits_the_size_it_shows() {
    let app = spawn_app().await;
    let room = create_room(&app.anonymous(), json!({"name": "Layers"})).await;
    let id = room["id"].as_str().unwrap();
    let publisher = Client::join(
        &app,
        id,
        "pub",
        Options {
            camera: true,
            simulcast: true,
            ..Options::default()
        },
    )
    .await;
    let publisher_id = publisher.id.clone();
    let viewer = Client::join(&app, id, "viewer", Options::default()).await;
    let mut clients = vec![(publisher, "pub"), (viewer, "viewer")];
    let last_layer = |clients: &[(Client, &str)]| -> Option<String> {
        let received = clients[1].0.received.lock().unwrap();
        received.iter().rev().find_map(|p| {
            let text = String::from_utf8_lossy(p).to_string();
            let tag = text.split("vp8:pub:").nth(1)?;
            Some(tag.split(':').next()?.to_owned())
        })
    };
    // Shown small, then large, then small again: the layer follows (switching at keyframes,
    // every synthetic packet being one here).
    for (width, rid) in [(320, "q"), (1280, "f"), (640, "h"), (200, "q")] {
        clients[1]
            .0
            .signal(json!({"type": "video_size", "participant_id": publisher_id,
                                   "source": "camera", "width": width, "height": width * 9 / 16}));
        send_until(&mut clients, |c| last_layer(c).as_deref() == Some(rid)).await;
        // Once switched, it stays on that layer.
        let before = clients[1].0.count(|p| is_from(p, "pub", "vp8"));
        send_until(&mut clients, |c| {
            c[1].0.count(|p| is_from(p, "pub", "vp8")) >= before + 10
        })
        .await;
        assert_eq!(last_layer(&clients).as_deref(), Some(rid));
    }
    assert!(app.rooms.metrics().layer_switches.get() >= 4);
    for (client, _) in clients {
        client.leave().await;
    }
}

#[tokio::test]
async fn a_late_subscriber_to_a_running_simulcast_camera_starts_on_a_keyframe() {
    let app = spawn_app().await;
    let room = create_room(&app.anonymous(), json!({"name": "Late"})).await;
    let id = room["id"].as_str().unwrap();
    // The publisher's encoder is already running: it sends a keyframe of a layer only when
    // asked for one, as a browser does once past its first frames.
    let publisher = Client::join(
        &app,
        id,
        "pub",
        Options {
            camera: true,
            simulcast: true,
            keyframes_on_request: true,
            ..Options::default()
        },
    )
    .await;
    let early = Client::join(&app, id, "early", Options::default()).await;
    let mut clients = vec![(publisher, "pub"), (early, "early")];
    send_until(&mut clients, |c| {
        c[1].0.count(|p| is_from(p, "pub", "vp8")) >= 20
    })
    .await;
    // Someone comes in late (or comes back): its subscription starts mid-stream.
    let late = Client::join(&app, id, "late", Options::default()).await;
    clients.push((late, "late"));
    send_until(&mut clients, |c| {
        c[2].0.count(|p| is_from(p, "pub", "vp8")) >= 20
    })
    .await;
    for (client, name) in &clients[1..] {
        let received = client.received.lock().unwrap().clone();
        let first = received.iter().find(|p| is_from(p, "pub", "vp8")).unwrap();
        assert!(
            Client::is_keyframe(first),
            "{name}'s first video packet is not a keyframe: {first:?}"
        );
    }
    // Its decoder loses its way and asks for a keyframe (a PLI behind a receiver report, as
    // browsers send it): the publisher is asked, and the keyframe reaches it.
    let keyframes = |c: &[(Client, &str)]| {
        c[2].0
            .count(|p| is_from(p, "pub", "vp8") && Client::is_keyframe(p))
    };
    let before = keyframes(&clients);
    let publisher_id = clients[0].0.id.clone();
    clients[2].0.ask_keyframe(&publisher_id).await;
    send_until(&mut clients, |c| keyframes(c) > before).await;
    for (client, _) in clients {
        client.leave().await;
    }
}

#[tokio::test]
async fn two_hundred_joins_and_leaves_free_every_peer_connection() {
    let app = spawn_app().await;
    let room = create_room(&app.anonymous(), json!({"name": "Churn"})).await;
    let id = room["id"].as_str().unwrap().to_owned();
    let sfu = app.rooms.meetings().sfu().clone();
    let rss_before = rss_kib();
    // One stays all along, so that every newcomer also gets a subscribe connection.
    let mut host = Client::join(&app, &id, "host", Options::default()).await;
    for round in 0..50 {
        let mut batch = Vec::new();
        for n in 0..4 {
            let name = format!("guest{round}x{n}");
            batch.push(Client::join(&app, &id, &name, Options::default()).await);
        }
        for guest in &mut batch {
            guest.send("guest").await;
        }
        host.send("host").await;
        for guest in batch {
            guest.leave().await;
        }
    }
    host.leave().await;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let live = sfu.live_peer_connections();
        let sessions = app.rooms.metrics().media_sessions.get();
        if live == 0 && sessions == 0 && app.rooms.meetings().count() == 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{live} peer connections and {sessions} media sessions still alive after everyone left"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "RSS before: {} KiB, after 200 joins and leaves: {} KiB",
        rss_before,
        rss_kib()
    );
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}
