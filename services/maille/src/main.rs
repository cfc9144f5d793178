//! `maille`: parse the command line and hand over to the library.

use clap::Parser;

/// jemalloc rather than the system allocator: it hands memory freed by unloaded pads, ended
/// calls and finished bursts back to the kernel within seconds (a background thread purges it),
/// where glibc's keeps it until it can reuse it (figures in docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    let cli = maille::cli::Cli::parse();
    maille::cli::run(cli)
}
