use reunite_crypto::{
    CryptoError, OfficePublicKey, OfficeSecretKey, office_keypair, open_sealed, seal,
};

#[test]
fn seal_round_trip() {
    let (pk, sk) = office_keypair();
    let msg = "아들 이름: 박철수, 延吉".as_bytes();
    let boxed = seal(&pk, msg);
    assert_eq!(boxed[0], 0x01);
    assert_eq!(boxed.len(), 1 + 32 + msg.len() + 16);
    assert!(!boxed.windows(msg.len()).any(|w| w == msg));
    assert_eq!(&open_sealed(&sk, &boxed).unwrap()[..], msg);
    assert_ne!(
        seal(&pk, msg),
        boxed,
        "ephemeral keys make every box different"
    );
    assert_eq!(&open_sealed(&sk, &seal(&pk, b"")).unwrap()[..], b"");
}

#[test]
fn wrong_key_and_tampering_fail() {
    let (pk, _sk) = office_keypair();
    let (_, other_sk) = office_keypair();
    let boxed = seal(&pk, b"request");
    assert!(matches!(
        open_sealed(&other_sk, &boxed),
        Err(CryptoError::Decrypt)
    ));
    let (_, sk) = (pk.clone(), _sk);
    for i in 1..boxed.len() {
        let mut t = boxed.clone();
        t[i] ^= 0x04;
        assert!(open_sealed(&sk, &t).is_err(), "byte {i}");
    }
    assert!(matches!(
        open_sealed(&sk, &[]),
        Err(CryptoError::BadEnvelope(_))
    ));
    assert!(matches!(
        open_sealed(&sk, &[0x02; 60]),
        Err(CryptoError::BadEnvelope(_))
    ));
    assert!(matches!(
        open_sealed(&sk, &[0x01; 40]),
        Err(CryptoError::BadEnvelope(_))
    ));
}

#[test]
fn key_text_round_trip() {
    let (pk, sk) = office_keypair();
    let pk_text = pk.to_text();
    let sk_text = sk.to_text();
    assert!(pk_text.starts_with("reunite-office-pk-v1:"));
    assert!(sk_text.starts_with("reunite-office-sk-v1:"));
    let pk2 = OfficePublicKey::from_text(&format!("{pk_text}\n")).unwrap();
    let sk2 = OfficeSecretKey::from_text(&sk_text).unwrap();
    assert_eq!(pk2, pk);
    assert_eq!(sk2.public_key(), pk);
    assert_eq!(&open_sealed(&sk2, &seal(&pk2, b"hi")).unwrap()[..], b"hi");
    assert!(OfficePublicKey::from_text(&sk_text).is_err());
    assert!(OfficeSecretKey::from_text(&pk_text).is_err());
    assert!(OfficeSecretKey::from_text("reunite-office-sk-v1:AAAA").is_err());
}
