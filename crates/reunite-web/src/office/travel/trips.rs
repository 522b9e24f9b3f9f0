//! Trips: registering one from its case, its page and timeline, the briefing's
//! confirmation, starting and ending it, and acknowledging its alerts. Closing a duress or
//! "many wrong PINs" alert, and ending a trip with an open alert, take two different
//! people (issue 16, finding 4): the first one's step is a proposal, a second one confirms.

use super::*;
use crate::jobs::notify::parse_address;
use crate::kernel::i18n::{lang_code, lang_from_code};
use crate::kernel::render::{Nav, enc, render, render_status};
use crate::policy::{self, Act, Subject};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use reunite_domain::Lang;
use reunite_domain::travel::{parse_hhmm, valid_pin};
use reunite_store::{AlertView, NewTrip, TripContact, TripMeta, TripPlaces, TripPlan, TwoPerson};
use serde::Deserialize;

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
            lang: lang_code(Lang::Ko).into(),
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

impl TripForm {
    /// The form as it is shown again: never with the PINs or the form token typed into it.
    pub(crate) fn without_secrets(self) -> TripForm {
        TripForm {
            pin: String::new(),
            duress_pin: String::new(),
            csrf: String::new(),
            ..self
        }
    }
}

/// Hashes a trip's PIN and duress PIN (Argon2id, off the async threads) into `trip`.
pub(crate) async fn hash_pins(
    state: &OfficeState,
    trip: &mut NewTrip,
    pin: String,
    duress: String,
) -> Result<(), WebError> {
    let policy = state.cfg().password_policy;
    let hashed = state
        .kdf(move || {
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
            lang: lang_code(lang_from_code(&f.lang).unwrap_or(Lang::Ko)).into(),
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
    // The case's team, and whoever is on travel duty (she must act on an alert whoever
    // the case belongs to); registering a trip is the case team's (see `create`).
    policy::trip_of_case(state, staff, case_id).await?;
    let trips = state
        .store()
        .trips_of_case(case_id)
        .await?
        .into_iter()
        .map(|m: TripMeta| TripRow {
            short: short(&m.id),
            status: t.label(m.status),
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
        form: form.without_secrets(),
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
    policy::case_to_act(&state, &staff, &case_id).await?;
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
        .create_trip(&trip, &staff.case_actor(), state.now())
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
    spaced: bool,
    at: String,
    city: String,
}

pub(crate) struct AlertRow {
    id: String,
    stage: &'static str,
    duress: bool,
    deadline: String,
    raised: String,
    /// The first of two acknowledgements (waiting for the second, or the first of a closed
    /// alert's two).
    proposed: Option<String>,
    acked: Option<String>,
    /// Not acknowledged by anyone yet: the first acknowledgement's form.
    needs_ack: bool,
    /// Closing it takes two people (duress, many wrong PINs).
    needs_two: bool,
    /// Waiting for a second person, and she is not the one who proposed it: the
    /// confirmation's form.
    can_confirm: bool,
    /// Waiting for a second person, and she is the one who proposed it.
    own_proposal: bool,
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
    /// Ending it now takes two people (an open alert).
    end_needs_two: bool,
    /// A request to end the trip waiting for a second person.
    end_proposed: Option<String>,
    /// She may confirm that request (she did not make it).
    can_confirm_end: bool,
    /// What her last step did (after a redirect): a message key.
    notice: Option<&'static str>,
    error: Option<&'static str>,
}

#[derive(Debug, Deserialize, Default)]
pub(crate) struct TripQuery {
    #[serde(default)]
    lang: Option<String>,
    /// What the last step did: `proposed` (a first acknowledgement or request to end, waiting
    /// for a second person).
    #[serde(default)]
    done: Option<String>,
}

async fn trip_page(
    state: &OfficeState,
    staff: &Staff,
    id: &str,
    briefing_lang: Option<Lang>,
    error: Option<&'static str>,
) -> Result<TripPage, WebError> {
    trip_page_with(state, staff, id, briefing_lang, None, error).await
}

async fn trip_page_with(
    state: &OfficeState,
    staff: &Staff,
    id: &str,
    briefing_lang: Option<Lang>,
    notice: Option<&'static str>,
    error: Option<&'static str>,
) -> Result<TripPage, WebError> {
    // Every path that shows the trip — its page, and the forms that come back to it with an
    // error — needs a recent re-authentication; it is checked here, where the trip is read.
    policy::trip(state, staff, Some(id), None).await?;
    staff.recent(state, &format!("/office/travel/trips/{}", enc(id)))?;
    let t = staff.t();
    let d = state
        .store()
        .read_trip(id, &staff.case_actor(), state.now())
        .await?;
    let m = &d.meta;
    let blang = briefing_lang
        .or_else(|| lang_from_code(&d.plan.lang))
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
            spaced: c.spaced,
            at: format_utc(c.at),
            city: c.city.clone(),
        })
        .collect();
    let me = staff.user.id.0.as_str();
    let mut alerts = Vec::new();
    for a in &d.alerts {
        let needs_two = a.stage.needs_two_people();
        let waiting = a.acked.is_none() && a.proposed.is_some();
        let proposed = match &a.proposed {
            Some((at, by, note)) => Some(t.f(
                if waiting {
                    "travel.proposed"
                } else {
                    "travel.proposed_first"
                },
                &[
                    ("who", &user_label(state, by).await),
                    ("at", &format_utc(*at)),
                    ("note", note),
                ],
            )),
            None => None,
        };
        let acked = match &a.acked {
            Some((at, by, note)) => Some(t.f(
                if a.proposed.is_some() {
                    "travel.confirmed"
                } else {
                    "travel.acked"
                },
                &[
                    ("who", &user_label(state, by).await),
                    ("at", &format_utc(*at)),
                    ("note", note),
                ],
            )),
            None => None,
        };
        let own = waiting && a.proposed.as_ref().is_some_and(|p| p.1 == me);
        alerts.push(AlertRow {
            id: a.id.clone(),
            stage: stage_label(t, a.stage),
            duress: a.stage == Stage::Duress,
            deadline: format_utc(a.deadline_at),
            raised: format_utc(a.raised_at),
            needs_ack: a.acked.is_none() && a.proposed.is_none(),
            needs_two,
            can_confirm: waiting && !own,
            own_proposal: own,
            proposed,
            acked,
        });
    }
    let active = m.status == TripStatus::Active;
    let end_proposed = match (&m.end_proposed, active) {
        (Some((at, by)), true) => Some((
            by == me,
            t.f(
                "travel.end_proposed",
                &[
                    ("who", &user_label(state, by).await),
                    ("at", &format_utc(*at)),
                ],
            ),
        )),
        _ => None,
    };
    Ok(TripPage {
        t,
        title: t.f("travel.view", &[("id", &short(&m.id))]),
        nav: staff.nav(&format!("/office/travel/trips/{}", enc(id))),
        id: m.id.clone(),
        case_id: m.case_id.clone(),
        status: t.label(m.status),
        planned: m.status == TripStatus::Planned,
        active,
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
        briefing_lang: lang_code(blang).to_string(),
        briefing,
        plan: d.plan.clone(),
        places: d.places.clone(),
        checkins,
        end_needs_two: d.alerts.iter().any(AlertView::is_open),
        can_confirm_end: end_proposed.as_ref().is_some_and(|(own, _)| !own),
        end_proposed: end_proposed.map(|(_, text)| text),
        alerts,
        notice,
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
    policy::trip(&state, &staff, Some(&id), None).await?;
    let here = format!("/office/travel/trips/{}", enc(&id));
    staff.recent(&state, &here)?;
    let blang = q.lang.as_deref().and_then(lang_from_code);
    let notice = (q.done.as_deref() == Some("proposed")).then_some("travel.proposed_notice");
    let page = trip_page_with(&state, &staff, &id, blang, notice, None).await?;
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
    policy::trip(&state, &staff, Some(&id), None).await?;
    staff.check_csrf(&form.csrf)?;
    let blang = lang_from_code(&form.lang).ok_or(WebError::BadRequest)?;
    if form.confirmed != "1" {
        let page = trip_page(&state, &staff, &id, Some(blang), Some("travel.err.state")).await?;
        return Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page));
    }
    let text = briefing_text(&state, blang).await?;
    state
        .store()
        .confirm_trip_briefing(
            &id,
            lang_code(blang),
            &text_hash(&text),
            &staff.case_actor(),
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
    policy::trip(&state, &staff, Some(&id), None).await?;
    staff.check_csrf(&form.csrf)?;
    match state
        .store()
        .activate_trip(&id, &staff.case_actor(), state.now())
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

/// Where a step under the two-person rule lands: the trip's page, saying so when the step
/// was recorded as a proposal for a second person.
fn after_step(trip: &str, step: TwoPerson) -> Response {
    let page = format!("/office/travel/trips/{}", enc(trip));
    match step {
        TwoPerson::Done => Redirect::to(&page),
        TwoPerson::Proposed => Redirect::to(&format!("{page}?done=proposed")),
    }
    .into_response()
}

/// A step the two-person rule refused, or that lost a race: the trip's page again with why,
/// in her language; nothing was changed.
async fn refused(
    state: &OfficeState,
    staff: &Staff,
    trip: &str,
    e: StoreError,
) -> Result<Response, WebError> {
    let key = match e {
        StoreError::SecondPerson(r) => r.message_key(),
        StoreError::Conflict(_) => match state.store().trip_meta(trip).await? {
            Some(m) if m.status == TripStatus::Active => "travel.err.changed",
            Some(_) => "travel.err.state",
            None => return Err(WebError::NotFound),
        },
        other => return Err(WebError::from(other)),
    };
    let page = trip_page(state, staff, trip, None, Some(key)).await?;
    Ok(render_status(StatusCode::CONFLICT, &page))
}

/// Ends the trip (she is back), or — with an open alert — proposes ending it to a second
/// person. Either stops or may stop the watch on her: only with a recent re-authentication.
pub(crate) async fn end(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, WebError> {
    end_step(state, staff, id, form, false).await
}

/// A second, different person confirms the request to end the trip.
pub(crate) async fn confirm_end(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, WebError> {
    end_step(state, staff, id, form, true).await
}

async fn end_step(
    state: OfficeState,
    staff: Staff,
    id: String,
    form: CsrfOnly,
    confirm: bool,
) -> Result<Response, WebError> {
    policy::require(&staff, Act::Open, Subject::Trip)?;
    policy::trip(&state, &staff, Some(&id), None).await?;
    staff.check_csrf(&form.csrf)?;
    staff.recent(&state, &format!("/office/travel/trips/{}", enc(&id)))?;
    let store = state.store();
    let done = if confirm {
        store
            .confirm_end_trip(&id, &staff.case_actor(), state.now())
            .await
            .map(|()| TwoPerson::Done)
    } else {
        store.end_trip(&id, &staff.case_actor(), state.now()).await
    };
    match done {
        Ok(step) => Ok(after_step(&id, step)),
        Err(e) => refused(&state, &staff, &id, e).await,
    }
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

/// The first acknowledgement of an alert, with a note: closes a missed check-in; for duress
/// and many wrong PINs, records a proposal for a second person.
pub(crate) async fn acknowledge(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(alert_id): Path<String>,
    Form(form): Form<AckForm>,
) -> Result<Response, WebError> {
    ack_step(state, staff, alert_id, form, false).await
}

/// A second, different person confirms an acknowledgement with her own note: the alert is
/// closed.
pub(crate) async fn confirm_ack(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(alert_id): Path<String>,
    Form(form): Form<AckForm>,
) -> Result<Response, WebError> {
    ack_step(state, staff, alert_id, form, true).await
}

async fn ack_step(
    state: OfficeState,
    staff: Staff,
    alert_id: String,
    form: AckForm,
    confirm: bool,
) -> Result<Response, WebError> {
    policy::require(&staff, Act::Open, Subject::Trip)?;
    policy::trip(&state, &staff, None, Some(&alert_id)).await?;
    staff.check_csrf(&form.csrf)?;
    // Closing an alert (a duress alert above all), or taking a step towards it, needs a
    // recent re-authentication; the caseworker comes back to the board, where the alert
    // still waits.
    staff.recent(&state, "/office/travel")?;
    let note = form.note.trim();
    if note.is_empty() || note.chars().count() > MAX_TEXT {
        return Err(WebError::BadRequest);
    }
    let store = state.store();
    let actor = staff.case_actor();
    let done = if confirm {
        store
            .confirm_trip_alert(&alert_id, note, &actor, state.now())
            .await
            .map(|trip_id| (trip_id, TwoPerson::Done))
    } else {
        store
            .acknowledge_trip_alert(&alert_id, note, &actor, state.now())
            .await
            .map(|a| (a.trip_id, a.step))
    };
    match done {
        Ok((trip, step)) => Ok(after_step(&trip, step)),
        Err(e @ (StoreError::SecondPerson(_) | StoreError::Conflict(_))) => {
            let trip = store.alert_trip(&alert_id).await?;
            refused(&state, &staff, &trip, e).await
        }
        Err(e) => Err(WebError::from(e)),
    }
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
}
