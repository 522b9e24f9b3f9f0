//! Field envelopes (threat-model requirement 13).

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand_core::{OsRng, RngCore};
use zeroize::Zeroizing;

use crate::CryptoError;
use crate::aad::Aad;
use crate::keys::DataKey;

/// Version byte of envelope format v1.
pub const ENVELOPE_V1: u8 = 0x01;
const FIELD_DOMAIN: &str = "reunite/field/v1";
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;

/// Where a sealed value lives. All three parts are bound into the envelope's associated
/// data: an envelope copied to another table, column or row no longer opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldContext<'a> {
    /// Table name, e.g. `"mothers"`.
    pub table: &'a str,
    /// Column name, e.g. `"birth_name"`.
    pub column: &'a str,
    /// The row's stable id (not a reusable row number).
    pub row_id: &'a str,
}

/// Encrypts one field value with XChaCha20-Poly1305 under `key` (whose id is `key_id`).
///
/// Envelope v1 layout:
///
/// ```text
/// 0x01 | key_id length (u8) | key_id bytes | 24-byte random nonce | ciphertext + 16-byte tag
/// ```
///
/// Associated data: domain `reunite/field/v1`, then length-prefixed `table`, `column`,
/// `row_id` and `key_id`. The key id is in clear so that the store knows which data key
/// opens an envelope ([`envelope_key_id`]); binding it into the AAD makes a swapped id fail.
/// The 24-byte nonce is random: with XChaCha20 random nonces are safe for any realistic
/// number of messages per key.
///
/// # Panics
///
/// If `key_id` is longer than 255 bytes (it must fit the length byte): that is a
/// programming error, key ids are short identifiers such as [`crate::data_key_id`].
pub fn seal_field(
    key: &DataKey,
    key_id: &str,
    ctx: &FieldContext<'_>,
    plaintext: &[u8],
) -> Vec<u8> {
    let id_len = u8::try_from(key_id.len()).expect("data key id longer than 255 bytes");
    let mut out = Vec::with_capacity(2 + key_id.len() + NONCE_LEN + plaintext.len() + TAG_LEN);
    out.push(ENVELOPE_V1);
    out.push(id_len);
    out.extend_from_slice(key_id.as_bytes());
    let mut nonce = [0u8; NONCE_LEN];
    OsRng.fill_bytes(&mut nonce);
    out.extend_from_slice(&nonce);
    let aad = field_aad(ctx, key_id);
    let cipher = XChaCha20Poly1305::new(key.bytes().into());
    let ct = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: aad.as_bytes(),
            },
        )
        .expect("XChaCha20-Poly1305 encryption cannot fail below 256 GiB");
    out.extend_from_slice(&ct);
    out
}

/// Decrypts an envelope made by [`seal_field`] for the same `ctx`.
///
/// The key id is taken from the envelope and authenticated through the AAD, so an envelope
/// whose id byte was altered, moved to another place, or opened with the wrong key fails
/// with [`CryptoError::Decrypt`]. The plaintext is zeroed on drop.
pub fn open_field(
    key: &DataKey,
    ctx: &FieldContext<'_>,
    envelope: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let (key_id, nonce, ct) = parse(envelope)?;
    let aad = field_aad(ctx, key_id);
    let cipher = XChaCha20Poly1305::new(key.bytes().into());
    cipher
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: ct,
                aad: aad.as_bytes(),
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| CryptoError::Decrypt)
}

/// The id of the data key that opens this envelope (not authenticated by itself).
pub fn envelope_key_id(envelope: &[u8]) -> Result<&str, CryptoError> {
    parse(envelope).map(|(id, _, _)| id)
}

fn field_aad(ctx: &FieldContext<'_>, key_id: &str) -> Aad {
    let mut aad = Aad::new(FIELD_DOMAIN);
    aad.push(ctx.table.as_bytes())
        .push(ctx.column.as_bytes())
        .push(ctx.row_id.as_bytes())
        .push(key_id.as_bytes());
    aad
}

fn parse(envelope: &[u8]) -> Result<(&str, &[u8], &[u8]), CryptoError> {
    let (&version, rest) = envelope
        .split_first()
        .ok_or(CryptoError::BadEnvelope("empty envelope"))?;
    if version != ENVELOPE_V1 {
        return Err(CryptoError::BadEnvelope("unknown envelope version"));
    }
    let (&id_len, rest) = rest
        .split_first()
        .ok_or(CryptoError::BadEnvelope("envelope too short"))?;
    let id_len = usize::from(id_len);
    if rest.len() < id_len + NONCE_LEN + TAG_LEN {
        return Err(CryptoError::BadEnvelope("envelope too short"));
    }
    let (id, rest) = rest.split_at(id_len);
    let id = std::str::from_utf8(id).map_err(|_| CryptoError::BadEnvelope("key id not UTF-8"))?;
    let (nonce, ct) = rest.split_at(NONCE_LEN);
    Ok((id, nonce, ct))
}
