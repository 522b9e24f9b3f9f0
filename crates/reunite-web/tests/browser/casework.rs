//! A real browser at a phone's width (360 px) through a caseworker's day: she adds an
//! overdue follow-up and a restricted counselling note from the keyboard, and her office
//! home (the dashboard) counts the overdue follow-up. No page is wider than the window;
//! screenshots go to the target directory (`casework-*.png`) for people to look at.

use crate::helpers::apps::{self, TestApp};
use crate::helpers::driver as browser;
use crate::helpers::ui::{click, click_to, fill, fits, shot, text};
use reunite_domain::{Case, CaseStatus, Clock, Lang, Name, Person, Role, Username};
use reunite_store::{CaseActor, NewUser};

/// A date input takes its value in the browser's locale when typed; set it as the form
/// sends it.
async fn set_date(b: &fantoccini::Client, id: &str, value: &str) {
    b.execute(
        "document.getElementById(arguments[0]).value = arguments[1];",
        vec![serde_json::json!(id), serde_json::json!(value)],
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_caseworker_adds_an_overdue_follow_up_and_a_restricted_note_at_360_px() {
    let app = TestApp::spawn().await;
    let phc = reunite_crypto::hash_password(&apps::FAST, "browser staff passphrase").unwrap();
    let me = app
        .store
        .create_user(
            &NewUser {
                username: Username::parse("day.cw").unwrap(),
                role: Role::Caseworker,
                password_phc: phc,
                lang: Lang::En,
                must_change_password: false,
            },
            "cli",
            app.clock.now(),
        )
        .await
        .unwrap();
    let secret = b"day-cw-totp".to_vec();
    app.store
        .set_totp_pending(&me, &secret, app.clock.now())
        .await
        .unwrap();
    app.store
        .confirm_totp(&me, 1, "cli", app.clock.now())
        .await
        .unwrap();
    let case = Case {
        id: "c-day".into(),
        mother: Person {
            names: vec![Name {
                text: "리영자".into(),
                kind: None,
            }],
            ..Default::default()
        },
        ..Default::default()
    };
    app.store
        .create_case(
            &case,
            CaseStatus::Open,
            Some(&me),
            &CaseActor::Cli,
            app.clock.now(),
        )
        .await
        .unwrap();

    let browser = browser::start(true).await;
    let b = &browser.client;
    b.set_window_size(360, 800).await.unwrap();
    b.goto(&format!("{}/office/login?lang=en", app.base))
        .await
        .unwrap();
    fill(b, "#username", "day.cw").await;
    fill(b, "#password", "browser staff passphrase").await;
    fill(b, "#code", &apps::next_code(&app, &secret)).await;
    click_to(b, "#signin", "#signout").await;

    // A follow-up that was due long ago.
    b.goto(&format!("{}/office/cases/c-day/tasks", app.base))
        .await
        .unwrap();
    fill(b, "#what", "Call her about the school papers").await;
    set_date(b, "due_on", "2020-01-15").await;
    click_to(b, "#add-task", "#back-to-case").await;
    assert!(
        text(b, "main")
            .await
            .contains("Call her about the school papers")
    );
    fits(b, "the case's follow-ups").await;
    shot(b, "casework-tasks").await;

    // A restricted counselling note.
    b.goto(&format!("{}/office/cases/c-day/notes", app.base))
        .await
        .unwrap();
    click(b, "#kind option[value=\"counselling\"]").await;
    click(b, "#visibility option[value=\"restricted\"]").await;
    set_date(b, "noted_on", "2020-01-14").await;
    fill(b, "#text", "First session; she spoke about her son.").await;
    click_to(b, "#add-note", "#back-to-case").await;
    fits(b, "the case's notes").await;
    shot(b, "casework-notes").await;

    // Her office home counts the overdue follow-up, and fits the phone.
    b.goto(&format!("{}/office", app.base)).await.unwrap();
    let overdue = text(b, "#dash-tasks-overdue").await;
    assert!(overdue.contains('1'), "{overdue}");
    fits(b, "the dashboard").await;
    shot(b, "casework-dashboard").await;

    b.goto(&format!("{}/office/cases/c-day/services", app.base))
        .await
        .unwrap();
    fits(b, "the case's services").await;
    shot(b, "casework-services").await;
}
