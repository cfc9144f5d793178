//! `maille loadtest federation-fanout`: a fleet of stub instances on `localhost` (one HTTP
//! server and port each), each with a few actors who follow one Maille user; then the user
//! changes their profile and Maille sends one `Update` to every follower's instance. Every
//! stub inbox verifies the HTTP signature of what it receives against the user's published
//! key (with activitypub_federation) and counts only what verifies.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use activitypub_federation::config::{Data, FederationConfig};
use activitypub_federation::traits::{Actor, Object};
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use anyhow::Context as _;
use clap::Args;
use futures_util::StreamExt;
use maille_federation::SigningActor;
use serde_json::{json, Value};
use url::Url;

/// What to run.
#[derive(Debug, Args)]
pub struct FanoutArgs {
    /// The server's public URL, e.g. http://localhost:8080.
    #[arg(long)]
    url: String,
    /// The local user who is followed and changes their profile.
    #[arg(long)]
    user: String,
    /// Their password (to change the profile through the API).
    #[arg(long)]
    password: String,
    /// Stub instances.
    #[arg(long, default_value_t = 100)]
    instances: usize,
    /// Followers in all, spread evenly over the instances.
    #[arg(long, default_value_t = 1000)]
    followers: usize,
}

/// Keys the stubs learnt, by actor id.
type Keys = Arc<Mutex<HashMap<Url, String>>>;

/// The sender of a request a stub receives.
#[derive(Debug, Clone)]
struct Sender {
    id: Url,
    key: String,
}

#[async_trait::async_trait]
impl Object for Sender {
    type DataType = Keys;
    type Kind = Value;
    type Error = activitypub_federation::error::Error;

    fn id(&self) -> &Url {
        &self.id
    }

    async fn read_from_id(id: Url, data: &Data<Keys>) -> Result<Option<Self>, Self::Error> {
        let keys = data.app_data().lock().map_err(|_| Self::Error::NotFound)?;
        Ok(keys.get(&id).map(|key| Sender {
            id: id.clone(),
            key: key.clone(),
        }))
    }

    async fn into_json(self, _data: &Data<Keys>) -> Result<Value, Self::Error> {
        Err(Self::Error::NotFound)
    }

    async fn verify(_json: &Value, _expected: &Url, _data: &Data<Keys>) -> Result<(), Self::Error> {
        Ok(())
    }

    async fn from_json(json: Value, data: &Data<Keys>) -> Result<Self, Self::Error> {
        let id: Url = json["id"].as_str().unwrap_or_default().parse()?;
        let key = json["publicKey"]["publicKeyPem"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if let Ok(mut keys) = data.app_data().lock() {
            keys.insert(id.clone(), key.clone());
        }
        Ok(Sender { id, key })
    }
}

impl Actor for Sender {
    fn public_key_pem(&self) -> &str {
        &self.key
    }
    fn private_key_pem(&self) -> Option<String> {
        None
    }
    fn inbox(&self) -> Url {
        self.id.clone()
    }
}

/// What the fleet received and verified.
#[derive(Default)]
struct Tally {
    accepts: AtomicUsize,
    updates: AtomicUsize,
    bad_signatures: AtomicUsize,
}

async fn stub_inbox(
    request: HttpRequest,
    body: web::Bytes,
    config: web::Data<FederationConfig<Keys>>,
    tally: web::Data<Tally>,
) -> HttpResponse {
    let data = config.to_request_data();
    if activitypub_federation::actix_web::signing_actor::<Sender>(
        &request,
        Some(body.clone()),
        &data,
    )
    .await
    .is_err()
    {
        tally.bad_signatures.fetch_add(1, Ordering::Relaxed);
        return HttpResponse::Unauthorized().finish();
    }
    let kind = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v["type"].as_str().map(str::to_owned));
    match kind.as_deref() {
        Some("Accept") => tally.accepts.fetch_add(1, Ordering::Relaxed),
        Some("Update") => tally.updates.fetch_add(1, Ordering::Relaxed),
        _ => 0,
    };
    HttpResponse::Accepted().finish()
}

/// Runs it and prints the figures.
pub async fn run(args: FanoutArgs) -> anyhow::Result<()> {
    maille_federation::policy::install_tls_provider();
    let client: reqwest_middleware::ClientWithMiddleware = reqwest_federation::Client::new().into();
    let keys = activitypub_federation::http_signatures::generate_actor_keypair()?;
    let learnt: Keys = Arc::default();
    let tally = web::Data::new(Tally::default());
    let verifier = FederationConfig::builder()
        .domain("localhost")
        .client(client.clone())
        .app_data(learnt.clone())
        .debug(true)
        .build()
        .await
        .context("stub configuration")?;
    let instances = args.instances.max(1);
    let per_instance = args.followers.div_ceil(instances);
    let mut servers = Vec::new();
    let mut actors = Vec::new();
    for _ in 0..instances {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let base = format!("http://localhost:{}", listener.local_addr()?.port());
        let (b, public_key, verifier, tally) = (
            base.clone(),
            keys.public_key.clone(),
            verifier.clone(),
            tally.clone(),
        );
        let server = HttpServer::new(move || {
            let (base, key) = (b.clone(), public_key.clone());
            App::new()
                .app_data(web::Data::new(verifier.clone()))
                .app_data(tally.clone())
                .route("/inbox", web::post().to(stub_inbox))
                .route(
                    "/actors/{n}",
                    web::get().to(move |n: web::Path<usize>| {
                        let (base, key) = (base.clone(), key.clone());
                        async move {
                            let id = format!("{base}/actors/{n}");
                            HttpResponse::Ok().content_type("application/activity+json").json(json!({
                                "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
                                "id": id, "type": "Person", "preferredUsername": format!("f{n}"),
                                "inbox": format!("{id}/inbox"),
                                "endpoints": {"sharedInbox": format!("{base}/inbox")},
                                "publicKey": {"id": format!("{id}#main-key"), "owner": id, "publicKeyPem": key},
                            }))
                        }
                    }),
                )
        })
        .workers(1)
        .disable_signals()
        .listen(listener)?
        .run();
        servers.push((server.handle(), tokio::spawn(server)));
        for n in 0..per_instance {
            if actors.len() < args.followers {
                actors.push(format!("{base}/actors/{n}"));
            }
        }
    }

    // Every stub actor follows the user (automatic acceptance): Follows in, Accepts out.
    let target = Url::parse(&args.url)?;
    let origin = args.url.trim_end_matches('/').to_owned();
    let host = format!(
        "{}:{}",
        target.host_str().unwrap_or("localhost"),
        target.port_or_known_default().unwrap_or(80)
    );
    let followed = format!("{origin}/ap/users/{}", args.user);
    let started = Instant::now();
    let statuses: Vec<u16> = futures_util::stream::iter(actors.iter().enumerate())
        .map(|(i, actor)| {
            let (client, followed, host, keys, origin) =
                (client.clone(), followed.clone(), host.clone(), keys.clone(), origin.clone());
            async move {
                let signer = SigningActor {
                    id: Url::parse(actor).ok()?,
                    inbox: Url::parse(&format!("{actor}/inbox")).ok()?,
                    public_key_pem: keys.public_key.clone(),
                    private_key_pem: keys.private_key.clone(),
                };
                let config = FederationConfig::builder()
                    .domain("localhost")
                    .client(client.clone())
                    .app_data(())
                    .debug(true)
                    .signed_fetch_actor(&signer)
                    .build()
                    .await
                    .ok()?;
                let body = json!({"@context": "https://www.w3.org/ns/activitystreams",
                    "id": format!("{actor}/follows/{i}"), "type": "Follow", "actor": actor, "object": followed})
                .to_string();
                let builder = client
                    .post(format!("{origin}/inbox"))
                    .header("Content-Type", "application/activity+json")
                    .header("Host", host)
                    .header("Date", httpdate::fmt_http_date(SystemTime::now()));
                let request = config.to_request_data().sign_request(builder, body.into()).await.ok()?;
                Some(client.execute(request).await.ok()?.status().as_u16())
            }
        })
        .buffer_unordered(16)
        .map(|s| s.unwrap_or(0))
        .collect()
        .await;
    let followed_ok = statuses.iter().filter(|s| (200..300).contains(*s)).count();
    let deadline = Instant::now() + Duration::from_secs(300);
    while tally.accepts.load(Ordering::Relaxed) < followed_ok && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let follow_phase = started.elapsed();

    // One Update to every follower: the user changes their profile.
    let http = reqwest::Client::builder().cookie_store(true).build()?;
    let session: Value = http
        .post(format!("{origin}/api/session"))
        .header("Origin", &origin)
        .json(&json!({"login": args.user, "password": args.password}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let csrf = session["csrf_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let started = Instant::now();
    http.put(format!("{origin}/api/federation/profile"))
        .header("Origin", &origin)
        .header("X-CSRF-Token", csrf)
        .json(&json!({"manual_approval": false}))
        .send()
        .await?
        .error_for_status()?;
    let deadline = Instant::now() + Duration::from_secs(120);
    while tally.updates.load(Ordering::Relaxed) < instances && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let fanout = started.elapsed();
    let updates = tally.updates.load(Ordering::Relaxed);

    println!("federation fan-out, against {}", args.url);
    println!("  follows: {followed_ok}/{} followers on {instances} stub instances accepted; {} Accepts verified, in {:.2} s",
        actors.len(), tally.accepts.load(Ordering::Relaxed), follow_phase.as_secs_f64());
    println!("  one Update to {} followers: {updates}/{instances} instances received it, signature verified, in {:.2} s",
        actors.len(), fanout.as_secs_f64());
    println!(
        "  signatures that did not verify: {}",
        tally.bad_signatures.load(Ordering::Relaxed)
    );
    for (handle, task) in servers {
        handle.stop(false).await;
        let _ = task.await;
    }
    Ok(())
}
