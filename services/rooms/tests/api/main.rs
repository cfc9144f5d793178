//! The rooms service on a real server with a fresh database per test (SQLite, or PostgreSQL
//! with `TEST_DATABASE=postgres`): its REST API, its signalling over real WebSockets, and its
//! SFU between real peers built with the `webrtc` crate.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod failures;
mod helpers;
mod media;
mod mux;
mod peer;
mod renegotiation;
mod rest;
mod screen;
mod signal;
mod turn;
