//! An HTTP client that behaves like the web front end: cookies, the Origin header, and the
//! CSRF token learnt at login.

use std::sync::{Arc, Mutex};

use reqwest::{Method, Response};
use serde_json::Value;

/// A client with its own cookie jar.
#[derive(Clone)]
pub struct TestClient {
    /// The server's address.
    pub base: String,
    http: reqwest::Client,
    csrf: Arc<Mutex<Option<String>>>,
}

impl TestClient {
    /// A client for the server at `base`.
    pub fn new(base: &str) -> TestClient {
        TestClient {
            base: base.to_owned(),
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            csrf: Arc::new(Mutex::new(None)),
        }
    }

    /// The raw reqwest client (no Origin or CSRF added).
    pub fn raw(&self) -> &reqwest::Client {
        &self.http
    }

    /// Sends a request as the web front end does.
    pub async fn request(&self, method: Method, path: &str, body: Option<Value>) -> Response {
        let mut request = self
            .http
            .request(method, format!("{}{}", self.base, path))
            .header("Origin", &self.base);
        if let Some(token) = self.csrf.lock().unwrap().clone() {
            request = request.header("X-CSRF-Token", token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    }

    /// GET.
    pub async fn get(&self, path: &str) -> Response {
        self.request(Method::GET, path, None).await
    }

    /// POST with a JSON body.
    pub async fn post(&self, path: &str, body: Value) -> Response {
        self.request(Method::POST, path, Some(body)).await
    }

    /// PATCH with a JSON body.
    pub async fn patch(&self, path: &str, body: Value) -> Response {
        self.request(Method::PATCH, path, Some(body)).await
    }

    /// DELETE, with an optional JSON body.
    pub async fn delete(&self, path: &str, body: Option<Value>) -> Response {
        self.request(Method::DELETE, path, body).await
    }

    /// Logs in and remembers the CSRF token; returns the response's status and body.
    pub async fn login(&self, login: &str, password: &str) -> (u16, Value) {
        let response = self
            .post(
                "/api/session",
                serde_json::json!({"login": login, "password": password}),
            )
            .await;
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if status == 200 {
            self.remember_csrf(&body);
        }
        (status, body)
    }

    /// Remembers the CSRF token of a session body.
    pub fn remember_csrf(&self, session: &Value) {
        if let Some(token) = session["csrf_token"].as_str() {
            *self.csrf.lock().unwrap() = Some(token.to_owned());
        }
    }

    /// Forgets the CSRF token.
    pub fn forget_csrf(&self) {
        *self.csrf.lock().unwrap() = None;
    }
}
