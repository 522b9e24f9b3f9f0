//! Who may open or act on what: the one place the office decides it. Every handler that
//! shows or changes a case, a match, a tracing request, a trip or a DNA test asks here;
//! no handler compares roles, teams or assignments itself.
//!
//! The rules (THREAT-MODEL, insider row; ARCHITECTURE "Who may see what"):
//!
//! * Only caseworkers and admins work in the office's casework; reviewers, researchers and
//!   members never reach a case, match, request, trip or DNA test.
//! * Everyone who works with cases has a case list; it lists only the cases she may open.
//! * A case, and what is the case's own (its matches, DNA tests, trips, member account),
//!   opens for its assigned caseworker and the members of its team (supervisors included).
//!   An admin is no exception: she manages accounts, teams and assignments, and reads a
//!   case only if it is assigned to her or she is on its team.
//! * A caseworker who is not on the case may open it under **break-glass**: re-authenticated,
//!   with a reason, for a short time, audited and shown to the case's team. Break-glass
//!   opens for reading only; it never lets her act for the mother.
//! * The second approver of a disclosure is any caseworker other than the verifier; she
//!   sees the approval view (the matcher's explanation, the fields that agree or disagree,
//!   residence at prefecture level), not the records.
//! * A restricted case note's text opens only for its author (while on the case) and for
//!   the caseworkers who supervise the case's team: never the rest of the team, an admin,
//!   or break-glass. Others see that it exists, who wrote it and when.
//! * Tracing requests open for staff on intake duty, and for the team of a case a match
//!   links the request to. Trips and their alerts open for the case's team and for staff on
//!   travel duty (on call).

use crate::OfficeState;
use crate::extract::Staff;
use crate::kernel::error::WebError;
use reunite_domain::{Duty, Role};
use reunite_store::CaseMeta;
use reunite_store::access::{Reach, Relation};

/// What someone wants to open or act on, with what the decision needs to know of it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Subject {
    /// A mother's case, or what is the case's own (its DNA tests, trips page, member
    /// account), by the asker's relation to it.
    Case(Relation),
    /// The asker's own case list, the search over it, a new case.
    Registry,
    /// Who works on which case: assignment, teams, duties.
    Assignments,
    /// Matches as a kind (the queue, which lists only what the asker may open).
    Match,
    /// One match, by the asker's relation to its case.
    MatchOf(Relation),
    /// A match waiting for its second approver, in the approval view.
    Approval,
    /// Tracing requests as a kind (the list, which shows only what the asker may open).
    Request,
    /// One tracing request: the asker's best relation to any case a match links it to.
    RequestOf(Relation),
    /// Trips as a kind (the board, which lists only what the asker may open).
    Trip,
    /// One trip or one of its alerts, by the asker's relation to the trip's case.
    TripOf(Relation),
    /// The text of a restricted case note: whether the asker wrote it, and her relation
    /// to its case. Only its author (still on the case) and the caseworkers who supervise
    /// the case's team; never the rest of the team, an admin, or break-glass.
    RestrictedNote {
        /// She wrote it.
        author: bool,
        /// Her relation to the note's case.
        rel: Relation,
    },
}

/// What they want to do with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Act {
    /// See it (and edit what the page offers).
    Open,
    /// Speak for the mother of a case: verify, ask, record her answer, invite her, write
    /// to her; open a trip for her.
    SpeakForMother,
    /// Give a match its second approval (or disclose it).
    Approve,
    /// Open a case that is not hers, recorded, with a reason.
    BreakGlass,
}

/// On the case: assigned to it or on its team (supervisors are team members).
fn on_case(r: Relation) -> bool {
    r.assigned || r.team || r.supervisor
}

/// The decision, as a pure function of who asks and what about.
pub(crate) fn allows(role: Role, reach: &Reach, act: Act, subject: Subject) -> bool {
    if !matches!(role, Role::Admin | Role::Caseworker) {
        return false;
    }
    let caseworker = role == Role::Caseworker;
    match (act, subject) {
        (Act::Open, Subject::Case(r) | Subject::MatchOf(r)) => on_case(r) || r.glass,
        (Act::SpeakForMother, Subject::Case(r) | Subject::MatchOf(r)) => on_case(r),
        (Act::BreakGlass, Subject::Case(r)) => caseworker && !on_case(r),
        (Act::Open, Subject::Registry) => true,
        (Act::Open, Subject::Assignments) => role == Role::Admin,
        (Act::Open, Subject::Match | Subject::Request | Subject::Trip) => true,
        (Act::Open | Act::Approve, Subject::Approval) => caseworker,
        (Act::Open, Subject::RequestOf(r)) => reach.has(Duty::Intake) || on_case(r),
        (Act::Open, Subject::TripOf(r)) => reach.has(Duty::Travel) || on_case(r),
        (Act::Open, Subject::RestrictedNote { author, rel }) => {
            (author && on_case(rel)) || (caseworker && rel.supervisor)
        }
        _ => false,
    }
}

/// Refuses (403) unless the signed-in staff member may do `act` on `subject`.
pub(crate) fn require(staff: &Staff, act: Act, subject: Subject) -> Result<(), WebError> {
    if may(staff, act, subject) {
        Ok(())
    } else {
        Err(WebError::Forbidden)
    }
}

/// Whether the signed-in staff member may do `act` on `subject`.
pub(crate) fn may(staff: &Staff, act: Act, subject: Subject) -> bool {
    allows(staff.user.role, &staff.reach, act, subject)
}

/// The staff member's relation to a case, with the case's meta (404 if there is none).
/// Roles that never see a case learn nothing, not even whether the id exists (403).
pub(crate) async fn relation(
    state: &OfficeState,
    staff: &Staff,
    case_id: &str,
) -> Result<(CaseMeta, Relation), WebError> {
    if !matches!(staff.user.role, Role::Admin | Role::Caseworker) {
        return Err(WebError::Forbidden);
    }
    state
        .store()
        .relation(&staff.user.id, case_id, state.now())
        .await?
        .ok_or(WebError::NotFound)
}

/// The case, if this staff member may open it (404 if there is none, 403 if not hers).
pub(crate) async fn case(
    state: &OfficeState,
    staff: &Staff,
    case_id: &str,
) -> Result<CaseMeta, WebError> {
    let (meta, rel) = relation(state, staff, case_id).await?;
    require(staff, Act::Open, Subject::Case(rel))?;
    Ok(meta)
}

/// The case, if this staff member works on it (not under break-glass): to change it or
/// act for its mother.
pub(crate) async fn case_to_act(
    state: &OfficeState,
    staff: &Staff,
    case_id: &str,
) -> Result<CaseMeta, WebError> {
    let (meta, rel) = relation(state, staff, case_id).await?;
    require(staff, Act::SpeakForMother, Subject::Case(rel))?;
    Ok(meta)
}

/// The DNA test, if this staff member may open its case.
pub(crate) async fn dna_test(
    state: &OfficeState,
    staff: &Staff,
    test_id: &str,
) -> Result<reunite_store::DnaTestMeta, WebError> {
    if !matches!(staff.user.role, Role::Admin | Role::Caseworker) {
        return Err(WebError::Forbidden);
    }
    let meta = state
        .store()
        .dna_test_meta(test_id)
        .await?
        .ok_or(WebError::NotFound)?;
    case(state, staff, &meta.case_id).await?;
    Ok(meta)
}

/// The DNA test, if this staff member works on its case (to change it; not under
/// break-glass).
pub(crate) async fn dna_test_to_act(
    state: &OfficeState,
    staff: &Staff,
    test_id: &str,
) -> Result<reunite_store::DnaTestMeta, WebError> {
    let meta = dna_test(state, staff, test_id).await?;
    case_to_act(state, staff, &meta.case_id).await?;
    Ok(meta)
}

/// Whether this staff member speaks for the mother of a case on its matches.
pub(crate) async fn acts_for_mother(
    state: &OfficeState,
    staff: &Staff,
    case_id: &str,
) -> Result<bool, WebError> {
    let (_, rel) = relation(state, staff, case_id).await?;
    Ok(may(staff, Act::SpeakForMother, Subject::MatchOf(rel)))
}

/// Refuses (403) unless this staff member may open the match whose case is `case_id`.
pub(crate) async fn match_of_case(
    state: &OfficeState,
    staff: &Staff,
    case_id: &str,
) -> Result<Relation, WebError> {
    let (_, rel) = relation(state, staff, case_id).await?;
    require(staff, Act::Open, Subject::MatchOf(rel))?;
    Ok(rel)
}

/// Refuses (403) unless this staff member may open the tracing request: on intake duty,
/// or on the team of a case a match links it to.
pub(crate) async fn request(
    state: &OfficeState,
    staff: &Staff,
    request_id: &str,
) -> Result<(), WebError> {
    if may(staff, Act::Open, Subject::RequestOf(Relation::default())) {
        return Ok(());
    }
    for case_id in state.store().cases_of_request(request_id).await? {
        let (_, rel) = relation(state, staff, &case_id).await?;
        if may(staff, Act::Open, Subject::RequestOf(rel)) {
            return Ok(());
        }
    }
    Err(WebError::Forbidden)
}

/// Refuses unless this staff member may open the trip `trip_id` (or, with `alert`, the
/// trip of that alert): on its case's team, or on travel duty. 404 if there is none.
pub(crate) async fn trip(
    state: &OfficeState,
    staff: &Staff,
    trip_id: Option<&str>,
    alert_id: Option<&str>,
) -> Result<(), WebError> {
    let case_id = state
        .store()
        .case_of_trip_or_alert(trip_id, alert_id)
        .await?
        .ok_or(WebError::NotFound)?;
    trip_of_case(state, staff, &case_id).await
}

/// The note's meta, if this staff member may open its case; and whether she may read its
/// text (a team note: yes; a restricted one: by [`Subject::RestrictedNote`]).
pub(crate) async fn note(
    state: &OfficeState,
    staff: &Staff,
    note_id: &str,
) -> Result<(reunite_store::casework::notes::NoteMeta, bool), WebError> {
    if !matches!(staff.user.role, Role::Admin | Role::Caseworker) {
        return Err(WebError::Forbidden);
    }
    let meta = state
        .store()
        .note_meta(note_id)
        .await?
        .ok_or(WebError::NotFound)?;
    let (_, rel) = relation(state, staff, &meta.case_id).await?;
    require(staff, Act::Open, Subject::Case(rel))?;
    let text = match meta.visibility {
        reunite_domain::casework::NoteVisibility::Team => true,
        reunite_domain::casework::NoteVisibility::Restricted => may(
            staff,
            Act::Open,
            Subject::RestrictedNote {
                author: meta.author == staff.user.id,
                rel,
            },
        ),
    };
    Ok((meta, text))
}

/// Refuses (403) unless this staff member may open trips of the case `case_id` (on its
/// team, or on travel duty).
pub(crate) async fn trip_of_case(
    state: &OfficeState,
    staff: &Staff,
    case_id: &str,
) -> Result<(), WebError> {
    let (_, rel) = relation(state, staff, case_id).await?;
    require(staff, Act::Open, Subject::TripOf(rel))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONE: Relation = Relation {
        assigned: false,
        team: false,
        supervisor: false,
        glass: false,
    };

    /// Every role, with and without duties, against every kind of subject and relation:
    /// the whole table of the rules.
    #[test]
    fn each_role_opens_and_acts_on_exactly_what_the_rules_say() {
        let assigned = Relation {
            assigned: true,
            ..NONE
        };
        let team = Relation { team: true, ..NONE };
        let glass = Relation {
            glass: true,
            ..NONE
        };
        let sup = Relation {
            team: true,
            supervisor: true,
            ..NONE
        };
        let subjects: [(&str, Subject); 20] = [
            ("assigned case", Subject::Case(assigned)),
            ("team case", Subject::Case(team)),
            ("glass case", Subject::Case(glass)),
            ("other case", Subject::Case(NONE)),
            ("registry", Subject::Registry),
            ("assignments", Subject::Assignments),
            ("match queue", Subject::Match),
            ("team match", Subject::MatchOf(team)),
            ("other match", Subject::MatchOf(NONE)),
            ("approval", Subject::Approval),
            ("request list", Subject::Request),
            ("linked request", Subject::RequestOf(team)),
            ("other request", Subject::RequestOf(NONE)),
            ("board", Subject::Trip),
            ("team trip", Subject::TripOf(team)),
            ("other trip", Subject::TripOf(NONE)),
            (
                "own restricted note",
                Subject::RestrictedNote {
                    author: true,
                    rel: team,
                },
            ),
            (
                "team's restricted note",
                Subject::RestrictedNote {
                    author: false,
                    rel: team,
                },
            ),
            (
                "supervised restricted note",
                Subject::RestrictedNote {
                    author: false,
                    rel: sup,
                },
            ),
            (
                "glass restricted note",
                Subject::RestrictedNote {
                    author: false,
                    rel: glass,
                },
            ),
        ];
        let o = true;
        let x = false;
        let no_duty = Reach::default();
        let on_duty = Reach {
            duties: vec![Duty::Travel, Duty::Intake],
            ..Reach::default()
        };
        // (role, reach, [open], [act for the mother], [approve], [break glass])
        #[rustfmt::skip]
        type Row<'a> = (Role, &'a Reach, [bool; 20], [bool; 20], [bool; 20], [bool; 20]);
        let table: [Row<'_>; 7] = [
            (
                Role::Admin,
                &no_duty,
                [o, o, o, x, o, o, o, o, x, x, o, o, x, o, o, x, o, x, x, x],
                [o, o, x, x, x, x, x, o, x, x, x, x, x, x, x, x, x, x, x, x],
                [x; 20],
                [x; 20],
            ),
            (
                Role::Caseworker,
                &no_duty,
                [o, o, o, x, o, x, o, o, x, o, o, o, x, o, o, x, o, x, o, x],
                [o, o, x, x, x, x, x, o, x, x, x, x, x, x, x, x, x, x, x, x],
                [x, x, x, x, x, x, x, x, x, o, x, x, x, x, x, x, x, x, x, x],
                [x, x, o, o, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x],
            ),
            (
                Role::Caseworker,
                &on_duty,
                [o, o, o, x, o, x, o, o, x, o, o, o, o, o, o, o, o, x, o, x],
                [o, o, x, x, x, x, x, o, x, x, x, x, x, x, x, x, x, x, x, x],
                [x, x, x, x, x, x, x, x, x, o, x, x, x, x, x, x, x, x, x, x],
                [x, x, o, o, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x],
            ),
            (Role::Reviewer, &on_duty, [x; 20], [x; 20], [x; 20], [x; 20]),
            (
                Role::Researcher,
                &on_duty,
                [x; 20],
                [x; 20],
                [x; 20],
                [x; 20],
            ),
            (Role::Member, &on_duty, [x; 20], [x; 20], [x; 20], [x; 20]),
            (Role::Reviewer, &no_duty, [x; 20], [x; 20], [x; 20], [x; 20]),
        ];
        for (role, reach, open, act, approve, glass_) in table {
            for (i, (name, subject)) in subjects.iter().enumerate() {
                for (what, act_, want) in [
                    ("opening", Act::Open, open[i]),
                    ("acting for the mother on", Act::SpeakForMother, act[i]),
                    ("approving", Act::Approve, approve[i]),
                    ("breaking the glass of", Act::BreakGlass, glass_[i]),
                ] {
                    assert_eq!(
                        allows(role, reach, act_, *subject),
                        want,
                        "{role:?} (duties {:?}) {what} {name}",
                        reach.duties
                    );
                }
            }
        }
    }

    /// A supervisor is on the case; break-glass never lets anyone act for the mother.
    #[test]
    fn supervisors_are_on_the_case_and_glass_only_reads() {
        let sup = Relation {
            supervisor: true,
            ..NONE
        };
        let r = Reach::default();
        assert!(allows(
            Role::Caseworker,
            &r,
            Act::SpeakForMother,
            Subject::Case(sup)
        ));
        let glass = Relation {
            glass: true,
            ..NONE
        };
        assert!(allows(
            Role::Caseworker,
            &r,
            Act::Open,
            Subject::MatchOf(glass)
        ));
        assert!(!allows(
            Role::Caseworker,
            &r,
            Act::SpeakForMother,
            Subject::MatchOf(glass)
        ));
        assert!(!allows(
            Role::Caseworker,
            &r,
            Act::Open,
            Subject::TripOf(glass)
        ));
    }
}
