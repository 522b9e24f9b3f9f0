//! Audit events: who did what to which record, when — never the value.

use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// What happened. Stable strings: they are hashed into the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Action {
    /// A successful sign-in.
    SignIn,
    /// A refused sign-in (the account, if any, is not named).
    SignInFailed,
    /// Sign-out.
    SignOut,
    /// Re-authentication for sensitive work.
    Reauthenticate,
    /// A refused re-authentication (wrong password or code, or too many attempts).
    ReauthFailed,
    /// A staff account was created.
    AccountCreate,
    /// A staff account was changed (role, disabled, second factor reset), or a change that
    /// gives it more reach was asked for (it waits for another administrator) or cancelled.
    AccountChange,
    /// A second administrator confirmed a new account, a raise or a re-enabling.
    AccountConfirm,
    /// A password was changed.
    PasswordChange,
    /// A second factor was enrolled.
    SecondFactorEnrol,
    /// The audit trail itself was read.
    AuditRead,
    /// A sensitive record field was read.
    SensitiveRead,
    /// A record was created.
    RecordCreate,
    /// A record was changed.
    RecordChange,
    /// Data left the system (export).
    Export,
    /// Data entered the system (import).
    Import,
    /// Master key rotation.
    KeyRotate,
    /// A backup was written.
    Backup,
    /// A backup was restored.
    Restore,
    /// The data directory was initialised.
    Init,
    /// A match became a contact: the office relays between the two sides.
    Disclosure,
    /// A staff member opened a case that is not hers, with a recorded reason
    /// ("break-glass"); her access lasts a short while and the case's team is shown it.
    BreakGlass,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 22] = [
        Action::SignIn,
        Action::SignInFailed,
        Action::SignOut,
        Action::Reauthenticate,
        Action::ReauthFailed,
        Action::AccountCreate,
        Action::AccountChange,
        Action::AccountConfirm,
        Action::PasswordChange,
        Action::SecondFactorEnrol,
        Action::AuditRead,
        Action::SensitiveRead,
        Action::RecordCreate,
        Action::RecordChange,
        Action::Export,
        Action::Import,
        Action::KeyRotate,
        Action::Backup,
        Action::Restore,
        Action::Init,
        Action::Disclosure,
        Action::BreakGlass,
    ];

    /// Stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::SignIn => "sign_in",
            Action::SignInFailed => "sign_in_failed",
            Action::SignOut => "sign_out",
            Action::Reauthenticate => "reauthenticate",
            Action::ReauthFailed => "reauth_failed",
            Action::AccountCreate => "account_create",
            Action::AccountChange => "account_change",
            Action::AccountConfirm => "account_confirm",
            Action::PasswordChange => "password_change",
            Action::SecondFactorEnrol => "second_factor_enrol",
            Action::AuditRead => "audit_read",
            Action::SensitiveRead => "sensitive_read",
            Action::RecordCreate => "record_create",
            Action::RecordChange => "record_change",
            Action::Export => "export",
            Action::Import => "import",
            Action::KeyRotate => "key_rotate",
            Action::Backup => "backup",
            Action::Restore => "restore",
            Action::Init => "init",
            Action::Disclosure => "disclosure",
            Action::BreakGlass => "break_glass",
        }
    }

    /// Parses the stable identifier.
    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// An event to append. `actor` and `subject` are pseudonyms (`user:3fa1…`, `case:…`),
/// never names; `detail` is a short fixed word (an outcome or a field name), never a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEvent {
    /// Who: a pseudonym, or `system` / `cli`.
    pub actor: String,
    /// What.
    pub action: Action,
    /// Which record: a pseudonym, or empty.
    pub subject: String,
    /// A fixed word: which field, which outcome. Never a value.
    pub detail: String,
}

/// A stored event, with its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEvent {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// Random event id.
    pub event_id: String,
    /// When (UTC).
    pub at: Timestamp,
    /// Who.
    pub actor: String,
    /// What (stable identifier).
    pub action: String,
    /// Which record.
    pub subject: String,
    /// A fixed word.
    pub detail: String,
    /// Link to the previous event.
    pub prev_hash: Vec<u8>,
    /// This event's link.
    pub hash: Vec<u8>,
}

impl AuditEvent {
    /// The bytes that the chain MAC covers: every field but the hashes, length-prefixed so
    /// that no two different events share an encoding.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128);
        out.extend_from_slice(b"reunite/audit/v1");
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.at.0.to_be_bytes());
        for part in [
            self.event_id.as_str(),
            &self.actor,
            &self.action,
            &self.subject,
            &self.detail,
        ] {
            out.extend_from_slice(&(part.len() as u32).to_be_bytes());
            out.extend_from_slice(part.as_bytes());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_round_trip() {
        for a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(a));
        }
    }

    #[test]
    fn canonical_bytes_differ_when_any_field_differs() {
        let base = AuditEvent {
            seq: 1,
            event_id: "e1".into(),
            at: Timestamp(5),
            actor: "user:a".into(),
            action: "sign_in".into(),
            subject: "".into(),
            detail: "ok".into(),
            prev_hash: vec![],
            hash: vec![],
        };
        let mut moved = base.clone();
        moved.actor = "user:".into();
        moved.subject = "a".into();
        assert_ne!(base.canonical_bytes(), moved.canonical_bytes());
        let mut later = base.clone();
        later.seq = 2;
        assert_ne!(base.canonical_bytes(), later.canonical_bytes());
    }
}
