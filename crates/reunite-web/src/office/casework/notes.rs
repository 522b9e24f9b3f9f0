//! A case's notes: the list, adding one, and opening a restricted one.

use crate::OfficeState;
use crate::extract::Staff;
use crate::kernel::error::WebError;
use crate::kernel::i18n::Tr;
use crate::kernel::render::{Nav, enc, render, render_status};
use crate::kernel::vocab::from_form;
use crate::office::cases::staff_names;
use crate::policy;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use reunite_domain::casework::{NoteKind, NoteVisibility, valid_date};
use reunite_store::casework::notes::{MAX_NOTE, NewNote};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "office/casework/notes.html")]
pub(crate) struct NotesPage {
    t: Tr,
    title: String,
    nav: Option<Nav>,
    case_id: String,
    rows: Vec<NoteRow>,
    may_add: bool,
    kinds: Vec<(&'static str, &'static str)>,
    visibilities: Vec<(&'static str, &'static str)>,
    f: NoteForm,
    errors: Vec<String>,
}

pub(crate) struct NoteRow {
    id: String,
    kind: &'static str,
    noted_on: String,
    author: String,
    restricted: bool,
    may_read: bool,
    text: String,
}

#[derive(Template)]
#[template(path = "office/casework/note.html")]
pub(crate) struct NotePage {
    t: Tr,
    title: String,
    nav: Option<Nav>,
    case_id: String,
    kind: &'static str,
    noted_on: String,
    author: String,
    visibility: &'static str,
    text: String,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct NoteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    visibility: String,
    #[serde(default)]
    noted_on: String,
    #[serde(default)]
    text: String,
}

async fn page(
    state: &OfficeState,
    staff: &Staff,
    case_id: &str,
    f: NoteForm,
    errors: Vec<String>,
) -> Result<NotesPage, WebError> {
    let t = staff.t();
    let (_, rel) = policy::relation(state, staff, case_id).await?;
    let notes = state
        .store()
        .list_notes(case_id, &staff.case_actor(), state.now())
        .await?;
    let names = staff_names(state).await?;
    let here = format!("/office/cases/{}/notes", enc(case_id));
    let rows = notes
        .into_iter()
        .map(|n| {
            let restricted = n.visibility == NoteVisibility::Restricted;
            let may_read = restricted
                && policy::may(
                    staff,
                    policy::Act::Open,
                    policy::Subject::RestrictedNote {
                        author: n.author == staff.user.id,
                        rel,
                    },
                );
            NoteRow {
                kind: t.label(n.kind),
                author: names.get(&n.author.0).cloned().unwrap_or_default(),
                text: n.text.unwrap_or_default(),
                id: n.id,
                noted_on: n.noted_on,
                restricted,
                may_read,
            }
        })
        .collect();
    Ok(NotesPage {
        t,
        title: t.f("casework.notes_title", &[("id", case_id)]),
        nav: staff.nav(&here),
        case_id: case_id.to_string(),
        rows,
        may_add: policy::may(
            staff,
            policy::Act::SpeakForMother,
            policy::Subject::Case(rel),
        ),
        kinds: t.options::<NoteKind>(None),
        visibilities: t.options::<NoteVisibility>(None),
        f,
        errors,
    })
}

pub(crate) async fn list(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(case_id): Path<String>,
) -> Result<Response, WebError> {
    policy::case(&state, &staff, &case_id).await?;
    staff.recent(&state, &format!("/office/cases/{}/notes", enc(&case_id)))?;
    let f = NoteForm {
        kind: "contact".into(),
        visibility: "team".into(),
        ..NoteForm::default()
    };
    Ok(render(&page(&state, &staff, &case_id, f, vec![]).await?))
}

pub(crate) async fn add(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(case_id): Path<String>,
    Form(f): Form<NoteForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&f.csrf)?;
    policy::case_to_act(&state, &staff, &case_id).await?;
    let here = format!("/office/cases/{}/notes", enc(&case_id));
    staff.recent(&state, &here)?;
    let t = staff.t();
    let mut errors = Vec::new();
    let kind = from_form::<NoteKind>(&f.kind);
    let visibility = from_form::<NoteVisibility>(&f.visibility);
    if kind.is_none() || visibility.is_none() {
        errors.push(t.s("casework.err.choice").to_string());
    }
    if !valid_date(f.noted_on.trim()) {
        errors.push(format!(
            "{}: {}",
            t.s("casework.date"),
            t.s("casework.err.date")
        ));
    }
    if f.text.trim().is_empty() {
        errors.push(format!(
            "{}: {}",
            t.s("casework.text"),
            t.s("problem.missing")
        ));
    }
    if f.text.len() > MAX_NOTE {
        errors.push(t.s("problem.too_long").to_string());
    }
    let (Some(kind), Some(visibility), true) = (kind, visibility, errors.is_empty()) else {
        let p = page(&state, &staff, &case_id, f, errors).await?;
        return Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &p));
    };
    state
        .store()
        .add_note(
            &case_id,
            &NewNote {
                kind,
                visibility,
                noted_on: f.noted_on.trim().to_string(),
                text: f.text.trim().to_string(),
            },
            &staff.user.id,
            state.now(),
        )
        .await?;
    Ok(Redirect::to(&here).into_response())
}

pub(crate) async fn view(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(nid): Path<String>,
) -> Result<Response, WebError> {
    let (meta, may_read) = policy::note(&state, &staff, &nid).await?;
    if !may_read {
        return Err(WebError::Forbidden);
    }
    staff.recent(&state, &format!("/office/notes/{}", enc(&nid)))?;
    let n = state
        .store()
        .read_note(&nid, &staff.user.id, state.now())
        .await?;
    let t = staff.t();
    let names = staff_names(&state).await?;
    let here = format!("/office/notes/{}", enc(&nid));
    Ok(render(&NotePage {
        t,
        title: t.s("casework.note_title").to_string(),
        nav: staff.nav(&here),
        case_id: meta.case_id,
        kind: t.label(n.kind),
        noted_on: n.noted_on,
        author: names.get(&n.author.0).cloned().unwrap_or_default(),
        visibility: t.label(n.visibility),
        text: n.text.unwrap_or_default(),
    }))
}
