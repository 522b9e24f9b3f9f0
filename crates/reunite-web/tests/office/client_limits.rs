//! Rate limits per client and per account (issue 16): behind a TLS proxy on the same host
//! every connection comes from 127.0.0.1, so the limits must key on the client the trusted
//! proxy names — and must not believe that header from anyone else. Accounts under attack
//! from many addresses are slowed; every refused re-authentication is audited.

use crate::helpers::public as support;
use crate::helpers::{Client, TestApp, admin_full_sign_in, next_code};
use reunite_domain::{Lang, Role};
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

#[tokio::test]
async fn wrong_sign_ins_for_one_account_from_many_addresses_are_slowed() {
    let app = TestApp::spawn_with(|c| {
        c.login_burst = 1000;
        c.client_address = behind_local_proxy();
    })
    .await;
    let burst = reunite_web::WebConfig::default().account_burst as usize;
    let (_, _, secret) = app.sign_in_as("alice", Role::Caseworker, Lang::En).await;
    // Her own sign-in took one attempt from her bucket; it is full again later.
    app.clock.advance_millis(600_000);
    for user in ["alice", "Nobody-Here"] {
        let mut s = Vec::new();
        for i in 0..burst + 3 {
            s.push(sign_in_from(&app, &format!("198.51.100.{i}"), user).await);
        }
        let mut want = vec![401; burst];
        want.extend([429, 429, 429]);
        assert_eq!(s, want, "{user}: known and unknown names alike");
    }
    // The normalised name is the key: case and spaces do not give a fresh bucket.
    assert_eq!(sign_in_from(&app, "198.51.100.200", " ALICE ").await, 429);
    // Even the right password gets the same answer while the account is slowed.
    let right = [
        ("username", "alice"),
        ("password", crate::helpers::STAFF_PASSWORD),
        ("code", &next_code(&app, &secret)),
    ];
    assert_eq!(
        post_from(&app.base, "/office/login", "192.0.2.1", &right).await,
        429
    );
    // Another account signs in meanwhile.
    app.sign_in_as("bob", Role::Caseworker, Lang::En).await;
    // Not locked out for ever: a minute later the owner gets in.
    app.clock.advance_millis(61_000);
    let right = [
        ("username", "alice"),
        ("password", crate::helpers::STAFF_PASSWORD),
        ("code", &next_code(&app, &secret)),
    ];
    assert_eq!(
        post_from(&app.base, "/office/login", "192.0.2.1", &right).await,
        303
    );
}

#[tokio::test]
async fn wrong_reauthentications_are_slowed_and_each_audited() {
    let app = TestApp::spawn().await;
    let mut c = Client::new(&app);
    let (secret, pw) = admin_full_sign_in(&app, &mut c).await;
    let burst = reunite_web::WebConfig::default().account_burst as usize;
    let csrf = c.csrf_of("/office/reauth?next=/office/users").await;
    let mut s = Vec::new();
    for _ in 0..25 {
        // The clock stands still: 25 attempts at once (the password is wrong anyway).
        let code = "000000";
        let p = c
            .post(
                "/office/reauth",
                &[
                    ("csrf", &csrf),
                    ("password", "wrong password"),
                    ("code", code),
                    ("next", "/office/users"),
                ],
            )
            .await;
        assert!(!p.body.contains("wrong password"));
        s.push(p.status);
    }
    let mut want = vec![401; burst];
    want.extend(vec![429; 25 - burst]);
    assert_eq!(s, want);
    let events = app.audit().await;
    let failed: Vec<_> = events
        .iter()
        .filter(|(a, _)| a == "reauth_failed")
        .collect();
    assert_eq!(failed.len(), 25, "{events:?}");
    let page = app.store.audit_page(0, 1000).await.unwrap();
    let actor = app
        .store
        .pseudonym(
            "user",
            &app.store
                .user_by_username(&reunite_domain::Username::parse("admin").unwrap())
                .await
                .unwrap()
                .unwrap()
                .id
                .0,
        )
        .await
        .unwrap();
    assert!(
        page.events
            .iter()
            .filter(|e| e.action == "reauth_failed")
            .all(|e| e.actor == actor && !e.detail.contains("wrong password"))
    );
    // Not locked out for ever: the owner re-authenticates a few minutes later, and sees the
    // refusals in the audit trail.
    app.clock.advance_millis(61_000);
    let p = c
        .post(
            "/office/reauth",
            &[
                ("csrf", &csrf),
                ("password", &pw),
                ("code", &next_code(&app, &secret)),
                ("next", "/office/audit"),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let audit = c.get("/office/audit").await;
    assert_eq!(audit.status, 200);
    assert!(
        audit.body.contains("Re-authentication refused"),
        "{}",
        audit.body
    );
}

#[tokio::test]
async fn second_factor_enrolment_is_slowed_per_account() {
    let app = TestApp::spawn().await;
    let mut c = Client::new(&app);
    let p = c
        .post(
            "/office/login",
            &[
                ("username", "admin"),
                ("password", crate::helpers::ADMIN_PASSWORD),
                ("code", ""),
            ],
        )
        .await;
    assert_eq!(p.location(), "/office/setup");
    let csrf = c.csrf_of("/office/setup").await;
    let new_pw = "a new admin passphrase";
    c.post(
        "/office/setup/password",
        &[
            ("csrf", &csrf),
            ("new_password", new_pw),
            ("new_password_again", new_pw),
        ],
    )
    .await;
    c.get("/office/setup").await;
    let burst = reunite_web::WebConfig::default().account_burst as usize;
    let mut s = Vec::new();
    for _ in 0..burst + 2 {
        s.push(
            c.post("/office/setup/totp", &[("csrf", &csrf), ("code", "000000")])
                .await
                .status,
        );
    }
    let mut want = vec![400; burst];
    want.extend([429, 429]);
    assert_eq!(s, want);
}
