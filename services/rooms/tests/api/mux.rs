//! One UDP port for everyone's media (`rooms.udp_mux_port`): calls work through it, the
//! server names only that port, and datagrams nobody asked for change nothing.

use std::net::UdpSocket;

use serde_json::json;

use crate::helpers::{create_room, spawn_app_with, App};
use crate::media::{everyone_has_everyone_else, send_until};
use crate::peer::{is_from, Client, Options};

/// The (address, port) of every candidate in `sdp`.
fn candidates(sdp: &str) -> Vec<(String, u16)> {
    sdp.lines()
        .filter_map(|l| l.trim().strip_prefix("a=candidate:"))
        .map(|c| {
            let f: Vec<&str> = c.split(' ').collect();
            (f[4].to_owned(), f[5].parse().unwrap())
        })
        .collect()
}

/// A server whose media all go through one UDP port, which it returns with a room's id.
async fn room_on_one_port(name: &str) -> (App, u16, String) {
    let port = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = spawn_app_with(|settings| settings.rooms.udp_mux_port = port).await;
    let room = create_room(&app.anonymous(), json!({"name": name})).await;
    let id = room["id"].as_str().unwrap().to_owned();
    (app, port, id)
}

#[tokio::test]
async fn three_participants_talk_through_one_udp_port_that_shrugs_off_stray_datagrams() {
    let (app, port, id) = room_on_one_port("One port").await;
    let id = id.as_str();
    let names = ["ada", "bob", "cat"];
    let mut clients = Vec::new();
    for name in names {
        let options = Options {
            camera: true,
            simulcast: name == "ada",
            ..Options::default()
        };
        clients.push((Client::join(&app, id, name, options).await, name));
    }
    // What the server told each client to send to: the shared port, and nothing else.
    for (client, name) in &clients {
        let named = candidates(&client.answer);
        assert!(
            !named.is_empty(),
            "{name}: no candidate in {}",
            client.answer
        );
        for (address, p) in named {
            assert_eq!((address.as_str(), p), ("127.0.0.1", port), "{name}");
        }
    }

    // Someone sprays the port: garbage, RTP-looking packets, STUN for nobody, a DTLS record.
    let stranger = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut stun_for_nobody = vec![0x00, 0x01, 0x00, 0x0c, 0x21, 0x12, 0xa4, 0x42];
    stun_for_nobody.extend_from_slice(&[7; 12]);
    stun_for_nobody.extend_from_slice(&[0x00, 0x06, 0x00, 0x08]);
    stun_for_nobody.extend_from_slice(b"nobody:x");
    let sprays: [&[u8]; 5] = [
        b"",
        b"hello",
        &[0x80, 96, 0, 1, 0, 0, 0, 1, 1, 2, 3, 4, 9, 9],
        &stun_for_nobody,
        &[22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    ];
    for spray in sprays {
        for _ in 0..50 {
            stranger.send_to(spray, ("127.0.0.1", port)).unwrap();
        }
    }

    send_until(&mut clients, |clients| {
        everyone_has_everyone_else(clients, 20)
    })
    .await;
    for (client, _) in clients {
        client.leave().await;
    }
}

/// The ICE user fragment of `sdp` (empty when it has none).
fn ufrag(sdp: &str) -> String {
    sdp.lines()
        .find_map(|l| l.trim().strip_prefix("a=ice-ufrag:"))
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn an_ice_restart_on_the_one_port_keeps_the_media_flowing() {
    let (app, port, id) = room_on_one_port("Restart").await;
    let id = id.as_str();
    let options = Options {
        camera: true,
        ..Options::default()
    };
    let ada = Client::join(&app, id, "ada", options.clone()).await;
    let bob = Client::join(&app, id, "bob", options).await;
    let mut clients = vec![(ada, "ada"), (bob, "bob")];
    // Tracks are offered to the others once their first packets arrive.
    send_until(&mut clients, |c| {
        c[1].0.count(|p| is_from(p, "ada", "vp8")) >= 10
    })
    .await;
    let (bob, _) = &mut clients[1];
    let first_offer = bob
        .expect("a subscribe offer", |m| m["type"] == "offer")
        .await;

    // Bob asks for an ICE restart of his subscribe connection: the new offer has new
    // credentials, still on the one port, and Ada's camera reaches him after it.
    let before = ufrag(first_offer["sdp"].as_str().unwrap());
    bob.signal(json!({"type": "restart_ice"}));
    let restarted = bob
        .expect("an offer with new ICE credentials", |m| {
            m["type"] == "offer" && ufrag(m["sdp"].as_str().unwrap_or_default()) != before
        })
        .await;
    let after = restarted["sdp"].as_str().unwrap();
    for (address, p) in candidates(after) {
        assert_eq!((address.as_str(), p), ("127.0.0.1", port));
    }
    let seen = bob.count(|p| is_from(p, "ada", "vp8"));
    send_until(&mut clients, |c| {
        c[1].0.count(|p| is_from(p, "ada", "vp8")) >= seen + 20
    })
    .await;
    for (client, _) in clients {
        client.leave().await;
    }
}
