//! `maille loadtest federation`: a stub remote instance (served by this process on
//! `localhost`) whose actors send signed `Follow` activities to a Maille user's inbox as fast
//! as the server takes them; then the time until every automatic `Accept` came back to the
//! stub's shared inbox. The server must run with `federation.allow_insecure_http` (and high
//! `federation.inbox_per_second_per_instance`, or it will answer 429 as designed).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use activitypub_federation::config::FederationConfig;
use actix_web::{web, App, HttpResponse, HttpServer};
use anyhow::Context as _;
use clap::Args;
use futures_util::StreamExt;
use maille_federation::SigningActor;
use serde_json::json;
use url::Url;

/// What to run.
#[derive(Debug, Args)]
pub struct FederationArgs {
    /// The server's public URL, e.g. http://localhost:8080.
    #[arg(long)]
    url: String,
    /// The local user the stub's actors follow.
    #[arg(long)]
    user: String,
    /// Activities to send (after one warm-up activity per actor).
    #[arg(long, default_value_t = 2000)]
    activities: usize,
    /// Remote actors sending them (the server fetches each once).
    #[arg(long, default_value_t = 20)]
    actors: usize,
    /// Requests in flight.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
}

/// Runs it and prints the figures.
pub async fn run(args: FederationArgs) -> anyhow::Result<()> {
    maille_federation::policy::install_tls_provider();
    let keys = activitypub_federation::http_signatures::generate_actor_keypair()?;
    let accepts = Arc::new(AtomicUsize::new(0));
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let base = format!("http://localhost:{}", listener.local_addr()?.port());
    let server = {
        let (base, public_key, accepts) = (base.clone(), keys.public_key.clone(), accepts.clone());
        HttpServer::new(move || {
            let (base, public_key, accepts) = (base.clone(), public_key.clone(), accepts.clone());
            App::new()
                .route(
                    "/actors/{n}",
                    web::get().to(move |n: web::Path<usize>| {
                        let (base, key) = (base.clone(), public_key.clone());
                        async move {
                            let id = format!("{base}/actors/{n}");
                            HttpResponse::Ok().content_type("application/activity+json").json(json!({
                                "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
                                "id": id, "type": "Person", "preferredUsername": format!("stub{n}"),
                                "inbox": format!("{id}/inbox"),
                                "endpoints": {"sharedInbox": format!("{base}/inbox")},
                                "publicKey": {"id": format!("{id}#main-key"), "owner": id, "publicKeyPem": key},
                            }))
                        }
                    }),
                )
                .route(
                    "/inbox",
                    web::post().to(move |body: web::Bytes| {
                        let accepts = accepts.clone();
                        async move {
                            if body.windows(8).any(|w| w == b"\"Accept\"") {
                                accepts.fetch_add(1, Ordering::Relaxed);
                            }
                            HttpResponse::Accepted().finish()
                        }
                    }),
                )
        })
        .workers(1)
        .disable_signals()
        .listen(listener)?
        .run()
    };
    let handle = server.handle();
    let stub = tokio::spawn(server);

    let target = Url::parse(&args.url)?;
    let inbox = format!("{}/inbox", args.url.trim_end_matches('/'));
    let followed = format!("{}/ap/users/{}", args.url.trim_end_matches('/'), args.user);
    let host = format!(
        "{}:{}",
        target.host_str().unwrap_or("localhost"),
        target.port_or_known_default().unwrap_or(80)
    );
    let client: reqwest_middleware::ClientWithMiddleware = reqwest_federation::Client::new().into();
    let mut signers = Vec::new();
    for n in 0..args.actors.max(1) {
        let actor = SigningActor {
            id: Url::parse(&format!("{base}/actors/{n}"))?,
            inbox: Url::parse(&format!("{base}/inbox"))?,
            public_key_pem: keys.public_key.clone(),
            private_key_pem: keys.private_key.clone(),
        };
        let config = FederationConfig::builder()
            .domain(base.trim_start_matches("http://"))
            .client(client.clone())
            .app_data(())
            .debug(true)
            .signed_fetch_actor(&actor)
            .build()
            .await
            .context("stub configuration")?;
        signers.push((actor.id, config.to_request_data()));
    }
    let sign = |i: usize| {
        let (actor, data) = &signers[i % signers.len()];
        let body = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{actor}/follows/{i}"), "type": "Follow",
            "actor": actor, "object": followed,
        })
        .to_string();
        let builder = client
            .post(&inbox)
            .header("Content-Type", "application/activity+json")
            .header("Host", host.clone())
            .header("Date", httpdate::fmt_http_date(SystemTime::now()));
        async move { data.sign_request(builder, body.into()).await }
    };
    // Warm-up: one activity per actor, so that the server has fetched every actor.
    for i in 0..signers.len() {
        let status = client.execute(sign(i).await?).await?.status();
        anyhow::ensure!(status.is_success(), "warm-up activity answered {status}");
    }
    let signing = Instant::now();
    let mut requests = Vec::with_capacity(args.activities);
    for i in 0..args.activities {
        requests.push(sign(signers.len() + i).await?);
    }
    let signing = signing.elapsed();
    let accepted_before = accepts.load(Ordering::Relaxed);
    let started = Instant::now();
    let statuses: Vec<u16> = futures_util::stream::iter(requests)
        .map(|request| {
            let client = client.clone();
            async move {
                match client.execute(request).await {
                    Ok(r) => r.status().as_u16(),
                    Err(_) => 0,
                }
            }
        })
        .buffer_unordered(args.concurrency.max(1))
        .collect()
        .await;
    let inbox_time = started.elapsed();
    let ok = statuses.iter().filter(|s| (200..300).contains(*s)).count();
    // Every accepted Follow of the user (automatic approval) is answered with an Accept.
    let expected = signers.len() + args.activities;
    let deadline = Instant::now() + Duration::from_secs(120);
    while accepts.load(Ordering::Relaxed) < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let delivery_time = started.elapsed();
    let delivered = accepts.load(Ordering::Relaxed);
    println!("federation inbox and delivery, against {}", args.url);
    println!(
        "  signing {} activities (client side, not counted): {:.2} s",
        args.activities,
        signing.as_secs_f64()
    );
    println!("  inbox: {ok}/{} accepted in {:.2} s = {:.0} signed activities verified and processed per second",
        args.activities, inbox_time.as_secs_f64(), ok as f64 / inbox_time.as_secs_f64().max(1e-9));
    let refused = statuses.len() - ok;
    if refused > 0 {
        let mut codes: Vec<u16> = statuses
            .iter()
            .copied()
            .filter(|s| !(200..300).contains(s))
            .collect();
        codes.sort_unstable();
        codes.dedup();
        println!("  refused: {refused} (statuses {codes:?})");
    }
    println!("  delivery: {} of {} Accepts back at the stub's inbox after {:.2} s ({} before the timed part)",
        delivered - accepted_before.min(delivered), expected - accepted_before.min(expected),
        delivery_time.as_secs_f64(), accepted_before);
    handle.stop(false).await;
    let _ = stub.await;
    Ok(())
}
