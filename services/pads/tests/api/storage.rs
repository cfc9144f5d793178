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
