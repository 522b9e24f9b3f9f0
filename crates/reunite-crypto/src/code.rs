//! Tracing codes and the peppers that protect them (threat-model requirement 6).

use std::fmt;

use argon2::{Algorithm, Argon2, Params, Version};
use zeroize::Zeroizing;

use crate::CryptoError;
use crate::keys::{DataKey, KEY_LEN};
use crate::mac::{ct_eq, hmac};
use crate::password::uniform_index;

/// Number of decimal digits in a tracing code: 20 digits = log2(10^20) ≈ 66.4 bits.
pub const CODE_DIGITS: usize = 20;
const GROUP: usize = 4;

/// A tracing code: 20 uniformly random decimal digits from the OS RNG (≈ 66.4 bits), shown
/// as five groups of four, e.g. `4821 0937 5512 0648 3395`.
///
/// Digits only, so that it can be written down, read aloud, typed on any phone keypad, and
/// does not look like anything. **`Display` reveals the code** (for the one page that shows
/// it to its owner); `Debug` is redacted so that it never reaches a log by accident.
/// Zeroed on drop.
pub struct TracingCode(Zeroizing<[u8; CODE_DIGITS]>);

impl TracingCode {
    /// A new code from the OS RNG.
    pub fn generate() -> Self {
        let mut d = Zeroizing::new([0u8; CODE_DIGITS]);
        for x in d.iter_mut() {
            *x = b'0' + uniform_index(10) as u8;
        }
        TracingCode(d)
    }

    /// Parses a code as a person might type it: ASCII or full-width digits (`０`–`９`),
    /// with any whitespace (including the ideographic space) and dashes (ASCII, Unicode
    /// hyphens and dashes, full-width `－`, the katakana prolonged sound mark) ignored.
    /// Anything else, or a count other than 20 digits, is [`CryptoError::BadCode`].
    pub fn parse(s: &str) -> Result<Self, CryptoError> {
        let mut d = Zeroizing::new([0u8; CODE_DIGITS]);
        let mut n = 0usize;
        for c in s.chars() {
            let digit = match c {
                '0'..='9' => Some(c as u32 - '0' as u32),
                '\u{FF10}'..='\u{FF19}' => Some(c as u32 - 0xFF10),
                _ if c.is_whitespace() => None,
                '-'
                | '\u{2010}'..='\u{2015}'
                | '\u{2212}'
                | '\u{FF0D}'
                | '\u{30FC}'
                | '\u{FE63}' => None,
                _ => return Err(CryptoError::BadCode),
            };
            if let Some(v) = digit {
                if n == CODE_DIGITS {
                    return Err(CryptoError::BadCode);
                }
                d[n] = b'0' + v as u8;
                n += 1;
            }
        }
        if n != CODE_DIGITS {
            return Err(CryptoError::BadCode);
        }
        Ok(TracingCode(d))
    }

    /// The 20 ASCII digits without separators (the canonical form that is hashed).
    fn digits(&self) -> &[u8; CODE_DIGITS] {
        &self.0
    }
}

/// Reveals the code, grouped: `4821 0937 5512 0648 3395`.
impl fmt::Display for TracingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, chunk) in self.0.chunks(GROUP).enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            for &b in chunk {
                fmt::Write::write_char(f, char::from(b))?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for TracingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TracingCode(<redacted>)")
    }
}

/// Argon2id memory for code hashing, KiB (19 MiB: the OWASP minimum for Argon2id).
pub const CODE_KDF_M_KIB: u32 = 19 * 1024;
/// Argon2id passes for code hashing.
pub const CODE_KDF_T: u32 = 2;
/// Argon2id lanes for code hashing.
pub const CODE_KDF_P: u32 = 1;

/// The two peppers of requirement 6: pepper 1 keys the lookup hash of tracing codes,
/// pepper 2 derives the key that encrypts replies. Intake mirrors hold pepper 1 only if they
/// must look codes up; a seized lookup table without pepper 2 opens no reply.
/// `Debug` is redacted.
pub struct Peppers {
    lookup: DataKey,
    reply: DataKey,
    lookup_salt: [u8; 16],
    reply_salt: [u8; 16],
}

impl Peppers {
    /// Fails with [`CryptoError::EqualPeppers`] if the two are equal (startup must refuse).
    pub fn new(lookup: DataKey, reply: DataKey) -> Result<Self, CryptoError> {
        if ct_eq(lookup.bytes(), reply.bytes()) {
            return Err(CryptoError::EqualPeppers);
        }
        let lookup_salt = salt(&lookup, "reunite/code-lookup-salt/v1");
        let reply_salt = salt(&reply, "reunite/reply-key-salt/v1");
        Ok(Peppers {
            lookup,
            reply,
            lookup_salt,
            reply_salt,
        })
    }

    /// The value under which a code is stored and looked up: keyed Argon2id over the 20
    /// digits, with pepper 1 as the Argon2 secret, salt = first 16 bytes of
    /// HMAC-SHA256(pepper 1, `reunite/code-lookup-salt/v1`), m = 19 MiB, t = 2, p = 1.
    ///
    /// The salt is fixed per deployment because the hash must be deterministic for lookup;
    /// the secret pepper keeps a stolen table from being attacked without it, and the
    /// Argon2 cost (tens of milliseconds) keeps even a thief holding pepper 1 from running
    /// through 10^20 codes. Moderate, not password-grade, because every public check-back
    /// pays it.
    pub fn code_lookup(&self, code: &TracingCode) -> [u8; 32] {
        let mut out = [0u8; 32];
        keyed_argon2(&self.lookup, &self.lookup_salt, code.digits(), &mut out);
        out
    }

    /// The key that encrypts replies to the holder of `code`: keyed Argon2id as in
    /// [`Peppers::code_lookup`] but with pepper 2 (and a salt derived from it), so that
    /// the lookup hash reveals nothing about this key.
    pub fn reply_key(&self, code: &TracingCode) -> DataKey {
        let mut out = [0u8; KEY_LEN];
        keyed_argon2(&self.reply, &self.reply_salt, code.digits(), &mut out);
        DataKey::from_bytes(&mut out)
    }
}

impl fmt::Debug for Peppers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Peppers(<redacted>)")
    }
}

fn salt(pepper: &DataKey, domain: &str) -> [u8; 16] {
    let mac = hmac(pepper.bytes(), domain.as_bytes());
    let mut s = [0u8; 16];
    s.copy_from_slice(&mac[..16]);
    s
}

fn keyed_argon2(pepper: &DataKey, salt: &[u8; 16], digits: &[u8], out: &mut [u8]) {
    let params = Params::new(CODE_KDF_M_KIB, CODE_KDF_T, CODE_KDF_P, Some(out.len()))
        .expect("constant Argon2 parameters are valid");
    Argon2::new_with_secret(pepper.bytes(), Algorithm::Argon2id, Version::V0x13, params)
        .expect("a 32-byte secret is accepted")
        .hash_password_into(digits, salt, out)
        .expect("Argon2 with valid parameters and a 16-byte salt cannot fail");
}
