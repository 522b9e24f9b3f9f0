//! Travel safety in the office (issue 8): registering a trip of a case, the safety
//! briefing and its confirmation, starting and ending a trip, the board (duress and
//! overdue first), a trip's timeline and the acknowledgement of alerts, and the admins'
//! editing of the briefing texts.
//!
//! Everything that opens a trip or the board needs a recent re-authentication and is
//! audited by the store before anything is opened. The public check-in page is in
//! [`crate::public::checkin`]; outgoing messages and the scheduler in
//! [`crate::jobs::notify`].

use crate::OfficeState;
use crate::extract::Staff;
use crate::jobs::notify::parse_address;
use crate::kernel::error::WebError;
use crate::kernel::i18n::Tr;
use crate::kernel::render::{Nav, enc, format_utc, render, render_status};
use crate::policy::{self, Act, Subject};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use reunite_domain::travel::{Schedule, Stage, format_hhmm, parse_hhmm, valid_pin};
use reunite_domain::{Lang, Role};
use reunite_store::{
    CaseActor, NewTrip, StoreError, TripContact, TripMeta, TripPlaces, TripPlan, TripStatus,
};
use serde::Deserialize;

/// Longest free-text field.
const MAX_TEXT: usize = 4000;

pub(crate) fn routes() -> Router<OfficeState> {
    Router::new()
        .route("/office/travel", get(board))
        .route(
            "/office/travel/briefing",
            get(briefing_form).post(briefing_save),
        )
        .route("/office/cases/{id}/trips", get(case_trips).post(create))
        .route("/office/travel/trips/{id}", get(view))
        .route("/office/travel/trips/{id}/briefing", post(confirm_briefing))
        .route("/office/travel/trips/{id}/activate", post(activate))
        .route("/office/travel/trips/{id}/end", post(end))
        .route("/office/travel/alerts/{id}/ack", post(acknowledge))
}

// ---------------------------------------------------------------------------------------
// The briefing

/// The shipped briefing in a language.
pub fn shipped_briefing(lang: Lang) -> &'static str {
    match lang {
        Lang::Ko => include_str!("../../../briefing/ko.txt"),
        Lang::Zh => include_str!("../../../briefing/zh.txt"),
        Lang::En => include_str!("../../../briefing/en.txt"),
    }
}

pub(crate) fn parse_lang(s: &str) -> Option<Lang> {
    match s {
        "ko" => Some(Lang::Ko),
        "zh" => Some(Lang::Zh),
        "en" => Some(Lang::En),
        _ => None,
    }
}

/// The briefing in force for a language: the admins' text or the shipped one.
pub(crate) async fn briefing_text(state: &OfficeState, lang: Lang) -> Result<String, StoreError> {
    let code = crate::kernel::i18n::lang_code(lang);
    Ok(state
        .store()
        .travel_briefing(code)
        .await?
        .unwrap_or_else(|| shipped_briefing(lang).to_string()))
}

/// Which text was confirmed: a short hash, recorded with the confirmation.
pub(crate) fn text_hash(text: &str) -> String {
    hex::encode(&reunite_crypto::token_hash(text)[..8])
}

// ---------------------------------------------------------------------------------------
// Helpers

fn actor(staff: &Staff) -> CaseActor {
    CaseActor::Staff(staff.user.id.clone())
}

pub(crate) fn status_label(t: Tr, s: TripStatus) -> &'static str {
    match s {
        TripStatus::Planned => t.s("travel.status.planned"),
        TripStatus::Active => t.s("travel.status.active"),
        TripStatus::Returned => t.s("travel.status.returned"),
    }
}

fn stage_label(t: Tr, s: Stage) -> &'static str {
    match s {
        Stage::Reminder => t.s("travel.stage.1"),
        Stage::OnCall => t.s("travel.stage.2"),
        Stage::Senior => t.s("travel.stage.3"),
        Stage::Duress => t.s("travel.stage.4"),
    }
}

fn when(t: Tr, ts: Option<reunite_domain::Timestamp>) -> String {
    ts.map(format_utc)
        .unwrap_or_else(|| t.s("travel.never").to_string())
}

pub(crate) fn short(id: &str) -> String {
    id.trim_start_matches("trip-").chars().take(8).collect()
}

fn schedule_text(t: Tr, s: &Schedule) -> String {
    t.f(
        "travel.schedule_text",
        &[
            ("hours", &format!("{}", f64::from(s.interval_mins) / 60.0)),
            ("start", &format_hhmm(s.window_start_min)),
            ("end", &format_hhmm(s.window_end_min)),
            ("tz", &s.tz),
            ("grace", &s.grace_mins.to_string()),
        ],
    )
}

fn state_error(e: StoreError) -> WebError {
    match e {
        StoreError::Conflict(_) => WebError::BadRequest,
        other => WebError::from(other),
    }
}

// ---------------------------------------------------------------------------------------
// Board

pub(crate) struct BoardView {
    id: String,
    short: String,
    case_id: String,
    status: &'static str,
    last_checkin: String,
    last_city: String,
    next_due: String,
    duress: bool,
    overdue: bool,
    alerts: Vec<&'static str>,
}

#[derive(Template)]
#[template(path = "office/travel/board.html")]
pub(crate) struct BoardPage {
    t: Tr,
    title: &'static str,
    nav: Option<Nav>,
    rows: Vec<BoardView>,
    is_admin: bool,
    checkin_path: String,
    scheduler: Option<String>,
    scheduler_stale: bool,
}

pub(crate) async fn board(
    State(state): State<OfficeState>,
    staff: Staff,
) -> Result<Response, WebError> {
    policy::require(&staff, Act::Open, Subject::Trip)?;
    staff.recent(&state, "/office/travel")?;
    let t = staff.t();
    let rows = state
        .store()
        .travel_board(&actor(&staff), state.now())
        .await?;
    let any_active = rows.iter().any(|r| r.meta.status == TripStatus::Active);
    let rows: Vec<BoardView> = rows
        .into_iter()
        .map(|r| BoardView {
            short: short(&r.meta.id),
            case_id: r.meta.case_id.clone(),
            status: status_label(t, r.meta.status),
            last_checkin: when(t, r.meta.last_checkin_at),
            last_city: r.last_city,
            next_due: if r.meta.status == TripStatus::Active {
                when(t, r.meta.next_due_at)
            } else {
                String::new()
            },
            duress: r.duress,
            overdue: r.overdue,
            alerts: r
                .open_alerts
                .iter()
                .map(|a| stage_label(t, a.stage))
                .collect(),
            id: r.meta.id,
        })
        .collect();
    let now = state.now();
    let heartbeat = state.store().travel_heartbeat().await?;
    let scheduler_stale = any_active
        && heartbeat.is_none_or(|h| now.millis_since(h) >= crate::jobs::notify::WATCHDOG_STALE_MS);
    Ok(render(&BoardPage {
        scheduler: heartbeat.map(|h| t.f("travel.scheduler", &[("at", &format_utc(h))])),
        scheduler_stale,
        t,
        title: t.s("travel.board"),
        nav: staff.nav("/office/travel"),
        rows,
        is_admin: staff.user.role == Role::Admin,
        checkin_path: state.cfg().checkin.path.clone(),
    }))
}

// ---------------------------------------------------------------------------------------
// Registration

#[derive(Debug, Deserialize, Default, Clone)]
pub(crate) struct TripForm {
    #[serde(default)]
    pub(crate) csrf: String,
    #[serde(default)]
    pub(crate) starts_on: String,
    #[serde(default)]
    pub(crate) ends_on: String,
    #[serde(default)]
    pub(crate) cities: String,
    #[serde(default)]
    pub(crate) stays: String,
    #[serde(default)]
    pub(crate) purpose: String,
    #[serde(default)]
    pub(crate) lang: String,
    #[serde(default)]
    pub(crate) reminder_to: String,
    #[serde(default)]
    pub(crate) contacts: String,
    #[serde(default)]
    pub(crate) interval_hours: String,
    #[serde(default)]
    pub(crate) window_start: String,
    #[serde(default)]
    pub(crate) window_end: String,
    #[serde(default)]
    pub(crate) tz: String,
    #[serde(default)]
    pub(crate) grace: String,
    #[serde(default)]
    pub(crate) pin: String,
    #[serde(default)]
    pub(crate) duress_pin: String,
}

impl TripForm {
    pub(crate) fn defaults() -> Self {
        TripForm {
            lang: "ko".into(),
            interval_hours: "24".into(),
            window_start: "18:00".into(),
            window_end: "22:00".into(),
            tz: "Asia/Shanghai".into(),
            grace: "120".into(),
            ..Default::default()
        }
    }
}

fn valid_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && (1..=12).contains(&s[5..7].parse::<u8>().unwrap_or(0))
        && (1..=31).contains(&s[8..10].parse::<u8>().unwrap_or(0))
}

/// Hashes a trip's PIN and duress PIN (Argon2id, off the async threads) into `trip`.
pub(crate) async fn hash_pins(
    state: &OfficeState,
    trip: &mut NewTrip,
    pin: String,
    duress: String,
) -> Result<(), WebError> {
    let policy = state.cfg().password_policy;
    let hashed = tokio::task::spawn_blocking(move || {
        let p = reunite_crypto::hash_password(&policy, &pin)?;
        let d = reunite_crypto::hash_password(&policy, &duress)?;
        Ok::<_, reunite_crypto::CryptoError>((p, d))
    })
    .await??;
    (trip.pin_phc, trip.duress_phc) = hashed;
    Ok(())
}

/// The trip a form describes, or the message key of the first problem.
pub(crate) fn parse_trip(
    case_id: &str,
    f: &TripForm,
) -> Result<(NewTrip, String, String), &'static str> {
    let (starts, ends) = (f.starts_on.trim(), f.ends_on.trim());
    if starts.is_empty() || ends.is_empty() || f.pin.is_empty() || f.duress_pin.is_empty() {
        return Err("travel.err.required");
    }
    if !valid_date(starts) || !valid_date(ends) || ends < starts {
        return Err("travel.err.date");
    }
    let (pin, duress) = (f.pin.trim(), f.duress_pin.trim());
    if !valid_pin(pin) || !valid_pin(duress) || pin == duress {
        return Err("travel.err.pin");
    }
    let reminder_to = f.reminder_to.trim().to_string();
    if !reminder_to.is_empty() && parse_address(&reminder_to).is_none() {
        return Err("travel.err.address");
    }
    let mut contacts = Vec::new();
    for line in f.contacts.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (name, address) = line.rsplit_once(';').unwrap_or(("", line));
        let address = address.trim();
        if parse_address(address).is_none() {
            return Err("travel.err.address");
        }
        contacts.push(TripContact {
            name: name.trim().to_string(),
            address: address.to_string(),
        });
    }
    let hours: f64 = f
        .interval_hours
        .trim()
        .parse()
        .map_err(|_| "travel.err.interval")?;
    if !hours.is_finite() || hours <= 0.0 {
        return Err("travel.err.interval");
    }
    let schedule = Schedule {
        interval_mins: (hours * 60.0).round() as u32,
        window_start_min: parse_hhmm(&f.window_start).ok_or("travel.err.window")?,
        window_end_min: parse_hhmm(&f.window_end).ok_or("travel.err.window")?,
        tz: f.tz.trim().to_string(),
        grace_mins: f.grace.trim().parse().map_err(|_| "travel.err.grace")?,
    };
    schedule.validate().map_err(|e| e.key())?;
    let long = [&f.cities, &f.stays, &f.purpose, &f.contacts]
        .iter()
        .any(|s| s.chars().count() > MAX_TEXT);
    if long {
        return Err("travel.err.required");
    }
    let trip = NewTrip {
        case_id: case_id.to_string(),
        plan: TripPlan {
            starts_on: starts.into(),
            ends_on: ends.into(),
            purpose: f.purpose.trim().into(),
            lang: parse_lang(&f.lang)
                .map(crate::kernel::i18n::lang_code)
                .unwrap_or("ko")
                .into(),
            reminder_to,
            contacts,
        },
        places: TripPlaces {
            cities: f.cities.trim().into(),
            stays: f.stays.trim().into(),
        },
        schedule,
        pin_phc: String::new(),
        duress_phc: String::new(),
    };
    Ok((trip, pin.to_string(), duress.to_string()))
}

pub(crate) struct TripRow {
    id: String,
    short: String,
    status: &'static str,
    created: String,
}

#[derive(Template)]
#[template(path = "office/travel/case.html")]
pub(crate) struct CaseTripsPage {
    t: Tr,
    title: &'static str,
    nav: Option<Nav>,
    case_id: String,
    trips: Vec<TripRow>,
    form: TripForm,
    error: Option<&'static str>,
    created: Option<(String, String)>,
    checkin_path: String,
    action: String,
    csrf: String,
}

async fn case_trips_page(
    state: &OfficeState,
    staff: &Staff,
    case_id: &str,
    form: TripForm,
    error: Option<&'static str>,
    created: Option<(String, String)>,
) -> Result<CaseTripsPage, WebError> {
    let t = staff.t();
    // Registering and listing follow the case's rule (its caseworker or an admin); a
    // trip's page and its alerts are open to every caseworker, since the one on call
    // must act on an alert whoever the case belongs to.
    policy::case(state, staff, case_id).await?;
    let trips = state
        .store()
        .trips_of_case(case_id)
        .await?
        .into_iter()
        .map(|m: TripMeta| TripRow {
            short: short(&m.id),
            status: status_label(t, m.status),
            created: format_utc(m.created_at),
            id: m.id,
        })
        .collect();
    Ok(CaseTripsPage {
        t,
        title: t.s("travel.trips_of_case"),
        nav: staff.nav(&format!("/office/cases/{}/trips", enc(case_id))),
        case_id: case_id.to_string(),
        trips,
        form: TripForm {
            pin: String::new(),
            duress_pin: String::new(),
            csrf: String::new(),
            ..form
        },
        error,
        created,
        checkin_path: state.cfg().checkin.path.clone(),
        action: format!("/office/cases/{}/trips", enc(case_id)),
        csrf: staff.session.csrf.clone(),
    })
}

pub(crate) async fn case_trips(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(case_id): Path<String>,
) -> Result<Response, WebError> {
    policy::require(&staff, Act::Open, Subject::Trip)?;
    let page = case_trips_page(&state, &staff, &case_id, TripForm::defaults(), None, None).await?;
    Ok(render(&page))
}

pub(crate) async fn create(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(case_id): Path<String>,
    Form(form): Form<TripForm>,
) -> Result<Response, WebError> {
    policy::require(&staff, Act::Open, Subject::Trip)?;
    staff.check_csrf(&form.csrf)?;
    policy::case(&state, &staff, &case_id).await?;
    let (mut trip, pin, duress) = match parse_trip(&case_id, &form) {
        Ok(x) => x,
        Err(key) => {
            let page = case_trips_page(&state, &staff, &case_id, form, Some(key), None).await?;
            return Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page));
        }
    };
    hash_pins(&state, &mut trip, pin, duress).await?;
    let (id, code) = state
        .store()
        .create_trip(&trip, &actor(&staff), state.now())
        .await?;
    let page = case_trips_page(
        &state,
        &staff,
        &case_id,
        TripForm::defaults(),
        None,
        Some((id, code.to_string())),
    )
    .await?;
    Ok(render(&page))
}

// ---------------------------------------------------------------------------------------
// A trip

pub(crate) struct CheckinRow {
    kind: &'static str,
    duress: bool,
    at: String,
    city: String,
}

pub(crate) struct AlertRow {
    id: String,
    stage: &'static str,
    duress: bool,
    deadline: String,
    raised: String,
    acked: Option<String>,
    needs_ack: bool,
}

#[derive(Template)]
#[template(path = "office/travel/trip.html")]
pub(crate) struct TripPage {
    t: Tr,
    title: String,
    nav: Option<Nav>,
    id: String,
    case_id: String,
    status: &'static str,
    planned: bool,
    active: bool,
    plan: TripPlan,
    places: Option<TripPlaces>,
    schedule: String,
    next_due: String,
    last_checkin: String,
    wrong_pins: String,
    briefed: Option<String>,
    briefing_lang: String,
    briefing: String,
    checkins: Vec<CheckinRow>,
    alerts: Vec<AlertRow>,
    error: Option<&'static str>,
}

#[derive(Debug, Deserialize, Default)]
pub(crate) struct TripQuery {
    #[serde(default)]
    lang: Option<String>,
}

async fn user_label(state: &OfficeState, id: &str) -> String {
    match state
        .store()
        .user_by_id(&reunite_domain::UserId(id.to_string()))
        .await
    {
        Ok(Some(u)) => u.username.expose().clone(),
        _ => id.to_string(),
    }
}

async fn trip_page(
    state: &OfficeState,
    staff: &Staff,
    id: &str,
    briefing_lang: Option<Lang>,
    error: Option<&'static str>,
) -> Result<TripPage, WebError> {
    let t = staff.t();
    let d = state
        .store()
        .read_trip(id, &actor(staff), state.now())
        .await?;
    let m = &d.meta;
    let blang = briefing_lang
        .or_else(|| parse_lang(&d.plan.lang))
        .unwrap_or(Lang::Ko);
    let briefing = briefing_text(state, blang).await?;
    let checkins = d
        .checkins
        .iter()
        .map(|c| CheckinRow {
            kind: match c.kind.as_str() {
                "back" => t.s("travel.checkin.back"),
                "duress" => t.s("travel.checkin.duress"),
                _ => t.s("travel.checkin.ok"),
            },
            duress: c.kind == "duress",
            at: format_utc(c.at),
            city: c.city.clone(),
        })
        .collect();
    let mut alerts = Vec::new();
    for a in &d.alerts {
        let acked = match &a.acked {
            Some((at, by, note)) => Some(t.f(
                "travel.acked",
                &[
                    ("who", &user_label(state, by).await),
                    ("at", &format_utc(*at)),
                    ("note", note),
                ],
            )),
            None => None,
        };
        alerts.push(AlertRow {
            id: a.id.clone(),
            stage: stage_label(t, a.stage),
            duress: a.stage == Stage::Duress,
            deadline: format_utc(a.deadline_at),
            raised: format_utc(a.raised_at),
            needs_ack: acked.is_none(),
            acked,
        });
    }
    Ok(TripPage {
        t,
        title: t.f("travel.view", &[("id", &short(&m.id))]),
        nav: staff.nav(&format!("/office/travel/trips/{}", enc(id))),
        id: m.id.clone(),
        case_id: m.case_id.clone(),
        status: status_label(t, m.status),
        planned: m.status == TripStatus::Planned,
        active: m.status == TripStatus::Active,
        schedule: schedule_text(t, &m.schedule),
        next_due: if m.status == TripStatus::Active {
            when(t, m.next_due_at)
        } else {
            String::new()
        },
        last_checkin: when(t, m.last_checkin_at),
        wrong_pins: t.f("travel.wrong_pins", &[("n", &m.wrong_pins.to_string())]),
        briefed: m.briefed.as_ref().map(|(at, l, _)| {
            t.f(
                "travel.briefing_confirmed",
                &[("at", &format_utc(*at)), ("lang", l)],
            )
        }),
        briefing_lang: crate::kernel::i18n::lang_code(blang).to_string(),
        briefing,
        plan: d.plan.clone(),
        places: d.places.clone(),
        checkins,
        alerts,
        error,
    })
}

pub(crate) async fn view(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(id): Path<String>,
    Query(q): Query<TripQuery>,
) -> Result<Response, WebError> {
    policy::require(&staff, Act::Open, Subject::Trip)?;
    let here = format!("/office/travel/trips/{}", enc(&id));
    staff.recent(&state, &here)?;
    let blang = q.lang.as_deref().and_then(parse_lang);
    let page = trip_page(&state, &staff, &id, blang, None).await?;
    Ok(render(&page))
}

#[derive(Debug, Deserialize)]
pub(crate) struct BriefingConfirm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    confirmed: String,
}

pub(crate) async fn confirm_briefing(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(form): Form<BriefingConfirm>,
) -> Result<Response, WebError> {
    policy::require(&staff, Act::Open, Subject::Trip)?;
    staff.check_csrf(&form.csrf)?;
    let blang = parse_lang(&form.lang).ok_or(WebError::BadRequest)?;
    if form.confirmed != "1" {
        let page = trip_page(&state, &staff, &id, Some(blang), Some("travel.err.state")).await?;
        return Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page));
    }
    let text = briefing_text(&state, blang).await?;
    state
        .store()
        .confirm_trip_briefing(
            &id,
            crate::kernel::i18n::lang_code(blang),
            &text_hash(&text),
            &actor(&staff),
            state.now(),
        )
        .await
        .map_err(state_error)?;
    Ok(Redirect::to(&format!("/office/travel/trips/{}", enc(&id))).into_response())
}

pub(crate) async fn activate(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, WebError> {
    policy::require(&staff, Act::Open, Subject::Trip)?;
    staff.check_csrf(&form.csrf)?;
    match state
        .store()
        .activate_trip(&id, &actor(&staff), state.now())
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/office/travel/trips/{}", enc(&id))).into_response()),
        Err(StoreError::Conflict(_)) => {
            let page = trip_page(&state, &staff, &id, None, Some("travel.err.state")).await?;
            Ok(render_status(StatusCode::CONFLICT, &page))
        }
        Err(e) => Err(WebError::from(e)),
    }
}

pub(crate) async fn end(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, WebError> {
    policy::require(&staff, Act::Open, Subject::Trip)?;
    staff.check_csrf(&form.csrf)?;
    state
        .store()
        .end_trip(&id, &actor(&staff), state.now())
        .await
        .map_err(state_error)?;
    Ok(Redirect::to(&format!("/office/travel/trips/{}", enc(&id))).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct AckForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    note: String,
}

pub(crate) async fn acknowledge(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(alert_id): Path<String>,
    Form(form): Form<AckForm>,
) -> Result<Response, WebError> {
    policy::require(&staff, Act::Open, Subject::Trip)?;
    staff.check_csrf(&form.csrf)?;
    let note = form.note.trim();
    if note.is_empty() || note.chars().count() > MAX_TEXT {
        return Err(WebError::BadRequest);
    }
    let trip = state
        .store()
        .acknowledge_trip_alert(&alert_id, note, &actor(&staff), state.now())
        .await
        .map_err(state_error)?;
    Ok(Redirect::to(&format!("/office/travel/trips/{}", enc(&trip))).into_response())
}

// ---------------------------------------------------------------------------------------
// Editing the briefing (admins)

pub(crate) struct BriefingText {
    lang: &'static str,
    name: &'static str,
    text: String,
}

#[derive(Template)]
#[template(path = "office/travel/briefing.html")]
pub(crate) struct BriefingPage {
    t: Tr,
    title: &'static str,
    nav: Option<Nav>,
    texts: Vec<BriefingText>,
    saved: bool,
}

#[derive(Debug, Deserialize, Default)]
pub(crate) struct SavedQuery {
    #[serde(default)]
    saved: Option<String>,
}

pub(crate) async fn briefing_form(
    State(state): State<OfficeState>,
    staff: Staff,
    Query(q): Query<SavedQuery>,
) -> Result<Response, WebError> {
    staff.require_role(&[Role::Admin])?;
    let t = staff.t();
    let mut texts = Vec::new();
    for (l, name) in [
        (Lang::Ko, "한국어"),
        (Lang::Zh, "简体中文"),
        (Lang::En, "English"),
    ] {
        texts.push(BriefingText {
            lang: crate::kernel::i18n::lang_code(l),
            name,
            text: briefing_text(&state, l).await?,
        });
    }
    Ok(render(&BriefingPage {
        t,
        title: t.s("travel.briefing_edit"),
        nav: staff.nav("/office/travel/briefing"),
        texts,
        saved: q.saved.is_some(),
    }))
}

#[derive(Debug, Deserialize)]
pub(crate) struct BriefingEdit {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    text: String,
}

pub(crate) async fn briefing_save(
    State(state): State<OfficeState>,
    staff: Staff,
    Form(form): Form<BriefingEdit>,
) -> Result<Response, WebError> {
    staff.require_role(&[Role::Admin])?;
    staff.check_csrf(&form.csrf)?;
    let l = parse_lang(&form.lang).ok_or(WebError::BadRequest)?;
    if form.text.chars().count() > 20 * MAX_TEXT {
        return Err(WebError::BadRequest);
    }
    // Saving the shipped text unchanged keeps following future shipped versions.
    let text = if form.text.trim() == shipped_briefing(l).trim() {
        ""
    } else {
        form.text.as_str()
    };
    state
        .store()
        .set_travel_briefing(
            crate::kernel::i18n::lang_code(l),
            text,
            &actor(&staff),
            state.now(),
        )
        .await?;
    Ok(Redirect::to("/office/travel/briefing?saved=1").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> TripForm {
        TripForm {
            starts_on: "2026-04-01".into(),
            ends_on: "2026-04-10".into(),
            pin: "1357".into(),
            duress_pin: "2468".into(),
            contacts: "sister; sms:+821012345678\nemail:a@example.org".into(),
            ..TripForm::defaults()
        }
    }

    #[test]
    fn forms_are_checked() {
        let (trip, pin, duress) = parse_trip("c1", &form()).unwrap();
        assert_eq!((pin.as_str(), duress.as_str()), ("1357", "2468"));
        assert_eq!(trip.plan.contacts.len(), 2);
        assert_eq!(trip.schedule.interval_mins, 24 * 60);
        let bad = |f: TripForm| parse_trip("c1", &f).err();
        assert_eq!(
            bad(TripForm {
                duress_pin: "1357".into(),
                ..form()
            }),
            Some("travel.err.pin")
        );
        assert_eq!(
            bad(TripForm {
                ends_on: "2026-03-01".into(),
                ..form()
            }),
            Some("travel.err.date")
        );
        assert_eq!(
            bad(TripForm {
                interval_hours: "0.5".into(),
                ..form()
            }),
            Some("travel.err.interval")
        );
        assert_eq!(
            bad(TripForm {
                tz: "Asia/Nowhere".into(),
                ..form()
            }),
            Some("travel.err.zone")
        );
        assert_eq!(
            bad(TripForm {
                contacts: "x; fax:123".into(),
                ..form()
            }),
            Some("travel.err.address")
        );
    }

    #[test]
    fn briefings_are_shipped_in_three_languages() {
        for l in Lang::ALL {
            let b = shipped_briefing(l);
            assert!(b.lines().count() > 20, "{l:?}");
        }
    }
}
