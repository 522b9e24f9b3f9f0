//! Timing tests measure latency distributions; run among the other tests of this binary they
//! would measure the other tests. Every app a test spawns holds the gate shared; a timing
//! test takes it exclusively ([`alone`]) before it spawns its app, and so runs while no other
//! test's app exists (the others wait, then run on).
//!
//! The holder is remembered per thread (each test runs on its own thread, on a current-thread
//! runtime), so a test that spawns several apps, or a timing test spawning after [`alone`],
//! reuses what it holds instead of queueing behind a waiting writer (which would deadlock).

use std::cell::RefCell;
use std::sync::{Arc, Weak};
use tokio::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

static GATE: RwLock<()> = RwLock::const_new(());

/// The gate as one test holds it: shared or alone; released when the last clone drops.
pub struct Held {
    _shared: Option<RwLockReadGuard<'static, ()>>,
    _alone: Option<RwLockWriteGuard<'static, ()>>,
}

thread_local! {
    static HELD: RefCell<Weak<Held>> = const { RefCell::new(Weak::new()) };
}

fn held_here() -> Option<Arc<Held>> {
    HELD.with(|h| h.borrow().upgrade())
}

fn remember(held: Held) -> Arc<Held> {
    let held = Arc::new(held);
    HELD.with(|h| *h.borrow_mut() = Arc::downgrade(&held));
    held
}

/// The gate held shared (or what this test already holds).
pub async fn shared() -> Arc<Held> {
    if let Some(h) = held_here() {
        return h;
    }
    remember(Held {
        _shared: Some(GATE.read().await),
        _alone: None,
    })
}

/// The gate held exclusively: no other test's app runs until the result is dropped. Take it
/// first thing in a timing test, before anything is spawned.
pub async fn alone() -> Arc<Held> {
    assert!(held_here().is_none(), "take the gate alone before spawning");
    remember(Held {
        _shared: None,
        _alone: Some(GATE.write().await),
    })
}
