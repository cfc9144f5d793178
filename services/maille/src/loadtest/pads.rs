//! `maille loadtest pads`: simulated editors typing into pads over plain y-websocket.
//!
//! Each editor connects to `{url}/{pad}`, syncs, then inserts `--chars` characters every
//! `--interval-ms` (Etherpad's own load profile is 4 characters every 400 ms). Fan-out latency
//! is measured from the moment an editor sends an update to the moment each other editor of
//! the same pad receives it: the update is recognised by its bytes (servers relay them
//! unchanged) or, failing that, by the clocks it carries.
//!
//! Editors do not apply the others' updates to a document of their own: that would make the
//! load generator, not the server, the bottleneck. Their own inserts stay valid Yjs updates.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use clap::Args;
use futures_util::{SinkExt, StreamExt};
use rand::Rng;
use tokio_tungstenite::tungstenite::Message;
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{ClientID, Doc, ReadTxn, StateVector, Text, Transact, Update};

use super::process;

/// What to run.
#[derive(Debug, Args)]
pub struct PadsArgs {
    /// The y-websocket endpoint, e.g. ws://127.0.0.1:8080/ws/pads (the pad id is appended).
    #[arg(long)]
    url: String,
    /// Number of pads (created through Maille's API unless --pad is given).
    #[arg(long, default_value_t = 1)]
    pads: usize,
    /// Editors per pad.
    #[arg(long, default_value_t = 10)]
    editors: usize,
    /// Milliseconds between two inserts of one editor.
    #[arg(long, default_value_t = 400)]
    interval_ms: u64,
    /// Characters per insert.
    #[arg(long, default_value_t = 4)]
    chars: usize,
    /// Seconds of typing (after everyone connected).
    #[arg(long, default_value_t = 30)]
    duration: u64,
    /// A session token (sent as the `token` query parameter, and used to create pads).
    #[arg(long)]
    token: Option<String>,
    /// Use these pad ids (repeat the option) instead of creating pads.
    #[arg(long = "pad")]
    pad_ids: Vec<String>,
    /// Process id of the server, when it runs on this machine: its CPU time and memory are
    /// reported.
    #[arg(long)]
    server_pid: Option<u32>,
}

/// Sent updates, recognised on receipt by the hash of their bytes or by (client, clock).
#[derive(Default)]
struct Sent {
    by_hash: RwLock<HashMap<u64, (usize, Instant)>>,
    by_clock: RwLock<HashMap<(ClientID, u32), (usize, Instant)>>,
}

#[derive(Default)]
struct Counters {
    sent: AtomicU64,
    received: AtomicU64,
    unmatched: AtomicU64,
    errors: AtomicU64,
    connected: AtomicU64,
}

fn hash_of(bytes: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    bytes.hash(&mut h);
    h.finish()
}

pub(super) fn write_var(out: &mut Vec<u8>, mut n: u64) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

pub(super) fn read_var(bytes: &[u8], pos: &mut usize) -> Option<u64> {
    let mut n: u64 = 0;
    let mut shift = 0;
    loop {
        let byte = *bytes.get(*pos)?;
        *pos += 1;
        n |= u64::from(byte & 0x7f).checked_shl(shift)?;
        if byte & 0x80 == 0 {
            return Some(n);
        }
        shift += 7;
        if shift > 63 {
            return None;
        }
    }
}

pub(super) fn read_buf<'a>(bytes: &'a [u8], pos: &mut usize) -> Option<&'a [u8]> {
    let len = usize::try_from(read_var(bytes, pos)?).ok()?;
    let end = pos.checked_add(len)?;
    let slice = bytes.get(*pos..end)?;
    *pos = end;
    Some(slice)
}

pub(super) fn sync_message(kind: u64, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 6);
    write_var(&mut out, 0);
    write_var(&mut out, kind);
    write_var(&mut out, payload.len() as u64);
    out.extend_from_slice(payload);
    out
}

/// Latencies one editor observed, in microseconds.
type Samples = Vec<u32>;

struct Editor {
    url: String,
    pad: usize,
    interval: Duration,
    chars: usize,
    start_typing: Instant,
    stop: Instant,
    sent: Arc<Sent>,
    counters: Arc<Counters>,
}

impl Editor {
    async fn run(self) -> Samples {
        match self.session().await {
            Ok(samples) => samples,
            Err(error) => {
                self.counters.errors.fetch_add(1, Ordering::Relaxed);
                eprintln!("editor: {error:#}");
                Vec::new()
            }
        }
    }

    async fn session(&self) -> anyhow::Result<Samples> {
        let (socket, _) = tokio_tungstenite::connect_async(self.url.as_str())
            .await
            .with_context(|| format!("connecting to {}", self.url))?;
        self.counters.connected.fetch_add(1, Ordering::Relaxed);
        let (mut sink, mut stream) = socket.split();
        let doc = Doc::new();
        let client = doc.client_id();
        let text = doc.get_or_insert_text("loadtest");
        let step1 = doc.transact().state_vector().encode_v1();
        sink.send(Message::Binary(sync_message(0, &step1).into()))
            .await?;
        let mut samples = Samples::new();
        let mut ticker = tokio::time::interval_at(
            tokio::time::Instant::from_std(self.start_typing)
                + Duration::from_millis(
                    rand::thread_rng().gen_range(0..self.interval.as_millis().max(1) as u64),
                ),
            self.interval,
        );
        let stop = tokio::time::Instant::from_std(self.stop);
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(stop) => break,
                _ = ticker.tick() => {
                    let update = {
                        let mut txn = doc.transact_mut();
                        let len = text.len(&txn);
                        let at = if len == 0 { 0 } else { rand::thread_rng().gen_range(0..=len) };
                        let typed: String = (0..self.chars).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
                        text.insert(&mut txn, at, &typed);
                        txn.encode_update_v1()
                    };
                    let clock = doc.transact().state_vector().get(&client);
                    let now = Instant::now();
                    if let Ok(mut map) = self.sent.by_hash.write() {
                        map.insert(hash_of(&update), (self.pad, now));
                    }
                    if let Ok(mut map) = self.sent.by_clock.write() {
                        map.insert((client, clock), (self.pad, now));
                    }
                    sink.send(Message::Binary(sync_message(2, &update).into())).await?;
                    self.counters.sent.fetch_add(1, Ordering::Relaxed);
                }
                message = stream.next() => {
                    let Some(message) = message else { bail!("the server closed the connection") };
                    let bytes = match message? {
                        Message::Binary(bytes) => bytes,
                        Message::Close(frame) => bail!("closed by the server: {frame:?}"),
                        _ => continue,
                    };
                    let now = Instant::now();
                    let mut pos = 0;
                    match read_var(&bytes, &mut pos) {
                        Some(0) => {
                            let kind = read_var(&bytes, &mut pos);
                            let payload = read_buf(&bytes, &mut pos).context("truncated sync message")?;
                            match kind {
                                Some(0) => {
                                    // The server's state vector: answer with what it lacks.
                                    let remote = StateVector::decode_v1(payload)?;
                                    let diff = doc.transact().encode_diff_v1(&remote);
                                    sink.send(Message::Binary(sync_message(1, &diff).into())).await?;
                                }
                                Some(2) => {
                                    self.counters.received.fetch_add(1, Ordering::Relaxed);
                                    if let Some(sent_at) = self.sent_at(payload, client) {
                                        let micros = now.saturating_duration_since(sent_at).as_micros();
                                        samples.push(u32::try_from(micros).unwrap_or(u32::MAX));
                                    }
                                }
                                _ => {}
                            }
                        }
                        Some(2) => bail!("permission denied by the server"),
                        _ => {}
                    }
                }
            }
        }
        let _ = sink.send(Message::Close(None)).await;
        Ok(samples)
    }

    /// When the update received was sent by an editor of this pad (not this one).
    fn sent_at(&self, update: &[u8], me: ClientID) -> Option<Instant> {
        if let Some((pad, at)) = self
            .sent
            .by_hash
            .read()
            .ok()?
            .get(&hash_of(update))
            .copied()
        {
            return (pad == self.pad).then_some(at);
        }
        let decoded = Update::decode_v1(update).ok()?;
        let clocks = self.sent.by_clock.read().ok()?;
        let found = decoded
            .state_vector()
            .iter()
            .filter(|(client, _)| **client != me)
            .find_map(|(client, clock)| clocks.get(&(*client, *clock)).copied());
        match found {
            Some((pad, at)) if pad == self.pad => Some(at),
            _ => {
                self.counters.unmatched.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }
}

pub(super) fn http_base(ws_url: &str) -> anyhow::Result<String> {
    let url = url::Url::parse(ws_url).context("--url is not a URL")?;
    let scheme = match url.scheme() {
        "ws" => "http",
        "wss" => "https",
        other => bail!("--url must start with ws:// (not {other}://)"),
    };
    let host = url.host_str().context("--url has no host")?;
    Ok(match url.port() {
        Some(port) => format!("{scheme}://{host}:{port}"),
        None => format!("{scheme}://{host}"),
    })
}

/// Creates `count` link pads through Maille's API (logged in with the token, else anonymously).
pub(super) async fn create_pads(
    base: &str,
    token: Option<&str>,
    count: usize,
) -> anyhow::Result<Vec<String>> {
    let client = reqwest::Client::new();
    let mut csrf = None;
    if let Some(token) = token {
        let session: serde_json::Value = client
            .get(format!("{base}/api/session"))
            .header(
                "Cookie",
                format!("maille_session={token}; __Host-maille_session={token}"),
            )
            .send()
            .await?
            .error_for_status()
            .context("the token is not a live session")?
            .json()
            .await?;
        csrf = session["csrf_token"].as_str().map(str::to_owned);
    }
    let mut ids = Vec::with_capacity(count);
    for n in 0..count {
        let mut request = client
            .post(format!("{base}/api/pads"))
            .header("Origin", base)
            .json(&serde_json::json!({"title": format!("loadtest {n}"), "visibility": "link"}));
        if let (Some(token), Some(csrf)) = (token, &csrf) {
            request = request
                .header(
                    "Cookie",
                    format!("maille_session={token}; __Host-maille_session={token}"),
                )
                .header("X-CSRF-Token", csrf);
        }
        let pad: serde_json::Value = request
            .send()
            .await?
            .error_for_status()
            .context("creating a pad (give --pad ids, or a --token, or allow anonymous pads)")?
            .json()
            .await?;
        ids.push(
            pad["id"]
                .as_str()
                .context("no id in the created pad")?
                .to_owned(),
        );
    }
    Ok(ids)
}

pub(super) fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    f64::from(sorted[rank.min(sorted.len() - 1)]) / 1000.0
}

/// Runs the load and prints the report.
pub async fn run(args: PadsArgs) -> anyhow::Result<()> {
    if args.editors == 0 || args.pads == 0 || args.interval_ms == 0 {
        bail!("--pads, --editors and --interval-ms must be at least 1");
    }
    let pads = if args.pad_ids.is_empty() {
        create_pads(&http_base(&args.url)?, args.token.as_deref(), args.pads).await?
    } else {
        args.pad_ids.clone()
    };
    let sent = Arc::new(Sent::default());
    let counters = Arc::new(Counters::default());
    let editors = pads.len() * args.editors;
    // Everyone connects first (spread over a second per 200 editors), then types together.
    let ramp = Duration::from_millis(1000 + 5 * editors as u64);
    let start_typing = Instant::now() + ramp;
    let stop = start_typing + Duration::from_secs(args.duration);
    let before = args.server_pid.and_then(process::sample);
    let mut tasks = Vec::with_capacity(editors);
    for (index, pad) in pads.iter().enumerate() {
        for _ in 0..args.editors {
            let mut url = format!("{}/{}", args.url.trim_end_matches('/'), pad);
            if let Some(token) = &args.token {
                url.push_str(&format!("?token={token}"));
            }
            tasks.push(tokio::spawn(
                Editor {
                    url,
                    pad: index,
                    interval: Duration::from_millis(args.interval_ms),
                    chars: args.chars,
                    start_typing,
                    stop,
                    sent: sent.clone(),
                    counters: counters.clone(),
                }
                .run(),
            ));
        }
    }
    tokio::time::sleep_until(tokio::time::Instant::from_std(start_typing)).await;
    let typing_started = Instant::now();
    let before = before.or_else(|| args.server_pid.and_then(process::sample));
    let mut samples: Vec<u32> = Vec::new();
    for task in tasks {
        samples.extend(task.await.unwrap_or_default());
    }
    let elapsed = typing_started.elapsed().as_secs_f64().max(0.001);
    let after = args.server_pid.and_then(process::sample);
    samples.sort_unstable();

    let sent_total = counters.sent.load(Ordering::Relaxed);
    let received = counters.received.load(Ordering::Relaxed);
    let mut rows: Vec<(String, String)> = vec![
        (
            "pads x editors".into(),
            format!("{} x {}", pads.len(), args.editors),
        ),
        (
            "editors connected".into(),
            counters.connected.load(Ordering::Relaxed).to_string(),
        ),
        (
            "profile".into(),
            format!("{} chars every {} ms", args.chars, args.interval_ms),
        ),
        (
            "updates sent per second".into(),
            format!("{:.0}", sent_total as f64 / elapsed),
        ),
        (
            "updates received per second".into(),
            format!("{:.0}", received as f64 / elapsed),
        ),
        (
            "fan-out latency p50".into(),
            format!("{:.1} ms", percentile(&samples, 50.0)),
        ),
        (
            "fan-out latency p95".into(),
            format!("{:.1} ms", percentile(&samples, 95.0)),
        ),
        (
            "fan-out latency p99".into(),
            format!("{:.1} ms", percentile(&samples, 99.0)),
        ),
        (
            "fan-out latency max".into(),
            format!("{:.1} ms", percentile(&samples, 100.0)),
        ),
        ("latency samples".into(), samples.len().to_string()),
        (
            "updates not recognised".into(),
            counters.unmatched.load(Ordering::Relaxed).to_string(),
        ),
        (
            "errors (editors that failed)".into(),
            counters.errors.load(Ordering::Relaxed).to_string(),
        ),
    ];
    if let (Some(before), Some(after)) = (before, after) {
        let cpu = after.cpu_seconds - before.cpu_seconds;
        rows.push((
            "server CPU (cores busy)".into(),
            format!("{:.2}", cpu / elapsed),
        ));
        if received > 0 {
            rows.push((
                "server CPU per update received".into(),
                format!("{:.1} us", cpu * 1e6 / received as f64),
            ));
        }
        rows.push((
            "server resident memory".into(),
            format!("{:.1} MB", after.resident_bytes as f64 / 1_048_576.0),
        ));
    }
    if counters.connected.load(Ordering::Relaxed) == 0 {
        bail!("no editor could connect to {}", args.url);
    }
    let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    println!("maille loadtest pads — {:.0} s of typing", elapsed);
    for (name, value) in rows {
        println!("{name:<width$}  {value}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_and_truncation_is_caught() {
        for n in [0u64, 1, 127, 128, 300, 1 << 35] {
            let mut out = Vec::new();
            write_var(&mut out, n);
            let mut pos = 0;
            assert_eq!(read_var(&out, &mut pos), Some(n));
            assert_eq!(pos, out.len());
        }
        let mut pos = 0;
        assert_eq!(read_var(&[0x80, 0x80], &mut pos), None);
        let message = sync_message(2, b"abc");
        let mut pos = 0;
        assert_eq!(read_var(&message, &mut pos), Some(0));
        assert_eq!(read_var(&message, &mut pos), Some(2));
        assert_eq!(read_buf(&message, &mut pos), Some(&b"abc"[..]));
        let mut pos = 0;
        assert_eq!(read_buf(&[5, 1, 2], &mut pos), None);
    }

    #[test]
    fn percentiles_of_sorted_samples() {
        let samples: Vec<u32> = (1..=100).map(|n| n * 1000).collect();
        assert_eq!(percentile(&samples, 50.0), 51.0);
        assert_eq!(percentile(&samples, 100.0), 100.0);
        assert!(percentile(&[], 50.0).is_nan());
    }
}
