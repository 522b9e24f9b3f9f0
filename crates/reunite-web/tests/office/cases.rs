//! The case registry through the real router: register, find, view, edit, history,
//! assignment, who may see what, audit of every view, re-authentication, languages.

use crate::helpers::{Client, Page, TestApp};
use reunite_domain::{CaseStatus, Clock, Lang, Role, UserId};
use reunite_store::CaseActor;

async fn sign_in(app: &TestApp, name: &str, role: Role, lang: Lang) -> (Client, UserId) {
    let (c, id, _) = app.sign_in_as(name, role, lang).await;
    (c, id)
}

/// The form of a case with three names in three scripts and two children.
fn case_form(csrf: &str) -> Vec<(&'static str, String)> {
    let v = |s: &str| s.to_string();
    vec![
        ("csrf", v(csrf)),
        ("action", v("save")),
        ("m_name_0_text", v("리영자")),
        ("m_name_0_kind", v("birth")),
        ("m_name_1_text", v("金英子")),
        ("m_name_1_kind", v("alias")),
        ("m_name_2_text", v("이수진")),
        ("m_name_2_kind", v("current")),
        ("m_birth_year", v("1979")),
        ("m_birth_month", v("3")),
        ("m_birth_lunar", v("1")),
        ("m_bp_text", v("함경북도 회령시")),
        ("m_bp_country", v("kp")),
        ("c_0_name_0_text", v("王明")),
        ("c_0_name_0_kind", v("birth")),
        ("c_0_name_1_text", v("명이")),
        ("c_0_name_1_kind", v("nickname")),
        ("c_0_sex", v("m")),
        ("c_0_birth_year", v("2004")),
        ("c_0_birth_month", v("6")),
        ("c_0_birth_day", v("12")),
        ("c_0_lk_text", v("黑龙江省 鸡西市 密山市")),
        ("c_0_lk_country", v("CN")),
        ("c_0_with", v("祖母")),
        ("c_1_name_0_text", v("王丽")),
        ("c_1_sex", v("f")),
        ("f_name_0_text", v("王建国")),
        ("res_text", v("黑龙江省 鸡西市 密山市 连珠山镇")),
        ("res_country", v("CN")),
        ("sep_date_year", v("2011")),
        ("sep_cause", v("repatriation")),
        ("contact", v("unknown_whereabouts")),
        ("consent_findable", v("1")),
        ("consent_by_child", v("1")),
        ("status", v("open")),
    ]
}

async fn post(c: &mut Client, path: &str, form: &[(&str, String)]) -> Page {
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    c.post(path, &pairs).await
}

/// Registers the sample case and returns its id.
async fn register(c: &mut Client) -> String {
    let csrf = c.csrf_of("/office/cases/new").await;
    let p = post(c, "/office/cases/new", &case_form(&csrf)).await;
    let id = p.saved_id("/office/cases/");
    assert!(id.starts_with("c-"));
    id
}

#[tokio::test]
async fn caseworker_registers_finds_edits_and_sees_the_history() {
    let app = TestApp::spawn().await;
    let (mut c, me) = sign_in(&app, "kim.cw", Role::Caseworker, Lang::En).await;
    let id = register(&mut c).await;
    // Stored as entered, assigned to her.
    let stored = app
        .store
        .read_case(&id, &CaseActor::Cli, "test", app.clock.now())
        .await
        .unwrap();
    assert_eq!(stored.assigned_to.as_ref(), Some(&me));
    assert_eq!(stored.case.mother.names.len(), 3);
    assert_eq!(stored.case.children.len(), 2);
    assert_eq!(
        stored.case.mother.birth.unwrap().calendar,
        reunite_domain::Calendar::Lunar
    );
    assert_eq!(
        stored
            .case
            .mother
            .birthplace
            .as_ref()
            .unwrap()
            .country
            .as_deref(),
        Some("KP"),
        "country codes are upper-cased"
    );
    assert!(stored.case.consent.unwrap().by_child);
    assert!(!stored.case.consent.unwrap().statistics);
    // The view shows it and is audited.
    let before = app.audit_details().await.len();
    let p = c.get(&format!("/office/cases/{id}?saved=1")).await;
    assert_eq!(p.status, 200);
    for s in [
        "리영자",
        "金英子",
        "이수진",
        "王明",
        "王丽",
        "王建国",
        "Saved.",
    ] {
        assert!(p.body.contains(s), "{s} missing");
    }
    let after = app.audit_details().await;
    assert_eq!(after.len(), before + 1);
    assert_eq!(after[0], "sensitive_read/case");
    // Found by the Chinese alias, by the alias read in Hangul, by pinyin, by child and place.
    for q in [
        "q=%E9%87%91%E8%8B%B1%E5%AD%90", // 金英子
        "q=%EA%B9%80%EC%98%81%EC%9E%90", // 김영자
        "q=Jin+Yingzi",
        "child=%E7%8E%8B%E6%98%8E", // 王明
        "place=%E5%AF%86%E5%B1%B1", // 密山
        "status=open",
    ] {
        let p = c.get(&format!("/office/cases?{q}")).await;
        assert_eq!(p.status, 200);
        assert!(p.body.contains(&format!("/office/cases/{id}\"")), "{q}");
    }
    let p = c.get("/office/cases?q=%EB%B0%95%EC%98%81%ED%9D%AC").await; // 박영희
    assert!(!p.body.contains(&format!("/office/cases/{id}\"")));
    let p = c.get("/office/cases?status=closed").await;
    assert!(!p.body.contains(&format!("/office/cases/{id}\"")));
    // Edit: the form holds what was stored; change the alias, add a child's birth year,
    // set the status.
    let p = c.get(&format!("/office/cases/{id}/edit")).await;
    assert_eq!(p.status, 200);
    assert_eq!(p.input("version").as_deref(), Some("1"));
    assert!(p.body.contains("value=\"金英子\""));
    let csrf = p.input("csrf").unwrap();
    let mut form = case_form(&csrf);
    form.retain(|(k, _)| *k != "m_name_1_text");
    form.push(("m_name_1_text", "金英姬".into()));
    form.push(("c_1_birth_year", "2007".into()));
    form.retain(|(k, _)| *k != "status");
    form.push(("status", "in_contact".into()));
    form.push(("version", "1".into()));
    let p = post(&mut c, &format!("/office/cases/{id}/edit"), &form).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let stored = app
        .store
        .read_case(&id, &CaseActor::Cli, "test", app.clock.now())
        .await
        .unwrap();
    assert_eq!(stored.case.mother.names[1].text, "金英姬");
    assert_eq!(stored.status, CaseStatus::InContact);
    assert_eq!(stored.version, 2);
    let p = c.get("/office/cases?q=%E9%87%91%E8%8B%B1%E5%A7%AC").await; // 金英姬
    assert!(p.body.contains(&format!("/office/cases/{id}\"")));
    // History: who changed what.
    let p = c.get(&format!("/office/cases/{id}/history")).await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("Edited"), "{}", p.body);
    assert!(p.body.contains("Registered"));
    assert!(p.body.contains("kim.cw"));
    assert!(p.body.contains("Mother · Name 2"), "{}", p.body);
    assert!(
        p.body.contains("Child 2 · Date of birth · Year"),
        "{}",
        p.body
    );
    assert!(
        app.audit_details()
            .await
            .contains(&"record_change/case".to_string())
    );
    // Saving again from version 1 is a conflict and changes nothing.
    let p = post(&mut c, &format!("/office/cases/{id}/edit"), &form).await;
    assert_eq!(p.status, 409);
    assert!(p.body.contains("Someone else saved this case"));
    assert!(
        app.store
            .verify_audit(&mut |_, _| {})
            .await
            .unwrap()
            .broken
            .is_none()
    );
}

#[tokio::test]
async fn add_buttons_keep_what_was_typed_and_save_nothing() {
    let app = TestApp::spawn().await;
    let (mut c, _) = sign_in(&app, "cw.add", Role::Caseworker, Lang::En).await;
    let csrf = c.csrf_of("/office/cases/new").await;
    let mut form = case_form(&csrf);
    form.retain(|(k, _)| *k != "action");
    form.push(("action", "add_child".into()));
    let p = post(&mut c, "/office/cases/new", &form).await;
    assert_eq!(p.status, 200);
    assert!(
        p.body.contains("name=\"c_2_name_0_text\""),
        "a third child block"
    );
    assert!(p.body.contains("value=\"王丽\""));
    assert!(p.body.contains("value=\"리영자\""));
    form.retain(|(k, _)| *k != "action");
    form.push(("action", "add_mother_name".into()));
    let p = post(&mut c, "/office/cases/new", &form).await;
    assert!(p.body.contains("name=\"m_name_3_text\""));
    form.retain(|(k, _)| *k != "action");
    form.push(("action", "add_child_name_1".into()));
    let p = post(&mut c, "/office/cases/new", &form).await;
    assert!(p.body.contains("name=\"c_1_name_1_text\""));
    assert_eq!(app.store.count_cases().await.unwrap(), 0);
}

#[tokio::test]
async fn bad_input_is_explained_next_to_its_field_in_each_language_and_nothing_is_saved() {
    let app = TestApp::spawn().await;
    for (name, lang, month_msg, number_msg, missing_msg) in [
        (
            "cw.ko",
            Lang::Ko,
            "월은 1에서 12 사이여야 합니다.",
            "숫자만 쓰세요",
            "꼭 써야 합니다.",
        ),
        (
            "cw.zh",
            Lang::Zh,
            "月份必须在 1 到 12 之间。",
            "请只填数字",
            "此项必填。",
        ),
        (
            "cw.en",
            Lang::En,
            "The month must be 1 to 12.",
            "Write numbers only",
            "This is required.",
        ),
    ] {
        let (mut c, _) = sign_in(&app, name, Role::Caseworker, lang).await;
        let csrf = c.csrf_of("/office/cases/new").await;
        let mut form = case_form(&csrf);
        form.retain(|(k, _)| !k.starts_with("m_name_") && *k != "m_birth_month");
        form.push(("m_birth_month", "13".into()));
        form.push(("c_1_birth_year", "이천칠".into()));
        let p = post(&mut c, "/office/cases/new", &form).await;
        assert_eq!(p.status, 400, "{lang:?}");
        assert!(p.body.contains(month_msg), "{lang:?}: {}", p.body);
        assert!(p.body.contains(number_msg), "{lang:?}");
        assert!(p.body.contains(missing_msg), "{lang:?}");
        // Each message sits with its own field.
        let at = |needle: &str| p.body.find(needle).unwrap();
        assert!(at("id=\"m_birth_err\"") > at("name=\"m_birth_year\""));
        assert!(at("id=\"c_1_birth_err\"") > at("name=\"c_1_birth_year\""));
        assert!(at("id=\"m_name_0_err\"") > at("name=\"m_name_0_text\""));
        // What was typed is still there.
        assert!(p.body.contains("value=\"王明\""));
        assert!(p.body.contains("value=\"이천칠\""));
    }
    assert_eq!(app.store.count_cases().await.unwrap(), 0);
}

#[tokio::test]
async fn caseworkers_see_their_own_cases_admins_assign_them_researchers_none() {
    let app = TestApp::spawn().await;
    let (mut a, _) = sign_in(&app, "cw.a", Role::Caseworker, Lang::En).await;
    let (mut b, b_id) = sign_in(&app, "cw.b", Role::Caseworker, Lang::En).await;
    let (mut admin, _) = sign_in(&app, "boss", Role::Admin, Lang::En).await;
    let (mut r, _) = sign_in(&app, "res", Role::Researcher, Lang::En).await;
    let (mut rv, _) = sign_in(&app, "rev", Role::Reviewer, Lang::En).await;
    let id = register(&mut a).await;
    // B neither lists nor opens A's case.
    let p = b.get("/office/cases").await;
    assert_eq!(p.status, 200);
    assert!(!p.body.contains(&id));
    assert!(!p.body.contains("金英子"));
    for path in ["", "/edit", "/history"] {
        let p = b.get(&format!("/office/cases/{id}{path}")).await;
        assert_eq!(p.status, 403, "{path}");
        assert!(!p.body.contains("리영자"));
    }
    // Researchers and reviewers see no case at all, and are not offered the link.
    assert!(a.get("/office").await.body.contains("id=\"nav-cases\""));
    for c in [&mut r, &mut rv] {
        assert!(!c.get("/office").await.body.contains("nav-cases"));
        for path in [
            "/office/cases".to_string(),
            format!("/office/cases/{id}"),
            "/office/cases/new".to_string(),
        ] {
            let p = c.get(&path).await;
            assert_eq!(p.status, 403, "{path}");
        }
    }
    // The admin neither lists nor reads it; she assigns it to B on the assignment page,
    // which names the case by its number only.
    let p = admin.get("/office/cases").await;
    assert!(!p.body.contains(&id));
    let p = admin.get(&format!("/office/cases/{id}")).await;
    assert_eq!(p.status, 403);
    assert!(!p.body.contains("리영자"));
    let p = admin.get("/office/assignments").await;
    assert!(p.body.contains(&id) && !p.body.contains("리영자"));
    let csrf = p.input("csrf").unwrap();
    let p = admin
        .post(
            &format!("/office/assignments/{id}"),
            &[("csrf", &csrf), ("to", &b_id.0), ("team", "")],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    // Caseworkers may not assign.
    let csrf_b = b.csrf_of("/office/cases").await;
    let p = b
        .post(
            &format!("/office/assignments/{id}"),
            &[("csrf", &csrf_b), ("to", &b_id.0), ("team", "")],
        )
        .await;
    assert_eq!(p.status, 403);
    // Now B sees it and A does not.
    let p = b.get(&format!("/office/cases/{id}")).await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("리영자"));
    assert_eq!(a.get(&format!("/office/cases/{id}")).await.status, 403);
    let p = b.get(&format!("/office/cases/{id}/history")).await;
    assert!(p.body.contains("Assigned"));
    assert!(p.body.contains("boss"));
}

#[tokio::test]
async fn the_list_pages_and_filters_by_status() {
    let app = TestApp::spawn().await;
    let (mut admin, me) = sign_in(&app, "cw.list", Role::Caseworker, Lang::En).await;
    for i in 1..=30 {
        let c = reunite_domain::fictional::case(5, i, "t-");
        let status = if i % 3 == 0 {
            CaseStatus::Closed
        } else {
            CaseStatus::Open
        };
        app.store
            .create_case(&c, status, Some(&me), &CaseActor::Cli, app.clock.now())
            .await
            .unwrap();
    }
    // Not hers: never listed.
    let other = reunite_domain::fictional::case(5, 31, "t-");
    app.store
        .create_case(
            &other,
            CaseStatus::Open,
            None,
            &CaseActor::Cli,
            app.clock.now(),
        )
        .await
        .unwrap();
    let p = admin.get("/office/cases").await;
    assert!(p.body.contains("30 cases"));
    assert_eq!(p.body.matches("class=\"case-link\"").count(), 25);
    let next = p.body.contains("id=\"next-page\"");
    assert!(next);
    let p = admin.get("/office/cases?page=1").await;
    assert_eq!(p.body.matches("class=\"case-link\"").count(), 5);
    let p = admin.get("/office/cases?status=closed").await;
    assert!(p.body.contains("10 cases"));
    let p = admin.get("/office/cases?assigned=me").await;
    assert!(p.body.contains("30 cases"));
}

#[tokio::test]
async fn reading_a_case_needs_a_recent_reauthentication() {
    let app = TestApp::spawn_with(|c| c.reauth_secs = 60).await;
    let (mut c, _) = sign_in(&app, "cw.re", Role::Caseworker, Lang::Ko).await;
    let id = register(&mut c).await;
    assert_eq!(c.get(&format!("/office/cases/{id}")).await.status, 200);
    app.clock.advance_millis(120_000);
    for path in ["".to_string(), "/edit".into(), "/history".into()] {
        let p = c.get(&format!("/office/cases/{id}{path}")).await;
        assert_eq!(p.status, 303, "{path}");
        assert!(p.location().starts_with("/office/reauth?next="), "{path}");
    }
    let p = c.get("/office/cases").await;
    assert_eq!(p.status, 303);
}

#[tokio::test]
async fn pages_are_in_the_users_language() {
    let app = TestApp::spawn().await;
    for (name, lang, title, button) in [
        ("cw.ko2", Lang::Ko, "사례 목록", "이름 하나 더"),
        ("cw.zh2", Lang::Zh, "个案列表", "再加一个名字"),
        ("cw.en2", Lang::En, "Cases", "Add another name"),
    ] {
        let (mut c, _) = sign_in(&app, name, Role::Caseworker, lang).await;
        let p = c.get("/office/cases").await;
        assert!(p.body.contains(&format!("<h1>{title}</h1>")), "{lang:?}");
        let p = c.get("/office/cases/new").await;
        assert!(p.body.contains(button), "{lang:?}");
        let id = register(&mut c).await;
        let p = c.get(&format!("/office/cases/{id}/history")).await;
        assert_eq!(p.status, 200);
    }
}
