//! Printing HTML to PDF with headless Chromium.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `REUNITE_CHROMIUM`, else `chromium` or `chromium-browser` on `PATH`.
pub(super) fn find_chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("REUNITE_CHROMIUM") {
        let p = PathBuf::from(p);
        return p.is_file().then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|d| ["chromium", "chromium-browser"].map(|n| d.join(n)))
        .find(|p| p.is_file())
}

fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// A private working directory (0700) on a memory file system when there is one, so the
/// decrypted report does not reach a disk; removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> std::io::Result<Self> {
        use std::os::unix::fs::DirBuilderExt;
        let shm = Path::new("/dev/shm");
        let base = if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let t = reunite_crypto::random_token();
        let tail: String = t.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
        let dir = base.join(format!("reunite-pdf-{tail}"));
        std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
        Ok(Self(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[derive(Debug)]
pub(super) struct PdfError(String);

impl From<PdfError> for crate::kernel::error::WebError {
    fn from(e: PdfError) -> Self {
        crate::kernel::error::WebError::internal(e)
    }
}

impl std::fmt::Display for PdfError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "pdf: {}", self.0)
    }
}

impl From<std::io::Error> for PdfError {
    fn from(e: std::io::Error) -> Self {
        PdfError(e.to_string())
    }
}

/// Prints `html` (self-contained: inline styles, no network) to PDF bytes.
pub(super) fn print(chromium: &Path, html: &str) -> Result<Vec<u8>, PdfError> {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = Scratch::new()?;
    let page = dir.0.join("report.html");
    let out = dir.0.join("report.pdf");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&page)?;
    f.write_all(html.as_bytes())?;
    drop(f);
    let mut cmd = Command::new(chromium);
    cmd.arg("--headless")
        .arg("--disable-gpu")
        .arg("--no-first-run")
        .arg("--no-default-browser-check")
        .arg("--disable-extensions")
        .arg("--disable-background-networking")
        .arg("--disable-sync")
        .arg("--no-pdf-header-footer")
        .arg(format!(
            "--user-data-dir={}",
            dir.0.join("profile").display()
        ))
        .arg(format!("--print-to-pdf={}", out.display()));
    if running_as_root() {
        // Chromium refuses to start its sandbox as root.
        cmd.arg("--no-sandbox");
    }
    cmd.arg(format!("file://{}", page.display()))
        .env("HOME", &dir.0)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = cmd.spawn()?;
    let deadline = Instant::now() + Duration::from_secs(90);
    let status = loop {
        if let Some(s) = child.try_wait()? {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(PdfError("chromium did not finish in 90 s".into()));
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    if !status.success() {
        return Err(PdfError(format!("chromium exited with {status}")));
    }
    let bytes = std::fs::read(&out)?;
    if !bytes.starts_with(b"%PDF") {
        return Err(PdfError("chromium wrote no PDF".into()));
    }
    Ok(bytes)
}
