//! One case, read: every name in every script, the children, the separation, consent.

use crate::OfficeState;
use crate::extract::Staff;
use crate::kernel::error::WebError;
use crate::kernel::i18n::Tr;
use crate::kernel::render::{Nav, enc, render};
use crate::policy::{self, Act, Subject};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use reunite_domain::{Calendar, PartialDate, Person, Place};
use serde::Deserialize;

use super::*;

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
    team: String,
    /// She reads it under break-glass: no edit links, a banner saying so.
    in_glass: bool,
    /// Break-glass openings of this case (shown to the case's team only).
    glass: Vec<super::glass::GlassRow>,
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
                kind: t.label_or(n.kind, "case.kind.unknown"),
            })
            .collect(),
        sex: t.label_or(p.sex, "case.unknown"),
        birth: date_text(t, &p.birth),
        birthplace: place_text(t, &p.birthplace),
    }
}

pub(super) fn yes_no(t: Tr, b: bool) -> &'static str {
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
    let (meta, rel) = policy::relation(&state, &staff, &id).await?;
    if !policy::may(&staff, Act::Open, Subject::Case(rel)) {
        // Not hers: a caseworker may open it under break-glass, with a reason.
        return super::glass::offer(&state, &staff, &id, rel).await;
    }
    staff.recent(&state, &here)?;
    let stored = state
        .store()
        .read_case(&meta.id, &staff.case_actor(), "case", state.now())
        .await?;
    let names = staff_names(&state).await?;
    let on_case = policy::may(&staff, Act::SpeakForMother, Subject::Case(rel));
    let glass = if on_case {
        super::glass::rows(&state, &staff, &meta.id, &names).await?
    } else {
        Vec::new()
    };
    let team = super::glass::team_name(&state, meta.team_id.as_deref()).await?;
    let c = &stored.case;
    let consent = c.consent.unwrap_or_default();
    let sep = c.separation.clone().unwrap_or_default();
    Ok(render(&ViewPage {
        t,
        title: t.f("case.view_title", &[("id", &c.id)]),
        nav: staff.nav(&here),
        id: c.id.clone(),
        status: t.label(stored.status),
        assigned: match &stored.assigned_to {
            None => t.s("case.nobody").to_string(),
            Some(u) if *u == staff.user.id => t.s("case.me").to_string(),
            Some(u) => names.get(&u.0).cloned().unwrap_or_else(|| u.0.clone()),
        },
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
        sep_how: t.label_or(sep.cause, "case.unknown"),
        residence: place_text(t, &c.residence_cn),
        contact: t.label_or(c.contact, "case.unknown"),
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
        team,
        in_glass: !on_case,
        glass,
        notice: vq.saved.map(|_| t.s("case.saved")),
    }))
}
