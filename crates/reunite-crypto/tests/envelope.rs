use proptest::prelude::*;
use reunite_crypto::{
    CryptoError, DataKey, FieldContext, data_key_id, envelope_key_id, open_field, seal_field,
};

const CTX: FieldContext<'static> = FieldContext {
    table: "mothers",
    column: "birth_name",
    row_id: "row-0001",
};

#[test]
fn round_trip() {
    let key = DataKey::generate();
    let env = seal_field(&key, "dk-1", &CTX, "김순희 金順姬".as_bytes());
    assert_eq!(
        &open_field(&key, &CTX, &env).unwrap()[..],
        "김순희 金順姬".as_bytes()
    );
    assert_eq!(envelope_key_id(&env).unwrap(), "dk-1");
}

#[test]
fn empty_plaintext_round_trips() {
    let key = DataKey::generate();
    let env = seal_field(&key, "dk-1", &CTX, b"");
    assert!(open_field(&key, &CTX, &env).unwrap().is_empty());
}

#[test]
fn layout_is_as_documented() {
    let key = DataKey::generate();
    let id = data_key_id();
    let env = seal_field(&key, &id, &CTX, b"abc");
    assert_eq!(env[0], 0x01);
    assert_eq!(usize::from(env[1]), id.len());
    assert_eq!(&env[2..2 + id.len()], id.as_bytes());
    assert_eq!(env.len(), 2 + id.len() + 24 + 3 + 16);
    // Plaintext does not appear in clear.
    assert!(!env.windows(3).any(|w| w == b"abc"));
}

#[test]
fn sealing_twice_gives_different_ciphertexts() {
    let key = DataKey::generate();
    assert_ne!(
        seal_field(&key, "dk-1", &CTX, b"same"),
        seal_field(&key, "dk-1", &CTX, b"same")
    );
}

#[test]
fn moved_ciphertext_fails() {
    let key = DataKey::generate();
    let env = seal_field(&key, "dk-1", &CTX, b"Sinuiju");
    for other in [
        FieldContext {
            table: "children",
            ..CTX
        },
        FieldContext {
            column: "birth_place",
            ..CTX
        },
        FieldContext {
            row_id: "row-0002",
            ..CTX
        },
        // Same concatenation, different split: length prefixes must tell them apart.
        FieldContext {
            table: "mothersb",
            column: "irth_name",
            ..CTX
        },
    ] {
        assert!(
            matches!(open_field(&key, &other, &env), Err(CryptoError::Decrypt)),
            "{other:?}"
        );
    }
}

#[test]
fn every_tampered_byte_fails() {
    let key = DataKey::generate();
    let env = seal_field(&key, "dk-1", &CTX, b"Hyesan");
    for i in 0..env.len() {
        let mut t = env.clone();
        t[i] ^= 0x01;
        assert!(open_field(&key, &CTX, &t).is_err(), "byte {i}");
    }
    assert!(open_field(&key, &CTX, &env[..env.len() - 1]).is_err());
    let mut longer = env.clone();
    longer.push(0);
    assert!(open_field(&key, &CTX, &longer).is_err());
}

#[test]
fn swapped_key_id_fails_even_with_right_key() {
    let key = DataKey::generate();
    let env = seal_field(&key, "dk-a", &CTX, b"x");
    let mut t = env.clone();
    t[5] = b'b'; // "dk-a" -> "dk-b"
    assert_eq!(envelope_key_id(&t).unwrap(), "dk-b");
    assert!(matches!(
        open_field(&key, &CTX, &t),
        Err(CryptoError::Decrypt)
    ));
}

#[test]
fn wrong_key_fails() {
    let env = seal_field(&DataKey::generate(), "dk-1", &CTX, b"x");
    assert!(matches!(
        open_field(&DataKey::generate(), &CTX, &env),
        Err(CryptoError::Decrypt)
    ));
}

#[test]
fn malformed_envelopes_are_rejected() {
    let key = DataKey::generate();
    assert!(matches!(
        envelope_key_id(&[]),
        Err(CryptoError::BadEnvelope(_))
    ));
    assert!(matches!(
        envelope_key_id(&[0x02, 0]),
        Err(CryptoError::BadEnvelope(_))
    ));
    assert!(matches!(
        envelope_key_id(&[0x01]),
        Err(CryptoError::BadEnvelope(_))
    ));
    assert!(matches!(
        envelope_key_id(&[0x01, 5, b'a']),
        Err(CryptoError::BadEnvelope(_))
    ));
    assert!(matches!(
        open_field(&key, &CTX, &[0x01, 0, 0, 0]),
        Err(CryptoError::BadEnvelope(_))
    ));
}

#[test]
fn key_id_of_255_bytes_works() {
    let key = DataKey::generate();
    let id = "k".repeat(255);
    let env = seal_field(&key, &id, &CTX, b"v");
    assert_eq!(envelope_key_id(&env).unwrap(), id);
    assert_eq!(&open_field(&key, &CTX, &env).unwrap()[..], b"v");
}

#[test]
#[should_panic(expected = "longer than 255")]
fn key_id_over_255_bytes_panics() {
    seal_field(&DataKey::generate(), &"k".repeat(256), &CTX, b"v");
}

proptest! {
    #[test]
    fn open_field_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let key = DataKey::generate();
        prop_assert!(open_field(&key, &CTX, &bytes).is_err());
    }

    #[test]
    fn open_field_never_panics_on_plausible_headers(
        id_len in any::<u8>(), rest in proptest::collection::vec(any::<u8>(), 0..300)
    ) {
        let mut bytes = vec![0x01, id_len];
        bytes.extend(rest);
        let key = DataKey::generate();
        prop_assert!(open_field(&key, &CTX, &bytes).is_err());
        let _ = envelope_key_id(&bytes);
    }

    #[test]
    fn envelope_key_id_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = envelope_key_id(&bytes);
    }

    #[test]
    fn round_trip_any(
        pt in proptest::collection::vec(any::<u8>(), 0..512),
        table in "[a-z_]{1,12}", column in "[a-z_]{1,12}", row in "[0-9a-f-]{1,36}",
        key_id in "[a-z0-9-]{0,40}",
    ) {
        let key = DataKey::generate();
        let ctx = FieldContext { table: &table, column: &column, row_id: &row };
        let env = seal_field(&key, &key_id, &ctx, &pt);
        prop_assert_eq!(envelope_key_id(&env).unwrap(), key_id.as_str());
        prop_assert_eq!(&open_field(&key, &ctx, &env).unwrap()[..], &pt[..]);
    }
}
