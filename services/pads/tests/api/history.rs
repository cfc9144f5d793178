//! History and export, on content written by a real Yjs client as the web editor writes it.

use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::helpers::{answer, link_pad, node, spawn_app};

#[tokio::test]
async fn versions_are_saved_shown_and_restored_live_and_pads_export() {
    let app = spawn_app().await;
    let (id, read_id) = link_pad(&app).await;
    let written = node("rich.mjs", &[&app.ws_base(), &id, "initial"]).await;
    assert!(written["xml"]
        .as_str()
        .unwrap()
        .contains("<bold>world</bold>"));

    let client = app.anonymous();
    let export = client
        .get(&format!("/api/pads/{read_id}/export?format=markdown"))
        .await;
    assert_eq!(export.status(), 200);
    assert!(export
        .headers()
        .get("content-disposition")
        .unwrap()
        .to_str()
        .unwrap()
        .contains("Notes.md"));
    assert_eq!(
        export.text().await.unwrap(),
        "## Minutes\n\nHello **world**\n"
    );
    let html = client
        .get(&format!("/api/pads/{id}/export?format=html"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        html,
        "<h2>Minutes</h2>\n<p>Hello <strong>world</strong></p>"
    );
    let text = client
        .get(&format!("/api/pads/{id}/export?format=text"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(text, "Minutes\n\nHello world\n");

    let (status, saved) = answer(
        client
            .post(
                &format!("/api/pads/{id}/versions"),
                json!({"name": "first draft"}),
            )
            .await,
    )
    .await;
    assert_eq!(status, 201, "{saved}");
    let version = saved["id"].as_str().unwrap().to_owned();
    // Read-only links see the history but cannot save.
    let (status, _) = answer(
        client
            .post(
                &format!("/api/pads/{read_id}/versions"),
                json!({"name": "no"}),
            )
            .await,
    )
    .await;
    assert_eq!(status, 403);

    node("rich.mjs", &[&app.ws_base(), &id, "append"]).await;

    let (status, shown) = answer(
        client
            .get(&format!("/api/pads/{read_id}/versions/{version}"))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{shown}");
    assert_eq!(shown["version"]["name"], "first draft");
    assert_eq!(shown["text"], "Minutes\n\nHello world\n");

    // An editor connected during the restore sees it live.
    let mut watcher = tokio::process::Command::new("node")
        .args(["watch.mjs", &app.ws_base(), &id, "later"])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/js"))
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(watcher.stdout.take().unwrap()).lines();
    assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("ready"));
    let response = client
        .post(
            &format!("/api/pads/{id}/versions/{version}/restore"),
            json!({}),
        )
        .await;
    assert_eq!(response.status(), 204);
    let seen: serde_json::Value =
        serde_json::from_str(&lines.next_line().await.unwrap().unwrap()).unwrap();
    assert!(watcher.wait().await.unwrap().success());
    let xml = seen["xml"].as_str().unwrap();
    assert!(
        xml.contains("Minutes") && xml.contains("<bold>world</bold>"),
        "{xml}"
    );
    assert!(!xml.contains("later"));

    // The content replaced was kept as a version, newest first.
    let (_, versions) = answer(client.get(&format!("/api/pads/{id}/versions")).await).await;
    let names: Vec<&str> = versions
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"before restore") && names.contains(&"first draft"),
        "{names:?}"
    );
}

#[tokio::test]
async fn importing_markdown_replaces_the_content() {
    let app = spawn_app().await;
    let (id, read_id) = link_pad(&app).await;
    let client = app.anonymous();
    let response = client
        .post(
            &format!("/api/pads/{id}/import"),
            json!({"format": "markdown", "content": "# Agenda\n\n- [ ] budget\n- [x] minutes\n"}),
        )
        .await;
    assert_eq!(response.status(), 204);
    let markdown = client
        .get(&format!("/api/pads/{id}/export?format=markdown"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(markdown, "# Agenda\n\n- [ ] budget\n- [x] minutes\n");
    let response = client
        .post(
            &format!("/api/pads/{read_id}/import"),
            json!({"format": "text", "content": "no"}),
        )
        .await;
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn html_is_imported_sanitized_and_pads_export_as_opendocument() {
    let app = spawn_app().await;
    let (id, read_id) = link_pad(&app).await;
    let client = app.anonymous();
    let hostile = "<h1 onclick=\"steal()\">Plan</h1><script>fetch('/api/session')</script>\
                   <p style=\"color:red\">Go <b>now</b> <a href=\"javascript:alert(1)\">here</a> \
                   <a href=\"https://example.org\">there</a><img src=x onerror=alert(1)></p>\
                   <ul><li>one</li><li>two</li></ul>";
    let response = client
        .post(
            &format!("/api/pads/{id}/import"),
            json!({"format": "html", "content": hostile}),
        )
        .await;
    assert_eq!(response.status(), 204);
    let markdown = client
        .get(&format!("/api/pads/{read_id}/export?format=markdown"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        markdown,
        "# Plan\n\nGo **now** here [there](https://example.org)\n\n- one\n- two\n"
    );
    // Read-only: no import.
    let response = client
        .post(
            &format!("/api/pads/{read_id}/import"),
            json!({"format": "html", "content": "<p>x</p>"}),
        )
        .await;
    assert_eq!(response.status(), 403);

    let export = client
        .get(&format!("/api/pads/{read_id}/export?format=odt"))
        .await;
    assert_eq!(export.status(), 200);
    assert_eq!(
        export.headers()["content-type"],
        "application/vnd.oasis.opendocument.text"
    );
    assert!(export.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("Notes.odt"));
    let package = export.bytes().await.unwrap();
    assert_eq!(&package[..4], b"PK\x03\x04");
    assert_eq!(
        &package[30..38 + "application/vnd.oasis.opendocument.text".len()],
        b"mimetypeapplication/vnd.oasis.opendocument.text"
    );
    let response = client
        .get(&format!("/api/pads/{id}/export?format=pdf"))
        .await;
    assert_eq!(response.status(), 400);
}
