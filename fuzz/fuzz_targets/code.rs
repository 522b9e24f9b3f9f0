//! Arbitrary text typed as a tracing code: parsing never panics, and what parses prints back
//! to a form that parses to the same code.
#![no_main]
#![forbid(unsafe_code)]

use libfuzzer_sys::fuzz_target;
use reunite_crypto::TracingCode;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(code) = TracingCode::parse(text) {
        let shown = code.to_string();
        let again = TracingCode::parse(&shown).expect("the shown form parses");
        assert_eq!(again.to_string(), shown);
    }
});
