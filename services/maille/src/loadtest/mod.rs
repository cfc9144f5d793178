//! `maille loadtest`: load generators that measure a running server from outside, as its
//! users would load it. Each prints a table of figures; none asserts anything.

mod pads;
mod process;

use clap::Subcommand;

pub use pads::PadsArgs;

/// The load generators.
#[derive(Debug, Subcommand)]
pub enum Loadtest {
    /// Editors typing into pads over plain y-websocket (works against any y-websocket server).
    Pads(PadsArgs),
}

/// Runs a load generator.
pub async fn run(command: Loadtest) -> anyhow::Result<()> {
    match command {
        Loadtest::Pads(args) => pads::run(args).await,
    }
}
