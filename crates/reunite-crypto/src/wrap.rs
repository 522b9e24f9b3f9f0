//! Wrapping data keys under a master key.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand_core::{OsRng, RngCore};

use crate::CryptoError;
use crate::aad::Aad;
use crate::keys::{DataKey, KEY_LEN, KeyId, KeyRing, MasterKey};

const WRAP_VERSION: u8 = 0x01;
const WRAP_DOMAIN: &str = "reunite/wrap/v1";
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;

/// Wraps (encrypts) `key` under the master key `mk` with XChaCha20-Poly1305.
///
/// Layout (wrapped key v1):
///
/// ```text
/// 0x01 | master-id length (u8) | master-id bytes | 24-byte random nonce | 32-byte ciphertext + 16-byte tag
/// ```
///
/// The associated data is the domain `reunite/wrap/v1` followed by the length-prefixed
/// version byte, `key_id`, `purpose` and master key id. A wrapped key therefore opens
/// only under the same master key, for the same data-key id and the same purpose: a
/// blind-index key cannot be swapped in where a field key is expected.
///
/// The master id is also stored in clear so that [`wrapped_master_id`] tells which key of
/// a [`KeyRing`] opens it (rotation re-wraps everything not under the current key).
pub fn wrap_key(mk: &MasterKey, key_id: &str, purpose: &str, key: &DataKey) -> Vec<u8> {
    let mk_id = mk.id().as_str().as_bytes();
    // KeyId guarantees 1..=64 bytes.
    let mut out = Vec::with_capacity(2 + mk_id.len() + NONCE_LEN + KEY_LEN + TAG_LEN);
    out.push(WRAP_VERSION);
    out.push(mk_id.len() as u8);
    out.extend_from_slice(mk_id);
    let mut nonce = [0u8; NONCE_LEN];
    OsRng.fill_bytes(&mut nonce);
    out.extend_from_slice(&nonce);

    let aad = wrap_aad(mk.id(), key_id, purpose);
    let cipher = XChaCha20Poly1305::new(mk.bytes().into());
    let ct = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: key.bytes(),
                aad: aad.as_bytes(),
            },
        )
        .expect("XChaCha20-Poly1305 encryption of 32 bytes cannot fail");
    out.extend_from_slice(&ct);
    out
}

/// Unwraps a key made by [`wrap_key`] with the same master key, `key_id` and `purpose`.
///
/// Fails with [`CryptoError::Decrypt`] on a wrong master key, a different id or purpose, or
/// any changed byte; with [`CryptoError::BadEnvelope`] if the layout is wrong.
pub fn unwrap_key(
    mk: &MasterKey,
    key_id: &str,
    purpose: &str,
    wrapped: &[u8],
) -> Result<DataKey, CryptoError> {
    let (stored_mk_id, nonce, ct) = parse_wrapped(wrapped)?;
    if stored_mk_id != mk.id().as_str() {
        return Err(CryptoError::Decrypt);
    }
    let aad = wrap_aad(mk.id(), key_id, purpose);
    let cipher = XChaCha20Poly1305::new(mk.bytes().into());
    let pt = zeroize::Zeroizing::new(
        cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Decrypt)?,
    );
    let mut bytes = [0u8; KEY_LEN];
    bytes.copy_from_slice(&pt);
    Ok(DataKey::from_bytes(&mut bytes))
}

/// The id of the master key that wrapped this key (read from its header, not authenticated
/// on its own; [`unwrap_key`] authenticates it).
pub fn wrapped_master_id(wrapped: &[u8]) -> Result<KeyId, CryptoError> {
    let (id, _, _) = parse_wrapped(wrapped)?;
    id.parse()
        .map_err(|_| CryptoError::BadEnvelope("invalid master key id"))
}

/// Unwraps with whichever key of `ring` wrapped it. Fails with [`CryptoError::UnknownKey`]
/// when that master key is not in the ring (e.g. already destroyed).
pub fn unwrap_key_with_ring(
    ring: &KeyRing,
    key_id: &str,
    purpose: &str,
    wrapped: &[u8],
) -> Result<DataKey, CryptoError> {
    let id = wrapped_master_id(wrapped)?;
    let mk = ring
        .get(&id)
        .ok_or_else(|| CryptoError::UnknownKey(id.to_string()))?;
    unwrap_key(mk, key_id, purpose, wrapped)
}

/// Rotation helper: unwraps with `ring` and re-wraps under `ring.current()`. Returns `None`
/// when the key is already wrapped by the current master key.
pub fn rewrap_key(
    ring: &KeyRing,
    key_id: &str,
    purpose: &str,
    wrapped: &[u8],
) -> Result<Option<Vec<u8>>, CryptoError> {
    if wrapped_master_id(wrapped)? == *ring.current().id() {
        return Ok(None);
    }
    let key = unwrap_key_with_ring(ring, key_id, purpose, wrapped)?;
    Ok(Some(wrap_key(ring.current(), key_id, purpose, &key)))
}

fn wrap_aad(mk_id: &KeyId, key_id: &str, purpose: &str) -> Aad {
    let mut aad = Aad::new(WRAP_DOMAIN);
    aad.push(&[WRAP_VERSION])
        .push(key_id.as_bytes())
        .push(purpose.as_bytes())
        .push(mk_id.as_str().as_bytes());
    aad
}

fn parse_wrapped(w: &[u8]) -> Result<(&str, &[u8], &[u8]), CryptoError> {
    let (&version, rest) = w
        .split_first()
        .ok_or(CryptoError::BadEnvelope("empty wrapped key"))?;
    if version != WRAP_VERSION {
        return Err(CryptoError::BadEnvelope("unknown wrapped-key version"));
    }
    let (&id_len, rest) = rest
        .split_first()
        .ok_or(CryptoError::BadEnvelope("wrapped key too short"))?;
    let id_len = usize::from(id_len);
    if rest.len() != id_len + NONCE_LEN + KEY_LEN + TAG_LEN {
        return Err(CryptoError::BadEnvelope("wrapped key has the wrong length"));
    }
    let (id, rest) = rest.split_at(id_len);
    let id =
        std::str::from_utf8(id).map_err(|_| CryptoError::BadEnvelope("master id not UTF-8"))?;
    let (nonce, ct) = rest.split_at(NONCE_LEN);
    Ok((id, nonce, ct))
}
