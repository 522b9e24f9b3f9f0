//! The board: every trip, duress and overdue first; alerts and ends of trips that wait for
//! a second person say so.

use super::*;
use crate::kernel::render::{Nav, render};
use crate::policy::{self, Act, Subject};
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use reunite_domain::Role;

pub(crate) struct BoardView {
    id: String,
    short: String,
    case_id: String,
    status: &'static str,
    last_checkin: String,
    last_city: String,
    next_due: String,
    duress: bool,
    overdue: bool,
    alerts: Vec<BoardAlert>,
    /// "ending proposed by …, waiting for a second person".
    end_waiting: Option<String>,
}

pub(crate) struct BoardAlert {
    label: &'static str,
    /// "acknowledged by …, waiting for a second person".
    waiting: Option<String>,
}

#[derive(Template)]
#[template(path = "office/travel/board.html")]
pub(crate) struct BoardPage {
    t: Tr,
    title: &'static str,
    nav: Option<Nav>,
    rows: Vec<BoardView>,
    is_admin: bool,
    checkin_path: String,
    scheduler: Option<String>,
    scheduler_stale: bool,
}

pub(crate) async fn board(
    State(state): State<OfficeState>,
    staff: Staff,
) -> Result<Response, WebError> {
    policy::require(&staff, Act::Open, Subject::Trip)?;
    staff.recent(&state, "/office/travel")?;
    let t = staff.t();
    let mut rows = state
        .store()
        .travel_board(&staff.case_actor(), state.now())
        .await?;
    // On travel duty: every trip. Otherwise the trips of the cases she works on.
    if !policy::may(&staff, Act::Open, Subject::TripOf(Default::default())) {
        let cases = state
            .store()
            .visible_case_ids(&staff.user.id, false, state.now())
            .await?;
        rows.retain(|r| cases.contains(&r.meta.case_id));
    }
    let any_active = rows.iter().any(|r| r.meta.status == TripStatus::Active);
    let mut views = Vec::with_capacity(rows.len());
    for r in rows {
        let mut alerts = Vec::with_capacity(r.open_alerts.len());
        for a in &r.open_alerts {
            let waiting = match &a.proposed {
                Some((at, by, _)) => Some(t.f(
                    "travel.board_waiting",
                    &[
                        ("who", &user_label(&state, by).await),
                        ("at", &format_utc(*at)),
                    ],
                )),
                None => None,
            };
            alerts.push(BoardAlert {
                label: stage_label(t, a.stage),
                waiting,
            });
        }
        let end_waiting = match (&r.meta.end_proposed, r.meta.status) {
            (Some((at, by)), TripStatus::Active) => Some(t.f(
                "travel.board_end_waiting",
                &[
                    ("who", &user_label(&state, by).await),
                    ("at", &format_utc(*at)),
                ],
            )),
            _ => None,
        };
        views.push(BoardView {
            short: short(&r.meta.id),
            case_id: r.meta.case_id.clone(),
            status: t.label(r.meta.status),
            last_checkin: when(t, r.meta.last_checkin_at),
            last_city: r.last_city,
            next_due: if r.meta.status == TripStatus::Active {
                when(t, r.meta.next_due_at)
            } else {
                String::new()
            },
            duress: r.duress,
            overdue: r.overdue,
            alerts,
            end_waiting,
            id: r.meta.id,
        });
    }
    let rows = views;
    let now = state.now();
    let heartbeat = state.store().travel_heartbeat().await?;
    let scheduler_stale = any_active
        && heartbeat
            .is_none_or(|h| now.millis_since(h) >= crate::jobs::watchdog::WATCHDOG_STALE_MS);
    Ok(render(&BoardPage {
        scheduler: heartbeat.map(|h| t.f("travel.scheduler", &[("at", &format_utc(h))])),
        scheduler_stale,
        t,
        title: t.s("travel.board"),
        nav: staff.nav("/office/travel"),
        rows,
        is_admin: staff.user.role == Role::Admin,
        checkin_path: state.cfg().checkin.path.clone(),
    }))
}
