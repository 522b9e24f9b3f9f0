mod common;

use common::TempDir;
use reunite_crypto::{
    CryptoError, DataKey, FieldContext, KeyId, KeyRing, MasterKey, keyfile, open_field, rewrap_key,
    seal_field, unwrap_key, unwrap_key_with_ring, wrap_key, wrapped_master_id,
};

const CTX: FieldContext<'static> = FieldContext {
    table: "children",
    column: "chinese_name",
    row_id: "c-42",
};

/// Opens a field with `k` to check two data keys are the same key.
fn same_key(a: &DataKey, b: &DataKey) -> bool {
    let env = seal_field(a, "dk", &CTX, b"probe");
    open_field(b, &CTX, &env).is_ok()
}

#[test]
fn key_id_format_and_parsing() {
    let mk = MasterKey::generate();
    let id = mk.id().as_str();
    assert!(id.starts_with("mk-") && id.len() == 19, "{id}");
    assert!(id[3..].bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(id.parse::<KeyId>().unwrap(), *mk.id());
    assert_eq!(mk.id().to_string(), id);
    assert_eq!(AsRef::<str>::as_ref(mk.id()), id);
    for bad in ["", "../etc", "a b", "mk/1", &"x".repeat(65)] {
        assert!(bad.parse::<KeyId>().is_err(), "{bad:?}");
    }
    assert_ne!(MasterKey::generate().id(), MasterKey::generate().id());
}

#[test]
fn master_key_text_round_trip() {
    let mk = MasterKey::generate();
    let text = mk.to_text();
    assert!(text.starts_with(&format!("reunite-master-key-v1:{}:", mk.id())));
    let back = MasterKey::from_text(&format!("  {}\n", &*text)).unwrap();
    assert_eq!(back.id(), mk.id());
    let dk = DataKey::generate();
    let w = wrap_key(&mk, "dk-1", "field", &dk);
    assert!(same_key(
        &unwrap_key(&back, "dk-1", "field", &w).unwrap(),
        &dk
    ));
}

#[test]
fn master_key_text_rejects_malformed() {
    let mk = MasterKey::generate();
    let text = mk.to_text().to_string();
    let b64 = text.rsplit(':').next().unwrap().to_owned();
    for bad in [
        text.replace("v1", "v2"),
        text.replace(&format!(":{b64}"), ""),
        format!("{}A", &*text),
        text[..text.len() - 2].to_owned(),
        text.replace(mk.id().as_str(), "bad id"),
        format!("{}!", &text[..text.len() - 1]),
    ] {
        let err = MasterKey::from_text(&bad).unwrap_err();
        assert!(!err.to_string().contains(&b64[..20]), "{err}");
    }
}

#[test]
fn data_key_text_round_trip() {
    let dk = DataKey::generate();
    let text = dk.to_text();
    assert!(text.starts_with("reunite-data-key-v1:"));
    assert!(same_key(&DataKey::from_text(&text).unwrap(), &dk));
    assert!(DataKey::from_text("reunite-data-key-v1:AAAA").is_err());
    let mut raw = [7u8; 32];
    let k = DataKey::from_bytes(&mut raw);
    assert_eq!(raw, [0u8; 32], "from_bytes zeroes the caller's copy");
    assert!(same_key(&k, &DataKey::from_bytes(&mut [7u8; 32])));
}

#[test]
fn wrap_unwrap_round_trip_and_layout() {
    let mk = MasterKey::generate();
    let dk = DataKey::generate();
    let w = wrap_key(&mk, "dk-1", "field", &dk);
    let id = mk.id().as_str();
    assert_eq!(w[0], 0x01);
    assert_eq!(usize::from(w[1]), id.len());
    assert_eq!(&w[2..2 + id.len()], id.as_bytes());
    assert_eq!(w.len(), 2 + id.len() + 24 + 32 + 16);
    assert_eq!(wrapped_master_id(&w).unwrap(), *mk.id());
    assert!(same_key(
        &unwrap_key(&mk, "dk-1", "field", &w).unwrap(),
        &dk
    ));
}

#[test]
fn wrap_is_bound_to_purpose_key_id_and_master() {
    let mk = MasterKey::generate();
    let dk = DataKey::generate();
    let w = wrap_key(&mk, "dk-1", "field", &dk);
    assert!(matches!(
        unwrap_key(&mk, "dk-1", "blind-index", &w),
        Err(CryptoError::Decrypt)
    ));
    assert!(matches!(
        unwrap_key(&mk, "dk-2", "field", &w),
        Err(CryptoError::Decrypt)
    ));
    assert!(matches!(
        unwrap_key(&MasterKey::generate(), "dk-1", "field", &w),
        Err(CryptoError::Decrypt)
    ));
    // A different master key that claims the same id (e.g. a restored or forged key file).
    let text = mk.to_text();
    let id = mk.id().to_string();
    let forged = MasterKey::from_text(&format!(
        "reunite-master-key-v1:{id}:{}",
        &MasterKey::generate().to_text()[format!("reunite-master-key-v1:{id}:").len()..]
    ))
    .unwrap();
    drop(text);
    assert!(matches!(
        unwrap_key(&forged, "dk-1", "field", &w),
        Err(CryptoError::Decrypt)
    ));
    for i in 0..w.len() {
        let mut t = w.clone();
        t[i] ^= 0x80;
        assert!(unwrap_key(&mk, "dk-1", "field", &t).is_err(), "byte {i}");
    }
    assert!(matches!(
        unwrap_key(&mk, "dk-1", "field", &w[..10]),
        Err(CryptoError::BadEnvelope(_))
    ));
}

#[test]
fn key_ring_lookup() {
    let a = MasterKey::generate();
    let b = MasterKey::generate();
    let (ida, idb) = (a.id().clone(), b.id().clone());
    let ring = KeyRing::new(a, vec![b]);
    assert_eq!(ring.current().id(), &ida);
    assert_eq!(ring.ids(), vec![ida.clone(), idb.clone()]);
    assert!(ring.get(&idb).is_some());
    assert!(ring.get(&KeyId::generate()).is_none());
}

#[test]
fn keyfile_modes_and_load_dir_round_trip() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = TempDir::new();
    let dir = tmp.path().join("keys");
    let mk = keyfile::create_dir(&dir).unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    let key_file = dir.join(format!("{}.key", mk.id()));
    assert_eq!(mode(&key_file), 0o600);
    assert_eq!(mode(&dir.join("current")), 0o600);

    let mk2 = MasterKey::generate();
    keyfile::add_key(&dir, &mk2, false).unwrap();
    assert_eq!(mode(&dir.join(format!("{}.key", mk2.id()))), 0o600);
    // No temporary files are left behind.
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");

    let ring = keyfile::load_dir(&dir).unwrap();
    assert_eq!(ring.current().id(), mk.id());
    let mut ids = ring.ids();
    ids.sort();
    let mut want = vec![mk.id().clone(), mk2.id().clone()];
    want.sort();
    assert_eq!(ids, want);
    // The loaded keys are the same keys.
    let dk = DataKey::generate();
    let w = wrap_key(&mk2, "dk", "field", &dk);
    assert!(same_key(
        &unwrap_key(ring.get(mk2.id()).unwrap(), "dk", "field", &w).unwrap(),
        &dk
    ));
    // And a single file loads too.
    assert_eq!(keyfile::load_file(&key_file).unwrap().id(), mk.id());

    keyfile::add_key(&dir, &mk2, true).unwrap_err();
    let mk3 = MasterKey::generate();
    keyfile::add_key(&dir, &mk3, true).unwrap();
    assert_eq!(keyfile::load_dir(&dir).unwrap().current().id(), mk3.id());
}

#[test]
fn create_dir_refuses_existing_keys() {
    let tmp = TempDir::new();
    let dir = tmp.path().join("keys");
    keyfile::create_dir(&dir).unwrap();
    assert!(matches!(
        keyfile::create_dir(&dir),
        Err(CryptoError::KeyDirNotEmpty(_))
    ));
    // An existing empty directory is accepted and tightened.
    use std::os::unix::fs::PermissionsExt;
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    std::fs::set_permissions(&empty, std::fs::Permissions::from_mode(0o755)).unwrap();
    keyfile::create_dir(&empty).unwrap();
    assert_eq!(
        std::fs::metadata(&empty).unwrap().permissions().mode() & 0o777,
        0o700
    );
}

#[test]
fn load_dir_refuses_loose_permissions_and_bad_files() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = TempDir::new();
    let dir = tmp.path().join("keys");
    let mk = keyfile::create_dir(&dir).unwrap();
    let key_file = dir.join(format!("{}.key", mk.id()));
    let secret_b64 = mk.to_text().rsplit(':').next().unwrap().to_owned();

    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert!(matches!(
        keyfile::load_dir(&dir),
        Err(CryptoError::BadKeyFile(_))
    ));
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).unwrap();

    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert!(matches!(
        keyfile::load_dir(&dir),
        Err(CryptoError::BadKeyFile(_))
    ));
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    keyfile::load_dir(&dir).unwrap();

    // A key file renamed to another id is refused.
    let other = dir.join("mk-0000000000000000.key");
    std::fs::rename(&key_file, &other).unwrap();
    let err = keyfile::load_dir(&dir).unwrap_err();
    assert!(!err.to_string().contains(&secret_b64), "{err}");
    std::fs::rename(&other, &key_file).unwrap();

    // A corrupted key file: error names the file, not its content.
    std::fs::write(&key_file, format!("{}garbage\n", &*mk.to_text())).unwrap();
    let err = keyfile::load_dir(&dir).unwrap_err();
    assert!(matches!(err, CryptoError::BadKeyFile(_)));
    assert!(!err.to_string().contains(&secret_b64), "{err}");

    // `current` naming a missing key.
    std::fs::write(dir.join("current"), "mk-ffffffffffffffff\n").unwrap();
    assert!(matches!(
        keyfile::load_dir(&dir),
        Err(CryptoError::BadKeyFile(_))
    ));
}

#[test]
fn destroy_key_refuses_current_and_unknown() {
    let tmp = TempDir::new();
    let dir = tmp.path().join("keys");
    let mk = keyfile::create_dir(&dir).unwrap();
    assert!(matches!(
        keyfile::destroy_key(&dir, mk.id()),
        Err(CryptoError::DestroyCurrentKey(_))
    ));
    assert!(dir.join(format!("{}.key", mk.id())).exists());
    assert!(matches!(
        keyfile::destroy_key(&dir, &KeyId::generate()),
        Err(CryptoError::UnknownKey(_))
    ));
}

/// Requirement 14: rotation re-wraps every data key under a new master key; after the old
/// one is destroyed every record still decrypts.
#[test]
fn rotation_scenario() {
    let tmp = TempDir::new();
    let dir = tmp.path().join("keys");
    let old = keyfile::create_dir(&dir).unwrap();

    // Records sealed under data keys wrapped by the old master key.
    let mut stored = Vec::new();
    for i in 0..3 {
        let dk = DataKey::generate();
        let key_id = format!("dk-{i}");
        let row = format!("row-{i}");
        let ctx = FieldContext {
            table: "mothers",
            column: "name",
            row_id: &row,
        };
        let env = seal_field(&dk, &key_id, &ctx, format!("name {i}").as_bytes());
        stored.push((
            key_id,
            row,
            wrap_key(&old, &format!("dk-{i}"), "field", &dk),
            env,
        ));
    }

    // Rotate: new current key, re-wrap everything.
    let new = MasterKey::generate();
    keyfile::add_key(&dir, &new, true).unwrap();
    let ring = keyfile::load_dir(&dir).unwrap();
    assert_eq!(ring.current().id(), new.id());
    for (key_id, _, wrapped, _) in &mut stored {
        let re = rewrap_key(&ring, key_id, "field", wrapped)
            .unwrap()
            .expect("old key re-wrapped");
        assert_eq!(wrapped_master_id(&re).unwrap(), *new.id());
        assert!(rewrap_key(&ring, key_id, "field", &re).unwrap().is_none());
        let old_wrapped = std::mem::replace(wrapped, re);
        // keep one old wrapping to show it becomes useless
        assert!(unwrap_key(&old, key_id, "field", &old_wrapped).is_ok());
    }
    let old_wrapped_example = wrap_key(&old, "dk-x", "field", &DataKey::generate());

    // Destroy the old master key.
    drop(ring);
    keyfile::destroy_key(&dir, old.id()).unwrap();
    assert!(!dir.join(format!("{}.key", old.id())).exists());
    drop(old);

    let ring = keyfile::load_dir(&dir).unwrap();
    assert_eq!(ring.ids(), vec![new.id().clone()]);
    for (i, (key_id, row, wrapped, env)) in stored.iter().enumerate() {
        let dk = unwrap_key_with_ring(&ring, key_id, "field", wrapped).unwrap();
        let ctx = FieldContext {
            table: "mothers",
            column: "name",
            row_id: row,
        };
        assert_eq!(
            &open_field(&dk, &ctx, env).unwrap()[..],
            format!("name {i}").as_bytes()
        );
    }
    assert!(matches!(
        unwrap_key_with_ring(&ring, "dk-x", "field", &old_wrapped_example),
        Err(CryptoError::UnknownKey(_))
    ));
}
