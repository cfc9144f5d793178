//! A real server with the accounts, spaces and rooms services, per test; people to use it;
//! signalling clients over real WebSockets.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use maille_accounts::cli::{create_user, NewAccount};
use maille_accounts::Accounts;
use maille_config::Settings;
use maille_rooms::Rooms;
use maille_spaces::{Spaces, SpacesPersonalData};
use maille_testing::{TestClient, TestDatabase, TestServer};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;

/// Every test user's password.
pub const PASSWORD: &str = "a long enough passphrase";

/// A guard against a deadlock, never a timing assertion.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// A test's server and services.
pub struct App {
    /// The running server.
    pub server: TestServer,
    /// The accounts service it runs.
    pub accounts: Accounts,
    /// The rooms service it runs.
    pub rooms: Rooms,
    _stop: CancellationToken,
}

/// Starts the services on a fresh database, with anonymous rooms allowed and media on
/// loopback, on ports the system picks.
pub async fn spawn_app() -> App {
    spawn_app_with(|_| {}).await
}

/// Starts the services; `tweak` adjusts the settings.
pub async fn spawn_app_with(tweak: impl FnOnce(&mut Settings)) -> App {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let mut services = None;
    let stop = CancellationToken::new();
    let cancel = stop.clone();
    let server = maille_testing::spawn_on(
        TestDatabase::fresh(),
        |settings| {
            settings.rooms.anonymous_rooms = true;
            settings.rooms.udp_address = [127, 0, 0, 1].into();
            settings.rooms.udp_port_min = 0;
            settings.rooms.udp_port_max = 0;
            tweak(settings);
        },
        |ctx| {
            let accounts = Accounts::new(
                ctx.db.clone(),
                ctx.mailer.clone(),
                ctx.settings.clone(),
                ctx.tasks.clone(),
            );
            let spaces = Spaces::new(accounts.clone());
            accounts.register_personal_data(Arc::new(SpacesPersonalData));
            accounts.register_personal_data(Arc::new(maille_rooms::RoomsPersonalData));
            let rooms = Rooms::new(spaces.clone(), ctx.tasks.clone(), cancel);
            services = Some((accounts.clone(), rooms.clone()));
            move |cfg: &mut actix_web::web::ServiceConfig| {
                accounts.configure(cfg);
                spaces.configure(cfg);
                rooms.configure(cfg);
            }
        },
    )
    .await;
    let (accounts, rooms) = services.expect("services built");
    App {
        server,
        accounts,
        rooms,
        _stop: stop,
    }
}

impl App {
    /// Creates the account `name` (verified, approved).
    pub async fn create_user(&self, name: &str) -> maille_accounts::UserId {
        create_user(
            &self.accounts,
            NewAccount {
                username: name.to_owned(),
                email: format!("{name}@example.org"),
                password: PASSWORD.to_owned(),
                admin: false,
            },
        )
        .await
        .expect("user created")
    }

    /// A client logged in as `name`, who is created first.
    pub async fn user(&self, name: &str) -> TestClient {
        self.create_user(name).await;
        let client = self.server.client();
        let (status, body) = client.login(name, PASSWORD).await;
        assert_eq!(status, 200, "login of {name}: {body}");
        client
    }

    /// A client that is not logged in.
    pub fn anonymous(&self) -> TestClient {
        self.server.client()
    }

    /// A session token of the existing user `name`, for WebSockets.
    pub async fn token(&self, name: &str) -> String {
        let user = self
            .accounts
            .user_by_username(name.into())
            .await
            .unwrap()
            .unwrap();
        let settings = self.server.context.settings.clone();
        self.rooms
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
            .unwrap()
            .token
    }

    /// Opens the signalling WebSocket of `room`, as the owner of `token` if any.
    pub async fn connect(&self, room: &str, token: Option<&str>) -> Signal {
        let mut url = format!(
            "{}/ws/rooms/{room}",
            self.server.address.replacen("http", "ws", 1)
        );
        if let Some(token) = token {
            url.push_str(&format!("?token={token}"));
        }
        let (ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        Signal { ws }
    }

    /// Connects and joins `room` as `name`; returns the connection and the `joined` message.
    pub async fn join(&self, room: &str, name: &str, token: Option<&str>) -> (Signal, Value) {
        let mut signal = self.connect(room, token).await;
        signal.send(json!({"type": "join", "name": name})).await;
        let joined = signal.expect("joined").await;
        (signal, joined)
    }
}

/// Status and JSON body (null when there is none).
pub async fn answer(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

/// Creates a room as `client` with `body`; returns it.
pub async fn create_room(client: &TestClient, body: Value) -> Value {
    let (status, room) = answer(client.post("/api/rooms", body).await).await;
    assert_eq!(status, 201, "{room}");
    room
}

/// A signalling connection.
pub struct Signal {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// What the server sent: a message, or the close frame's code.
#[derive(Debug)]
pub enum Received {
    /// A JSON message.
    Message(Value),
    /// The connection closed with this code.
    Closed(u16),
}

impl Signal {
    /// Sends one JSON message.
    pub async fn send(&mut self, message: Value) {
        self.ws
            .send(Message::text(message.to_string()))
            .await
            .unwrap();
    }

    /// Sends raw text.
    pub async fn send_text(&mut self, text: String) -> bool {
        self.ws.send(Message::text(text)).await.is_ok()
    }

    /// The next message or the close.
    pub async fn next(&mut self) -> Received {
        loop {
            let frame = tokio::time::timeout(PATIENCE, self.ws.next())
                .await
                .expect("the server said something in time");
            match frame {
                Some(Ok(Message::Text(text))) => {
                    return Received::Message(serde_json::from_str(&text).unwrap())
                }
                Some(Ok(Message::Close(frame))) => {
                    return Received::Closed(frame.map_or(1005, |f| u16::from(f.code)))
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return Received::Closed(1006),
            }
        }
    }

    /// Skips messages until one of `kind`, which it returns; panics on a close.
    pub async fn expect(&mut self, kind: &str) -> Value {
        loop {
            match self.next().await {
                Received::Message(m) if m["type"] == kind => return m,
                Received::Message(_) => continue,
                Received::Closed(code) => panic!("closed with {code} while waiting for {kind}"),
            }
        }
    }

    /// Skips messages until the close; returns its code and the last error message seen.
    pub async fn closed(&mut self) -> (u16, Option<Value>) {
        let mut error = None;
        loop {
            match self.next().await {
                Received::Message(m) if m["type"] == "error" => error = Some(m),
                Received::Message(_) => continue,
                Received::Closed(code) => return (code, error),
            }
        }
    }
}
