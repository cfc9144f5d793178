//! `maille loadtest idle-pads`: what a loaded pad that nobody types into costs the server, and
//! whether that memory comes back once idle pads are unloaded.
//!
//! It creates `--pads` pads, reads the server's resident memory (the baseline), then opens
//! each pad over plain y-websocket, writes a small document into it (`--chars` characters,
//! waiting for Maille's acknowledgement that it is stored) and leaves — or, with
//! `--keep-connections`, stays connected without typing. Once every pad is loaded it reads the
//! memory again: (loaded − baseline) / pads is the cost of one idle pad, its small document
//! included. Then it closes everything, waits until the server reports no pad loaded
//! (`maille_pads_loaded` on `/metrics`, so the server must be local), and reads the memory a
//! last time.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use clap::Args;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message;
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Doc, ReadTxn, StateVector, Text, Transact};

use super::pads::{create_pads, http_base, read_buf, read_var, sync_message};
use super::process;

/// What to run.
#[derive(Debug, Args)]
pub struct IdlePadsArgs {
    /// The y-websocket endpoint of a Maille server, e.g. ws://127.0.0.1:8080/ws/pads.
    #[arg(long)]
    url: String,
    /// Number of pads to open.
    #[arg(long, default_value_t = 1000)]
    pads: usize,
    /// Characters written into each pad's document.
    #[arg(long, default_value_t = 100)]
    chars: usize,
    /// Stay connected to every pad (one idle editor each) while measuring, rather than leave.
    #[arg(long)]
    keep_connections: bool,
    /// Pads opened at the same time.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Seconds to wait for the server to unload the pads.
    #[arg(long, default_value_t = 600)]
    unload_timeout: u64,
    /// A session token (sent as the `token` query parameter, and used to create pads).
    #[arg(long)]
    token: Option<String>,
    /// Process id of the server, which must run on this machine.
    #[arg(long)]
    server_pid: u32,
}

pub(super) type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens `url`, writes `chars` characters, waits until the server says they are stored.
async fn open_and_write(url: &str, chars: usize) -> anyhow::Result<Socket> {
    let (mut socket, _) = tokio_tungstenite::connect_async(url)
        .await
        .with_context(|| format!("connecting to {url}"))?;
    let doc = Doc::new();
    let text = doc.get_or_insert_text("idle");
    {
        let mut txn = doc.transact_mut();
        let typed: String = (0..chars)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect();
        text.insert(&mut txn, 0, &typed);
    }
    let step1 = doc.transact().state_vector().encode_v1();
    socket
        .send(Message::Binary(sync_message(0, &step1).into()))
        .await?;
    while let Some(message) = socket.next().await {
        let bytes = match message? {
            Message::Binary(bytes) => bytes,
            Message::Close(frame) => bail!("closed by the server: {frame:?}"),
            _ => continue,
        };
        let mut pos = 0;
        match read_var(&bytes, &mut pos) {
            Some(0) if read_var(&bytes, &mut pos) == Some(0) => {
                // The server's state vector: answer with our document, which it lacks.
                let payload = read_buf(&bytes, &mut pos).context("truncated sync message")?;
                let remote = StateVector::decode_v1(payload)?;
                let diff = doc.transact().encode_diff_v1(&remote);
                socket
                    .send(Message::Binary(sync_message(1, &diff).into()))
                    .await?;
            }
            // Maille's acknowledgement: our update is stored.
            Some(100) if read_var(&bytes, &mut pos).is_some_and(|n| n >= 1) => {
                return Ok(socket);
            }
            Some(2) => bail!("permission denied by the server"),
            _ => {}
        }
    }
    bail!("the server closed the connection before storing the document")
}

/// The server's `maille_pads_loaded` gauge.
async fn loaded(client: &reqwest::Client, base: &str) -> anyhow::Result<u64> {
    let metrics = client
        .get(format!("{base}/metrics"))
        .send()
        .await?
        .error_for_status()
        .context("reading /metrics (the server must be on this machine)")?
        .text()
        .await?;
    metrics
        .lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| {
            let (name, value) = l.split_once(' ')?;
            name.ends_with("pads_loaded")
                .then(|| value.trim().parse().ok())?
        })
        .context("no pads_loaded gauge in /metrics")
}

/// Waits until the server reports `want` pads loaded (or `timeout` passes).
pub(super) async fn wait_loaded(
    client: &reqwest::Client,
    base: &str,
    want: impl Fn(u64) -> bool,
    timeout: Duration,
) -> anyhow::Result<u64> {
    let began = Instant::now();
    loop {
        let now = loaded(client, base).await?;
        if want(now) || began.elapsed() > timeout {
            return Ok(now);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Resident memory once the server has settled: read every second until three readings in a
/// row lie within 512 KB of each other (an allocator may hand freed memory back over several
/// seconds), or for 30 s at most; the last reading is kept.
async fn settled_resident(pid: u32) -> anyhow::Result<u64> {
    let mut readings: Vec<u64> = Vec::new();
    for _ in 0..30 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        readings.push(
            process::sample(pid)
                .context("the server's memory cannot be read (is it on this machine?)")?
                .resident_bytes,
        );
        if let [.., a, b, c] = readings[..] {
            if a.max(b).max(c) - a.min(b).min(c) < 512 * 1024 {
                break;
            }
        }
    }
    Ok(readings.last().copied().unwrap_or(0))
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_048_576.0)
}

/// Runs the measure and prints the report.
pub async fn run(args: IdlePadsArgs) -> anyhow::Result<()> {
    if args.pads == 0 || args.concurrency == 0 {
        bail!("--pads and --concurrency must be at least 1");
    }
    let base = http_base(&args.url)?;
    let client = reqwest::Client::new();
    // Pads are created by a few workers at once.
    let workers = 8.min(args.pads);
    let mut creating = Vec::new();
    for n in 0..workers {
        let count = args.pads / workers + usize::from(n < args.pads % workers);
        let (base, token) = (base.clone(), args.token.clone());
        creating.push(tokio::spawn(async move {
            create_pads(&base, token.as_deref(), count).await
        }));
    }
    let mut ids = Vec::with_capacity(args.pads);
    for task in creating {
        ids.extend(task.await??);
    }
    let already = wait_loaded(
        &client,
        &base,
        |n| n == 0,
        Duration::from_secs(args.unload_timeout),
    )
    .await?;
    if already != 0 {
        bail!("{already} pads are loaded already; start from a server with none");
    }
    let baseline = settled_resident(args.server_pid).await?;

    let began = Instant::now();
    let gate = Arc::new(Semaphore::new(args.concurrency));
    let errors = Arc::new(AtomicU64::new(0));
    let mut opening = Vec::with_capacity(ids.len());
    for id in &ids {
        let mut url = format!("{}/{}?acks=1", args.url.trim_end_matches('/'), id);
        if let Some(token) = &args.token {
            url.push_str(&format!("&token={token}"));
        }
        let (gate, errors, chars, keep) = (
            gate.clone(),
            errors.clone(),
            args.chars,
            args.keep_connections,
        );
        opening.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await.ok()?;
            match open_and_write(&url, chars).await {
                Ok(mut socket) if !keep => {
                    let _ = socket.close(None).await;
                    None
                }
                Ok(socket) => Some(socket),
                Err(error) => {
                    if errors.fetch_add(1, Ordering::Relaxed) < 5 {
                        eprintln!("pad: {error:#}");
                    }
                    None
                }
            }
        }));
    }
    let mut sockets = Vec::new();
    for task in opening {
        if let Some(socket) = task.await? {
            sockets.push(socket);
        }
    }
    let opened_in = began.elapsed();
    let errors = errors.load(Ordering::Relaxed);
    let opened = ids.len() as u64 - errors;
    if opened == 0 {
        bail!("no pad could be opened at {}", args.url);
    }
    let loaded_now = loaded(&client, &base).await?;
    let with_pads = settled_resident(args.server_pid).await?;

    for mut socket in sockets {
        let _ = socket.close(None).await;
    }
    let unload_began = Instant::now();
    let left = wait_loaded(
        &client,
        &base,
        |n| n == 0,
        Duration::from_secs(args.unload_timeout),
    )
    .await?;
    let unloaded_in = unload_began.elapsed();
    let after = settled_resident(args.server_pid).await?;

    let per_pad = with_pads.saturating_sub(baseline) as f64 / opened as f64;
    let rows: Vec<(String, String)> = vec![
        (
            "pads opened".into(),
            format!("{opened} in {:.1} s", opened_in.as_secs_f64()),
        ),
        (
            "document per pad".into(),
            format!("{} characters", args.chars),
        ),
        (
            "idle editors kept connected".into(),
            if args.keep_connections {
                "one per pad"
            } else {
                "none"
            }
            .into(),
        ),
        (
            "pads loaded (server's count)".into(),
            loaded_now.to_string(),
        ),
        ("server memory, baseline".into(), mib(baseline)),
        ("server memory, pads loaded".into(), mib(with_pads)),
        (
            "memory per idle loaded pad".into(),
            format!("{:.1} KB", per_pad / 1024.0),
        ),
        ("pads still loaded after waiting".into(), left.to_string()),
        (
            "time until every pad was unloaded".into(),
            format!("{:.1} s", unloaded_in.as_secs_f64()),
        ),
        ("server memory, after unloading".into(), mib(after)),
        (
            "memory kept after unloading".into(),
            format!(
                "{:.1} MB above baseline",
                (after as f64 - baseline as f64) / 1_048_576.0
            ),
        ),
        ("errors (pads that failed)".into(), errors.to_string()),
    ];
    let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    println!("maille loadtest idle-pads");
    for (name, value) in rows {
        println!("{name:<width$}  {value}");
    }
    Ok(())
}
