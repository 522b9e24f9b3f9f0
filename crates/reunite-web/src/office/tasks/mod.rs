//! Follow-ups and tasks of a case, "my tasks" across the cases one works on, and the counts
//! of the office home (the dashboard).
//!
//! Who: a case's tasks open with the case (`policy::case`; re-authenticated, the text is
//! identifying) and change only for those who work on it (`policy::case_to_act`). A task is
//! assigned to someone who may open the case. "My tasks" and the dashboard count only the
//! cases `visible_case_ids` gives (not those open under break-glass). Due times are entered
//! and shown in the office's zone (`WebConfig::office_tz`); the store keeps UTC.

mod case;
mod dashboard;
mod mine;

pub(crate) use dashboard::dashboard;

use crate::OfficeState;
use crate::kernel::i18n::Tr;
use axum::Router;
use axum::routing::{get, post};
use reunite_domain::Timestamp;
use reunite_domain::task::{Due, format_local};
use reunite_store::Task;

/// The routes of this feature.
pub(crate) fn routes() -> Router<OfficeState> {
    Router::new()
        .route(
            "/office/cases/{id}/tasks",
            get(case::list).post(case::create),
        )
        .route("/office/tasks", get(mine::list))
        .route("/office/tasks/{id}/done", post(case::done))
}

/// One task as a row of a page.
pub(crate) struct Row {
    id: String,
    case_id: String,
    what: String,
    due: String,
    overdue: bool,
    done: Option<String>,
    link: Option<(String, &'static str, String)>,
    mine: bool,
}

/// The page of what a link points at: (href, label, id).
fn link_of(t: Tr, kind: &str, id: &str) -> Option<(String, &'static str, String)> {
    let enc = crate::kernel::render::enc(id);
    let href = match kind {
        "match" => format!("/office/matches/{enc}"),
        "request" => format!("/office/requests/{enc}"),
        "dna" => format!("/office/dna/{enc}"),
        "trip" => format!("/office/travel/trips/{enc}"),
        _ => return None,
    };
    Some((href, t.s(&format!("tasks.link.{kind}")), id.to_string()))
}

/// A due time as the office reads it.
pub(crate) fn show_due(due: Due, tz: &str) -> String {
    let (d, time) = due.local(tz);
    if time.is_empty() {
        d
    } else {
        format!("{d} {time}")
    }
}

fn row(t: Tr, task: &Task, me: &str, tz: &str, now: Timestamp) -> Row {
    Row {
        id: task.id.clone(),
        case_id: task.case_id.clone(),
        what: task.what.clone(),
        due: show_due(task.due, tz),
        overdue: task.overdue(now),
        done: task.done.as_ref().map(|(_, at)| format_local(*at, tz)),
        link: task.link.as_ref().and_then(|(k, id)| link_of(t, k, id)),
        mine: task.assigned_to.0 == me,
    }
}
