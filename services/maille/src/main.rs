//! `maille`: parse the command line and hand over to the library.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = maille::cli::Cli::parse();
    maille::cli::run(cli)
}
