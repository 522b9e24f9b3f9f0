//! Master keys, the key ring and data keys.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rand_core::{OsRng, RngCore};
use zeroize::{Zeroize, Zeroizing};

use crate::CryptoError;

/// Length in bytes of every symmetric key in this crate.
pub const KEY_LEN: usize = 32;

const MASTER_KEY_PREFIX: &str = "reunite-master-key-v1:";
const DATA_KEY_PREFIX: &str = "reunite-data-key-v1:";
/// Base64 (standard alphabet, padded) of 32 bytes is 44 characters.
const KEY_B64_LEN: usize = 44;
const MAX_KEY_ID_LEN: usize = 64;

/// Identifier of a master key, e.g. `mk-3f9a1c2d4e5b6a70`.
///
/// Not secret: it is stored next to everything a master key wraps, so that rotation knows
/// which key opens what, and it names the key's file in the key directory. It is therefore
/// restricted to 1–64 ASCII letters, digits, `-` and `_` (safe as a file name).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(String);

impl KeyId {
    /// A fresh random id: `mk-` and 64 random bits in hex.
    pub fn generate() -> Self {
        KeyId(random_id("mk"))
    }

    /// The id as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `prefix-` followed by 16 lowercase hex digits from the OS RNG.
pub(crate) fn random_id(prefix: &str) -> String {
    let mut b = [0u8; 8];
    OsRng.fill_bytes(&mut b);
    let mut s = String::with_capacity(prefix.len() + 17);
    s.push_str(prefix);
    s.push('-');
    for byte in b {
        s.push_str(&format!("{byte:02x}"));
    }
    s
}

/// A fresh random identifier for a data key, `dk-` and 64 random bits in hex.
///
/// The identifier goes into envelopes and AAD (see [`crate::seal_field`]); any string up to
/// 255 bytes works there, this is merely a convenient unique choice.
pub fn data_key_id() -> String {
    random_id("dk")
}

impl FromStr for KeyId {
    type Err = CryptoError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok = !s.is_empty()
            && s.len() <= MAX_KEY_ID_LEN
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(KeyId(s.to_owned()))
        } else {
            Err(CryptoError::BadKeyText(
                "key id must be 1-64 ASCII letters, digits, '-' or '_'",
            ))
        }
    }
}

impl AsRef<str> for KeyId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({})", self.0)
    }
}

/// A master key: 32 random bytes and their id. It only ever wraps data keys
/// ([`crate::wrap_key`]); it never encrypts records itself.
///
/// `Debug` prints only the id; there is no `Display`. The bytes are zeroed on drop.
/// Deliberately not `Clone`: there should be one copy in memory.
pub struct MasterKey {
    id: KeyId,
    key: Zeroizing<[u8; KEY_LEN]>,
}

impl MasterKey {
    /// A new random master key with a new random id.
    pub fn generate() -> Self {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        OsRng.fill_bytes(key.as_mut());
        MasterKey {
            id: KeyId::generate(),
            key,
        }
    }

    /// The key's id.
    pub fn id(&self) -> &KeyId {
        &self.id
    }

    /// The text form `reunite-master-key-v1:<id>:<base64 key>` (standard base64, padded),
    /// used in key files and the `REUNITE_MASTER_KEY`-style environment variable.
    /// The returned string is zeroed on drop.
    pub fn to_text(&self) -> Zeroizing<String> {
        let mut s = Zeroizing::new(String::with_capacity(
            MASTER_KEY_PREFIX.len() + self.id.0.len() + 1 + KEY_B64_LEN,
        ));
        s.push_str(MASTER_KEY_PREFIX);
        s.push_str(&self.id.0);
        s.push(':');
        STANDARD.encode_string(self.key.as_ref(), &mut s);
        s
    }

    /// Parses the form written by [`MasterKey::to_text`]. Surrounding whitespace (a trailing
    /// newline in a file or environment variable) is ignored.
    pub fn from_text(s: &str) -> Result<Self, CryptoError> {
        let s = s.trim();
        let rest = s
            .strip_prefix(MASTER_KEY_PREFIX)
            .ok_or(CryptoError::BadKeyText(
                "expected prefix reunite-master-key-v1:",
            ))?;
        let (id, b64) = rest
            .split_once(':')
            .ok_or(CryptoError::BadKeyText("expected <id>:<base64 key>"))?;
        let id: KeyId = id.parse()?;
        let key = decode_key(b64)?;
        Ok(MasterKey { id, key })
    }

    pub(crate) fn bytes(&self) -> &[u8; KEY_LEN] {
        &self.key
    }
}

/// Decodes exactly 32 bytes of padded standard base64 into a zeroizing buffer.
fn decode_key(b64: &str) -> Result<Zeroizing<[u8; KEY_LEN]>, CryptoError> {
    if b64.len() != KEY_B64_LEN {
        return Err(CryptoError::BadKeyText("key must be 32 bytes in base64"));
    }
    // Capacity above the decoder's estimate, so it never reallocates and leaves a copy behind.
    let mut buf = Zeroizing::new(Vec::with_capacity(48));
    STANDARD
        .decode_vec(b64, &mut buf)
        .map_err(|_| CryptoError::BadKeyText("invalid base64"))?;
    if buf.len() != KEY_LEN {
        return Err(CryptoError::BadKeyText("key must be 32 bytes in base64"));
    }
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    key.copy_from_slice(&buf);
    Ok(key)
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MasterKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// The master keys a process knows: the current one (used for all new wrapping) and older
/// ones (only for unwrapping data keys not yet re-wrapped). `Debug` shows ids only.
pub struct KeyRing {
    current: MasterKey,
    older: Vec<MasterKey>,
}

impl KeyRing {
    /// A ring with `current` for new wrapping and `older` for unwrapping only. An older key
    /// with the same id as `current` is dropped.
    pub fn new(current: MasterKey, older: Vec<MasterKey>) -> Self {
        let older = older.into_iter().filter(|k| k.id != current.id).collect();
        KeyRing { current, older }
    }

    /// The key used for all new wrapping.
    pub fn current(&self) -> &MasterKey {
        &self.current
    }

    /// The key with this id, current or older.
    pub fn get(&self, id: &KeyId) -> Option<&MasterKey> {
        std::iter::once(&self.current)
            .chain(self.older.iter())
            .find(|k| &k.id == id)
    }

    /// Ids of all keys, current first.
    pub fn ids(&self) -> Vec<KeyId> {
        std::iter::once(&self.current)
            .chain(self.older.iter())
            .map(|k| k.id.clone())
            .collect()
    }
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing")
            .field("current", &self.current.id)
            .field(
                "older",
                &self.older.iter().map(|k| &k.id).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// A 32-byte secret that is not a master key: a per-record (or per-table) data key that
/// opens field envelopes, or a key with another purpose (blind index, audit chain,
/// pseudonyms, peppers). Stored wrapped by the master key ([`crate::wrap_key`]).
///
/// `Debug` is redacted, there is no `Display`, and the bytes are zeroed on drop.
#[derive(Clone)]
pub struct DataKey(Zeroizing<[u8; KEY_LEN]>);

impl DataKey {
    /// A new random key from the OS RNG.
    pub fn generate() -> Self {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        OsRng.fill_bytes(key.as_mut());
        DataKey(key)
    }

    /// Takes ownership of raw key bytes (for keys derived or configured elsewhere).
    /// The caller's array is zeroed.
    pub fn from_bytes(bytes: &mut [u8; KEY_LEN]) -> Self {
        let key = Zeroizing::new(*bytes);
        bytes.zeroize();
        DataKey(key)
    }

    /// The text form `reunite-data-key-v1:<base64>`, for secrets that must be configured
    /// outside the database, such as the peppers an intake mirror needs. Zeroed on drop.
    pub fn to_text(&self) -> Zeroizing<String> {
        let mut s = Zeroizing::new(String::with_capacity(DATA_KEY_PREFIX.len() + KEY_B64_LEN));
        s.push_str(DATA_KEY_PREFIX);
        STANDARD.encode_string(self.0.as_ref(), &mut s);
        s
    }

    /// Parses [`DataKey::to_text`]; surrounding whitespace is ignored.
    pub fn from_text(s: &str) -> Result<Self, CryptoError> {
        let b64 = s
            .trim()
            .strip_prefix(DATA_KEY_PREFIX)
            .ok_or(CryptoError::BadKeyText(
                "expected prefix reunite-data-key-v1:",
            ))?;
        Ok(DataKey(decode_key(b64)?))
    }

    pub(crate) fn bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(<redacted>)")
    }
}
