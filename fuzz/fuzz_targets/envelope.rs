//! Arbitrary bytes as a field envelope, a wrapped key and a sealed box: every parser answers
//! with an error, never a panic, and nothing opens without the right key.
#![no_main]
#![forbid(unsafe_code)]

use libfuzzer_sys::fuzz_target;
use reunite_crypto::{DataKey, FieldContext, MasterKey, envelope_key_id, open_field, unwrap_key};
use std::sync::LazyLock;

static KEY: LazyLock<DataKey> = LazyLock::new(DataKey::generate);
static MASTER: LazyLock<MasterKey> = LazyLock::new(MasterKey::generate);

fuzz_target!(|data: &[u8]| {
    let _ = envelope_key_id(data);
    let ctx = FieldContext {
        table: "cases",
        column: "record_enc",
        row_id: "c-1",
    };
    assert!(open_field(&KEY, &ctx, data).is_err(), "random bytes never open");
    assert!(unwrap_key(&MASTER, "dk-1", "cases", data).is_err());
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = MasterKey::from_text(text);
        let _ = DataKey::from_text(text);
    }
});
