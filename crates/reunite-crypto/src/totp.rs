//! Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP, HMAC-SHA-1, 6 digits, 30 s),
//! the second factor every staff account must have.

use hmac::{Hmac, Mac};
use sha1::Sha1;

/// Seconds per time step.
pub const STEP_SECS: i64 = 30;

/// A new random secret (160 bits, as RFC 4226 recommends).
pub fn new_secret() -> Vec<u8> {
    crate::random_bytes::<20>().to_vec()
}

fn hotp(secret: &[u8], counter: u64, digits: u32) -> u32 {
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret) else {
        return u32::MAX;
    };
    mac.update(&counter.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = (h[19] & 0x0f) as usize;
    let bin = (u32::from(h[offset]) & 0x7f) << 24
        | u32::from(h[offset + 1]) << 16
        | u32::from(h[offset + 2]) << 8
        | u32::from(h[offset + 3]);
    bin % 10u32.pow(digits)
}

/// The code for a Unix time (seconds), as six digits.
pub fn code_at(secret: &[u8], unix_secs: i64) -> String {
    format!("{:06}", hotp(secret, (unix_secs / STEP_SECS) as u64, 6))
}

/// Checks a typed code against the steps around `unix_secs` (one step of clock drift either
/// way) that are newer than `last_step`. Returns the matching step.
pub fn verify(secret: &[u8], typed: &str, unix_secs: i64, last_step: i64) -> Option<i64> {
    let typed: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    if typed.len() != 6 || !typed.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now_step = unix_secs.div_euclid(STEP_SECS);
    let mut found = None;
    for step in [now_step - 1, now_step, now_step + 1] {
        if step <= last_step || step < 0 {
            continue;
        }
        let want = format!("{:06}", hotp(secret, step as u64, 6));
        // Compare every candidate in constant time, without stopping early.
        if crate::ct_eq(want.as_bytes(), typed.as_bytes()) {
            found = Some(step);
        }
    }
    found
}

/// RFC 4648 base32 without padding, grouped by four for typing by hand.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            out.push(ALPHABET[((buffer >> (bits - 5)) & 31) as usize] as char);
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// The same key in groups of four characters.
pub fn grouped(s: &str) -> String {
    s.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 6238 appendix B, SHA-1 seed "12345678901234567890" (8-digit values; the 6-digit
    // code is the low six digits).
    #[test]
    fn rfc6238_vectors() {
        let seed = b"12345678901234567890";
        for (t, eight) in [
            (59i64, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
        ] {
            assert_eq!(format!("{:08}", hotp(seed, (t / 30) as u64, 8)), eight);
            assert_eq!(code_at(seed, t), eight[2..]);
        }
    }

    #[test]
    fn verify_accepts_drift_and_refuses_replay() {
        let s = new_secret();
        let t = 1_800_000_000;
        let code = code_at(&s, t);
        let step = verify(&s, &code, t, 0).unwrap();
        assert_eq!(step, t / 30);
        assert_eq!(
            verify(&s, &code, t + 30, 0),
            Some(step),
            "one step late is fine"
        );
        assert_eq!(
            verify(&s, &code, t + 90, 0),
            None,
            "three steps late is not"
        );
        assert_eq!(verify(&s, &code, t, step), None, "a used code is refused");
        assert_eq!(verify(&s, "12345", t, 0), None);
        assert_eq!(verify(&s, "abcdef", t, 0), None);
    }

    #[test]
    fn base32_matches_rfc4648() {
        assert_eq!(base32(b""), "");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
    }
}
