//! The REST API of signing in with one's home instance, and of adding people of other
//! instances to a space.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use maille_accounts::{remote, users as accounts_users, CurrentUser, SessionBody};
use maille_spaces::{MemberView, SpaceRole};
use serde::{Deserialize, Serialize};
use url::{Host, Url};
use utoipa::{IntoParams, ToSchema};

use super::assertion::{self, Claims};
use super::{
    browser_cookie, browser_cookie_name, fetch_person, identity_of, parse_handle, resolve,
    safe_return_to, store_request, take_request, SignInRequest, REQUEST_LIFETIME,
};
use crate::actors::{ActorKind, LocalActor};
use crate::error::{FederationError, Result};
use crate::urls::authority;
use crate::{Federation, RemoteActor};

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(start)
        .service(finish)
        .service(preview_authorization)
        .service(authorize)
        .service(add_remote_member);
}

/// Where to send the browser next.
#[derive(Debug, Serialize, ToSchema)]
pub struct Redirect {
    /// An absolute URL to open.
    pub redirect: String,
}

/// The start of a sign-in with one's home instance.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartSignIn {
    /// `@name@host`: the account on the home instance.
    pub handle: String,
    /// A path on this instance to open once signed in (default `/`).
    pub return_to: Option<String>,
}

/// Starts a sign-in with one's home instance: resolves the handle by WebFinger, remembers a
/// single-use nonce bound to this browser (cookie) and answers with the URL of the home
/// instance's confirmation page.
#[utoipa::path(post, path = "/api/federation/home-sign-in", tag = "federation",
    request_body = StartSignIn,
    responses((status = 200, body = Redirect), (status = 403, body = maille_http::ErrorBody),
              (status = 422, body = maille_http::ErrorBody), (status = 502, body = maille_http::ErrorBody)))]
#[post("/api/federation/home-sign-in")]
pub async fn start(
    federation: web::Data<Federation>,
    body: web::Json<StartSignIn>,
) -> Result<HttpResponse> {
    let context = federation.context();
    if !context.is_on() {
        return Err(FederationError::Off);
    }
    let body = body.into_inner();
    let (name, domain) = parse_handle(&body.handle, context.urls.domain())?;
    let (actor, json) = resolve(&federation, &name, &domain).await?;
    let endpoint = json
        .endpoints
        .as_ref()
        .and_then(|e| e.maille_home_sign_in.clone())
        .ok_or_else(|| {
            FederationError::invalid(
                "handle",
                "that instance does not offer signing in elsewhere with its accounts",
            )
        })?;
    if authority(&endpoint).as_deref() != Some(domain.as_str())
        || !matches!(endpoint.scheme(), "https" | "http")
    {
        return Err(FederationError::BadActivity(format!(
            "{} sends sign-ins to another instance",
            actor.ap_url
        )));
    }
    let nonce = maille_accounts::generate_token();
    let browser_secret = maille_accounts::generate_token();
    let now = maille_database::now();
    let request = SignInRequest {
        nonce_hash: maille_accounts::token_digest(&nonce),
        browser_hash: maille_accounts::token_digest(&browser_secret),
        actor_id: actor.ap_url.to_string(),
        return_to: safe_return_to(body.return_to.as_deref()),
        created_at: now,
        expires_at: now + REQUEST_LIFETIME,
    };
    federation
        .database()
        .transaction(move |conn| store_request(conn, &request))
        .await?;
    let mut redirect = endpoint;
    redirect
        .query_pairs_mut()
        .clear()
        .append_pair("audience", context.urls.origin())
        .append_pair("nonce", &nonce)
        .append_pair("callback", context.urls.home_sign_in_finish().as_str())
        .append_pair("handle", &format!("{name}@{domain}"));
    tracing::info!(actor = %actor.ap_url, "home sign-in started");
    Ok(HttpResponse::Ok()
        .cookie(browser_cookie(federation.settings(), &browser_secret))
        .insert_header(("Cache-Control", "no-store"))
        .json(Redirect {
            redirect: redirect.to_string(),
        }))
}

/// The proof brought back from the home instance.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FinishSignIn {
    /// The signed assertion (`payload.signature`, base64url).
    pub assertion: String,
}

/// A session opened by a sign-in with one's home instance.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignedIn {
    /// The session, as a password login answers it.
    #[serde(flatten)]
    #[schema(inline)]
    pub session: SessionBody,
    /// The path to open now.
    pub return_to: String,
}

/// Finishes a sign-in with one's home instance: takes the nonce (single use, same browser),
/// checks the assertion's audience and times, fetches the subject's actor document from its
/// own instance and checks the signature with its key, then opens a session on the person's
/// account here (`name@host`), made on their first visit.
#[utoipa::path(post, path = "/api/federation/home-sign-in/finish", tag = "federation",
    request_body = FinishSignIn,
    responses((status = 200, body = SignedIn), (status = 401, body = maille_http::ErrorBody),
              (status = 403, body = maille_http::ErrorBody), (status = 502, body = maille_http::ErrorBody)))]
#[post("/api/federation/home-sign-in/finish")]
pub async fn finish(
    federation: web::Data<Federation>,
    req: HttpRequest,
    body: web::Json<FinishSignIn>,
) -> Result<HttpResponse> {
    match verify_and_open(&federation, &req, &body.assertion).await {
        Ok((session_cookie, signed_in)) => {
            let mut gone = browser_cookie(federation.settings(), "");
            gone.make_removal();
            Ok(HttpResponse::Ok()
                .cookie(session_cookie)
                .cookie(gone)
                .insert_header(("Cache-Control", "no-store"))
                .json(signed_in))
        }
        Err(error) => {
            tracing::info!(reason = %error, "home sign-in refused");
            Err(error)
        }
    }
}

async fn verify_and_open(
    federation: &Federation,
    req: &HttpRequest,
    token: &str,
) -> Result<(actix_web::cookie::Cookie<'static>, SignedIn)> {
    let context = federation.context();
    if !context.is_on() {
        return Err(FederationError::Off);
    }
    let unverified = assertion::read(token.trim())?;
    let secret = req
        .cookie(browser_cookie_name(federation.settings()))
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            FederationError::SignInRefused("no sign-in under way in this browser".to_owned())
        })?;
    let now = maille_database::now();
    let nonce = unverified.claims.nonce.clone();
    let request = federation
        .database()
        .transaction(move |conn| take_request(conn, &nonce, &secret, now))
        .await?;
    let claims = &unverified.claims;
    if claims.sub != request.actor_id {
        return Err(FederationError::SignInRefused(format!(
            "signed for {} where {} was expected",
            claims.sub, request.actor_id
        )));
    }
    unverified.check_times_and_audience(context.urls.origin(), now)?;
    let subject = Url::parse(&claims.sub)?;
    if claims.iss != subject.origin().ascii_serialization() {
        return Err(FederationError::SignInRefused(format!(
            "issued by {} for an actor of {}",
            claims.iss,
            subject.origin().ascii_serialization()
        )));
    }
    // The key comes from the subject's own instance, fetched here: never from the browser.
    let json = fetch_person(&federation.data(), &subject).await?;
    unverified.verify_signature(&json.public_key.public_key_pem)?;
    let identity = identity_of(&json)?;
    let language = federation.settings().default_language.code();
    let user = federation
        .database()
        .transaction(move |conn| {
            RemoteActor::upsert(conn, &json, now)?;
            Ok::<_, FederationError>(remote::find_or_create(conn, &identity, language, now)?)
        })
        .await?;
    if user.disabled {
        return Err(FederationError::Accounts(
            maille_accounts::AccountsError::AccountDisabled,
        ));
    }
    tracing::info!(actor = %subject, user = %user.id, "home sign-in: session opened");
    let (cookie, session) = context.accounts().open_session(req, user).await?;
    Ok((
        cookie,
        SignedIn {
            session,
            return_to: request.return_to,
        },
    ))
}

/// A request from another instance to sign in there, as its page link carries it.
#[derive(Debug, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct Authorization {
    /// The origin of the instance to sign in to (`https://host`).
    pub audience: String,
    /// Its single-use nonce.
    pub nonce: String,
    /// Its page that takes the assertion (on the audience's origin).
    pub callback: String,
    /// The account it expects (`name@host`), if it said.
    #[serde(default)]
    pub handle: Option<String>,
}

/// What the confirmation page shows.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorizationPreview {
    /// The instance to sign in to: `host` or `host:port`.
    pub audience_domain: String,
    /// My account, as the other instance will know it: `name@host`.
    pub handle: String,
    /// Whether the other instance asked for another account than mine (the page warns).
    pub other_account_expected: bool,
}

struct Checked {
    audience: String,
    audience_domain: String,
    callback: Url,
}

/// Checks a request to sign in elsewhere: an origin other than this instance's, allowed by
/// the policy, a callback on that origin, a nonce of a sane shape.
fn check_authorization(federation: &Federation, request: &Authorization) -> Result<Checked> {
    let context = federation.context();
    if !context.is_on() {
        return Err(FederationError::Off);
    }
    let insecure = federation.settings().federation.allow_insecure_http;
    let audience = Url::parse(request.audience.trim())
        .map_err(|_| FederationError::invalid("audience", "not an address"))?;
    let origin = audience.origin().ascii_serialization();
    let scheme_ok = audience.scheme() == "https" || (insecure && audience.scheme() == "http");
    let domain_host = matches!(audience.host(), Some(Host::Domain(_)));
    if !scheme_ok || !domain_host || origin != request.audience.trim().trim_end_matches('/') {
        return Err(FederationError::invalid(
            "audience",
            "give the other instance's origin, https://host",
        ));
    }
    let audience_domain = authority(&audience)
        .ok_or_else(|| FederationError::invalid("audience", "not an address"))?;
    if audience_domain == context.urls.domain() {
        return Err(FederationError::invalid(
            "audience",
            "this is this instance",
        ));
    }
    context
        .policy
        .check(federation.settings(), &audience_domain)?;
    let callback = Url::parse(request.callback.trim())
        .map_err(|_| FederationError::invalid("callback", "not an address"))?;
    if callback.origin().ascii_serialization() != origin
        || callback.fragment().is_some()
        || request.callback.len() > 2000
    {
        return Err(FederationError::invalid(
            "callback",
            "the page to come back to must be on the instance signed in to",
        ));
    }
    let nonce_ok = (16..=200).contains(&request.nonce.len())
        && request
            .nonce
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !nonce_ok {
        return Err(FederationError::invalid("nonce", "not a nonce"));
    }
    Ok(Checked {
        audience: origin,
        audience_domain,
        callback,
    })
}

/// The logged-in user's account, which must be a local one: people signed in here from
/// their own home instance cannot vouch for themselves further.
async fn local_account(federation: &Federation, user: &CurrentUser) -> Result<LocalActor> {
    let context = federation.context().clone();
    let id = user.id;
    federation
        .database()
        .run(move |conn| {
            let row = accounts_users::find(conn, id)?.ok_or(FederationError::NotAuthenticated)?;
            if row.is_remote() {
                return Err(FederationError::Forbidden);
            }
            LocalActor::find(
                &context,
                conn,
                ActorKind::User,
                &row.username,
                maille_database::now(),
            )?
            .ok_or(FederationError::Forbidden)
        })
        .await
}

fn expected_other(request: &Authorization, me: &str, domain: &str) -> bool {
    request.handle.as_deref().is_some_and(|h| {
        !h.trim()
            .trim_start_matches('@')
            .eq_ignore_ascii_case(&format!("{me}@{domain}"))
    })
}

/// What the confirmation page of a sign-in elsewhere shows, after the same checks as
/// [`authorize`] (log in first: 401).
#[utoipa::path(get, path = "/api/federation/home-sign-in/authorize", tag = "federation",
    params(Authorization),
    responses((status = 200, body = AuthorizationPreview), (status = 401, body = maille_http::ErrorBody),
              (status = 403, body = maille_http::ErrorBody), (status = 422, body = maille_http::ErrorBody)))]
#[get("/api/federation/home-sign-in/authorize")]
pub async fn preview_authorization(
    federation: web::Data<Federation>,
    user: CurrentUser,
    query: web::Query<Authorization>,
) -> Result<HttpResponse> {
    let checked = check_authorization(&federation, &query)?;
    let local = local_account(&federation, &user).await?;
    let domain = federation.context().urls.domain();
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(AuthorizationPreview {
            audience_domain: checked.audience_domain,
            handle: format!("{}@{domain}", local.name),
            other_account_expected: expected_other(&query, &local.name, domain),
        }))
}

/// Agrees to sign in to another instance as myself: answers with the address of its page,
/// carrying (in the fragment) an assertion signed with my actor's key, valid two minutes.
#[utoipa::path(post, path = "/api/federation/home-sign-in/authorize", tag = "federation",
    request_body = Authorization,
    responses((status = 200, body = Redirect), (status = 401, body = maille_http::ErrorBody),
              (status = 403, body = maille_http::ErrorBody), (status = 422, body = maille_http::ErrorBody)))]
#[post("/api/federation/home-sign-in/authorize")]
pub async fn authorize(
    federation: web::Data<Federation>,
    user: CurrentUser,
    body: web::Json<Authorization>,
) -> Result<HttpResponse> {
    let request = body.into_inner();
    let checked = check_authorization(&federation, &request)?;
    let local = local_account(&federation, &user).await?;
    let urls = &federation.context().urls;
    let now = maille_database::now();
    let claims = Claims {
        iss: urls.origin().to_owned(),
        sub: local.id(urls).to_string(),
        aud: checked.audience,
        nonce: request.nonce,
        iat: now,
        exp: now + assertion::LIFETIME,
    };
    let private_key = local.record.private_key_pem.clone();
    let token = web::block(move || assertion::sign(&claims, &private_key))
        .await
        .map_err(|e| FederationError::Internal(e.to_string()))??;
    let mut redirect = checked.callback;
    redirect.set_fragment(Some(&format!("assertion={token}")));
    tracing::info!(user = %user.id, audience = %checked.audience_domain, "home sign-in: assertion signed");
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(Redirect {
            redirect: redirect.to_string(),
        }))
}

/// Someone of another instance to add to a space.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddRemoteMember {
    /// `@name@host`.
    pub handle: String,
    /// `member` (default) or `moderator`.
    pub role: Option<String>,
}

/// Adds a person of another instance to a space (its owners and moderators; only owners add
/// moderators). Their account here, `name@host`, is made now; they reach the space's pads
/// and rooms once they sign in with their home instance.
#[utoipa::path(post, path = "/api/federation/spaces/{handle}/members", tag = "federation",
    request_body = AddRemoteMember,
    params(("handle" = String, Path, description = "the space's handle")),
    responses((status = 201, body = MemberView), (status = 403, body = maille_http::ErrorBody),
              (status = 404, body = maille_http::ErrorBody), (status = 422, body = maille_http::ErrorBody),
              (status = 502, body = maille_http::ErrorBody)))]
#[post("/api/federation/spaces/{handle}/members")]
pub async fn add_remote_member(
    federation: web::Data<Federation>,
    user: CurrentUser,
    path: web::Path<String>,
    body: web::Json<AddRemoteMember>,
) -> Result<HttpResponse> {
    let space_handle = path.into_inner().to_ascii_lowercase();
    let body = body.into_inner();
    let role = match body.role.as_deref().map(str::trim) {
        None | Some("") => SpaceRole::Member,
        Some(code) => SpaceRole::parse(code)
            .ok_or_else(|| FederationError::invalid("role", "use member or moderator"))?,
    };
    let context = federation.context().clone();
    if !context.is_on() {
        return Err(FederationError::Off);
    }
    // Only those who may add someone make this instance fetch anything.
    let space = context
        .spaces
        .find_by_handle(&space_handle)
        .await?
        .ok_or(FederationError::NotFound)?;
    let my_role = context
        .spaces
        .role_of(space.id, user.id)
        .await?
        .ok_or(FederationError::NotFound)?;
    if !my_role.can_invite_as(role) {
        return Err(FederationError::Forbidden);
    }
    let (name, domain) = parse_handle(&body.handle, context.urls.domain())?;
    let (_, json) = resolve(&federation, &name, &domain).await?;
    let identity = identity_of(&json)?;
    let language = federation.settings().default_language.code();
    let me = user.id;
    let view = federation
        .database()
        .transaction(move |conn| {
            let now = maille_database::now();
            RemoteActor::upsert(conn, &json, now)?;
            let member = remote::find_or_create(conn, &identity, language, now)?;
            Ok::<_, FederationError>(context.spaces.add_member_blocking(
                conn,
                &space_handle,
                me,
                &member,
                role,
                now,
            )?)
        })
        .await?;
    tracing::info!(user = %user.id, member = %view.username, "remote member added to a space");
    Ok(HttpResponse::Created().json(view))
}
