//! Encrypted, streamed backups.
//!
//! File layout (v1), all integers big-endian:
//!
//! ```text
//! offset size  field
//!      0   15  magic "reunite-backup\0"
//!     15    1  format version 0x01
//!     16    1  KDF id 0x01 = Argon2id v1.3
//!     17    4  m (KiB)
//!     21    4  t
//!     25    4  p
//!     29   16  random salt
//!     45   19  random STREAM nonce prefix
//!     64   32  passphrase check = HMAC-SHA256(K, "reunite/backup/check/v1" ‖ bytes 0..64)
//!     96    …  chunks: XChaCha20-Poly1305 STREAM (BE32 counter + last-chunk flag), each
//!              64 KiB of plaintext + 16-byte tag; the last chunk is shorter or equal
//! ```
//!
//! `K` = Argon2id(passphrase, salt, m, t, p) (32 bytes); the chunk key is
//! HMAC-SHA256(K, `reunite/backup/key/v1`). Every chunk's associated data is the whole
//! 96-byte header, so header, parameters and chunks are bound together.
//!
//! What the STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár 2015) gives: each
//! chunk's nonce holds its position and whether it is the last, so reordering, dropping,
//! duplicating or truncating chunks fails authentication. The check value lets a wrong
//! passphrase be told apart from a damaged file; it gives an attacker nothing beyond what
//! trying to decrypt the first chunk already would.
//!
//! [`decrypt`] writes plaintext as chunks are verified; truncation is only known at the
//! end. Write to a temporary file and use it only if `decrypt` returns `Ok`.

use std::io::{ErrorKind, Read, Write};

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::XChaCha20Poly1305;
use chacha20poly1305::aead::KeyInit;
use chacha20poly1305::aead::generic_array::GenericArray;
use chacha20poly1305::aead::stream::{DecryptorBE32, EncryptorBE32};
use rand_core::{OsRng, RngCore};
use zeroize::Zeroizing;

use crate::CryptoError;
use crate::mac::{ct_eq, hmac};

const MAGIC: &[u8; 15] = b"reunite-backup\0";
const VERSION: u8 = 0x01;
const KDF_ARGON2ID: u8 = 0x01;
const SALT_LEN: usize = 16;
const PREFIX_LEN: usize = 19;
const CHECK_LEN: usize = 32;
const SALT_OFF: usize = 29;
const PREFIX_OFF: usize = SALT_OFF + SALT_LEN;
const PRE_CHECK_LEN: usize = PREFIX_OFF + PREFIX_LEN;
/// Length of the backup header in bytes.
pub const HEADER_LEN: usize = PRE_CHECK_LEN + CHECK_LEN;
/// Plaintext bytes per chunk.
pub const CHUNK_LEN: usize = 64 * 1024;
const TAG_LEN: usize = 16;
/// Shortest passphrase [`encrypt`] accepts, in characters.
pub const MIN_PASSPHRASE_CHARS: usize = 12;

/// Upper bounds accepted from a header, so a crafted file cannot make `decrypt` allocate
/// unbounded memory or spin forever.
const MAX_M_KIB: u32 = 4 * 1024 * 1024;
const MAX_T: u32 = 64;
const MAX_P: u32 = 64;

/// Argon2id cost for deriving the backup key from the passphrase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackupParams {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Passes.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl BackupParams {
    /// 256 MiB, t = 3, p = 1: a backup is the one artefact an adversary can attack offline
    /// for as long as it likes, and it is derived once per backup, so it can afford about a
    /// second and four times the login memory.
    pub const DEFAULT: Self = BackupParams {
        m_kib: 256 * 1024,
        t: 3,
        p: 1,
    };
}

/// Encrypts `input` to `output` with [`BackupParams::DEFAULT`]. `progress` is called with
/// the cumulative number of input bytes consumed. Refuses passphrases shorter than
/// [`MIN_PASSPHRASE_CHARS`] characters. The passphrase's bytes are used as given (no
/// Unicode normalisation).
pub fn encrypt<R: Read, W: Write>(
    passphrase: &str,
    input: R,
    output: W,
    progress: &mut dyn FnMut(u64),
) -> Result<(), CryptoError> {
    encrypt_with_params(&BackupParams::DEFAULT, passphrase, input, output, progress)
}

/// [`encrypt`] with explicit KDF parameters (tests and constrained machines).
pub fn encrypt_with_params<R: Read, W: Write>(
    params: &BackupParams,
    passphrase: &str,
    mut input: R,
    mut output: W,
    progress: &mut dyn FnMut(u64),
) -> Result<(), CryptoError> {
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(CryptoError::WeakPassphrase(MIN_PASSPHRASE_CHARS));
    }
    let mut header = [0u8; HEADER_LEN];
    header[..15].copy_from_slice(MAGIC);
    header[15] = VERSION;
    header[16] = KDF_ARGON2ID;
    header[17..21].copy_from_slice(&params.m_kib.to_be_bytes());
    header[21..25].copy_from_slice(&params.t.to_be_bytes());
    header[25..29].copy_from_slice(&params.p.to_be_bytes());
    OsRng.fill_bytes(&mut header[SALT_OFF..PRE_CHECK_LEN]);
    let (key, check) = derive(passphrase, params, &header)?;
    header[PRE_CHECK_LEN..].copy_from_slice(&check);
    output.write_all(&header)?;

    let cipher = XChaCha20Poly1305::new(GenericArray::from_slice(key.as_ref()));
    let prefix = GenericArray::clone_from_slice(&header[PREFIX_OFF..PRE_CHECK_LEN]);
    let mut enc = EncryptorBE32::from_aead(cipher, &prefix);

    let mut cur = chunk_buffer();
    let mut next = chunk_buffer();
    let mut consumed = fill(&mut input, &mut cur, CHUNK_LEN)? as u64;
    progress(consumed);
    while cur.len() == CHUNK_LEN {
        let n = fill(&mut input, &mut next, CHUNK_LEN)?;
        if n == 0 {
            break;
        }
        enc.encrypt_next_in_place(&header, &mut *cur)
            .map_err(|_| CryptoError::BadBackup("encryption failed"))?;
        output.write_all(&cur)?;
        std::mem::swap(&mut cur, &mut next);
        consumed += n as u64;
        progress(consumed);
    }
    enc.encrypt_last_in_place(&header, &mut *cur)
        .map_err(|_| CryptoError::BadBackup("encryption failed"))?;
    output.write_all(&cur)?;
    output.flush()?;
    Ok(())
}

/// Decrypts a backup made by [`encrypt`], streaming to `output`; `progress` gets the
/// cumulative number of input bytes consumed (header included).
///
/// Errors: [`CryptoError::WrongPassphrase`]; [`CryptoError::BadBackup`] for a file that is
/// not a reunite backup, has an unknown version or out-of-range parameters, or whose chunks
/// were truncated, reordered or altered. On error, discard whatever was written.
pub fn decrypt<R: Read, W: Write>(
    passphrase: &str,
    mut input: R,
    mut output: W,
    progress: &mut dyn FnMut(u64),
) -> Result<(), CryptoError> {
    let mut header = [0u8; HEADER_LEN];
    let n = read_full(&mut input, &mut header)?;
    if n < MAGIC.len() || &header[..15] != MAGIC {
        return Err(CryptoError::BadBackup("not a reunite backup file"));
    }
    if n < HEADER_LEN {
        return Err(CryptoError::BadBackup("truncated header"));
    }
    if header[15] != VERSION {
        return Err(CryptoError::BadBackup("unsupported backup format version"));
    }
    if header[16] != KDF_ARGON2ID {
        return Err(CryptoError::BadBackup("unsupported key derivation"));
    }
    let be = |r: std::ops::Range<usize>| u32::from_be_bytes(header[r].try_into().expect("4 bytes"));
    let params = BackupParams {
        m_kib: be(17..21),
        t: be(21..25),
        p: be(25..29),
    };
    if params.m_kib > MAX_M_KIB || params.t > MAX_T || params.p > MAX_P {
        return Err(CryptoError::BadBackup(
            "key derivation parameters out of range",
        ));
    }
    let (key, check) = derive(passphrase, &params, &header)?;
    if !ct_eq(&check, &header[PRE_CHECK_LEN..]) {
        return Err(CryptoError::WrongPassphrase);
    }
    let mut consumed = HEADER_LEN as u64;
    progress(consumed);

    let cipher = XChaCha20Poly1305::new(GenericArray::from_slice(key.as_ref()));
    let prefix = GenericArray::clone_from_slice(&header[PREFIX_OFF..PRE_CHECK_LEN]);
    let mut dec = DecryptorBE32::from_aead(cipher, &prefix);
    const CT_CHUNK: usize = CHUNK_LEN + TAG_LEN;
    const DAMAGED: &str =
        "a chunk failed authentication: the file is truncated, reordered or corrupted";

    let mut cur = chunk_buffer();
    let mut next = chunk_buffer();
    let n = fill(&mut input, &mut cur, CT_CHUNK)?;
    if n == 0 {
        return Err(CryptoError::BadBackup(
            "truncated: no data after the header",
        ));
    }
    consumed += n as u64;
    progress(consumed);
    while cur.len() == CT_CHUNK {
        let n = fill(&mut input, &mut next, CT_CHUNK)?;
        if n == 0 {
            break;
        }
        dec.decrypt_next_in_place(&header, &mut *cur)
            .map_err(|_| CryptoError::BadBackup(DAMAGED))?;
        output.write_all(&cur)?;
        std::mem::swap(&mut cur, &mut next);
        consumed += n as u64;
        progress(consumed);
    }
    dec.decrypt_last_in_place(&header, &mut *cur)
        .map_err(|_| CryptoError::BadBackup(DAMAGED))?;
    output.write_all(&cur)?;
    output.flush()?;
    Ok(())
}

/// Returns (chunk key, passphrase check) for a header whose first 64 bytes are final.
fn derive(
    passphrase: &str,
    params: &BackupParams,
    header: &[u8; HEADER_LEN],
) -> Result<(Zeroizing<[u8; 32]>, [u8; 32]), CryptoError> {
    let argon_params = Params::new(params.m_kib, params.t, params.p, Some(32))
        .map_err(|_| CryptoError::BadBackup("invalid key derivation parameters"))?;
    let mut k = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, argon_params)
        .hash_password_into(
            passphrase.as_bytes(),
            &header[SALT_OFF..PREFIX_OFF],
            k.as_mut(),
        )
        .map_err(|_| CryptoError::BadBackup("key derivation failed"))?;
    let key = Zeroizing::new(hmac(k.as_ref(), b"reunite/backup/key/v1"));
    let mut msg = Vec::with_capacity(23 + PRE_CHECK_LEN);
    msg.extend_from_slice(b"reunite/backup/check/v1");
    msg.extend_from_slice(&header[..PRE_CHECK_LEN]);
    let check = hmac(k.as_ref(), &msg);
    Ok((key, check))
}

fn chunk_buffer() -> Zeroizing<Vec<u8>> {
    // Room for the tag, so in-place encryption never reallocates (which would leave an
    // unzeroed copy of the plaintext behind).
    Zeroizing::new(Vec::with_capacity(CHUNK_LEN + TAG_LEN))
}

/// Reads up to `want` bytes into `buf` (replacing its contents); fewer only at end of input.
fn fill<R: Read>(
    r: &mut R,
    buf: &mut Zeroizing<Vec<u8>>,
    want: usize,
) -> Result<usize, CryptoError> {
    buf.clear();
    buf.resize(want, 0);
    let n = read_full(r, &mut buf[..])?;
    buf.truncate(n);
    Ok(n)
}

fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> Result<usize, CryptoError> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(n)
}
