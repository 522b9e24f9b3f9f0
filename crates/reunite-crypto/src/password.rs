//! Staff passwords (threat-model requirement 15), one-time passwords and session tokens.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::CryptoError;

/// Argon2id cost parameters for staff passwords.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PasswordPolicy {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Iterations (passes over memory).
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl PasswordPolicy {
    /// What production runs with: 64 MiB, t = 3, p = 1 (requirement 15: m ≥ 64 MiB, t ≥ 3;
    /// RFC 9106's second recommended option). Roughly 0.1–0.2 s per hash on one server core.
    pub const PRODUCTION: Self = PasswordPolicy {
        m_kib: 65536,
        t: 3,
        p: 1,
    };

    /// Whether this policy meets requirement 15 (m ≥ 64 MiB, t ≥ 3, p ≥ 1). Startup
    /// should refuse a weaker policy outside tests and demos.
    pub fn is_production_grade(&self) -> bool {
        self.m_kib >= Self::PRODUCTION.m_kib && self.t >= Self::PRODUCTION.t && self.p >= 1
    }

    fn argon2(&self) -> Result<Argon2<'static>, CryptoError> {
        let params =
            Params::new(self.m_kib, self.t, self.p, None).map_err(|_| CryptoError::Password)?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }
}

/// Result of [`verify_password`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordCheck {
    /// The password matches. When `needs_rehash` is true, hash it again with the current
    /// policy and store the new string (requirement 15's upgrade at next login).
    Valid {
        /// The stored hash is weaker than the policy or not Argon2id v1.3.
        needs_rehash: bool,
    },
    /// Wrong password, or a stored string that is not a usable Argon2 PHC hash.
    Invalid,
}

/// Hashes `password` with Argon2id v1.3 under `policy` and a random 16-byte salt, returning
/// a PHC string such as `$argon2id$v=19$m=65536,t=3,p=1$<salt>$<hash>`.
pub fn hash_password(policy: &PasswordPolicy, password: &str) -> Result<String, CryptoError> {
    let salt = SaltString::generate(&mut OsRng);
    let hash = policy
        .argon2()?
        .hash_password(password.as_bytes(), &salt)
        .map_err(|_| CryptoError::Password)?;
    Ok(hash.to_string())
}

/// Checks `password` against a stored PHC string, with the parameters stored in it.
///
/// Accepts Argon2id, Argon2i and Argon2d hashes; anything else (or an unparsable string) is
/// [`PasswordCheck::Invalid`]. `needs_rehash` is set when the stored hash is not Argon2id
/// v1.3 or its memory, time or lane cost is below `policy`.
pub fn verify_password(policy: &PasswordPolicy, password: &str, phc: &str) -> PasswordCheck {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return PasswordCheck::Invalid;
    };
    let Ok(alg) = Algorithm::try_from(parsed.algorithm) else {
        return PasswordCheck::Invalid;
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return PasswordCheck::Invalid;
    };
    // Argon2's verifier takes algorithm, version and parameters from the hash itself.
    if Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_err()
    {
        return PasswordCheck::Invalid;
    }
    PasswordCheck::Valid {
        needs_rehash: weaker(policy, &parsed, alg, &params),
    }
}

/// Whether a stored PHC string is cheaper to check than `policy` asks (not Argon2id v1.3, or
/// less memory, time or lanes). Such a hash is checked faster than the others, so a sign-in
/// form that verifies it tells its account apart; callers pad its verification (and upgrade
/// it at the next sign-in). An unparsable string counts as weaker.
pub fn is_weaker_than(policy: &PasswordPolicy, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return true;
    };
    let (Ok(alg), Ok(params)) = (
        Algorithm::try_from(parsed.algorithm),
        Params::try_from(&parsed),
    ) else {
        return true;
    };
    weaker(policy, &parsed, alg, &params)
}

fn weaker(
    policy: &PasswordPolicy,
    parsed: &PasswordHash<'_>,
    alg: Algorithm,
    params: &Params,
) -> bool {
    let version_ok = parsed.version == Some(Version::V0x13.into());
    alg != Algorithm::Argon2id
        || !version_ok
        || params.m_cost() < policy.m_kib
        || params.t_cost() < policy.t
        || params.p_cost() < policy.p
}

fn dummy_hashes() -> &'static Mutex<HashMap<PasswordPolicy, String>> {
    static CACHE: OnceLock<Mutex<HashMap<PasswordPolicy, String>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Costs as much as [`verify_password`] for a user who exists, and always fails: call it
/// for unknown users so that login answers with similar latency (requirement 9).
///
/// The dummy hash (of a random password) is made once per policy and cached; the very first
/// call for a policy therefore also pays one hash. Call it once at startup to warm it.
pub fn dummy_verify(policy: &PasswordPolicy, password: &str) {
    let phc = {
        let mut cache = dummy_hashes().lock().unwrap_or_else(|e| e.into_inner());
        match cache.get(policy) {
            Some(h) => h.clone(),
            None => {
                let h = hash_password(policy, &random_password())
                    .or_else(|_| hash_password(&PasswordPolicy::PRODUCTION, &random_password()))
                    .unwrap_or_default();
                cache.insert(*policy, h.clone());
                h
            }
        }
    };
    let _ = verify_password(policy, password, &phc);
}

/// Alphabet for typed passwords: lowercase letters and digits without look-alikes
/// (no `0 o 1 l i`), 31 symbols, about 4.95 bits each.
const PASSWORD_ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";
const PASSWORD_GROUPS: usize = 5;
const PASSWORD_GROUP_LEN: usize = 5;

/// A one-time password for a new or reset staff account, e.g. `k7m2q-9xhfa-rt4wp-c3nde-8vbg6`:
/// 25 symbols from a 31-letter alphabet without look-alikes, ≈ 123.9 bits, in groups of five
/// joined by `-` (the dashes are part of the password). Zeroed on drop.
pub fn random_password() -> Zeroizing<String> {
    let mut s = Zeroizing::new(String::with_capacity(
        PASSWORD_GROUPS * (PASSWORD_GROUP_LEN + 1),
    ));
    for g in 0..PASSWORD_GROUPS {
        if g > 0 {
            s.push('-');
        }
        for _ in 0..PASSWORD_GROUP_LEN {
            s.push(char::from(
                PASSWORD_ALPHABET[uniform_index(PASSWORD_ALPHABET.len())],
            ));
        }
    }
    s
}

/// A uniform index below `n` (n ≤ 256) by rejection sampling of OS RNG bytes.
pub(crate) fn uniform_index(n: usize) -> usize {
    debug_assert!(n > 0 && n <= 256);
    let limit = 256 - 256 % n;
    loop {
        let mut b = [0u8; 1];
        OsRng.fill_bytes(&mut b);
        let v = usize::from(b[0]);
        if v < limit {
            return v % n;
        }
    }
}

/// A 256-bit random token in unpadded URL-safe base64 (43 characters), for session ids and
/// CSRF tokens. Store only [`token_hash`] of session ids.
pub fn random_token() -> String {
    let mut b = Zeroizing::new([0u8; 32]);
    OsRng.fill_bytes(b.as_mut());
    URL_SAFE_NO_PAD.encode(b.as_ref())
}

/// `N` random bytes from the OS RNG, zeroed on drop: for secrets of a size fixed by another
/// standard, such as a 20-byte TOTP secret (RFC 4226 recommends 160 bits).
pub fn random_bytes<const N: usize>() -> Zeroizing<[u8; N]> {
    let mut b = Zeroizing::new([0u8; N]);
    OsRng.fill_bytes(b.as_mut());
    b
}

/// SHA-256 of a token, for storing session ids server-side: a database reader cannot
/// present a stored value as a cookie. Unkeyed is enough because tokens have 256 bits.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}
