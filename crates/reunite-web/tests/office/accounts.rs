//! Four eyes for staff accounts (issue 16, finding 8): an account made on the admin page, a
//! raise of a role and the re-enabling of a disabled account wait until a *different*
//! administrator confirms them; a lowering and a disabling take effect at once. Each test is
//! an attacker's outcome: one admin alone cannot make a second account that signs in, nor
//! give an account more reach.

use crate::helpers::{Client, Page, STAFF_PASSWORD, TestApp, next_code};
use reunite_domain::{Lang, Role, UserId, Username};

const WAITING_EN: &str = "awaiting confirmation by a second administrator";

async fn create(admin: &mut Client, name: &str, role: &str) -> String {
    let csrf = admin.csrf_of("/office/users").await;
    let p = admin
        .post(
            "/office/users",
            &[("csrf", &csrf), ("username", name), ("role", role)],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    p.by_id("one-time-password")
        .expect("one-time password shown once")
}

/// A sign-in from a fresh browser, without a code (a new account has none yet).
async fn sign_in(app: &TestApp, name: &str, password: &str, code: &str) -> Page {
    Client::new(app)
        .post(
            "/office/login",
            &[("username", name), ("password", password), ("code", code)],
        )
        .await
}

async fn id_of(app: &TestApp, name: &str) -> Option<UserId> {
    app.store
        .user_by_username(&Username::parse(name).unwrap())
        .await
        .unwrap()
        .map(|u| u.id)
}

async fn user(app: &TestApp, id: &UserId) -> reunite_store::User {
    app.store.user_by_id(id).await.unwrap().unwrap()
}

async fn confirm(c: &mut Client, id: &UserId, role: &str, enable: bool) -> Page {
    let csrf = c.csrf_of("/office/users").await;
    c.post(
        &format!("/office/users/{}/confirm", id.0),
        &[
            ("csrf", &csrf),
            ("role", role),
            ("enable", if enable { "1" } else { "0" }),
        ],
    )
    .await
}

async fn cancel(c: &mut Client, id: &UserId) -> Page {
    let csrf = c.csrf_of("/office/users").await;
    c.post(
        &format!("/office/users/{}/cancel", id.0),
        &[("csrf", &csrf)],
    )
    .await
}

async fn update(c: &mut Client, id: &UserId, role: &str, disabled: bool) -> Page {
    let csrf = c.csrf_of("/office/users").await;
    let mut form = vec![("csrf", csrf.as_str()), ("role", role)];
    if disabled {
        form.push(("disabled", "1"));
    }
    c.post(&format!("/office/users/{}", id.0), &form).await
}

/// Confirms password and code again (the session's re-authentication went stale).
async fn reauth(app: &TestApp, c: &mut Client, secret: &[u8]) {
    let csrf = c.csrf_of("/office/reauth?next=/office/users").await;
    let code = next_code(app, secret);
    let p = c
        .post(
            "/office/reauth",
            &[
                ("csrf", &csrf),
                ("password", STAFF_PASSWORD),
                ("code", &code),
                ("next", "/office/users"),
            ],
        )
        .await;
    assert_eq!(p.location(), "/office/users", "{}", p.body);
}

#[tokio::test]
async fn a_new_account_signs_in_only_after_a_second_admin_confirms_it() {
    let app = TestApp::spawn().await;
    let (mut a, _, _) = app.sign_in_as("admin-a", Role::Admin, Lang::Ko).await;
    let (mut b, _, b_secret) = app.sign_in_as("admin-b", Role::Admin, Lang::En).await;
    let otp = create(&mut a, "new.caseworker", "caseworker").await;
    let id = id_of(&app, "new.caseworker").await.expect("created");

    // Its one-time password does not open it, and the answer is a wrong password's, byte for
    // byte: nobody learns that the account exists or waits.
    let pending = sign_in(&app, "new.caseworker", &otp, "").await;
    let wrong = sign_in(&app, "new.caseworker", "not the password at all", "").await;
    let unknown = sign_in(&app, "nobody.here", &otp, "").await;
    assert_eq!(pending.status, 401, "{}", pending.body);
    for other in [&wrong, &unknown] {
        assert_eq!(pending.status, other.status);
        assert_eq!(pending.body, other.body);
        assert_eq!(pending.set_cookie(), other.set_cookie());
    }
    // (The audit trail lists the newest first.)
    let audit = app.audit_details().await;
    assert!(
        audit.starts_with(&[
            "sign_in_failed/".to_string(),
            "sign_in_failed/".to_string(),
            "sign_in_failed/".to_string()
        ]),
        "recorded like any failed sign-in: {audit:?}"
    );

    // The users page marks it, for both admins; the other admin gets a Confirm button.
    let page = b.get("/office/users").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(WAITING_EN), "{}", page.body);
    let confirm_action = format!("action=\"/office/users/{}/confirm\"", id.0);
    assert!(page.body.contains(&confirm_action), "{}", page.body);

    // Its creator cannot confirm it: refused in her language, and nothing changes.
    let p = confirm(&mut a, &id, "caseworker", false).await;
    assert_eq!(p.status, 403, "{}", p.body);
    assert!(p.body.contains("다른 관리자"), "{}", p.body);
    assert!(p.body.contains("role=\"alert\""));
    assert!(!user(&app, &id).await.confirmed);
    assert_eq!(sign_in(&app, "new.caseworker", &otp, "").await.status, 401);

    // Confirming is an account change: it needs a recent re-authentication.
    app.clock.advance_millis(10 * 60_000);
    assert_eq!(b.get("/office").await.status, 200);
    app.clock.advance_millis(6 * 60_000);
    let csrf = b.get("/office").await.input("csrf").unwrap();
    let p = b
        .post(
            &format!("/office/users/{}/confirm", id.0),
            &[("csrf", &csrf), ("role", "caseworker"), ("enable", "0")],
        )
        .await;
    assert_eq!(p.location(), "/office/reauth?next=/office/users");
    assert!(!user(&app, &id).await.confirmed);
    reauth(&app, &mut b, &b_secret).await;

    // The second admin confirms; now the one-time password opens the set-up.
    let p = confirm(&mut b, &id, "caseworker", false).await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(p.location(), "/office/users");
    assert!(user(&app, &id).await.confirmed);
    let p = sign_in(&app, "new.caseworker", &otp, "").await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(p.location(), "/office/setup");
    assert!(!b.get("/office/users").await.body.contains(WAITING_EN));
    let audit = app.audit_details().await;
    assert!(audit.contains(&"account_create/caseworker,pending".to_string()));
    assert!(audit.contains(&"account_confirm/new:caseworker".to_string()));
}

#[tokio::test]
async fn a_waiting_account_can_be_cancelled_by_its_creator_or_another_admin() {
    let app = TestApp::spawn().await;
    let (mut a, _, _) = app.sign_in_as("admin-a", Role::Admin, Lang::En).await;
    let (mut b, _, _) = app.sign_in_as("admin-b", Role::Admin, Lang::En).await;
    let users_before = app.store.count_users().await.unwrap();
    let otp = create(&mut a, "mistaken.name", "caseworker").await;
    let id = id_of(&app, "mistaken.name").await.unwrap();
    let p = cancel(&mut a, &id).await;
    assert_eq!(p.location(), "/office/users", "{}", p.body);
    assert_eq!(id_of(&app, "mistaken.name").await, None, "removed");
    assert_eq!(app.store.count_users().await.unwrap(), users_before);
    let gone = sign_in(&app, "mistaken.name", &otp, "").await;
    let unknown = sign_in(&app, "nobody.here", &otp, "").await;
    assert_eq!((gone.status, &gone.body), (unknown.status, &unknown.body));

    create(&mut a, "second.try", "reviewer").await;
    let id = id_of(&app, "second.try").await.unwrap();
    assert_eq!(cancel(&mut b, &id).await.location(), "/office/users");
    assert_eq!(id_of(&app, "second.try").await, None);
    // The name is free again.
    create(&mut a, "second.try", "reviewer").await;
    // A waiting account is confirmed or cancelled, not edited.
    let id = id_of(&app, "second.try").await.unwrap();
    let p = update(&mut b, &id, "admin", false).await;
    assert_eq!(p.status, 409, "{}", p.body);
    assert_eq!(user(&app, &id).await.role, Role::Reviewer);
    assert!(p.body.contains("role=\"alert\""));
}

#[tokio::test]
async fn a_raise_waits_for_a_second_admin_and_a_lowering_does_not() {
    let app = TestApp::spawn().await;
    let (mut a, _, _) = app.sign_in_as("admin-a", Role::Admin, Lang::En).await;
    let (mut b, _, _) = app.sign_in_as("admin-b", Role::Admin, Lang::En).await;
    let (mut c, c_id, c_secret) = app.sign_in_as("worker-c", Role::Caseworker, Lang::En).await;

    // A raises C to admin: recorded, not applied.
    let p = update(&mut a, &c_id, "admin", false).await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(p.location(), "/office/users?waiting=1");
    assert!(
        a.get(p.location()).await.body.contains(WAITING_EN),
        "the admin is told the change waits"
    );
    assert_eq!(user(&app, &c_id).await.role, Role::Caseworker);
    assert_eq!(c.get("/office/users").await.status, 403);
    let page = b.get("/office/users").await;
    assert!(page.body.contains(WAITING_EN));
    assert!(
        page.body
            .contains(&format!("action=\"/office/users/{}/confirm\"", c_id.0))
    );

    // A cannot confirm her own raise.
    let p = confirm(&mut a, &c_id, "admin", false).await;
    assert_eq!(p.status, 403, "{}", p.body);
    assert!(p.body.contains("another administrator"), "{}", p.body);
    assert_eq!(user(&app, &c_id).await.role, Role::Caseworker);

    // B confirms: C is an admin now.
    let p = confirm(&mut b, &c_id, "admin", false).await;
    assert_eq!(p.location(), "/office/users", "{}", p.body);
    assert_eq!(user(&app, &c_id).await.role, Role::Admin);
    assert_eq!(c.get("/office/users").await.status, 200);

    // Lowering takes effect at once, with nobody else.
    let p = update(&mut a, &c_id, "reviewer", false).await;
    assert_eq!(p.location(), "/office/users", "{}", p.body);
    let u = user(&app, &c_id).await;
    assert_eq!(u.role, Role::Reviewer);
    assert!(u.pending.is_none());
    assert_eq!(c.get("/office/users").await.status, 403);

    // Reviewer to caseworker is a raise again; disabling meanwhile is at once, ends C's
    // sessions and drops the waiting raise.
    update(&mut a, &c_id, "caseworker", false).await;
    assert_eq!(user(&app, &c_id).await.role, Role::Reviewer);
    assert!(user(&app, &c_id).await.pending.is_some());
    let p = update(&mut a, &c_id, "reviewer", true).await;
    assert_eq!(p.location(), "/office/users", "{}", p.body);
    let u = user(&app, &c_id).await;
    assert!(u.disabled);
    assert!(u.pending.is_none(), "a stop drops what was waiting");
    assert_eq!(c.get("/office").await.status, 303);

    // Re-enabling is a raise: it waits, and meanwhile C's sign-in fails like a wrong password.
    let p = update(&mut a, &c_id, "reviewer", false).await;
    assert_eq!(p.location(), "/office/users?waiting=1");
    assert!(user(&app, &c_id).await.disabled);
    let code = next_code(&app, &c_secret);
    let refused = sign_in(&app, "worker-c", STAFF_PASSWORD, &code).await;
    let wrong = sign_in(&app, "worker-c", "a wrong password", &code).await;
    assert_eq!(refused.status, 401);
    assert_eq!((refused.status, &refused.body), (wrong.status, &wrong.body));
    assert_eq!(
        confirm(&mut a, &c_id, "reviewer", true).await.status,
        403,
        "not by the admin who asked"
    );
    let p = confirm(&mut b, &c_id, "reviewer", true).await;
    assert_eq!(p.location(), "/office/users", "{}", p.body);
    assert!(!user(&app, &c_id).await.disabled);
    let code = next_code(&app, &c_secret);
    let p = sign_in(&app, "worker-c", STAFF_PASSWORD, &code).await;
    assert_eq!(p.location(), "/office", "{}", p.body);

    let audit = app.audit_details().await;
    for line in [
        "account_change/pending:admin",
        "account_confirm/admin",
        "account_change/reviewer",
        "account_change/reviewer,disabled",
        "account_change/pending:enable",
        "account_confirm/enable",
    ] {
        assert!(audit.contains(&line.to_string()), "{line} in {audit:?}");
    }
}

#[tokio::test]
async fn a_confirmation_applies_only_what_the_second_admin_saw() {
    let app = TestApp::spawn().await;
    let (mut a, _, _) = app.sign_in_as("admin-a", Role::Admin, Lang::En).await;
    let (mut b, _, _) = app.sign_in_as("admin-b", Role::Admin, Lang::En).await;
    let (_d, d_id, _) = app.sign_in_as("reviewer-d", Role::Reviewer, Lang::En).await;
    update(&mut a, &d_id, "caseworker", false).await;
    // B looks at the page (caseworker waits), then A changes the request to admin.
    let shown = b.get("/office/users").await;
    assert!(shown.body.contains(WAITING_EN));
    update(&mut a, &d_id, "admin", false).await;
    let p = confirm(&mut b, &d_id, "caseworker", false).await;
    assert_eq!(p.status, 409, "{}", p.body);
    assert!(p.body.contains("role=\"alert\""));
    assert_eq!(user(&app, &d_id).await.role, Role::Reviewer);
    // Nothing waits on an ordinary account: a confirmation of nothing changes nothing.
    let (_e, e_id, _) = app.sign_in_as("worker-e", Role::Caseworker, Lang::En).await;
    assert_eq!(confirm(&mut b, &e_id, "admin", false).await.status, 409);
    assert_eq!(user(&app, &e_id).await.role, Role::Caseworker);
    // Nobody but an admin confirms.
    let (mut cw, _, _) = app.sign_in_as("worker-f", Role::Caseworker, Lang::En).await;
    let csrf = cw.get("/office").await.input("csrf").unwrap();
    let p = cw
        .post(
            &format!("/office/users/{}/confirm", d_id.0),
            &[("csrf", &csrf), ("role", "admin"), ("enable", "0")],
        )
        .await;
    assert_eq!(p.status, 403);
    assert_eq!(user(&app, &d_id).await.role, Role::Reviewer);
}
