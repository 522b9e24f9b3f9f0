//! Travel safety through the real router: a caseworker registers a trip, records the
//! briefing and starts it; the traveller checks in on the neutral page (normal, duress,
//! wrong PINs, "I am back"); duress and normal answers are byte-identical and take the same
//! time; the duress alert survives everything her side can do; the board; escalation with
//! a simulated clock delivering to a local SMTP sink and SMS gateway; the watchdog.

use crate::helpers;
use crate::helpers::travel::{CITY, DURESS, PIN, active_trip, app_with_floor, new_case_for};
use crate::helpers::{Client, TestApp};
use reunite_domain::{Clock, Lang, Role, Timestamp};
use reunite_store::{CaseActor, TripContact};
use reunite_web::jobs::notify::{NotifyConfig, run_once, watchdog_once};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

async fn check_in(c: &mut Client, code: &str, pin: &str, city: &str, done: bool) -> helpers::Page {
    let mut form = vec![
        ("step", "save"),
        ("lang", "zh"),
        ("number", code),
        ("pin", pin),
        ("place", city),
    ];
    if done {
        form.push(("done", "1"));
    }
    c.post("/n/", &form).await
}

async fn stages(app: &TestApp, trip: &str) -> Vec<(reunite_domain::travel::Stage, bool)> {
    app.store
        .read_trip(trip, &CaseActor::Cli, app.clock.now())
        .await
        .unwrap()
        .alerts
        .iter()
        .map(|a| (a.stage, a.acked.is_some()))
        .collect()
}

#[tokio::test]
async fn a_caseworker_registers_briefs_and_starts_a_trip() {
    let app = app_with_floor(1).await;
    let (mut c, cw, _) = app
        .sign_in_as("cw.travel", Role::Caseworker, Lang::En)
        .await;
    let case_id = new_case_for(&app, Some(&cw)).await;
    let path = format!("/office/cases/{case_id}/trips");
    let (mut other, _, _) = app.sign_in_as("cw.other", Role::Caseworker, Lang::En).await;
    assert_eq!(other.get(&path).await.status, 403, "not her caseworker");
    let p = c.get(&path).await;
    assert_eq!(p.status, 200, "{}", p.body);
    let csrf = p.input("csrf").unwrap();
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("starts_on", "2026-04-01"),
        ("ends_on", "2026-04-12"),
        ("cities", CITY),
        ("stays", "her son's house"),
        ("purpose", "visit her son"),
        ("lang", "ko"),
        ("reminder_to", "email:m@example.org"),
        ("contacts", "sister; sms:+821012345678"),
        ("interval_hours", "24"),
        ("window_start", "18:00"),
        ("window_end", "22:00"),
        ("tz", "Asia/Shanghai"),
        ("grace", "60"),
        ("pin", PIN),
        ("duress_pin", PIN),
    ];
    // The same PIN twice is refused, and nothing typed is lost but the PINs.
    let p = c.post(&path, &form).await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(p.body.contains("the two must differ"));
    assert!(p.body.contains(CITY));
    form.last_mut().unwrap().1 = DURESS;
    let p = c.post(&path, &form).await;
    assert_eq!(p.status, 200, "{}", p.body);
    let code = p.by_id("trip-code").unwrap();
    assert_eq!(code.len(), 8);
    let trip = app.store.trips_of_case(&case_id).await.unwrap()[0]
        .id
        .clone();
    let trip_path = format!("/office/travel/trips/{trip}");

    // The trip page shows the Korean briefing; starting needs its confirmation first.
    let p = c.get(&trip_path).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("떠나기 전에"), "Korean briefing shown");
    assert!(!p.body.contains("trip-activate"));
    let p = c
        .post(&format!("{trip_path}/activate"), &[("csrf", &csrf)])
        .await;
    assert_eq!(p.status, 409, "{}", p.body);
    let p = c
        .post(
            &format!("{trip_path}/briefing"),
            &[("csrf", &csrf), ("lang", "ko"), ("confirmed", "1")],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let p = c
        .post(&format!("{trip_path}/activate"), &[("csrf", &csrf)])
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let p = c.get(&trip_path).await;
    assert!(p.body.contains("Briefing confirmed"), "{}", p.body);
    assert_eq!(p.by_id("trip-status").as_deref(), Some("Active"));

    // She checks in with the city; the board shows it.
    let mut public = Client::new(&app);
    let p = check_in(&mut public, &code, PIN, CITY, false).await;
    assert_eq!(p.status, 200);
    assert!(p.set_cookie().is_none());
    let p = c.get("/office/travel").await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains(CITY));
    assert!(p.body.contains(&trip));
    // No scheduler has run yet while a trip is active: the board says so.
    assert!(p.body.contains("scheduler-stale"), "{}", p.body);
    app.store.travel_escalate(app.clock.now()).await.unwrap();
    let p = c.get("/office/travel").await;
    assert!(!p.body.contains("scheduler-stale"));
    assert!(p.body.contains("Scheduler last ran"));

    // An admin edits the briefing; the edit is what the next trip page shows.
    let (mut admin, _, _) = app.sign_in_as("adm.travel", Role::Admin, Lang::En).await;
    let p = admin.get("/office/travel/briefing").await;
    assert_eq!(p.status, 200);
    let acsrf = p.input("csrf").unwrap();
    let p = admin
        .post(
            "/office/travel/briefing",
            &[("csrf", &acsrf), ("lang", "ko"), ("text", "새 안내 문구")],
        )
        .await;
    assert_eq!(p.status, 303);
    assert_eq!(
        app.store.travel_briefing("ko").await.unwrap().as_deref(),
        Some("새 안내 문구")
    );
    // A caseworker may not edit it.
    let p = c
        .post(
            "/office/travel/briefing",
            &[("csrf", &csrf), ("lang", "ko"), ("text", "x")],
        )
        .await;
    assert_eq!(p.status, 403);
}

#[tokio::test]
async fn duress_and_normal_check_ins_are_indistinguishable() {
    // Measured while no other test's app runs.
    let _alone = crate::helpers::gate::alone().await;
    // A small floor so that N = 200 of each runs in seconds; production uses 1.5 s.
    let app = app_with_floor(40).await;
    let (trip, code) = active_trip(&app, "", vec![]).await;
    let mut c = Client::new(&app);
    let normal = check_in(&mut c, &code, PIN, "", false).await;
    let duress = check_in(&mut c, &code, DURESS, "", false).await;
    assert_eq!(normal.status, duress.status);
    assert_eq!(normal.body, duress.body, "byte-identical bodies");
    let strip = |p: &helpers::Page| {
        let mut h: Vec<(String, String)> = p
            .headers
            .iter()
            .filter(|(k, _)| k.as_str() != "date")
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        h.sort();
        h
    };
    assert_eq!(strip(&normal), strip(&duress), "identical headers");
    assert!(normal.set_cookie().is_none());
    assert!(normal.body.contains("已保存"));

    let n = 200;
    let (mut tn, mut td) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for _ in 0..n {
        for (pin, out) in [(PIN, &mut tn), (DURESS, &mut td)] {
            let t = std::time::Instant::now();
            let p = check_in(&mut c, &code, pin, "", false).await;
            out.push(t.elapsed().as_secs_f64());
            assert_eq!(p.body, normal.body);
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.total_cmp(b));
        v[v.len() / 2]
    };
    let (mn, md) = (median(&mut tn), median(&mut td));
    eprintln!("check-in medians over {n}: normal {mn:.4} s, duress {md:.4} s");
    assert!(
        (mn - md).abs() / mn.max(md) < 0.10,
        "medians differ by 10% or more: {mn} vs {md}"
    );
    assert!(
        stages(&app, &trip)
            .await
            .iter()
            .any(|(s, _)| *s == reunite_domain::travel::Stage::Duress)
    );
}

#[tokio::test]
async fn the_duress_alert_cannot_be_cancelled_from_her_side() {
    let app = app_with_floor(1).await;
    let (trip, code) = active_trip(&app, "", vec![]).await;
    let mut c = Client::new(&app);
    check_in(&mut c, &code, DURESS, CITY, false).await;
    use reunite_domain::travel::Stage;
    assert_eq!(stages(&app, &trip).await, vec![(Stage::Duress, false)]);
    // Everything the page offers her: a normal check-in, the duress PIN with "finished",
    // the PIN with "finished".
    app.clock.advance_millis(60_000);
    check_in(&mut c, &code, PIN, "", false).await;
    check_in(&mut c, &code, DURESS, "", true).await;
    let meta = app.store.trip_meta(&trip).await.unwrap().unwrap();
    assert_eq!(
        meta.status,
        reunite_store::TripStatus::Active,
        "the duress PIN never ends the trip"
    );
    check_in(&mut c, &code, PIN, "", true).await;
    let meta = app.store.trip_meta(&trip).await.unwrap().unwrap();
    assert_eq!(meta.status, reunite_store::TripStatus::Returned);
    // The trip is over for her, but the duress alerts stay open until the office acts.
    let s = stages(&app, &trip).await;
    assert!(!s.is_empty() && s.iter().all(|(st, acked)| *st == Stage::Duress && !acked));
    let (mut cw, _, _) = app
        .sign_in_on_call("cw.duress", Role::Caseworker, Lang::En)
        .await;
    let p = cw.get("/office/travel").await;
    assert!(p.body.contains("trip-duress"), "{}", p.body);
    let p = cw.get(&format!("/office/travel/trips/{trip}")).await;
    let csrf = p.input("csrf").unwrap();
    let alerts = app
        .store
        .read_trip(&trip, &CaseActor::Cli, app.clock.now())
        .await
        .unwrap()
        .alerts;
    for a in &alerts {
        let p = cw
            .post(
                &format!("/office/travel/alerts/{}/ack", a.id),
                &[("csrf", &csrf), ("note", "called her; safe")],
            )
            .await;
        assert_eq!(p.status, 303, "{}", p.body);
    }
    let p = cw.get(&format!("/office/travel/trips/{trip}")).await;
    assert!(p.body.contains("Acknowledged by cw.duress"), "{}", p.body);
    assert!(p.body.contains("called her; safe"));
    // A duress alert takes a second person (issue 16, finding 4): still open and on the
    // board until a different caseworker confirms it.
    let s = stages(&app, &trip).await;
    assert!(s.iter().all(|(_, acked)| !acked), "{s:?}");
    let p = cw.get("/office/travel").await;
    assert!(p.body.contains("trip-duress"), "{}", p.body);
    let (mut second, _, _) = app
        .sign_in_on_call("cw.duress2", Role::Caseworker, Lang::En)
        .await;
    let csrf = second
        .csrf_of(&format!("/office/travel/trips/{trip}"))
        .await;
    for a in &alerts {
        let p = second
            .post(
                &format!("/office/travel/alerts/{}/confirm", a.id),
                &[("csrf", &csrf), ("note", "spoke to her too")],
            )
            .await;
        assert_eq!(p.status, 303, "{}", p.body);
    }
    let s = stages(&app, &trip).await;
    assert!(s.iter().all(|(_, acked)| *acked), "{s:?}");
    let p = second.get(&format!("/office/travel/trips/{trip}")).await;
    assert!(p.body.contains("Confirmed by cw.duress2"), "{}", p.body);
    let p = second.get("/office/travel").await;
    assert!(!p.body.contains("trip-duress"), "{}", p.body);
}

/// A client whose requests come from another loopback address (127.0.0.`n`), as an
/// attacker spreading his guesses over several addresses would.
fn from_address(app: &TestApp, n: u8) -> Client {
    Client {
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .local_address(std::net::IpAddr::from([127, 0, 0, n]))
            .build()
            .unwrap(),
        base: app.base.clone(),
        cookie: None,
    }
}

/// An attacker who knows her trip number sends `n` wrong PINs from four addresses.
async fn guess(app: &TestApp, code: &str, n: usize) {
    let mut attackers: Vec<Client> = (2..6).map(|a| from_address(app, a)).collect();
    for i in 0..n {
        let wrong = format!("{:04}", 9000 + i);
        let p = check_in(&mut attackers[i % 4], code, &wrong, "", false).await;
        assert_eq!(p.status, 200, "{}", p.body);
        assert!(p.body.contains("checkin-error"));
    }
}

fn guessed_app() -> impl FnOnce(&mut reunite_web::WebConfig) {
    |c| {
        c.checkin.floor_ms = 1;
        c.checkin.burst = 10_000;
        c.checkin.refill_ms = 1;
    }
}

/// Issue 16, finding 2: wrong PINs from anyone who knows the trip number cannot stop her
/// real check-in from being recorded; the office is told that someone is guessing, and the
/// count survives her check-in; the answers do not tell the guesser anything.
#[tokio::test]
async fn guessing_her_trip_number_cannot_stop_her_check_in() {
    let app = TestApp::spawn_with(guessed_app()).await;
    let (trip, code) = active_trip(&app, "email:her@example.org", vec![]).await;
    let mut c = Client::new(&app);
    let unknown = check_in(&mut c, "00000001", PIN, "", false).await;
    let due_before = app
        .store
        .trip_meta(&trip)
        .await
        .unwrap()
        .unwrap()
        .next_due_at;
    guess(&app, &code, 40).await;
    app.clock.advance_millis(60_000);
    let now = app.clock.now();
    // She checks in with her PIN while the guesses are being slowed down.
    let answer = check_in(&mut c, &code, PIN, CITY, false).await;
    assert_eq!(answer.status, 200);
    let meta = app.store.trip_meta(&trip).await.unwrap().unwrap();
    assert_eq!(meta.last_checkin_at, Some(now), "her check-in is recorded");
    assert_ne!(meta.next_due_at, due_before, "the deadline moved");
    assert_eq!(
        meta.next_due_at,
        Some(now.plus_secs(24 * 3600)),
        "the deadline moved from her check-in"
    );
    // The office sees the guessing, and the count is not reset by her check-in.
    assert_eq!(meta.wrong_pins, 40, "the count survives a good check-in");
    let detail = app
        .store
        .read_trip(&trip, &CaseActor::Cli, app.clock.now())
        .await
        .unwrap();
    assert_eq!(detail.checkins.len(), 1);
    assert_eq!(detail.checkins[0].kind, "ok");
    assert!(detail.checkins[0].spaced);
    let wrong_pin_alerts: Vec<_> = detail
        .alerts
        .iter()
        .filter(|a| a.stage == reunite_domain::travel::Stage::WrongPins)
        .collect();
    assert_eq!(wrong_pin_alerts.len(), 1, "{:?}", detail.alerts);
    assert!(wrong_pin_alerts[0].acked.is_none());
    let (mut cw, _, _) = app
        .sign_in_on_call("cw.guessing", Role::Caseworker, Lang::En)
        .await;
    let board = cw.get("/office/travel").await;
    assert!(board.body.contains(&trip), "{}", board.body);
    assert!(board.body.contains("Many wrong PINs"), "{}", board.body);
    let page = cw.get(&format!("/office/travel/trips/{trip}")).await;
    assert!(page.body.contains("Many wrong PINs"), "{}", page.body);
    assert!(page.body.contains(CITY), "her check-in is on the timeline");
    assert!(
        page.body.contains("checkin-spaced"),
        "marked as answered \"not recognised\": {}",
        page.body
    );
    assert!(page.body.contains("Wrong PINs so far: 40"), "{}", page.body);
    // Nothing for the guessing alert goes to her own address.
    let out = app
        .store
        .travel_outbox_due(app.clock.now(), 100)
        .await
        .unwrap();
    assert!(!out.is_empty());
    assert!(out.iter().all(|o| o.target != "traveller"), "{out:?}");

    // Her answer while guessing is being slowed is the answer to a wrong PIN, and the same
    // for a wrong PIN, an unknown number and her duress PIN: nothing tells a guess apart.
    let wrong = check_in(&mut c, &code, "0000", "", false).await;
    assert_eq!(answer.body, wrong.body, "throttled: right looks like wrong");
    assert_eq!(
        unknown.body, wrong.body,
        "throttled: wrong looks like unknown"
    );
    let duress = check_in(&mut c, &code, DURESS, "", false).await;
    assert_eq!(
        duress.body, wrong.body,
        "throttled: duress looks like wrong"
    );
    let headers = |p: &helpers::Page| {
        let mut h: Vec<(String, String)> = p
            .headers
            .iter()
            .filter(|(k, _)| k.as_str() != "date")
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        h.sort();
        h
    };
    for p in [&answer, &unknown, &duress] {
        assert_eq!((p.status, headers(p)), (wrong.status, headers(&wrong)));
    }
    assert_eq!(
        app.store
            .trip_meta(&trip)
            .await
            .unwrap()
            .unwrap()
            .wrong_pins,
        41,
        "a slowed wrong PIN still counts"
    );
}

/// Issue 16, finding 2: the same attack cannot swallow her duress PIN.
#[tokio::test]
async fn guessing_her_trip_number_cannot_swallow_her_duress_pin() {
    let app = TestApp::spawn_with(guessed_app()).await;
    let (trip, code) = active_trip(&app, "", vec![]).await;
    guess(&app, &code, 40).await;
    app.clock.advance_millis(60_000);
    let mut c = Client::new(&app);
    let p = check_in(&mut c, &code, DURESS, "", false).await;
    assert_eq!(p.status, 200);
    let s = stages(&app, &trip).await;
    assert!(
        s.contains(&(reunite_domain::travel::Stage::Duress, false)),
        "a duress alert is open for the office: {s:?}"
    );
    let out = app
        .store
        .travel_outbox_due(app.clock.now(), 100)
        .await
        .unwrap();
    assert!(out.iter().any(|o| o.target == "senior"), "{out:?}");
}

#[tokio::test]
async fn wrong_pins_are_slowed_but_never_lock_her_out() {
    let app = TestApp::spawn_with(|c| {
        c.checkin.floor_ms = 1;
        c.checkin.burst = 10_000;
        c.checkin.refill_ms = 1;
        c.checkin.throttle_after = 3;
        c.checkin.throttle_ms = 300_000;
    })
    .await;
    let (trip, code) = active_trip(&app, "", vec![]).await;
    let mut c = Client::new(&app);
    let unknown = check_in(&mut c, "00000001", PIN, "", false).await;
    let wrong = check_in(&mut c, &code, "9999", "", false).await;
    assert_eq!(
        unknown.body, wrong.body,
        "unknown number and wrong PIN look alike"
    );
    assert!(wrong.body.contains("checkin-error"));
    check_in(&mut c, &code, "9998", "", false).await;
    check_in(&mut c, &code, "9997", "", false).await;
    assert_eq!(
        app.store
            .trip_meta(&trip)
            .await
            .unwrap()
            .unwrap()
            .wrong_pins,
        3
    );
    // Now answers are spaced out: her right PIN is recorded, but answered like a wrong one
    // (or a guesser would learn that he hit).
    let p = check_in(&mut c, &code, PIN, "", false).await;
    assert_eq!(p.body, wrong.body);
    let meta = app.store.trip_meta(&trip).await.unwrap().unwrap();
    assert_eq!(meta.last_checkin_at, Some(app.clock.now()));
    // "Finished" is recorded as a check-in then, but does not end the trip (someone trying
    // every PIN blindly must not end the office's watch by luck).
    app.clock.advance_millis(1_000);
    let p = check_in(&mut c, &code, PIN, "", true).await;
    assert_eq!(p.body, wrong.body);
    let meta = app.store.trip_meta(&trip).await.unwrap().unwrap();
    assert_eq!(meta.status, reunite_store::TripStatus::Active);
    assert_eq!(meta.last_checkin_at, Some(app.clock.now()));
    // Five minutes later her PIN is answered "saved" again; the count stays for the office.
    app.clock.advance_millis(300_000);
    let p = check_in(&mut c, &code, PIN, "", false).await;
    assert!(p.body.contains("id=\"saved\""), "{}", p.body);
    let meta = app.store.trip_meta(&trip).await.unwrap().unwrap();
    assert_eq!(meta.wrong_pins, 3);
    assert_eq!(meta.last_checkin_at, Some(app.clock.now()));
    // Her "saved" restarted the throttle: the next attempt is answered truthfully at once.
    let p = check_in(&mut c, &code, PIN, "", false).await;
    assert!(p.body.contains("id=\"saved\""), "{}", p.body);
}

#[tokio::test]
async fn the_check_in_page_is_neutral() {
    let app = app_with_floor(1).await;
    let mut c = Client::new(&app);
    for lang in ["zh", "ko", "en"] {
        let p = c.post("/n/", &[("step", "home"), ("lang", lang)]).await;
        assert_eq!(p.status, 200);
        assert!(p.set_cookie().is_none());
        assert!(p.body.contains("autocomplete=\"off\""));
        assert!(p.body.contains("<title>Notes</title>"));
        assert_eq!(reunite_web::find_sensitive(&p.body), None, "{lang}");
        assert!(p.body.len() < 100_000);
        let exit = p.body.find("id=\"exit\"").unwrap();
        let form = p.body.find("name=\"number\"").unwrap();
        assert!(exit < form, "quick exit comes first");
    }
    let p = c.get("/n/").await;
    assert_eq!(p.status, 200);
    assert!(p.headers.get("content-security-policy").is_some());
    assert_eq!(c.get("/n/p.css").await.status, 200);
}

// ---------------------------------------------------------------------------------------
// A local SMTP sink and SMS gateway

#[derive(Default, Clone)]
struct Sink {
    mails: Arc<Mutex<Vec<(String, String)>>>,
    sms: Arc<Mutex<Vec<String>>>,
}

async fn smtp_sink(sink: Sink) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let sink = sink.clone();
            tokio::spawn(async move {
                let (r, mut w) = stream.into_split();
                let mut r = BufReader::new(r);
                w.write_all(b"220 sink\r\n").await.unwrap();
                let mut rcpt = String::new();
                let mut line = String::new();
                loop {
                    line.clear();
                    if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let cmd = line.trim_end().to_string();
                    if cmd.starts_with("EHLO") {
                        w.write_all(b"250-sink\r\n250 8BITMIME\r\n").await.unwrap();
                    } else if let Some(to) = cmd.strip_prefix("RCPT TO:") {
                        rcpt = to.trim_matches(|c| c == '<' || c == '>').to_string();
                        w.write_all(b"250 ok\r\n").await.unwrap();
                    } else if cmd == "DATA" {
                        w.write_all(b"354 go\r\n").await.unwrap();
                        let mut data = String::new();
                        loop {
                            line.clear();
                            r.read_line(&mut line).await.unwrap();
                            if line == ".\r\n" {
                                break;
                            }
                            data.push_str(&line);
                        }
                        sink.mails.lock().unwrap().push((rcpt.clone(), data));
                        w.write_all(b"250 queued\r\n").await.unwrap();
                    } else if cmd == "QUIT" {
                        w.write_all(b"221 bye\r\n").await.unwrap();
                        return;
                    } else {
                        w.write_all(b"250 ok\r\n").await.unwrap();
                    }
                }
            });
        }
    });
    addr
}

async fn sms_gateway(sink: Sink) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let sink = sink.clone();
            tokio::spawn(async move {
                let (r, mut w) = stream.into_split();
                let mut r = BufReader::new(r);
                let mut len = 0usize;
                let mut line = String::new();
                loop {
                    line.clear();
                    r.read_line(&mut line).await.unwrap();
                    if line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap();
                    }
                }
                let mut body = vec![0u8; len];
                r.read_exact(&mut body).await.unwrap();
                sink.sms
                    .lock()
                    .unwrap()
                    .push(String::from_utf8(body).unwrap());
                w.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                    .await
                    .unwrap();
            });
        }
    });
    format!("http://{addr}/send")
}

fn mail_text(data: &str) -> (String, String) {
    use base64::Engine as _;
    let (head, body) = data.split_once("\r\n\r\n").unwrap();
    let subject = head
        .lines()
        .find_map(|l| l.strip_prefix("Subject: =?UTF-8?B?"))
        .and_then(|s| s.strip_suffix("?="))
        .unwrap();
    let dec = |s: &str| {
        String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(s.replace("\r\n", ""))
                .unwrap(),
        )
        .unwrap()
    };
    (dec(subject), dec(body))
}

#[tokio::test]
async fn missed_check_ins_escalate_by_smtp_and_sms_and_the_watchdog_watches() {
    let app = app_with_floor(1).await;
    let sink = Sink::default();
    let cfg = NotifyConfig {
        smtp_relay: smtp_sink(sink.clone()).await,
        smtp_from: "notes@example.org".into(),
        sms_webhook: sms_gateway(sink.clone()).await,
        oncall: vec!["email:oncall@example.org".into()],
        senior: vec![
            "email:senior@example.org".into(),
            "sms:+821099990000".into(),
        ],
        staff_lang: Lang::Ko,
    };
    let start = app.clock.now();
    let (trip, _) = active_trip(
        &app,
        "email:her@example.org",
        vec![TripContact {
            name: "sister".into(),
            address: "sms:+821012345678".into(),
        }],
    )
    .await;
    let due = app
        .store
        .trip_meta(&trip)
        .await
        .unwrap()
        .unwrap()
        .next_due_at
        .unwrap();
    assert_eq!(due, start.plus_secs(24 * 3600));
    let at = |t: Timestamp| {
        app.clock.set(t);
        t
    };
    // Before the deadline: nothing.
    let r = run_once(&app.store, &cfg, at(due.plus_secs(-1)))
        .await
        .unwrap();
    assert_eq!((r.raised, r.sent), (0, 0));
    // At the deadline: the neutral reminder to her, in her language.
    let r = run_once(&app.store, &cfg, at(due)).await.unwrap();
    assert_eq!((r.raised, r.sent, r.failed), (1, 1, 0));
    {
        let mails = sink.mails.lock().unwrap();
        assert_eq!(mails.len(), 1);
        assert_eq!(mails[0].0, "her@example.org");
        let (subject, body) = mail_text(&mails[0].1);
        assert_eq!(body, "你好，方便的时候请回个消息。");
        assert_eq!(subject, "你好");
    }
    // After the grace period: on-call.
    run_once(&app.store, &cfg, at(due.plus_secs(3599)))
        .await
        .unwrap();
    assert_eq!(sink.mails.lock().unwrap().len(), 1);
    let r = run_once(&app.store, &cfg, at(due.plus_secs(3600)))
        .await
        .unwrap();
    assert_eq!((r.raised, r.sent), (1, 1));
    // After twice the grace period: senior (mail and SMS) and her contact (SMS).
    let r = run_once(&app.store, &cfg, at(due.plus_secs(7200)))
        .await
        .unwrap();
    assert_eq!((r.raised, r.sent, r.failed), (1, 2, 0));
    let mails = sink.mails.lock().unwrap().clone();
    let to: Vec<&str> = mails.iter().map(|m| m.0.as_str()).collect();
    assert_eq!(
        to,
        vec![
            "her@example.org",
            "oncall@example.org",
            "senior@example.org"
        ]
    );
    let sms = sink.sms.lock().unwrap().clone();
    assert_eq!(sms.len(), 2);
    assert!(sms.iter().any(|s| s.contains("+821012345678")));
    assert!(sms.iter().any(|s| s.contains("+821099990000")));
    // Nothing sent names the organisation, carries a sensitive word or a place.
    for (_, data) in &mails {
        let (subject, body) = mail_text(data);
        for text in [subject, body] {
            assert_eq!(reunite_web::find_sensitive(&text), None, "{text}");
            assert!(!text.contains(CITY));
        }
    }
    for s in &sms {
        let v: serde_json::Value = serde_json::from_str(s).unwrap();
        let text = v["text"].as_str().unwrap();
        assert_eq!(reunite_web::find_sensitive(text), None, "{text}");
    }
    // Idempotent: another run raises and sends nothing.
    let r = run_once(&app.store, &cfg, at(due.plus_secs(7300)))
        .await
        .unwrap();
    assert_eq!((r.raised, r.sent), (0, 0));

    // The watchdog: quiet while the scheduler runs, loud after five minutes without it,
    // and not again within half an hour.
    let last = due.plus_secs(7300);
    assert!(
        !watchdog_once(&app.store, &cfg, last.plus_secs(299))
            .await
            .unwrap()
    );
    assert!(
        watchdog_once(&app.store, &cfg, last.plus_secs(300))
            .await
            .unwrap()
    );
    assert!(
        !watchdog_once(&app.store, &cfg, last.plus_secs(900))
            .await
            .unwrap()
    );
    let mails = sink.mails.lock().unwrap().clone();
    let (subject, body) = mail_text(&mails.last().unwrap().1);
    assert_eq!(subject, "스케줄러 정지");
    assert!(body.contains("UTC"));
    run_once(&app.store, &cfg, last.plus_secs(3000))
        .await
        .unwrap();
    assert!(
        !watchdog_once(&app.store, &cfg, last.plus_secs(3100))
            .await
            .unwrap()
    );
}

/// Issue 16, finding 3: after a duress check-in (with or without "I am back"), nothing is
/// sent to her own address for that trip, not even a reminder queued before it, while the
/// office keeps being alerted.
#[tokio::test]
async fn after_duress_nothing_reaches_her_phone_but_the_office_is_alerted() {
    for back in [false, true] {
        let app = app_with_floor(1).await;
        let sink = Sink::default();
        let cfg = NotifyConfig {
            smtp_relay: smtp_sink(sink.clone()).await,
            smtp_from: "notes@example.org".into(),
            sms_webhook: sms_gateway(sink.clone()).await,
            oncall: vec!["email:oncall@example.org".into()],
            senior: vec!["email:senior@example.org".into()],
            staff_lang: Lang::Ko,
        };
        let (trip, code) = active_trip(&app, "email:her@example.org", vec![]).await;
        let first_due = app
            .store
            .trip_meta(&trip)
            .await
            .unwrap()
            .unwrap()
            .next_due_at
            .unwrap();
        // The first deadline passes: the reminder to her is queued but not sent yet.
        app.clock.set(first_due);
        app.store.travel_escalate(first_due).await.unwrap();
        let queued = app.store.travel_outbox_due(first_due, 100).await.unwrap();
        assert!(queued.iter().any(|o| o.target == "traveller"));
        // Then she is forced to check in.
        app.clock.advance_millis(60_000);
        let mut c = Client::new(&app);
        let p = check_in(&mut c, &code, DURESS, "", back).await;
        assert!(p.body.contains("id=\"saved\""), "{}", p.body);
        let meta = app.store.trip_meta(&trip).await.unwrap().unwrap();
        assert_eq!(
            meta.status,
            reunite_store::TripStatus::Active,
            "back={back}"
        );
        let next_due = meta.next_due_at.unwrap();
        // Runs through the duress, past the next deadline and both grace periods.
        for t in [
            app.clock.now(),
            next_due,
            next_due.plus_secs(3600),
            next_due.plus_secs(7200),
            next_due.plus_secs(3 * 24 * 3600),
        ] {
            app.clock.set(t);
            run_once(&app.store, &cfg, t).await.unwrap();
        }
        let mails = sink.mails.lock().unwrap().clone();
        let to: Vec<&str> = mails.iter().map(|m| m.0.as_str()).collect();
        assert!(
            !to.contains(&"her@example.org"),
            "nothing to her after duress (back={back}): {to:?}"
        );
        assert!(to.contains(&"oncall@example.org"), "{to:?}");
        assert!(to.contains(&"senior@example.org"), "{to:?}");
        // The missed deadline after the duress still escalated to on-call.
        use reunite_domain::travel::Stage;
        let s = stages(&app, &trip).await;
        assert!(s.contains(&(Stage::OnCall, false)), "back={back}: {s:?}");
        let pending = app
            .store
            .travel_outbox_due(app.clock.now().plus_secs(7 * 24 * 3600), 100)
            .await
            .unwrap();
        assert!(
            pending.iter().all(|o| o.target != "traveller"),
            "{pending:?}"
        );
    }
}
