use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use reunite_crypto::{
    PasswordCheck, PasswordPolicy, dummy_verify, hash_password, is_weaker_than, random_password,
    random_token, token_hash, verify_password,
};

/// Cheap parameters so tests stay fast in debug builds.
const WEAK: PasswordPolicy = PasswordPolicy {
    m_kib: 1024,
    t: 1,
    p: 1,
};
const STRONGER: PasswordPolicy = PasswordPolicy {
    m_kib: 2048,
    t: 2,
    p: 1,
};

fn params_of(phc: &str) -> (String, u32, u32, u32) {
    let h = PasswordHash::new(phc).unwrap();
    let p = Params::try_from(&h).unwrap();
    (h.algorithm.to_string(), p.m_cost(), p.t_cost(), p.p_cost())
}

#[test]
fn production_policy_meets_requirement_15() {
    let p = PasswordPolicy::PRODUCTION;
    assert_eq!((p.m_kib, p.t, p.p), (65536, 3, 1));
    assert!(p.is_production_grade());
    assert!(!WEAK.is_production_grade());
    assert!(!PasswordPolicy { t: 2, ..p }.is_production_grade());
    assert!(!PasswordPolicy { m_kib: 65535, ..p }.is_production_grade());

    let phc = hash_password(&p, "correct horse battery staple").unwrap();
    assert!(phc.starts_with("$argon2id$v=19$"), "{phc}");
    let (alg, m, t, _) = params_of(&phc);
    assert_eq!(alg, "argon2id");
    assert!(m >= 64 * 1024 && t >= 3, "m={m} t={t}");
    assert_eq!(
        verify_password(&p, "correct horse battery staple", &phc),
        PasswordCheck::Valid {
            needs_rehash: false
        }
    );
}

#[test]
fn hash_uses_policy_and_random_salt() {
    let a = hash_password(&WEAK, "pw").unwrap();
    let b = hash_password(&WEAK, "pw").unwrap();
    assert_ne!(a, b, "salt must be random");
    assert_eq!(params_of(&a), ("argon2id".into(), 1024, 1, 1));
    assert!(!a.contains("pw$") && !a.ends_with("pw"));
}

#[test]
fn verify_accepts_right_and_rejects_wrong() {
    let phc = hash_password(&WEAK, "s3cret pass").unwrap();
    assert_eq!(
        verify_password(&WEAK, "s3cret pass", &phc),
        PasswordCheck::Valid {
            needs_rehash: false
        }
    );
    assert_eq!(
        verify_password(&WEAK, "s3cret pasS", &phc),
        PasswordCheck::Invalid
    );
    assert_eq!(verify_password(&WEAK, "", &phc), PasswordCheck::Invalid);
    assert_eq!(
        verify_password(&WEAK, "s3cret pass", "not a hash"),
        PasswordCheck::Invalid
    );
    assert_eq!(
        verify_password(&WEAK, "s3cret pass", ""),
        PasswordCheck::Invalid
    );
    assert_eq!(
        verify_password(&WEAK, "x", "$pbkdf2-sha256$i=1000$c2FsdA$aGFzaA"),
        PasswordCheck::Invalid
    );
}

#[test]
fn needs_rehash_when_policy_rises() {
    let phc = hash_password(&WEAK, "pw").unwrap();
    assert_eq!(
        verify_password(&STRONGER, "pw", &phc),
        PasswordCheck::Valid { needs_rehash: true }
    );
    assert_eq!(
        verify_password(&PasswordPolicy { t: 2, ..WEAK }, "pw", &phc),
        PasswordCheck::Valid { needs_rehash: true }
    );
    assert_eq!(
        verify_password(
            &PasswordPolicy {
                m_kib: 2048,
                ..WEAK
            },
            "pw",
            &phc
        ),
        PasswordCheck::Valid { needs_rehash: true }
    );
    // A hash stronger than the policy does not need rehashing.
    let strong = hash_password(&STRONGER, "pw").unwrap();
    assert_eq!(
        verify_password(&WEAK, "pw", &strong),
        PasswordCheck::Valid {
            needs_rehash: false
        }
    );
    // Wrong password never says anything about rehashing.
    assert_eq!(
        verify_password(&STRONGER, "nope", &phc),
        PasswordCheck::Invalid
    );
}

#[test]
fn needs_rehash_for_argon2i() {
    let params = Params::new(WEAK.m_kib, WEAK.t, WEAK.p, None).unwrap();
    let salt = SaltString::generate(&mut rand_core::OsRng);
    let phc = Argon2::new(Algorithm::Argon2i, Version::V0x13, params)
        .hash_password(b"pw", &salt)
        .unwrap()
        .to_string();
    assert!(phc.starts_with("$argon2i$"));
    assert_eq!(
        verify_password(&WEAK, "pw", &phc),
        PasswordCheck::Valid { needs_rehash: true }
    );
    assert_eq!(verify_password(&WEAK, "px", &phc), PasswordCheck::Invalid);
}

#[test]
fn dummy_verify_runs_for_any_input() {
    // Behaviour only (no timing assertions): it must not panic, for any policy or password.
    dummy_verify(&WEAK, "whatever");
    dummy_verify(&WEAK, "");
    dummy_verify(
        &PasswordPolicy {
            m_kib: 0,
            t: 0,
            p: 0,
        },
        "invalid policy falls back",
    );
}

#[test]
fn invalid_policy_is_an_error() {
    assert!(
        hash_password(
            &PasswordPolicy {
                m_kib: 1,
                t: 0,
                p: 0
            },
            "pw"
        )
        .is_err()
    );
}

#[test]
fn random_password_is_typeable_and_strong() {
    const ALPHABET: &str = "23456789abcdefghjkmnpqrstuvwxyz";
    let pw = random_password();
    let groups: Vec<&str> = pw.split('-').collect();
    assert_eq!(groups.len(), 5, "{}", &*pw);
    let mut symbols = 0;
    for g in &groups {
        assert_eq!(g.len(), 5);
        assert!(g.chars().all(|c| ALPHABET.contains(c)), "{g}");
        symbols += g.len();
    }
    let bits = symbols as f64 * (ALPHABET.len() as f64).log2();
    assert!(bits >= 100.0, "{bits} bits");
    for c in "01oli".chars() {
        assert!(!ALPHABET.contains(c));
    }
    // Uses the whole alphabet and does not repeat.
    let many: Vec<_> = (0..200).map(|_| random_password()).collect();
    let used: std::collections::HashSet<char> = many
        .iter()
        .flat_map(|p| p.chars().filter(|&c| c != '-').collect::<Vec<_>>())
        .collect();
    assert_eq!(used.len(), ALPHABET.len());
    let distinct: std::collections::HashSet<&str> = many.iter().map(|p| p.as_str()).collect();
    assert_eq!(distinct.len(), many.len());
}

#[test]
fn random_token_is_256_bit_url_safe() {
    let t = random_token();
    assert_eq!(t.len(), 43);
    assert!(
        t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "{t}"
    );
    assert_ne!(random_token(), random_token());
}

#[test]
fn token_hash_is_sha256() {
    // FIPS 180-2 test vector.
    let h = token_hash("abc");
    let hex: String = h.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        hex,
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn random_bytes_are_random() {
    let a = reunite_crypto::random_bytes::<20>();
    let b = reunite_crypto::random_bytes::<20>();
    assert_ne!(*a, *b);
    assert_ne!(*a, [0u8; 20]);
}

#[test]
fn a_hash_cheaper_than_the_policy_is_weaker() {
    let policy = PasswordPolicy {
        m_kib: 2048,
        t: 2,
        p: 1,
    };
    let same = hash_password(&policy, "pw").unwrap();
    assert!(!is_weaker_than(&policy, &same));
    for cheaper in [
        PasswordPolicy {
            m_kib: 1024,
            t: 2,
            p: 1,
        },
        PasswordPolicy {
            m_kib: 2048,
            t: 1,
            p: 1,
        },
    ] {
        let h = hash_password(&cheaper, "pw").unwrap();
        assert!(is_weaker_than(&policy, &h), "{h}");
    }
    let stronger = hash_password(
        &PasswordPolicy {
            m_kib: 4096,
            t: 3,
            p: 1,
        },
        "pw",
    )
    .unwrap();
    assert!(!is_weaker_than(&policy, &stronger));
    assert!(is_weaker_than(&policy, "not a phc string"));
}
