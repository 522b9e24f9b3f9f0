//! Rate limits per client and per account (issue 16): behind a TLS proxy on the same host
//! every connection comes from 127.0.0.1, so the limits must key on the client the trusted
//! proxy names — and must not believe that header from anyone else. Accounts under attack
//! from many addresses are slowed; every refused re-authentication is audited.

use crate::helpers::public as support;
use crate::helpers::TestApp;
use reunite_web::{ClientAddressPolicy, ClientIpHeader};

/// Trusts the proxy on this host, as the README's deployment does.
fn behind_local_proxy() -> ClientAddressPolicy {
    ClientAddressPolicy::new(&["127.0.0.1/32", "::1/128"], ClientIpHeader::XForwardedFor).unwrap()
}

/// Trusts a proxy somewhere else: the test's own connections (from 127.0.0.1) are then
/// an untrusted peer whose headers must be ignored.
fn proxy_elsewhere() -> ClientAddressPolicy {
    ClientAddressPolicy::new(&["10.0.0.0/8"], ClientIpHeader::XForwardedFor).unwrap()
}

async fn post_from(base: &str, path: &str, xff: &str, form: &[(&str, &str)]) -> u16 {
    crate::helpers::client::no_redirects()
        .post(format!("{base}{path}"))
        .header("x-forwarded-for", xff)
        .form(form)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn sign_in_from(app: &TestApp, xff: &str, user: &str) -> u16 {
    post_from(
        &app.base,
        "/office/login",
        xff,
        &[("username", user), ("password", "wrong password!")],
    )
    .await
}

#[tokio::test]
async fn behind_the_proxy_one_client_exhausting_sign_in_does_not_limit_another() {
    let app = TestApp::spawn_with(|c| {
        c.login_burst = 3;
        c.login_refill_ms = 60_000;
        c.client_address = behind_local_proxy();
    })
    .await;
    let mut a = Vec::new();
    for i in 0..4 {
        a.push(sign_in_from(&app, "198.51.100.1", &format!("user{i}")).await);
    }
    assert_eq!(a, vec![401, 401, 401, 429], "the first client is limited");
    assert_eq!(
        sign_in_from(&app, "198.51.100.2", "someone").await,
        401,
        "another client behind the same proxy is not"
    );
    // The rightmost untrusted address is the client: a forged entry to its left changes
    // nothing for the first client.
    assert_eq!(
        sign_in_from(&app, "203.0.113.77, 198.51.100.1", "user9").await,
        429
    );
    // IPv6 clients are one bucket per /64.
    for i in 0..3 {
        let xff = format!("2001:db8:1:2::{i}");
        assert_eq!(sign_in_from(&app, &xff, &format!("v6user{i}")).await, 401);
    }
    assert_eq!(sign_in_from(&app, "2001:db8:1:2::99", "v6user9").await, 429);
    assert_eq!(sign_in_from(&app, "2001:db8:1:3::1", "v6user9").await, 401);
}

#[tokio::test]
async fn a_spoofed_forwarded_header_from_an_untrusted_peer_is_ignored() {
    let app = TestApp::spawn_with(|c| {
        c.login_burst = 3;
        c.login_refill_ms = 60_000;
        c.client_address = proxy_elsewhere();
    })
    .await;
    let mut s = Vec::new();
    for i in 0..5 {
        s.push(sign_in_from(&app, &format!("198.51.100.{i}"), &format!("user{i}")).await);
    }
    assert_eq!(s, vec![401, 401, 401, 429, 429], "keyed by the peer");

    let public = support::spawn_with(reunite_web::IntakeConfig {
        submit_burst: 1,
        client_address: proxy_elsewhere(),
        ..support::fast_config()
    })
    .await;
    let url = format!("{}/", public.base);
    let form = support::good_form("zh");
    assert_eq!(post_from(&url, "", "198.51.100.1", &form).await, 200);
    assert_eq!(post_from(&url, "", "198.51.100.2", &form).await, 429);
}

#[tokio::test]
async fn behind_the_proxy_one_client_exhausting_intake_does_not_limit_another() {
    let app = support::spawn_with(reunite_web::IntakeConfig {
        submit_burst: 2,
        check_burst: 2,
        client_address: behind_local_proxy(),
        ..support::fast_config()
    })
    .await;
    let url = format!("{}/", app.base);
    let form = support::good_form("zh");
    for _ in 0..2 {
        assert_eq!(post_from(&url, "", "198.51.100.1", &form).await, 200);
    }
    assert_eq!(post_from(&url, "", "198.51.100.1", &form).await, 429);
    assert_eq!(
        post_from(&url, "", "198.51.100.2", &form).await,
        200,
        "another seeker can still file a request"
    );
    let read = [
        ("step", "read"),
        ("lang", "zh"),
        ("code", "4821 0937 5512 0648 3395"),
    ];
    for _ in 0..2 {
        assert_eq!(post_from(&url, "", "198.51.100.1", &read).await, 200);
    }
    assert_eq!(post_from(&url, "", "198.51.100.1", &read).await, 429);
    assert_eq!(post_from(&url, "", "198.51.100.2", &read).await, 200);
}

#[tokio::test]
async fn behind_the_proxy_one_client_exhausting_check_in_does_not_limit_another() {
    let app = TestApp::spawn_with(|c| {
        c.checkin.floor_ms = 0;
        c.checkin.burst = 2;
        c.checkin.refill_ms = 600_000;
        c.client_address = behind_local_proxy();
    })
    .await;
    let path = app_checkin_path(&app);
    let save = [
        ("step", "save"),
        ("lang", "en"),
        ("number", "0000000000"),
        ("pin", "0000"),
    ];
    for _ in 0..2 {
        assert_ne!(
            post_from(&app.base, &path, "198.51.100.1", &save).await,
            429
        );
    }
    assert_eq!(
        post_from(&app.base, &path, "198.51.100.1", &save).await,
        429
    );
    assert_ne!(
        post_from(&app.base, &path, "198.51.100.2", &save).await,
        429,
        "another traveller can still check in"
    );
}

fn app_checkin_path(_app: &TestApp) -> String {
    reunite_web::CheckinConfig::default().path
}
