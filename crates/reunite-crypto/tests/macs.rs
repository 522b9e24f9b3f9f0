use reunite_crypto::{DataKey, audit_link, blind_index, ct_eq, pseudonym};

#[test]
fn blind_index_is_deterministic_and_separated() {
    let k = DataKey::generate();
    let a = blind_index(&k, "phone", b"+8613800000000");
    assert_eq!(a, blind_index(&k, "phone", b"+8613800000000"));
    assert_ne!(a, blind_index(&k, "phone", b"+8613800000001"));
    assert_ne!(a, blind_index(&k, "wechat", b"+8613800000000"));
    assert_ne!(
        a,
        blind_index(&DataKey::generate(), "phone", b"+8613800000000")
    );
    // Length prefixes: moving bytes between domain and value changes the index.
    assert_ne!(blind_index(&k, "ab", b"c"), blind_index(&k, "a", b"bc"));
}

#[test]
fn audit_chain_detects_changes() {
    let k = DataKey::generate();
    let events: [&[u8]; 3] = [b"read case:1 name", b"read case:2 place", b"export"];
    let chain = |events: &[&[u8]]| {
        let mut prev = [0u8; 32];
        events
            .iter()
            .map(|e| {
                prev = audit_link(&k, &prev, e);
                prev
            })
            .collect::<Vec<_>>()
    };
    let good = chain(&events);
    assert_eq!(good, chain(&events));
    let tampered = chain(&[events[0], b"read case:3 place", events[2]]);
    assert_eq!(good[0], tampered[0]);
    assert_ne!(good[1], tampered[1]);
    assert_ne!(good[2], tampered[2], "a change propagates down the chain");
    let reordered = chain(&[events[1], events[0], events[2]]);
    assert_ne!(good[2], reordered[2]);
    // Different key, different chain; and the audit link is not a blind index.
    assert_ne!(
        audit_link(&DataKey::generate(), &[0; 32], events[0]),
        good[0]
    );
    assert_ne!(blind_index(&k, "", events[0]), good[0]);
}

#[test]
fn pseudonym_format_and_stability() {
    let k = DataKey::generate();
    let p = pseudonym(&k, "case", "6f1c7a1e-0000-4000-8000-000000000001");
    assert!(p.starts_with("case:"), "{p}");
    let hex = &p[5..];
    assert_eq!(hex.len(), 12);
    assert!(
        hex.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
    assert_eq!(
        p,
        pseudonym(&k, "case", "6f1c7a1e-0000-4000-8000-000000000001")
    );
    assert_ne!(
        p,
        pseudonym(&k, "case", "6f1c7a1e-0000-4000-8000-000000000002")
    );
    assert_ne!(
        hex,
        &pseudonym(&k, "user", "6f1c7a1e-0000-4000-8000-000000000001")[5..]
    );
    assert_ne!(
        p,
        pseudonym(
            &DataKey::generate(),
            "case",
            "6f1c7a1e-0000-4000-8000-000000000001"
        )
    );
    assert!(!p.contains("6f1c7a1e"));
}

#[test]
fn ct_eq_compares() {
    assert!(ct_eq(b"abc", b"abc"));
    assert!(!ct_eq(b"abc", b"abd"));
    assert!(!ct_eq(b"abc", b"ab"));
    assert!(ct_eq(b"", b""));
}
