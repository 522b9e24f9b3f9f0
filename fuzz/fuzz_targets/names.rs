//! Any text as a name: normalising, preparing, comparing, explaining and romanizing never
//! panic, normalisation is idempotent, and a name always meets itself at the top level.
#![no_main]
#![forbid(unsafe_code)]

use libfuzzer_sys::fuzz_target;
use reunite_names::{PreparedName, System, compare, explain, normalize, romanize_text};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (a, b) = text.split_at(text.char_indices().nth(text.chars().count() / 2).map_or(text.len(), |(i, _)| i));
    let n = normalize(text);
    assert_eq!(normalize(&n), n, "normalisation is idempotent");
    let pa = PreparedName::new(a);
    let pb = PreparedName::new(b);
    let c = compare(&pa, &pb);
    assert!((0.0..=1.0).contains(&c.similarity));
    let _ = explain(&pa, &pb);
    let _ = pa.blocking_keys();
    let _ = pa.surname_key();
    for s in [System::Rr, System::Mr, System::Nk] {
        let _ = romanize_text(text, s);
    }
});
