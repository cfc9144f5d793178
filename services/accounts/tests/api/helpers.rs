use maille_accounts::cli::{create_user, NewAccount};
use maille_accounts::Accounts;
use maille_config::Settings;
use maille_testing::{TestClient, TestServer};
use serde_json::Value;

pub const PASSWORD: &str = "a long enough passphrase";

pub struct App {
    pub server: TestServer,
    pub accounts: Accounts,
}

pub async fn spawn_with(tweak: impl FnOnce(&mut Settings)) -> App {
    let mut built = None;
    let server = maille_testing::spawn(tweak, |ctx| {
        let accounts = Accounts::new(
            ctx.db.clone(),
            ctx.mailer.clone(),
            ctx.settings.clone(),
            ctx.tasks.clone(),
        );
        built = Some(accounts.clone());
        move |cfg: &mut actix_web::web::ServiceConfig| accounts.configure(cfg)
    })
    .await;
    App {
        server,
        accounts: built.unwrap(),
    }
}

pub async fn spawn() -> App {
    spawn_with(|_| {}).await
}

impl App {
    pub fn client(&self) -> TestClient {
        self.server.client()
    }

    /// An account made by the admin's command line: verified and approved.
    pub async fn user(&self, username: &str, admin: bool) -> TestClient {
        create_user(
            &self.accounts,
            NewAccount {
                username: username.into(),
                email: format!("{username}@example.org"),
                password: PASSWORD.into(),
                admin,
            },
        )
        .await
        .unwrap();
        let client = self.client();
        let (status, _) = client.login(username, PASSWORD).await;
        assert_eq!(status, 200);
        client
    }
}

pub async fn body(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

impl App {
    /// An account made by the command line, without logging in.
    pub async fn user_no_login(&self, username: &str) {
        create_user(
            &self.accounts,
            NewAccount {
                username: username.into(),
                email: format!("{username}@example.org"),
                password: PASSWORD.into(),
                admin: false,
            },
        )
        .await
        .unwrap();
    }
}
