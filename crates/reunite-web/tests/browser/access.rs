//! A real browser at a phone's width (360 px) through least privilege: a caseworker who is
//! not on a case is offered break-glass instead of the case, gives her reason with the
//! keyboard, reads the case under the banner; the case's own caseworker sees the opening
//! listed. The administrator's assignment page fits the screen and names no one. Screenshots
//! go to the target directory (`access-*.png`) for people to look at.

use crate::helpers::apps::{self, TestApp};
use crate::helpers::driver as browser;
use crate::helpers::ui::{click_to, fill, fits, shot, text};
use fantoccini::Locator;
use reunite_domain::{Case, CaseStatus, Clock, Lang, Name, Person, Role, UserId, Username};
use reunite_store::{CaseActor, NewUser};

const MOTHER: &str = "리영자";

async fn account(app: &TestApp, name: &str, role: Role, secret: &[u8]) -> UserId {
    let phc = reunite_crypto::hash_password(&apps::FAST, "browser staff passphrase").unwrap();
    let id = app
        .store
        .create_user(
            &NewUser {
                username: Username::parse(name).unwrap(),
                role,
                password_phc: phc,
                lang: Lang::En,
                must_change_password: false,
            },
            "cli",
            app.clock.now(),
        )
        .await
        .unwrap();
    app.store
        .set_totp_pending(&id, secret, app.clock.now())
        .await
        .unwrap();
    app.store
        .confirm_totp(&id, 1, "cli", app.clock.now())
        .await
        .unwrap();
    id
}

async fn sign_in(app: &TestApp, b: &fantoccini::Client, name: &str, secret: &[u8]) {
    b.goto(&format!("{}/office/login?lang=en", app.base))
        .await
        .unwrap();
    fill(b, "#username", name).await;
    fill(b, "#password", "browser staff passphrase").await;
    fill(b, "#code", &apps::next_code(app, secret)).await;
    click_to(b, "#signin", "#signout").await;
}

#[tokio::test]
async fn break_glass_at_360_px_and_the_assignment_page_names_no_one() {
    let app = TestApp::spawn().await;
    let own = account(&app, "own.cw", Role::Caseworker, b"own-cw-totp").await;
    account(&app, "other.cw", Role::Caseworker, b"other-cw-totp").await;
    account(&app, "second.admin", Role::Admin, b"admin-totp").await;
    let case = Case {
        id: "c-glass".into(),
        mother: Person {
            names: vec![Name {
                text: MOTHER.into(),
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
            Some(&own),
            &CaseActor::Cli,
            app.clock.now(),
        )
        .await
        .unwrap();

    let browser = browser::start(true).await;
    let b = &browser.client;
    b.set_window_size(360, 800).await.unwrap();
    sign_in(&app, b, "other.cw", b"other-cw-totp").await;
    b.goto(&format!("{}/office/cases/c-glass", app.base))
        .await
        .unwrap();
    let page = b.source().await.unwrap();
    assert!(!page.contains(MOTHER));
    fits(b, "the break-glass form").await;
    shot(b, "access-glass-form").await;
    // The reason field is reached and filled from the keyboard.
    fill(
        b,
        "#reason",
        "Second approval of a match; the residence is unclear.",
    )
    .await;
    click_to(b, "#break-glass", "#glass-banner").await;
    assert!(text(b, "main").await.contains(MOTHER));
    assert!(b.find(Locator::Css("#edit-case")).await.is_err());
    fits(b, "a case read under break-glass").await;
    shot(b, "access-glass-case").await;

    // Her opening is on the case page for the case's own caseworker.
    let own_browser = browser::start(true).await;
    let o = &own_browser.client;
    o.set_window_size(360, 800).await.unwrap();
    sign_in(&app, o, "own.cw", b"own-cw-totp").await;
    o.goto(&format!("{}/office/cases/c-glass", app.base))
        .await
        .unwrap();
    let listed = text(o, "#glass-list").await;
    assert!(listed.contains("other.cw") && listed.contains("residence is unclear"));
    fits(o, "the case page with its break-glass list").await;
    shot(o, "access-glass-listed").await;

    // The administrator's assignment page: numbers and dates, no name; fits the phone.
    let admin_browser = browser::start(true).await;
    let a = &admin_browser.client;
    a.set_window_size(360, 800).await.unwrap();
    sign_in(&app, a, "second.admin", b"admin-totp").await;
    a.goto(&format!("{}/office/assignments", app.base))
        .await
        .unwrap();
    let page = a.source().await.unwrap();
    assert!(page.contains("c-glass") && !page.contains(MOTHER));
    fits(a, "the assignment page").await;
    shot(a, "access-assignments").await;
    a.goto(&format!("{}/office/teams", app.base)).await.unwrap();
    fits(a, "the teams page").await;
    shot(a, "access-teams").await;
}
