//! Token-bucket rate limiting in memory. Clients are keyed by a keyed hash of their
//! address made with a per-process random key, so the table never holds an address and the
//! key dies with the process.

use reunite_domain::Timestamp;
use std::collections::HashMap;
use std::sync::Mutex;

/// A token bucket per client key.
#[derive(Debug)]
pub struct RateLimiter {
    burst: f64,
    refill_ms: f64,
    buckets: Mutex<HashMap<[u8; 16], (f64, Timestamp)>>,
    salt: reunite_crypto::DataKey,
}

impl RateLimiter {
    /// `burst` requests at once, one more every `refill_ms` milliseconds.
    pub fn new(burst: u32, refill_ms: i64) -> Self {
        Self {
            burst: f64::from(burst.max(1)),
            refill_ms: refill_ms.max(1) as f64,
            buckets: Mutex::new(HashMap::new()),
            salt: reunite_crypto::DataKey::generate(),
        }
    }

    /// Takes one token for `client` at `now`; false when the bucket is empty.
    pub fn check(&self, client: &[u8], now: Timestamp) -> bool {
        let full = reunite_crypto::blind_index(&self.salt, "ratelimit", client);
        let mut key = [0u8; 16];
        key.copy_from_slice(&full[..16]);
        let mut map = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 100_000 {
            // Forget clients whose buckets are full again, so memory stays bounded.
            let (burst, refill) = (self.burst, self.refill_ms);
            map.retain(|_, (tokens, at)| *tokens + now.millis_since(*at) as f64 / refill < burst);
        }
        let (tokens, at) = map.entry(key).or_insert((self.burst, now));
        let elapsed = now.millis_since(*at).max(0) as f64;
        *tokens = (*tokens + elapsed / self.refill_ms).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_refuse_then_refill() {
        let rl = RateLimiter::new(3, 1000);
        let t = Timestamp(1_000_000);
        assert!(rl.check(b"a", t));
        assert!(rl.check(b"a", t));
        assert!(rl.check(b"a", t));
        assert!(!rl.check(b"a", t));
        assert!(rl.check(b"b", t), "another client has its own bucket");
        assert!(!rl.check(b"a", t.plus_millis(999)));
        assert!(rl.check(b"a", t.plus_millis(2100)));
    }
}
