//! Sealed boxes: intake mirrors encrypt to the office's public key and cannot decrypt.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use crypto_box::{PublicKey, SecretKey};
use rand_core::OsRng;
use zeroize::Zeroizing;

use crate::CryptoError;

const PK_PREFIX: &str = "reunite-office-pk-v1:";
const SK_PREFIX: &str = "reunite-office-sk-v1:";
const SEALED_V1: u8 = 0x01;
/// Ephemeral public key (32) + Poly1305 tag (16).
const SEAL_OVERHEAD: usize = 48;

/// The office's X25519 public key, held by intake mirrors. Not secret.
#[derive(Clone, PartialEq, Eq)]
pub struct OfficePublicKey(PublicKey);

/// The office's X25519 secret key. Only the office holds it. `Debug` is redacted; zeroed
/// on drop (by `crypto_box`).
pub struct OfficeSecretKey(SecretKey);

/// A new office key pair from the OS RNG.
pub fn office_keypair() -> (OfficePublicKey, OfficeSecretKey) {
    let sk = SecretKey::generate(&mut OsRng);
    (OfficePublicKey(sk.public_key()), OfficeSecretKey(sk))
}

impl OfficePublicKey {
    /// `reunite-office-pk-v1:<base64>`.
    pub fn to_text(&self) -> String {
        format!("{PK_PREFIX}{}", STANDARD.encode(self.0.as_bytes()))
    }

    /// Parses [`OfficePublicKey::to_text`]; surrounding whitespace is ignored.
    pub fn from_text(s: &str) -> Result<Self, CryptoError> {
        let b64 = s
            .trim()
            .strip_prefix(PK_PREFIX)
            .ok_or(CryptoError::BadKeyText(
                "expected prefix reunite-office-pk-v1:",
            ))?;
        let bytes = STANDARD
            .decode(b64)
            .map_err(|_| CryptoError::BadKeyText("invalid base64"))?;
        let arr: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| CryptoError::BadKeyText("public key must be 32 bytes"))?;
        Ok(OfficePublicKey(PublicKey::from(arr)))
    }
}

impl fmt::Debug for OfficePublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OfficePublicKey({})", self.to_text())
    }
}

impl OfficeSecretKey {
    /// The matching public key.
    pub fn public_key(&self) -> OfficePublicKey {
        OfficePublicKey(self.0.public_key())
    }

    /// `reunite-office-sk-v1:<base64>`; zeroed on drop.
    pub fn to_text(&self) -> Zeroizing<String> {
        let bytes = Zeroizing::new(self.0.to_bytes());
        let mut s = Zeroizing::new(String::with_capacity(SK_PREFIX.len() + 44));
        s.push_str(SK_PREFIX);
        STANDARD.encode_string(bytes.as_ref(), &mut s);
        s
    }

    /// Parses [`OfficeSecretKey::to_text`]; surrounding whitespace is ignored.
    pub fn from_text(s: &str) -> Result<Self, CryptoError> {
        let b64 = s
            .trim()
            .strip_prefix(SK_PREFIX)
            .ok_or(CryptoError::BadKeyText(
                "expected prefix reunite-office-sk-v1:",
            ))?;
        if b64.len() != 44 {
            return Err(CryptoError::BadKeyText("secret key must be 32 bytes"));
        }
        let mut buf = Zeroizing::new(Vec::with_capacity(48));
        STANDARD
            .decode_vec(b64, &mut buf)
            .map_err(|_| CryptoError::BadKeyText("invalid base64"))?;
        let mut arr = Zeroizing::new([0u8; 32]);
        if buf.len() != 32 {
            return Err(CryptoError::BadKeyText("secret key must be 32 bytes"));
        }
        arr.copy_from_slice(&buf);
        Ok(OfficeSecretKey(SecretKey::from(*arr)))
    }
}

impl fmt::Debug for OfficeSecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OfficeSecretKey(<redacted>)")
    }
}

/// Encrypts `plaintext` so that only the holder of the office secret key can read it.
///
/// Layout: `0x01 | libsodium crypto_box_seal output` (32-byte ephemeral X25519 public key,
/// then XSalsa20-Poly1305 ciphertext and tag; nonce = BLAKE2b(ephemeral pk ‖ recipient pk)).
/// The sender keeps nothing that could decrypt it afterwards.
pub fn seal(pk: &OfficePublicKey, plaintext: &[u8]) -> Vec<u8> {
    let body =
        pk.0.seal(&mut OsRng, plaintext)
            .expect("crypto_box seal cannot fail for in-memory messages");
    let mut out = Vec::with_capacity(1 + body.len());
    out.push(SEALED_V1);
    out.extend_from_slice(&body);
    out
}

/// Opens a box made by [`seal`]. The plaintext is zeroed on drop.
pub fn open_sealed(sk: &OfficeSecretKey, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let (&version, body) = sealed
        .split_first()
        .ok_or(CryptoError::BadEnvelope("empty sealed box"))?;
    if version != SEALED_V1 {
        return Err(CryptoError::BadEnvelope("unknown sealed-box version"));
    }
    if body.len() < SEAL_OVERHEAD {
        return Err(CryptoError::BadEnvelope("sealed box too short"));
    }
    sk.0.unseal(body)
        .map(Zeroizing::new)
        .map_err(|_| CryptoError::Decrypt)
}
