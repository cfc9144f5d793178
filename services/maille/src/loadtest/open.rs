//! `maille loadtest open-pad`: how long opening a pad with a long history takes.
//!
//! It creates a pad and types `--updates` updates into it over plain y-websocket, as an editor
//! would in the web editor (one character at a time into paragraphs of the `default`
//! fragment, with a backspace now and then and a new paragraph every line), waiting for
//! Maille's acknowledgement that all are stored. Then it leaves, waits until the server has
//! unloaded the pad (which compacts its log into a snapshot), and opens it `--runs` times, each
//! time from unloaded: the time measured runs from the start of the connection to the receipt
//! of sync step 2, the whole document. The server must run on this machine (its `/metrics`
//! tells when the pad is unloaded) with a short `pads.idle_unload_seconds` and an update rate
//! limit above the typing speed here.

use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use clap::Args;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{
    Doc, GetString, StateVector, Text, Transact, Update, XmlElementPrelim, XmlFragment, XmlOut,
    XmlTextPrelim,
};

use super::idle::{wait_loaded, Socket};
use super::pads::{create_pads, http_base, read_buf, read_var, sync_message};

/// What to run.
#[derive(Debug, Args)]
pub struct OpenPadArgs {
    /// The y-websocket endpoint of a Maille server, e.g. ws://127.0.0.1:8080/ws/pads.
    #[arg(long)]
    url: String,
    /// Updates typed into the pad before it is opened.
    #[arg(long, default_value_t = 100_000)]
    updates: usize,
    /// Times the pad is opened (each time after it was unloaded).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Seconds to wait for the server to unload the pad.
    #[arg(long, default_value_t = 120)]
    unload_timeout: u64,
    /// A session token (sent as the `token` query parameter, and used to create the pad).
    #[arg(long)]
    token: Option<String>,
}

/// The editor's updates: typing into paragraphs, as TipTap writes them.
fn typing(count: usize) -> Vec<Vec<u8>> {
    let doc = Doc::new();
    let fragment = doc.get_or_insert_xml_fragment("default");
    let mut updates = Vec::with_capacity(count);
    let mut line = 0u32;
    let mut paragraph = None;
    for n in 0..count {
        let mut txn = doc.transact_mut();
        let text = match &paragraph {
            Some(text) if line < 70 => text,
            _ => {
                // A new paragraph (Enter).
                let index = fragment.len(&txn);
                let element =
                    fragment.insert(&mut txn, index, XmlElementPrelim::empty("paragraph"));
                let text = element.insert(&mut txn, 0, XmlTextPrelim::new(""));
                line = 0;
                paragraph = Some(text);
                updates.push(txn.encode_update_v1());
                continue;
            }
        };
        if n % 20 == 19 && line > 0 {
            // A typo, corrected.
            text.remove_range(&mut txn, line - 1, 1);
            line -= 1;
        } else {
            let c = char::from(b'a' + (n % 26) as u8);
            text.insert(&mut txn, line, c.encode_utf8(&mut [0; 4]));
            line += 1;
        }
        updates.push(txn.encode_update_v1());
    }
    updates
}

fn connect_url(args: &OpenPadArgs, id: &str, acks: bool) -> String {
    let mut url = format!("{}/{}", args.url.trim_end_matches('/'), id);
    let mut sep = '?';
    if acks {
        url.push_str("?acks=1");
        sep = '&';
    }
    if let Some(token) = &args.token {
        url.push_str(&format!("{sep}token={token}"));
    }
    url
}

/// Types `updates` into the pad at `url`; returns once all are stored.
async fn type_into(url: &str, updates: Vec<Vec<u8>>) -> anyhow::Result<()> {
    let (socket, _) = tokio_tungstenite::connect_async(url)
        .await
        .with_context(|| format!("connecting to {url}"))?;
    let (mut sink, mut stream) = socket.split();
    // Every update-carrying message is acknowledged, the sync step 2 answer included.
    let expected = updates.len() as u64 + 1;
    let reader = tokio::spawn(async move {
        while let Some(message) = stream.next().await {
            let bytes = match message? {
                Message::Binary(bytes) => bytes,
                Message::Close(frame) => bail!("closed by the server: {frame:?}"),
                _ => continue,
            };
            let mut pos = 0;
            match read_var(&bytes, &mut pos) {
                Some(100) if read_var(&bytes, &mut pos).is_some_and(|n| n >= expected) => {
                    return Ok(stream);
                }
                Some(2) => bail!("permission denied by the server"),
                _ => {}
            }
        }
        bail!("the server closed the connection before storing everything")
    });
    // An empty state vector: the pad is new, there is nothing to ask for.
    let empty = StateVector::default().encode_v1();
    sink.send(Message::Binary(sync_message(1, &[0, 0]).into()))
        .await?;
    sink.send(Message::Binary(sync_message(0, &empty).into()))
        .await?;
    for update in updates {
        sink.send(Message::Binary(sync_message(2, &update).into()))
            .await?;
    }
    let stream = reader.await??;
    let mut socket = sink.reunite(stream)?;
    let _ = socket.close(None).await;
    Ok(())
}

/// Opens the pad at `url`; returns the time to sync step 2 and the document's text length.
async fn open_once(url: &str) -> anyhow::Result<(Duration, usize, usize)> {
    let began = Instant::now();
    let (mut socket, _): (Socket, _) = tokio_tungstenite::connect_async(url)
        .await
        .with_context(|| format!("connecting to {url}"))?;
    let empty = StateVector::default().encode_v1();
    socket
        .send(Message::Binary(sync_message(0, &empty).into()))
        .await?;
    while let Some(message) = socket.next().await {
        let bytes = match message? {
            Message::Binary(bytes) => bytes,
            Message::Close(frame) => bail!("closed by the server: {frame:?}"),
            _ => continue,
        };
        let mut pos = 0;
        if read_var(&bytes, &mut pos) == Some(0) && read_var(&bytes, &mut pos) == Some(1) {
            let took = began.elapsed();
            let payload = read_buf(&bytes, &mut pos).context("truncated sync message")?;
            let doc = Doc::new();
            let fragment = doc.get_or_insert_xml_fragment("default");
            doc.transact_mut()
                .apply_update(Update::decode_v1(payload)?)?;
            let txn = doc.transact();
            let characters = fragment
                .children(&txn)
                .filter_map(|child| match child {
                    XmlOut::Element(paragraph) => Some(paragraph),
                    _ => None,
                })
                .flat_map(|paragraph| paragraph.children(&txn).collect::<Vec<_>>())
                .map(|child| match child {
                    XmlOut::Text(text) => text.get_string(&txn).len(),
                    _ => 0,
                })
                .sum();
            let _ = socket.close(None).await;
            return Ok((took, payload.len(), characters));
        }
    }
    bail!("the server closed the connection before sync step 2")
}

/// Runs the measure and prints the report.
pub async fn run(args: OpenPadArgs) -> anyhow::Result<()> {
    if args.updates == 0 || args.runs == 0 {
        bail!("--updates and --runs must be at least 1");
    }
    let base = http_base(&args.url)?;
    let client = reqwest::Client::new();
    let id = create_pads(&base, args.token.as_deref(), 1)
        .await?
        .pop()
        .context("no pad created")?;
    let updates = typing(args.updates);
    let count = updates.len();
    let began = Instant::now();
    type_into(&connect_url(&args, &id, true), updates).await?;
    let typed_in = began.elapsed();
    let timeout = Duration::from_secs(args.unload_timeout);
    let mut times = Vec::with_capacity(args.runs);
    let mut sizes = (0, 0);
    for _ in 0..args.runs {
        if wait_loaded(&client, &base, |n| n == 0, timeout).await? != 0 {
            bail!("the pad was not unloaded within {} s", args.unload_timeout);
        }
        let (took, bytes, characters) = open_once(&connect_url(&args, &id, false)).await?;
        times.push(took);
        sizes = (bytes, characters);
    }
    times.sort_unstable();
    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
    let rows: Vec<(String, String)> = vec![
        (
            "updates stored".into(),
            format!("{count} in {:.1} s", typed_in.as_secs_f64()),
        ),
        (
            "document".into(),
            format!("{} characters, {} bytes as one update", sizes.1, sizes.0),
        ),
        (
            "opened (each from unloaded)".into(),
            format!("{} times", times.len()),
        ),
        (
            "open, connect to sync step 2, median".into(),
            ms(times[times.len() / 2]),
        ),
        (
            "open, connect to sync step 2, max".into(),
            ms(times[times.len() - 1]),
        ),
    ];
    let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    println!("maille loadtest open-pad");
    for (name, value) in rows {
        println!("{name:<width$}  {value}");
    }
    Ok(())
}
