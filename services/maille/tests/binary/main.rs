//! Tests of the `maille` program itself: its command line, configuration refusals, start-up,
//! health, metrics, OpenAPI, graceful shutdown, and the schema against the migrations.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod config;
mod federation;
mod federation_feed;
mod federation_hostile;
mod helpers;
mod home_sign_in;
mod loadtest;
mod pads;
mod schema;
mod serve;
