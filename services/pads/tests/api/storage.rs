//! Storage: the log is compacted into a snapshot, idle pads are unloaded, and what was stored
//! comes back.

use std::time::Duration;

use diesel::prelude::*;
use maille_database::schema::{pad_documents, pad_updates};

use crate::helpers::{link_pad, node, spawn_app_with};

#[tokio::test]
async fn the_log_is_compacted_and_idle_pads_are_unloaded_then_reloaded() {
    let app = spawn_app_with(|s| {
        s.pads.compaction_threshold = 3;
        s.pads.idle_unload_seconds = 1;
    })
    .await;
    let (id, _) = link_pad(&app).await;
    let words = "one two three four five six seven eight nine ten";
    let written = node("write.mjs", &[&app.ws_base(), &id, words]).await;
    assert_eq!(written["stored"], written["sent"]);

    // Unloaded once idle (this waits for it; it does not time it).
    for _ in 0..1000 {
        if app.pads.live().loaded() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(app.pads.live().loaded(), 0);

    let pad = id.clone();
    let (snapshots, log) = app
        .pads
        .database()
        .run(move |conn| {
            let snapshots: i64 = pad_documents::table
                .filter(pad_documents::pad_id.eq(&pad))
                .count()
                .get_result(conn)?;
            let log: i64 = pad_updates::table
                .filter(pad_updates::pad_id.eq(&pad))
                .count()
                .get_result(conn)?;
            Ok::<_, maille_pads::PadsError>((snapshots, log))
        })
        .await
        .unwrap();
    assert_eq!(snapshots, 1);
    // Unloading compacts what remained.
    assert_eq!(log, 0);

    let read = node("read.mjs", &[&app.ws_base(), &id]).await;
    assert_eq!(read["text"], format!("{words} "));
}

/// Waits until no pad is loaded (this waits for it; it does not time it).
async fn unloaded(app: &crate::helpers::App) {
    for _ in 0..1000 {
        if app.pads.live().loaded() == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the pad was not unloaded");
}

/// The pad's stored snapshot.
async fn snapshot(app: &crate::helpers::App, pad: &str) -> Vec<u8> {
    let pad = pad.to_owned();
    app.pads
        .database()
        .run(move |conn| {
            Ok::<_, maille_pads::PadsError>(
                pad_documents::table
                    .find(&pad)
                    .select(pad_documents::state)
                    .first::<Vec<u8>>(conn)?,
            )
        })
        .await
        .unwrap()
}

fn holds(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn the_history_setting_takes_effect_at_the_next_load_of_the_pad() {
    let app = spawn_app_with(|s| s.pads.idle_unload_seconds = 1).await;
    let ada = app.user("ada").await;
    let pad = crate::helpers::create_pad(
        &ada,
        serde_json::json!({"title": "Notes", "history": false}),
    )
    .await;
    let id = pad["id"].as_str().unwrap().to_owned();
    assert_eq!(pad["history"], false);
    let import = |content: &str| serde_json::json!({"format": "text", "content": content});
    let path = format!("/api/pads/{id}/import");

    // Without history, deleted text is collected: the snapshot no longer holds it.
    assert_eq!(ada.post(&path, import("first-secret")).await.status(), 204);
    assert_eq!(ada.post(&path, import("plain")).await.status(), 204);
    unloaded(&app).await;
    let stored = snapshot(&app, &id).await;
    assert!(!holds(&stored, "first-secret"));
    assert!(holds(&stored, "plain"));

    let (status, changed) = crate::helpers::answer(
        ada.patch(
            &format!("/api/pads/{id}"),
            serde_json::json!({"history": true}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["history"], true);

    // From its next load on, deleted text is kept for the history.
    assert_eq!(ada.post(&path, import("third-secret")).await.status(), 204);
    assert_eq!(ada.post(&path, import("plain at last")).await.status(), 204);
    unloaded(&app).await;
    let stored = snapshot(&app, &id).await;
    assert!(holds(&stored, "third-secret"));
    assert!(holds(&stored, "plain at last"));

    // Turned off again: the next load collects what is deleted from then on.
    let response = ada
        .patch(
            &format!("/api/pads/{id}"),
            serde_json::json!({"history": false}),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(ada.post(&path, import("fourth-secret")).await.status(), 204);
    assert_eq!(ada.post(&path, import("the end")).await.status(), 204);
    unloaded(&app).await;
    let stored = snapshot(&app, &id).await;
    assert!(!holds(&stored, "fourth-secret"));
    assert!(holds(&stored, "the end"));
}
