//! A token bucket: how many events (messages of a connection, failed logins of an address...)
//! may happen, on average and in a burst. Time is a parameter, so limits are tested without
//! waiting.

use std::time::{Duration, Instant};

/// Allows `per_second` events per second on average, `burst` at once.
#[derive(Debug, Clone, Copy)]
pub struct TokenBucket {
    tokens: f64,
    per_second: f64,
    burst: f64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket at `now` that refills `per_second` tokens a second (at least one every
    /// thousand seconds).
    pub fn new(per_second: f64, burst: u32, now: Instant) -> TokenBucket {
        let burst = f64::from(burst.max(1));
        TokenBucket {
            tokens: burst,
            per_second: per_second.max(0.001),
            burst,
            last: now,
        }
    }

    /// A full bucket at `now` that refills `rate` tokens a second (at least one).
    pub fn per_second(rate: u32, burst: u32, now: Instant) -> TokenBucket {
        TokenBucket::new(f64::from(rate.max(1)), burst, now)
    }

    /// A full bucket at `now` that refills one token every `period`.
    pub fn refilling_every(period: Duration, burst: u32, now: Instant) -> TokenBucket {
        TokenBucket::new(1.0 / period.as_secs_f64().max(0.001), burst, now)
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.last);
        self.last = now;
        self.tokens = (self.tokens + elapsed.as_secs_f64() * self.per_second).min(self.burst);
    }

    /// Takes one token at `now`; false when there is none.
    pub fn take(&mut self, now: Instant) -> bool {
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Takes one token at `now`, or empties the bucket when there is none: the event is
    /// counted even though it was over the limit.
    pub fn spend(&mut self, now: Instant) {
        if !self.take(now) {
            self.tokens = 0.0;
        }
    }

    /// How long until a token is there, at `now`; zero when there is one already.
    pub fn wait(&mut self, now: Instant) -> Duration {
        self.refill(now);
        let missing = (1.0 - self.tokens).max(0.0);
        Duration::from_secs_f64(missing / self.per_second)
    }

    /// Whether the bucket has refilled to its burst at `now`, so that it can be forgotten.
    pub fn is_full(&mut self, now: Instant) -> bool {
        self.refill(now);
        self.tokens >= self.burst
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_the_rate() {
        let start = Instant::now();
        let mut bucket = TokenBucket::per_second(2, 3, start);
        assert!(bucket.take(start) && bucket.take(start) && bucket.take(start));
        assert!(!bucket.take(start));
        assert!(bucket.take(start + Duration::from_millis(500)));
        assert!(!bucket.take(start + Duration::from_millis(500)));
        // Refills up to the burst, no further.
        let later = start + Duration::from_secs(60);
        assert!((0..3).all(|_| bucket.take(later)));
        assert!(!bucket.take(later));
    }

    #[test]
    fn spending_over_the_limit_empties_and_waiting_says_how_long() {
        let start = Instant::now();
        let mut bucket = TokenBucket::refilling_every(Duration::from_secs(60), 2, start);
        assert_eq!(bucket.wait(start), Duration::ZERO);
        bucket.spend(start);
        bucket.spend(start);
        bucket.spend(start);
        assert!((bucket.wait(start).as_secs_f64() - 60.0).abs() < 1e-6);
        assert!((bucket.wait(start + Duration::from_secs(45)).as_secs_f64() - 15.0).abs() < 1e-6);
        assert!(!bucket.is_full(start + Duration::from_secs(119)));
        assert!(bucket.is_full(start + Duration::from_secs(120)));
    }
}
