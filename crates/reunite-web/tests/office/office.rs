//! The office over real HTTP: headers, sign-in, setup, sessions, re-authentication,
//! accounts, roles, audit trail, forgery and rate limits.

use crate::helpers;
use crate::helpers::{Client, TestApp, admin_full_sign_in, next_code};
use reunite_domain::{Clock, Username};

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
     font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
     base-uri 'none'";

fn assert_security_headers(p: &helpers::Page, what: &str, hsts: bool) {
    let h = |n: &str| {
        p.headers
            .get(n)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    assert_eq!(h("content-security-policy"), CSP, "{what}");
    assert_eq!(h("cache-control"), "no-store", "{what}");
    assert_eq!(h("referrer-policy"), "no-referrer", "{what}");
    assert_eq!(h("x-content-type-options"), "nosniff", "{what}");
    let pp = h("permissions-policy");
    for f in ["camera=()", "microphone=()", "geolocation=()"] {
        assert!(pp.contains(f), "{what}: permissions-policy lacks {f}");
    }
    assert_eq!(
        !h("strict-transport-security").is_empty(),
        hsts,
        "{what}: HSTS only over TLS"
    );
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    for tls in [false, true] {
        let app = TestApp::spawn_with(|c| c.tls = tls).await;
        let mut c = Client::new(&app);
        let mut pages = vec![
            ("login", c.get("/office/login").await),
            ("css", c.get("/static/style.css").await),
            ("icon", c.get("/favicon.ico").await),
            ("404", c.get("/no/such/page").await),
            ("redirect", c.get("/office").await),
            ("health", c.get("/healthz").await),
        ];
        pages.push((
            "failed login",
            c.post("/office/login", &[("username", "x"), ("password", "y")])
                .await,
        ));
        pages.push(("405", c.post("/static/style.css", &[]).await));
        for (what, p) in &pages {
            assert_security_headers(p, what, tls);
        }
        assert_eq!(pages[3].1.status, 404);
    }
}

/// Every `href`, `src` and `action` in a page is a path on this site, and the stylesheet
/// loads nothing.
fn assert_no_other_origin(body: &str, what: &str) {
    for attr in ["href=\"", "src=\"", "action=\"", "url("] {
        for part in body.split(attr).skip(1) {
            let value: String = part
                .chars()
                .take_while(|c| *c != '"' && *c != ')')
                .collect();
            assert!(
                value.starts_with('/') || value.starts_with('#') || value.is_empty(),
                "{what}: {attr}{value} points elsewhere"
            );
            assert!(
                !value.starts_with("//"),
                "{what}: protocol-relative {value}"
            );
        }
    }
}

#[tokio::test]
async fn pages_reference_no_other_origin() {
    let app = TestApp::spawn().await;
    let mut c = Client::new(&app);
    let css = c.get("/static/style.css").await;
    assert!(!css.body.contains("url("), "the stylesheet loads nothing");
    assert!(!css.body.contains("@import"));
    assert_no_other_origin(&c.get("/office/login").await.body, "login");
    c.post(
        "/office/login",
        &[("username", "admin"), ("password", helpers::ADMIN_PASSWORD)],
    )
    .await;
    let setup = c.get("/office/setup").await;
    assert_no_other_origin(&setup.body, "setup");
    let (_secret, _) = {
        let mut c2 = Client::new(&app);
        let s = admin_full_sign_in(&app, &mut c2).await;
        for path in ["/office", "/office/users", "/office/audit"] {
            let p = c2.get(path).await;
            assert_eq!(p.status, 200, "{path}");
            assert_no_other_origin(&p.body, path);
        }
        s
    };
}

#[tokio::test]
async fn failed_sign_ins_are_indistinguishable() {
    let app = TestApp::spawn().await;
    let mut c = Client::new(&app);
    // An account that has finished setup, so that a password alone is not enough.
    let (secret, pw) = admin_full_sign_in(&app, &mut c).await;
    let mut answers = Vec::new();
    for (user, password, code) in [
        ("nobody-here", "whatever password", "123456"),
        ("admin", "wrong password!!", "123456"),
        ("admin", "", "123456"),
        ("admin", pw.as_str(), "000000"),
        ("", "", ""),
    ] {
        let mut anon = Client::new(&app);
        let p = anon
            .post(
                "/office/login",
                &[("username", user), ("password", password), ("code", code)],
            )
            .await;
        assert!(p.set_cookie().is_none(), "no session for a failure");
        answers.push((p.status, p.body));
    }
    for a in &answers[1..] {
        assert_eq!(a, &answers[0], "every failure must look the same");
    }
    assert_eq!(answers[0].0, 401);
    // The right code does sign in.
    let code = next_code(&app, &secret);
    let mut ok = Client::new(&app);
    let p = ok
        .post(
            "/office/login",
            &[("username", "ADMIN"), ("password", &pw), ("code", &code)],
        )
        .await;
    assert_eq!((p.status, p.location()), (303, "/office"));
    // …once: the same code cannot be replayed.
    let mut again = Client::new(&app);
    let p = again
        .post(
            "/office/login",
            &[("username", "admin"), ("password", &pw), ("code", &code)],
        )
        .await;
    assert_eq!(p.status, 401);
}

#[tokio::test]
async fn first_sign_in_setup_and_session_cookie() {
    let app = TestApp::spawn().await;
    let mut c = Client::new(&app);
    let p = c
        .post(
            "/office/login",
            &[("username", "admin"), ("password", helpers::ADMIN_PASSWORD)],
        )
        .await;
    assert_eq!(p.location(), "/office/setup");
    let cookie = p.set_cookie().unwrap().to_string();
    assert!(cookie.starts_with("__Host-reunite-session="));
    for attr in ["Path=/", "Secure", "HttpOnly", "SameSite=Strict"] {
        assert!(cookie.contains(attr), "cookie lacks {attr}: {cookie}");
    }
    assert!(
        !cookie.contains("Domain="),
        "__Host- cookies carry no Domain"
    );
    let setup_token = c.cookie.clone().unwrap();
    // A setup session reaches nothing else.
    assert_eq!(c.get("/office").await.location(), "/office/setup");
    assert_eq!(c.get("/office/users").await.location(), "/office/setup");
    let setup = c.get("/office/setup").await;
    let csrf = setup.input("csrf").unwrap();
    // Rules for the new password, with messages.
    let p = c
        .post(
            "/office/setup/password",
            &[
                ("csrf", &csrf),
                ("new_password", "short"),
                ("new_password_again", "short"),
            ],
        )
        .await;
    assert_eq!(p.status, 400);
    assert!(p.body.contains("at least 12 characters"));
    let p = c
        .post(
            "/office/setup/password",
            &[
                ("csrf", &csrf),
                ("new_password", helpers::ADMIN_PASSWORD),
                ("new_password_again", helpers::ADMIN_PASSWORD),
            ],
        )
        .await;
    assert!(p.body.contains("must differ"), "{}", p.body);
    let p = c
        .post(
            "/office/setup/password",
            &[
                ("csrf", "forged"),
                ("new_password", "x".repeat(20).as_str()),
                ("new_password_again", "x".repeat(20).as_str()),
            ],
        )
        .await;
    assert_eq!(p.status, 403, "form token required");
    drop(c);
    // Now the whole flow, and the session is rotated at the end.
    let mut c = Client::new(&app);
    let (secret, pw) = admin_full_sign_in(&app, &mut c).await;
    let full_token = c.cookie.clone().unwrap();
    assert_ne!(full_token, setup_token);
    let home = c.get("/office").await;
    assert_eq!(home.status, 200);
    assert!(home.body.contains("Administrator"));
    // The password alone no longer signs in: the second factor is required.
    let mut other = Client::new(&app);
    let p = other
        .post("/office/login", &[("username", "admin"), ("password", &pw)])
        .await;
    assert_eq!(p.status, 401);
    let code = next_code(&app, &secret);
    let p = other
        .post(
            "/office/login",
            &[("username", "admin"), ("password", &pw), ("code", &code)],
        )
        .await;
    assert_eq!(p.location(), "/office");
}

#[tokio::test]
async fn sessions_expire_when_idle_or_old_and_logout_is_server_side() {
    let app = TestApp::spawn().await;
    let mut c = Client::new(&app);
    admin_full_sign_in(&app, &mut c).await;
    // Activity every 10 minutes keeps it alive…
    for _ in 0..3 {
        app.clock.advance_millis(10 * 60_000);
        assert_eq!(c.get("/office").await.status, 200);
    }
    // …16 idle minutes end it.
    app.clock.advance_millis(16 * 60_000);
    let p = c.get("/office").await;
    assert_eq!(p.location(), "/office/login?expired=1");
    assert_eq!(app.store.count_sessions().await.unwrap(), 0);

    // Absolute limit: 12 hours even with activity.
    let mut c = Client::new(&app);
    let (secret, pw) = {
        // Sign in again (setup is done, so password + code).
        let s = app
            .store
            .user_by_username(&Username::parse("admin").unwrap())
            .await
            .unwrap()
            .unwrap();
        (
            s.totp_secret.unwrap().expose().clone(),
            "a new admin passphrase".to_string(),
        )
    };
    let code = next_code(&app, &secret);
    let p = c
        .post(
            "/office/login",
            &[("username", "admin"), ("password", &pw), ("code", &code)],
        )
        .await;
    assert_eq!(p.location(), "/office");
    let mut alive_for = 0;
    for _ in 0..100 {
        app.clock.advance_millis(10 * 60_000);
        if c.get("/office").await.status != 200 {
            break;
        }
        alive_for += 10;
    }
    assert_eq!(alive_for, 12 * 60, "ends right after 12 hours of activity");

    // Logout invalidates the token on the server: replaying it does not work.
    let mut c = Client::new(&app);
    let code = next_code(&app, &secret);
    c.post(
        "/office/login",
        &[("username", "admin"), ("password", &pw), ("code", &code)],
    )
    .await;
    let token = c.cookie.clone().unwrap();
    let home = c.get("/office").await;
    let csrf = home.input("csrf").unwrap();
    let p = c.post("/office/logout", &[("csrf", &csrf)]).await;
    assert!(p.location().starts_with("/office/login?out=1"));
    assert!(p.set_cookie().unwrap().contains("Max-Age=0"));
    let mut replay = Client::new(&app);
    replay.cookie = Some(token);
    assert_eq!(replay.get("/office").await.status, 303);
}

#[tokio::test]
async fn sensitive_pages_need_a_recent_reauthentication() {
    let app = TestApp::spawn().await;
    let mut c = Client::new(&app);
    let (secret, pw) = admin_full_sign_in(&app, &mut c).await;
    assert_eq!(
        c.get("/office/users").await.status,
        200,
        "fresh sign-in counts"
    );
    app.clock.advance_millis(10 * 60_000);
    assert_eq!(c.get("/office").await.status, 200);
    app.clock.advance_millis(6 * 60_000);
    let p = c.get("/office/users").await;
    assert_eq!(p.location(), "/office/reauth?next=/office/users");
    let form = c.get(p.location()).await;
    let csrf = form.input("csrf").unwrap();
    let p = c
        .post(
            "/office/reauth",
            &[
                ("csrf", &csrf),
                ("password", "wrong password"),
                ("code", &next_code(&app, &secret)),
                ("next", "/office/users"),
            ],
        )
        .await;
    assert_eq!(p.status, 401);
    let p = c
        .post(
            "/office/reauth",
            &[
                ("csrf", &csrf),
                ("password", &pw),
                ("code", &next_code(&app, &secret)),
                ("next", "https://evil.example/"),
            ],
        )
        .await;
    assert_eq!(p.location(), "/office", "never redirected off-site");
    assert_eq!(c.get("/office/users").await.status, 200);
}

async fn create_account(app: &TestApp, admin: &mut Client, name: &str, role: &str) -> String {
    let list = admin.get("/office/users").await;
    let csrf = list.input("csrf").unwrap();
    let p = admin
        .post(
            "/office/users",
            &[("csrf", &csrf), ("username", name), ("role", role)],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    let _ = app;
    p.by_id("one-time-password")
        .expect("one-time password shown once")
}

#[tokio::test]
async fn admin_creates_a_caseworker_who_then_signs_in_and_roles_hold() {
    let app = TestApp::spawn().await;
    let mut admin = Client::new(&app);
    admin_full_sign_in(&app, &mut admin).await;
    let otp = create_account(&app, &mut admin, "park.caseworker", "caseworker").await;
    assert!(otp.len() >= 20);
    // Duplicate and invalid names get messages, nothing is created.
    let csrf = admin.get("/office/users").await.input("csrf").unwrap();
    let p = admin
        .post(
            "/office/users",
            &[
                ("csrf", &csrf),
                ("username", "Park.Caseworker"),
                ("role", "caseworker"),
            ],
        )
        .await;
    assert_eq!(p.status, 400);
    assert!(p.body.contains("already taken"));
    let p = admin
        .post(
            "/office/users",
            &[("csrf", &csrf), ("username", "a b"), ("role", "caseworker")],
        )
        .await;
    assert!(p.body.contains("only letters, digits"));
    let p = admin
        .post(
            "/office/users",
            &[("csrf", &csrf), ("username", "okname"), ("role", "root")],
        )
        .await;
    assert!(p.body.contains("Choose a role"));
    assert_eq!(app.store.count_users().await.unwrap(), 2);
    // Wrong form token: refused.
    let p = admin
        .post(
            "/office/users",
            &[
                ("csrf", "nope"),
                ("username", "x-user"),
                ("role", "caseworker"),
            ],
        )
        .await;
    assert_eq!(p.status, 403);

    // A second administrator confirms the account (four eyes: accounts.rs); until then
    // its one-time password opens nothing.
    let (mut second, _, _) = app
        .sign_in_as(
            "second.admin",
            reunite_domain::Role::Admin,
            reunite_domain::Lang::En,
        )
        .await;
    let id = app
        .store
        .user_by_username(&Username::parse("park.caseworker").unwrap())
        .await
        .unwrap()
        .unwrap()
        .id;
    let csrf = second.csrf_of("/office/users").await;
    let p = second
        .post(
            &format!("/office/users/{}/confirm", id.0),
            &[("csrf", &csrf), ("role", "caseworker"), ("enable", "0")],
        )
        .await;
    assert_eq!(p.location(), "/office/users", "{}", p.body);

    // The caseworker signs in with the one-time password and lands in setup.
    let mut cw = Client::new(&app);
    let p = cw
        .post(
            "/office/login",
            &[("username", "park.caseworker"), ("password", &otp)],
        )
        .await;
    assert_eq!(p.location(), "/office/setup");
    let csrf = cw.get("/office/setup").await.input("csrf").unwrap();
    cw.post(
        "/office/setup/password",
        &[
            ("csrf", &csrf),
            ("new_password", "caseworker secret 1"),
            ("new_password_again", "caseworker secret 1"),
        ],
    )
    .await;
    let key = cw.get("/office/setup").await.by_id("totp-key").unwrap();
    let secret = helpers::app::base32_decode(&key);
    let code = reunite_crypto::totp::code_at(&secret, app.clock.now().millis() / 1000);
    let p = cw
        .post("/office/setup/totp", &[("csrf", &csrf), ("code", &code)])
        .await;
    assert_eq!(p.location(), "/office");
    assert!(cw.get("/office").await.body.contains("Caseworker"));
    // Least privilege: no account administration, no audit trail.
    assert_eq!(cw.get("/office/users").await.status, 403);
    assert_eq!(cw.get("/office/audit").await.status, 403);

    // Disabling the account ends its sessions at once.
    let list = admin.get("/office/users").await;
    let csrf = list.input("csrf").unwrap();
    // (Her row by her name: several accounts were made in the same millisecond of the
    // test clock, so the list's order among them is not hers to rely on.)
    let id = app
        .store
        .user_by_username(&Username::parse("park.caseworker").unwrap())
        .await
        .unwrap()
        .unwrap()
        .id
        .0;
    let p = admin
        .post(
            &format!("/office/users/{id}"),
            &[("csrf", &csrf), ("role", "caseworker"), ("disabled", "1")],
        )
        .await;
    assert_eq!(p.location(), "/office/users");
    assert_eq!(cw.get("/office").await.status, 303);
    let code = helpers::next_code(&app, &secret);
    let mut cw2 = Client::new(&app);
    let p = cw2
        .post(
            "/office/login",
            &[
                ("username", "park.caseworker"),
                ("password", "caseworker secret 1"),
                ("code", &code),
            ],
        )
        .await;
    assert_eq!(p.status, 401);
}

#[tokio::test]
async fn audit_trail_records_and_verifies() {
    let app = TestApp::spawn().await;
    let mut admin = Client::new(&app);
    admin_full_sign_in(&app, &mut admin).await;
    let mut anon = Client::new(&app);
    anon.post(
        "/office/login",
        &[("username", "ghost"), ("password", "nope")],
    )
    .await;
    create_account(&app, &mut admin, "lee.reviewer", "reviewer").await;
    let p = admin.get("/office/audit").await;
    assert_eq!(p.status, 200);
    for action in [
        "account_create",
        "sign_in",
        "sign_in_failed",
        "password_change",
        "second_factor_enrol",
        "sensitive_read",
    ] {
        assert!(p.body.contains(action), "audit page lacks {action}");
    }
    assert!(!p.body.contains("lee.reviewer"), "pseudonyms, never names");
    assert!(!p.body.contains("ghost"));
    let report = app.store.verify_audit(&mut |_, _| {}).await.unwrap();
    assert_eq!(report.broken, None);
    assert!(report.events >= 8);
}

#[tokio::test]
async fn cross_site_posts_are_refused() {
    let app = TestApp::spawn().await;
    let r = reqwest::Client::new()
        .post(format!("{}/office/login", app.base))
        .header("origin", "https://evil.example")
        .form(&[("username", "admin"), ("password", helpers::ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    let r = reqwest::Client::new()
        .post(format!("{}/office/login", app.base))
        .header("sec-fetch-site", "cross-site")
        .form(&[("username", "admin"), ("password", helpers::ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
}

#[tokio::test]
async fn sign_in_is_rate_limited() {
    let app = TestApp::spawn_with(|c| {
        c.login_burst = 3;
        c.login_refill_ms = 60_000;
    })
    .await;
    let mut c = Client::new(&app);
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(
            c.post("/office/login", &[("username", "x"), ("password", "y")])
                .await
                .status,
        );
    }
    assert_eq!(statuses, vec![401, 401, 401, 429, 429]);
    app.clock.advance_millis(61_000);
    assert_eq!(
        c.post("/office/login", &[("username", "x"), ("password", "y")])
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn weaker_password_hashes_are_upgraded_at_sign_in() {
    let app = TestApp::spawn_with(|c| {
        c.password_policy = reunite_crypto::PasswordPolicy {
            m_kib: 2048,
            t: 2,
            p: 1,
        };
    })
    .await;
    // The admin was created with the same (2048, 2) policy; store a weaker hash.
    let admin = app
        .store
        .user_by_username(&Username::parse("admin").unwrap())
        .await
        .unwrap()
        .unwrap();
    let weak = reunite_crypto::hash_password(&helpers::FAST, helpers::ADMIN_PASSWORD).unwrap();
    assert!(weak.contains("m=1024"));
    app.store
        .set_password(&admin.id, &weak, true, None, app.clock.now())
        .await
        .unwrap();
    let mut c = Client::new(&app);
    let p = c
        .post(
            "/office/login",
            &[("username", "admin"), ("password", helpers::ADMIN_PASSWORD)],
        )
        .await;
    assert_eq!(p.location(), "/office/setup");
    let after = app.store.user_by_id(&admin.id).await.unwrap().unwrap();
    let phc = after.password_phc.expose();
    assert!(
        phc.starts_with("$argon2id$") && phc.contains("m=2048,t=2"),
        "{phc}"
    );
}

#[tokio::test]
async fn messages_follow_the_chosen_language() {
    let app = TestApp::spawn().await;
    let mut c = Client::new(&app);
    let ko = c.get("/office/login?lang=ko").await;
    assert!(ko.body.contains("직원 로그인") && ko.body.contains("lang=\"ko\""));
    let zh = c.get("/office/login?lang=zh").await;
    assert!(zh.body.contains("工作人员登录") && zh.body.contains("lang=\"zh-Hans\""));
    let r = reqwest::Client::new()
        .get(format!("{}/nothing-here", app.base))
        .header("accept-language", "zh-CN,zh;q=0.9")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    assert!(r.text().await.unwrap().contains("此页面不存在"));
    let p = c
        .post(
            "/office/login",
            &[("username", "x"), ("password", "y"), ("lang", "ko")],
        )
        .await;
    assert!(p.body.contains("로그인하지 못했습니다"));
    // A signed-in user's choice is remembered.
    admin_full_sign_in(&app, &mut c).await;
    let home = c.get("/office").await;
    let csrf = home.input("csrf").unwrap();
    let p = c
        .post(
            "/office/lang",
            &[("csrf", &csrf), ("lang", "zh"), ("back", "/office")],
        )
        .await;
    assert_eq!(p.location(), "/office");
    assert!(c.get("/office").await.body.contains("欢迎"));
}
