use proptest::prelude::*;
use reunite_crypto::{
    CODE_DIGITS, CryptoError, DataKey, FieldContext, Peppers, TracingCode, open_field, seal_field,
};

fn peppers() -> Peppers {
    Peppers::new(DataKey::generate(), DataKey::generate()).unwrap()
}

#[test]
fn code_has_at_least_64_bits() {
    assert!(CODE_DIGITS as f64 * 10f64.log2() >= 64.0);
    let shown = TracingCode::generate().to_string();
    let digits: String = shown.chars().filter(|c| c.is_ascii_digit()).collect();
    assert_eq!(digits.len(), CODE_DIGITS);
    assert!(digits.len() as f64 * 10f64.log2() >= 64.0);
}

#[test]
fn code_display_is_grouped() {
    let shown = TracingCode::generate().to_string();
    let groups: Vec<&str> = shown.split(' ').collect();
    assert_eq!(groups.len(), 5, "{shown}");
    assert!(
        groups
            .iter()
            .all(|g| g.len() == 4 && g.bytes().all(|b| b.is_ascii_digit()))
    );
}

#[test]
fn codes_are_random() {
    let codes: Vec<String> = (0..500)
        .map(|_| TracingCode::generate().to_string())
        .collect();
    let distinct: std::collections::HashSet<&String> = codes.iter().collect();
    assert_eq!(distinct.len(), codes.len());
    // Every digit value shows up in every position (fails for a stuck or biased generator
    // with overwhelming probability: P(miss) ≈ 20·10·0.9^500).
    for pos in 0..24 {
        if pos % 5 == 4 {
            continue;
        }
        let seen: std::collections::HashSet<u8> = codes.iter().map(|c| c.as_bytes()[pos]).collect();
        assert_eq!(seen.len(), 10, "position {pos}");
    }
}

#[test]
fn parse_round_trip_and_tolerance() {
    let code = TracingCode::generate();
    let shown = code.to_string();
    assert_eq!(TracingCode::parse(&shown).unwrap().to_string(), shown);
    let plain: String = shown.replace(' ', "");
    let dashed = shown.replace(' ', "-");
    let fullwidth: String = shown
        .chars()
        .map(|c| match c {
            '0'..='9' => char::from_u32(0xFF10 + (c as u32 - '0' as u32)).unwrap(),
            ' ' => '\u{3000}',
            c => c,
        })
        .collect();
    let messy = format!(
        "  {}\t-{}\n",
        &plain[..7],
        &plain[7..].replace("", " ").trim()
    );
    for s in [
        plain,
        dashed,
        fullwidth,
        messy,
        shown.replace(' ', "\u{2014}"),
    ] {
        assert_eq!(TracingCode::parse(&s).unwrap().to_string(), shown, "{s:?}");
    }
}

#[test]
fn parse_rejects_wrong_lengths_and_characters() {
    for s in [
        "",
        "1234 5678 9012 3456 789",
        "1234 5678 9012 3456 78901",
        "1234 5678 9012 3456 789O",
        "1234 5678 9012 3456 789a",
        "1234.5678.9012.3456.7890",
        "١٢٣٤ ٥٦٧٨ ٩٠١٢ ٣٤٥٦ ٧٨٩٠",
    ] {
        let err = TracingCode::parse(s).expect_err(s);
        assert!(matches!(err, CryptoError::BadCode));
        // The error never echoes the input.
        let digits: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
        if digits.len() >= 4 {
            assert!(!err.to_string().contains(&digits[..4]));
        }
    }
}

#[test]
fn peppers_must_differ() {
    let a = DataKey::generate();
    assert!(matches!(
        Peppers::new(a.clone(), a),
        Err(CryptoError::EqualPeppers)
    ));
    let mut same = [9u8; 32];
    let b = DataKey::from_bytes(&mut same);
    assert!(matches!(
        Peppers::new(b, DataKey::from_bytes(&mut [9u8; 32])),
        Err(CryptoError::EqualPeppers)
    ));
    assert!(Peppers::new(DataKey::generate(), DataKey::generate()).is_ok());
}

#[test]
fn code_lookup_is_deterministic_keyed_and_distinct() {
    let p1 = DataKey::generate();
    let p2 = DataKey::generate();
    let peppers = Peppers::new(p1.clone(), p2.clone()).unwrap();
    let code = TracingCode::generate();
    let reparsed = TracingCode::parse(&code.to_string().replace(' ', "-")).unwrap();
    let h = peppers.code_lookup(&code);
    assert_eq!(h, peppers.code_lookup(&reparsed));
    assert_ne!(h, peppers.code_lookup(&TracingCode::generate()));
    // Another deployment (another pepper 1) gives another hash.
    let other = Peppers::new(DataKey::generate(), p2.clone()).unwrap();
    assert_ne!(h, other.code_lookup(&code));
    // Swapping the peppers changes the lookup: pepper 1 and pepper 2 are not interchangeable.
    let swapped = Peppers::new(p2, p1).unwrap();
    assert_ne!(h, swapped.code_lookup(&code));
}

#[test]
fn reply_key_is_deterministic_per_code_and_independent_of_lookup() {
    let p1 = DataKey::generate();
    let p2 = DataKey::generate();
    let peppers = Peppers::new(p1.clone(), p2.clone()).unwrap();
    let code = TracingCode::generate();
    let ctx = FieldContext {
        table: "replies",
        column: "body",
        row_id: "r1",
    };
    let env = seal_field(
        &peppers.reply_key(&code),
        "reply",
        &ctx,
        b"your son is safe",
    );
    let again = TracingCode::parse(&code.to_string()).unwrap();
    assert_eq!(
        &open_field(&peppers.reply_key(&again), &ctx, &env).unwrap()[..],
        b"your son is safe"
    );
    // Another code, or another pepper 2, cannot open it.
    assert!(open_field(&peppers.reply_key(&TracingCode::generate()), &ctx, &env).is_err());
    let other = Peppers::new(p1, DataKey::generate()).unwrap();
    assert!(open_field(&other.reply_key(&code), &ctx, &env).is_err());
    // The lookup hash used as a key does not open it either.
    let mut lookup = peppers.code_lookup(&code);
    assert!(open_field(&DataKey::from_bytes(&mut lookup), &ctx, &env).is_err());
}

proptest! {
    #[test]
    fn parse_never_panics(s in "\\PC{0,60}") {
        let _ = TracingCode::parse(&s);
    }

    #[test]
    fn any_20_digits_round_trip(digits in "[0-9]{20}", sep in "[ -]{0,2}") {
        let input: String = digits.chars().map(|c| format!("{c}{sep}")).collect();
        let code = TracingCode::parse(&input).unwrap();
        let shown = code.to_string();
        prop_assert_eq!(shown.replace(' ', ""), digits);
        prop_assert_eq!(TracingCode::parse(&shown).unwrap().to_string(), shown);
    }
}

#[test]
fn peppers_lookup_runs_once_cheaply_enough_for_tests() {
    // Sanity: two calls on distinct Peppers agree only when the peppers agree.
    let a = DataKey::generate();
    let b = DataKey::generate();
    let p = Peppers::new(a.clone(), b.clone()).unwrap();
    let q = Peppers::new(a, b).unwrap();
    let code = TracingCode::generate();
    assert_eq!(p.code_lookup(&code), q.code_lookup(&code));
    let _ = peppers();
}
