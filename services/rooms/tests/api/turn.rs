//! A call through Debian's coturn, started here on loopback with credentials computed by
//! Maille (coturn's REST-API scheme), with relay-only ICE: media only flows if the TURN
//! server accepted Maille's credentials.
//!
//! The test configuration allows loopback peers, which production must never do (the
//! Ansible role denies private and loopback peers).

use std::net::UdpSocket;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::json;

use crate::helpers::{create_room, spawn_app_with, PATIENCE};
use crate::peer::{is_from, Client, Options};

const SECRET: &str = "a shared secret for the tests";

struct Coturn {
    child: Child,
    _dir: tempfile::TempDir,
}

impl Drop for Coturn {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_coturn(port: u16) -> Coturn {
    let binary = ["/usr/bin/turnserver", "/usr/local/bin/turnserver"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("coturn is installed (scripts/install-deps test installs it)");
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("turnserver.conf");
    std::fs::write(
        &config,
        format!(
            "listening-ip=127.0.0.1\nrelay-ip=127.0.0.1\nlistening-port={port}\n\
             min-port=40000\nmax-port=60000\nuse-auth-secret\nstatic-auth-secret={SECRET}\n\
             realm=maille.test\nfingerprint\nno-tls\nno-dtls\nno-cli\nno-multicast-peers\n\
             allow-loopback-peers\npidfile={}\nsimple-log\nlog-file=stdout\n",
            dir.path().join("turn.pid").display()
        ),
    )
    .unwrap();
    let child = Command::new(binary)
        .arg("-c")
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Ready once it holds its port.
    for _ in 0..100 {
        if UdpSocket::bind(("127.0.0.1", port)).is_err() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Coturn { child, _dir: dir }
}

#[tokio::test]
async fn a_relay_only_call_goes_through_coturn_with_mailles_credentials() {
    let port = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _coturn = start_coturn(port);
    let app = spawn_app_with(|s| {
        s.rooms.turn_urls = vec![format!("turn:127.0.0.1:{port}?transport=udp")];
        s.rooms.turn_secret = SECRET.to_owned().into();
    })
    .await;
    let room = create_room(&app.anonymous(), json!({"name": "Relayed"})).await;
    let id = room["id"].as_str().unwrap();
    let options = Options {
        room_ice_servers: true,
        relay_only: true,
        ..Options::default()
    };
    let mut ada = Client::join(&app, id, "ada", options.clone()).await;
    let mut bob = Client::join(&app, id, "bob", options).await;
    let deadline = tokio::time::Instant::now() + PATIENCE * 2;
    while ada.count(|p| is_from(p, "bob", "opus")) < 10
        || bob.count(|p| is_from(p, "ada", "opus")) < 10
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no media through the relay"
        );
        ada.send("ada").await;
        bob.send("bob").await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    ada.leave().await;
    bob.leave().await;
}
