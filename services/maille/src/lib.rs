//! The `maille` program: its command line, and the server that mounts every service in one
//! process (or the ones named with `--only`).

pub mod cli;
mod health;
pub mod loadtest;
mod logging;
pub mod startup;
mod web_assets;

pub use startup::{Application, Service};
