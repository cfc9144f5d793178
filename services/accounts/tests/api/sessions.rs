use maille_accounts::sessions;
use maille_accounts::UserId;
use serde_json::json;

use crate::helpers::{body, spawn, spawn_with, PASSWORD};

#[tokio::test]
async fn my_sessions_are_listed_and_revocable() {
    let app = spawn().await;
    let laptop = app.user("ana", false).await;
    let phone = app.client();
    assert_eq!(phone.login("ana", PASSWORD).await.0, 200);
    let (_, list) = body(laptop.get("/api/accounts/me/sessions").await).await;
    let list = list.as_array().unwrap().clone();
    assert_eq!(list.len(), 2);
    assert_eq!(list.iter().filter(|s| s["current"] == true).count(), 1);
    // Addresses are truncated by default.
    assert!(list.iter().all(|s| s["ip"] == "127.0.0.0/24"), "{list:?}");
    let other = list.iter().find(|s| s["current"] == false).unwrap();
    let id = other["id"].as_str().unwrap();
    let r = laptop
        .delete(&format!("/api/accounts/me/sessions/{id}"), None)
        .await;
    assert_eq!(r.status(), 204);
    assert_eq!(phone.get("/api/session").await.status(), 401);
    assert_eq!(laptop.get("/api/session").await.status(), 200);
    // Someone else's session id is not found.
    let r = laptop
        .delete(&format!("/api/accounts/me/sessions/{id}"), None)
        .await;
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn sessions_end_after_the_idle_and_absolute_timeouts() {
    let app = spawn().await;
    app.user_no_login("ana").await;
    let settings = app.server.context.settings.clone();
    let user = app
        .accounts
        .user_by_username("ana".into())
        .await
        .unwrap()
        .unwrap();
    let id: UserId = user.id;
    let now = 1_000_000;
    let idle = i64::try_from(settings.accounts.session_idle_timeout_hours * 3600).unwrap();
    let absolute = i64::try_from(settings.accounts.session_absolute_timeout_days * 86_400).unwrap();
    let s = settings.clone();
    let (fresh, idled, aged) = app
        .server
        .context
        .db
        .run(move |conn| {
            let a = sessions::open(conn, &s, id, "test", "", now)?;
            let still = sessions::resume(conn, &s, &a.token, now + idle - 10)?.is_some();
            let gone = sessions::resume(conn, &s, &a.token, now + 2 * idle)?.is_none();
            // Used every hour, it still ends at the absolute timeout.
            let b = sessions::open(conn, &s, id, "test", "", now)?;
            let mut t = now;
            while t + 3600 < now + absolute {
                t += 3600;
                assert!(sessions::resume(conn, &s, &b.token, t)?.is_some());
            }
            let ended = sessions::resume(conn, &s, &b.token, now + absolute)?.is_none();
            Ok::<_, maille_accounts::AccountsError>((still, gone, ended))
        })
        .await
        .unwrap();
    assert!(fresh && idled && aged);
}

#[tokio::test]
async fn a_login_flood_is_throttled_without_locking_the_owner_out() {
    let app = spawn_with(|s| {
        s.accounts.login_attempts_per_account = 3;
        // Long enough that the five attempts below happen within one refill even on a busy
        // machine; short enough to wait for once.
        s.accounts.login_throttle_refill_seconds = 4;
        // The test client stands behind a proxy on loopback, so addresses come from
        // X-Forwarded-For.
        s.http.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    app.user_no_login("ana").await;
    let from = |address: &'static str, password: &'static str| {
        let client = app.client();
        async move {
            client
                .raw()
                .post(format!("{}/api/session", client.base))
                .header("Origin", &client.base)
                .header("X-Forwarded-For", address)
                .json(&json!({"login": "ana", "password": password}))
                .send()
                .await
                .unwrap()
        }
    };
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let r = from("198.51.100.7", "wrong password!!").await;
        if r.status() == 429 {
            assert!(r.headers().contains_key("retry-after"));
        }
        statuses.push(r.status().as_u16());
    }
    assert_eq!(&statuses[..3], &[401, 401, 401]);
    assert!(statuses[3..].iter().all(|s| *s == 429), "{statuses:?}");
    // Naming the account by its address instead does not escape the count.
    let r = app
        .client()
        .raw()
        .post(format!("{}/api/session", app.server.address))
        .header("Origin", &app.server.address)
        .header("X-Forwarded-For", "198.51.100.7")
        .json(&json!({"login": "ana@example.org", "password": "wrong password!!"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    // Meanwhile the owner, from home, logs in at once: the attacker did not lock them out.
    assert_eq!(from("203.0.113.5", PASSWORD).await.status(), 200);
    // Successful logins cost nothing.
    for _ in 0..10 {
        assert_eq!(from("203.0.113.5", PASSWORD).await.status(), 200);
    }
    // Once the limit refills, the attacker has one more try, no more.
    let mut status = 429;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        status = from("198.51.100.7", "wrong password!!")
            .await
            .status()
            .as_u16();
        if status != 429 {
            break;
        }
    }
    assert_eq!(status, 401);
    assert_eq!(from("198.51.100.7", "wrong password!!").await.status(), 429);
}

#[tokio::test]
async fn unknown_accounts_and_wrong_passwords_get_the_same_answer() {
    let app = spawn().await;
    app.user_no_login("ana").await;
    let a = body(
        app.client()
            .post(
                "/api/session",
                json!({"login": "ana", "password": "wrong password!!"}),
            )
            .await,
    )
    .await;
    let b = body(
        app.client()
            .post(
                "/api/session",
                json!({"login": "nobody", "password": "wrong password!!"}),
            )
            .await,
    )
    .await;
    assert_eq!(a, b);
    assert_eq!(a.0, 401);
}
