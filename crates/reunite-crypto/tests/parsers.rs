//! Property tests: parsers of outside input never panic, and reject what is not theirs.

use proptest::prelude::*;
use reunite_crypto::backup;
use reunite_crypto::{
    DataKey, KeyId, MasterKey, OfficePublicKey, OfficeSecretKey, office_keypair, open_sealed,
    unwrap_key, wrapped_master_id,
};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn unwrap_key_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let mk = MasterKey::generate();
        let _ = wrapped_master_id(&bytes);
        prop_assert!(unwrap_key(&mk, "dk", "field", &bytes).is_err());
    }

    #[test]
    fn open_sealed_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let (_, sk) = office_keypair();
        prop_assert!(open_sealed(&sk, &bytes).is_err());
    }

    #[test]
    fn key_texts_never_panic(s in "\\PC{0,120}") {
        let _ = MasterKey::from_text(&s);
        let _ = DataKey::from_text(&s);
        let _ = OfficePublicKey::from_text(&s);
        let _ = OfficeSecretKey::from_text(&s);
        let _ = s.parse::<KeyId>();
    }

    #[test]
    fn key_texts_with_right_prefix_never_panic(s in "[A-Za-z0-9+/=:_-]{0,80}") {
        let _ = MasterKey::from_text(&format!("reunite-master-key-v1:{s}"));
        let _ = DataKey::from_text(&format!("reunite-data-key-v1:{s}"));
        let _ = OfficePublicKey::from_text(&format!("reunite-office-pk-v1:{s}"));
        let _ = OfficeSecretKey::from_text(&format!("reunite-office-sk-v1:{s}"));
    }

    #[test]
    fn backup_decrypt_never_panics(
        mut bytes in proptest::collection::vec(any::<u8>(), 0..400),
        real_magic in any::<bool>(),
    ) {
        if real_magic && bytes.len() >= 29 {
            bytes[..15].copy_from_slice(b"reunite-backup\0");
            bytes[15] = 1;
            bytes[16] = 1;
            // Keep the KDF cheap whatever the random bytes say.
            bytes[17..21].copy_from_slice(&64u32.to_be_bytes());
            bytes[21..25].copy_from_slice(&1u32.to_be_bytes());
            bytes[25..29].copy_from_slice(&1u32.to_be_bytes());
        }
        let mut out = Vec::new();
        let mut progress = |_: u64| {};
        let result = backup::decrypt("any passphrase at all", &bytes[..], &mut out, &mut progress);
        prop_assert!(result.is_err());
        prop_assert!(out.is_empty());
    }
}
