//! Harness for the public side: a data directory with office keys, the public pages served
//! alone (as a mirror would) on a random port, over a database the office also opens.

use super::client::{Page, no_redirects};
use super::gate::{self, Held};
use reunite_crypto::{KeyRing, MasterKey};
use reunite_domain::Clock;
use reunite_domain::time::ManualClock;
use reunite_store::{IntakeKeys, IntakeStore, OpenOptions, Store};
use reunite_web::{IntakeConfig, IntakeState};
use std::path::PathBuf;
use std::sync::Arc;

pub struct PublicApp {
    pub base: String,
    /// The office's store (holds the master key) over the same database.
    pub office: Store,
    /// The keys the mirror was given.
    pub keys: IntakeKeys,
    pub intake: IntakeStore,
    pub clock: Arc<ManualClock>,
    pub dir: PathBuf,
    _gate: Arc<Held>,
}

pub fn fast_config() -> IntakeConfig {
    IntakeConfig {
        check_floor_ms: 0,
        submit_floor_ms: 0,
        submit_burst: 1000,
        check_burst: 1000,
        ..IntakeConfig::default()
    }
}

pub async fn spawn() -> PublicApp {
    spawn_with(fast_config()).await
}

pub async fn spawn_with(cfg: IntakeConfig) -> PublicApp {
    let gate = gate::shared().await;
    let dir = super::temp_dir("reunite-intake-test");
    let url = reunite_store::sqlite::url_for_path(&dir.join("reunite.db"));
    let office = Store::open(
        OpenOptions::new(url.clone()),
        KeyRing::new(MasterKey::generate(), vec![]),
    )
    .await
    .unwrap();
    let clock = Arc::new(ManualClock::new(super::real_now()));
    office.ensure_system_keys(clock.now()).await.unwrap();
    office.ensure_intake_keys(clock.now()).await.unwrap();
    let text = office.export_intake_keys().await.unwrap();
    // The mirror: its key file and a store opened without any key ring.
    let intake = IntakeStore::open(OpenOptions::new(url)).await.unwrap();
    let state = IntakeState::new(
        IntakeKeys::from_text(&text).unwrap(),
        intake.clone(),
        clock.clone(),
        cfg,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = reunite_web::intake_router(state);
    tokio::spawn(async move {
        reunite_web::serve_router(listener, app).await.unwrap();
    });
    PublicApp {
        base: format!("http://{addr}"),
        office,
        keys: IntakeKeys::from_text(&text).unwrap(),
        intake,
        clock,
        dir,
        _gate: gate,
    }
}

/// A public response (the office's [`Page`]; a public response never sets a cookie).
pub type Resp = Page;

pub fn client() -> reqwest::Client {
    no_redirects()
}

pub async fn get(c: &reqwest::Client, url: &str) -> Resp {
    finish(c.get(url).send().await.unwrap()).await
}

pub async fn post(c: &reqwest::Client, url: &str, form: &[(&str, &str)]) -> Resp {
    finish(c.post(url).form(form).send().await.unwrap()).await
}

async fn finish(r: reqwest::Response) -> Resp {
    let page = Page::read(r).await;
    assert!(
        page.set_cookie().is_none(),
        "a public response set a cookie"
    );
    page
}

/// A complete, valid request.
pub fn good_form(lang: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("lang", lang),
        ("step", "submit"),
        ("relation", "child"),
        ("m_name1", "金英子"),
        ("m_name2", "리영자"),
        ("m_year", "1979"),
        ("m_origin", "会宁"),
        ("c_name1", "王明"),
        ("c_sex", "m"),
        ("c_year", "2004"),
        ("c_month", "6"),
        ("c_day", "12"),
        ("c_place", "黑龙江 密山"),
        ("f_name1", "王建国"),
        ("home", "黑龙江 鸡西 密山"),
        ("sep_year", "2010"),
        ("sep_how", "1"),
        ("note", "她左手有一道疤"),
    ]
}
