//! "My tasks": the tasks assigned to me in the cases I work on — overdue first, then
//! today's, then later ones; done or not done.

use super::{Row, row};
use crate::OfficeState;
use crate::extract::Staff;
use crate::kernel::error::WebError;
use crate::kernel::i18n::Tr;
use crate::kernel::render::{Nav, render};
use crate::policy::{self, Act, Subject};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use reunite_domain::task::day_bounds;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "office/tasks/mine.html")]
pub(crate) struct MinePage {
    t: Tr,
    title: String,
    nav: Option<Nav>,
    show_done: bool,
    /// (heading key, id, rows): overdue, today, later — or done.
    groups: Vec<(&'static str, &'static str, Vec<Row>)>,
    empty: bool,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct MineQuery {
    #[serde(default)]
    done: String,
}

pub(crate) async fn list(
    State(state): State<OfficeState>,
    staff: Staff,
    Query(q): Query<MineQuery>,
) -> Result<Response, WebError> {
    policy::require(&staff, Act::Open, Subject::Registry)?;
    let show_done = q.done == "1";
    let here = if show_done {
        "/office/tasks?done=1"
    } else {
        "/office/tasks"
    };
    staff.recent(&state, here)?;
    let t = staff.t();
    let now = state.now();
    let tz = state.cfg().office_tz.clone();
    let cases = state
        .store()
        .visible_case_ids(&staff.user.id, false, now)
        .await?;
    let tasks = state
        .store()
        .tasks_of_user(
            &staff.user.id,
            &cases,
            Some(show_done),
            &staff.case_actor(),
            now,
        )
        .await?;
    let (_, today_end) = day_bounds(&tz, now);
    let me = staff.user.id.0.clone();
    let mut groups = if show_done {
        vec![("tasks.group.done", "tasks-done", Vec::new())]
    } else {
        vec![
            ("tasks.group.overdue", "tasks-overdue", Vec::new()),
            ("tasks.group.today", "tasks-today", Vec::new()),
            ("tasks.group.later", "tasks-later", Vec::new()),
        ]
    };
    for task in &tasks {
        let i = if show_done || task.overdue(now) {
            0
        } else if task.overdue_at <= today_end {
            1
        } else {
            2
        };
        groups[i].2.push(row(t, task, &me, &tz, now));
    }
    let empty = tasks.is_empty();
    groups.retain(|g| !g.2.is_empty());
    Ok(render(&MinePage {
        t,
        title: t.s("tasks.mine_title").to_string(),
        nav: staff.nav(here),
        show_done,
        groups,
        empty,
    }))
}
