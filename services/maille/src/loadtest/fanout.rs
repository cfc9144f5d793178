//! `maille loadtest federation-fanout`: a fleet of stub instances on `localhost` (one HTTP
//! server and port each), each with a few actors who follow one Maille user; then the user
//! changes their profile and Maille sends one `Update` to every follower's instance. Every
//! stub inbox verifies the HTTP signature of what it receives against the user's published
//! key (with activitypub_federation) and counts only what verifies.
//!
//! With `--serve`, the load generator starts the server itself (`maille serve`, this same
//! program, with the environment it was given), and after the timed fan-out sends a second
//! `Update` and kills the server with SIGKILL once half the instances have it, restarts it on
//! the same database, and counts that every instance still receives it: lost, and duplicates
//! (the deliveries in flight at the kill, sent again with the same activity id).

use std::collections::{HashMap, HashSet};
use std::process::{Child, Command, Stdio};
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
    /// Start the server here (`maille serve` with this environment, which must give it the
    /// address of `--url`), and kill it with SIGKILL in the middle of a second fan-out.
    #[arg(long)]
    serve: bool,
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
    bad_signatures: AtomicUsize,
    /// Copies of each `Update` received, by activity id, then by instance.
    updates: Mutex<HashMap<String, HashMap<usize, usize>>>,
    /// Kills the server when an `Update` not among `known` reached `at` instances.
    trigger: Mutex<Option<Trigger>>,
}

struct Trigger {
    known: HashSet<String>,
    at: usize,
    server: Arc<Mutex<Option<Child>>>,
}

impl Tally {
    /// Instances that received the `Update` `id` (once or more), and the copies in all.
    fn update(&self, id: &str) -> (usize, usize) {
        let updates = self
            .updates
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        updates.get(id).map_or((0, 0), |by_instance| {
            (by_instance.len(), by_instance.values().sum())
        })
    }

    /// The ids of the `Update`s received so far.
    fn update_ids(&self) -> HashSet<String> {
        self.updates
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .keys()
            .cloned()
            .collect()
    }

    /// Counts an `Update` received by `instance`, and fires the trigger when it is due.
    fn received_update(&self, id: String, instance: usize) {
        let reached = {
            let mut updates = self
                .updates
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let by_instance = updates.entry(id.clone()).or_default();
            *by_instance.entry(instance).or_default() += 1;
            by_instance.len()
        };
        let mut trigger = self
            .trigger
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if trigger
            .as_ref()
            .is_some_and(|t| !t.known.contains(&id) && reached >= t.at)
        {
            if let Some(t) = trigger.take() {
                kill(&t.server);
            }
        }
    }

    fn updates_total(&self) -> usize {
        self.updates
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .values()
            .map(|by_instance| by_instance.values().sum::<usize>())
            .sum()
    }
}

/// The server this load generator started (`--serve`): killed when dropped.
struct Server {
    child: Arc<Mutex<Option<Child>>>,
    url: String,
}

impl Server {
    async fn start(url: &str) -> anyhow::Result<Server> {
        let server = Server {
            child: Arc::default(),
            url: url.trim_end_matches('/').to_owned(),
        };
        server.spawn().await?;
        Ok(server)
    }

    /// Starts `maille serve` and waits until it answers `/healthz`; returns the time it took.
    async fn spawn(&self) -> anyhow::Result<Duration> {
        let began = Instant::now();
        let child = Command::new(std::env::current_exe()?)
            .arg("serve")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting maille serve")?;
        *self
            .child
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(child);
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(1))
            .build()?;
        loop {
            let ok = http
                .get(format!("{}/healthz", self.url))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ok {
                return Ok(began.elapsed());
            }
            let exited = self
                .child
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .as_mut()
                .map(|c| c.try_wait().ok().flatten());
            if let Some(Some(status)) = exited {
                anyhow::bail!("maille serve exited: {status}");
            }
            anyhow::ensure!(
                began.elapsed() < Duration::from_secs(60),
                "maille serve did not answer /healthz within 60 s"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    fn is_running(&self) -> bool {
        self.child
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .is_some()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        kill(&self.child);
    }
}

/// Kills the server in `slot`, if one runs there, and reaps it. `Child::kill` is SIGKILL on
/// Unix: no chance to finish anything.
fn kill(slot: &Mutex<Option<Child>>) {
    let child = slot
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take();
    if let Some(mut child) = child {
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// Logs in as the user, for the profile changes that send the `Update`s.
async fn log_in(
    origin: &str,
    user: &str,
    password: &str,
) -> anyhow::Result<(reqwest::Client, String)> {
    let http = reqwest::Client::builder().cookie_store(true).build()?;
    let session: Value = http
        .post(format!("{origin}/api/session"))
        .header("Origin", origin)
        .json(&json!({"login": user, "password": password}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let csrf = session["csrf_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    Ok((http, csrf))
}

/// Changes the user's profile, which sends one `Update` to every follower's instance. An
/// error is returned as such: the server may be killed while it answers.
async fn change_profile(
    http: &reqwest::Client,
    origin: &str,
    csrf: &str,
    manual_approval: bool,
) -> anyhow::Result<()> {
    http.put(format!("{origin}/api/federation/profile"))
        .header("Origin", origin)
        .header("X-CSRF-Token", csrf)
        .json(&json!({"manual_approval": manual_approval}))
        .send()
        .await?
        .error_for_status()?;
    Ok(())
}

/// Waits until some `Update` not in `known` appears, then until `instances` have it, or the
/// deadline; returns its id.
async fn wait_for_update(
    tally: &Tally,
    known: &HashSet<String>,
    instances: usize,
    deadline: Instant,
) -> Option<String> {
    let mut id = None;
    while Instant::now() < deadline {
        if id.is_none() {
            id = tally.update_ids().into_iter().find(|i| !known.contains(i));
        }
        if let Some(id) = &id {
            if tally.update(id).0 >= instances {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    id
}

async fn stub_inbox(
    request: HttpRequest,
    body: web::Bytes,
    config: web::Data<FederationConfig<Keys>>,
    tally: web::Data<Tally>,
    instance: web::Data<usize>,
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
    let activity = serde_json::from_slice::<Value>(&body).unwrap_or_default();
    match activity["type"].as_str() {
        Some("Accept") => {
            tally.accepts.fetch_add(1, Ordering::Relaxed);
        }
        Some("Update") => {
            let id = activity["id"].as_str().unwrap_or_default().to_owned();
            tally.received_update(id, **instance);
        }
        _ => {}
    }
    HttpResponse::Accepted().finish()
}

/// Runs it and prints the figures.
pub async fn run(args: FanoutArgs) -> anyhow::Result<()> {
    maille_federation::policy::install_tls_provider();
    let server = if args.serve {
        Some(Server::start(&args.url).await?)
    } else {
        None
    };
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
    for instance in 0..instances {
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
                .app_data(web::Data::new(instance))
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
    let (http, csrf) = log_in(&origin, &args.user, &args.password).await?;
    let known = tally.update_ids();
    let started = Instant::now();
    change_profile(&http, &origin, &csrf, false).await?;
    let deadline = Instant::now() + Duration::from_secs(120);
    let first = wait_for_update(&tally, &known, instances, deadline).await;
    let fanout = started.elapsed();
    let (updates, copies) = first.as_deref().map_or((0, 0), |id| tally.update(id));

    println!("federation fan-out, against {}", args.url);
    println!("  follows: {followed_ok}/{} followers on {instances} stub instances accepted; {} Accepts verified, in {:.2} s",
        actors.len(), tally.accepts.load(Ordering::Relaxed), follow_phase.as_secs_f64());
    println!("  one Update to {} followers: {updates}/{instances} instances received it ({copies} copies), signature verified, in {:.2} s",
        actors.len(), fanout.as_secs_f64());

    if let Some(server) = &server {
        // Another Update; SIGKILL once half the instances have it; restart; count.
        let known = tally.update_ids();
        let kill_at = instances.div_ceil(2);
        *tally
            .trigger
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Trigger {
            known: known.clone(),
            at: kill_at,
            server: server.child.clone(),
        });
        let started = Instant::now();
        // The answer may be cut by the kill; the change was committed before any delivery.
        let _ = change_profile(&http, &origin, &csrf, true).await;
        let deadline = Instant::now() + Duration::from_secs(60);
        while server.is_running() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        anyhow::ensure!(
            !server.is_running(),
            "the second Update never reached {kill_at} instances: the server was not killed"
        );
        let killed_after = started.elapsed();
        let id = tally
            .update_ids()
            .into_iter()
            .find(|i| !known.contains(i))
            .context("no second Update received")?;
        let (before_kill, copies_before_kill) = tally.update(&id);
        let restart = server.spawn().await?;
        let deadline = Instant::now() + Duration::from_secs(120);
        while tally.update(&id).0 < instances && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let all = started.elapsed();
        // A few more seconds, for late repeats to show up in the count.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let (received, copies) = tally.update(&id);
        let followers_reached = {
            let updates = tally
                .updates
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            updates.get(&id).map_or(0, |by_instance| {
                by_instance
                    .keys()
                    .map(|i| per_instance.min(actors.len().saturating_sub(i * per_instance)))
                    .sum::<usize>()
            })
        };
        println!("  another Update, the sender killed (SIGKILL) after {before_kill}/{instances} instances had it ({copies_before_kill} copies), {:.2} s in; restarted on the same database in {:.2} s",
            killed_after.as_secs_f64(), restart.as_secs_f64());
        println!("  after the restart: {received}/{instances} instances ({followers_reached}/{} followers) received it, lost {}, duplicates {} (same activity id, sent again), all within {:.2} s",
            actors.len(), instances - received, copies - received, all.as_secs_f64());
    }
    println!(
        "  signatures that did not verify: {}; Updates received in all: {}",
        tally.bad_signatures.load(Ordering::Relaxed),
        tally.updates_total()
    );
    for (handle, task) in servers {
        handle.stop(false).await;
        let _ = task.await;
    }
    Ok(())
}
