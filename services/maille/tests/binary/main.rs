//! Tests of the `maille` program itself: its command line, configuration refusals, start-up,
//! health, metrics, OpenAPI, graceful shutdown, and the schema against the migrations.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod config;
mod federation;
mod helpers;
mod loadtest;
mod pads;
mod schema;
mod serve;
