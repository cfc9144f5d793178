//! The pooled connection over SQLite or PostgreSQL.

use std::sync::Arc;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use maille_config::DatabaseSettings;

/// A connection to either database. Queries written against it must be portable: they are
/// checked by the compiler for both backends, and the test suite runs on both.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    /// PostgreSQL, for larger hosts and for several processes.
    Postgresql(diesel::PgConnection),
    /// SQLite, the embedded default.
    Sqlite(diesel::SqliteConnection),
}

/// Which database engine is in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl Backend {
    /// The engine's name as shown to people.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgresql",
        }
    }
}

/// What can go wrong with the database.
#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    /// The URL names no backend Maille knows.
    #[error("unsupported database URL (use sqlite://PATH or postgres://...)")]
    UnsupportedUrl,
    /// The database could not be reached or opened.
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    /// No connection became free in time.
    #[error("no database connection available: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    /// A query failed.
    #[error("database query failed: {0}")]
    Query(#[from] diesel::result::Error),
    /// Migrations failed.
    #[error("database migration failed: {0}")]
    Migration(String),
    /// The blocking task running a query was cancelled or panicked.
    #[error("database task failed: {0}")]
    Task(String),
}

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// A pool of connections to the instance's database. Cheap to clone.
#[derive(Clone)]
pub struct Database {
    pool: Pool<ConnectionManager<DbConnection>>,
    backend: Backend,
    /// SQLite allows one writer at a time; write transactions of this process take turns here
    /// instead of failing with "database is locked" when a read-then-write transaction loses a
    /// race. PostgreSQL needs no such lock.
    sqlite_writer: Arc<std::sync::Mutex<()>>,
    /// Wakes the consumer of the outbox (see [`crate::outbox`]) in this process.
    outbox_signal: Arc<tokio::sync::Notify>,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
struct SqlitePragmas;

impl CustomizeConnection<DbConnection, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut DbConnection) -> Result<(), diesel::r2d2::Error> {
        if let DbConnection::Sqlite(conn) = conn {
            conn.batch_execute(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                 PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
            )
            .map_err(diesel::r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

/// A SQLite transaction begun with `BEGIN IMMEDIATE`: it takes the database's write lock at
/// once, waiting (`busy_timeout`) for a write of another connection to end. A deferred one
/// (SQLite's default) reads from a snapshot and fails with "database is locked", without
/// waiting, when it then writes after another connection wrote meanwhile — a write through
/// [`Database::run`], outside the writer's turn. Otherwise as diesel's `transaction`.
fn immediate_transaction<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    type Manager = <DbConnection as diesel::Connection>::TransactionManager;
    if let DbConnection::Sqlite(sqlite) = conn {
        AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
    }
    match f(conn) {
        Ok(value) => {
            Manager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(error) => match Manager::rollback_transaction(conn) {
            Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(error),
            Err(rollback) => Err(rollback.into()),
        },
    }
}

impl Database {
    /// Opens a pool to the database at `url` (`sqlite://PATH` or `postgres://...`). A SQLite
    /// file and its directory are created when missing. Fails when the database cannot be
    /// reached.
    pub fn connect(url: &str, settings: &DatabaseSettings) -> Result<Database, DatabaseError> {
        let (backend, diesel_url) = if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(DatabaseError::UnsupportedUrl);
            }
            if let Some(parent) = std::path::Path::new(path).parent() {
                if !parent.as_os_str().is_empty() {
                    std::fs::create_dir_all(parent).map_err(|e| {
                        DatabaseError::Connect(format!("cannot create {}: {e}", parent.display()))
                    })?;
                }
            }
            (Backend::Sqlite, path.to_owned())
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Backend::Postgres, url.to_owned())
        } else {
            return Err(DatabaseError::UnsupportedUrl);
        };
        let manager = ConnectionManager::<DbConnection>::new(diesel_url);
        // No idle minimum: r2d2 would otherwise replenish it from its own threads after each
        // `get`, and a process that exits while libpq is connecting there aborts inside libpq.
        // Connections are made when needed and kept while idle.
        let pool = Pool::builder()
            .max_size(settings.max_connections)
            .min_idle(Some(0))
            .connection_timeout(Duration::from_secs(
                settings.connection_timeout_seconds.max(1),
            ))
            .connection_customizer(Box::new(SqlitePragmas))
            .build(manager)
            .map_err(|e| DatabaseError::Connect(e.to_string()))?;
        // Fail now, with the cause, when the database cannot be reached.
        pool.get()
            .map_err(|e| DatabaseError::Connect(e.to_string()))?;
        Ok(Database {
            pool,
            backend,
            sqlite_writer: Arc::new(std::sync::Mutex::new(())),
            outbox_signal: Arc::new(tokio::sync::Notify::new()),
        })
    }

    /// Tells the outbox's consumer in this process that events were committed (see
    /// [`crate::outbox`]); call it after the commit.
    pub fn notify_outbox(&self) {
        self.outbox_signal.notify_one();
    }

    /// What the outbox's consumer waits on.
    pub fn outbox_signal(&self) -> Arc<tokio::sync::Notify> {
        self.outbox_signal.clone()
    }

    /// Which engine this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Runs `f` with a pooled connection on tokio's blocking pool.
    pub async fn run<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DatabaseError> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(DatabaseError::from)?;
            f(&mut conn)
        })
        .await
        .map_err(|e| E::from(DatabaseError::Task(e.to_string())))?
    }

    /// Runs `f` inside one transaction on tokio's blocking pool: committed when `f` returns
    /// `Ok`, rolled back otherwise.
    pub async fn transaction<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DatabaseError> + From<diesel::result::Error> + Send + 'static,
    {
        let db = self.clone();
        tokio::task::spawn_blocking(move || db.transaction_blocking(f))
            .await
            .map_err(|e| E::from(DatabaseError::Task(e.to_string())))?
    }

    /// [`Database::transaction`] for callers already off the executor (the CLI, jobs).
    pub fn transaction_blocking<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E>,
        E: From<DatabaseError> + From<diesel::result::Error>,
    {
        use diesel::Connection;
        let mut conn = self.pool.get().map_err(DatabaseError::from)?;
        let _turn = match self.backend {
            // A poisoned lock only means another writer panicked; the database itself rolled
            // that transaction back, so the turn can be taken.
            Backend::Sqlite => Some(
                self.sqlite_writer
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            ),
            Backend::Postgres => None,
        };
        let conn: &mut DbConnection = &mut conn;
        match conn {
            DbConnection::Sqlite(_) => immediate_transaction(conn, f),
            DbConnection::Postgresql(_) => conn.transaction(f),
        }
    }

    /// Applies the migrations not yet applied, and returns their names.
    pub fn migrate_blocking(&self) -> Result<Vec<String>, DatabaseError> {
        let mut conn = self.pool.get()?;
        let applied = match &mut *conn {
            DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
            DbConnection::Postgresql(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS),
        }
        .map_err(|e| DatabaseError::Migration(e.to_string()))?;
        Ok(applied.iter().map(ToString::to_string).collect())
    }

    /// Applies pending migrations off the executor.
    pub async fn migrate(&self) -> Result<Vec<String>, DatabaseError> {
        let db = self.clone();
        tokio::task::spawn_blocking(move || db.migrate_blocking())
            .await
            .map_err(|e| DatabaseError::Task(e.to_string()))?
    }

    /// Whether a trivial query succeeds now.
    pub async fn is_reachable(&self) -> bool {
        self.run(|conn| conn.batch_execute("SELECT 1").map_err(DatabaseError::Query))
            .await
            .is_ok()
    }

    /// Connections open and idle, for metrics.
    pub fn pool_state(&self) -> (u32, u32) {
        let state = self.pool.state();
        (state.connections, state.idle_connections)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use diesel::prelude::*;

    use super::*;

    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }

    fn count(conn: &mut DbConnection) -> Result<i64, diesel::result::Error> {
        diesel::sql_query("SELECT COUNT(*) AS n FROM handles")
            .get_result::<Count>(conn)
            .map(|c| c.n)
    }

    fn insert(conn: &mut DbConnection, handle: &str) -> Result<usize, diesel::result::Error> {
        diesel::sql_query(format!(
            "INSERT INTO handles (handle, kind, created_at) VALUES ('{handle}', 'user', 0)"
        ))
        .execute(conn)
    }

    /// A transaction that reads, then writes after another connection wrote in between (outside
    /// the writer's turn), commits: the other write waits for it instead of making it fail.
    #[test]
    fn a_sqlite_transaction_is_not_broken_by_a_write_outside_it() {
        let path = std::env::temp_dir().join(format!(
            "maille-immediate-{}-{}.sqlite",
            std::process::id(),
            crate::random_id()
        ));
        let url = format!("sqlite://{}", path.display());
        let db = Database::connect(&url, &DatabaseSettings::default()).unwrap();
        db.migrate_blocking().unwrap();
        let (wrote_tx, wrote_rx) = mpsc::channel();
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let other = {
            let db = db.clone();
            std::thread::spawn(move || {
                go_rx.recv().unwrap();
                let mut conn = db.pool.get().unwrap();
                let written = insert(&mut conn, "outside");
                let _ = wrote_tx.send(());
                written
            })
        };
        let inside: Result<i64, DatabaseError> = db.transaction_blocking(|conn| {
            let before = count(conn)?;
            go_tx.send(()).unwrap();
            // Give the other write every chance to land first (it cannot: it waits).
            let _ = wrote_rx.recv_timeout(Duration::from_millis(300));
            insert(conn, "inside")?;
            Ok(before)
        });
        assert_eq!(inside.unwrap(), 0);
        assert_eq!(other.join().unwrap().unwrap(), 1);
        let mut conn = db.pool.get().unwrap();
        assert_eq!(count(&mut conn).unwrap(), 2);
        drop(conn);
        drop(db);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}
