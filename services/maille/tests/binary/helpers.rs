use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;

use maille_testing::TestDatabase;

pub const BIN: &str = env!("CARGO_BIN_EXE_maille");

/// The environment of a test instance: its own data dir and database, a free port.
pub struct Instance {
    pub data: tempfile::TempDir,
    pub database: TestDatabase,
    pub port: u16,
}

impl Instance {
    pub fn new() -> Instance {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Instance {
            data: tempfile::tempdir().unwrap(),
            database: TestDatabase::fresh(),
            port,
        }
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(BIN);
        command
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("MAILLE_DATA_DIR", self.data.path())
            .env("MAILLE_DATABASE_URL", self.database.url())
            .env("MAILLE_LISTEN", format!("127.0.0.1:{}", self.port))
            .env("MAILLE_PUBLIC_URL", self.base())
            .env("MAILLE_LOGGING__LEVEL", "warn");
        command
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Starts `maille serve` and waits until /healthz answers 200.
    pub async fn serve(&self) -> Child {
        self.serve_with(&["serve"], &[]).await
    }

    /// Starts `maille` with these arguments and extra environment, and waits until /healthz
    /// answers 200.
    pub async fn serve_with(&self, args: &[&str], env: &[(&str, &str)]) -> Child {
        let mut command = self.command(args);
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let started = Instant::now();
        loop {
            if let Ok(r) = reqwest::get(format!("{}/healthz", self.base())).await {
                if r.status() == 200 {
                    return child;
                }
            }
            if let Some(status) = child.try_wait().unwrap() {
                panic!("maille serve exited early: {status}");
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "not healthy in time"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn sigterm(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Sends SIGTERM to `child` and waits for it to exit.
pub async fn terminate(mut child: Child) -> std::process::ExitStatus {
    sigterm(&child);
    tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap()
}

pub fn repository() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// The password of every user the federation tests make.
pub const PASSWORD: &str = "correct horse battery";

/// A Maille instance that federates over plain http on `localhost` (IP literal public URLs
/// do not federate), with the test-only `federation.allow_insecure_http` and a first retry
/// after a second.
pub struct Node {
    pub instance: Instance,
    server: Option<Child>,
}

impl Node {
    pub fn new() -> Node {
        Node {
            instance: Instance::new(),
            server: None,
        }
    }

    pub fn base(&self) -> String {
        format!("http://localhost:{}", self.instance.port)
    }

    /// `localhost:PORT`, as handles name it.
    pub fn domain(&self) -> String {
        format!("localhost:{}", self.instance.port)
    }

    /// Makes the user `name` (an admin when `admin`), password [`PASSWORD`].
    pub fn user_with(&self, name: &str, admin: bool) {
        let email = format!("{name}@example.org");
        let mut args = vec![
            "admin",
            "user",
            "create",
            "--username",
            name,
            "--email",
            &email,
            "--password",
            PASSWORD,
        ];
        if admin {
            args.push("--admin");
        }
        let output = self.instance.run(&args);
        assert!(output.status.success(), "{}", stderr(&output));
    }

    /// Makes the user `name`, password [`PASSWORD`].
    pub fn user(&self, name: &str) {
        self.user_with(name, false);
    }

    /// Starts `maille serve`; returns once it is healthy.
    pub async fn start(&mut self) {
        self.start_with(&[]).await;
    }

    /// Starts `maille serve` with more environment.
    pub async fn start_with(&mut self, extra: &[(&str, &str)]) {
        let base = self.base();
        let mut env = vec![
            ("MAILLE_PUBLIC_URL", base.as_str()),
            ("MAILLE_FEDERATION__ALLOW_INSECURE_HTTP", "true"),
            ("MAILLE_FEDERATION__DELIVERY_FIRST_RETRY_SECONDS", "1"),
        ];
        env.extend_from_slice(extra);
        self.server = Some(self.instance.serve_with(&["serve"], &env).await);
    }

    /// Stops it with SIGTERM and waits for it.
    pub fn stop(&mut self) {
        if let Some(mut server) = self.server.take() {
            sigterm(&server);
            server.wait().unwrap();
        }
    }

    /// A client with its own cookie jar (on `localhost` cookies ignore the port, so each
    /// instance needs its own).
    pub fn browser(&self) -> maille_testing::TestClient {
        maille_testing::TestClient::new(&self.base())
    }

    /// A browser logged in as `name`.
    pub async fn login(&self, name: &str) -> maille_testing::TestClient {
        let client = self.browser();
        let (status, body) = client.login(name, PASSWORD).await;
        assert_eq!(status, 200, "{body}");
        client
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(mut server) = self.server.take() {
            let _ = server.kill();
            let _ = server.wait();
        }
    }
}

/// The JSON list at `path` (200 expected).
pub async fn json_list(client: &maille_testing::TestClient, path: &str) -> Vec<Value> {
    let response = client.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

/// Polls `path` (every 100 ms, for at most 30 s: a guard, not a timing assertion) until
/// `check` holds; returns the list.
pub async fn until(
    client: &maille_testing::TestClient,
    path: &str,
    what: &str,
    check: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let items = json_list(client, path).await;
        if check(&items) {
            return items;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{what}: {items:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A stub ActivityPub server on `localhost`: JSON documents at fixed paths, and inboxes that
/// record what they receive.
pub struct Stub {
    /// `http://localhost:PORT`.
    pub base: String,
    /// What its inboxes received, in order.
    pub received: Arc<Mutex<Vec<Value>>>,
    pub handle: actix_web::dev::ServerHandle,
}

impl Stub {
    /// Serves each `(path, content type, document)` that `documents(base)` gives, and records
    /// the JSON posted to `inboxes`.
    pub fn start(
        documents: impl FnOnce(&str) -> Vec<(String, &'static str, Value)>,
        inboxes: &'static [&'static str],
    ) -> Stub {
        use actix_web::{web, App, HttpResponse, HttpServer};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://localhost:{}", listener.local_addr().unwrap().port());
        let documents = documents(&base);
        let received: Arc<Mutex<Vec<Value>>> = Arc::default();
        let inbox = received.clone();
        let server = HttpServer::new(move || {
            let mut app = App::new();
            for (path, content_type, document) in documents.clone() {
                app = app.route(
                    &path,
                    web::get().to(move || {
                        let document = document.clone();
                        async move { HttpResponse::Ok().content_type(content_type).json(document) }
                    }),
                );
            }
            for path in inboxes {
                let inbox = inbox.clone();
                app = app.route(
                    path,
                    web::post().to(move |body: web::Bytes| {
                        let inbox = inbox.clone();
                        async move {
                            if let Ok(v) = serde_json::from_slice::<Value>(&body) {
                                inbox.lock().unwrap().push(v);
                            }
                            HttpResponse::Accepted().finish()
                        }
                    }),
                );
            }
            app
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Stub {
            base,
            received,
            handle,
        }
    }

    /// What its inboxes received, once `check` holds on it (30 s at most: a guard).
    pub async fn received_when(&self, what: &str, check: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let started = Instant::now();
        loop {
            let received = self.received.lock().unwrap().clone();
            if check(&received) {
                return received;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "{what}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Signs requests as a stub's actor, with the crate's HTTP signatures.
pub struct Signer {
    data: activitypub_federation::config::Data<()>,
    client: reqwest_middleware::ClientWithMiddleware,
}

impl Signer {
    pub async fn new(actor: &maille_federation::SigningActor) -> Signer {
        maille_federation::policy::install_tls_provider();
        let client: reqwest_middleware::ClientWithMiddleware =
            reqwest_federation::Client::new().into();
        let domain = format!(
            "{}:{}",
            actor.id.host_str().unwrap(),
            actor.id.port().unwrap()
        );
        let config = activitypub_federation::config::FederationConfig::builder()
            .domain(domain)
            .client(client.clone())
            .app_data(())
            .debug(true)
            .signed_fetch_actor(actor)
            .build()
            .await
            .unwrap();
        Signer {
            data: config.to_request_data(),
            client,
        }
    }

    /// Posts `body` signed; returns the status.
    pub async fn post(&self, url: &str, body: &str, content_type: &str) -> u16 {
        let builder = self.client.post(url).header("Content-Type", content_type);
        self.send(url, builder, body.to_owned()).await
    }

    /// Gets `url` signed (an ActivityPub document); returns the status.
    pub async fn get(&self, url: &str) -> u16 {
        let builder = self
            .client
            .get(url)
            .header("Accept", "application/activity+json");
        self.send(url, builder, String::new()).await
    }

    async fn send(
        &self,
        url: &str,
        builder: reqwest_middleware::RequestBuilder,
        body: String,
    ) -> u16 {
        let host = url::Url::parse(url).unwrap();
        let builder = builder
            .header(
                "Host",
                format!("{}:{}", host.host_str().unwrap(), host.port().unwrap()),
            )
            .header("Date", httpdate::fmt_http_date(SystemTime::now()));
        let request = self.data.sign_request(builder, body.into()).await.unwrap();
        self.client
            .execute(request)
            .await
            .unwrap()
            .status()
            .as_u16()
    }
}

/// The JavaScript test tools of the pads (`services/pads/tests/js`), installed on first use.
pub fn pads_js() -> std::path::PathBuf {
    let js = repository().join("services/pads/tests/js");
    if !js.join("node_modules/y-websocket").exists() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&js)
            .status()
            .expect("npm runs (Node.js is needed for this test)");
        assert!(status.success());
    }
    js
}
