//! Pads survive a crash: `maille serve` is killed with SIGKILL while real y-websocket clients
//! type, then restarted on the same database and port; every word any client saw relayed is
//! in the reloaded pad, and the clients reconnect and converge with no word lost or doubled.

use std::process::{Child, Stdio};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::helpers::{repository, Instance};

/// Starts `maille serve` with anonymous pads allowed; returns once /healthz answers.
async fn serve(instance: &Instance) -> Child {
    instance
        .serve_with(&["serve"], &[("MAILLE_PADS__ANONYMOUS_CREATION", "true")])
        .await
}

#[tokio::test]
async fn every_relayed_update_survives_a_sigkill_and_clients_converge() {
    let js = repository().join("services/pads/tests/js");
    if !js.join("node_modules/y-websocket").exists() {
        let status = std::process::Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&js)
            .status()
            .expect("npm runs (Node.js is needed for this test)");
        assert!(status.success());
    }
    let instance = Instance::new();
    let mut server = serve(&instance).await;
    let pad: Value = reqwest::Client::new()
        .post(format!("{}/api/pads", instance.base()))
        .json(&json!({"title": "crash"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = pad["id"].as_str().unwrap().to_owned();
    let ws = format!("{}/ws/pads", instance.base().replacen("http", "ws", 1));

    let mut typists = tokio::process::Command::new("node")
        .args(["typists.mjs", &ws, &id, "3"])
        .current_dir(&js)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdin = typists.stdin.take().unwrap();
    let mut lines = BufReader::new(typists.stdout.take().unwrap()).lines();
    assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("typing"));

    // Let them type, kill the server mid-typing, restart it, let them type on.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.kill().unwrap(); // SIGKILL
    server.wait().unwrap();
    let mut server = serve(&instance).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stdin.write_all(b"stop\n").await.unwrap();
    stdin.flush().await.unwrap();

    let last = tokio::time::timeout(Duration::from_secs(120), lines.next_line())
        .await
        .expect("the typists finish")
        .unwrap()
        .unwrap();
    assert!(typists.wait().await.unwrap().success());
    let result: Value = serde_json::from_str(&last).unwrap();
    let text = result["text"].as_str().unwrap();
    let words: Vec<&str> = text.split_whitespace().collect();
    let typed: Vec<&str> = result["typed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert!(typed.len() > 10, "{typed:?}");
    for word in &typed {
        let times = words.iter().filter(|w| *w == word).count();
        assert_eq!(times, 1, "{word} appears {times} times in {text}");
    }
    assert_eq!(words.len(), typed.len());

    // And what the restarted server holds, read by a fresh client, has every word anyone saw
    // relayed (the clients' own resync could have hidden a loss; this cannot).
    server.kill().unwrap();
    server.wait().unwrap();
    let mut server = serve(&instance).await;
    let output = tokio::process::Command::new("node")
        .args(["read.mjs", &ws, &id])
        .current_dir(&js)
        .output()
        .await
        .unwrap();
    assert!(output.status.success());
    let read: Value = serde_json::from_str(
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .last()
            .unwrap(),
    )
    .unwrap();
    let stored: Vec<&str> = read["text"].as_str().unwrap().split_whitespace().collect();
    for word in result["seen"].as_array().unwrap() {
        assert!(
            stored.contains(&word.as_str().unwrap()),
            "{word} was relayed but lost"
        );
    }
    assert_eq!(stored, words);
    server.kill().unwrap();
    server.wait().unwrap();
}
