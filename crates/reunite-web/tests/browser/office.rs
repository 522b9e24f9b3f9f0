//! A real browser (headless Chromium) through the foundation's office flow: sign in with the
//! one-time password, choose a password, enrol TOTP from the page, create a caseworker
//! account, sign out.

use crate::helpers::apps::{self, TestApp};
use crate::helpers::driver as browser;
use crate::helpers::ui::{click_to, fill, text};
use fantoccini::Locator;

#[tokio::test]
async fn admin_enrols_totp_creates_a_caseworker_and_signs_out() {
    let app = TestApp::spawn().await;
    let browser = browser::start(true).await;
    let b = &browser.client;
    b.goto(&format!("{}/office/login?lang=en", app.base))
        .await
        .unwrap();
    let title = b.title().await.unwrap();
    assert_eq!(
        title,
        "Staff sign-in",
        "{}",
        b.source().await.unwrap_or_default()
    );
    fill(b, "#username", "admin").await;
    fill(b, "#password", apps::ADMIN_PASSWORD).await;
    click_to(b, "#signin", "#save-password").await;
    let url = b.current_url().await.unwrap();
    assert!(
        url.path().ends_with("/office/setup"),
        "{url} {:?} {}",
        b.get_all_cookies().await,
        b.source().await.unwrap_or_default()
    );
    fill(b, "#new_password", "browser admin passphrase").await;
    fill(b, "#new_password_again", "browser admin passphrase").await;
    click_to(b, "#save-password", "#totp-key").await;
    // The QR code is drawn inline; read the key as someone typing it would.
    assert!(b.find(Locator::Css(".qr svg")).await.is_ok());
    let key = text(b, "#totp-key").await;
    let secret = apps::base32_decode(&key);
    let code = reunite_crypto::totp::code_at(
        &secret,
        reunite_domain::Clock::now(&*app.clock).millis() / 1000,
    );
    fill(b, "#totp_code", &code).await;
    click_to(b, "#confirm-totp", "#signout").await;
    assert!(b.current_url().await.unwrap().path().ends_with("/office"));
    assert!(text(b, "main").await.contains("Administrator"));
    // The session cookie reached the browser with its protections.
    let cookies = b.get_all_cookies().await.unwrap();
    let session = cookies
        .iter()
        .find(|c| c.name() == "__Host-reunite-session")
        .expect("session cookie set");
    assert_eq!(session.http_only(), Some(true));
    assert_eq!(session.secure(), Some(true));

    b.goto(&format!("{}/office/users", app.base)).await.unwrap();
    fill(b, "#new-username", "choi.caseworker").await;
    click_to(b, "#create-user", "#one-time-password").await;
    let otp = text(b, "#one-time-password").await;
    assert!(otp.len() >= 20);
    b.goto(&format!("{}/office/users", app.base)).await.unwrap();
    assert!(text(b, "table").await.contains("choi.caseworker"));

    click_to(b, "#signout", "#signin").await;
    let url = b.current_url().await.unwrap();
    assert!(url.path().ends_with("/office/login"));
    assert!(text(b, "main").await.contains("You are signed out"));
    // Server-side logout: the office is closed to this browser now.
    b.goto(&format!("{}/office/users", app.base)).await.unwrap();
    assert!(
        b.current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/office/login")
    );
    assert_eq!(app.store.count_sessions().await.unwrap(), 0);
    browser.client.clone().close().await.unwrap();
}
