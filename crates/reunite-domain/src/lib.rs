//! Domain types and rules of reunite. No IO, no clock (time is a parameter), no global state.
//!
//! Values are parsed into these types at the edge (forms, files, command-line flags); past the
//! edge the rest of the program can rely on them being valid.
#![forbid(unsafe_code)]

pub mod account;
pub mod audit;
pub mod case;
pub mod casework;
pub mod dna;
pub mod fictional;
pub mod record;
pub mod review;
pub mod sensitive;
pub mod task;
pub mod time;
pub mod travel;
pub mod vocab;

pub use account::{AccountPlan, Duty, Lang, Role, UserId, Username, UsernameError};
pub use audit::{Action, AuditEvent, NewAuditEvent};
pub use case::CaseStatus;
pub use record::{
    Calendar, Case, Cause, Child, Consent, ContactStatus, ExplainEntry, FieldProblem, MatchRecord,
    Name, NameKind, PartialDate, Person, Place, Problem, Relation, Separation, Sex, TracingRequest,
};
pub use sensitive::Sensitive;
pub use time::{Clock, Timestamp};
pub use vocab::{UnknownValue, Vocab};
