//! The platform commands end to end, as an administrator runs them: init, audit verify,
//! keys rotate, backup, restore into an empty directory, demo; and clear errors.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_reunite"));
    c.env_remove("REUNITE_DATABASE_URL")
        .env_remove("REUNITE_MASTER_KEY_FILE")
        .env_remove("REUNITE_DATA")
        .env("REUNITE_LOG", "warn");
    c
}

fn tmp(name: &str) -> PathBuf {
    let t: String = reunite_crypto_token();
    std::env::temp_dir().join(format!("reunite-cli-{name}-{t}"))
}

fn reunite_crypto_token() -> String {
    // Unique enough for temp dirs without another dependency.
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{n:x}-{}", std::process::id())
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

fn ok(args: &[&str]) -> String {
    let o = run(args);
    assert!(
        o.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn fails(args: &[&str]) -> String {
    let o = run(args);
    assert!(!o.status.success(), "{args:?} should fail");
    String::from_utf8(o.stderr).unwrap()
}

fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn init_rotate_verify_backup_restore() {
    let dir = tmp("data");
    let d = dir.to_str().unwrap();
    let out = ok(&["init", "--data", d]);
    assert!(out.contains("First administrator: admin"));
    let password = out
        .lines()
        .find_map(|l| l.strip_prefix("One-time password:"))
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    assert!(password.len() >= 20);
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("keys")), 0o700);
    assert_eq!(mode(&dir.join("reunite.db")), 0o600);
    for e in std::fs::read_dir(dir.join("keys")).unwrap() {
        assert_eq!(mode(&e.unwrap().path()), 0o600);
    }
    // init refuses to overwrite.
    assert!(fails(&["init", "--data", d]).contains("not empty"));

    assert!(ok(&["audit", "verify", "--data", d]).contains("intact"));
    let before: Vec<_> = std::fs::read_dir(dir.join("keys"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    let r = ok(&["keys", "rotate", "--data", d]);
    assert!(r.contains("destroyed 1 old master key"), "{r}");
    let after: Vec<_> = std::fs::read_dir(dir.join("keys"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        before
            .iter()
            .filter(|f| f.to_string_lossy().ends_with(".key"))
            .all(|f| !after.contains(f))
    );
    assert!(ok(&["audit", "verify", "--data", d]).contains("intact"));

    // Backup: passphrase rules, then a file holding no plaintext.
    let backup = tmp("backup.bin");
    let b = backup.to_str().unwrap();
    let short = bin()
        .args(["backup", "--data", d, "--out", b])
        .env("REUNITE_BACKUP_PASSPHRASE", "short")
        .output()
        .unwrap();
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 12 characters"));
    let pass = "correct horse battery staple";
    let o = bin()
        .args(["backup", "--data", d, "--out", b])
        .env("REUNITE_BACKUP_PASSPHRASE", pass)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(mode(&backup), 0o600);
    let bytes = std::fs::read(&backup).unwrap();
    for needle in ["reunite-dump", "admin", "reunite-master-key"] {
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "backup leaks {needle}"
        );
    }

    // Restore into an empty directory, with the wrong and then the right passphrase.
    let restored = tmp("restored");
    let r = restored.to_str().unwrap();
    let wrong = bin()
        .args(["restore", "--data", r, "--from", b])
        .env("REUNITE_BACKUP_PASSPHRASE", "wrong passphrase!")
        .output()
        .unwrap();
    assert!(!wrong.status.success());
    assert!(
        !restored.join("reunite.db").exists(),
        "nothing written on failure"
    );
    let pf = tmp("pass.txt");
    std::fs::write(&pf, format!("{pass}\n")).unwrap();
    let o = bin()
        .args([
            "restore",
            "--data",
            r,
            "--from",
            b,
            "--passphrase-file",
            pf.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(ok(&["audit", "verify", "--data", r]).contains("intact"));
    // Restore never overwrites.
    let o = bin()
        .args(["restore", "--data", d, "--from", b])
        .env("REUNITE_BACKUP_PASSPHRASE", pass)
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("not empty"));
}

/// An office with one administrator makes its second on the server: confirmed at once (on
/// the office's pages an account made by one administrator waits for another).
#[test]
fn users_add_makes_a_confirmed_account_on_the_server() {
    let dir = tmp("users");
    let d = dir.to_str().unwrap();
    ok(&["init", "--data", d]);
    let out = ok(&[
        "users",
        "add",
        "--data",
        d,
        "--role",
        "admin",
        "--username",
        "Second.Admin",
    ]);
    assert!(
        out.contains("Created the account second.admin (admin)"),
        "{out}"
    );
    let password = out
        .lines()
        .find_map(|l| l.strip_prefix("One-time password:"))
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    assert!(password.len() >= 20);
    // Clear refusals: a taken name, a bad name, a role that is not staff.
    let e = fails(&[
        "users",
        "add",
        "--data",
        d,
        "--role",
        "caseworker",
        "--username",
        "second.admin",
    ]);
    assert!(e.contains("already taken"), "{e}");
    let e = fails(&[
        "users",
        "add",
        "--data",
        d,
        "--role",
        "caseworker",
        "--username",
        "a b",
    ]);
    assert!(e.contains("is not valid"), "{e}");
    let e = fails(&[
        "users",
        "add",
        "--data",
        d,
        "--role",
        "member",
        "--username",
        "mother",
    ]);
    assert!(e.contains("invalid value 'member'"), "{e}");
    // Both accounts are confirmed, nothing waits, and the audit chain holds the creation.
    let o = Command::new("python3")
        .args([
            "-c",
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); \
             print([r for r in c.execute('SELECT role, confirmed, pending_by FROM users ORDER BY created_at')]); \
             print([r for r in c.execute(\"SELECT actor, detail FROM audit_events WHERE action = 'account_create' ORDER BY seq\")])",
            dir.join("reunite.db").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rows = String::from_utf8(o.stdout).unwrap();
    assert_eq!(
        rows,
        "[('admin', 1, None), ('admin', 1, None)]\n[('cli', 'admin'), ('cli', 'admin')]\n"
    );
    assert!(ok(&["audit", "verify", "--data", d]).contains("intact"));
}

#[test]
fn audit_verify_fails_on_tampering() {
    let dir = tmp("tamper");
    let d = dir.to_str().unwrap();
    ok(&["init", "--data", d]);
    ok(&["keys", "rotate", "--data", d]);
    // Change one stored event with SQLite directly, as an intruder with the file would.
    let db = dir.join("reunite.db");
    let status = Command::new("python3")
        .args([
            "-c",
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); \
             c.execute(\"UPDATE audit_events SET actor='someone-else' WHERE seq=2\"); c.commit()",
            db.to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let err = fails(&["audit", "verify", "--data", d]);
    assert!(err.contains("broken at event 2"), "{err}");
}

#[test]
fn clear_errors_for_bad_input() {
    let missing = tmp("missing");
    let e = fails(&["serve", "--data", missing.to_str().unwrap()]);
    assert!(e.contains("not a reunite data directory"), "{e}");
    let e = fails(&[
        "init",
        "--data",
        tmp("x").to_str().unwrap(),
        "--admin",
        "a b",
    ]);
    assert!(e.contains("is not valid"), "{e}");
    let o = run(&["serve", "--nonsense"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--nonsense"));
    // A broken configuration file names the file.
    let dir = tmp("badconf");
    ok(&["init", "--data", dir.to_str().unwrap()]);
    std::fs::write(dir.join("reunite.toml"), "listen = 5\n").unwrap();
    let e = fails(&["audit", "verify", "--data", dir.to_str().unwrap()]);
    assert!(e.contains("reunite.toml is not valid configuration"), "{e}");
}

/// `reunite intake sync` against a mirror with its own (empty) SQLite file, twice (the
/// second run moves nothing), and a mirror URL that is not one.
#[test]
fn intake_sync_with_a_mirror_file() {
    let dir = tmp("sync");
    let d = dir.to_str().unwrap();
    ok(&["init", "--data", d]);
    let mirror = dir.join("mirror.db");
    let url = format!("sqlite://{}", mirror.display());
    for _ in 0..2 {
        let o = run(&["intake", "sync", "--data", d, "--mirror", &url]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("mirror 1: 0 requests in, 0 out; 0 messages in, 0 out; 0 expired removed"),
            "{err}"
        );
    }
    assert!(
        mirror.exists(),
        "the mirror's database was created and migrated"
    );
    let e = fails(&["intake", "sync", "--data", d, "--mirror", "/not/a/url"]);
    assert!(
        e.contains("mirror 1 must be a sqlite: or postgres: URL"),
        "{e}"
    );
}

/// Starts `reunite demo` on `dir`; returns the child, what it printed up to the line that
/// ends its banner, and its address.
fn start_demo(dir: &std::path::Path, last_line: &str) -> (std::process::Child, String, String) {
    let mut child = bin()
        .args(["demo", "--data", dir.to_str().unwrap(), "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut text = String::new();
    let mut url = None;
    for _ in 0..20 {
        let mut line = String::new();
        if out.read_line(&mut line).unwrap() == 0 {
            break;
        }
        if let Some(u) = line.trim().strip_prefix("reunite is listening on ") {
            url = Some(u.to_string());
        }
        text.push_str(&line);
        if line.starts_with(last_line) {
            break;
        }
    }
    let url = url.unwrap_or_else(|| panic!("no address printed: {text}"));
    (child, text, url)
}

/// The README's first command: `reunite demo` starts, prints where and how to sign in, and
/// serves; `reunite demo --data DIR` on the directory it made reopens it (and says so), and
/// refuses a directory it did not make, pointing to `serve`.
#[test]
fn demo_starts_and_serves() {
    let dir = tmp("demo");
    let (mut child, text, url) = start_demo(&dir, "Administration:");
    assert!(text.contains("fictional"), "{text}");
    // Two sign-ins: the caseworker sees the demo cases (she is on their team), the
    // administrator assigns them and reads none.
    assert!(
        text.contains("sign in as caseworker, one-time password "),
        "{text}"
    );
    assert!(
        text.contains("sign in as admin, one-time password "),
        "{text}"
    );
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches("/office")
        .to_string();
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    use std::io::Write;
    write!(
        stream,
        "GET /office/login HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut resp = String::new();
    stream.read_to_string(&mut resp).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    assert!(resp.contains("content-security-policy"));

    // Again on the same directory: reopened as it was left, no new passwords.
    let (mut again, text, _) = start_demo(&dir, "passwords were shown once");
    again.kill().unwrap();
    again.wait().unwrap();
    assert!(text.contains("DEMO (reopened)"), "{text}");
    assert!(!text.contains("one-time password "), "{text}");

    // A directory `demo` did not make is refused, with the command that serves it.
    let other = tmp("not-a-demo");
    ok(&["init", "--data", other.to_str().unwrap()]);
    let o = bin()
        .args(["demo", "--data", other.to_str().unwrap(), "--port", "0"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("reunite serve --data"), "{err}");
}

/// `trusted_proxies` and `client_ip_header`: an entry that is not an address or CIDR block
/// (in `reunite.toml` or `REUNITE_TRUSTED_PROXIES`) refuses to start, naming the entry; a
/// valid list is accepted.
#[test]
fn invalid_trusted_proxies_refuse_to_start_naming_the_entry() {
    let dir = tmp("proxies");
    let d = dir.to_str().unwrap();
    ok(&["init", "--data", d]);
    let conf = dir.join("reunite.toml");
    // `init` writes the settings with their defaults.
    let text = std::fs::read_to_string(&conf).unwrap();
    assert!(text.contains("trusted_proxies = []"), "{text}");
    assert!(
        text.contains("client_ip_header = \"X-Forwarded-For\""),
        "{text}"
    );
    let set = |proxies: &str, header: &str| {
        let t = text
            .replace(
                "trusted_proxies = []",
                &format!("trusted_proxies = {proxies}"),
            )
            .replace("\"X-Forwarded-For\"", &format!("\"{header}\""));
        std::fs::write(&conf, t).unwrap();
    };
    set(r#"["127.0.0.1/32", "10.0.0.0/33"]"#, "X-Forwarded-For");
    let e = fails(&["serve", "--data", d]);
    assert!(
        e.contains("trusted_proxies: \"10.0.0.0/33\" is not an IP address or CIDR block"),
        "{e}"
    );
    set(r#"["127.0.0.1/32", "::1/128"]"#, "X-Real-IP");
    ok(&["audit", "verify", "--data", d]);
    let o = bin()
        .env("REUNITE_TRUSTED_PROXIES", "127.0.0.1/32, proxy.example")
        .args(["audit", "verify", "--data", d])
        .output()
        .unwrap();
    assert!(!o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("\"proxy.example\" is not an IP address"), "{e}");
    let o = bin()
        .env("REUNITE_CLIENT_IP_HEADER", "X-Client-Address")
        .args(["audit", "verify", "--data", d])
        .output()
        .unwrap();
    assert!(!o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("client_ip_header"), "{e}");
    assert!(e.contains("X-Client-Address"), "{e}");
}
