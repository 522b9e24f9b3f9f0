//! The create and edit forms: rows of names and children without JavaScript, the
//! problems found shown next to their boxes, and saving.

use crate::OfficeState;
use crate::extract::Staff;
use crate::kernel::error::WebError;
use crate::kernel::i18n::Tr;
use crate::kernel::render::{Nav, enc, render, render_status};
use crate::policy::{self, Act, Subject};
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use reunite_domain::case::generic_path;
use reunite_domain::{
    Calendar, Case, CaseStatus, Cause, Child, ContactStatus, FieldProblem, Name, NameKind,
    PartialDate, Place,
};
use reunite_store::StoreError;

use super::*;
use crate::kernel::forms::{Fields, FormProblem};
use crate::kernel::vocab::form_str;

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

pub(super) fn name_rows(key: &str, names: &[Name], blank: usize) -> Vec<NameRow> {
    let mut rows: Vec<NameRow> = names
        .iter()
        .map(|n| (n.text.clone(), form_str(n.kind).to_string()))
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

pub(super) fn date_box(key: &str, d: &Option<PartialDate>) -> DateBox {
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

pub(super) fn place_box(key: &str, p: &Option<Place>) -> PlaceBox {
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

pub(super) fn child_box(t: Tr, j: usize, ch: &Child, blank_names: usize) -> ChildBox {
    ChildBox {
        idx: j,
        heading: t.f("case.child_n", &[("n", &(j + 1).to_string())]),
        names: name_rows(&format!("c_{j}_name"), &ch.names, blank_names),
        sex: form_str(ch.sex).into(),
        birth: date_box(&format!("c_{j}_birth"), &ch.birth),
        birthplace: place_box(&format!("c_{j}_bp"), &ch.birthplace),
        last_known: place_box(&format!("c_{j}_lk"), &ch.last_known),
        with_whom: ch.with_whom.clone().unwrap_or_default(),
        with_whom_error: None,
    }
}

/// The form for a case, with `blank` empty name rows after the filled ones.
pub(super) fn form_from_case(t: Tr, c: &Case, status: CaseStatus, blank: usize) -> FormModel {
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
        sep_cause: form_str(sep.cause).into(),
        residence: place_box("res", &c.residence_cn),
        contact: form_str(c.contact).into(),
        consent_findable: consent.findable,
        consent_by_child: consent.by_child,
        consent_by_relatives: consent.by_relatives,
        consent_statistics: consent.statistics,
        consent_disclose: consent.disclose_after_approval,
        status: status.as_str().into(),
    }
}

/// The form as submitted (every row, blank or not, plus `more` blank rows where asked).
pub(super) fn form_from_fields(t: Tr, f: &Fields, action: &str) -> FormModel {
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

pub(super) fn set_error(slot: &mut Option<String>, msg: String) {
    match slot {
        Some(s) => {
            s.push(' ');
            s.push_str(&msg);
        }
        None => *slot = Some(msg),
    }
}

/// Puts each problem next to its field; what has no place in the form goes to the top.
pub(super) fn place_problems(
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

pub(super) fn new_case_id() -> String {
    let tail: String = reunite_crypto::random_token()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(10)
        .collect::<String>()
        .to_lowercase();
    format!("c-{tail}")
}

#[allow(clippy::too_many_arguments)]
pub(super) fn form_page(
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
        kinds: t.options::<NameKind>(Some("case.kind.unknown")),
        causes: t.options::<Cause>(Some("case.unknown")),
        contacts: t.options::<ContactStatus>(Some("case.unknown")),
        statuses: t.options::<CaseStatus>(None),
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
pub(super) fn action_of(f: &Fields) -> String {
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
    // Whoever registers a case works on it: assigned to her (and in her team, if she has
    // exactly one), so that she can open what she has just written.
    let assigned = Some(&staff.user.id);
    state
        .store()
        .create_case(&case, status, assigned, &staff.case_actor(), state.now())
        .await?;
    if let [team] = staff.reach.teams.as_slice() {
        state
            .store()
            .set_case_team(&id, Some(team), &staff.case_actor(), state.now())
            .await?;
    }
    state.match_cases_soon();
    Ok(Redirect::to(&format!("/office/cases/{}?saved=1", enc(&id))).into_response())
}

pub(crate) async fn edit_form(
    State(state): State<OfficeState>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let t = staff.t();
    let meta = policy::case_to_act(&state, &staff, &id).await?;
    let here = format!("/office/cases/{}/edit", enc(&id));
    staff.recent(&state, &here)?;
    let stored = state
        .store()
        .read_case(&meta.id, &staff.case_actor(), "case_edit", state.now())
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
    let meta = policy::case_to_act(&state, &staff, &id).await?;
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
        .update_case(&case, status, version, &staff.case_actor(), state.now())
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
