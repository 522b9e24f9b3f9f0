//! Demo data: obviously fictional records so a new installation can be tried out.

use anyhow::Result;
use reunite_domain::{CaseStatus, Clock, Lang, Role, Username};
use reunite_store::{CaseActor, NewUser, Store};

/// Fictional staff accounts (they cannot sign in: their passwords are random and unknown).
const STAFF: &[(&str, Role)] = &[
    ("demo-caseworker-1", Role::Caseworker),
    ("demo-caseworker-2", Role::Caseworker),
    ("demo-reviewer", Role::Reviewer),
    ("demo-researcher", Role::Researcher),
];

/// How many fictional cases the demo holds.
pub const DEMO_CASES: u64 = 300;

/// The seed of the demo cases (fixed: every demo shows the same cases).
const SEED: u64 = 0x0072_6575_6e69_7465;

/// Loads the demo records: the staff accounts, then [`DEMO_CASES`] fictional cases
/// (`demo-0001` …) spread over the two demo caseworkers, some unassigned, in every status.
pub async fn load(store: &Store, clock: &dyn Clock) -> Result<()> {
    let mut caseworkers = Vec::new();
    for (name, role) in STAFF {
        let pw = reunite_crypto::random_password();
        let phc = reunite_crypto::hash_password(
            &reunite_crypto::PasswordPolicy {
                m_kib: 8 * 1024,
                t: 1,
                p: 1,
            },
            &pw,
        )?;
        let id = store
            .create_user(
                &NewUser {
                    username: Username::parse(name)?,
                    role: *role,
                    password_phc: phc,
                    lang: Lang::Ko,
                    must_change_password: true,
                },
                "demo",
                clock.now(),
            )
            .await?;
        if *role == Role::Caseworker {
            caseworkers.push(id);
        }
    }
    for i in 1..=DEMO_CASES {
        let case = reunite_domain::fictional::case(SEED, i, "demo-");
        let status = match i % 10 {
            0..=5 => CaseStatus::Open,
            6..=7 => CaseStatus::InContact,
            8 => CaseStatus::Reunited,
            _ => CaseStatus::Closed,
        };
        // Every seventh case waits for an administrator to assign it.
        let assigned = (i % 7 != 0).then(|| &caseworkers[(i as usize) % caseworkers.len()]);
        store
            .create_case(&case, status, assigned, &CaseActor::Demo, clock.now())
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_cases_are_valid_and_marked_as_demo() {
        for i in 1..=DEMO_CASES {
            let c = reunite_domain::fictional::case(SEED, i, "demo-");
            assert!(c.id.starts_with("demo-"));
            assert!(c.validate().is_empty(), "{}", c.id);
        }
    }
}
