//! Staff accounts: identifiers, roles, languages, user names.

use crate::vocab::Vocab;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A staff account's identifier (random, opaque; not personal data).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(pub String);

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A standing duty that reaches beyond one's own cases, given to a staff member by an
/// admin: on call for travel safety (every trip and alert), or on intake (every new
/// tracing request, before any case is known).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Duty {
    /// Every trip and its alerts.
    Travel,
    /// Every tracing request.
    Intake,
}

/// What a staff account may do. Least privilege: a researcher sees aggregates only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Accounts, keys, backups, configuration, the audit trail.
    Admin,
    /// Cases assigned to her, matches, disclosures, travel safety.
    Caseworker,
    /// Testimony intake and the witness-review workflow.
    Reviewer,
    /// Aggregate statistics only, never a record.
    Researcher,
    /// A mother: her own case's questions and messages, nothing of the office. Created by
    /// a caseworker for one case, never through the staff account pages.
    Member,
}

impl Role {
    /// The staff roles, in display order (what the account pages offer).
    pub const STAFF: [Role; 4] = [
        Role::Admin,
        Role::Caseworker,
        Role::Reviewer,
        Role::Researcher,
    ];

    /// Stable identifier used in storage and forms ([`Vocab::as_str`]).
    pub fn as_str(self) -> &'static str {
        Vocab::as_str(self)
    }

    /// How far a role reaches: an admin reaches everything, a caseworker cases and what hangs
    /// on them, a reviewer or a researcher less; a member only her own case.
    fn reach(self) -> u8 {
        match self {
            Role::Admin => 3,
            Role::Caseworker => 2,
            Role::Reviewer | Role::Researcher => 1,
            Role::Member => 0,
        }
    }

    /// Whether moving an account from `self` to `to` is a lowering: `to` reaches strictly
    /// less. A move across (reviewer to researcher and back) is not a lowering, nor is
    /// staying.
    pub fn lowers_to(self, to: Role) -> bool {
        to.reach() < self.reach()
    }
}

/// Four eyes for staff accounts: what an administrator asks for an existing account, split
/// into what applies at once and what waits for a *different* administrator. Whatever takes
/// reach away (a lowering, a disabling) applies at once, so one administrator can always
/// stop a compromised account; whatever gives reach (a move to a role that is not a
/// lowering, re-enabling a disabled account) waits. A new account made on the office's
/// pages waits as a whole (it cannot sign in until confirmed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountPlan {
    /// The role from now on.
    pub role: Role,
    /// Disabled from now on.
    pub disabled: bool,
    /// The role the account gets when another administrator confirms.
    pub pending_role: Option<Role>,
    /// Whether the account is enabled when another administrator confirms.
    pub pending_enable: bool,
}

impl AccountPlan {
    /// Splits the change from (`role`, `disabled`) to (`to_role`, `to_disabled`).
    pub fn new(role: Role, disabled: bool, to_role: Role, to_disabled: bool) -> AccountPlan {
        let (now_role, pending_role) = if to_role == role || role.lowers_to(to_role) {
            (to_role, None)
        } else {
            (role, Some(to_role))
        };
        let (now_disabled, pending_enable) = match (disabled, to_disabled) {
            (_, true) => (true, false),
            (true, false) => (true, true),
            (false, false) => (false, false),
        };
        AccountPlan {
            role: now_role,
            disabled: now_disabled,
            pending_role,
            pending_enable,
        }
    }

    /// Whether part of it waits for another administrator.
    pub fn waits(&self) -> bool {
        self.pending_role.is_some() || self.pending_enable
    }
}

pub use crate::vocab::UnknownValue;

/// The user interface languages. Simplified Chinese is the public default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum Lang {
    /// 한국어
    Ko,
    /// 简体中文
    #[default]
    Zh,
    /// English
    En,
}

impl Lang {
    /// All languages, in menu order.
    pub const ALL: [Lang; 3] = [Lang::Zh, Lang::Ko, Lang::En];

    /// BCP 47 tag.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Ko => "ko",
            Lang::Zh => "zh-Hans",
            Lang::En => "en",
        }
    }

    /// The language's own name for itself.
    pub fn endonym(self) -> &'static str {
        match self {
            Lang::Ko => "한국어",
            Lang::Zh => "简体中文",
            Lang::En => "English",
        }
    }

    /// Parses a tag leniently: `ko`, `ko-KR`, `zh`, `zh-CN`, `zh-Hans`, `en-US`…
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag
            .trim()
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match primary.as_str() {
            "ko" => Some(Lang::Ko),
            "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// Picks the first supported language of an `Accept-Language` header.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut it = part.split(';');
            let tag = it.next().unwrap_or("");
            let q = it
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            if let Some(l) = Lang::from_tag(tag)
                && best.is_none_or(|(bq, _)| q > bq)
            {
                best = Some((q, l));
            }
        }
        best.map(|(_, l)| l)
    }
}

/// A staff sign-in name: 3–64 characters, letters, digits, `.`, `_`, `-`; compared
/// case-insensitively (stored lower-case).
#[derive(Clone, PartialEq, Eq)]
pub struct Username(String);

/// Why a user name was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UsernameError {
    /// Fewer than 3 or more than 64 characters.
    #[error("a user name has 3 to 64 characters")]
    Length,
    /// Something other than letters, digits, `.`, `_`, `-`.
    #[error("a user name has only letters, digits, '.', '_' and '-'")]
    Characters,
}

impl Username {
    /// Validates and normalises (trim, lower-case).
    pub fn parse(s: &str) -> Result<Self, UsernameError> {
        let s = s.trim().to_lowercase();
        let n = s.chars().count();
        if !(3..=64).contains(&n) {
            return Err(UsernameError::Length);
        }
        if !s
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            return Err(UsernameError::Characters);
        }
        Ok(Self(s))
    }

    /// The normalised name. Staff names are personal data: handle with care.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Username([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_gives_reach_waits_and_what_takes_it_applies_at_once() {
        use Role::*;
        // (from, to): lowering?
        for (from, to, lowers) in [
            (Admin, Caseworker, true),
            (Admin, Reviewer, true),
            (Admin, Researcher, true),
            (Caseworker, Reviewer, true),
            (Caseworker, Researcher, true),
            (Caseworker, Admin, false),
            (Reviewer, Admin, false),
            (Researcher, Admin, false),
            (Reviewer, Caseworker, false),
            (Researcher, Caseworker, false),
            (Reviewer, Researcher, false),
            (Researcher, Reviewer, false),
            (Admin, Admin, false),
        ] {
            assert_eq!(from.lowers_to(to), lowers, "{from:?} -> {to:?}");
        }
        let p = AccountPlan::new(Caseworker, false, Admin, false);
        assert_eq!(
            (p.role, p.pending_role, p.waits()),
            (Caseworker, Some(Admin), true)
        );
        let p = AccountPlan::new(Admin, false, Reviewer, false);
        assert_eq!((p.role, p.pending_role, p.waits()), (Reviewer, None, false));
        let p = AccountPlan::new(Admin, false, Admin, false);
        assert!(!p.waits());
        // Disabling applies at once, even together with a raise (which still waits).
        let p = AccountPlan::new(Reviewer, false, Admin, true);
        assert!(p.disabled && !p.pending_enable);
        assert_eq!(p.pending_role, Some(Admin));
        // Re-enabling waits; lowering at the same time applies at once.
        let p = AccountPlan::new(Admin, true, Reviewer, false);
        assert!(p.disabled && p.pending_enable && p.waits());
        assert_eq!((p.role, p.pending_role), (Reviewer, None));
    }

    #[test]
    fn usernames_are_normalised_and_checked() {
        assert_eq!(Username::parse("  Admin ").unwrap().expose(), "admin");
        assert_eq!(Username::parse("ab"), Err(UsernameError::Length));
        assert_eq!(Username::parse("a b c"), Err(UsernameError::Characters));
        assert_eq!(Username::parse("김상담").unwrap().expose(), "김상담");
        assert!(!format!("{:?}", Username::parse("secretname").unwrap()).contains("secret"));
    }

    #[test]
    fn accept_language_picks_highest_quality_supported() {
        assert_eq!(
            Lang::from_accept_language("fr;q=1, ko-KR;q=0.8, en;q=0.5"),
            Some(Lang::Ko)
        );
        assert_eq!(Lang::from_accept_language("zh-CN,zh;q=0.9"), Some(Lang::Zh));
        assert_eq!(Lang::from_accept_language("fr, de"), None);
    }

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(r));
        }
        assert!("root".parse::<Role>().is_err());
    }
}
