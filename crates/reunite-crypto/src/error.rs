//! The one error type of this crate.

use thiserror::Error;

/// Everything that can go wrong in `reunite-crypto`.
///
/// No variant carries secret material: messages name what failed and, for files, the
/// path, never a key, a plaintext, a password, a passphrase or a tracing code.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// Authenticated decryption failed: wrong key, tampered bytes, or a ciphertext that was
    /// moved to another table, column, row or purpose. Deliberately says no more.
    #[error("decryption failed (wrong key, tampered data, or data moved from where it was sealed)")]
    Decrypt,
    /// An envelope, wrapped key or sealed box is structurally malformed.
    #[error("malformed ciphertext: {0}")]
    BadEnvelope(&'static str),
    /// A key in text form (`reunite-…-v1:…`) could not be parsed.
    #[error("malformed key text: {0}")]
    BadKeyText(&'static str),
    /// A key file or key directory is unusable (the message names the path and the reason).
    #[error("bad key file: {0}")]
    BadKeyFile(String),
    /// A key directory already holds keys, so `keyfile::create_dir` refuses to touch it.
    #[error("key directory {0} already contains keys")]
    KeyDirNotEmpty(String),
    /// A key with this id already exists in the key directory.
    #[error("key {0} already exists")]
    KeyExists(String),
    /// No key with this id is known.
    #[error("unknown key {0}")]
    UnknownKey(String),
    /// Refused to destroy the key that is currently in use.
    #[error("refusing to destroy the current master key {0}; make another key current first")]
    DestroyCurrentKey(String),
    /// Underlying I/O failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// Password hashing failed (invalid Argon2 parameters) or a hash could not be made.
    #[error("password hashing failed (invalid Argon2 parameters)")]
    Password,
    /// The two peppers are equal; requirement 6 needs two distinct ones.
    #[error("the code-lookup pepper and the reply pepper must differ")]
    EqualPeppers,
    /// A tracing code did not have the expected form (20 digits, spaces and dashes allowed).
    #[error("not a valid tracing code: expected 20 digits")]
    BadCode,
    /// A backup passphrase is too short to protect an offline copy.
    #[error("backup passphrase too short: use at least {0} characters")]
    WeakPassphrase(usize),
    /// The backup passphrase does not match the one the backup was made with.
    #[error("wrong backup passphrase (or a damaged backup header)")]
    WrongPassphrase,
    /// The backup file is damaged: not a reunite backup, truncated, reordered or corrupted.
    #[error("backup file rejected: {0}")]
    BadBackup(&'static str),
}
