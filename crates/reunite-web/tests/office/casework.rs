//! Casework over HTTP (issue 17): a case's notes, services and referrals. Who sees which
//! page, the restricted note (author and supervisor only, never the rest of the team, an
//! admin or someone off the case), the referral refused without consent, the sheet
//! showing only what she agreed to share, re-authentication on a stale session, and the
//! canaries absent from the logs and the database file.

use crate::helpers;
use crate::helpers::travel::new_case_for;
use helpers::{Client, TestApp};
use reunite_domain::{Clock, Lang, Role, UserId};
use reunite_store::CaseActor;

const NOTE_CANARY: &str = "canarynote5531";
const TEAM_NOTE: &str = "teamnote-plain-text";
const PURPOSE_CANARY: &str = "canarypurpose6642";
const PARTNER_CANARY: &str = "canarypartner7753";
const CONTACT_CANARY: &str = "canarycontact8864";

struct World {
    app: TestApp,
    case_id: String,
    author: Client,
    mate: Client,
    sup: Client,
    admin: Client,
    outsider: Client,
}

/// A case assigned to `author`, on a team with `mate`, `sup` (supervising) and `admin`.
async fn world() -> World {
    let app = TestApp::spawn_with(|c| {
        c.reauth_secs = 600;
        c.session_idle_secs = 36_000;
    })
    .await;
    let (author, a, _) = app
        .sign_in_as("cw.author", Role::Caseworker, Lang::En)
        .await;
    let (mate, m, _) = app.sign_in_as("cw.mate", Role::Caseworker, Lang::En).await;
    let (sup, s, _) = app.sign_in_as("cw.sup", Role::Caseworker, Lang::En).await;
    let (admin, d, _) = app.sign_in_as("ad.team", Role::Admin, Lang::En).await;
    let (outsider, _, _) = app.sign_in_as("cw.other", Role::Caseworker, Lang::En).await;
    let case_id = new_case_for(&app, Some(&a)).await;
    let now = app.clock.now();
    let team = app
        .store
        .create_team("North", &CaseActor::Cli, now)
        .await
        .unwrap()
        .unwrap();
    let members: [(&UserId, bool); 4] = [(&a, false), (&m, false), (&s, true), (&d, false)];
    for (u, supervises) in members {
        app.store
            .set_team_member(&team, u, Some(supervises), &CaseActor::Cli, now)
            .await
            .unwrap();
    }
    app.store
        .set_case_team(&case_id, Some(&team), &CaseActor::Cli, now)
        .await
        .unwrap();
    World {
        app,
        case_id,
        author,
        mate,
        sup,
        admin,
        outsider,
    }
}

/// Adds a team note and a restricted note as the author; returns the restricted note's id.
async fn notes(w: &mut World) -> String {
    let path = format!("/office/cases/{}/notes", w.case_id);
    let csrf = w.author.csrf_of(&path).await;
    for (vis, text) in [("team", TEAM_NOTE), ("restricted", NOTE_CANARY)] {
        let p = w
            .author
            .post(
                &path,
                &[
                    ("csrf", &csrf),
                    ("noted_on", "2026-03-02"),
                    ("kind", "counselling"),
                    ("visibility", vis),
                    ("text", text),
                ],
            )
            .await;
        assert_eq!(p.status, 303, "{}", p.body);
    }
    let p = w.author.get(&path).await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains(TEAM_NOTE));
    assert!(!p.body.contains(NOTE_CANARY), "the list never shows it");
    let start = p
        .body
        .find("/office/notes/")
        .expect("the author may open it");
    p.body[start + "/office/notes/".len()..]
        .split('"')
        .next()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn casework_notes_restricted_to_author_and_supervisor() {
    let mut w = world().await;
    let nid = notes(&mut w).await;
    let note = format!("/office/notes/{nid}");
    let list = format!("/office/cases/{}/notes", w.case_id);
    // The author and the supervisor read it; each read is audited.
    for c in [&mut w.author, &mut w.sup] {
        let p = c.get(&note).await;
        assert_eq!(p.status, 200, "{}", p.body);
        assert!(p.body.contains(NOTE_CANARY));
    }
    let reads = w
        .app
        .audit_details()
        .await
        .iter()
        .filter(|d| *d == "sensitive_read/restricted_note")
        .count();
    assert_eq!(reads, 2);
    // The rest of the team sees the team's note and only that a restricted one exists.
    let p = w.mate.get(&list).await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains(TEAM_NOTE));
    assert!(
        p.body
            .contains("Restricted note by cw.author on 2026-03-02")
    );
    assert!(!p.body.contains(NOTE_CANARY));
    assert!(!p.body.contains(&note));
    // Refused: the teammate, the admin on the team, someone off the case.
    for c in [&mut w.mate, &mut w.admin, &mut w.outsider] {
        let p = c.get(&note).await;
        assert_eq!(p.status, 403);
        assert!(!p.body.contains(NOTE_CANARY));
    }
    // Off the case: the pages are refused and show nothing of the notes.
    for path in [
        list.clone(),
        format!("/office/cases/{}/services", w.case_id),
    ] {
        let p = w.outsider.get(&path).await;
        assert_eq!(p.status, 403, "{path}");
        assert!(!p.body.contains(TEAM_NOTE));
    }
    // The case page links the pages for those on the case.
    let case = format!("/office/cases/{}", w.case_id);
    let p = w.mate.get(&case).await;
    assert!(p.body.contains("id=\"case-notes\"") && p.body.contains("id=\"case-services\""));
    // Under break-glass: no links, and a restricted note stays shut.
    let csrf = w.outsider.get(&case).await.input("csrf").unwrap();
    let reason = "checking the residence for a second approval";
    let p = w
        .outsider
        .post(
            &format!("{case}/break-glass"),
            &[("csrf", csrf.as_str()), ("reason", reason)],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let p = w.outsider.get(&case).await;
    assert!(p.body.contains("id=\"glass-banner\""));
    assert!(!p.body.contains("id=\"case-notes\""));
    let p = w.outsider.get(&note).await;
    assert_eq!(p.status, 403);
    assert!(!p.body.contains(NOTE_CANARY));
    let p = w
        .outsider
        .post(
            &list,
            &[
                ("csrf", &csrf),
                ("noted_on", "2026-03-02"),
                ("kind", "call"),
                ("visibility", "team"),
                ("text", "x"),
            ],
        )
        .await;
    assert_eq!(p.status, 403);
    // A bad form comes back with its errors and nothing saved.
    let csrf = w.author.csrf_of(&list).await;
    let p = w
        .author
        .post(
            &list,
            &[
                ("csrf", &csrf),
                ("noted_on", "March"),
                ("kind", "call"),
                ("visibility", "team"),
                ("text", ""),
            ],
        )
        .await;
    assert_eq!(p.status, 422);
    assert!(p.by_id("errors").is_some());
}

#[tokio::test]
async fn casework_services_referrals_and_the_sheet() {
    let mut w = world().await;
    let path = format!("/office/cases/{}/services", w.case_id);
    let csrf = w.author.csrf_of(&path).await;
    let p = w
        .author
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("kind", "economic"),
                ("provider", "The NGO"),
                ("start_on", "2026-03-01"),
                ("end_on", ""),
                ("amount", "500000"),
                ("currency", "krw"),
                ("purpose", PURPOSE_CANARY),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    // Economic support without a currency is refused with the form back.
    let p = w
        .author
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("kind", "economic"),
                ("provider", "The NGO"),
                ("amount", "5"),
                ("currency", ""),
            ],
        )
        .await;
    assert_eq!(p.status, 422);
    let p = w.author.get(&path).await;
    assert!(p.body.contains(PURPOSE_CANARY));
    assert!(p.body.contains("500000 KRW"));
    let sid = w
        .app
        .store
        .list_services(&w.case_id, &CaseActor::Cli, w.app.clock.now())
        .await
        .unwrap()[0]
        .id
        .clone();
    // Status: planned → in progress; done straight from planned is refused.
    let st = format!("/office/services/{sid}/status");
    let p = w.author.post(&st, &[("csrf", &csrf), ("to", "done")]).await;
    assert_eq!(p.status, 409);
    assert!(p.body.contains("cannot move to that status"));
    let p = w
        .author
        .post(&st, &[("csrf", &csrf), ("to", "in_progress")])
        .await;
    assert_eq!(p.status, 303);
    // The teammate reads the page but the supervisor… everyone on the team reads; the
    // outsider may not change the status.
    let ocsrf = w.outsider.csrf_of("/office").await;
    let p = w
        .outsider
        .post(&st, &[("csrf", &ocsrf), ("to", "cancelled")])
        .await;
    assert_eq!(p.status, 403);
    assert_eq!(w.mate.get(&path).await.status, 200);
    // A referral without her consent: refused with a clear message, nothing recorded.
    let rp = format!("/office/services/{sid}/referrals");
    let form = |consent: bool| {
        let mut f = vec![
            ("csrf", csrf.clone()),
            ("partner", PARTNER_CANARY.to_string()),
            ("shared", "names".to_string()),
            ("contact", CONTACT_CANARY.to_string()),
        ];
        if consent {
            f.push(("consent", "yes".to_string()));
        }
        f
    };
    let f = form(false);
    let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let p = w.author.post(&rp, &pairs).await;
    assert_eq!(p.status, 422);
    assert!(p.body.contains("Without her consent to this sharing"));
    let n = w
        .app
        .store
        .list_services(&w.case_id, &CaseActor::Cli, w.app.clock.now())
        .await
        .unwrap()[0]
        .referrals
        .len();
    assert_eq!(n, 0);
    let f = form(true);
    let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let p = w.author.post(&rp, &pairs).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let p = w.author.get(&path).await;
    let start = p.body.find("/office/referrals/").unwrap();
    let rid = p.body[start + "/office/referrals/".len()..]
        .split('/')
        .next()
        .unwrap()
        .to_string();
    // Outcome.
    let p = w
        .author
        .post(
            &format!("/office/referrals/{rid}/outcome"),
            &[("csrf", &csrf), ("to", "accepted")],
        )
        .await;
    assert_eq!(p.status, 303);
    // The sheet, in Korean: the partner, her names (shared), not the contact (not shared).
    let sheet = format!("/office/referrals/{rid}/sheet");
    let p = w.author.get(&format!("{sheet}?lang=ko")).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("lang=\"ko"));
    assert!(p.body.contains("연계 의뢰서"));
    assert!(p.body.contains(PARTNER_CANARY));
    assert!(p.body.contains("리영자"));
    assert!(!p.body.contains(CONTACT_CANARY));
    let p = w.author.get(&format!("{sheet}?lang=zh")).await;
    assert!(p.body.contains("转介单"));
    // Someone off the case: refused, nothing shown.
    let p = w.outsider.get(&sheet).await;
    assert_eq!(p.status, 403);
    assert!(!p.body.contains(PARTNER_CANARY));
}

#[tokio::test]
async fn casework_pages_need_a_recent_reauthentication() {
    let mut w = world().await;
    let nid = notes(&mut w).await;
    let list = format!("/office/cases/{}/notes", w.case_id);
    let services = format!("/office/cases/{}/services", w.case_id);
    let csrf = w.author.csrf_of(&list).await;
    w.app.clock.advance_millis(700_000);
    for path in [
        list.clone(),
        services.clone(),
        format!("/office/notes/{nid}"),
    ] {
        let p = w.author.get(&path).await;
        assert_eq!(p.status, 303, "{path}");
        assert!(p.location().starts_with("/office/reauth"), "{path}");
        assert!(!p.body.contains(NOTE_CANARY) && !p.body.contains(TEAM_NOTE));
    }
    // A form with an error is not re-rendered with the notes either.
    let p = w
        .author
        .post(
            &list,
            &[
                ("csrf", &csrf),
                ("noted_on", "bad"),
                ("kind", "call"),
                ("visibility", "team"),
                ("text", ""),
            ],
        )
        .await;
    assert_eq!(p.status, 303);
    assert!(!p.body.contains(TEAM_NOTE));
}

#[tokio::test]
async fn casework_canaries_never_reach_logs_or_disk_in_clear() {
    let sink = helpers::logs::log_sink();
    let mut w = world().await;
    notes(&mut w).await;
    let path = format!("/office/cases/{}/services", w.case_id);
    let csrf = w.author.csrf_of(&path).await;
    let p = w
        .author
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("kind", "economic"),
                ("provider", "The NGO"),
                ("amount", "1000"),
                ("currency", "USD"),
                ("purpose", PURPOSE_CANARY),
            ],
        )
        .await;
    assert_eq!(p.status, 303);
    let sid = w
        .app
        .store
        .list_services(&w.case_id, &CaseActor::Cli, w.app.clock.now())
        .await
        .unwrap()[0]
        .id
        .clone();
    let p = w
        .author
        .post(
            &format!("/office/services/{sid}/referrals"),
            &[
                ("csrf", &csrf),
                ("partner", PARTNER_CANARY),
                ("shared", "contact"),
                ("contact", CONTACT_CANARY),
                ("consent", "yes"),
            ],
        )
        .await;
    assert_eq!(p.status, 303);
    w.author.get(&path).await;
    let logs = sink.text();
    let canaries = [NOTE_CANARY, PURPOSE_CANARY, PARTNER_CANARY, CONTACT_CANARY];
    for canary in canaries {
        assert!(!logs.contains(canary), "log contains {canary}");
    }
    helpers::logs::assert_not_on_disk(&w.app.dir, &canaries);
}
