//! Master keys on disk.
//!
//! A key directory (normally `<data dir>/keys/`, mode `0700`) holds:
//!
//! * `<key id>.key`, mode `0600`, one per master key, containing
//!   [`MasterKey::to_text`](crate::MasterKey::to_text) and a newline;
//! * `current`, mode `0600`, containing the id of the key used for new wrapping.
//!
//! Every write is atomic: a temporary file (`.<name>.tmp-<random>`, created `0600` with
//! `O_EXCL`) is written and fsynced, renamed into place, and the directory is fsynced, so a
//! crash leaves either the old or the new file, never half a key.
//!
//! [`load_dir`] refuses key files and directories that the group or others can access, the
//! way `ssh` refuses a readable private key: a key readable by other accounts is a
//! deployment mistake worth stopping for.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::CryptoError;
use crate::keys::{KeyId, KeyRing, MasterKey, random_id};

const CURRENT: &str = "current";
const KEY_EXT: &str = "key";
/// No legitimate key file is longer than this; refusing bigger ones bounds what is read.
const MAX_KEY_FILE: u64 = 1024;

/// Creates a key directory (mode `0700`) with one new master key, marked current, and
/// returns the key. Refuses ([`CryptoError::KeyDirNotEmpty`]) if the directory already has
/// a key file or a `current` file; an existing empty directory is tightened to `0700`.
pub fn create_dir(dir: &Path) -> Result<MasterKey, CryptoError> {
    if dir.exists() {
        if has_keys(dir)? {
            return Err(CryptoError::KeyDirNotEmpty(dir.display().to_string()));
        }
    } else {
        let mut b = fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
        b.create(dir)?;
    }
    set_mode(dir, 0o700)?;
    let key = MasterKey::generate();
    add_key(dir, &key, true)?;
    Ok(key)
}

/// Loads every key of the directory into a [`KeyRing`]; `current` names the current one.
///
/// Fails with [`CryptoError::BadKeyFile`] if `current` is missing or names no key file, if a
/// key file does not parse or its id differs from its file name, or if permissions let the
/// group or others access the directory or a key file.
pub fn load_dir(dir: &Path) -> Result<KeyRing, CryptoError> {
    check_private(dir, true)?;
    let current_path = dir.join(CURRENT);
    let current_text = read_small(&current_path)?;
    let current_id: KeyId = current_text
        .trim()
        .parse()
        .map_err(|_| bad(&current_path, "does not contain a valid key id"))?;

    let mut current = None;
    let mut older = Vec::new();
    for path in key_files(dir)? {
        let key = load_checked(&path)?;
        if *key.id() == current_id {
            current = Some(key);
        } else {
            older.push(key);
        }
    }
    let current = current.ok_or_else(|| {
        bad(
            &current_path,
            &format!("names key {current_id}, which has no key file"),
        )
    })?;
    Ok(KeyRing::new(current, older))
}

/// Writes `key` as a new key file, and makes it current if `make_current`. Refuses
/// ([`CryptoError::KeyExists`]) to overwrite an existing key file.
pub fn add_key(dir: &Path, key: &MasterKey, make_current: bool) -> Result<(), CryptoError> {
    let path = key_path(dir, key.id());
    if path.exists() {
        return Err(CryptoError::KeyExists(key.id().to_string()));
    }
    let mut text = Zeroizing::new(String::with_capacity(128));
    text.push_str(&key.to_text());
    text.push('\n');
    write_atomic(dir, &path, text.as_bytes())?;
    if make_current {
        let mut id = key.id().to_string();
        id.push('\n');
        write_atomic(dir, &dir.join(CURRENT), id.as_bytes())?;
    }
    Ok(())
}

/// Destroys the key file of `id`: overwrites it with zeros, fsyncs, removes it and fsyncs
/// the directory. Refuses ([`CryptoError::DestroyCurrentKey`]) the current key and fails
/// with [`CryptoError::UnknownKey`] if there is no such file.
///
/// Overwriting is best effort: on SSDs, copy-on-write file systems and snapshotted volumes
/// old blocks may survive. Full-disk encryption of the data volume is what makes deletion
/// dependable; re-wrap every data key before calling this.
pub fn destroy_key(dir: &Path, id: &KeyId) -> Result<(), CryptoError> {
    let current_path = dir.join(CURRENT);
    let current = read_small(&current_path)?;
    if current.trim() == id.as_str() {
        return Err(CryptoError::DestroyCurrentKey(id.to_string()));
    }
    let path = key_path(dir, id);
    let len = match fs::metadata(&path) {
        Ok(m) => m.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(CryptoError::UnknownKey(id.to_string()));
        }
        Err(e) => return Err(e.into()),
    };
    {
        let mut f = OpenOptions::new().write(true).open(&path)?;
        let zeros = vec![0u8; usize::try_from(len).unwrap_or(0).max(64)];
        f.write_all(&zeros)?;
        f.sync_all()?;
    }
    fs::remove_file(&path)?;
    sync_dir(dir)?;
    Ok(())
}

/// Loads a single key file given by path, for deployments that keep the master key outside
/// the data directory (systemd credentials, a mounted secret). Permissions are not checked
/// here because such mechanisms set their own.
pub fn load_file(path: &Path) -> Result<MasterKey, CryptoError> {
    let text = read_small(path)?;
    MasterKey::from_text(&text).map_err(|e| bad(path, &e.to_string()))
}

fn load_checked(path: &Path) -> Result<MasterKey, CryptoError> {
    check_private(path, false)?;
    let key = load_file(path)?;
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    if key.id().as_str() != stem {
        return Err(bad(path, "key id inside differs from the file name"));
    }
    Ok(key)
}

fn key_path(dir: &Path, id: &KeyId) -> PathBuf {
    dir.join(format!("{id}.{KEY_EXT}"))
}

fn key_files(dir: &Path) -> Result<Vec<PathBuf>, CryptoError> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|s| s.to_str()).unwrap_or("");
        if !name.starts_with('.') && path.extension().is_some_and(|e| e == KEY_EXT) {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

fn has_keys(dir: &Path) -> Result<bool, CryptoError> {
    Ok(dir.join(CURRENT).exists() || !key_files(dir)?.is_empty())
}

fn bad(path: &Path, why: &str) -> CryptoError {
    CryptoError::BadKeyFile(format!("{}: {why}", path.display()))
}

fn read_small(path: &Path) -> Result<Zeroizing<String>, CryptoError> {
    let mut f = File::open(path).map_err(|e| bad(path, &e.to_string()))?;
    let len = f.metadata()?.len();
    if len > MAX_KEY_FILE {
        return Err(bad(path, "file too large for a key file"));
    }
    // Reserve more than the file so reading never reallocates and leaves copies behind.
    let mut s = Zeroizing::new(String::with_capacity(MAX_KEY_FILE as usize + 1));
    Read::by_ref(&mut f)
        .take(MAX_KEY_FILE)
        .read_to_string(&mut s)
        .map_err(|e| bad(path, &e.to_string()))?;
    Ok(s)
}

fn write_atomic(dir: &Path, path: &Path, contents: &[u8]) -> Result<(), CryptoError> {
    let name = path.file_name().and_then(|s| s.to_str()).unwrap_or("key");
    let tmp = dir.join(format!(".{name}.tmp-{}", random_id("w")));
    let result = (|| -> Result<(), CryptoError> {
        let mut opts = OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(&tmp)?;
        set_mode(&tmp, 0o600)?;
        f.write_all(contents)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn sync_dir(dir: &Path) -> Result<(), CryptoError> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

fn set_mode(path: &Path, mode: u32) -> Result<(), CryptoError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(mode))?;
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

/// Refuses paths that the group or others may access.
fn check_private(path: &Path, is_dir: bool) -> Result<(), CryptoError> {
    let meta = fs::metadata(path).map_err(|e| bad(path, &e.to_string()))?;
    if meta.is_dir() != is_dir {
        return Err(bad(
            path,
            if is_dir {
                "is not a directory"
            } else {
                "is not a regular file"
            },
        ));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            let want = if is_dir { "0700" } else { "0600" };
            return Err(bad(
                path,
                &format!("permissions {mode:04o} let other accounts in; chmod {want}"),
            ));
        }
    }
    Ok(())
}
