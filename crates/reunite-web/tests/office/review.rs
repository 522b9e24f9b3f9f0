//! Match review over HTTP: a request filed on the public side is matched to its mother's
//! case, verified and put to the mother by her caseworker, answered by the mother in her own
//! member account, approved by a second caseworker (who sees the approval view, not the
//! records) and connected; the refusals the rules demand come back as pages with the
//! reason; the mother never reaches an office page.

use crate::helpers;
use crate::helpers::public as support;
use crate::helpers::{Client, TestApp};
use reunite_domain::review::MatchState;
use reunite_domain::{Case, CaseStatus, Clock, Lang, Role};
use reunite_store::{CaseActor, MatchSettings};

/// The case the public form of `support::good_form` describes (other scripts, other
/// details, as a caseworker would have registered her).
fn her_case(id: &str) -> Case {
    serde_json::from_value(serde_json::json!({
        "id": id,
        "mother": {"names": [{"text": "리영자", "kind": "birth"}, {"text": "金英子", "kind": "alias"}],
                   "sex": "f", "birth": {"year": 1979}, "birthplace": {"text": "회령", "country": "KP"}},
        "children": [{"names": [{"text": "왕명"}, {"text": "王明"}], "sex": "m",
                      "birth": {"year": 2004, "month": 6, "day": 12}}],
        "father": {"names": [{"text": "王建国"}]},
        "residence_cn": {"text": "黑龙江省 密山市", "country": "CN"}
    }))
    .unwrap()
}

async fn step(c: &mut Client, id: &str, step: &str, extra: &[(&str, &str)]) -> helpers::Page {
    let page = c.get(&format!("/office/matches/{id}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = page.input("csrf").unwrap();
    let mut form = vec![("csrf", csrf.as_str()), ("step", step)];
    form.extend_from_slice(extra);
    c.post(&format!("/office/matches/{id}/step"), &form).await
}

async fn state_of(app: &TestApp, id: &str) -> MatchState {
    app.store.candidate(id).await.unwrap().summary.state
}

#[tokio::test]
async fn from_request_to_connection_with_consent_and_two_approvers() {
    let public = support::spawn().await;
    let app = TestApp::over(&public, 3600).await;
    let (mut a, a_id, _) = app.sign_in_as("cw.a", Role::Caseworker, Lang::En).await;
    let (mut b, _, _) = app.sign_in_as("cw.b", Role::Caseworker, Lang::En).await;
    app.store
        .create_case(
            &her_case("c-1"),
            CaseStatus::Open,
            Some(&a_id),
            &CaseActor::Cli,
            app.clock.now(),
        )
        .await
        .unwrap();

    // A child files; the office's matcher proposes her case.
    let c = support::client();
    let sent = support::post(&c, &format!("{}/", public.base), &support::good_form("zh")).await;
    assert_eq!(sent.status, 200);
    let run = app
        .store
        .match_new_requests(MatchSettings::default(), 10, app.clock.now())
        .await
        .unwrap();
    assert_eq!(run.proposed, 1, "{run:?}");
    let id = app.store.list_candidates(None, 10).await.unwrap()[0]
        .id
        .clone();

    // The queue and the side-by-side view with the explanation.
    let q = a.get("/office/matches").await;
    assert_eq!(q.status, 200);
    assert!(q.body.contains(&format!("href=\"/office/matches/{id}\"")));
    assert!(q.body.contains("Proposed"));
    for secret in ["金英子", "王明", "密山"] {
        assert!(!q.body.contains(secret), "{secret} in the queue");
    }
    let v = a.get(&format!("/office/matches/{id}")).await;
    assert_eq!(v.status, 200);
    assert!(v.body.contains("id=\"explain\""));
    assert!(v.body.contains("리영자") && v.body.contains("她左手有一道疤"));
    assert!(v.body.contains("the best-fitting child"));

    // B is not on the case: the match does not open for her, and the refusal shows
    // nothing of it; she cannot act on it either.
    let v = b.get(&format!("/office/matches/{id}")).await;
    assert_eq!(v.status, 403);
    for secret in ["리영자", "金英子", "王明", "密山", "她左手"] {
        assert!(!v.body.contains(secret), "{secret} shown to B");
    }
    let b_csrf = b.get("/office").await.input("csrf").unwrap();
    let r = b
        .post(
            &format!("/office/matches/{id}/step"),
            &[("csrf", b_csrf.as_str()), ("step", "verify")],
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(!b.get("/office/matches").await.body.contains(&id));
    let r = step(
        &mut a,
        &id,
        "verify",
        &[("note", "ages, places and the father agree")],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    // Asking needs the text she will see, checked for sensitive words.
    let r = step(&mut a, &id, "ask", &[("excerpt", " ")]).await;
    assert_eq!(r.status, 422);
    let r = step(&mut a, &id, "ask", &[("excerpt", "탈북 관련 문의")]).await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("탈북"));
    let shown = "A young man born in 2004 is looking for his mother.";
    assert_eq!(
        step(&mut a, &id, "ask", &[("excerpt", shown)]).await.status,
        303
    );
    assert_eq!(state_of(&app, &id).await, MatchState::Asked);

    // Her caseworker makes her a member account.
    let p = a.get("/office/cases/c-1/member").await;
    let csrf = p.input("csrf").unwrap();
    let p = a
        .post(
            "/office/cases/c-1/member",
            &[("csrf", &csrf), ("username", "young.ja"), ("lang", "ko")],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    let otp = p.by_id("one-time-password").unwrap();
    let again = a
        .post(
            "/office/cases/c-1/member",
            &[("csrf", &csrf), ("username", "young.ja2"), ("lang", "ko")],
        )
        .await;
    assert_eq!(again.status, 409, "one account per case");

    // She signs in without a second factor, chooses her passphrase, lands on her page.
    let mut m = Client::new(&app);
    let p = m
        .post(
            "/office/login",
            &[("username", "young.ja"), ("password", &otp), ("code", "")],
        )
        .await;
    assert_eq!((p.status, p.location()), (303, "/office/setup"));
    let csrf = m.get("/office/setup").await.input("csrf").unwrap();
    let mine = "my own long passphrase 7";
    let p = m
        .post(
            "/office/setup/password",
            &[
                ("csrf", &csrf),
                ("new_password", mine),
                ("new_password_again", mine),
            ],
        )
        .await;
    assert_eq!((p.status, p.location()), (303, "/member"));
    let home = m.get("/member").await;
    assert_eq!(home.status, 200);
    assert!(home.body.contains(shown));
    assert!(
        !home.body.contains("王明"),
        "only what the caseworker chose"
    );
    // No office page for her.
    for path in [
        "/office",
        "/office/cases",
        "/office/matches",
        "/office/requests",
    ] {
        let p = m.get(path).await;
        assert_eq!((p.status, p.location()), (303, "/member"), "{path}");
    }
    // And no member page for staff.
    assert_eq!(a.get("/member").await.location(), "/office");

    // Four eyes on her answer: the verifier cannot record it for her.
    let r = step(&mut a, &id, "consent", &[]).await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains("cannot also record"), "{}", r.body);
    assert_eq!(state_of(&app, &id).await, MatchState::Asked);
    // The verifier cannot be the second approver; no connection before approval.
    let csrf = home.input("csrf").unwrap();
    let p = m
        .post(
            &format!("/member/answer/{id}"),
            &[("csrf", &csrf), ("answer", "yes")],
        )
        .await;
    assert_eq!((p.status, p.location()), (303, "/member?answered=1"));
    let home = m.get("/member").await;
    assert!(home.body.contains("라고 답하셨습니다"), "{}", home.body);
    assert!(!home.body.contains("class=\"answer-yes\""), "answered once");
    // The verifier is not offered the approval; asked anyway, the rules refuse it.
    let v = a.get(&format!("/office/matches/{id}")).await;
    assert!(v.body.contains("id=\"do-close\""), "{}", v.body);
    assert!(!v.body.contains("id=\"do-approve\""));
    let r = step(&mut a, &id, "approve", &[]).await;
    assert_eq!(r.status, 409);
    assert!(r.body.contains("second caseworker"), "{}", r.body);
    let r = step(&mut a, &id, "connect", &[]).await;
    assert_eq!(r.status, 409, "no connection before the second approval");
    assert!(r.body.contains("two different caseworkers"), "{}", r.body);
    // B, outside the case, is offered it as a second approver: the approval view shows
    // what the decision needs (the explanation, how consent was given, the province) and
    // nothing of the records.
    let q = b.get("/office/matches").await;
    assert!(
        q.body
            .contains(&format!("href=\"/office/matches/{id}/approval\"")),
        "{}",
        q.body
    );
    let v = b.get(&format!("/office/matches/{id}")).await;
    assert_eq!(
        (v.status, v.location()),
        (303, format!("/office/matches/{id}/approval").as_str())
    );
    let v = b.get(&format!("/office/matches/{id}/approval")).await;
    assert_eq!(v.status, 200, "{}", v.body);
    assert!(v.body.contains("id=\"explain\"") && v.body.contains("黑龙江省"));
    for secret in [
        "리영자",
        "金英子",
        "王明",
        "王建国",
        "密山",
        "她左手",
        "ages, places",
    ] {
        assert!(!v.body.contains(secret), "{secret} in the approval view");
    }
    let csrf = v.input("csrf").unwrap();
    // Disclosing is the case team's, not hers.
    let r = b
        .post(
            &format!("/office/matches/{id}/step"),
            &[("csrf", csrf.as_str()), ("step", "connect")],
        )
        .await;
    assert_eq!(r.status, 403);
    let r = b
        .post(
            &format!("/office/matches/{id}/approval"),
            &[("csrf", csrf.as_str()), ("note", "seen")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(step(&mut a, &id, "connect", &[]).await.status, 303);
    assert_eq!(state_of(&app, &id).await, MatchState::Connected);

    // The relay: the office writes to her, she answers; the office reads it.
    let v = a.get(&format!("/office/matches/{id}")).await;
    let csrf = v.input("csrf").unwrap();
    let p = a
        .post(
            &format!("/office/matches/{id}/message"),
            &[("csrf", &csrf), ("text", "아드님의 편지가 도착했습니다.")],
        )
        .await;
    assert_eq!(p.status, 303);
    let home = m.get("/member").await;
    assert!(home.body.contains("아드님의 편지가 도착했습니다."));
    let csrf = home.input("csrf").unwrap();
    let p = m
        .post(
            "/member/messages",
            &[("csrf", &csrf), ("text", "고맙습니다")],
        )
        .await;
    assert_eq!(p.status, 303);
    assert!(
        a.get(&format!("/office/matches/{id}"))
            .await
            .body
            .contains("고맙습니다")
    );
}
