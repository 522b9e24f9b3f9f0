//! Arbitrary text as one line of an import file (a case or a tracing request): parsing and
//! validation answer with errors, never a panic; what parses and validates survives a round
//! trip through JSON unchanged.
#![no_main]
#![forbid(unsafe_code)]

use libfuzzer_sys::fuzz_target;
use reunite_domain::{Case, TracingRequest};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(case) = serde_json::from_str::<Case>(text) {
        if case.validate().is_empty() {
            let back: Case = serde_json::from_str(&serde_json::to_string(&case).unwrap()).unwrap();
            assert_eq!(back, case);
        }
    }
    if let Ok(req) = serde_json::from_str::<TracingRequest>(text) {
        let _ = req.validate();
    }
});
