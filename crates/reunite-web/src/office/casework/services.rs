//! A case's services and their referrals, and the printable referral sheet.

use crate::OfficeState;
use crate::extract::Staff;
use crate::kernel::error::WebError;
use crate::kernel::i18n::Tr;
use crate::kernel::render::{Nav, enc, format_utc, render, render_status};
use crate::kernel::vocab::from_form;
use crate::policy;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use reunite_domain::casework::{
    ReferralOutcome, ServiceKind, ServiceStatus, SharedField, valid_currency, valid_date,
};
use reunite_domain::{Lang, PartialDate, Vocab};
use reunite_store::StoreError;
use reunite_store::casework::CaseworkRefusal;
use reunite_store::casework::services::{Economic, MAX_LONG, MAX_SHORT, NewReferral, NewService};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "office/casework/services.html")]
pub(crate) struct ServicesPage {
    t: Tr,
    title: String,
    nav: Option<Nav>,
    case_id: String,
    rows: Vec<ServiceRow>,
    may_act: bool,
    kinds: Vec<(&'static str, &'static str)>,
    fields: Vec<(&'static str, &'static str)>,
    outcomes: Vec<(&'static str, &'static str)>,
    f: ServiceForm,
    errors: Vec<String>,
    referral_errors: Vec<String>,
    referral_for: String,
}

pub(crate) struct ServiceRow {
    id: String,
    kind: &'static str,
    status: &'static str,
    provider: String,
    start_on: String,
    end_on: String,
    amount: String,
    purpose: String,
    next: Vec<(&'static str, &'static str)>,
    referrals: Vec<ReferralRow>,
}

pub(crate) struct ReferralRow {
    id: String,
    partner: String,
    shared: String,
    outcome: &'static str,
    outcome_code: &'static str,
    created: String,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ServiceForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    provider: String,
    #[serde(default)]
    start_on: String,
    #[serde(default)]
    end_on: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    purpose: String,
}

/// The referral form: `shared` is a checkbox per field, so it comes as repeated pairs.
#[derive(Debug, Default)]
pub(crate) struct ReferralForm {
    csrf: String,
    partner: String,
    shared: Vec<String>,
    contact: String,
    summary: String,
    consent: String,
}

impl ReferralForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut f = Self::default();
        for (k, v) in pairs {
            match k.as_str() {
                "csrf" => f.csrf = v,
                "partner" => f.partner = v,
                "shared" => f.shared.push(v),
                "contact" => f.contact = v,
                "summary" => f.summary = v,
                "consent" => f.consent = v,
                _ => {}
            }
        }
        f
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct CodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    to: String,
}

/// An amount in minor units as the form shows it (whole units, no separators).
fn amount_text(e: &Economic) -> String {
    format!("{} {}", e.amount_minor, e.currency)
}

async fn page(
    state: &OfficeState,
    staff: &Staff,
    case_id: &str,
    f: ServiceForm,
    errors: Vec<String>,
    referral: (String, Vec<String>),
) -> Result<ServicesPage, WebError> {
    let t = staff.t();
    let (_, rel) = policy::relation(state, staff, case_id).await?;
    let may_act = policy::may(
        staff,
        policy::Act::SpeakForMother,
        policy::Subject::Case(rel),
    );
    let services = state
        .store()
        .list_services(case_id, &staff.case_actor(), state.now())
        .await?;
    let here = format!("/office/cases/{}/services", enc(case_id));
    let rows = services
        .into_iter()
        .map(|s| ServiceRow {
            kind: t.label(s.kind),
            status: t.label(s.status),
            next: s
                .status
                .next()
                .into_iter()
                .map(|n| (n.as_str(), t.label(n)))
                .collect(),
            amount: s.economic.as_ref().map(amount_text).unwrap_or_default(),
            purpose: s.economic.map(|e| e.purpose).unwrap_or_default(),
            referrals: s
                .referrals
                .into_iter()
                .map(|r| ReferralRow {
                    partner: r.partner,
                    shared: r
                        .shared
                        .iter()
                        .map(|f| t.label(*f))
                        .collect::<Vec<_>>()
                        .join(", "),
                    outcome: t.label(r.outcome),
                    outcome_code: r.outcome.as_str(),
                    created: format_utc(r.created_at),
                    id: r.id,
                })
                .collect(),
            provider: s.provider,
            start_on: s.start_on,
            end_on: s.end_on,
            id: s.id,
        })
        .collect();
    Ok(ServicesPage {
        t,
        title: t.f("casework.services_title", &[("id", case_id)]),
        nav: staff.nav(&here),
        case_id: case_id.to_string(),
        rows,
        may_act,
        kinds: t.options::<ServiceKind>(None),
        fields: t.options::<SharedField>(None),
        outcomes: t.options::<ReferralOutcome>(None),
        f,
        errors,
        referral_for: referral.0,
        referral_errors: referral.1,
    })
}

fn here(case_id: &str) -> String {
    format!("/office/cases/{}/services", enc(case_id))
}

pub(crate) async fn list(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(case_id): Path<String>,
) -> Result<Response, WebError> {
    policy::case(&state, &staff, &case_id).await?;
    staff.recent(&state, &here(&case_id))?;
    let f = ServiceForm {
        kind: "counselling".into(),
        ..ServiceForm::default()
    };
    let p = page(&state, &staff, &case_id, f, vec![], (String::new(), vec![])).await?;
    Ok(render(&p))
}

pub(crate) async fn add(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(case_id): Path<String>,
    Form(f): Form<ServiceForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&f.csrf)?;
    policy::case_to_act(&state, &staff, &case_id).await?;
    staff.recent(&state, &here(&case_id))?;
    let t = staff.t();
    let mut errors = Vec::new();
    let kind = from_form::<ServiceKind>(&f.kind);
    if kind.is_none() {
        errors.push(t.s("casework.err.choice").to_string());
    }
    if f.provider.trim().is_empty() {
        errors.push(format!(
            "{}: {}",
            t.s("casework.provider"),
            t.s("problem.missing")
        ));
    }
    if f.provider.len() > MAX_SHORT || f.purpose.len() > MAX_SHORT {
        errors.push(t.s("problem.too_long").to_string());
    }
    for d in [f.start_on.trim(), f.end_on.trim()] {
        if !d.is_empty() && !valid_date(d) {
            errors.push(format!(
                "{}: {}",
                t.s("casework.date"),
                t.s("casework.err.date")
            ));
        }
    }
    let economic = if kind == Some(ServiceKind::Economic) {
        let amount = f.amount.trim().parse::<i64>().ok().filter(|a| *a >= 0);
        let currency = f.currency.trim().to_ascii_uppercase();
        if amount.is_none() {
            errors.push(format!(
                "{}: {}",
                t.s("casework.amount"),
                t.s("casework.err.amount")
            ));
        }
        if !valid_currency(&currency) {
            errors.push(format!(
                "{}: {}",
                t.s("casework.currency"),
                t.s("casework.err.currency")
            ));
        }
        amount.map(|amount_minor| Economic {
            amount_minor,
            currency,
            purpose: f.purpose.trim().to_string(),
        })
    } else {
        None
    };
    let (Some(kind), true) = (kind, errors.is_empty()) else {
        let p = page(&state, &staff, &case_id, f, errors, (String::new(), vec![])).await?;
        return Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &p));
    };
    state
        .store()
        .add_service(
            &case_id,
            &NewService {
                kind,
                provider: f.provider.trim().to_string(),
                start_on: f.start_on.trim().to_string(),
                end_on: f.end_on.trim().to_string(),
                economic,
            },
            &staff.case_actor(),
            state.now(),
        )
        .await?;
    Ok(Redirect::to(&here(&case_id)).into_response())
}

/// The case of a service, if this staff member works on it (to change it).
async fn service_to_act(state: &OfficeState, staff: &Staff, sid: &str) -> Result<String, WebError> {
    if !policy::may(staff, policy::Act::Open, policy::Subject::Registry) {
        return Err(WebError::Forbidden);
    }
    let case_id = state
        .store()
        .service_case(sid)
        .await?
        .ok_or(WebError::NotFound)?;
    policy::case_to_act(state, staff, &case_id).await?;
    Ok(case_id)
}

pub(crate) async fn status(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(sid): Path<String>,
    Form(f): Form<CodeForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&f.csrf)?;
    let case_id = service_to_act(&state, &staff, &sid).await?;
    let to = from_form::<ServiceStatus>(&f.to).ok_or(WebError::BadRequest)?;
    match state
        .store()
        .set_service_status(&sid, to, &staff.case_actor(), state.now())
        .await
    {
        Ok(()) => Ok(Redirect::to(&here(&case_id)).into_response()),
        Err(StoreError::Casework(CaseworkRefusal::Transition)) => {
            // The page comes back with why (it shows sealed text: re-authentication first).
            staff.recent(&state, &here(&case_id))?;
            let blank = ServiceForm {
                kind: "counselling".into(),
                ..ServiceForm::default()
            };
            let errors = vec![staff.t().s("casework.err.transition").to_string()];
            let p = page(
                &state,
                &staff,
                &case_id,
                blank,
                errors,
                (String::new(), vec![]),
            )
            .await?;
            Ok(render_status(StatusCode::CONFLICT, &p))
        }
        Err(e) => Err(e.into()),
    }
}

pub(crate) async fn refer(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(sid): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let f = ReferralForm::from_pairs(pairs);
    staff.check_csrf(&f.csrf)?;
    let case_id = service_to_act(&state, &staff, &sid).await?;
    staff.recent(&state, &here(&case_id))?;
    let t = staff.t();
    let mut errors = Vec::new();
    let shared: Vec<SharedField> = f.shared.iter().filter_map(|s| from_form(s)).collect();
    if f.partner.trim().is_empty() {
        errors.push(format!(
            "{}: {}",
            t.s("casework.partner"),
            t.s("problem.missing")
        ));
    }
    if f.partner.len() > MAX_SHORT || f.contact.len() > MAX_LONG || f.summary.len() > MAX_LONG {
        errors.push(t.s("problem.too_long").to_string());
    }
    if f.consent != "yes" {
        errors.push(t.s("casework.err.consent").to_string());
    }
    if !errors.is_empty() {
        let blank = ServiceForm {
            kind: "counselling".into(),
            ..ServiceForm::default()
        };
        let p = page(&state, &staff, &case_id, blank, vec![], (sid, errors)).await?;
        return Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &p));
    }
    state
        .store()
        .create_referral(
            &sid,
            &NewReferral {
                partner: f.partner.trim().to_string(),
                shared,
                contact: f.contact.trim().to_string(),
                summary: f.summary.trim().to_string(),
                consent: true,
            },
            &staff.case_actor(),
            state.now(),
        )
        .await?;
    Ok(Redirect::to(&here(&case_id)).into_response())
}

pub(crate) async fn outcome(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(rid): Path<String>,
    Form(f): Form<CodeForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&f.csrf)?;
    if !policy::may(&staff, policy::Act::Open, policy::Subject::Registry) {
        return Err(WebError::Forbidden);
    }
    let case_id = state
        .store()
        .referral_case(&rid)
        .await?
        .ok_or(WebError::NotFound)?;
    policy::case_to_act(&state, &staff, &case_id).await?;
    let to = from_form::<ReferralOutcome>(&f.to).ok_or(WebError::BadRequest)?;
    state
        .store()
        .set_referral_outcome(&rid, to, &staff.case_actor(), state.now())
        .await?;
    Ok(Redirect::to(&here(&case_id)).into_response())
}

#[derive(Template)]
#[template(path = "office/casework/sheet.html")]
pub(crate) struct SheetPage {
    t: Tr,
    title: String,
    nav: Option<Nav>,
    id: String,
    case_id: String,
    service: &'static str,
    partner: String,
    date: String,
    lines: Vec<(&'static str, String)>,
    langs: Vec<(&'static str, &'static str)>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct SheetQuery {
    #[serde(default)]
    lang: Option<String>,
}

fn names_of(names: &[reunite_domain::Name]) -> String {
    names
        .iter()
        .map(|n| n.text.as_str())
        .collect::<Vec<_>>()
        .join(" / ")
}

fn date_of(d: &Option<PartialDate>) -> String {
    match d {
        Some(d) => [d.year, d.month.map(i32::from), d.day.map(i32::from)]
            .iter()
            .map_while(|x| x.map(|v| format!("{v:02}")))
            .collect::<Vec<_>>()
            .join("-"),
        None => String::new(),
    }
}

pub(crate) async fn sheet(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(rid): Path<String>,
    Query(q): Query<SheetQuery>,
) -> Result<Response, WebError> {
    if !policy::may(&staff, policy::Act::Open, policy::Subject::Registry) {
        return Err(WebError::Forbidden);
    }
    let case_id = state
        .store()
        .referral_case(&rid)
        .await?
        .ok_or(WebError::NotFound)?;
    policy::case(&state, &staff, &case_id).await?;
    let path = format!("/office/referrals/{}/sheet", enc(&rid));
    staff.recent(&state, &path)?;
    let t = Tr::new(
        q.lang
            .as_deref()
            .and_then(Lang::from_tag)
            .unwrap_or(staff.lang()),
    );
    let (r, kind) = state
        .store()
        .read_referral(&rid, &staff.case_actor(), state.now())
        .await?;
    let needs_case = r.shared.iter().any(|f| {
        matches!(
            f,
            SharedField::Names | SharedField::BirthDate | SharedField::Children
        )
    });
    let case = if needs_case {
        Some(
            state
                .store()
                .read_case(&case_id, &staff.case_actor(), "referral_sheet", state.now())
                .await?
                .case,
        )
    } else {
        None
    };
    let mut lines = Vec::new();
    for f in SharedField::ALL {
        if !r.shared.contains(&f) {
            continue;
        }
        let value = match (f, &case) {
            (SharedField::Names, Some(c)) => names_of(&c.mother.names),
            (SharedField::BirthDate, Some(c)) => date_of(&c.mother.birth),
            (SharedField::Children, Some(c)) => c
                .children
                .iter()
                .map(|ch| {
                    let d = date_of(&ch.birth);
                    if d.is_empty() {
                        names_of(&ch.names)
                    } else {
                        format!("{} ({d})", names_of(&ch.names))
                    }
                })
                .collect::<Vec<_>>()
                .join("; "),
            (SharedField::Contact, _) => r.extra.contact.clone(),
            (SharedField::Summary, _) => r.extra.summary.clone(),
            _ => String::new(),
        };
        lines.push((t.label(f), value));
    }
    let langs = [Lang::Ko, Lang::Zh, Lang::En]
        .into_iter()
        .map(|l| (Tr::new(l).code(), Tr::new(l).s("lang.name")))
        .collect();
    Ok(render(&SheetPage {
        title: t.s("casework.sheet_title").to_string(),
        nav: staff.nav(&path),
        id: rid,
        case_id,
        service: t.label(kind),
        partner: r.partner,
        date: format_utc(r.consent_at),
        lines,
        langs,
        t,
    }))
}
