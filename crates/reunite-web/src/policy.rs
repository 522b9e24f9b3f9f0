//! Who may open or act on what: the one place the office decides it. Every handler that
//! shows or changes a case, a match, a tracing request, a trip or a DNA test asks here;
//! no handler compares roles or assignments itself.
//!
//! The rules today (THREAT-MODEL, insider row; ARCHITECTURE "Who may act on a match"):
//!
//! * Only caseworkers and admins work with cases; reviewers, researchers and members never
//!   reach a case, match, request, trip or DNA test.
//! * A case, and what is the case's own (its DNA tests, its travel page), opens for the case's
//!   assigned caseworker and for admins.
//! * Matches, tracing requests and trips open for every caseworker: a match's second approver
//!   is by design someone other than the case's caseworker, and requests are read before any
//!   case is known.
//! * Acting for the mother on a match (verify, ask, record her answer, invite her, write to
//!   her) is for the case's caseworker and admins.

use crate::OfficeState;
use crate::extract::Staff;
use crate::kernel::error::WebError;
use reunite_domain::{Role, UserId};
use reunite_store::{CaseMeta, DnaTestMeta};

/// What someone wants to open or act on, with what the decision needs to know of it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Subject<'a> {
    /// A mother's case (`assigned_to`: its caseworker).
    Case { assigned_to: Option<&'a UserId> },
    /// A DNA test, which belongs to a case.
    DnaTest {
        case_assigned_to: Option<&'a UserId>,
    },
    /// The case registry as a whole: the list, the search, a new case.
    Registry,
    /// A proposed match between a request and a case.
    Match,
    /// A tracing request (sealed, opened by the office).
    Request,
    /// A trip to China, or the travel board.
    Trip,
}

/// What they want to do with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Act {
    /// See it (and edit what the page offers).
    Open,
    /// Speak for the mother of a case on its matches: verify, ask, record her answer,
    /// invite her, write to her.
    ActForMother,
}

/// The decision, as a pure function of who asks and what about.
pub(crate) fn allows(role: Role, me: &UserId, act: Act, subject: Subject<'_>) -> bool {
    if !matches!(role, Role::Admin | Role::Caseworker) {
        return false;
    }
    let own = |assigned: Option<&UserId>| role == Role::Admin || assigned == Some(me);
    match (act, subject) {
        (Act::Open, Subject::Case { assigned_to }) => own(assigned_to),
        (Act::Open, Subject::DnaTest { case_assigned_to }) => own(case_assigned_to),
        (Act::Open, Subject::Registry | Subject::Match | Subject::Request | Subject::Trip) => true,
        (Act::ActForMother, Subject::Case { assigned_to }) => own(assigned_to),
        (Act::ActForMother, _) => false,
    }
}

/// Refuses (403) unless the signed-in staff member may do `act` on `subject`.
pub(crate) fn require(staff: &Staff, act: Act, subject: Subject<'_>) -> Result<(), WebError> {
    if allows(staff.user.role, &staff.user.id, act, subject) {
        Ok(())
    } else {
        Err(WebError::Forbidden)
    }
}

/// Whether the signed-in staff member may do `act` on `subject`.
pub(crate) fn may(staff: &Staff, act: Act, subject: Subject<'_>) -> bool {
    allows(staff.user.role, &staff.user.id, act, subject)
}

/// The case, if this staff member may open it (404 if there is none, 403 if not hers).
pub(crate) async fn case(
    state: &OfficeState,
    staff: &Staff,
    case_id: &str,
) -> Result<CaseMeta, WebError> {
    // Roles that never see a case learn nothing, not even whether the id exists.
    require(staff, Act::Open, Subject::Registry)?;
    let meta = state
        .store()
        .case_meta(case_id)
        .await?
        .ok_or(WebError::NotFound)?;
    require(
        staff,
        Act::Open,
        Subject::Case {
            assigned_to: meta.assigned_to.as_ref(),
        },
    )?;
    Ok(meta)
}

/// The DNA test, if this staff member may open its case.
pub(crate) async fn dna_test(
    state: &OfficeState,
    staff: &Staff,
    test_id: &str,
) -> Result<DnaTestMeta, WebError> {
    require(staff, Act::Open, Subject::Registry)?;
    let meta = state
        .store()
        .dna_test_meta(test_id)
        .await?
        .ok_or(WebError::NotFound)?;
    let case = state
        .store()
        .case_meta(&meta.case_id)
        .await?
        .ok_or(WebError::NotFound)?;
    require(
        staff,
        Act::Open,
        Subject::DnaTest {
            case_assigned_to: case.assigned_to.as_ref(),
        },
    )?;
    Ok(meta)
}

/// Whether this staff member speaks for the mother of a case on its matches.
pub(crate) async fn acts_for_mother(
    state: &OfficeState,
    staff: &Staff,
    case_id: &str,
) -> Result<bool, WebError> {
    let meta = state
        .store()
        .case_meta(case_id)
        .await?
        .ok_or(WebError::NotFound)?;
    Ok(may(
        staff,
        Act::ActForMother,
        Subject::Case {
            assigned_to: meta.assigned_to.as_ref(),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every role against every kind of object: the whole table of today's rules.
    #[test]
    fn each_role_opens_and_acts_on_exactly_what_the_rules_say() {
        let me = UserId("u-me".into());
        let other = UserId("u-other".into());
        let mine = Some(&me);
        let theirs = Some(&other);
        let subjects: [(&str, Subject<'_>); 9] = [
            ("own case", Subject::Case { assigned_to: mine }),
            (
                "other case",
                Subject::Case {
                    assigned_to: theirs,
                },
            ),
            ("unassigned case", Subject::Case { assigned_to: None }),
            (
                "own dna",
                Subject::DnaTest {
                    case_assigned_to: mine,
                },
            ),
            (
                "other dna",
                Subject::DnaTest {
                    case_assigned_to: theirs,
                },
            ),
            ("registry", Subject::Registry),
            ("match", Subject::Match),
            ("request", Subject::Request),
            ("trip", Subject::Trip),
        ];
        // (role, [open each subject], [act for the mother on each subject])
        let table: [(Role, [bool; 9], [bool; 9]); 5] = [
            (
                Role::Admin,
                [true; 9],
                [true, true, true, false, false, false, false, false, false],
            ),
            (
                Role::Caseworker,
                [true, false, false, true, false, true, true, true, true],
                [true, false, false, false, false, false, false, false, false],
            ),
            (Role::Reviewer, [false; 9], [false; 9]),
            (Role::Researcher, [false; 9], [false; 9]),
            (Role::Member, [false; 9], [false; 9]),
        ];
        for (role, open, act) in table {
            for (i, (name, subject)) in subjects.iter().enumerate() {
                assert_eq!(
                    allows(role, &me, Act::Open, *subject),
                    open[i],
                    "{role:?} opening {name}"
                );
                assert_eq!(
                    allows(role, &me, Act::ActForMother, *subject),
                    act[i],
                    "{role:?} acting for the mother on {name}"
                );
            }
        }
    }
}
