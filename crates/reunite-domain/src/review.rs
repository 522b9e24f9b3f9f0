//! The life of a match between a tracing request and a case, from the matcher's proposal to
//! a reunion, and the rules that make a disclosure impossible without the mother's recorded
//! consent and two distinct approvers.
//!
//! ```text
//! proposed ──verify──▶ verified ──ask──▶ asked ──consent──▶ consented ──approve──▶ approved ──connect──▶ connected ──reunite──▶ reunited
//!    │                    │               └──decline──▶ declined
//!    └──reject──▶ rejected ◀┘
//! any open state ──withdraw (seeker or mother)──▶ withdrawn;  ──close──▶ closed
//! ```
//!
//! The caseworker who verifies is the first approver; the mother's consent is recorded by
//! her (in her member account) or by a caseworker other than the verifier; `approve` must
//! come from a different person; `connect` (the disclosure: from then on the office relays messages between the
//! two sides) checks all three facts again. Pure rules: the store records what they allow.

use crate::vocab::Vocab;
use std::fmt;

/// Where a match stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchState {
    /// Found by the matcher; nobody has looked yet.
    Proposed,
    /// A caseworker checked both sides and believes they belong together.
    Verified,
    /// A caseworker found they do not.
    Rejected,
    /// The mother has been asked whether she wants contact.
    Asked,
    /// She said yes (recorded by her or her caseworker).
    Consented,
    /// She said no.
    Declined,
    /// A second caseworker approved the contact.
    Approved,
    /// The office relays messages between the two sides.
    Connected,
    /// They met again.
    Reunited,
    /// Ended by the office.
    Closed,
    /// One side withdrew.
    Withdrawn,
}

impl MatchState {
    /// Stable identifier (storage, forms, message keys) ([`Vocab::as_str`]).
    pub fn as_str(self) -> &'static str {
        Vocab::as_str(self)
    }

    /// Parses [`MatchState::as_str`] (as `FromStr` does).
    pub fn parse(s: &str) -> Option<MatchState> {
        s.parse().ok()
    }

    /// No step leads out of a final state.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            MatchState::Rejected
                | MatchState::Declined
                | MatchState::Reunited
                | MatchState::Closed
                | MatchState::Withdrawn
        )
    }

    /// The two sides are in contact through the office.
    pub fn is_disclosed(self) -> bool {
        matches!(self, MatchState::Connected | MatchState::Reunited)
    }
}

impl fmt::Display for MatchState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who withdrew.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The child or relative who filed the request.
    Seeker,
    /// The mother.
    Mother,
}

/// How the mother's answer was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnsweredBy {
    /// In her own member account.
    Herself,
    /// By her caseworker, who heard it from her.
    Caseworker,
}

impl AnsweredBy {
    /// Stable identifier ([`Vocab::as_str`]).
    pub fn as_str(self) -> &'static str {
        Vocab::as_str(self)
    }
}

/// A step someone asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The caseworker confirms the match (first approver).
    Verify,
    /// The caseworker rejects it.
    Reject,
    /// The mother is asked (what she is shown is chosen by the caseworker).
    AskMother,
    /// Her yes.
    Consent(AnsweredBy),
    /// Her no.
    Decline(AnsweredBy),
    /// The second caseworker approves the contact.
    Approve,
    /// The disclosure: relay between the sides begins.
    Connect,
    /// They met.
    MarkReunited,
    /// The office ends it.
    Close,
    /// A side withdraws.
    Withdraw(Side),
}

impl Step {
    /// Stable identifier (forms, audit detail).
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Verify => "verify",
            Step::Reject => "reject",
            Step::AskMother => "ask",
            Step::Consent(_) => "consent",
            Step::Decline(_) => "decline",
            Step::Approve => "approve",
            Step::Connect => "connect",
            Step::MarkReunited => "reunite",
            Step::Close => "close",
            Step::Withdraw(Side::Seeker) => "withdraw_seeker",
            Step::Withdraw(Side::Mother) => "withdraw_mother",
        }
    }

    /// Parses the steps a caseworker's form can ask for (answers recorded by a caseworker).
    pub fn parse_office(s: &str) -> Option<Step> {
        Some(match s {
            "verify" => Step::Verify,
            "reject" => Step::Reject,
            "ask" => Step::AskMother,
            "consent" => Step::Consent(AnsweredBy::Caseworker),
            "decline" => Step::Decline(AnsweredBy::Caseworker),
            "approve" => Step::Approve,
            "connect" => Step::Connect,
            "reunite" => Step::MarkReunited,
            "close" => Step::Close,
            "withdraw_seeker" => Step::Withdraw(Side::Seeker),
            "withdraw_mother" => Step::Withdraw(Side::Mother),
            _ => return None,
        })
    }

    /// Steps a caseworker may be offered in `state` (the rules still decide).
    pub fn office_steps(state: MatchState) -> Vec<Step> {
        use Step::*;
        let mut v = match state {
            MatchState::Proposed => vec![Verify, Reject],
            MatchState::Verified => vec![AskMother, Reject],
            MatchState::Asked => vec![
                Consent(AnsweredBy::Caseworker),
                Decline(AnsweredBy::Caseworker),
            ],
            MatchState::Consented => vec![Approve],
            MatchState::Approved => vec![Connect],
            MatchState::Connected => vec![MarkReunited],
            _ => vec![],
        };
        if !state.is_final() {
            v.extend([Withdraw(Side::Seeker), Withdraw(Side::Mother), Close]);
        }
        v
    }
}

/// What is known about a match, as the rules need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchFacts {
    /// Current state.
    pub state: MatchState,
    /// Account that verified (first approver).
    pub verified_by: Option<String>,
    /// How her consent was recorded, if she gave it.
    pub consent: Option<AnsweredBy>,
    /// Account that approved (second approver).
    pub approved_by: Option<String>,
}

impl MatchFacts {
    /// A fresh proposal.
    pub fn proposed() -> MatchFacts {
        MatchFacts {
            state: MatchState::Proposed,
            verified_by: None,
            consent: None,
            approved_by: None,
        }
    }
}

/// Why a step is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The step does not lead out of this state.
    NotNow,
    /// The second approval came from the person who gave the first.
    SameApprover,
    /// A disclosure without her recorded consent.
    NoConsent,
    /// A disclosure without two distinct approvers.
    NeedsTwoApprovers,
    /// A member may only answer for herself, and only when asked.
    NotHers,
    /// A DNA test linked to the match has no report yet: verification waits for it.
    DnaPending,
    /// The caseworker who verified the match may not also record the mother's answer:
    /// she answers in her own account, or another caseworker records it.
    VerifierRecordsAnswer,
}

impl Refusal {
    /// Message key for the user interface.
    pub fn message_key(self) -> &'static str {
        match self {
            Refusal::NotNow => "review.refused.not_now",
            Refusal::SameApprover => "review.refused.same_approver",
            Refusal::NoConsent => "review.refused.no_consent",
            Refusal::NeedsTwoApprovers => "review.refused.two_approvers",
            Refusal::NotHers => "review.refused.not_hers",
            Refusal::DnaPending => "review.refused.dna_pending",
            Refusal::VerifierRecordsAnswer => "review.refused.verifier_answer",
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message_key())
    }
}

/// Applies `step`, asked for by the account `actor`, to `facts`: the facts afterwards, or
/// why not.
pub fn apply(facts: &MatchFacts, step: Step, actor: &str) -> Result<MatchFacts, Refusal> {
    use MatchState::*;
    let mut next = facts.clone();
    let s = facts.state;
    if s.is_final() {
        return Err(Refusal::NotNow);
    }
    match step {
        Step::Verify if s == Proposed => {
            next.state = Verified;
            next.verified_by = Some(actor.to_string());
        }
        Step::Reject if matches!(s, Proposed | Verified) => next.state = Rejected,
        Step::AskMother if s == Verified => next.state = Asked,
        Step::Consent(by) if s == Asked => {
            // Four eyes: the verifier's word alone never stands for the mother's.
            if by == AnsweredBy::Caseworker && facts.verified_by.as_deref() == Some(actor) {
                return Err(Refusal::VerifierRecordsAnswer);
            }
            next.state = Consented;
            next.consent = Some(by);
        }
        Step::Decline(_) if s == Asked => next.state = Declined,
        Step::Approve if s == Consented => {
            if facts.verified_by.as_deref() == Some(actor) {
                return Err(Refusal::SameApprover);
            }
            next.state = Approved;
            next.approved_by = Some(actor.to_string());
        }
        Step::Connect => {
            if facts.consent.is_none() {
                return Err(Refusal::NoConsent);
            }
            match (&facts.verified_by, &facts.approved_by) {
                (Some(a), Some(b)) if a != b => {}
                _ => return Err(Refusal::NeedsTwoApprovers),
            }
            if s != Approved {
                return Err(Refusal::NotNow);
            }
            next.state = Connected;
        }
        Step::MarkReunited if s == Connected => next.state = Reunited,
        Step::Close => next.state = Closed,
        Step::Withdraw(_) => next.state = Withdrawn,
        _ => return Err(Refusal::NotNow),
    }
    Ok(next)
}

/// A member withdraws from a match she has been asked about (any open state from then on).
pub fn member_withdraw(facts: &MatchFacts, member: &str) -> Result<MatchFacts, Refusal> {
    if matches!(facts.state, MatchState::Proposed | MatchState::Verified) {
        return Err(Refusal::NotHers);
    }
    apply(facts, Step::Withdraw(Side::Mother), member)
}

/// A member's answer: allowed only while she is asked.
pub fn member_answer(facts: &MatchFacts, yes: bool, member: &str) -> Result<MatchFacts, Refusal> {
    if facts.state != MatchState::Asked {
        return Err(Refusal::NotHers);
    }
    let step = if yes {
        Step::Consent(AnsweredBy::Herself)
    } else {
        Step::Decline(AnsweredBy::Herself)
    };
    apply(facts, step, member)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(steps: &[(Step, &str)]) -> Result<MatchFacts, Refusal> {
        let mut f = MatchFacts::proposed();
        for (s, who) in steps {
            f = apply(&f, *s, who)?;
        }
        Ok(f)
    }

    const CONSENT: Step = Step::Consent(AnsweredBy::Caseworker);

    #[test]
    fn the_whole_way_to_a_reunion() {
        let f = run(&[
            (Step::Verify, "a"),
            (Step::AskMother, "a"),
            (CONSENT, "c"),
            (Step::Approve, "b"),
            (Step::Connect, "a"),
            (Step::MarkReunited, "b"),
        ])
        .unwrap();
        assert_eq!(f.state, MatchState::Reunited);
        assert_eq!(f.verified_by.as_deref(), Some("a"));
        assert_eq!(f.approved_by.as_deref(), Some("b"));
    }

    /// Four eyes on her answer: the verifier cannot also record it for her; another
    /// caseworker can, and so can she herself.
    #[test]
    fn the_verifier_cannot_record_the_mothers_answer() {
        let asked = run(&[(Step::Verify, "a"), (Step::AskMother, "a")]).unwrap();
        assert_eq!(
            apply(&asked, CONSENT, "a"),
            Err(Refusal::VerifierRecordsAnswer)
        );
        assert_eq!(
            apply(&asked, CONSENT, "c").map(|f| f.state),
            Ok(MatchState::Consented)
        );
        assert_eq!(
            member_answer(&asked, true, "a").map(|f| f.state),
            Ok(MatchState::Consented)
        );
    }

    #[test]
    fn the_same_person_cannot_approve_twice() {
        let e = run(&[
            (Step::Verify, "a"),
            (Step::AskMother, "a"),
            (CONSENT, "c"),
            (Step::Approve, "a"),
        ]);
        assert_eq!(e, Err(Refusal::SameApprover));
    }

    #[test]
    fn no_disclosure_without_consent_or_with_one_approver() {
        // Straight from verification: no consent.
        assert_eq!(
            run(&[(Step::Verify, "a"), (Step::Connect, "b")]),
            Err(Refusal::NoConsent)
        );
        // Consent but only the verifier approved.
        assert_eq!(
            run(&[
                (Step::Verify, "a"),
                (Step::AskMother, "a"),
                (CONSENT, "c"),
                (Step::Connect, "a"),
            ]),
            Err(Refusal::NeedsTwoApprovers)
        );
        // Forged facts: both approvals by one person are refused at the disclosure too.
        let forged = MatchFacts {
            state: MatchState::Approved,
            verified_by: Some("a".into()),
            consent: Some(AnsweredBy::Herself),
            approved_by: Some("a".into()),
        };
        assert_eq!(
            apply(&forged, Step::Connect, "c"),
            Err(Refusal::NeedsTwoApprovers)
        );
        let no_consent = MatchFacts {
            consent: None,
            approved_by: Some("b".into()),
            ..forged
        };
        assert_eq!(
            apply(&no_consent, Step::Connect, "c"),
            Err(Refusal::NoConsent)
        );
    }

    #[test]
    fn a_decline_ends_it_and_nothing_leaves_a_final_state() {
        let f = run(&[
            (Step::Verify, "a"),
            (Step::AskMother, "a"),
            (Step::Decline(AnsweredBy::Herself), "m"),
        ])
        .unwrap();
        assert_eq!(f.state, MatchState::Declined);
        for s in [
            Step::Verify,
            CONSENT,
            Step::Approve,
            Step::Connect,
            Step::Close,
            Step::Withdraw(Side::Seeker),
        ] {
            assert_eq!(apply(&f, s, "b"), Err(Refusal::NotNow), "{s:?}");
        }
    }

    #[test]
    fn either_side_can_withdraw_at_any_open_state() {
        for state in MatchState::ALL.into_iter().filter(|s| !s.is_final()) {
            let f = MatchFacts {
                state,
                ..MatchFacts::proposed()
            };
            for side in [Side::Seeker, Side::Mother] {
                assert_eq!(
                    apply(&f, Step::Withdraw(side), "x").unwrap().state,
                    MatchState::Withdrawn
                );
            }
        }
    }

    #[test]
    fn a_member_answers_only_when_asked() {
        let verified = run(&[(Step::Verify, "a")]).unwrap();
        assert_eq!(member_answer(&verified, true, "m"), Err(Refusal::NotHers));
        let asked = apply(&verified, Step::AskMother, "a").unwrap();
        let yes = member_answer(&asked, true, "m").unwrap();
        assert_eq!(yes.consent, Some(AnsweredBy::Herself));
        assert_eq!(yes.state, MatchState::Consented);
    }

    #[test]
    fn a_member_withdraws_only_from_what_she_was_asked_about() {
        let verified = run(&[(Step::Verify, "a")]).unwrap();
        assert_eq!(member_withdraw(&verified, "m"), Err(Refusal::NotHers));
        let asked = apply(&verified, Step::AskMother, "a").unwrap();
        let yes = member_answer(&asked, true, "m").unwrap();
        assert_eq!(
            member_withdraw(&yes, "m").unwrap().state,
            MatchState::Withdrawn
        );
        let no = member_answer(&asked, false, "m").unwrap();
        assert_eq!(member_withdraw(&no, "m"), Err(Refusal::NotNow));
    }

    #[test]
    fn every_offered_step_is_allowed_for_some_actor() {
        for state in MatchState::ALL {
            let f = MatchFacts {
                state,
                verified_by: Some("a".into()),
                consent: Some(AnsweredBy::Caseworker),
                approved_by: Some("b".into()),
            };
            for step in Step::office_steps(state) {
                assert!(apply(&f, step, "c").is_ok(), "{state:?} {step:?}");
                assert_eq!(Step::parse_office(step.as_str()), Some(step));
            }
            assert_eq!(MatchState::parse(state.as_str()), Some(state));
        }
    }
}
