//! The case registry in the office: list with filters and paging, view, create and edit
//! forms that take any number of names and children without JavaScript, history, and
//! assignment.
//!
//! Who sees what is the policy module's: the case's caseworker and team; others only
//! under break-glass (`glass.rs`); admins assign cases on the assignment page without
//! reading them. Every page that shows a name or a place needs a recent re-authentication
//! and is audited by the store before anything is read.
//!
//! The forms are plain HTML. Repeated parts (names, children) are numbered fields
//! (`m_name_0_text`, `c_1_name_2_kind`, …); "add another" buttons post the form back and
//! get it again with one more empty row, so nothing typed is lost.

use crate::OfficeState;
use crate::kernel::error::WebError;
use crate::kernel::i18n::Tr;
use axum::Router;
use axum::routing::{get, post};
use reunite_domain::case::generic_path;
use reunite_store::ChangeKind;
use std::collections::HashMap;

mod form;
pub(crate) mod glass;
mod history;
mod list;
mod parse;
mod view;

use parse::{Origin, parse_form};
pub(crate) use view::{PersonView, date_text, person_view, place_text};

const PAGE: usize = 25;

pub(crate) fn routes() -> Router<OfficeState> {
    Router::new()
        .route("/office/cases", get(list::list))
        .route("/office/cases/new", get(form::new_form).post(form::create))
        .route("/office/cases/{id}", get(view::view))
        .route(
            "/office/cases/{id}/edit",
            get(form::edit_form).post(form::save),
        )
        .route("/office/cases/{id}/history", get(history::history))
        .route("/office/cases/{id}/break-glass", post(glass::open))
}

// ---------------------------------------------------------------------------------------
// Labels

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

/// Staff names by account id, for showing who a case is assigned to and who changed it.
pub(crate) async fn staff_names(state: &OfficeState) -> Result<HashMap<String, String>, WebError> {
    let users = state.store().list_users().await?;
    Ok(users
        .into_iter()
        .map(|u| (u.id.0, u.username.into_inner()))
        .collect())
}
