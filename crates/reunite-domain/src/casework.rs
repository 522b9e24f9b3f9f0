//! Casework: notes, services and referrals of a case. The vocabularies and the service
//! status rule live here; the store keeps the records (every text sealed), the office
//! shows them.

use serde::{Deserialize, Serialize};

/// What a case note records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    /// A contact (message, meeting in passing).
    Contact,
    /// A telephone call.
    Call,
    /// A visit.
    Visit,
    /// A counselling session.
    Counselling,
    /// Anything else.
    Other,
}

/// Who reads a note's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteVisibility {
    /// Everyone who may open the case.
    Team,
    /// Only its author and the supervisors of the case's team.
    Restricted,
}

/// A service given to the mother.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceKind {
    /// Counselling or psychological support.
    Counselling,
    /// Medical care.
    Medical,
    /// Economic support (with an amount, a currency and a purpose).
    Economic,
    /// Legal aid.
    Legal,
    /// Education.
    Education,
    /// Housing.
    Housing,
    /// Employment.
    Employment,
    /// Anything else.
    Other,
}

/// Where a service stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceStatus {
    /// Agreed, not started.
    Planned,
    /// Under way.
    InProgress,
    /// Given.
    Done,
    /// Not given after all.
    Cancelled,
}

impl ServiceStatus {
    /// Whether a service may go from `self` to `to`: planned → in progress → done, and
    /// planned or in progress → cancelled. Done and cancelled are final; nothing stays put.
    pub fn may_become(self, to: ServiceStatus) -> bool {
        use ServiceStatus::*;
        matches!(
            (self, to),
            (Planned, InProgress) | (InProgress, Done) | (Planned | InProgress, Cancelled)
        )
    }

    /// The statuses a service in `self` may move to, in display order.
    pub fn next(self) -> Vec<ServiceStatus> {
        ServiceStatus::ALL
            .into_iter()
            .filter(|s| self.may_become(*s))
            .collect()
    }
}

/// What came of a referral.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferralOutcome {
    /// Sent, no answer yet.
    Pending,
    /// The partner took her on.
    Accepted,
    /// The partner could not.
    Declined,
    /// The partner's help was given.
    Completed,
}

/// What of the case a referral may share with the partner. The mother agrees to each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SharedField {
    /// Her names.
    Names,
    /// Her date of birth.
    BirthDate,
    /// How the partner reaches her (typed on the referral).
    Contact,
    /// Her children's names and dates of birth.
    Children,
    /// A summary of the case for the partner (typed on the referral).
    Summary,
}

/// A currency code as ISO 4217 spells it: three capital letters.
pub fn valid_currency(code: &str) -> bool {
    code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase())
}

/// A date as the forms take it: `YYYY-MM-DD` with a plausible month and day.
pub fn valid_date(s: &str) -> bool {
    let p: Vec<&str> = s.split('-').collect();
    p.len() == 3
        && p[0].len() == 4
        && p[1].len() == 2
        && p[2].len() == 2
        && p.iter().all(|x| x.bytes().all(|b| b.is_ascii_digit()))
        && p[1].parse::<u32>().is_ok_and(|m| (1..=12).contains(&m))
        && p[2].parse::<u32>().is_ok_and(|d| (1..=31).contains(&d))
}

#[cfg(test)]
mod tests {
    use super::ServiceStatus::*;
    use super::*;

    #[test]
    fn a_service_moves_forward_or_is_cancelled_and_final_states_stay() {
        for from in ServiceStatus::ALL {
            for to in ServiceStatus::ALL {
                let want = matches!(
                    (from, to),
                    (Planned, InProgress)
                        | (InProgress, Done)
                        | (Planned, Cancelled)
                        | (InProgress, Cancelled)
                );
                assert_eq!(from.may_become(to), want, "{from:?} → {to:?}");
            }
        }
        assert_eq!(Planned.next(), vec![InProgress, Cancelled]);
        assert!(Done.next().is_empty());
        assert!(Cancelled.next().is_empty());
    }

    #[test]
    fn currencies_and_dates_are_checked() {
        assert!(valid_currency("KRW"));
        assert!(!valid_currency("krw"));
        assert!(!valid_currency("KRWX"));
        assert!(valid_date("2026-03-02"));
        assert!(!valid_date("2026-3-2"));
        assert!(!valid_date("2026-13-02"));
        assert!(!valid_date(""));
    }
}
