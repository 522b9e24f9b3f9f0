//! The counts of the office home: numbers and links only, over what the staff member may
//! open. Alerts of trips (duress, overdue check-ins) first.

use crate::OfficeState;
use crate::extract::Staff;
use crate::kernel::error::WebError;
use crate::policy::{Act, Subject, may};
use reunite_domain::task::{day_bounds, local_date};
use reunite_store::access::Relation;
use reunite_store::{Dashboard, DashboardScope};

/// The dashboard of a caseworker or admin; `None` for roles that work on no case.
pub(crate) async fn dashboard(
    state: &OfficeState,
    staff: &Staff,
) -> Result<Option<Dashboard>, WebError> {
    if !may(staff, Act::Open, Subject::Registry) {
        return Ok(None);
    }
    let now = state.now();
    let tz = &state.cfg().office_tz;
    let cases = state
        .store()
        .visible_case_ids(&staff.user.id, false, now)
        .await?;
    let (_, today_end) = day_bounds(tz, now);
    let (today, week_end) = (local_date(tz, now, 0), local_date(tz, now, 7));
    let d = state
        .store()
        .dashboard(
            &DashboardScope {
                user: &staff.user.id,
                cases: &cases,
                // On travel duty every trip opens; on intake duty every request.
                all_trips: may(staff, Act::Open, Subject::TripOf(Relation::default())),
                intake: may(staff, Act::Open, Subject::RequestOf(Relation::default())),
                now,
                today_end,
                today: &today,
                week_end: &week_end,
            },
            &staff.case_actor(),
        )
        .await?;
    Ok(Some(d))
}
