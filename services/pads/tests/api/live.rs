//! Live editing with real Yjs clients: the npm `y-websocket` provider, unmodified, against the
//! server.

use maille_database::DbConnection;
use serde_json::json;

use crate::helpers::{create_pad, link_pad, node, spawn_app};

#[tokio::test]
async fn two_editors_converge_and_a_latecomer_gets_everything() {
    let app = spawn_app().await;
    let (id, _) = link_pad(&app).await;
    let result = node("converge.mjs", &[&app.ws_base(), &id]).await;
    assert_eq!(result["a"], result["b"]);
    assert_eq!(result["a"], result["c"]);
    let text = result["a"].as_str().unwrap();
    for i in 0..20 {
        assert!(text.contains(&format!("a{i};")) && text.contains(&format!("b{i};")));
    }
}

#[tokio::test]
async fn a_read_only_connection_reads_but_its_updates_are_refused() {
    let app = spawn_app().await;
    let (id, read_id) = link_pad(&app).await;
    let result = node("read_only.mjs", &[&app.ws_base(), &id, &read_id]).await;
    assert_eq!(result["writer"], "legit end");
    assert_eq!(result["late"], "legit end");
    assert!(result["reader"].as_str().unwrap().contains("legit"));
}

#[tokio::test]
async fn awareness_reaches_the_others_and_goes_when_the_connection_closes() {
    let app = spawn_app().await;
    let (id, _) = link_pad(&app).await;
    let result = node("awareness.mjs", &[&app.ws_base(), &id]).await;
    assert_eq!(result["seen"], json!(["Ada"]));
    assert_eq!(result["after"], json!([]));
}

#[tokio::test]
async fn acknowledgements_count_stored_updates() {
    let app = spawn_app().await;
    let (id, _) = link_pad(&app).await;
    let result = node("acks.mjs", &[&app.ws_base(), &id]).await;
    let acks: Vec<u64> = serde_json::from_value(result["acks"].clone()).unwrap();
    assert_eq!(acks.last(), Some(&4));
    assert!(acks.windows(2).all(|w| w[0] <= w[1]), "{acks:?}");
    assert!(result["provider_stored"].as_u64().unwrap() >= 2);
    assert_eq!(result["text"], "one two three!");
    // What was acknowledged is in the database.
    let stored = stored_text(&app, &id).await;
    assert_eq!(stored, "one two three!");
    assert!(app.pads.metrics().updates_stored.get() >= 4);
}

/// The pad's text as stored (snapshot and log), read without the live room.
async fn stored_text(app: &crate::helpers::App, id: &str) -> String {
    let id = id.to_owned();
    app.pads
        .database()
        .run(move |conn: &mut DbConnection| maille_pads::live::stored_text(conn, &id, "t"))
        .await
        .unwrap()
}

#[tokio::test]
async fn hostile_messages_close_only_their_connection() {
    let app = spawn_app().await;
    let (id, _) = link_pad(&app).await;
    let result = node("garbage.mjs", &[&app.ws_base(), &id]).await;
    let closes = &result["closes"];
    for attack in ["garbage", "truncated", "text_frame"] {
        assert_eq!(closes[attack]["code"], 1003, "{attack}: {closes}");
    }
    assert_eq!(closes["corrupt_update"]["code"], 1007, "{closes}");
    let text = result["text"].as_str().unwrap();
    assert!(text.contains("before") && text.contains("after") && text.contains("still"));
    assert_eq!(result["a_connected"], true);
    assert_eq!(result["b_connected"], true);
    assert!(app.pads.metrics().connections_refused.get() >= 4);
}

#[tokio::test]
async fn access_is_checked_at_connect_by_cookie_or_token() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let pad = create_pad(&ada, json!({"title": "secret"})).await;
    let id = pad["id"].as_str().unwrap();
    let refused = node("denied.mjs", &[&app.ws_base(), id]).await;
    assert_eq!(refused["denied"], true, "{refused}");
    assert_eq!(refused["synced"], false);

    let user = app
        .accounts
        .user_by_username("ada".into())
        .await
        .unwrap()
        .unwrap();
    let settings = app.server.context.settings.clone();
    let session = app
        .pads
        .database()
        .run(move |conn| {
            maille_accounts::sessions::open(
                conn,
                &settings,
                user.id,
                "test",
                "127.0.0.1",
                maille_database::now(),
            )
        })
        .await
        .unwrap();
    let allowed = node("denied.mjs", &[&app.ws_base(), id, &session.token]).await;
    assert_eq!(allowed["synced"], true, "{allowed}");
    assert_eq!(allowed["denied"], false);

    let unknown = node("denied.mjs", &[&app.ws_base(), "AAAAAAAAAAAAAAAAAAAAAA"]).await;
    assert_eq!(unknown["denied"], true);
}

#[tokio::test]
async fn updates_survive_a_server_crash() {
    let app = spawn_app().await;
    let (id, _) = link_pad(&app).await;
    let written = node(
        "write.mjs",
        &[&app.ws_base(), &id, "what was acknowledged is kept"],
    )
    .await;
    assert_eq!(written["stored"], written["sent"]);
    let database = app.crash().await;
    let app = crate::helpers::spawn_app_on(database, |_| {}).await;
    let read = node("read.mjs", &[&app.ws_base(), &id]).await;
    assert_eq!(read["text"], "what was acknowledged is kept ");
}

#[tokio::test]
async fn connections_are_checked_again_when_the_visibility_changes() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let pad = create_pad(&ada, json!({"visibility": "link"})).await;
    let id = pad["id"].as_str().unwrap();
    let mut child = tokio::process::Command::new("node")
        .args(["evicted.mjs", &app.ws_base(), id])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/js"))
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("ready"));
    let response = ada
        .patch(&format!("/api/pads/{id}"), json!({"visibility": "private"}))
        .await;
    assert_eq!(response.status(), 200);
    let result: serde_json::Value =
        serde_json::from_str(&lines.next_line().await.unwrap().unwrap()).unwrap();
    assert!(child.wait().await.unwrap().success());
    assert_eq!(result["closeCode"], 4403, "{result}");
    assert!(result["reason"]
        .as_str()
        .unwrap()
        .contains("may not open it"));
}

#[tokio::test]
async fn limits_close_the_connection_that_exceeds_them() {
    let app = crate::helpers::spawn_app_with(|s| {
        s.pads.max_message_bytes = 2000;
        s.pads.max_pad_bytes = 500;
        s.pads.updates_per_second = 1;
        s.pads.update_burst = 5;
    })
    .await;
    let (id, _) = link_pad(&app).await;
    let big = node("limits.mjs", &[&app.ws_base(), &id, "big"]).await;
    assert_eq!(big["code"], 1009, "{big}");
    let flood = node("limits.mjs", &[&app.ws_base(), &id, "flood"]).await;
    assert_eq!(flood["code"], 1008, "{flood}");
    assert_eq!(flood["reason"], "too many updates");
    let full = node("limits.mjs", &[&app.ws_base(), &id, "full"]).await;
    assert_eq!(full["code"], 1009, "{full}");
    assert_eq!(full["reason"], "the pad is full");
}
