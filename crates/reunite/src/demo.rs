//! Demo data: obviously fictional records so a new installation can be tried out.

use anyhow::Result;
use reunite_domain::{CaseStatus, Clock, Duty, Lang, Relation, Role, TracingRequest, Username};
use reunite_store::{CaseActor, NewUser, Store};

/// The demo caseworker who can sign in (with a one-time password shown at start).
pub const DEMO_CASEWORKER: &str = "caseworker";
/// The demo team: every demo caseworker is on it, and so is every demo case.
pub const DEMO_TEAM: &str = "Demo team";

/// Fictional staff accounts (they cannot sign in: their passwords are random and unknown).
/// Made on the server, so confirmed at once (no second administrator needed).
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
/// (`demo-0001` …) spread over the two demo caseworkers, some unassigned, in every status,
/// all in [`DEMO_TEAM`]. Returns the one-time password of [`DEMO_CASEWORKER`], who is on
/// that team and on travel and intake duty, so that the demo shows the casework (the
/// administrator reads no case: she assigns them).
pub async fn load(store: &Store, clock: &dyn Clock) -> Result<reunite_crypto::Zeroizing<String>> {
    let mut caseworkers = Vec::new();
    for (name, role) in STAFF {
        let pw = reunite_crypto::random_password();
        // At the production cost, like every account the office makes: an account with a
        // cheaper hash would answer sign-in faster and so tell itself apart.
        let phc = reunite_crypto::hash_password(&reunite_crypto::PasswordPolicy::PRODUCTION, &pw)?;
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
    let password = reunite_crypto::random_password();
    let phc = reunite_crypto::hash_password(
        &reunite_crypto::PasswordPolicy::PRODUCTION,
        password.as_str(),
    )?;
    let signable = store
        .create_user(
            &NewUser {
                username: Username::parse(DEMO_CASEWORKER)?,
                role: Role::Caseworker,
                password_phc: phc,
                lang: Lang::Ko,
                must_change_password: true,
            },
            "demo",
            clock.now(),
        )
        .await?;
    let team = store
        .create_team(DEMO_TEAM, &CaseActor::Demo, clock.now())
        .await?
        .map_err(|e| anyhow::anyhow!("demo team: {e:?}"))?;
    for id in caseworkers.iter().chain([&signable]) {
        store
            .set_team_member(&team, id, Some(false), &CaseActor::Demo, clock.now())
            .await?;
    }
    for duty in Duty::ALL {
        store
            .set_duty(&signable, duty, true, &CaseActor::Demo, clock.now())
            .await?;
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
        store
            .set_case_team(&case.id, Some(&team), &CaseActor::Demo, clock.now())
            .await?;
    }
    file_demo_requests(store, clock).await?;
    Ok(password)
}

/// How many fictional tracing requests the demo files (every one for a demo case).
pub const DEMO_REQUESTS: u64 = 12;

/// Files fictional tracing requests the way the public side does (sealed to the office's
/// key, under a random code nobody will use), each written by the "child" of a demo case
/// with part of what the case holds, and runs the matcher once so the review queue shows
/// its proposals.
async fn file_demo_requests(store: &Store, clock: &dyn Clock) -> Result<()> {
    store.ensure_intake_keys(clock.now()).await?;
    let keys = store.intake_keys().await?;
    for i in 1..=DEMO_REQUESTS {
        let case = reunite_domain::fictional::case(SEED, i * 7 + 1, "demo-");
        let Some(child) = case.children.first() else {
            continue;
        };
        let mut sought = case.mother.clone();
        sought.names.truncate(1);
        sought.birthplace = None;
        let request = TracingRequest {
            id: format!("demo-request-{i}"),
            sought,
            seeker: child.person(),
            relation: Some(Relation::Child),
            father: None,
            separation: case.separation.clone(),
            residence_cn: case.residence_cn.clone(),
        };
        let payload = reunite_store::RequestPayload {
            v: 1,
            lang: "zh".into(),
            request,
            note: String::new(),
        };
        let code = reunite_crypto::TracingCode::generate();
        let reply_key = keys.peppers.reply_key(&code);
        store
            .intake()
            .submit(
                &reunite_store::NewIntake {
                    code_lookup: keys.peppers.code_lookup(&code),
                    sealed_request: reunite_crypto::seal(
                        &keys.office,
                        &serde_json::to_vec(&payload)?,
                    ),
                    sealed_reply_key: reunite_crypto::seal(
                        &keys.office,
                        reply_key.to_text().as_bytes(),
                    ),
                },
                clock.now(),
            )
            .await?;
    }
    store
        .match_new_requests(Default::default(), 100, clock.now())
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn demo_requests_are_proposed_for_their_cases() {
        let dir = std::env::temp_dir().join(format!("reunite-demo-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let store = Store::open(
            reunite_store::OpenOptions::new(reunite_store::sqlite::url_for_path(&dir.join("d.db"))),
            reunite_crypto::KeyRing::new(reunite_crypto::MasterKey::generate(), vec![]),
        )
        .await
        .unwrap();
        let clock = crate::SystemClock;
        store.ensure_system_keys(clock.now()).await.unwrap();
        load(&store, &clock).await.unwrap();
        let proposed = store.list_candidates(None, 1000).await.unwrap();
        // Each request names part of its own case: the matcher finds most of them.
        let right = (1..=DEMO_REQUESTS)
            .filter(|i| {
                let want = format!("demo-{:04}", i * 7 + 1);
                proposed.iter().any(|c| c.case_id == want)
            })
            .count();
        assert!(
            right as u64 >= DEMO_REQUESTS * 3 / 4,
            "{right} of {DEMO_REQUESTS}"
        );
        // No demo account is cheaper to check than production asks (issue 16, finding 7:
        // they answered sign-in in 12 ms against 190 ms for the others).
        for (name, _) in STAFF {
            let user = store
                .user_by_username(&Username::parse(name).unwrap())
                .await
                .unwrap()
                .unwrap();
            assert!(
                !reunite_crypto::is_weaker_than(
                    &reunite_crypto::PasswordPolicy::PRODUCTION,
                    user.password_phc.expose()
                ),
                "{name} has a weaker hash than production"
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn demo_cases_are_valid_and_marked_as_demo() {
        for i in 1..=DEMO_CASES {
            let c = reunite_domain::fictional::case(SEED, i, "demo-");
            assert!(c.id.starts_with("demo-"));
            assert!(c.validate().is_empty(), "{}", c.id);
        }
    }
}
