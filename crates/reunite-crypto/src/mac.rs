//! Keyed MACs: blind indexes, the audit hash chain, pseudonyms; constant-time comparison.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::aad::Aad;
use crate::keys::DataKey;

type HmacSha256 = Hmac<Sha256>;

pub(crate) fn hmac(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut m = <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC accepts any key length");
    m.update(msg);
    m.finalize().into_bytes().into()
}

/// A blind index: HMAC-SHA256 under `key` over the length-prefixed domain
/// `reunite/blind-index/v1`, `domain` and `value`.
///
/// Lets the store find equal values (e.g. a normalised phone number) without storing them.
/// Use a separate key (a [`DataKey`] with purpose `blind-index`) and a distinct `domain`
/// per column, so indexes of different columns cannot be correlated. Normalise `value`
/// before indexing; the index matches exact bytes only.
pub fn blind_index(key: &DataKey, domain: &str, value: &[u8]) -> [u8; 32] {
    let mut m = Aad::new("reunite/blind-index/v1");
    m.push(domain.as_bytes()).push(value);
    hmac(key.bytes(), m.as_bytes())
}

/// One link of the audit hash chain: HMAC-SHA256 under `key` over the domain
/// `reunite/audit/v1`, the previous link and the length-prefixed event bytes.
///
/// Keyed, so that someone who can write the database but lacks the key cannot recompute a
/// consistent chain after tampering. Start the chain with 32 zero bytes as `prev`.
pub fn audit_link(key: &DataKey, prev: &[u8; 32], event: &[u8]) -> [u8; 32] {
    let mut m = Aad::new("reunite/audit/v1");
    m.push(prev).push(event);
    hmac(key.bytes(), m.as_bytes())
}

/// A stable pseudonym such as `case:5f2a9c1e0b7d`: `kind`, a colon and the first 48 bits of
/// HMAC-SHA256 under `key` (domain `reunite/pseudonym/v1`, length-prefixed `kind` and `id`)
/// in lowercase hex.
///
/// For logs and exports: the same id always gives the same pseudonym, and without the key
/// it cannot be linked back. 48 bits make collisions unlikely below about ten million ids
/// of one kind (birthday bound 2^24); do not use a pseudonym as a unique key.
pub fn pseudonym(key: &DataKey, kind: &str, id: &str) -> String {
    let mut m = Aad::new("reunite/pseudonym/v1");
    m.push(kind.as_bytes()).push(id.as_bytes());
    let mac = hmac(key.bytes(), m.as_bytes());
    let mut s = String::with_capacity(kind.len() + 13);
    s.push_str(kind);
    s.push(':');
    for b in &mac[..6] {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Compares two byte strings in time independent of their contents (the length may leak).
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}
