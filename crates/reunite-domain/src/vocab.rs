//! Closed sets of words: statuses, kinds, roles. Each is stored (in a column or inside a
//! sealed record) and sent by forms as one stable string, and shown through one message key.
//! Every such enum has the same API, [`Vocab`] plus [`FromStr`](std::str::FromStr) with
//! [`UnknownValue`], written by one macro so each enum lists its variants, stored strings
//! and label keys once.

/// A value outside the allowed set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unknown value")]
pub struct UnknownValue;

/// A closed set of words.
pub trait Vocab: Sized + Copy + 'static {
    /// Every value, in display order.
    const ALL: &'static [Self];

    /// The stable string used in storage, URLs and forms.
    fn as_str(self) -> &'static str;

    /// The message key of the value's label (e.g. `case.status.open`).
    fn label_key(self) -> &'static str;

    /// Parses [`Vocab::as_str`] (what `FromStr` does for every vocabulary enum).
    fn from_stored(s: &str) -> Result<Self, UnknownValue> {
        Self::ALL
            .iter()
            .copied()
            .find(|v| v.as_str() == s)
            .ok_or(UnknownValue)
    }
}

/// Implements [`Vocab`] and `FromStr` for an enum and gives it an inherent `ALL` array.
/// Variants are listed in display order: `Variant => "stored", "label.key";`.
macro_rules! vocab {
    ($ty:ident { $($variant:ident => $stored:literal, $label:literal;)+ }) => {
        impl $ty {
            /// Every value, in display order.
            pub const ALL: [$ty; [$(stringify!($variant)),+].len()] = [$($ty::$variant),+];
        }

        impl $crate::vocab::Vocab for $ty {
            const ALL: &'static [Self] = &$ty::ALL;

            fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $stored,)+
                }
            }

            fn label_key(self) -> &'static str {
                match self {
                    $($ty::$variant => $label,)+
                }
            }
        }

        impl ::std::str::FromStr for $ty {
            type Err = $crate::vocab::UnknownValue;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                <$ty as $crate::vocab::Vocab>::from_stored(s)
            }
        }
    };
}

use crate::account::Duty;
use crate::account::Role;
use crate::case::CaseStatus;
use crate::casework::{
    NoteKind, NoteVisibility, ReferralOutcome, ServiceKind, ServiceStatus, SharedField,
};
use crate::dna::DnaStatus;
use crate::record::{Calendar, Cause, ContactStatus, NameKind, Relation, Sex};
use crate::review::{AnsweredBy, MatchState};
use crate::travel::{Target, TripStatus};

vocab!(CaseStatus {
    Open => "open", "case.status.open";
    InContact => "in_contact", "case.status.in_contact";
    Reunited => "reunited", "case.status.reunited";
    Closed => "closed", "case.status.closed";
});

vocab!(MatchState {
    Proposed => "proposed", "review.state.proposed";
    Verified => "verified", "review.state.verified";
    Asked => "asked", "review.state.asked";
    Consented => "consented", "review.state.consented";
    Approved => "approved", "review.state.approved";
    Connected => "connected", "review.state.connected";
    Reunited => "reunited", "review.state.reunited";
    Rejected => "rejected", "review.state.rejected";
    Declined => "declined", "review.state.declined";
    Withdrawn => "withdrawn", "review.state.withdrawn";
    Closed => "closed", "review.state.closed";
});

vocab!(NoteKind {
    Contact => "contact", "casework.note_kind.contact";
    Call => "call", "casework.note_kind.call";
    Visit => "visit", "casework.note_kind.visit";
    Counselling => "counselling", "casework.note_kind.counselling";
    Other => "other", "casework.note_kind.other";
});

vocab!(NoteVisibility {
    Team => "team", "casework.visibility.team";
    Restricted => "restricted", "casework.visibility.restricted";
});

vocab!(ServiceKind {
    Counselling => "counselling", "casework.service.counselling";
    Medical => "medical", "casework.service.medical";
    Economic => "economic", "casework.service.economic";
    Legal => "legal", "casework.service.legal";
    Education => "education", "casework.service.education";
    Housing => "housing", "casework.service.housing";
    Employment => "employment", "casework.service.employment";
    Other => "other", "casework.service.other";
});

vocab!(ServiceStatus {
    Planned => "planned", "casework.status.planned";
    InProgress => "in_progress", "casework.status.in_progress";
    Done => "done", "casework.status.done";
    Cancelled => "cancelled", "casework.status.cancelled";
});

vocab!(ReferralOutcome {
    Pending => "pending", "casework.outcome.pending";
    Accepted => "accepted", "casework.outcome.accepted";
    Declined => "declined", "casework.outcome.declined";
    Completed => "completed", "casework.outcome.completed";
});

vocab!(SharedField {
    Names => "names", "casework.shared.names";
    BirthDate => "birth_date", "casework.shared.birth_date";
    Contact => "contact", "casework.shared.contact";
    Children => "children", "casework.shared.children";
    Summary => "summary", "casework.shared.summary";
});

vocab!(DnaStatus {
    Registered => "registered", "dna.status.registered";
    SamplesSent => "samples_sent", "dna.status.samples_sent";
    ProfilesReceived => "profiles_received", "dna.status.profiles_received";
    Reported => "reported", "dna.status.reported";
    Cancelled => "cancelled", "dna.status.cancelled";
});

vocab!(Duty {
    Travel => "travel", "team.duty.travel";
    Intake => "intake", "team.duty.intake";
});

vocab!(TripStatus {
    Planned => "planned", "travel.status.planned";
    Active => "active", "travel.status.active";
    Returned => "returned", "travel.status.returned";
});

vocab!(AnsweredBy {
    Herself => "member", "review.answered_by.member";
    Caseworker => "caseworker", "review.answered_by.caseworker";
});

vocab!(Target {
    Traveller => "traveller", "travel.target.traveller";
    OnCall => "oncall", "travel.target.oncall";
    Senior => "senior", "travel.target.senior";
    Contacts => "contacts", "travel.target.contacts";
});

vocab!(Relation {
    Child => "child", "req.relation.child";
    Relative => "relative", "req.relation.relative";
});

vocab!(Sex {
    F => "f", "case.sex.f";
    M => "m", "case.sex.m";
});

vocab!(Cause {
    Repatriation => "repatriation", "case.cause.repatriation";
    Flight => "flight", "case.cause.flight";
    Trafficking => "trafficking", "case.cause.trafficking";
    Other => "other", "case.cause.other";
});

vocab!(ContactStatus {
    None => "none", "case.contact.none";
    ContactNoMeeting => "contact_no_meeting", "case.contact.contact_no_meeting";
    BlockedByFamily => "blocked_by_family", "case.contact.blocked_by_family";
    UnknownWhereabouts => "unknown_whereabouts", "case.contact.unknown_whereabouts";
});

vocab!(NameKind {
    Birth => "birth", "case.kind.birth";
    Alias => "alias", "case.kind.alias";
    Current => "current", "case.kind.current";
    Nickname => "nickname", "case.kind.nickname";
});

vocab!(Calendar {
    Solar => "solar", "case.calendar.solar";
    Lunar => "lunar", "case.calendar.lunar";
});

vocab!(Role {
    Admin => "admin", "role.admin";
    Caseworker => "caseworker", "role.caseworker";
    Reviewer => "reviewer", "role.reviewer";
    Researcher => "researcher", "role.researcher";
    Member => "member", "role.member";
});

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;
    use std::collections::HashSet;
    use std::fmt::Debug;
    use std::str::FromStr;

    /// `ALL` round-trips through `as_str` and `FromStr`, strings and label keys are
    /// distinct, an unknown string is an error.
    fn check<T>()
    where
        T: Vocab + FromStr<Err = UnknownValue> + PartialEq + Debug,
    {
        assert!(!T::ALL.is_empty());
        let mut strings = HashSet::new();
        let mut keys = HashSet::new();
        for &v in T::ALL {
            assert_eq!(v.as_str().parse::<T>(), Ok(v));
            assert_eq!(T::from_stored(v.as_str()), Ok(v));
            assert!(strings.insert(v.as_str()), "{v:?}: string twice");
            assert!(keys.insert(v.label_key()), "{v:?}: label key twice");
            assert!(v.label_key().ends_with(v.as_str()), "{v:?}");
        }
        assert_eq!("no such value".parse::<T>(), Err(UnknownValue));
        assert_eq!("".parse::<T>(), Err(UnknownValue));
        let first = T::ALL[0].as_str();
        assert!(first.to_uppercase().parse::<T>().is_err());
    }

    /// The stored string is the serde spelling (what a sealed record holds).
    fn same_as_serde<T: Vocab + Serialize>() {
        for &v in T::ALL {
            assert_eq!(
                serde_json::to_value(v).unwrap(),
                serde_json::Value::String(v.as_str().to_string())
            );
        }
    }

    #[test]
    fn every_vocabulary_round_trips() {
        check::<CaseStatus>();
        check::<MatchState>();
        check::<DnaStatus>();
        check::<TripStatus>();
        check::<AnsweredBy>();
        check::<Target>();
        check::<Relation>();
        check::<Sex>();
        check::<Cause>();
        check::<ContactStatus>();
        check::<NameKind>();
        check::<Calendar>();
        check::<Role>();
        check::<NoteKind>();
        check::<NoteVisibility>();
        check::<ServiceKind>();
        check::<ServiceStatus>();
        check::<ReferralOutcome>();
        check::<SharedField>();
    }

    #[test]
    fn stored_strings_are_the_serde_spellings() {
        same_as_serde::<CaseStatus>();
        same_as_serde::<DnaStatus>();
        same_as_serde::<TripStatus>();
        same_as_serde::<Relation>();
        same_as_serde::<Sex>();
        same_as_serde::<Cause>();
        same_as_serde::<ContactStatus>();
        same_as_serde::<NameKind>();
        same_as_serde::<Calendar>();
        same_as_serde::<Role>();
        same_as_serde::<NoteKind>();
        same_as_serde::<ServiceStatus>();
        same_as_serde::<SharedField>();
    }
}
