//! # reunite-crypto
//!
//! The only crate of reunite that touches key material and cipher primitives. Everything
//! here is built from audited RustCrypto crates of one generation (`chacha20poly1305` 0.10,
//! `argon2` 0.5, `hmac` 0.12, `sha2` 0.10, `crypto_box` 0.9); nothing is hand-rolled.
//! The adversary is a state that may seize servers, so every identifying field is stored
//! encrypted and the keys that open it are kept apart from the data.
//!
//! ## Key hierarchy
//!
//! ```text
//! master key (MasterKey, 32 bytes, in keys/<id>.key or an env var; rotated)
//!   └─ wraps ─▶ data keys (DataKey, 32 bytes, stored wrapped in the database)
//!                 ├─ field keys ──── seal ─▶ field envelopes (seal_field / open_field)
//!                 ├─ blind-index key ───────▶ blind_index
//!                 ├─ audit key ─────────────▶ audit_link (hash chain)
//!                 ├─ pseudonym key ─────────▶ pseudonym
//!                 └─ peppers ───────────────▶ Peppers (tracing-code lookup, reply keys)
//! office key pair (X25519): intake mirrors hold only the public half ─▶ seal / open_sealed
//! backup passphrase ─ Argon2id ─▶ backup stream key (backup::encrypt / decrypt)
//! ```
//!
//! * A **master key** only wraps data keys ([`wrap_key`]). Rotating it means re-wrapping
//!   each data key (32 bytes each) under the new master key ([`rewrap_key`]) instead of
//!   re-encrypting every record; afterwards the old master key is destroyed
//!   ([`keyfile::destroy_key`]) and every record still opens (requirement 14).
//! * A **data key** with a purpose: the purpose string is bound into the wrapping, so a
//!   wrapped blind-index key cannot be unwrapped as a field key or vice versa. Keys for
//!   MACs are data keys like any other, only used with a different primitive.
//! * A **field envelope** holds one encrypted value (requirement 13). Its associated data
//!   binds table, column, row id and data-key id, so a ciphertext copied to another row,
//!   column or table fails to open rather than showing one person's data as another's.
//!
//! ## Example
//!
//! ```
//! use reunite_crypto::{DataKey, FieldContext, MasterKey, open_field, seal_field, unwrap_key, wrap_key};
//!
//! let master = MasterKey::generate();
//! // A data key for one record, stored wrapped next to it.
//! let dk = DataKey::generate();
//! let wrapped = wrap_key(&master, "dk-0001", "field", &dk);
//!
//! let ctx = FieldContext { table: "mothers", column: "birth_name", row_id: "m-42" };
//! let envelope = seal_field(&dk, "dk-0001", &ctx, "김순희".as_bytes());
//!
//! // Later: unwrap the data key, open the field in the same place.
//! let dk = unwrap_key(&master, "dk-0001", "field", &wrapped)?;
//! assert_eq!(&open_field(&dk, &ctx, &envelope)?[..], "김순희".as_bytes());
//! // The same envelope in another row does not open.
//! let elsewhere = FieldContext { row_id: "m-43", ..ctx };
//! assert!(open_field(&dk, &elsewhere, &envelope).is_err());
//! # Ok::<(), reunite_crypto::CryptoError>(())
//! ```
//!
//! ## Formats
//!
//! * Field envelope v1: `0x01 | key_id len (u8) | key_id | 24-byte nonce | ciphertext+tag`;
//!   AAD = length-prefixed `"reunite/field/v1"`, table, column, row_id, key_id
//!   (see [`seal_field`]).
//! * Wrapped key v1: `0x01 | master id len (u8) | master id | 24-byte nonce | 48 bytes`;
//!   AAD = length-prefixed `"reunite/wrap/v1"`, version, key_id, purpose, master id
//!   (see [`wrap_key`]).
//! * Key text: `reunite-master-key-v1:<id>:<base64>`, `reunite-data-key-v1:<base64>`,
//!   `reunite-office-pk-v1:<base64>`, `reunite-office-sk-v1:<base64>`.
//! * Sealed box: `0x01 | libsodium crypto_box_seal` (see [`seal`]).
//! * Backup: see [`backup`].
//!
//! Length prefixes in AAD and MAC inputs are big-endian `u64`, so no two different tuples
//! encode alike. Every format starts with a version byte so that a v2 can be introduced
//! while v1 data is still read.
//!
//! ## Hygiene
//!
//! Secret-bearing types ([`MasterKey`], [`KeyRing`], [`DataKey`], [`OfficeSecretKey`],
//! [`Peppers`], [`TracingCode`]) zero their bytes on drop and redact themselves in
//! `Debug`; only [`TracingCode`] has a `Display`, which reveals it on purpose. Errors
//! ([`CryptoError`]) never contain secrets. Randomness always comes from the operating
//! system ([`rand_core::OsRng`]).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod aad;
pub mod backup;
mod code;
mod envelope;
mod error;
pub mod keyfile;
mod keys;
mod mac;
mod password;
mod sealed;
pub mod totp;
mod wrap;

pub use code::{CODE_DIGITS, CODE_KDF_M_KIB, CODE_KDF_P, CODE_KDF_T, Peppers, TracingCode};
pub use envelope::{ENVELOPE_V1, FieldContext, envelope_key_id, open_field, seal_field};
pub use error::CryptoError;
pub use keys::{DataKey, KEY_LEN, KeyId, KeyRing, MasterKey, data_key_id};
pub use mac::{audit_link, blind_index, ct_eq, pseudonym};
pub use password::{
    PasswordCheck, PasswordPolicy, dummy_verify, hash_password, is_weaker_than, random_bytes,
    random_password, random_token, token_hash, verify_password,
};
pub use sealed::{OfficePublicKey, OfficeSecretKey, office_keypair, open_sealed, seal};
pub use wrap::{rewrap_key, unwrap_key, unwrap_key_with_ring, wrap_key, wrapped_master_id};
pub use zeroize::Zeroizing;
