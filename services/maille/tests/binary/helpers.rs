use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

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

pub fn repository() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}
