//! One bounded queue for the expensive key derivations (Argon2id: sign-in, re-authentication,
//! password changes, new accounts, tracing codes, check-in PINs). Each derivation takes 64 MiB
//! and a core for a while; without a bound, a burst of concurrent requests multiplies both
//! (THREAT-MODEL, issue 16 finding 5). At most one derivation per core runs at a time, off
//! the async threads; the others wait their turn.

use std::sync::Arc;
use tokio::sync::Semaphore;

/// The queue. Cheap to clone; clones share the same permits.
#[derive(Debug, Clone)]
pub struct KdfQueue(Arc<Semaphore>);

impl KdfQueue {
    /// One permit per core of this machine.
    pub fn for_this_machine() -> Self {
        Self::with_permits(std::thread::available_parallelism().map_or(2, |n| n.get()))
    }

    /// A queue that runs at most `permits` derivations at once.
    pub fn with_permits(permits: usize) -> Self {
        Self(Arc::new(Semaphore::new(permits.max(1))))
    }

    /// Runs `f` on a blocking thread once a permit is free.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, tokio::task::JoinError> {
        // The semaphore is never closed, so acquiring fails only if it were; run anyway then.
        let _permit = self.0.clone().acquire_owned().await.ok();
        tokio::task::spawn_blocking(f).await
    }
}

impl Default for KdfQueue {
    fn default() -> Self {
        Self::for_this_machine()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn no_more_derivations_run_at_once_than_there_are_permits() {
        let q = KdfQueue::with_permits(2);
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let rx = Arc::new(std::sync::Mutex::new(rx));
        let jobs: Vec<_> = (0..6)
            .map(|_| {
                let (q, running, most, rx) = (q.clone(), running.clone(), most.clone(), rx.clone());
                tokio::spawn(async move {
                    q.run(move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        // Hold the permit until the test lets one job go.
                        let _ = rx.lock().unwrap().recv();
                        running.fetch_sub(1, Ordering::SeqCst);
                    })
                    .await
                    .unwrap();
                })
            })
            .collect();
        // Two jobs hold both permits; the other four wait for one.
        while running.load(Ordering::SeqCst) < 2 {
            tokio::task::yield_now().await;
        }
        assert_eq!(
            q.0.available_permits(),
            0,
            "the running jobs hold no permit"
        );
        for _ in 0..6 {
            tx.send(()).unwrap();
        }
        for j in jobs {
            j.await.unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 2);
    }
}
