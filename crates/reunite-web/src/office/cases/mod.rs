//! The case registry in the office: list with filters and paging, view, create and edit
//! forms that take any number of names and children without JavaScript, history, and
//! assignment.
//!
//! Who sees what: caseworkers the cases assigned to them, admins every case, everyone else
//! none. Every page that shows a name or a place needs a recent re-authentication and is
//! audited by the store before anything is read.
//!
//! The forms are plain HTML. Repeated parts (names, children) are numbered fields
//! (`m_name_0_text`, `c_1_name_2_kind`, …); "add another" buttons post the form back and
//! get it again with one more empty row, so nothing typed is lost.

use crate::OfficeState;
use crate::extract::Staff;
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
use reunite_domain::case::generic_path;
use reunite_domain::{
    Calendar, Case, CaseStatus, Cause, Child, Consent, ContactStatus, FieldProblem, Name, NameKind,
    PartialDate, Person, Place, Role, Separation, Sex, UserId,
};
use reunite_store::{Assigned, CaseActor, CaseFilter, ChangeKind, StoreError};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

const PAGE: usize = 25;

pub(crate) fn routes() -> Router<OfficeState> {
    Router::new()
        .route("/office/cases", get(list))
        .route("/office/cases/new", get(new_form).post(create))
        .route("/office/cases/{id}", get(view))
        .route("/office/cases/{id}/edit", get(edit_form).post(save))
        .route("/office/cases/{id}/history", get(history))
        .route("/office/cases/{id}/assign", post(assign))
}

// ---------------------------------------------------------------------------------------
// Labels

fn status_label(t: Tr, s: CaseStatus) -> &'static str {
    match s {
        CaseStatus::Open => t.s("case.status.open"),
        CaseStatus::InContact => t.s("case.status.in_contact"),
        CaseStatus::Reunited => t.s("case.status.reunited"),
        CaseStatus::Closed => t.s("case.status.closed"),
    }
}

pub(crate) fn kind_label(t: Tr, k: Option<NameKind>) -> &'static str {
    match k {
        Some(NameKind::Birth) => t.s("case.kind.birth"),
        Some(NameKind::Alias) => t.s("case.kind.alias"),
        Some(NameKind::Current) => t.s("case.kind.current"),
        Some(NameKind::Nickname) => t.s("case.kind.nickname"),
        None => t.s("case.kind.unknown"),
    }
}

pub(crate) fn sex_label(t: Tr, s: Option<Sex>) -> &'static str {
    match s {
        Some(Sex::F) => t.s("case.sex.f"),
        Some(Sex::M) => t.s("case.sex.m"),
        None => t.s("case.unknown"),
    }
}

fn cause_label(t: Tr, c: Option<Cause>) -> &'static str {
    match c {
        Some(Cause::Repatriation) => t.s("case.cause.repatriation"),
        Some(Cause::Flight) => t.s("case.cause.flight"),
        Some(Cause::Trafficking) => t.s("case.cause.trafficking"),
        Some(Cause::Other) => t.s("case.cause.other"),
        None => t.s("case.unknown"),
    }
}

fn contact_label(t: Tr, c: Option<ContactStatus>) -> &'static str {
    match c {
        Some(ContactStatus::None) => t.s("case.contact.none"),
        Some(ContactStatus::ContactNoMeeting) => t.s("case.contact.contact_no_meeting"),
        Some(ContactStatus::BlockedByFamily) => t.s("case.contact.blocked_by_family"),
        Some(ContactStatus::UnknownWhereabouts) => t.s("case.contact.unknown_whereabouts"),
        None => t.s("case.unknown"),
    }
}

fn change_label(t: Tr, k: ChangeKind) -> &'static str {
    match k {
        ChangeKind::Create => t.s("case.change.create"),
        ChangeKind::Import => t.s("case.change.import"),
        ChangeKind::Edit => t.s("case.change.edit"),
        ChangeKind::Assign => t.s("case.change.assign"),
    }
}

/// A field path in words: `children[1].birth.month` → "Child 2 · Date of birth · month".
fn field_label(t: Tr, path: &str) -> String {
    let (generic, idx) = generic_path(path);
    let mut idx = idx.into_iter();
    let mut parts: Vec<String> = Vec::new();
    for seg in generic.split('.') {
        let word = match seg {
            "mother" => t.s("case.mother").to_string(),
            "father" => t.s("case.father").to_string(),
            "children" => {
                let n = idx.next().map(|i| i + 1).unwrap_or(1);
                t.f("case.child_n", &[("n", &n.to_string())])
            }
            "names" => {
                let n = idx.next().map(|i| i + 1).unwrap_or(1);
                format!("{} {n}", t.s("case.name"))
            }
            "text" | "kind" => continue,
            "birth" => t.s("case.birth").to_string(),
            "birthplace" => t.s("case.birthplace").to_string(),
            "last_known" => t.s("case.last_known").to_string(),
            "with_whom" => t.s("case.with_whom").to_string(),
            "separation" => t.s("case.separation").to_string(),
            "date" => t.s("case.when").to_string(),
            "place" => t.s("case.where").to_string(),
            "cause" => t.s("case.how").to_string(),
            "residence_cn" => t.s("case.residence").to_string(),
            "contact" => t.s("case.contact").to_string(),
            "consent" => t.s("case.consent").to_string(),
            "status" => t.s("case.status").to_string(),
            "assigned_to" => t.s("case.assigned").to_string(),
            "year" => t.s("case.year").to_string(),
            "month" => t.s("case.month").to_string(),
            "day" => t.s("case.day").to_string(),
            "calendar" => t.s("case.calendar").to_string(),
            "approx_years" => t.s("case.approx").to_string(),
            "country" => t.s("case.country").to_string(),
            "sex" => t.s("case.sex").to_string(),
            other => other.to_string(),
        };
        parts.push(word);
    }
    parts.join(" · ")
}

// ---------------------------------------------------------------------------------------
// Access

fn actor(staff: &Staff) -> CaseActor {
    CaseActor::Staff(staff.user.id.clone())
}

/// Staff names by account id, for showing who a case is assigned to and who changed it.
pub(crate) async fn staff_names(state: &OfficeState) -> Result<HashMap<String, String>, WebError> {
    let users = state.store().list_users().await?;
    Ok(users
        .into_iter()
        .map(|u| (u.id.0, u.username.into_inner()))
        .collect())
}

// ---------------------------------------------------------------------------------------
// List

#[derive(Debug, Deserialize, Default)]
pub(crate) struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    child: String,
    #[serde(default)]
    place: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    assigned: String,
    #[serde(default)]
    page: Option<usize>,
}

pub(crate) struct ListRow {
    id: String,
    mother: String,
    children: String,
    status: &'static str,
    assigned: String,
    updated: String,
}

#[derive(Template)]
#[template(path = "office/cases/list.html")]
pub(crate) struct ListPage {
    t: Tr,
    title: &'static str,
    nav: Option<Nav>,
    is_admin: bool,
    q: String,
    child: String,
    place: String,
    status: String,
    assigned: String,
    statuses: Vec<(&'static str, &'static str)>,
    caseworkers: Vec<(String, String)>,
    rows: Vec<ListRow>,
    total: String,
    prev: Option<String>,
    next: Option<String>,
}

fn statuses(t: Tr) -> Vec<(&'static str, &'static str)> {
    CaseStatus::ALL
        .iter()
        .map(|s| (s.as_str(), status_label(t, *s)))
        .collect()
}

async fn caseworker_options(state: &OfficeState) -> Result<Vec<(String, String)>, WebError> {
    let users = state.store().list_users().await?;
    Ok(users
        .into_iter()
        .filter(|u| u.role == Role::Caseworker && !u.disabled)
        .map(|u| (u.id.0, u.username.into_inner()))
        .collect())
}

pub(crate) async fn list(
    State(state): State<OfficeState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    policy::require(&staff, Act::Open, Subject::Registry)?;
    staff.recent(&state, "/office/cases")?;
    let t = staff.t();
    let is_admin = staff.user.role == Role::Admin;
    let page = q.page.unwrap_or(0);
    let assigned = if !is_admin {
        Some(Assigned::To(staff.user.id.clone()))
    } else if q.assigned == "none" {
        Some(Assigned::Nobody)
    } else if q.assigned.is_empty() {
        None
    } else {
        Some(Assigned::To(UserId(q.assigned.clone())))
    };
    let nonempty = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
    let filter = CaseFilter {
        name: nonempty(&q.q),
        child: nonempty(&q.child),
        place: nonempty(&q.place),
        status: q.status.parse().ok(),
        assigned,
        offset: page * PAGE,
        limit: PAGE,
    };
    let result = state
        .store()
        .search_cases(&filter, &actor(&staff), state.now())
        .await
        .map_err(|_| WebError::AuditFailed)?;
    let names = if is_admin {
        staff_names(&state).await?
    } else {
        HashMap::new()
    };
    let rows = result
        .items
        .into_iter()
        .map(|c| ListRow {
            mother: c
                .mother_names
                .iter()
                .map(|n| n.expose().as_str())
                .collect::<Vec<_>>()
                .join(" · "),
            children: c
                .child_names
                .iter()
                .map(|n| n.expose().as_str())
                .collect::<Vec<_>>()
                .join(" · "),
            status: status_label(t, c.status),
            assigned: match &c.assigned_to {
                None => t.s("case.nobody").to_string(),
                Some(u) if *u == staff.user.id => t.s("case.me").to_string(),
                Some(u) => names.get(&u.0).cloned().unwrap_or_else(|| u.0.clone()),
            },
            updated: format_utc(reunite_domain::Timestamp(c.updated_at)),
            id: c.id,
        })
        .collect();
    let link = |p: usize| {
        format!(
            "/office/cases?q={}&child={}&place={}&status={}&assigned={}&page={p}",
            enc(&q.q),
            enc(&q.child),
            enc(&q.place),
            enc(&q.status),
            enc(&q.assigned)
        )
    };
    let caseworkers = if is_admin {
        caseworker_options(&state).await?
    } else {
        Vec::new()
    };
    Ok(render(&ListPage {
        t,
        title: t.s("cases.title"),
        nav: staff.nav("/office/cases"),
        is_admin,
        statuses: statuses(t),
        caseworkers,
        rows,
        total: t.f("cases.total", &[("n", &result.total.to_string())]),
        prev: (page > 0).then(|| link(page - 1)),
        next: ((page + 1) * PAGE < result.total).then(|| link(page + 1)),
        q: q.q,
        child: q.child,
        place: q.place,
        status: q.status,
        assigned: q.assigned,
    }))
}

// ---------------------------------------------------------------------------------------
// View

pub(crate) struct NameView {
    pub(crate) text: String,
    pub(crate) kind: &'static str,
}

pub(crate) struct PersonView {
    pub(crate) names: Vec<NameView>,
    pub(crate) sex: &'static str,
    pub(crate) birth: String,
    pub(crate) birthplace: String,
}

pub(crate) struct ChildView {
    heading: String,
    person: PersonView,
    last_known: String,
    with_whom: String,
}

#[derive(Template)]
#[template(path = "office/cases/view.html")]
pub(crate) struct ViewPage {
    t: Tr,
    title: String,
    nav: Option<Nav>,
    id: String,
    status: &'static str,
    assigned: String,
    version: i64,
    mother: PersonView,
    children: Vec<ChildView>,
    father: Option<PersonView>,
    sep_when: String,
    sep_where: String,
    sep_how: &'static str,
    residence: String,
    contact: &'static str,
    consent: Vec<(&'static str, &'static str)>,
    is_admin: bool,
    caseworkers: Vec<(String, String)>,
    assigned_id: String,
    notice: Option<&'static str>,
}

pub(crate) fn date_text(t: Tr, d: &Option<PartialDate>) -> String {
    let Some(d) = d else {
        return t.s("case.unknown").to_string();
    };
    if d.is_empty() {
        return t.s("case.unknown").to_string();
    }
    let mut s = String::new();
    if let Some(y) = d.year {
        s.push_str(&format!("{y:04}"));
    } else {
        s.push_str("????");
    }
    if let Some(m) = d.month {
        s.push_str(&format!("-{m:02}"));
        if let Some(day) = d.day {
            s.push_str(&format!("-{day:02}"));
        }
    }
    if d.calendar == Calendar::Lunar {
        s.push_str(&format!(" ({})", t.s("case.lunar")));
    }
    if d.approx_years > 0 {
        s.push_str(&format!(
            " {}",
            t.f("case.approx_n", &[("n", &d.approx_years.to_string())])
        ));
    }
    s
}

pub(crate) fn place_text(t: Tr, p: &Option<Place>) -> String {
    match p {
        Some(p) if !p.text.trim().is_empty() || p.country.is_some() => match &p.country {
            Some(c) => format!("{} ({c})", p.text),
            None => p.text.clone(),
        },
        _ => t.s("case.unknown").to_string(),
    }
}

pub(crate) fn person_view(t: Tr, p: &Person) -> PersonView {
    PersonView {
        names: p
            .names
            .iter()
            .map(|n| NameView {
                text: n.text.clone(),
                kind: kind_label(t, n.kind),
            })
            .collect(),
        sex: sex_label(t, p.sex),
        birth: date_text(t, &p.birth),
        birthplace: place_text(t, &p.birthplace),
    }
}

fn yes_no(t: Tr, b: bool) -> &'static str {
    if b { t.s("case.yes") } else { t.s("case.no") }
}

#[derive(Debug, Deserialize, Default)]
pub(crate) struct ViewQuery {
    #[serde(default)]
    saved: Option<String>,
}

pub(crate) async fn view(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(id): Path<String>,
    Query(vq): Query<ViewQuery>,
) -> Result<Response, WebError> {
    let t = staff.t();
    let here = format!("/office/cases/{}", enc(&id));
    let meta = policy::case(&state, &staff, &id).await?;
    staff.recent(&state, &here)?;
    let stored = state
        .store()
        .read_case(&meta.id, &actor(&staff), "case", state.now())
        .await?;
    let is_admin = staff.user.role == Role::Admin;
    let names = if is_admin {
        staff_names(&state).await?
    } else {
        HashMap::new()
    };
    let c = &stored.case;
    let consent = c.consent.unwrap_or_default();
    let sep = c.separation.clone().unwrap_or_default();
    Ok(render(&ViewPage {
        t,
        title: t.f("case.view_title", &[("id", &c.id)]),
        nav: staff.nav(&here),
        id: c.id.clone(),
        status: status_label(t, stored.status),
        assigned: match &stored.assigned_to {
            None => t.s("case.nobody").to_string(),
            Some(u) if *u == staff.user.id => t.s("case.me").to_string(),
            Some(u) => names.get(&u.0).cloned().unwrap_or_else(|| u.0.clone()),
        },
        assigned_id: stored
            .assigned_to
            .as_ref()
            .map(|u| u.0.clone())
            .unwrap_or_default(),
        version: stored.version,
        mother: person_view(t, &c.mother),
        children: c
            .children
            .iter()
            .enumerate()
            .map(|(i, ch)| ChildView {
                heading: t.f("case.child_n", &[("n", &(i + 1).to_string())]),
                person: person_view(t, &ch.person()),
                last_known: place_text(t, &ch.last_known),
                with_whom: ch
                    .with_whom
                    .clone()
                    .unwrap_or_else(|| t.s("case.unknown").to_string()),
            })
            .collect(),
        father: c.father.as_ref().map(|f| person_view(t, f)),
        sep_when: date_text(t, &sep.date),
        sep_where: place_text(t, &sep.place),
        sep_how: cause_label(t, sep.cause),
        residence: place_text(t, &c.residence_cn),
        contact: contact_label(t, c.contact),
        consent: vec![
            (t.s("case.consent.findable"), yes_no(t, consent.findable)),
            (t.s("case.consent.by_child"), yes_no(t, consent.by_child)),
            (
                t.s("case.consent.by_relatives"),
                yes_no(t, consent.by_relatives),
            ),
            (
                t.s("case.consent.statistics"),
                yes_no(t, consent.statistics),
            ),
            (
                t.s("case.consent.disclose"),
                yes_no(t, consent.disclose_after_approval),
            ),
        ],
        is_admin,
        caseworkers: if is_admin {
            caseworker_options(&state).await?
        } else {
            Vec::new()
        },
        notice: vq.saved.map(|_| t.s("case.saved")),
    }))
}

// ---------------------------------------------------------------------------------------
// The form

/// One name row of the form.
pub(crate) struct NameRow {
    key: String,
    text: String,
    kind: String,
    error: Option<String>,
}

/// A partial date in the form.
pub(crate) struct DateBox {
    key: String,
    year: String,
    month: String,
    day: String,
    lunar: bool,
    approx: String,
    error: Option<String>,
}

/// A place in the form.
pub(crate) struct PlaceBox {
    key: String,
    text: String,
    country: String,
    error: Option<String>,
}

pub(crate) struct ChildBox {
    idx: usize,
    heading: String,
    names: Vec<NameRow>,
    sex: String,
    birth: DateBox,
    birthplace: PlaceBox,
    last_known: PlaceBox,
    with_whom: String,
    with_whom_error: Option<String>,
}

/// Everything the form shows, as typed (so that nothing is lost on a round trip).
pub(crate) struct FormModel {
    mother_names: Vec<NameRow>,
    mother_birth: DateBox,
    mother_birthplace: PlaceBox,
    children: Vec<ChildBox>,
    father_names: Vec<NameRow>,
    sep_date: DateBox,
    sep_place: PlaceBox,
    sep_cause: String,
    residence: PlaceBox,
    contact: String,
    consent_findable: bool,
    consent_by_child: bool,
    consent_by_relatives: bool,
    consent_statistics: bool,
    consent_disclose: bool,
    status: String,
}

#[derive(Template)]
#[template(path = "office/cases/form.html")]
pub(crate) struct FormPage {
    t: Tr,
    title: String,
    nav: Option<Nav>,
    action: String,
    csrf: String,
    version: i64,
    f: FormModel,
    kinds: Vec<(&'static str, &'static str)>,
    causes: Vec<(&'static str, &'static str)>,
    contacts: Vec<(&'static str, &'static str)>,
    statuses: Vec<(&'static str, &'static str)>,
    errors: Vec<String>,
    cancel: String,
}

fn kinds(t: Tr) -> Vec<(&'static str, &'static str)> {
    vec![
        ("", t.s("case.kind.unknown")),
        ("birth", t.s("case.kind.birth")),
        ("alias", t.s("case.kind.alias")),
        ("current", t.s("case.kind.current")),
        ("nickname", t.s("case.kind.nickname")),
    ]
}

fn causes(t: Tr) -> Vec<(&'static str, &'static str)> {
    vec![
        ("", t.s("case.unknown")),
        ("repatriation", t.s("case.cause.repatriation")),
        ("flight", t.s("case.cause.flight")),
        ("trafficking", t.s("case.cause.trafficking")),
        ("other", t.s("case.cause.other")),
    ]
}

fn contacts(t: Tr) -> Vec<(&'static str, &'static str)> {
    vec![
        ("", t.s("case.unknown")),
        ("none", t.s("case.contact.none")),
        ("contact_no_meeting", t.s("case.contact.contact_no_meeting")),
        ("blocked_by_family", t.s("case.contact.blocked_by_family")),
        (
            "unknown_whereabouts",
            t.s("case.contact.unknown_whereabouts"),
        ),
    ]
}

fn kind_str(k: Option<NameKind>) -> &'static str {
    match k {
        Some(NameKind::Birth) => "birth",
        Some(NameKind::Alias) => "alias",
        Some(NameKind::Current) => "current",
        Some(NameKind::Nickname) => "nickname",
        None => "",
    }
}

fn sex_str(s: Option<Sex>) -> &'static str {
    match s {
        Some(Sex::F) => "f",
        Some(Sex::M) => "m",
        None => "",
    }
}

fn name_rows(key: &str, names: &[Name], blank: usize) -> Vec<NameRow> {
    let mut rows: Vec<NameRow> = names
        .iter()
        .map(|n| (n.text.clone(), kind_str(n.kind).to_string()))
        .chain(std::iter::repeat_n((String::new(), String::new()), blank))
        .enumerate()
        .map(|(i, (text, kind))| NameRow {
            key: format!("{key}_{i}"),
            text,
            kind,
            error: None,
        })
        .collect();
    if rows.is_empty() {
        rows.push(NameRow {
            key: format!("{key}_0"),
            text: String::new(),
            kind: String::new(),
            error: None,
        });
    }
    rows
}

fn date_box(key: &str, d: &Option<PartialDate>) -> DateBox {
    let d = d.unwrap_or_default();
    let n = |x: Option<String>| x.unwrap_or_default();
    DateBox {
        key: key.into(),
        year: n(d.year.map(|y| y.to_string())),
        month: n(d.month.map(|m| m.to_string())),
        day: n(d.day.map(|m| m.to_string())),
        lunar: d.calendar == Calendar::Lunar,
        approx: if d.approx_years > 0 {
            d.approx_years.to_string()
        } else {
            String::new()
        },
        error: None,
    }
}

fn place_box(key: &str, p: &Option<Place>) -> PlaceBox {
    PlaceBox {
        key: key.into(),
        text: p.as_ref().map(|p| p.text.clone()).unwrap_or_default(),
        country: p
            .as_ref()
            .and_then(|p| p.country.clone())
            .unwrap_or_default(),
        error: None,
    }
}

fn child_box(t: Tr, j: usize, ch: &Child, blank_names: usize) -> ChildBox {
    ChildBox {
        idx: j,
        heading: t.f("case.child_n", &[("n", &(j + 1).to_string())]),
        names: name_rows(&format!("c_{j}_name"), &ch.names, blank_names),
        sex: sex_str(ch.sex).into(),
        birth: date_box(&format!("c_{j}_birth"), &ch.birth),
        birthplace: place_box(&format!("c_{j}_bp"), &ch.birthplace),
        last_known: place_box(&format!("c_{j}_lk"), &ch.last_known),
        with_whom: ch.with_whom.clone().unwrap_or_default(),
        with_whom_error: None,
    }
}

/// The form for a case, with `blank` empty name rows after the filled ones.
fn form_from_case(t: Tr, c: &Case, status: CaseStatus, blank: usize) -> FormModel {
    let consent = c.consent.unwrap_or_default();
    let sep = c.separation.clone().unwrap_or_default();
    let mut children: Vec<ChildBox> = c
        .children
        .iter()
        .enumerate()
        .map(|(j, ch)| child_box(t, j, ch, blank.min(1)))
        .collect();
    if children.is_empty() {
        children.push(child_box(t, 0, &Child::default(), 2));
    }
    FormModel {
        mother_names: name_rows("m_name", &c.mother.names, blank),
        mother_birth: date_box("m_birth", &c.mother.birth),
        mother_birthplace: place_box("m_bp", &c.mother.birthplace),
        children,
        father_names: name_rows(
            "f_name",
            c.father.as_ref().map(|f| f.names.as_slice()).unwrap_or(&[]),
            blank.min(1),
        ),
        sep_date: date_box("sep_date", &sep.date),
        sep_place: place_box("sep_place", &sep.place),
        sep_cause: match sep.cause {
            Some(Cause::Repatriation) => "repatriation",
            Some(Cause::Flight) => "flight",
            Some(Cause::Trafficking) => "trafficking",
            Some(Cause::Other) => "other",
            None => "",
        }
        .into(),
        residence: place_box("res", &c.residence_cn),
        contact: match c.contact {
            Some(ContactStatus::None) => "none",
            Some(ContactStatus::ContactNoMeeting) => "contact_no_meeting",
            Some(ContactStatus::BlockedByFamily) => "blocked_by_family",
            Some(ContactStatus::UnknownWhereabouts) => "unknown_whereabouts",
            None => "",
        }
        .into(),
        consent_findable: consent.findable,
        consent_by_child: consent.by_child,
        consent_by_relatives: consent.by_relatives,
        consent_statistics: consent.statistics,
        consent_disclose: consent.disclose_after_approval,
        status: status.as_str().into(),
    }
}

/// The submitted form, by field name.
struct Fields(BTreeMap<String, String>);

impl Fields {
    fn get(&self, k: &str) -> &str {
        self.0.get(k).map(|s| s.as_str()).unwrap_or("")
    }
    fn on(&self, k: &str) -> bool {
        self.0.contains_key(k)
    }
    /// How many numbered rows `prefix_N_…` the form had.
    fn rows(&self, prefix: &str) -> usize {
        self.0
            .keys()
            .filter_map(|k| k.strip_prefix(prefix))
            .filter_map(|rest| rest.split('_').next()?.parse::<usize>().ok())
            .map(|n| n + 1)
            .max()
            .unwrap_or(0)
            .min(reunite_domain::record::MAX_ITEMS + 5)
    }
}

/// Where each kept name and child came from in the form (blank rows are dropped), so that a
/// problem the domain reports for `children[0].names[1]` lands next to the right row.
#[derive(Default)]
struct Origin {
    mother_names: Vec<usize>,
    father_names: Vec<usize>,
    children: Vec<(usize, Vec<usize>)>,
}

/// A problem found while reading the form itself (a year that is not a number).
struct FormProblem {
    /// Form key of the box (`m_birth`, `c_1_birth` …).
    key: String,
    message: &'static str,
}

fn parse_names(f: &Fields, key: &str) -> (Vec<Name>, Vec<usize>) {
    let mut names = Vec::new();
    let mut origin = Vec::new();
    for i in 0..f.rows(&format!("{key}_")) {
        let text = f.get(&format!("{key}_{i}_text")).trim().to_string();
        if text.is_empty() {
            continue;
        }
        let kind = match f.get(&format!("{key}_{i}_kind")) {
            "birth" => Some(NameKind::Birth),
            "alias" => Some(NameKind::Alias),
            "current" => Some(NameKind::Current),
            "nickname" => Some(NameKind::Nickname),
            _ => None,
        };
        names.push(Name { text, kind });
        origin.push(i);
    }
    (names, origin)
}

fn parse_date(f: &Fields, key: &str, problems: &mut Vec<FormProblem>) -> Option<PartialDate> {
    let mut bad = false;
    let mut num = |field: &str| -> Option<i64> {
        let s = f.get(&format!("{key}_{field}")).trim();
        if s.is_empty() {
            return None;
        }
        match s.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                bad = true;
                None
            }
        }
    };
    let year = num("year");
    let month = num("month");
    let day = num("day");
    let approx = num("approx");
    if bad {
        problems.push(FormProblem {
            key: key.into(),
            message: "case.problem.number",
        });
    }
    let clamp_u8 = |n: i64| u8::try_from(n).unwrap_or(u8::MAX);
    let d = PartialDate {
        year: year.map(|y| i32::try_from(y).unwrap_or(i32::MAX)),
        month: month.map(clamp_u8),
        day: day.map(clamp_u8),
        calendar: if f.on(&format!("{key}_lunar")) {
            Calendar::Lunar
        } else {
            Calendar::Solar
        },
        approx_years: approx.map(clamp_u8).unwrap_or(0),
    };
    (!d.is_empty() || d.approx_years > 0).then_some(d)
}

fn parse_place(f: &Fields, key: &str) -> Option<Place> {
    let text = f.get(&format!("{key}_text")).trim().to_string();
    let country = f.get(&format!("{key}_country")).trim().to_uppercase();
    if text.is_empty() && country.is_empty() {
        return None;
    }
    Some(Place {
        text,
        country: (!country.is_empty()).then_some(country),
    })
}

fn parse_sex(s: &str) -> Option<Sex> {
    match s {
        "f" => Some(Sex::F),
        "m" => Some(Sex::M),
        _ => None,
    }
}

/// Reads the submitted form into a case (blank rows dropped).
fn parse_form(f: &Fields, id: &str) -> (Case, CaseStatus, Origin, Vec<FormProblem>) {
    let mut problems = Vec::new();
    let mut origin = Origin::default();
    let (m_names, m_origin) = parse_names(f, "m_name");
    origin.mother_names = m_origin;
    let mother = Person {
        names: m_names,
        sex: Some(Sex::F),
        birth: parse_date(f, "m_birth", &mut problems),
        birthplace: parse_place(f, "m_bp"),
    };
    let mut children = Vec::new();
    for j in 0..f.rows("c_") {
        let (names, n_origin) = parse_names(f, &format!("c_{j}_name"));
        let with_whom = f.get(&format!("c_{j}_with")).trim().to_string();
        let ch = Child {
            names,
            sex: parse_sex(f.get(&format!("c_{j}_sex"))),
            birth: parse_date(f, &format!("c_{j}_birth"), &mut problems),
            birthplace: parse_place(f, &format!("c_{j}_bp")),
            last_known: parse_place(f, &format!("c_{j}_lk")),
            with_whom: (!with_whom.is_empty()).then_some(with_whom),
        };
        if ch != Child::default() {
            children.push(ch);
            origin.children.push((j, n_origin));
        }
    }
    let (f_names, f_origin) = parse_names(f, "f_name");
    origin.father_names = f_origin;
    let father = (!f_names.is_empty()).then_some(Person {
        names: f_names,
        sex: Some(Sex::M),
        ..Default::default()
    });
    let sep = Separation {
        date: parse_date(f, "sep_date", &mut problems),
        place: parse_place(f, "sep_place"),
        cause: match f.get("sep_cause") {
            "repatriation" => Some(Cause::Repatriation),
            "flight" => Some(Cause::Flight),
            "trafficking" => Some(Cause::Trafficking),
            "other" => Some(Cause::Other),
            _ => None,
        },
    };
    let separation = (sep != Separation::default()).then_some(sep);
    let contact = match f.get("contact") {
        "none" => Some(ContactStatus::None),
        "contact_no_meeting" => Some(ContactStatus::ContactNoMeeting),
        "blocked_by_family" => Some(ContactStatus::BlockedByFamily),
        "unknown_whereabouts" => Some(ContactStatus::UnknownWhereabouts),
        _ => None,
    };
    let consent = Consent {
        findable: f.on("consent_findable"),
        by_child: f.on("consent_by_child"),
        by_relatives: f.on("consent_by_relatives"),
        statistics: f.on("consent_statistics"),
        disclose_after_approval: f.on("consent_disclose"),
    };
    let case = Case {
        id: id.to_string(),
        mother,
        children,
        father,
        separation,
        residence_cn: parse_place(f, "res"),
        contact,
        consent: Some(consent),
    };
    let status = f.get("status").parse().unwrap_or_default();
    (case, status, origin, problems)
}

/// The form as submitted (every row, blank or not, plus `more` blank rows where asked).
fn form_from_fields(t: Tr, f: &Fields, action: &str) -> FormModel {
    let rows = |key: &str, extra: usize| -> Vec<NameRow> {
        let n = f.rows(&format!("{key}_")).max(1) + extra;
        (0..n)
            .map(|i| NameRow {
                key: format!("{key}_{i}"),
                text: f.get(&format!("{key}_{i}_text")).to_string(),
                kind: f.get(&format!("{key}_{i}_kind")).to_string(),
                error: None,
            })
            .collect()
    };
    let date = |key: &str| DateBox {
        key: key.into(),
        year: f.get(&format!("{key}_year")).into(),
        month: f.get(&format!("{key}_month")).into(),
        day: f.get(&format!("{key}_day")).into(),
        lunar: f.on(&format!("{key}_lunar")),
        approx: f.get(&format!("{key}_approx")).into(),
        error: None,
    };
    let place = |key: &str| PlaceBox {
        key: key.into(),
        text: f.get(&format!("{key}_text")).into(),
        country: f.get(&format!("{key}_country")).into(),
        error: None,
    };
    let add = |what: &str| usize::from(action == what);
    let n_children = f.rows("c_").max(1) + add("add_child");
    let children = (0..n_children)
        .map(|j| ChildBox {
            idx: j,
            heading: t.f("case.child_n", &[("n", &(j + 1).to_string())]),
            names: rows(
                &format!("c_{j}_name"),
                usize::from(action == format!("add_child_name_{j}")),
            ),
            sex: f.get(&format!("c_{j}_sex")).into(),
            birth: date(&format!("c_{j}_birth")),
            birthplace: place(&format!("c_{j}_bp")),
            last_known: place(&format!("c_{j}_lk")),
            with_whom: f.get(&format!("c_{j}_with")).into(),
            with_whom_error: None,
        })
        .collect();
    FormModel {
        mother_names: rows("m_name", add("add_mother_name")),
        mother_birth: date("m_birth"),
        mother_birthplace: place("m_bp"),
        children,
        father_names: rows("f_name", add("add_father_name")),
        sep_date: date("sep_date"),
        sep_place: place("sep_place"),
        sep_cause: f.get("sep_cause").into(),
        residence: place("res"),
        contact: f.get("contact").into(),
        consent_findable: f.on("consent_findable"),
        consent_by_child: f.on("consent_by_child"),
        consent_by_relatives: f.on("consent_by_relatives"),
        consent_statistics: f.on("consent_statistics"),
        consent_disclose: f.on("consent_disclose"),
        status: f.get("status").into(),
    }
}

fn set_error(slot: &mut Option<String>, msg: String) {
    match slot {
        Some(s) => {
            s.push(' ');
            s.push_str(&msg);
        }
        None => *slot = Some(msg),
    }
}

/// Puts each problem next to its field; what has no place in the form goes to the top.
fn place_problems(
    t: Tr,
    form: &mut FormModel,
    origin: &Origin,
    domain: &[FieldProblem],
    parsing: &[FormProblem],
) -> Vec<String> {
    let mut top = Vec::new();
    for p in parsing {
        let msg = t.s(p.message).to_string();
        let slot = if p.key == "m_birth" {
            Some(&mut form.mother_birth.error)
        } else if p.key == "sep_date" {
            Some(&mut form.sep_date.error)
        } else {
            p.key
                .strip_prefix("c_")
                .and_then(|r| r.split('_').next()?.parse::<usize>().ok())
                .and_then(|j| form.children.get_mut(j))
                .map(|c| &mut c.birth.error)
        };
        match slot {
            Some(s) => set_error(s, msg),
            None => top.push(msg),
        }
    }
    for p in domain {
        let msg = t.s(p.problem.key()).to_string();
        let (generic, idx) = generic_path(&p.field);
        let child = idx
            .first()
            .and_then(|&j| origin.children.get(j))
            .and_then(|(form_j, names)| Some((form.children.get_mut(*form_j)?, names)));
        let slot: Option<&mut Option<String>> = match generic.as_str() {
            "mother.names" | "mother.names.text" => {
                let row = idx
                    .first()
                    .and_then(|&i| origin.mother_names.get(i))
                    .copied();
                form.mother_names
                    .get_mut(row.unwrap_or(0))
                    .map(|r| &mut r.error)
            }
            "father.names" | "father.names.text" => {
                let row = idx
                    .first()
                    .and_then(|&i| origin.father_names.get(i))
                    .copied();
                form.father_names
                    .get_mut(row.unwrap_or(0))
                    .map(|r| &mut r.error)
            }
            g if g.starts_with("mother.birth.") => Some(&mut form.mother_birth.error),
            g if g.starts_with("mother.birthplace.") => Some(&mut form.mother_birthplace.error),
            g if g.starts_with("separation.date.") => Some(&mut form.sep_date.error),
            g if g.starts_with("separation.place.") => Some(&mut form.sep_place.error),
            g if g.starts_with("residence_cn.") => Some(&mut form.residence.error),
            g if g.starts_with("children.") => match child {
                Some((c, names)) => {
                    if g.starts_with("children.names") {
                        let row = idx.get(1).and_then(|&i| names.get(i)).copied().unwrap_or(0);
                        c.names.get_mut(row).map(|r| &mut r.error)
                    } else if g.starts_with("children.birth.") {
                        Some(&mut c.birth.error)
                    } else if g.starts_with("children.birthplace.") {
                        Some(&mut c.birthplace.error)
                    } else if g.starts_with("children.last_known.") {
                        Some(&mut c.last_known.error)
                    } else if g == "children.with_whom" {
                        Some(&mut c.with_whom_error)
                    } else {
                        None
                    }
                }
                None => None,
            },
            _ => None,
        };
        match slot {
            Some(s) => set_error(s, msg),
            None => top.push(format!("{}: {msg}", field_label(t, &p.field))),
        }
    }
    top
}

fn new_case_id() -> String {
    let tail: String = reunite_crypto::random_token()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(10)
        .collect::<String>()
        .to_lowercase();
    format!("c-{tail}")
}

#[allow(clippy::too_many_arguments)]
fn form_page(
    staff: &Staff,
    title: String,
    here: &str,
    action: String,
    version: i64,
    f: FormModel,
    errors: Vec<String>,
    cancel: String,
) -> FormPage {
    let t = staff.t();
    FormPage {
        t,
        title,
        nav: staff.nav(here),
        action,
        csrf: staff.session.csrf.clone(),
        version,
        f,
        kinds: kinds(t),
        causes: causes(t),
        contacts: contacts(t),
        statuses: statuses(t),
        errors,
        cancel,
    }
}

pub(crate) async fn new_form(
    State(_state): State<OfficeState>,
    staff: Staff,
) -> Result<Response, WebError> {
    policy::require(&staff, Act::Open, Subject::Registry)?;
    let t = staff.t();
    let blank = Case::default();
    let mut f = form_from_case(t, &blank, CaseStatus::Open, 3);
    f.consent_findable = false;
    Ok(render(&form_page(
        &staff,
        t.s("case.new_title").to_string(),
        "/office/cases/new",
        "/office/cases/new".into(),
        0,
        f,
        Vec::new(),
        "/office/cases".into(),
    )))
}

/// What the submit button asked for.
fn action_of(f: &Fields) -> String {
    f.get("action").to_string()
}

pub(crate) async fn create(
    State(state): State<OfficeState>,
    staff: Staff,
    Form(body): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    policy::require(&staff, Act::Open, Subject::Registry)?;
    let f = Fields(body.into_iter().collect());
    staff.check_csrf(f.get("csrf"))?;
    let t = staff.t();
    let action = action_of(&f);
    let title = t.s("case.new_title").to_string();
    let page = |model, errors, status| {
        render_status(
            status,
            &form_page(
                &staff,
                title.clone(),
                "/office/cases/new",
                "/office/cases/new".into(),
                0,
                model,
                errors,
                "/office/cases".into(),
            ),
        )
    };
    if action != "save" {
        return Ok(page(
            form_from_fields(t, &f, &action),
            Vec::new(),
            StatusCode::OK,
        ));
    }
    let id = new_case_id();
    let (case, status, origin, parsing) = parse_form(&f, &id);
    let problems = case.validate();
    if !problems.is_empty() || !parsing.is_empty() {
        let mut model = form_from_fields(t, &f, "");
        let top = place_problems(t, &mut model, &origin, &problems, &parsing);
        let mut errors = vec![t.s("case.fix_problems").to_string()];
        errors.extend(top);
        return Ok(page(model, errors, StatusCode::BAD_REQUEST));
    }
    // A caseworker's new case is hers; an admin's waits for an assignment.
    let assigned = (staff.user.role == Role::Caseworker).then_some(&staff.user.id);
    state
        .store()
        .create_case(&case, status, assigned, &actor(&staff), state.now())
        .await?;
    state.match_cases_soon();
    Ok(Redirect::to(&format!("/office/cases/{}?saved=1", enc(&id))).into_response())
}

pub(crate) async fn edit_form(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let t = staff.t();
    let meta = policy::case(&state, &staff, &id).await?;
    let here = format!("/office/cases/{}/edit", enc(&id));
    staff.recent(&state, &here)?;
    let stored = state
        .store()
        .read_case(&meta.id, &actor(&staff), "case_edit", state.now())
        .await?;
    let f = form_from_case(t, &stored.case, stored.status, 1);
    Ok(render(&form_page(
        &staff,
        t.f("case.edit_title", &[("id", &id)]),
        &here,
        here.clone(),
        stored.version,
        f,
        Vec::new(),
        format!("/office/cases/{}", enc(&id)),
    )))
}

pub(crate) async fn save(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(body): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let f = Fields(body.into_iter().collect());
    staff.check_csrf(f.get("csrf"))?;
    let t = staff.t();
    let meta = policy::case(&state, &staff, &id).await?;
    let here = format!("/office/cases/{}/edit", enc(&id));
    staff.recent(&state, &here)?;
    let version: i64 = f.get("version").parse().unwrap_or(-1);
    let action = action_of(&f);
    let page = |model, errors, status| {
        render_status(
            status,
            &form_page(
                &staff,
                t.f("case.edit_title", &[("id", &id)]),
                &here,
                here.clone(),
                version,
                model,
                errors,
                format!("/office/cases/{}", enc(&id)),
            ),
        )
    };
    if action != "save" {
        return Ok(page(
            form_from_fields(t, &f, &action),
            Vec::new(),
            StatusCode::OK,
        ));
    }
    let (case, status, origin, parsing) = parse_form(&f, &meta.id);
    let problems = case.validate();
    if !problems.is_empty() || !parsing.is_empty() {
        let mut model = form_from_fields(t, &f, "");
        let top = place_problems(t, &mut model, &origin, &problems, &parsing);
        let mut errors = vec![t.s("case.fix_problems").to_string()];
        errors.extend(top);
        return Ok(page(model, errors, StatusCode::BAD_REQUEST));
    }
    match state
        .store()
        .update_case(&case, status, version, &actor(&staff), state.now())
        .await
    {
        Ok(_) => {
            state.match_cases_soon();
            Ok(Redirect::to(&format!("/office/cases/{}?saved=1", enc(&id))).into_response())
        }
        Err(StoreError::Conflict(_)) => Ok(page(
            form_from_fields(t, &f, ""),
            vec![t.s("case.conflict").to_string()],
            StatusCode::CONFLICT,
        )),
        Err(e) => Err(WebError::from(e)),
    }
}

// ---------------------------------------------------------------------------------------
// History and assignment

pub(crate) struct HistoryRow {
    version: i64,
    at: String,
    who: String,
    what: &'static str,
    fields: Vec<String>,
}

#[derive(Template)]
#[template(path = "office/cases/history.html")]
pub(crate) struct HistoryPage {
    t: Tr,
    title: String,
    nav: Option<Nav>,
    id: String,
    rows: Vec<HistoryRow>,
}

pub(crate) async fn history(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let t = staff.t();
    let meta = policy::case(&state, &staff, &id).await?;
    let here = format!("/office/cases/{}/history", enc(&id));
    staff.recent(&state, &here)?;
    let versions = state
        .store()
        .case_history(&meta.id, &actor(&staff), state.now())
        .await?;
    let names = staff_names(&state).await?;
    let rows = versions
        .into_iter()
        .map(|v| HistoryRow {
            version: v.version,
            at: format_utc(v.at),
            who: match v.actor.as_str() {
                "cli" => t.s("case.by_cli").to_string(),
                "demo" => t.s("case.by_demo").to_string(),
                other => names
                    .get(other)
                    .cloned()
                    .unwrap_or_else(|| other.to_string()),
            },
            what: change_label(t, v.kind),
            fields: v.fields.iter().map(|p| field_label(t, p)).collect(),
        })
        .collect();
    Ok(render(&HistoryPage {
        t,
        title: t.f("case.history_title", &[("id", &id)]),
        nav: staff.nav(&here),
        id,
        rows,
    }))
}

#[derive(Debug, Deserialize)]
pub(crate) struct AssignForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    to: String,
}

pub(crate) async fn assign(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(form): Form<AssignForm>,
) -> Result<Response, WebError> {
    staff.require_role(&[Role::Admin])?;
    staff.check_csrf(&form.csrf)?;
    let meta = policy::case(&state, &staff, &id).await?;
    let to = (!form.to.is_empty()).then(|| UserId(form.to.clone()));
    if let Some(u) = &to {
        let ok = state
            .store()
            .user_by_id(u)
            .await?
            .is_some_and(|u| u.role == Role::Caseworker && !u.disabled);
        if !ok {
            return Err(WebError::BadRequest);
        }
    }
    state
        .store()
        .assign_case(&meta.id, to.as_ref(), &actor(&staff), state.now())
        .await?;
    Ok(Redirect::to(&format!("/office/cases/{}?saved=1", enc(&id))).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        Fields(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn blank_rows_are_dropped_and_problems_land_on_their_row() {
        let f = fields(&[
            ("m_name_0_text", ""),
            ("m_name_1_text", "리영자"),
            ("m_name_1_kind", "birth"),
            ("m_name_2_text", "李英子"),
            ("m_name_2_kind", "alias"),
            ("m_birth_year", "1979"),
            ("m_birth_month", "13"),
            ("c_0_name_0_text", ""),
            ("c_1_name_0_text", "王明"),
            ("c_1_birth_month", "2"),
            ("c_1_birth_day", "31"),
            ("sep_date_year", "이천십일"),
            ("consent_findable", "1"),
            ("status", "in_contact"),
        ]);
        let (case, status, origin, parsing) = parse_form(&f, "c-x");
        assert_eq!(status, CaseStatus::InContact);
        assert_eq!(case.mother.names.len(), 2);
        assert_eq!(case.mother.names[1].kind, Some(NameKind::Alias));
        assert_eq!(case.children.len(), 1, "the blank child is dropped");
        assert!(case.consent.unwrap().findable);
        assert!(!case.consent.unwrap().by_child);
        let t = Tr::new(reunite_domain::Lang::En);
        let mut model = form_from_fields(t, &f, "");
        let problems = case.validate();
        let top = place_problems(t, &mut model, &origin, &problems, &parsing);
        assert!(top.is_empty(), "{top:?}");
        assert!(model.mother_birth.error.is_some());
        assert!(
            model.children[1].birth.error.is_some(),
            "child 2 of the form"
        );
        assert!(model.children[0].birth.error.is_none());
        assert!(model.sep_date.error.is_some());
    }

    #[test]
    fn add_buttons_add_one_blank_row_and_keep_what_was_typed() {
        let f = fields(&[
            ("m_name_0_text", "리영자"),
            ("c_0_name_0_text", "王明"),
            ("c_0_name_1_text", "명이"),
        ]);
        let t = Tr::new(reunite_domain::Lang::Ko);
        let m = form_from_fields(t, &f, "add_mother_name");
        assert_eq!(m.mother_names.len(), 2);
        assert_eq!(m.mother_names[0].text, "리영자");
        let m = form_from_fields(t, &f, "add_child_name_0");
        assert_eq!(m.children[0].names.len(), 3);
        assert_eq!(m.children[0].names[1].text, "명이");
        let m = form_from_fields(t, &f, "add_child");
        assert_eq!(m.children.len(), 2);
        assert_eq!(m.children[1].names[0].key, "c_1_name_0");
    }

    #[test]
    fn field_labels_read_as_words() {
        let t = Tr::new(reunite_domain::Lang::En);
        assert_eq!(
            field_label(t, "children[1].birth.month"),
            format!(
                "{} · {} · {}",
                t.f("case.child_n", &[("n", "2")]),
                t.s("case.birth"),
                t.s("case.month")
            )
        );
    }
}
