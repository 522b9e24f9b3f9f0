//! Sign-in latency for the three failing branches (unknown user, wrong password, empty
//! password) and a successful password check, with the production Argon2id parameters
//! (64 MiB, t = 3). Threat model requirement 9: the branches must answer alike.
//!
//! Run: `cargo bench -p reunite-web --bench login`

use reunite_crypto::{KeyRing, MasterKey, PasswordPolicy};
use reunite_domain::{Lang, Role, Timestamp, Username};
use reunite_store::{NewUser, OpenOptions, Store};
use reunite_web::{OfficeState, WebConfig};
use std::sync::Arc;
use std::time::Instant;

#[derive(Debug)]
struct Clock;
impl reunite_domain::Clock for Clock {
    fn now(&self) -> Timestamp {
        Timestamp(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis() as i64,
        )
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run());
}

async fn run() {
    let dir = std::env::temp_dir().join(format!("reunite-login-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = Store::open(
        OpenOptions::new(reunite_store::sqlite::url_for_path(&dir.join("b.db"))),
        KeyRing::new(MasterKey::generate(), vec![]),
    )
    .await
    .unwrap();
    store.ensure_system_keys(Timestamp(0)).await.unwrap();
    let policy = PasswordPolicy::PRODUCTION;
    let phc = reunite_crypto::hash_password(&policy, "the right password").unwrap();
    let id = store
        .create_user(
            &NewUser {
                username: Username::parse("staff").unwrap(),
                role: Role::Caseworker,
                password_phc: phc,
                lang: Lang::En,
                must_change_password: false,
            },
            "bench",
            Timestamp(0),
        )
        .await
        .unwrap();
    // A finished account: a second factor is enrolled.
    store
        .set_totp_pending(&id, &reunite_crypto::totp::new_secret(), Timestamp(0))
        .await
        .unwrap();
    store
        .confirm_totp(&id, 1, "bench", Timestamp(0))
        .await
        .unwrap();
    let cfg = WebConfig {
        password_policy: policy,
        login_burst: 100_000,
        ..WebConfig::default()
    };
    reunite_crypto::dummy_verify(&policy, "warm-up");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = OfficeState::new(store, Arc::new(Clock), cfg);
    tokio::spawn(async move { reunite_web::serve(listener, state).await.unwrap() });
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let branches: [(&str, &str, &str); 4] = [
        ("unknown user", "nobody", "some password"),
        ("wrong password", "staff", "a wrong password"),
        ("empty password", "staff", ""),
        ("right password, wrong code", "staff", "the right password"),
    ];
    let rounds = 25;
    let mut samples: Vec<Vec<f64>> = vec![Vec::new(); branches.len()];
    // Interleave the branches so that machine noise falls on all of them alike.
    for _ in 0..rounds {
        for (i, (_, user, pw)) in branches.iter().enumerate() {
            let t = Instant::now();
            let r = http
                .post(format!("{base}/office/login"))
                .form(&[("username", *user), ("password", *pw), ("code", "000000")])
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let _ = r.bytes().await.unwrap();
            samples[i].push(t.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(status, 401);
        }
    }
    println!("sign-in latency, production Argon2id (m=64 MiB, t=3, p=1), {rounds} requests each");
    println!("| branch | median ms | p90 ms | min ms | max ms |");
    println!("|---|---|---|---|---|");
    for (i, (name, _, _)) in branches.iter().enumerate() {
        let s = &mut samples[i];
        s.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let q = |p: f64| s[((s.len() - 1) as f64 * p).round() as usize];
        println!(
            "| {name} | {:.1} | {:.1} | {:.1} | {:.1} |",
            q(0.5),
            q(0.9),
            s[0],
            s[s.len() - 1]
        );
    }
}
