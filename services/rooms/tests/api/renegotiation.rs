//! A publisher's connection renegotiated (a screen share stopped, an ICE restart) keeps its
//! simulcast camera flowing: to those already watching, and to someone who joins afterwards.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{create_room, spawn_app, PATIENCE};
use crate::peer::{is_from, Client, Options};

/// Sends from every client until `done` holds; panics with `what` if it never does.
async fn send_until(
    clients: &mut [(Client, &str)],
    what: &str,
    done: impl Fn(&[(Client, &str)]) -> bool,
) {
    let deadline = tokio::time::Instant::now() + PATIENCE * 2;
    while !done(clients) {
        assert!(tokio::time::Instant::now() < deadline, "{what}");
        for (client, name) in clients.iter_mut() {
            client.send(name).await;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn camera_packets(client: &Client) -> usize {
    client.count(|p| is_from(p, "ada", "vp8"))
}

#[tokio::test]
async fn a_simulcast_camera_keeps_flowing_after_its_publisher_renegotiates() {
    let app = spawn_app().await;
    let room = create_room(&app.anonymous(), json!({"name": "Renegotiated"})).await;
    let id = room["id"].as_str().unwrap();
    // Ada sends a simulcast camera as a browser does: keyframes only when asked, and a screen
    // she will stop sharing.
    let ada = Client::join(
        &app,
        id,
        "ada",
        Options {
            camera: true,
            simulcast: true,
            screen: true,
            keyframes_on_request: true,
            ..Options::default()
        },
    )
    .await;
    let bob = Client::join(&app, id, "bob", Options::default()).await;
    let mut clients = vec![(ada, "ada"), (bob, "bob")];
    send_until(&mut clients, "Bob never received Ada's camera", |c| {
        camera_packets(&c[1].0) >= 10
    })
    .await;

    // Her layers are known to the server now: like a browser, she stops naming them in each
    // packet. They still arrive.
    clients[0].0.stop_stream_ids();
    let seen = camera_packets(&clients[1].0);
    send_until(
        &mut clients,
        "Ada's camera stopped once her packets no longer named their layer",
        |c| camera_packets(&c[1].0) >= seen + 10,
    )
    .await;

    // She stops sharing her screen: her publish connection is renegotiated. Bob still gets her
    // camera.
    clients[0].0.share_screen(false).await;
    let seen = camera_packets(&clients[1].0);
    send_until(
        &mut clients,
        "Ada's camera stopped reaching Bob after her connection was renegotiated",
        |c| camera_packets(&c[1].0) >= seen + 10,
    )
    .await;

    // Someone joins afterwards (or Bob comes back as a new participant): the server asks Ada
    // for a keyframe, and her camera reaches the newcomer starting with it.
    let cat = Client::join(&app, id, "cat", Options::default()).await;
    clients.push((cat, "cat"));
    send_until(
        &mut clients,
        "Ada's camera never reached someone who joined after her renegotiation",
        |c| camera_packets(&c[2].0) >= 10,
    )
    .await;
    let received = clients[2].0.received.lock().unwrap().clone();
    let first = received.iter().find(|p| is_from(p, "ada", "vp8")).unwrap();
    assert!(
        Client::is_keyframe(first),
        "the newcomer's first video packet is not a keyframe: {first:?}"
    );

    for (client, _) in clients {
        client.leave().await;
    }
}
