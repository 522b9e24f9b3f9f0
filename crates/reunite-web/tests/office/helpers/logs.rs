//! Everything the process logs, at the most verbose level: one subscriber for the whole test
//! binary, installed by the first caller of [`log_sink`]; the canary tests search it.
//!
//! All tests share the process and so the sink. Searching it whole for a canary is the strict
//! check (a leak by any test, on any thread, is found). To tell that a test's own requests
//! were logged, [`LogSink::this_test`] keeps the lines written on the test's thread: libtest
//! names each test's thread after the test, the lines carry the thread name, and a test's
//! apps serve on its current-thread runtime.

use std::sync::{Arc, Mutex, OnceLock};

#[derive(Clone, Default)]
pub struct LogSink(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl LogSink {
    /// Everything logged so far, by every test.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    /// The lines logged so far on the calling test's thread.
    pub fn this_test(&self) -> String {
        let thread = std::thread::current();
        let marker = format!(" {} ", thread.name().expect("tests run on named threads"));
        self.text()
            .lines()
            .filter(|l| l.contains(&marker))
            .map(|l| format!("{l}\n"))
            .collect()
    }
}

pub fn log_sink() -> &'static LogSink {
    static SINK: OnceLock<LogSink> = OnceLock::new();
    SINK.get_or_init(|| {
        let s = LogSink::default();
        let writer = s.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .with_thread_names(true)
            .with_ansi(false)
            .init();
        s
    })
}

/// Fails if a file of `dir` (the database, its WAL: at least two) holds a canary in clear.
pub fn assert_not_on_disk(dir: &std::path::Path, canaries: &[&str]) {
    let mut files = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let bytes = std::fs::read(&p).unwrap();
        files += 1;
        for canary in canaries {
            assert!(
                !bytes.windows(canary.len()).any(|w| w == canary.as_bytes()),
                "{canary} found in {}",
                p.display()
            );
        }
    }
    assert!(files >= 2, "database and WAL are searched");
}
