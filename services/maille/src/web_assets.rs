//! The web front end, built by Vite into `web/dist` and embedded in release binaries (debug
//! builds read it from disk, so `npm run build` is enough during development).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "../../web/dist"]
#[allow_missing = true]
struct Assets;

/// Serves a built file, or the application's page for any other path (the front end routes
/// in the browser); unknown `/api/` paths get the API's 404.
pub async fn serve(req: HttpRequest) -> HttpResponse {
    let path = req.path();
    if path.starts_with("/api/") || path == "/api" {
        return maille_http::api_not_found().await;
    }
    if req.method() != actix_web::http::Method::GET && req.method() != actix_web::http::Method::HEAD
    {
        return HttpResponse::MethodNotAllowed().finish();
    }
    let relative = path.trim_start_matches('/');
    if !relative.is_empty() && !relative.ends_with("index.html") {
        if let Some(file) = Assets::get(relative) {
            let immutable = relative.starts_with("assets/");
            return HttpResponse::Ok()
                .content_type(file.metadata.mimetype())
                .insert_header((
                    header::CACHE_CONTROL,
                    if immutable {
                        "public, max-age=31536000, immutable"
                    } else {
                        "public, max-age=3600"
                    },
                ))
                .body(file.data.into_owned());
        }
        // A missing file with an extension is a 404, not the application page.
        if relative
            .rsplit('/')
            .next()
            .is_some_and(|last| last.contains('.'))
        {
            return HttpResponse::NotFound().finish();
        }
    }
    match Assets::get("index.html") {
        Some(file) => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .body(file.data.into_owned()),
        None => HttpResponse::ServiceUnavailable()
            .content_type("text/plain; charset=utf-8")
            .body("The web front end is not built: run `make web` (npm ci && npm run build in web/).\n"),
    }
}

/// Whether the front end was built into this binary (or is on disk in a debug build).
pub fn available() -> bool {
    Assets::get("index.html").is_some()
}
