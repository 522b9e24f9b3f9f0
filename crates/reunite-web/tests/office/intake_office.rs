//! Tracing requests in the office over HTTP: a request filed on the public side (served
//! alone, as a mirror) is listed, opened, answered and kept by the office app over the same
//! database; sensitive replies are refused; only caseworkers and admins get in.

use crate::helpers;
use crate::helpers::public as support;
use crate::helpers::{Client, TestApp};
use reunite_domain::{Clock, Lang, Role};

const PASSWORD: &str = helpers::STAFF_PASSWORD;

/// Creates an account (password set, TOTP enrolled), signs it in; returns the client and
/// the TOTP secret. Caseworkers and admins here are on intake duty, which is what opens
/// every tracing request (without it, `least_privilege.rs`).
async fn sign_in(app: &TestApp, name: &str, role: Role, lang: Lang) -> (Client, Vec<u8>) {
    let (c, id, secret) = app.sign_in_as(name, role, lang).await;
    if matches!(role, Role::Caseworker | Role::Admin) {
        app.store
            .set_duty(
                &id,
                reunite_domain::Duty::Intake,
                true,
                &reunite_store::CaseActor::Cli,
                app.clock.now(),
            )
            .await
            .unwrap();
    }
    (c, secret)
}

async fn file_request(public: &support::PublicApp) -> String {
    let c = support::client();
    let sent = support::post(&c, &format!("{}/", public.base), &support::good_form("zh")).await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    sent.by_id("code").expect("code shown")
}

/// What the seeker sees on the check-back page.
async fn seeker_reads(public: &support::PublicApp, code: &str) -> String {
    let c = support::client();
    let r = support::post(
        &c,
        &format!("{}/", public.base),
        &[("step", "read"), ("lang", "zh"), ("code", code)],
    )
    .await;
    assert_eq!(r.status, 200);
    r.body
}

async fn only_request_id(app: &TestApp) -> String {
    let list = app.store.intake_list(10).await.unwrap();
    assert_eq!(list.len(), 1);
    list[0].id.clone()
}

async fn audit_details(app: &TestApp) -> Vec<String> {
    app.audit()
        .await
        .into_iter()
        .map(|(_, detail)| detail)
        .collect()
}

async fn message_count(app: &TestApp, id: &str) -> usize {
    app.store
        .intake_open(id, "test", app.clock.now())
        .await
        .unwrap()
        .messages
        .len()
}

#[tokio::test]
async fn listed_without_identity_opened_after_reauth_and_audited() {
    let public = support::spawn().await;
    let app = TestApp::over(&public, 60).await;
    file_request(&public).await;
    let id = only_request_id(&app).await;
    let (mut c, secret) = sign_in(&app, "cw.list", Role::Caseworker, Lang::En).await;

    // The list: the request, its status and counts, and nothing the seeker wrote.
    let p = c.get("/office/requests").await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains(&format!("href=\"/office/requests/{id}\"")));
    assert!(p.body.contains("<h1>Tracing requests</h1>"));
    assert!(p.body.contains(">New<"));
    for secret_text in ["金英子", "리영자", "王明", "王建国", "密山", "疤"] {
        assert!(!p.body.contains(secret_text), "{secret_text} in the list");
    }
    assert!(
        !audit_details(&app)
            .await
            .contains(&"intake.request".to_string()),
        "listing opens nothing"
    );
    // The navigation offers it.
    assert!(p.body.contains("id=\"nav-requests\""));

    // Opening needs a recent re-authentication.
    app.clock.advance_millis(120_000);
    let p = c.get(&format!("/office/requests/{id}")).await;
    assert_eq!(p.status, 303);
    assert!(p.location().starts_with("/office/reauth?next="));
    let before = audit_details(&app).await;
    assert!(!before.contains(&"intake.request".to_string()));
    let csrf = c.get("/office/reauth").await.input("csrf").unwrap();
    let code = helpers::next_code(&app, &secret);
    let p = c
        .post(
            "/office/reauth",
            &[
                ("csrf", &csrf),
                ("password", PASSWORD),
                ("code", &code),
                ("next", &format!("/office/requests/{id}")),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);

    // Opened: what the seeker wrote, and one audit event.
    let p = c.get(&format!("/office/requests/{id}")).await;
    assert_eq!(p.status, 200, "{}", p.body);
    for text in [
        "金英子",
        "리영자",
        "王明",
        "王建国",
        "2004-06-12",
        "黑龙江 密山",
        "她左手有一道疤",
        "简体中文",
    ] {
        assert!(p.body.contains(text), "{text} not shown");
    }
    let after = audit_details(&app).await;
    assert_eq!(
        after.iter().filter(|d| *d == "intake.request").count(),
        1,
        "{after:?}"
    );
    // Now it is listed as opened.
    let p = c.get("/office/requests").await;
    assert!(p.body.contains(">Opened<"));
}

#[tokio::test]
async fn sensitive_replies_are_refused_and_clean_ones_reach_the_seeker() {
    let public = support::spawn().await;
    let app = TestApp::over(&public, 900).await;
    let code = file_request(&public).await;
    let id = only_request_id(&app).await;
    let (mut c, _) = sign_in(&app, "cw.reply", Role::Caseworker, Lang::Ko).await;
    let page = c.get(&format!("/office/requests/{id}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = page.input("csrf").unwrap();
    let path = format!("/office/requests/{id}/reply");

    for (text, word) in [
        ("Hello from the North Korea desk", "north korea"),
        ("我们是帮助脱北者的", "脱北"),
        ("탈북 어머니를 찾고 있습니다", "탈북"),
    ] {
        let p = c.post(&path, &[("csrf", &csrf), ("text", text)]).await;
        assert_eq!(p.status, 422, "{text}");
        let err = p.by_id("reply-error").expect("error shown");
        assert!(err.contains("보내지 않았습니다"), "{err}");
        assert!(err.contains(word), "{err}");
        // What was typed is kept for rewriting.
        assert!(p.body.contains(text));
    }
    // Empty and too long are refused too.
    let p = c.post(&path, &[("csrf", &csrf), ("text", "   ")]).await;
    assert_eq!(p.status, 422);
    assert!(p.by_id("reply-error").is_some());
    let long = "가".repeat(2001);
    let p = c.post(&path, &[("csrf", &csrf), ("text", &long)]).await;
    assert_eq!(p.status, 422);
    assert!(p.by_id("reply-error").unwrap().contains("2000"));
    // A forged form is refused.
    let p = c
        .post(&path, &[("csrf", "nope"), ("text", "안녕하세요")])
        .await;
    assert_eq!(p.status, 403);
    // Nothing was stored or sent.
    assert_eq!(message_count(&app, &id).await, 0);
    assert!(
        !audit_details(&app)
            .await
            .contains(&"intake.reply".to_string())
    );
    assert!(seeker_reads(&public, &code).await.contains("id=\"none\""));

    // A clean reply goes out and reaches the seeker.
    let clean = "我们收到了。请告诉我们你小时候住的村子的名字。";
    let p = c.post(&path, &[("csrf", &csrf), ("text", clean)]).await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(p.location(), format!("/office/requests/{id}?sent=1"));
    assert_eq!(message_count(&app, &id).await, 1);
    assert!(
        audit_details(&app)
            .await
            .contains(&"intake.reply".to_string())
    );
    let seen = seeker_reads(&public, &code).await;
    assert!(seen.contains(clean), "{seen}");
    // And shows in the office thread.
    let p = c.get(&format!("/office/requests/{id}?sent=1")).await;
    assert!(p.body.contains(clean));
    assert!(p.by_id("notice").unwrap().contains("답장을 보냈습니다"));
}

#[tokio::test]
async fn keep_toggles() {
    let public = support::spawn().await;
    let app = TestApp::over(&public, 900).await;
    file_request(&public).await;
    let id = only_request_id(&app).await;
    let (mut c, _) = sign_in(&app, "cw.keep", Role::Caseworker, Lang::Zh).await;
    let page = c.get(&format!("/office/requests/{id}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<h1>请求 "));
    let csrf = page.input("csrf").unwrap();
    let path = format!("/office/requests/{id}/keep");
    let status = |app: &TestApp| {
        let store = app.store.clone();
        async move { store.intake_list(10).await.unwrap()[0].status.clone() }
    };
    assert_eq!(status(&app).await, "opened");

    let p = c.post(&path, &[("csrf", &csrf), ("keep", "1")]).await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(status(&app).await, "kept");
    let p = c.get(&format!("/office/requests/{id}?saved=1")).await;
    assert_eq!(p.by_id("request-status").unwrap(), "已保留");
    assert!(p.body.contains("name=\"keep\" value=\"0\""));
    let list = c.get("/office/requests").await;
    assert!(list.body.contains(">已保留<"));

    let p = c.post(&path, &[("csrf", &csrf), ("keep", "0")]).await;
    assert_eq!(p.status, 303);
    assert_eq!(status(&app).await, "opened");
    let p = c.post(&path, &[("csrf", "forged"), ("keep", "1")]).await;
    assert_eq!(p.status, 403);
    assert_eq!(status(&app).await, "opened");
    let details = audit_details(&app).await;
    assert!(details.contains(&"intake.keep".to_string()));
    assert!(details.contains(&"intake.release".to_string()));
}

#[tokio::test]
async fn only_staff_on_intake_duty_work_with_requests() {
    let public = support::spawn().await;
    let app = TestApp::over(&public, 900).await;
    file_request(&public).await;
    let id = only_request_id(&app).await;
    for (name, role) in [("re.search", Role::Researcher), ("re.view", Role::Reviewer)] {
        let (mut c, _) = sign_in(&app, name, role, Lang::En).await;
        let home = c.get("/office").await;
        assert!(!home.body.contains("id=\"nav-requests\""), "{name}");
        assert_eq!(c.get("/office/requests").await.status, 403, "{name}");
        assert_eq!(
            c.get(&format!("/office/requests/{id}")).await.status,
            403,
            "{name}"
        );
        let csrf = home.input("csrf").unwrap();
        let p = c
            .post(
                &format!("/office/requests/{id}/reply"),
                &[("csrf", &csrf), ("text", "hello")],
            )
            .await;
        assert_eq!(p.status, 403, "{name}");
        let p = c
            .post(
                &format!("/office/requests/{id}/keep"),
                &[("csrf", &csrf), ("keep", "1")],
            )
            .await;
        assert_eq!(p.status, 403, "{name}");
    }
    assert_eq!(message_count(&app, &id).await, 0);
    // An admin on intake duty gets in.
    let (mut admin, _) = sign_in(&app, "boss", Role::Admin, Lang::En).await;
    assert_eq!(admin.get("/office/requests").await.status, 200);
    assert_eq!(
        admin.get(&format!("/office/requests/{id}")).await.status,
        200
    );
    assert_eq!(admin.get("/office/requests/r-nope").await.status, 404);
}
