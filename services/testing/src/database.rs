//! A fresh database per test.

use diesel::{Connection, RunQueryDsl};
use rand::Rng;

/// A database that exists for one test and is dropped after it.
pub struct TestDatabase {
    url: String,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

fn postgres_base() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// Test databases are on this machine: no TLS. (libpq's OpenSSL also aborts a test process
/// that exits while another of its threads is inside OpenSSL.)
fn without_tls(url: &str) -> String {
    if url.contains("sslmode=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&sslmode=disable")
    } else {
        format!("{url}?sslmode=disable")
    }
}

impl TestDatabase {
    /// A new empty database of the backend named by `TEST_DATABASE`.
    pub fn fresh() -> TestDatabase {
        match std::env::var("TEST_DATABASE").as_deref() {
            Ok("postgres") | Ok("postgresql") => {
                let base = postgres_base();
                let name = format!("maille_test_{:016x}", rand::thread_rng().gen::<u64>());
                let mut admin = diesel::PgConnection::establish(&without_tls(&base))
                    .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {base}: {e}"));
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .unwrap();
                let url = match base.rfind('/') {
                    Some(i) => without_tls(&format!("{}/{}", &base[..i], name)),
                    None => panic!("TEST_POSTGRES_URL has no database part"),
                };
                TestDatabase {
                    url,
                    _dir: None,
                    postgres: Some((base, name)),
                }
            }
            Ok("sqlite") | Err(_) => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}", dir.path().join("maille.sqlite3").display());
                TestDatabase {
                    url,
                    _dir: Some(dir),
                    postgres: None,
                }
            }
            Ok(other) => panic!("TEST_DATABASE={other}: use sqlite or postgres"),
        }
    }

    /// Its URL.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((base, name)) = &self.postgres {
            if let Ok(mut admin) = diesel::PgConnection::establish(&without_tls(base)) {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut admin);
            }
        }
    }
}
