//! Maille's database: one diesel connection type over SQLite and PostgreSQL, chosen at run time
//! by the URL, pooled with r2d2, with the migrations of both backends embedded in the binary.
//!
//! Blocking diesel calls never run on the async executor: [`Database::run`] and
//! [`Database::transaction`] move them to tokio's blocking pool.

mod connection;
mod ids;
pub mod outbox;
pub mod schema;
mod time;

pub use connection::{Backend, Database, DatabaseError, DbConnection};
pub use ids::random_id;
pub use time::{now, UnixTime};
