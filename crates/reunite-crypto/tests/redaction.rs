//! Requirement 16: `Debug` of every secret-bearing type is redacted.

use reunite_crypto::{
    DataKey, KeyRing, MasterKey, Peppers, TracingCode, office_keypair, random_password,
};

fn b64_of(text: &str) -> String {
    text.rsplit(':').next().unwrap().to_owned()
}

fn assert_hidden(debug: &str, secret: &str) {
    assert!(!secret.is_empty());
    assert!(!debug.contains(secret), "{debug} contains the secret");
    // Nor a long piece of it.
    if secret.len() >= 16 {
        assert!(
            !debug.contains(&secret[..12]),
            "{debug} contains part of the secret"
        );
    }
}

#[test]
fn master_key_debug_shows_only_id() {
    let mk = MasterKey::generate();
    let secret = b64_of(&mk.to_text());
    for d in [format!("{mk:?}"), format!("{mk:#?}")] {
        assert_hidden(&d, &secret);
        assert!(d.contains(mk.id().as_str()), "{d}");
    }
    let id = mk.id().clone();
    let older = MasterKey::generate();
    let older_secret = b64_of(&older.to_text());
    let ring = KeyRing::new(mk, vec![older]);
    let d = format!("{ring:?}{ring:#?}");
    assert_hidden(&d, &secret);
    assert_hidden(&d, &older_secret);
    assert!(d.contains(id.as_str()));
}

#[test]
fn data_key_and_peppers_debug_redacted() {
    let dk = DataKey::generate();
    let secret = b64_of(&dk.to_text());
    let d = format!("{dk:?}{dk:#?}");
    assert_hidden(&d, &secret);
    let mut raw = [0xABu8; 32];
    let known = DataKey::from_bytes(&mut raw);
    let d = format!("{known:?}");
    assert!(
        !d.contains("171") && !d.to_lowercase().contains("abab"),
        "{d}"
    );

    let p2 = DataKey::generate();
    let secret2 = b64_of(&p2.to_text());
    let peppers = Peppers::new(dk, p2).unwrap();
    let d = format!("{peppers:?}{peppers:#?}");
    assert_hidden(&d, &secret);
    assert_hidden(&d, &secret2);
}

#[test]
fn office_secret_key_debug_redacted() {
    let (pk, sk) = office_keypair();
    let secret = b64_of(&sk.to_text());
    assert_hidden(&format!("{sk:?}{sk:#?}"), &secret);
    // The public key may be shown.
    assert!(format!("{pk:?}").contains(&b64_of(&pk.to_text())));
}

#[test]
fn tracing_code_debug_redacted_display_reveals() {
    let code = TracingCode::generate();
    let shown = code.to_string();
    let digits = shown.replace(' ', "");
    for d in [format!("{code:?}"), format!("{code:#?}")] {
        assert_hidden(&d, &shown);
        assert_hidden(&d, &digits);
        for group in shown.split(' ') {
            assert!(!d.contains(group), "{d} contains a group of the code");
        }
    }
}

#[test]
fn error_messages_carry_no_secret() {
    let mk = MasterKey::generate();
    let text = mk.to_text();
    let secret = b64_of(&text);
    let broken = format!("{}?", &text[..text.len() - 1]);
    let e = MasterKey::from_text(&broken).unwrap_err();
    assert_hidden(&format!("{e} {e:?}"), &secret);
    let e = reunite_crypto::TracingCode::parse("4821 0937 5512 0648 339x")
        .err()
        .unwrap();
    assert!(!format!("{e} {e:?}").contains("4821"));
    let pw = random_password();
    let e = reunite_crypto::backup::encrypt_with_params(
        &reunite_crypto::backup::BackupParams {
            m_kib: 1024,
            t: 1,
            p: 1,
        },
        &pw[..5],
        &b""[..],
        Vec::new(),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(!format!("{e} {e:?}").contains(&pw[..5]));
}
