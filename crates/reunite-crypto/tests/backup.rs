use reunite_crypto::CryptoError;
use reunite_crypto::backup::{self, BackupParams, CHUNK_LEN, HEADER_LEN};

const FAST: BackupParams = BackupParams {
    m_kib: 1024,
    t: 1,
    p: 1,
};
const PASS: &str = "correct horse battery staple";

fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

fn enc(pt: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    backup::encrypt_with_params(&FAST, PASS, pt, &mut out, &mut |_| {}).unwrap();
    out
}

fn dec(pass: &str, ct: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let mut out = Vec::new();
    backup::decrypt(pass, ct, &mut out, &mut |_| {})?;
    Ok(out)
}

#[test]
fn round_trip_at_chunk_boundaries() {
    for len in [
        0,
        1,
        CHUNK_LEN - 1,
        CHUNK_LEN,
        CHUNK_LEN + 1,
        3 * CHUNK_LEN + 5,
    ] {
        let pt = data(len);
        let ct = enc(&pt);
        let chunks = len.div_ceil(CHUNK_LEN).max(1);
        assert_eq!(ct.len(), HEADER_LEN + len + 16 * chunks, "len {len}");
        assert_eq!(dec(PASS, &ct).unwrap(), pt, "len {len}");
    }
}

#[test]
fn header_is_as_documented() {
    let ct = enc(b"x");
    assert_eq!(&ct[..15], b"reunite-backup\0");
    assert_eq!(ct[15], 1);
    assert_eq!(ct[16], 1);
    assert_eq!(
        u32::from_be_bytes(ct[17..21].try_into().unwrap()),
        FAST.m_kib
    );
    assert_eq!(u32::from_be_bytes(ct[21..25].try_into().unwrap()), FAST.t);
    assert_eq!(u32::from_be_bytes(ct[25..29].try_into().unwrap()), FAST.p);
    assert_ne!(
        enc(b"x")[29..64],
        ct[29..64],
        "salt and nonce prefix are random"
    );
}

#[test]
fn progress_reports_cumulative_input_bytes() {
    let pt = data(2 * CHUNK_LEN + 10);
    let mut seen = Vec::new();
    let mut ct = Vec::new();
    backup::encrypt_with_params(&FAST, PASS, &pt[..], &mut ct, &mut |n| seen.push(n)).unwrap();
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
    assert_eq!(*seen.last().unwrap(), pt.len() as u64);
    let mut seen = Vec::new();
    backup::decrypt(PASS, &ct[..], &mut Vec::new(), &mut |n| seen.push(n)).unwrap();
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
    assert_eq!(*seen.last().unwrap(), ct.len() as u64);
}

#[test]
fn wrong_passphrase_is_reported_as_such() {
    let ct = enc(b"secret rows");
    assert!(matches!(
        dec("correct horse battery stapl3", &ct),
        Err(CryptoError::WrongPassphrase)
    ));
}

#[test]
fn truncation_fails() {
    let pt = data(3 * CHUNK_LEN);
    let ct = enc(&pt);
    let ct_chunk = CHUNK_LEN + 16;
    for cut in [
        ct.len() - 1,
        ct.len() - 16,
        HEADER_LEN + 2 * ct_chunk, // the last whole chunk dropped, at a boundary
        HEADER_LEN + ct_chunk,
        HEADER_LEN + 10,
    ] {
        let err = dec(PASS, &ct[..cut]).unwrap_err();
        assert!(matches!(err, CryptoError::BadBackup(_)), "cut {cut}: {err}");
    }
    assert!(matches!(
        dec(PASS, &ct[..HEADER_LEN]),
        Err(CryptoError::BadBackup(_))
    ));
    assert!(matches!(
        dec(PASS, &ct[..HEADER_LEN - 1]),
        Err(CryptoError::BadBackup(_))
    ));
    assert!(matches!(
        dec(PASS, &ct[..5]),
        Err(CryptoError::BadBackup(_))
    ));
}

#[test]
fn reordering_and_duplication_fail() {
    let pt = data(3 * CHUNK_LEN + 100);
    let ct = enc(&pt);
    let c = CHUNK_LEN + 16;
    let chunk = |i: usize| &ct[HEADER_LEN + i * c..(HEADER_LEN + (i + 1) * c).min(ct.len())];
    let header = &ct[..HEADER_LEN];
    let assemble = |order: &[usize]| {
        let mut v = header.to_vec();
        for &i in order {
            v.extend_from_slice(chunk(i));
        }
        v
    };
    assert_eq!(dec(PASS, &assemble(&[0, 1, 2, 3])).unwrap(), pt);
    for order in [
        &[1, 0, 2, 3][..],
        &[0, 2, 1, 3],
        &[0, 1, 1, 3],
        &[0, 1, 2, 2, 3],
        &[0, 1, 3],
    ] {
        let err = dec(PASS, &assemble(order)).unwrap_err();
        assert!(matches!(err, CryptoError::BadBackup(_)), "{order:?}: {err}");
    }
}

#[test]
fn tampering_and_appending_fail() {
    let pt = data(CHUNK_LEN + 7);
    let ct = enc(&pt);
    for i in [HEADER_LEN, HEADER_LEN + 100, ct.len() - 1] {
        let mut t = ct.clone();
        t[i] ^= 1;
        assert!(
            matches!(dec(PASS, &t), Err(CryptoError::BadBackup(_))),
            "byte {i}"
        );
    }
    // Header fields are bound: changing the salt or the check fails.
    for i in [30, 50, 70] {
        let mut t = ct.clone();
        t[i] ^= 1;
        assert!(dec(PASS, &t).is_err(), "header byte {i}");
    }
    let mut longer = ct.clone();
    longer.extend_from_slice(&[0u8; 20]);
    assert!(matches!(dec(PASS, &longer), Err(CryptoError::BadBackup(_))));
    // Also when the last chunk is exactly full.
    let full = enc(&data(CHUNK_LEN));
    let mut longer = full.clone();
    longer.push(0);
    assert!(matches!(dec(PASS, &longer), Err(CryptoError::BadBackup(_))));
}

#[test]
fn not_a_backup_and_bad_headers_are_rejected() {
    assert!(matches!(
        dec(PASS, b"SQLite format 3\0 and more bytes"),
        Err(CryptoError::BadBackup(_))
    ));
    let ct = enc(b"x");
    let mut v = ct.clone();
    v[15] = 2;
    assert!(matches!(dec(PASS, &v), Err(CryptoError::BadBackup(_))));
    let mut v = ct.clone();
    v[17..21].copy_from_slice(&u32::MAX.to_be_bytes());
    assert!(
        matches!(dec(PASS, &v), Err(CryptoError::BadBackup(_))),
        "huge memory refused"
    );
}

#[test]
fn short_passphrase_refused() {
    let err = backup::encrypt_with_params(&FAST, "short", &b"x"[..], Vec::new(), &mut |_| {})
        .unwrap_err();
    assert!(matches!(err, CryptoError::WeakPassphrase(12)));
}

#[test]
fn default_parameters_round_trip() {
    assert_eq!(
        BackupParams::DEFAULT,
        BackupParams {
            m_kib: 256 * 1024,
            t: 3,
            p: 1
        }
    );
    let pt = data(1000);
    let mut ct = Vec::new();
    backup::encrypt(PASS, &pt[..], &mut ct, &mut |_| {}).unwrap();
    assert_eq!(
        u32::from_be_bytes(ct[17..21].try_into().unwrap()),
        256 * 1024
    );
    assert_eq!(dec(PASS, &ct).unwrap(), pt);
}
