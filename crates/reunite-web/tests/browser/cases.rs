//! A real browser (headless Chromium, JavaScript off) through the case registry: a
//! caseworker registers a mother with three names in three scripts and two children, finds
//! the case by its Chinese alias, edits it and reads the history.

use crate::helpers::apps::{self, TestApp};
use crate::helpers::driver as browser;
use crate::helpers::ui::{click, click_to, fill, text};
use fantoccini::Locator;
use reunite_domain::{Clock, Lang, Role, Username};
use reunite_store::NewUser;

async fn choose(b: &fantoccini::Client, select: &str, value: &str) {
    click(b, &format!("{select} option[value=\"{value}\"]")).await;
}

#[tokio::test]
async fn caseworker_registers_finds_edits_and_reads_the_history() {
    let app = TestApp::spawn().await;
    // A caseworker whose account is ready (password chosen, authenticator enrolled).
    let password = "browser caseworker passphrase";
    let phc = reunite_crypto::hash_password(&apps::FAST, password).unwrap();
    let id = app
        .store
        .create_user(
            &NewUser {
                username: Username::parse("park.cw").unwrap(),
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
    let secret = b"browser-test-totp-secret".to_vec();
    app.store
        .set_totp_pending(&id, &secret, app.clock.now())
        .await
        .unwrap();
    app.store
        .confirm_totp(&id, 1, "cli", app.clock.now())
        .await
        .unwrap();

    let browser = browser::start(false).await;
    let b = &browser.client;
    b.goto(&format!("{}/office/login?lang=en", app.base))
        .await
        .unwrap();
    fill(b, "#username", "park.cw").await;
    fill(b, "#password", password).await;
    fill(b, "#code", &apps::next_code(&app, &secret)).await;
    click_to(b, "#signin", "#nav-cases").await;
    assert!(b.current_url().await.unwrap().path().ends_with("/office"));

    // Register: three names in three scripts, then a second child through "add another".
    click_to(b, "#nav-cases", "#new-case").await;
    click_to(b, "#new-case", "#case-form").await;
    fill(b, "#m_name_0_text", "리영자").await;
    choose(b, "#m_name_0_kind", "birth").await;
    fill(b, "#m_name_1_text", "金英子").await;
    choose(b, "#m_name_1_kind", "alias").await;
    fill(b, "#m_name_2_text", "Lee Su-jin").await;
    choose(b, "#m_name_2_kind", "current").await;
    fill(b, "#m_birth_year", "1979").await;
    fill(b, "#m_bp_text", "함경북도 회령시").await;
    fill(b, "#m_bp_country", "KP").await;
    fill(b, "#c_0_name_0_text", "王明").await;
    choose(b, "#c_0_sex", "m").await;
    fill(b, "#c_0_birth_year", "2004").await;
    click_to(b, "#add-child", "#c_1_name_0_text").await;
    // The page came back with everything typed so far and a second child.
    let kept = b
        .find(Locator::Css("#m_name_1_text"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some("金英子"));
    fill(b, "#c_1_name_0_text", "王丽").await;
    choose(b, "#c_1_sex", "f").await;
    fill(b, "#f_name_0_text", "王建国").await;
    fill(b, "#res_text", "黑龙江省 鸡西市 密山市").await;
    choose(b, "#sep_cause", "repatriation").await;
    click_to(b, "#save-case", "#notice").await;
    assert_eq!(text(b, "#notice").await, "Saved.");
    let main = text(b, "main").await;
    for name in ["리영자", "金英子", "Lee Su-jin", "王明", "王丽", "王建国"] {
        assert!(main.contains(name), "{name} not shown");
    }
    let case_url = b.current_url().await.unwrap();
    let case_id = case_url.path().rsplit('/').next().unwrap().to_string();

    // Find it by the Chinese alias.
    click_to(b, "#nav-cases", "#q").await;
    fill(b, "#q", "金英子").await;
    click_to(b, "#search", "input#q[value=\"金英子\"]").await;
    assert_eq!(text(b, "#total").await, "1 cases");
    assert_eq!(text(b, "a.case-link").await, case_id);
    click_to(b, "a.case-link", "#edit-case").await;

    // Edit the alias and the status.
    click_to(b, "#edit-case", "#case-form").await;
    fill(b, "#m_name_1_text", "金英姬").await;
    choose(b, "#status", "in_contact").await;
    click_to(b, "#save-case", "#notice").await;
    assert_eq!(text(b, "#case-status").await, "In contact");
    assert!(text(b, "main").await.contains("金英姬"));

    // And the history says who changed what.
    click_to(b, "#case-history", "#history").await;
    let history = text(b, "#history").await;
    assert!(history.contains("Edited"), "{history}");
    assert!(history.contains("Registered"), "{history}");
    assert!(history.contains("park.cw"), "{history}");
    assert!(history.contains("Mother · Name 2"), "{history}");
    assert!(history.contains("Status"), "{history}");
    browser.client.clone().close().await.unwrap();
}
