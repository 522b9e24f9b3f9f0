//! Vocabulary values (statuses, kinds, causes, roles …) in the reader's language: one label
//! helper and one option-list helper for every [`Vocab`] enum of `reunite-domain`, instead
//! of a `*_label` and a `*_str` function per enum and page.

use crate::kernel::i18n::Tr;
use reunite_domain::Vocab;

impl Tr {
    /// The label of a value.
    pub fn label<V: Vocab>(&self, v: V) -> &'static str {
        self.s(v.label_key())
    }

    /// The label of a value that may be unknown; `unknown_key` names the message shown then.
    pub fn label_or<V: Vocab>(&self, v: Option<V>, unknown_key: &str) -> &'static str {
        match v {
            Some(v) => self.label(v),
            None => self.s(unknown_key),
        }
    }

    /// The options of a `<select>`: every value's form string and label, in display order,
    /// after an empty "unknown" option labelled by `unknown_key` when one is given.
    pub fn options<V: Vocab>(
        &self,
        unknown_key: Option<&str>,
    ) -> Vec<(&'static str, &'static str)> {
        unknown_key
            .map(|k| ("", self.s(k)))
            .into_iter()
            .chain(V::ALL.iter().map(|v| (v.as_str(), self.label(*v))))
            .collect()
    }
}

/// The form string of a value that may be unknown (empty when unknown).
pub(crate) fn form_str<V: Vocab>(v: Option<V>) -> &'static str {
    v.map(V::as_str).unwrap_or("")
}

/// A value from its form string; empty or anything else is unknown.
pub(crate) fn from_form<V: Vocab>(s: &str) -> Option<V> {
    V::from_stored(s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use reunite_domain::{CaseStatus, Cause, Lang, NameKind, Sex};

    #[test]
    fn labels_and_options_come_from_the_catalogue() {
        let t = Tr::new(Lang::En);
        assert_eq!(t.label(CaseStatus::Open), t.s("case.status.open"));
        assert_eq!(t.label_or::<Sex>(None, "case.unknown"), t.s("case.unknown"));
        let opts = t.options::<Cause>(Some("case.unknown"));
        assert_eq!(opts.len(), Cause::ALL.len() + 1);
        assert_eq!(opts[0], ("", t.s("case.unknown")));
        assert_eq!(opts[1], ("repatriation", t.s("case.cause.repatriation")));
        assert_eq!(t.options::<CaseStatus>(None)[0].0, "open");
    }

    #[test]
    fn every_vocabulary_value_has_a_label_in_every_language() {
        fn check<V: Vocab>() {
            for v in V::ALL {
                assert!(
                    crate::kernel::i18n::has_key(v.label_key()),
                    "no message for {}",
                    v.label_key()
                );
            }
        }
        check::<CaseStatus>();
        check::<Cause>();
        check::<NameKind>();
        check::<Sex>();
        check::<reunite_domain::ContactStatus>();
        check::<reunite_domain::Relation>();
        check::<reunite_domain::Calendar>();
        check::<reunite_domain::casework::NoteKind>();
        check::<reunite_domain::casework::NoteVisibility>();
        check::<reunite_domain::casework::ServiceKind>();
        check::<reunite_domain::casework::ServiceStatus>();
        check::<reunite_domain::casework::ReferralOutcome>();
        check::<reunite_domain::casework::SharedField>();
        check::<reunite_domain::review::MatchState>();
        check::<reunite_domain::dna::DnaStatus>();
        check::<reunite_domain::travel::TripStatus>();
        check::<reunite_domain::Role>();
        check::<reunite_domain::review::AnsweredBy>();
        check::<reunite_domain::travel::Target>();
    }

    #[test]
    fn form_strings_round_trip() {
        assert_eq!(form_str(Some(NameKind::Alias)), "alias");
        assert_eq!(form_str::<NameKind>(None), "");
        assert_eq!(from_form::<Sex>("f"), Some(Sex::F));
        assert_eq!(from_form::<Sex>(""), None);
        assert_eq!(from_form::<Sex>("x"), None);
    }
}
