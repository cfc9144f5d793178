//! Integration tests of the accounts service: a real server on port 0, a fresh database per
//! test (SQLite, or PostgreSQL with TEST_DATABASE=postgres), emails read from the outbox.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod admin;
mod helpers;
mod input;
mod me;
mod reset;
mod sessions;
mod signup;
