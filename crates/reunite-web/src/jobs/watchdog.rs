//! The watchdog of the escalation run: alerts on-call and senior directly when trips are
//! active and the scheduler has stopped.

use super::notify::{NotifyConfig, parse_address, render_watchdog, send};
use reunite_domain::Timestamp;
use reunite_store::{Store, StoreError};

/// The scheduler counts as stopped after this long without a run.
pub const WATCHDOG_STALE_MS: i64 = 5 * 60_000;
/// The watchdog repeats its alert at most this often.
pub const WATCHDOG_REPEAT_MS: i64 = 30 * 60_000;

/// One watchdog check at `now`: when trips are active and the scheduler (of any process)
/// has not run for five minutes, alerts on-call and senior directly (not through the
/// outbox, which the stopped scheduler would not send), at most every 30 minutes. Returns
/// whether it alerted.
pub async fn watchdog_once(
    store: &Store,
    cfg: &NotifyConfig,
    now: Timestamp,
) -> Result<bool, StoreError> {
    if store.active_trip_count().await? == 0 {
        return Ok(false);
    }
    let last = store.travel_heartbeat().await?;
    if last.is_some_and(|t| now.millis_since(t) < WATCHDOG_STALE_MS) {
        return Ok(false);
    }
    let alerted: Option<Timestamp> = store
        .setting(reunite_store::travel::WATCHDOG_SETTING)
        .await?
        .and_then(|v| v.parse().ok())
        .map(Timestamp);
    if alerted.is_some_and(|t| now.millis_since(t) < WATCHDOG_REPEAT_MS) {
        return Ok(false);
    }
    store
        .set_setting(
            reunite_store::travel::WATCHDOG_SETTING,
            &now.millis().to_string(),
        )
        .await?;
    let msg = render_watchdog(cfg.staff_lang, last);
    tracing::error!("travel scheduler has stopped; alerting");
    for a in cfg.oncall.iter().chain(cfg.senior.iter()) {
        if let Some(addr) = parse_address(a)
            && let Err(e) = send(cfg, &addr, &msg).await
        {
            tracing::warn!(error = %e, "watchdog alert not delivered");
        }
    }
    Ok(true)
}
