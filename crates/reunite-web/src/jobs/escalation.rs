//! The escalation run: raises the alerts that are due (idempotent), then delivers what is
//! due in the outbox, retrying failures with a growing delay.

use super::notify::{NotifyConfig, parse_address, render_message, send};
use crate::kernel::i18n::lang_from_code;
use reunite_domain::{Lang, Timestamp};
use reunite_store::{OutboxItem, Store, StoreError};

/// What one run of the travel job did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunReport {
    /// Alerts raised.
    pub raised: u64,
    /// Messages delivered.
    pub sent: u64,
    /// Messages that failed (retried later).
    pub failed: u64,
}

/// Addresses for one outbox item.
async fn addresses(
    store: &Store,
    cfg: &NotifyConfig,
    item: &OutboxItem,
    now: Timestamp,
) -> Result<(Lang, Vec<String>), StoreError> {
    match item.target.as_str() {
        "oncall" => Ok((cfg.staff_lang, cfg.oncall.clone())),
        "senior" => Ok((cfg.staff_lang, cfg.senior.clone())),
        "traveller" => {
            let d = store.travel_delivery(&item.trip_id, now).await?;
            let lang = lang_from_code(&d.lang).unwrap_or(Lang::Ko);
            Ok((lang, vec![d.reminder_to.clone()]))
        }
        _ => {
            let d = store.travel_delivery(&item.trip_id, now).await?;
            Ok((cfg.staff_lang, d.contacts.clone()))
        }
    }
}

/// One run at `now`: escalates (idempotent), then sends what is due in the outbox. A
/// message that fails is retried with a growing delay (1, 2, 4 … up to 30 minutes).
pub async fn run_once(
    store: &Store,
    cfg: &NotifyConfig,
    now: Timestamp,
) -> Result<RunReport, StoreError> {
    let mut report = RunReport {
        raised: store.travel_escalate(now).await?.raised,
        ..RunReport::default()
    };
    for item in store.travel_outbox_due(now, 100).await? {
        let (lang, to) = addresses(store, cfg, &item, now).await?;
        let msg = render_message(
            lang,
            &item.target,
            item.stage,
            &item.trip_id,
            item.deadline_at,
        );
        let mut ok = true;
        let mut any = false;
        for a in to.iter().filter(|a| !a.is_empty()) {
            let Some(addr) = parse_address(a) else {
                continue;
            };
            any = true;
            if let Err(e) = send(cfg, &addr, &msg).await {
                tracing::warn!(error = %e, target = %item.target, "travel message not delivered");
                ok = false;
            }
        }
        if !any {
            tracing::warn!(target = %item.target, "travel message has no usable address");
        }
        let backoff = 60_000i64 << item.attempts.clamp(0, 5);
        store
            .travel_outbox_result(&item.id, ok, now.plus_millis(backoff.min(1_800_000)), now)
            .await?;
        if ok {
            report.sent += 1;
        } else {
            report.failed += 1;
        }
    }
    Ok(report)
}
