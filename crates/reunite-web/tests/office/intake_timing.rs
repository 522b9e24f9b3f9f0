//! What a seeker's check-back says about the match behind it: nothing. Four requests, one
//! in each state the issue names — no match, a candidate under review, the mother asked and
//! her answer pending, the mother declined — give byte-identical pages (apart from the code
//! itself, which the page carries back in its forms) and indistinguishable timings: medians
//! within 10 % over N = 200 check-backs each, taken interleaved so that whatever else the
//! machine does falls on every state alike.

use crate::helpers::public as support;
use reunite_crypto::{TracingCode, seal};
use reunite_domain::review::{AnsweredBy, MatchState, Step};
use reunite_domain::{Case, CaseStatus, Clock, UserId};
use reunite_store::{CaseActor, MatchSettings, NewIntake};
use reunite_web::IntakeConfig;
use std::time::{Duration, Instant};

const N: usize = 200;

fn her_case() -> Case {
    serde_json::from_value(serde_json::json!({
        "id": "c-1",
        "mother": {"names": [{"text": "리영자"}, {"text": "李英子"}], "sex": "f", "birth": {"year": 1979}},
        "children": [{"names": [{"text": "王明"}], "sex": "m", "birth": {"year": 2004}}],
        "residence_cn": {"text": "延吉", "country": "CN"}
    }))
    .unwrap()
}

fn payload(mother: &str, child: &str, year: i32) -> String {
    serde_json::json!({
        "v": 1, "lang": "zh", "note": "",
        "request": {
            "id": "x",
            "sought": {"names": [{"text": mother}], "birth": {"year": 1979}},
            "seeker": {"names": [{"text": child}], "birth": {"year": year}},
            "residence_cn": {"text": "延吉"}
        }
    })
    .to_string()
}

/// Runs futures together and returns their outputs in order (no extra dependency).
async fn futures_join_all<F>(futs: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futs.map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::test]
async fn check_back_says_nothing_about_the_match_behind_it() {
    // Measured while no other test's app runs.
    let _alone = crate::helpers::gate::alone().await;
    // A floor of the production kind, scaled down so the test takes seconds.
    let public = support::spawn_with(IntakeConfig {
        check_floor_ms: 150,
        ..support::fast_config()
    })
    .await;
    let store = &public.office;
    let now = public.clock.now();
    store
        .create_case(&her_case(), CaseStatus::Open, None, &CaseActor::Cli, now)
        .await
        .unwrap();
    let keys = &public.keys;
    let mut codes = Vec::new();
    for p in [
        payload("赵春花", "孙磊", 1995),
        payload("李英子", "王明", 2004),
        payload("李英子", "王明", 2004),
        payload("李英子", "王明", 2004),
    ] {
        let code = TracingCode::generate();
        let id = public
            .intake
            .submit(
                &NewIntake {
                    code_lookup: keys.peppers.code_lookup(&code),
                    sealed_request: seal(&keys.office, p.as_bytes()),
                    sealed_reply_key: seal(
                        &keys.office,
                        keys.peppers.reply_key(&code).to_text().as_bytes(),
                    ),
                },
                now,
            )
            .await
            .unwrap();
        codes.push((id, code.to_string()));
    }
    let run = store
        .match_new_requests(MatchSettings::default(), 10, now)
        .await
        .unwrap();
    assert_eq!(run.proposed, 3, "{run:?}");
    // No match; under review; consent pending; declined.
    assert!(
        store
            .candidates_of_request(&codes[0].0)
            .await
            .unwrap()
            .is_empty()
    );
    let cand = |i: usize| {
        let id = codes[i].0.clone();
        async move {
            store.candidates_of_request(&id).await.unwrap()[0]
                .id
                .clone()
        }
    };
    let a = UserId("u-a".into());
    let (review, pending, declined) = (cand(1).await, cand(2).await, cand(3).await);
    store
        .match_step(&review, Step::Verify, &a, None, None, now)
        .await
        .unwrap();
    for m in [&pending, &declined] {
        store
            .match_step(m, Step::Verify, &a, None, None, now)
            .await
            .unwrap();
        store
            .match_step(m, Step::AskMother, &a, None, Some("…"), now)
            .await
            .unwrap();
    }
    store
        .match_step(
            &declined,
            Step::Decline(AnsweredBy::Caseworker),
            &a,
            None,
            None,
            now,
        )
        .await
        .unwrap();
    assert_eq!(
        store.candidate(&pending).await.unwrap().summary.state,
        MatchState::Asked
    );

    let c = support::client();
    let url = format!("{}/", public.base);
    let read = |code: String| {
        let (c, url) = (c.clone(), url.clone());
        async move {
            let t = Instant::now();
            let r = support::post(
                &c,
                &url,
                &[("step", "read"), ("lang", "zh"), ("code", &code)],
            )
            .await;
            let took = t.elapsed();
            assert_eq!(r.status, 200);
            (r.body.replace(&code, "CODE"), took)
        }
    };

    // Byte-identical, the code aside.
    let first = read(codes[0].1.clone()).await.0;
    for (_, code) in &codes[1..] {
        assert_eq!(read(code.clone()).await.0, first);
    }

    // Timings: in each round one check-back per state, sent together, so that whatever
    // else the machine does falls on every state alike. The order within a round turns by
    // one each round: requests sent together queue, and a fixed order would charge the
    // queue to the states sent last.
    let mut times: Vec<Vec<Duration>> = vec![Vec::with_capacity(N); codes.len()];
    for r in 0..N {
        let order: Vec<usize> = (0..codes.len()).map(|i| (i + r) % codes.len()).collect();
        let round = order.iter().map(|&i| read(codes[i].1.clone()));
        let got = futures_join_all(round).await;
        for (&i, (_, took)) in order.iter().zip(got) {
            times[i].push(took);
        }
    }
    let medians: Vec<Duration> = times.into_iter().map(median).collect();
    let lo = *medians.iter().min().unwrap();
    let hi = *medians.iter().max().unwrap();
    eprintln!("check-back medians per state (no match, review, pending, declined): {medians:?}");
    assert!(
        hi.as_secs_f64() <= lo.as_secs_f64() * 1.10,
        "medians differ by more than 10 %: {medians:?}"
    );
    assert!(
        lo >= Duration::from_millis(150),
        "the floor holds: {medians:?}"
    );
}
