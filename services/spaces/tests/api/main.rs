//! The spaces service over HTTP, on a real server with a fresh database per test (SQLite, or
//! PostgreSQL with `TEST_DATABASE=postgres`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;
mod invitations;
mod members;
mod personal_data;
mod races;
mod rust_api;
mod spaces;
