//! `maille loadtest`: load generators that measure a running server from outside, as its
//! users would load it. Each prints a table of figures; none asserts anything.

mod fanout;
mod federation;
mod idle;
mod open;
mod pads;
mod process;
mod rooms;
mod wire;

use clap::Subcommand;

pub use fanout::FanoutArgs;
pub use federation::FederationArgs;
pub use idle::IdlePadsArgs;
pub use open::OpenPadArgs;
pub use pads::PadsArgs;
pub use rooms::RoomsArgs;

/// The load generators.
#[derive(Debug, Subcommand)]
pub enum Loadtest {
    /// Editors typing into pads over plain y-websocket (works against any y-websocket server).
    Pads(PadsArgs),
    /// Memory of idle loaded pads, and whether it comes back once they are unloaded (Maille).
    IdlePads(IdlePadsArgs),
    /// Time to open a pad whose history holds many updates (Maille).
    OpenPad(OpenPadArgs),
    /// Synthetic participants publishing and receiving media through a room's SFU (Maille).
    Rooms(RoomsArgs),
    /// Signed activities sent to an inbox by a stub remote instance, and the answers
    /// delivered back to it (Maille with `federation.allow_insecure_http`).
    Federation(FederationArgs),
    /// One activity delivered to many followers spread over a fleet of stub instances that
    /// verify every signature (Maille with `federation.allow_insecure_http`); with `--serve`,
    /// it starts the server itself and kills it half-way through a second delivery, to count
    /// what is lost across a restart.
    FederationFanout(FanoutArgs),
}

/// Runs a load generator.
pub async fn run(command: Loadtest) -> anyhow::Result<()> {
    match command {
        Loadtest::Pads(args) => pads::run(args).await,
        Loadtest::IdlePads(args) => idle::run(args).await,
        Loadtest::OpenPad(args) => open::run(args).await,
        Loadtest::Rooms(args) => rooms::run(args).await,
        Loadtest::Federation(args) => federation::run(args).await,
        Loadtest::FederationFanout(args) => fanout::run(args).await,
    }
}
