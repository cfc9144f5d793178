use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{repository, sigterm, stderr, stdout, terminate, Instance};

#[tokio::test]
async fn serve_migrates_answers_health_metrics_openapi_and_the_front_end() {
    let instance = Instance::new();
    let child = instance.serve().await;
    let base = instance.base();

    let health: Value = reqwest::get(format!("{base}/healthz"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["database"], "ok");
    assert_eq!(health["version"], env!("CARGO_PKG_VERSION"));
    for service in ["accounts", "spaces", "pads", "rooms", "web"] {
        assert_eq!(health["services"][service], "ok", "{health}");
    }

    // Migrations ran at start.
    let migrate = instance.run(&["migrate"]);
    assert!(migrate.status.success(), "{}", stderr(&migrate));
    assert!(stdout(&migrate).contains("up to date"));

    let openapi: Value = reqwest::get(format!("{base}/api/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(openapi["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/session",
        "/api/accounts",
        "/api/admin/users",
        "/api/spaces",
        "/api/pads",
    ] {
        assert!(
            openapi["paths"].get(path).is_some(),
            "{path} missing from the OpenAPI document"
        );
    }

    // A request first, so that the request counter has a line.
    reqwest::get(format!("{base}/api/instance")).await.unwrap();
    let metrics = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("maille_http_requests_total{"), "{metrics}");
    assert!(metrics.contains("route=\"/api/instance\""));
    assert!(metrics.contains("maille_http_request_duration_seconds_bucket"));
    assert!(metrics.contains("maille_accounts_users"));
    assert!(metrics.contains("maille_database_connections"));

    // The front end answers any page path; the API keeps its JSON 404.
    let page = reqwest::get(format!("{base}/settings")).await.unwrap();
    if repository().join("web/dist/index.html").exists() {
        assert_eq!(page.status(), 200);
        assert!(page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        assert!(page.text().await.unwrap().contains("<div id=\"app\""));
    } else {
        assert_eq!(page.status(), 503);
        assert!(page.text().await.unwrap().contains("make web"));
    }
    let missing = reqwest::get(format!("{base}/api/does-not-exist"))
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.json::<Value>().await.unwrap()["code"], "not_found");

    let status = terminate(child).await;
    assert!(status.success(), "{status}");
}

#[tokio::test]
async fn metrics_are_refused_to_other_addresses() {
    let instance = Instance::new();
    let mut child = instance
        .serve_with(
            &["serve"],
            &[("MAILLE_HTTP__METRICS_ALLOWED", "[\"192.0.2.0/24\"]")],
        )
        .await;
    let metrics = reqwest::get(format!("{}/metrics", instance.base()))
        .await
        .unwrap();
    assert_eq!(metrics.status(), 404);
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test]
async fn the_admin_command_line_creates_and_manages_accounts() {
    let instance = Instance::new();
    let created = instance.run(&[
        "admin",
        "user",
        "create",
        "--username",
        "root_admin",
        "--email",
        "root@example.org",
        "--admin",
    ]);
    assert!(created.status.success(), "{}", stderr(&created));
    let text = stdout(&created);
    let password = text
        .split("shown only now: ")
        .nth(1)
        .unwrap()
        .trim()
        .to_owned();
    assert!(password.len() >= 12);
    let again = instance.run(&[
        "admin",
        "user",
        "create",
        "--username",
        "root_admin",
        "--email",
        "other@example.org",
    ]);
    assert!(!again.status.success());

    let child = instance.serve().await;
    let base = instance.base();
    let client = reqwest::Client::new();
    let login = |password: String| {
        let client = client.clone();
        let base = base.clone();
        async move {
            client
                .post(format!("{base}/api/session"))
                .header("Origin", &base)
                .json(&json!({"login": "root_admin", "password": password}))
                .send()
                .await
                .unwrap()
        }
    };
    let r = login(password.clone()).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["user"]["role"], "admin");

    let reset = instance.run(&["admin", "user", "reset-password", "root_admin"]);
    assert!(reset.status.success(), "{}", stderr(&reset));
    let new_password = stdout(&reset)
        .split("shown only now: ")
        .nth(1)
        .unwrap()
        .trim()
        .to_owned();
    assert_eq!(login(password).await.status(), 401);
    assert_eq!(login(new_password.clone()).await.status(), 200);

    let user = instance.run(&[
        "admin",
        "user",
        "create",
        "--username",
        "ana",
        "--email",
        "ana@example.org",
        "--password",
        "a long enough passphrase",
    ]);
    assert!(user.status.success());
    let promoted = instance.run(&["admin", "user", "promote", "ana"]);
    assert!(promoted.status.success());
    let disabled = instance.run(&["admin", "user", "disable", "ana"]);
    assert!(disabled.status.success());
    let r = client
        .post(format!("{base}/api/session"))
        .header("Origin", &base)
        .json(&json!({"login": "ana", "password": "a long enough passphrase"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "account_disabled");
    let unknown = instance.run(&["admin", "user", "promote", "nobody"]);
    assert!(!unknown.status.success());

    assert!(terminate(child).await.success());
}

#[tokio::test]
async fn sigterm_lets_a_request_in_flight_finish_then_exits_zero() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let instance = Instance::new();
    let created = instance.run(&[
        "admin",
        "user",
        "create",
        "--username",
        "ana",
        "--email",
        "ana@example.org",
        "--password",
        "a long enough passphrase",
    ]);
    assert!(created.status.success());
    let mut child = instance.serve().await;
    let base = instance.base();
    // A request surely in flight: its headers and half its body are sent, then the signal
    // comes, then the rest of the body.
    let body = json!({"login": "ana", "password": "a long enough passphrase"}).to_string();
    let (first, rest) = body.split_at(body.len() / 2);
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", instance.port))
        .await
        .unwrap();
    let head = format!(
        "POST /api/session HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: {base}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{first}",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    sigterm(&child);
    tokio::time::sleep(Duration::from_millis(300)).await;
    stream.write_all(rest.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "the request in flight was answered: {answer}"
    );
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status}");
    // It no longer accepts connections.
    assert!(reqwest::get(format!("{base}/healthz")).await.is_err());
}

#[tokio::test]
async fn serve_only_mounts_the_services_named() {
    let instance = Instance::new();
    let child = instance
        .serve_with(&["serve", "--only", "accounts"], &[])
        .await;
    let base = instance.base();
    let health: Value = reqwest::get(format!("{base}/healthz"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["services"]["accounts"], "ok");
    assert!(health["services"].get("spaces").is_none());
    assert_eq!(
        reqwest::get(format!("{base}/api/instance"))
            .await
            .unwrap()
            .status(),
        200
    );
    let spaces = reqwest::get(format!("{base}/api/spaces")).await.unwrap();
    assert_eq!(spaces.status(), 404);
    let page = reqwest::get(format!("{base}/login")).await.unwrap();
    assert_eq!(
        page.status(),
        404,
        "no front end in an accounts-only process"
    );
    assert!(terminate(child).await.success());
    let unknown = instance.run(&["serve", "--only", "pads,nonsense"]);
    assert!(!unknown.status.success());
}

#[tokio::test]
async fn only_the_process_serving_rooms_holds_the_one_media_port() {
    let instance = Instance::new();
    let free = || std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = free().local_addr().unwrap().port();
    let port_text = port.to_string();
    let env = [
        ("MAILLE_ROOMS__UDP_ADDRESS", "127.0.0.1"),
        ("MAILLE_ROOMS__UDP_MUX_PORT", port_text.as_str()),
    ];
    let taken = || std::net::UdpSocket::bind(("127.0.0.1", port)).is_err();

    // A process of a split deployment that does not serve rooms leaves the port alone.
    let child = instance
        .serve_with(&["serve", "--only", "accounts"], &env)
        .await;
    assert!(!taken(), "an accounts-only process took the media port");
    terminate(child).await;

    // The rooms process does not start when the port is taken, and says why.
    let holder = std::net::UdpSocket::bind(("127.0.0.1", port)).unwrap();
    let mut command = instance.command(&["serve", "--only", "rooms"]);
    command.envs(env);
    let refused = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("rooms.udp_mux_port"),
        "{}",
        stderr(&refused)
    );
    drop(holder);

    // Free, it is bound as the process starts.
    let child = instance
        .serve_with(&["serve", "--only", "rooms"], &env)
        .await;
    assert!(taken(), "the rooms process does not hold the media port");
    assert!(terminate(child).await.success());
}
