//! A case's history of changes.

use crate::OfficeState;
use crate::extract::Staff;
use crate::kernel::error::WebError;
use crate::kernel::i18n::Tr;
use crate::kernel::render::{Nav, enc, format_utc, render};
use crate::policy::{self};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;

use super::*;

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
        .case_history(&meta.id, &staff.case_actor(), state.now())
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
