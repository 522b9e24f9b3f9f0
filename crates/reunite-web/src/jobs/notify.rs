//! Outgoing travel messages (issue 8): their texts, and their delivery by SMTP or an SMS
//! gateway webhook. The jobs that send them are [`super::escalation`] and
//! [`super::watchdog`]; their entry points are re-exported here.
//!
//! The texts are i18n messages (`travel.msg.*`) that carry no organisation name and no
//! word of [`crate::kernel::words`]: they may land on a phone the police inspect or pass a
//! carrier's keyword scan. Staff alerts name a trip only by a short reference.
//!
//! Both channels are deliberately small: plain SMTP to a relay the installation runs
//! (localhost postfix, msmtpd, a provider's submission port behind stunnel), and an HTTP
//! POST of `{"to": …, "text": …}` to a gateway (often a local sidecar that holds the
//! provider's credentials). TLS to the outside world is the relay's or sidecar's job; no
//! TLS stack is linked into reunite for this.

use crate::kernel::i18n::Tr;
use crate::kernel::words::find_sensitive;
use base64::Engine as _;
use reunite_domain::travel::Stage;
use reunite_domain::{Lang, Timestamp};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

pub use super::escalation::{RunReport, run_once};
pub use super::watchdog::{WATCHDOG_REPEAT_MS, WATCHDOG_STALE_MS, watchdog_once};

/// Where messages go and how.
#[derive(Debug, Clone, Default)]
pub struct NotifyConfig {
    /// SMTP relay `host:port`; empty: no e-mail.
    pub smtp_relay: String,
    /// The envelope and header sender.
    pub smtp_from: String,
    /// SMS gateway URL (`http://host:port/path`); empty: no SMS.
    pub sms_webhook: String,
    /// The on-call caseworker's addresses (`email:…`, `sms:…`).
    pub oncall: Vec<String>,
    /// The senior caseworker's addresses.
    pub senior: Vec<String>,
    /// Language of staff alerts and of messages to contacts.
    pub staff_lang: Lang,
}

/// An address a message can go to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    /// An e-mail address.
    Email(String),
    /// A phone number for SMS (`+` and digits).
    Sms(String),
}

/// Parses `email:name@example.org` or `sms:+821012345678`.
pub fn parse_address(s: &str) -> Option<Address> {
    let (kind, rest) = s.trim().split_once(':')?;
    let rest = rest.trim();
    match kind {
        "email" => {
            let (local, domain) = rest.split_once('@')?;
            let ok = !local.is_empty()
                && domain.contains('.')
                && rest.len() <= 254
                && rest
                    .chars()
                    .all(|c| c.is_ascii_graphic() && !"<>()[]\\,;:\"".contains(c));
            ok.then(|| Address::Email(rest.to_string()))
        }
        "sms" => {
            let digits = rest.strip_prefix('+').unwrap_or(rest);
            let ok = (6..=16).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
            ok.then(|| Address::Sms(rest.to_string()))
        }
        _ => None,
    }
}

/// Why a message was not delivered (no address or text in it).
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// The channel for this address is not configured.
    #[error("channel not configured")]
    NoChannel,
    /// Network failure or timeout.
    #[error("network: {0}")]
    Io(#[from] std::io::Error),
    /// The server answered with an unexpected code.
    #[error("refused: {0}")]
    Refused(String),
    /// A text contained a word it must not (a bug: templates are tested).
    #[error("a message contained a sensitive word")]
    Sensitive,
}

/// One message, rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Subject (e-mail only).
    pub subject: String,
    /// Text.
    pub body: String,
}

/// A short neutral reference for a trip in staff alerts.
pub fn trip_ref(trip_id: &str) -> String {
    trip_id
        .trim_start_matches("trip-")
        .chars()
        .take(8)
        .collect()
}

/// The text for a target of an alert, in `lang`.
pub fn render_message(
    lang: Lang,
    target: &str,
    stage: Stage,
    trip_id: &str,
    deadline: Timestamp,
) -> Message {
    let t = Tr::new(lang);
    let due = crate::kernel::render::format_utc(deadline);
    let r = trip_ref(trip_id);
    let args: [(&str, &str); 2] = [("ref", &r), ("due", &due)];
    match (target, stage) {
        ("traveller", _) => Message {
            subject: t.s("travel.msg.reminder_subject").into(),
            body: t.s("travel.msg.reminder").into(),
        },
        ("contacts", _) => Message {
            subject: t.s("travel.msg.contacts_subject").into(),
            body: t.f("travel.msg.contacts", &args),
        },
        (_, Stage::WrongPins) => Message {
            subject: t.f("travel.msg.staff_subject", &args),
            body: t.f("travel.msg.wrong_pins", &args),
        },
        (_, Stage::Duress) => Message {
            subject: t.f("travel.msg.staff_subject", &args),
            body: t.f("travel.msg.duress", &args),
        },
        (_, Stage::Senior) => Message {
            subject: t.f("travel.msg.staff_subject", &args),
            body: t.f("travel.msg.senior", &args),
        },
        _ => Message {
            subject: t.f("travel.msg.staff_subject", &args),
            body: t.f("travel.msg.oncall", &args),
        },
    }
}

/// The watchdog's text.
pub fn render_watchdog(lang: Lang, since: Option<Timestamp>) -> Message {
    let t = Tr::new(lang);
    let since = since
        .map(crate::kernel::render::format_utc)
        .unwrap_or_else(|| "-".into());
    Message {
        subject: t.s("travel.msg.watchdog_subject").into(),
        body: t.f("travel.msg.watchdog", &[("since", &since)]),
    }
}

/// Sends one message to one address.
pub async fn send(cfg: &NotifyConfig, to: &Address, msg: &Message) -> Result<(), NotifyError> {
    if find_sensitive(&msg.subject).is_some() || find_sensitive(&msg.body).is_some() {
        return Err(NotifyError::Sensitive);
    }
    let work = async {
        match to {
            Address::Email(a) if !cfg.smtp_relay.is_empty() => smtp_send(cfg, a, msg).await,
            Address::Sms(n) if !cfg.sms_webhook.is_empty() => webhook_send(cfg, n, msg).await,
            _ => Err(NotifyError::NoChannel),
        }
    };
    match tokio::time::timeout(Duration::from_secs(30), work).await {
        Ok(r) => r,
        Err(_) => Err(NotifyError::Io(std::io::ErrorKind::TimedOut.into())),
    }
}

async fn smtp_reply(
    r: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
) -> Result<String, NotifyError> {
    let mut line = String::new();
    loop {
        line.clear();
        if r.read_line(&mut line).await? == 0 {
            return Err(NotifyError::Refused("closed".into()));
        }
        // `250-…` continues a multi-line reply, `250 …` ends it.
        if line.len() < 4 || line.as_bytes()[3] != b'-' {
            return Ok(line.get(..3).unwrap_or("").to_string());
        }
    }
}

async fn smtp_expect(
    r: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    ok: &[&str],
) -> Result<(), NotifyError> {
    let code = smtp_reply(r).await?;
    if ok.contains(&code.as_str()) {
        Ok(())
    } else {
        Err(NotifyError::Refused(code))
    }
}

fn encoded_word(s: &str) -> String {
    format!(
        "=?UTF-8?B?{}?=",
        base64::engine::general_purpose::STANDARD.encode(s)
    )
}

/// Plain SMTP (RFC 5321) to the configured relay: EHLO, MAIL, RCPT, DATA, QUIT. The body
/// is base64 UTF-8 text, so no line needs dot-stuffing.
async fn smtp_send(cfg: &NotifyConfig, to: &str, msg: &Message) -> Result<(), NotifyError> {
    let stream = TcpStream::connect(&cfg.smtp_relay).await?;
    let (read, mut write) = stream.into_split();
    let mut r = BufReader::new(read);
    smtp_expect(&mut r, &["220"]).await?;
    write.write_all(b"EHLO localhost\r\n").await?;
    smtp_expect(&mut r, &["250"]).await?;
    write
        .write_all(format!("MAIL FROM:<{}>\r\n", cfg.smtp_from).as_bytes())
        .await?;
    smtp_expect(&mut r, &["250"]).await?;
    write
        .write_all(format!("RCPT TO:<{to}>\r\n").as_bytes())
        .await?;
    smtp_expect(&mut r, &["250", "251"]).await?;
    write.write_all(b"DATA\r\n").await?;
    smtp_expect(&mut r, &["354"]).await?;
    let body = base64::engine::general_purpose::STANDARD.encode(msg.body.as_bytes());
    let mut data = format!(
        "From: <{}>\r\nTo: <{to}>\r\nSubject: {}\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n",
        cfg.smtp_from,
        encoded_word(&msg.subject)
    );
    for chunk in body.as_bytes().chunks(76) {
        data.push_str(std::str::from_utf8(chunk).unwrap_or(""));
        data.push_str("\r\n");
    }
    data.push_str(".\r\n");
    write.write_all(data.as_bytes()).await?;
    smtp_expect(&mut r, &["250"]).await?;
    write.write_all(b"QUIT\r\n").await?;
    let _ = smtp_reply(&mut r).await;
    Ok(())
}

/// An HTTP/1.1 POST of `{"to": …, "text": …}` to the gateway; any 2xx is success.
async fn webhook_send(cfg: &NotifyConfig, to: &str, msg: &Message) -> Result<(), NotifyError> {
    let rest = cfg
        .sms_webhook
        .strip_prefix("http://")
        .ok_or_else(|| NotifyError::Refused("only http:// gateways".into()))?;
    let (hostport, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let addr = if hostport.contains(':') {
        hostport.to_string()
    } else {
        format!("{hostport}:80")
    };
    let body = serde_json::json!({ "to": to, "text": msg.body }).to_string();
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: {hostport}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let stream = TcpStream::connect(&addr).await?;
    let (read, mut write) = stream.into_split();
    write.write_all(req.as_bytes()).await?;
    let mut r = BufReader::new(read);
    let mut status = String::new();
    r.read_line(&mut status).await?;
    let code = status.split_whitespace().nth(1).unwrap_or("");
    if code.starts_with('2') {
        Ok(())
    } else {
        Err(NotifyError::Refused(code.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse() {
        assert_eq!(
            parse_address("email:a@example.org"),
            Some(Address::Email("a@example.org".into()))
        );
        assert_eq!(
            parse_address("sms:+821012345678"),
            Some(Address::Sms("+821012345678".into()))
        );
        assert_eq!(parse_address("email:a@b"), None);
        assert_eq!(parse_address("email:a@b.org>\r\nRCPT"), None);
        assert_eq!(parse_address("sms:12ab"), None);
        assert_eq!(parse_address("fax:123"), None);
    }

    /// Requirement 21: every outgoing template, and every rendering of it, in every
    /// language, is free of the organisation's name and of every sensitive word.
    #[test]
    fn outgoing_texts_carry_no_sensitive_word() {
        let keys: Vec<&str> = crate::kernel::i18n::keys(Lang::En)
            .into_iter()
            .filter(|k| k.starts_with("travel.msg.") || k.starts_with("checkin."))
            .collect();
        assert!(keys.len() >= 20, "{keys:?}");
        for lang in Lang::ALL {
            let t = Tr::new(lang);
            for k in &keys {
                assert_eq!(find_sensitive(t.s(k)), None, "{lang:?} {k}");
            }
            let trip = "trip-AbC123xyz789";
            for stage in Stage::ALL {
                for target in ["traveller", "oncall", "senior", "contacts"] {
                    let m = render_message(lang, target, stage, trip, Timestamp(1_780_000_000_000));
                    for text in [&m.subject, &m.body] {
                        assert_eq!(find_sensitive(text), None, "{lang:?} {target} {text}");
                        assert!(!text.contains("{"), "unfilled placeholder: {text}");
                        assert!(!text.contains(trip), "full trip id in {text}");
                    }
                }
            }
            let w = render_watchdog(lang, Some(Timestamp(1_780_000_000_000)));
            assert_eq!(find_sensitive(&w.body), None);
            assert_eq!(find_sensitive(&w.subject), None);
        }
    }
}
