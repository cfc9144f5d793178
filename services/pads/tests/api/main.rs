//! The pads service on a real server with a fresh database per test (SQLite, or PostgreSQL
//! with `TEST_DATABASE=postgres`): its REST API, and live editing driven by real Yjs clients
//! (`yjs` and `y-websocket` from npm, run by Node from `tests/js/`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;
mod history;
mod live;
mod rest;
mod storage;
