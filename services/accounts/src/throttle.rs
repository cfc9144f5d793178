//! Login throttling. Failed attempts are counted three ways, each a token bucket that refills
//! one attempt per `login_throttle_refill_seconds`:
//!
//! - per account *and* client address (`login_attempts_per_account` in a burst): one attacker
//!   slows down on one account without locking its owner, who comes from another address;
//! - per client address (`login_attempts_per_address`): one attacker trying many accounts;
//! - per account from everywhere (ten times the per-account burst): many addresses against one
//!   account, which then slows down for everyone until it refills.
//!
//! Successful logins cost nothing. Time is a parameter, so the rules are tested without waiting.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use maille_config::AccountsSettings;
use maille_http::TokenBucket;

/// One family of buckets, by key.
#[derive(Debug)]
struct Buckets {
    burst: u32,
    refill: Duration,
    map: Mutex<HashMap<String, TokenBucket>>,
}

impl Buckets {
    fn new(burst: u32, refill: Duration) -> Buckets {
        Buckets {
            burst,
            refill,
            map: Mutex::new(HashMap::new()),
        }
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, TokenBucket>> {
        self.map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `Err(seconds to wait)` when the key has no attempt left.
    fn check(&self, key: &str, now: Instant) -> Result<(), u64> {
        match self.map().get_mut(key).map(|bucket| bucket.wait(now)) {
            Some(wait) if !wait.is_zero() => Err(wait.as_secs_f64().ceil().max(1.0) as u64),
            _ => Ok(()),
        }
    }

    fn spend(&self, key: &str, now: Instant) {
        self.map()
            .entry(key.to_owned())
            .or_insert_with(|| TokenBucket::refilling_every(self.refill, self.burst, now))
            .spend(now);
    }

    fn trim(&self, now: Instant) {
        self.map().retain(|_, bucket| !bucket.is_full(now));
    }
}

/// The login throttle of this process, and the limits on requests that send emails.
#[derive(Debug)]
pub struct LoginThrottle {
    account_and_address: Buckets,
    address: Buckets,
    account: Buckets,
    /// Sign-ups per client address: 10, then one per 6 minutes.
    signups: Buckets,
    /// Password-reset requests per client address and per address asked for: 5, then one
    /// per 12 minutes, so that nobody can flood a mailbox through the instance.
    resets: Buckets,
}

fn address_key(address: Option<IpAddr>) -> String {
    address.map_or_else(|| "unknown".to_owned(), |a| a.to_string())
}

impl LoginThrottle {
    /// The throttle as configured.
    pub fn new(settings: &AccountsSettings) -> LoginThrottle {
        let refill = Duration::from_secs(settings.login_throttle_refill_seconds.max(1));
        LoginThrottle {
            account_and_address: Buckets::new(settings.login_attempts_per_account, refill),
            address: Buckets::new(settings.login_attempts_per_address, refill),
            account: Buckets::new(
                settings.login_attempts_per_account.saturating_mul(10),
                refill,
            ),
            signups: Buckets::new(10, Duration::from_secs(360)),
            resets: Buckets::new(5, Duration::from_secs(720)),
        }
    }

    /// Counts a sign-up from `address`; `Err(seconds)` when it must wait.
    pub fn sign_up(&self, address: Option<IpAddr>, now: Instant) -> Result<(), u64> {
        let key = address_key(address);
        self.signups.check(&key, now)?;
        self.signups.spend(&key, now);
        Ok(())
    }

    /// Counts a password-reset request for `email` from `address`.
    pub fn reset_request(
        &self,
        email: &str,
        address: Option<IpAddr>,
        now: Instant,
    ) -> Result<(), u64> {
        let by_address = format!("address {}", address_key(address));
        let by_email = format!("email {email}");
        self.resets.check(&by_address, now)?;
        self.resets.check(&by_email, now)?;
        self.resets.spend(&by_address, now);
        self.resets.spend(&by_email, now);
        Ok(())
    }

    /// Whether an attempt on `account` (a stable key: the user's id, or the login typed when
    /// no account matches) from `address` may go ahead now; `Err(seconds)` when it must wait.
    pub fn check(&self, account: &str, address: Option<IpAddr>, now: Instant) -> Result<(), u64> {
        let address = address_key(address);
        self.address.check(&address, now)?;
        self.account_and_address
            .check(&format!("{account} {address}"), now)?;
        self.account.check(account, now)
    }

    /// Counts a failed attempt.
    pub fn failed(&self, account: &str, address: Option<IpAddr>, now: Instant) {
        let address = address_key(address);
        self.address.spend(&address, now);
        self.account_and_address
            .spend(&format!("{account} {address}"), now);
        self.account.spend(account, now);
    }

    /// Forgets keys whose buckets are full again.
    pub fn trim(&self, now: Instant) {
        self.account_and_address.trim(now);
        self.address.trim(now);
        self.account.trim(now);
        self.signups.trim(now);
        self.resets.trim(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle() -> LoginThrottle {
        LoginThrottle::new(&AccountsSettings {
            login_attempts_per_account: 3,
            login_attempts_per_address: 5,
            login_throttle_refill_seconds: 60,
            ..AccountsSettings::default()
        })
    }

    fn ip(s: &str) -> Option<IpAddr> {
        s.parse().ok()
    }

    #[test]
    fn failures_from_one_address_slow_that_address_on_that_account_only() {
        let t = throttle();
        let now = Instant::now();
        for _ in 0..3 {
            assert!(t.check("user:1", ip("198.51.100.1"), now).is_ok());
            t.failed("user:1", ip("198.51.100.1"), now);
        }
        assert_eq!(t.check("user:1", ip("198.51.100.1"), now), Err(60));
        // The owner, elsewhere, is not locked out.
        assert!(t.check("user:1", ip("203.0.113.5"), now).is_ok());
        // One refill period later the attacker has one attempt again, not more.
        let later = now + Duration::from_secs(60);
        assert!(t.check("user:1", ip("198.51.100.1"), later).is_ok());
        t.failed("user:1", ip("198.51.100.1"), later);
        assert!(t.check("user:1", ip("198.51.100.1"), later).is_err());
    }

    #[test]
    fn one_address_trying_many_accounts_is_slowed() {
        let t = throttle();
        let now = Instant::now();
        for n in 0..5 {
            t.failed(&format!("login:user{n}"), ip("198.51.100.1"), now);
        }
        assert!(t
            .check("login:someone-else", ip("198.51.100.1"), now)
            .is_err());
        assert!(t
            .check("login:someone-else", ip("198.51.100.2"), now)
            .is_ok());
    }

    #[test]
    fn many_addresses_against_one_account_slow_it_down() {
        let t = throttle();
        let now = Instant::now();
        for n in 0..30u8 {
            t.failed("user:1", ip(&format!("198.51.100.{n}")), now);
        }
        assert!(t.check("user:1", ip("203.0.113.5"), now).is_err());
    }

    #[test]
    fn email_sending_requests_are_limited_per_address_and_mailbox() {
        let t = throttle();
        let now = Instant::now();
        for _ in 0..10 {
            assert!(t.sign_up(ip("198.51.100.1"), now).is_ok());
        }
        assert!(t.sign_up(ip("198.51.100.1"), now).is_err());
        assert!(t.sign_up(ip("198.51.100.2"), now).is_ok());
        for n in 0..5 {
            assert!(t
                .reset_request("victim@example.org", ip(&format!("198.51.100.{n}")), now)
                .is_ok());
        }
        // The mailbox is protected whoever asks.
        assert!(t
            .reset_request("victim@example.org", ip("203.0.113.9"), now)
            .is_err());
        assert!(t
            .reset_request("other@example.org", ip("203.0.113.9"), now)
            .is_ok());
    }

    #[test]
    fn successes_cost_nothing_and_full_buckets_are_forgotten() {
        let t = throttle();
        let now = Instant::now();
        for _ in 0..100 {
            assert!(t.check("user:1", ip("127.0.0.1"), now).is_ok());
        }
        t.failed("user:1", ip("127.0.0.1"), now);
        t.trim(now + Duration::from_secs(3600));
        assert!(t.account.map.lock().unwrap().is_empty());
    }
}
