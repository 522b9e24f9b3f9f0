//! Headless Chromium through chromedriver (Debian's `chromium` and `chromium-driver`).
//! Each test starts its own chromedriver on a free port and a fresh, empty profile.

use std::process::{Child, Command, Stdio};

pub struct Browser {
    pub client: fantoccini::Client,
    driver: Child,
    pub profile: std::path::PathBuf,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Where chromedriver is, or a clear message when it is missing.
pub fn chromedriver() -> String {
    let path = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
    assert!(
        std::path::Path::new(&path).exists(),
        "chromedriver not found at {path}: install Debian's chromium and chromium-driver \
         (apt-get install chromium chromium-driver), as .ci/run does"
    );
    path
}

/// Starts chromedriver and a headless Chromium session. `javascript` false disables
/// scripts entirely (the public pages must work so).
pub async fn start(javascript: bool) -> Browser {
    let port = free_port();
    let mut driver = Command::new(chromedriver())
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let profile = std::env::temp_dir().join(crate::helpers::unique("reunite-chrome-profile"));
    std::fs::create_dir_all(&profile).unwrap();
    let binary = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let mut prefs = serde_json::Map::new();
    if !javascript {
        prefs.insert(
            "profile.managed_default_content_settings.javascript".into(),
            serde_json::json!(2),
        );
    }
    let caps = serde_json::json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": binary,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                "--window-size=1200,900",
                format!("--user-data-dir={}", profile.display()),
            ],
            "prefs": prefs,
        }
    });
    let caps: serde_json::Map<String, serde_json::Value> = serde_json::from_value(caps).unwrap();
    // chromedriver takes a moment to listen; retry the connection (bounded).
    let url = format!("http://127.0.0.1:{port}");
    let mut last_err = None;
    for _ in 0..100 {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match fantoccini::ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(client) => {
                return Browser {
                    client,
                    driver,
                    profile,
                };
            }
            Err(e) => {
                last_err = Some(e.to_string());
                // Wait for the driver process to come up: poll its port.
                let _ = tokio::net::TcpStream::connect(("127.0.0.1", port)).await;
                tokio::task::yield_now().await;
                if let Ok(Some(status)) = driver.try_wait() {
                    panic!("chromedriver exited: {status}");
                }
                tokio::time::timeout(
                    std::time::Duration::from_millis(100),
                    std::future::pending::<()>(),
                )
                .await
                .ok();
            }
        }
    }
    panic!("could not connect to chromedriver: {last_err:?}");
}

/// The URLs in the profile's History database (read with python3's sqlite3).
pub fn history_urls(profile: &std::path::Path) -> Vec<String> {
    let db = profile.join("Default").join("History");
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import sqlite3,sys\nfor (u,) in sqlite3.connect(sys.argv[1]).execute('select url from urls'): print(u)",
            db.to_str().unwrap(),
        ])
        .output()
        .expect("python3 reads the History database");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// Files under `dir` whose bytes contain `needle`.
pub fn files_mentioning(dir: &std::path::Path, needle: &str, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files_mentioning(&p, needle, out);
        } else if let Ok(bytes) = std::fs::read(&p)
            && bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
        {
            out.push(p);
        }
    }
}

/// The profile keeps no storage and no cookie of `host` (files mentioning it are allowed
/// only outside storage, and never the cookie jar).
pub fn assert_no_storage_of(profile: &std::path::Path, host: &str) {
    for dir in [
        "Local Storage",
        "Session Storage",
        "IndexedDB",
        "Service Worker",
    ] {
        let mut found = Vec::new();
        files_mentioning(&profile.join("Default").join(dir), host, &mut found);
        assert!(found.is_empty(), "{dir} holds our origin: {found:?}");
    }
    let mut found = Vec::new();
    files_mentioning(&profile.join("Default").join("Network"), host, &mut found);
    assert!(
        found.iter().all(|p| !p.ends_with("Cookies")),
        "a cookie of ours was stored: {found:?}"
    );
}
