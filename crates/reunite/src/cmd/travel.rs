//! Travel safety in `serve`: the `[travel]` settings and the background jobs (escalation
//! and delivery every 15 seconds, the watchdog every minute, retention of places every
//! hour). Every job's state is in the database, so a restart loses nothing and several
//! processes on one PostgreSQL database may run them side by side.

use anyhow::{Context, Result, bail};
use reunite_domain::{Clock, Lang};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// `[travel]` in reunite.toml; each value also has a `REUNITE_*` variable.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TravelConfig {
    /// Path of the check-in page (`REUNITE_CHECKIN_PATH`).
    pub checkin_path: String,
    /// Neutral title of the check-in page (`REUNITE_CHECKIN_TITLE`).
    pub checkin_title: String,
    /// Days after her return before places and check-in cities are deleted
    /// (`REUNITE_TRAVEL_RETENTION_DAYS`).
    pub retention_days: i64,
    /// SMTP relay `host:port` (`REUNITE_SMTP_RELAY`); empty: no e-mail.
    pub smtp_relay: String,
    /// Sender address (`REUNITE_SMTP_FROM`).
    pub smtp_from: String,
    /// SMS gateway `http://…` (`REUNITE_SMS_WEBHOOK`); empty: no SMS.
    pub sms_webhook: String,
    /// On-call addresses, `email:…` / `sms:…` (`REUNITE_TRAVEL_ONCALL`, comma-separated).
    pub oncall: Vec<String>,
    /// Senior addresses (`REUNITE_TRAVEL_SENIOR`, comma-separated).
    pub senior: Vec<String>,
    /// Language of staff alerts and messages to contacts: ko, zh, en
    /// (`REUNITE_TRAVEL_LANG`).
    pub staff_lang: String,
}

impl Default for TravelConfig {
    fn default() -> Self {
        Self {
            checkin_path: "/n/".into(),
            checkin_title: "Notes".into(),
            retention_days: 30,
            smtp_relay: String::new(),
            smtp_from: String::new(),
            sms_webhook: String::new(),
            oncall: Vec::new(),
            senior: Vec::new(),
            staff_lang: "ko".into(),
        }
    }
}

fn list(v: &str) -> Vec<String> {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

impl TravelConfig {
    /// Applies the `REUNITE_*` variables.
    pub fn apply_env(&mut self) -> Result<()> {
        let var = |k: &str| std::env::var(k).ok();
        if let Some(v) = var("REUNITE_CHECKIN_PATH") {
            self.checkin_path = v;
        }
        if let Some(v) = var("REUNITE_CHECKIN_TITLE") {
            self.checkin_title = v;
        }
        if let Some(v) = var("REUNITE_TRAVEL_RETENTION_DAYS") {
            self.retention_days = v.parse().ok().filter(|d| *d > 0).with_context(|| {
                format!("REUNITE_TRAVEL_RETENTION_DAYS must be a number of days, not {v:?}")
            })?;
        }
        if let Some(v) = var("REUNITE_SMTP_RELAY") {
            self.smtp_relay = v;
        }
        if let Some(v) = var("REUNITE_SMTP_FROM") {
            self.smtp_from = v;
        }
        if let Some(v) = var("REUNITE_SMS_WEBHOOK") {
            self.sms_webhook = v;
        }
        if let Some(v) = var("REUNITE_TRAVEL_ONCALL") {
            self.oncall = list(&v);
        }
        if let Some(v) = var("REUNITE_TRAVEL_SENIOR") {
            self.senior = list(&v);
        }
        if let Some(v) = var("REUNITE_TRAVEL_LANG") {
            self.staff_lang = v;
        }
        self.check()
    }

    /// Refuses settings that would silently send nothing or to the wrong place.
    pub fn check(&self) -> Result<()> {
        for a in self.oncall.iter().chain(self.senior.iter()) {
            if reunite_web::jobs::notify::parse_address(a).is_none() {
                bail!("travel address {a:?} must be email:… or sms:+…");
            }
        }
        if !self.sms_webhook.is_empty() && !self.sms_webhook.starts_with("http://") {
            bail!("REUNITE_SMS_WEBHOOK must be an http:// address (a local gateway)");
        }
        if !["ko", "zh", "en"].contains(&self.staff_lang.as_str()) {
            bail!("REUNITE_TRAVEL_LANG must be ko, zh or en");
        }
        if self.retention_days <= 0 {
            bail!("travel retention_days must be at least 1");
        }
        Ok(())
    }

    /// The check-in page's settings.
    pub fn checkin(&self, exit_url: &str) -> reunite_web::CheckinConfig {
        reunite_web::CheckinConfig {
            path: self.checkin_path.clone(),
            title: self.checkin_title.clone(),
            exit_url: exit_url.to_string(),
            ..Default::default()
        }
    }

    fn notify(&self) -> reunite_web::jobs::notify::NotifyConfig {
        reunite_web::jobs::notify::NotifyConfig {
            smtp_relay: self.smtp_relay.clone(),
            smtp_from: self.smtp_from.clone(),
            sms_webhook: self.sms_webhook.clone(),
            oncall: self.oncall.clone(),
            senior: self.senior.clone(),
            staff_lang: match self.staff_lang.as_str() {
                "zh" => Lang::Zh,
                "en" => Lang::En,
                _ => Lang::Ko,
            },
        }
    }
}

/// Starts the travel jobs of `serve`.
pub fn spawn_jobs(store: reunite_store::Store, clock: Arc<dyn Clock>, cfg: &TravelConfig) {
    if cfg.oncall.is_empty() && cfg.senior.is_empty() {
        tracing::warn!("no on-call or senior address is configured: travel alerts reach nobody");
    }
    let notify = cfg.notify();
    {
        let (store, clock, notify) = (store.clone(), clock.clone(), notify.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(15));
            loop {
                tick.tick().await;
                match reunite_web::jobs::escalation::run_once(&store, &notify, clock.now()).await {
                    Ok(r) if r.raised + r.sent + r.failed > 0 => tracing::info!(
                        raised = r.raised,
                        sent = r.sent,
                        failed = r.failed,
                        "travel escalation"
                    ),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "travel escalation failed"),
                }
            }
        });
    }
    {
        let (store, clock) = (store.clone(), clock.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
            loop {
                tick.tick().await;
                if let Err(e) =
                    reunite_web::jobs::watchdog::watchdog_once(&store, &notify, clock.now()).await
                {
                    tracing::warn!(error = %e, "travel watchdog failed");
                }
            }
        });
    }
    let days = cfg.retention_days;
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            tick.tick().await;
            let now = clock.now();
            match store
                .purge_trip_places(now.plus_secs(-days * 86_400), now)
                .await
            {
                Ok(n) if n > 0 => tracing::info!(trips = n, "travel retention"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "travel retention failed"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn travel_settings_parse_and_are_checked() {
        let c: TravelConfig = toml::from_str(
            "oncall = [\"email:oncall@example.org\"]\nsenior = [\"sms:+821012345678\"]",
        )
        .unwrap();
        c.check().unwrap();
        assert_eq!(c.retention_days, 30);
        assert_eq!(c.checkin_path, "/n/");
        let bad = TravelConfig {
            oncall: vec!["someone".into()],
            ..TravelConfig::default()
        };
        assert!(bad.check().is_err());
        assert_eq!(list(" a , ,b"), vec!["a", "b"]);
    }
}
