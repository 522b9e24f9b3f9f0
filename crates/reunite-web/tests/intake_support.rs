//! Harness for the public side: a data directory with office keys, the public pages served
//! alone (as a mirror would) on a random port, over a database the office also opens.
#![allow(dead_code)]

use reunite_crypto::{KeyRing, MasterKey};
use reunite_domain::time::ManualClock;
use reunite_domain::{Clock, Timestamp};
use reunite_store::{IntakeKeys, IntakeStore, OpenOptions, Store};
use reunite_web::{IntakeConfig, IntakeState};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug)]
pub struct PublicApp {
    pub base: String,
    /// The office's store (holds the master key) over the same database.
    pub office: Store,
    /// The keys the mirror was given.
    pub keys: IntakeKeys,
    pub intake: IntakeStore,
    pub clock: Arc<ManualClock>,
    pub dir: PathBuf,
}

pub fn unique(prefix: &str) -> String {
    let t: String = reunite_crypto::random_token()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(12)
        .collect();
    format!("{prefix}-{}", t.to_lowercase())
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
    let dir = std::env::temp_dir().join(unique("reunite-intake-test"));
    std::fs::create_dir_all(&dir).unwrap();
    let url = reunite_store::sqlite::url_for_path(&dir.join("reunite.db"));
    let office = Store::open(
        OpenOptions::new(url.clone()),
        KeyRing::new(MasterKey::generate(), vec![]),
    )
    .await
    .unwrap();
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let clock = Arc::new(ManualClock::new(Timestamp(d.as_millis() as i64)));
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
    }
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn by_id(&self, id: &str) -> Option<String> {
        let marker = format!("id=\"{id}\"");
        let at = self.body.find(&marker)?;
        let start = at + self.body[at..].find('>')? + 1;
        let end = self.body[start..].find('<')?;
        Some(self.body[start..start + end].to_string())
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub async fn get(c: &reqwest::Client, url: &str) -> Resp {
    let r = c.get(url).send().await.unwrap();
    finish(r).await
}

pub async fn post(c: &reqwest::Client, url: &str, form: &[(&str, &str)]) -> Resp {
    let r = c.post(url).form(form).send().await.unwrap();
    finish(r).await
}

async fn finish(r: reqwest::Response) -> Resp {
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let body = r.text().await.unwrap();
    assert!(
        headers.get("set-cookie").is_none(),
        "a public response set a cookie"
    );
    Resp {
        status,
        headers,
        body,
    }
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
