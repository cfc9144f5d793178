//! Login throttling, per account and per client address. A flood against one account slows
//! that account's logins to one attempt per refill period, and never locks its owner out for
//! longer than that.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use maille_config::AccountsSettings;

/// The two limiters.
pub struct LoginThrottle {
    per_account: DefaultKeyedRateLimiter<String>,
    per_address: DefaultKeyedRateLimiter<IpAddr>,
}

fn quota(burst: u32, refill: Duration) -> Quota {
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(refill)
        .unwrap_or_else(|| Quota::per_minute(NonZeroU32::MIN))
        .allow_burst(burst)
}

impl LoginThrottle {
    /// Limiters as configured.
    pub fn new(settings: &AccountsSettings) -> LoginThrottle {
        let refill = Duration::from_secs(settings.login_throttle_refill_seconds.max(1));
        LoginThrottle {
            per_account: RateLimiter::keyed(quota(settings.login_attempts_per_account, refill)),
            per_address: RateLimiter::keyed(quota(settings.login_attempts_per_address, refill)),
        }
    }

    /// Counts one attempt from `address` on `account`; `Err(seconds)` when it must wait.
    pub fn attempt(&self, account: &str, address: Option<IpAddr>) -> Result<(), u64> {
        let clock = DefaultClock::default();
        if let Some(address) = address {
            if let Err(not_until) = self.per_address.check_key(&address) {
                return Err(not_until.wait_time_from(clock.now()).as_secs().max(1));
            }
        }
        let key = account.trim().to_lowercase();
        if let Err(not_until) = self.per_account.check_key(&key) {
            return Err(not_until.wait_time_from(clock.now()).as_secs().max(1));
        }
        Ok(())
    }

    /// Forgets keys whose limits have fully refilled.
    pub fn trim(&self) {
        self.per_account.retain_recent();
        self.per_address.retain_recent();
    }
}
