//! A real server with the accounts and spaces services, per test, and people to use it.

use std::sync::Arc;

use maille_accounts::cli::{create_user, NewAccount};
use maille_accounts::Accounts;
use maille_spaces::{Spaces, SpacesPersonalData};
use maille_testing::{TestClient, TestServer};
use serde_json::{json, Value};

/// Every test user's password.
pub const PASSWORD: &str = "a long enough passphrase";

/// A test's server and services.
pub struct App {
    /// The running server.
    pub server: TestServer,
    /// The accounts service it runs.
    pub accounts: Accounts,
    /// The spaces service it runs.
    pub spaces: Spaces,
}

/// Starts the accounts and spaces services on a fresh database.
pub async fn spawn_app() -> App {
    let mut services = None;
    let server = maille_testing::spawn(
        |_settings| {},
        |ctx| {
            let accounts = Accounts::new(
                ctx.db.clone(),
                ctx.mailer.clone(),
                ctx.settings.clone(),
                ctx.tasks.clone(),
            );
            let spaces = Spaces::new(accounts.clone());
            accounts.register_personal_data(Arc::new(SpacesPersonalData));
            services = Some((accounts.clone(), spaces.clone()));
            move |cfg: &mut actix_web::web::ServiceConfig| {
                accounts.configure(cfg);
                spaces.configure(cfg);
            }
        },
    )
    .await;
    let (accounts, spaces) = services.expect("services built");
    App {
        server,
        accounts,
        spaces,
    }
}

/// `name`'s email address.
pub fn email_of(name: &str) -> String {
    format!("{name}@example.org")
}

impl App {
    /// Creates the account `name` (verified, approved).
    pub async fn create_user(&self, name: &str) -> maille_accounts::UserId {
        create_user(
            &self.accounts,
            NewAccount {
                username: name.to_owned(),
                email: email_of(name),
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
        self.login(name).await
    }

    /// A client logged in as the existing user `name`.
    pub async fn login(&self, name: &str) -> TestClient {
        let client = self.server.client();
        let (status, body) = client.login(name, PASSWORD).await;
        assert_eq!(status, 200, "login of {name}: {body}");
        client
    }
}

/// Status and JSON body (null when there is none).
pub async fn answer(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

/// Creates the space `handle` as `client`, who becomes its owner.
pub async fn create_space(client: &TestClient, handle: &str) -> Value {
    let (status, body) = answer(
        client
            .post(
                "/api/spaces",
                json!({"handle": handle, "display_name": format!("The {handle}")}),
            )
            .await,
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body
}

/// Makes a link invitation into `handle` as `client`; returns its token.
pub async fn link_invitation(client: &TestClient, handle: &str, role: &str) -> String {
    let (status, body) = answer(
        client
            .post(
                &format!("/api/spaces/{handle}/invitations"),
                json!({"role": role}),
            )
            .await,
    )
    .await;
    assert_eq!(status, 201, "{body}");
    token_of(body["link"].as_str().expect("a link"))
}

/// The token at the end of a `/join/{token}` link.
pub fn token_of(link: &str) -> String {
    link.rsplit("/join/").next().unwrap_or_default().to_owned()
}

/// Makes `name` (a new user) a member of `handle` in `role` through a link made by `owner`;
/// returns their client.
pub async fn member(
    app: &App,
    owner: &TestClient,
    handle: &str,
    name: &str,
    role: &str,
) -> TestClient {
    let token = link_invitation(owner, handle, role).await;
    let client = app.user(name).await;
    let (status, body) = answer(
        client
            .post(&format!("/api/invitations/{token}/accept"), json!({}))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["my_role"], role);
    client
}
