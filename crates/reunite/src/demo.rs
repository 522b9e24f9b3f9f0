//! Demo data: obviously fictional records so a new installation can be tried out.

use anyhow::Result;
use reunite_domain::{Clock, Lang, Role, Username};
use reunite_store::{NewUser, Store};

/// Fictional staff accounts (they cannot sign in: their passwords are random and unknown).
const STAFF: &[(&str, Role)] = &[
    ("demo-caseworker-1", Role::Caseworker),
    ("demo-caseworker-2", Role::Caseworker),
    ("demo-reviewer", Role::Reviewer),
    ("demo-researcher", Role::Researcher),
];

/// Loads the demo records.
pub async fn load(store: &Store, clock: &dyn Clock) -> Result<()> {
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
        store
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
    }
    Ok(())
}
