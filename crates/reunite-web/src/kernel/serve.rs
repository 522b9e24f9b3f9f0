//! Serving a router until the process is asked to stop.
//!
//! HTTP/1.1 over hyper with limits `axum::serve` does not set (issue 16, finding 5):
//!
//! - a **header-read timeout**: a client that opens a connection and then sends its request
//!   line and headers a byte at a time (or nothing at all) is cut off after
//!   [`ServeLimits::header_read_timeout`], and so is a kept-alive connection that sends no
//!   next request;
//! - a **whole-request timeout** ([`ServeLimits::request_timeout`]): reading the body and
//!   answering together, answered `503` when exceeded. It must stay above the slowest
//!   legitimate answer: the check-in and intake pages wait out a response floor (seconds at
//!   most) and the DNA PDF may take up to 90 s, hence 120 s by default;
//! - a **cap on open connections** per client (the TCP peer; IPv6 by its /64, as the rate
//!   limits key it) and in all. A connection over either cap is closed at once, before a
//!   byte is read. A trusted proxy (`trusted_proxies`) carries every client's connections,
//!   so the per-client cap does not apply to it (only the overall cap does): the proxy's
//!   own limits protect it.
//!
//! Every request carries `ConnectInfo<SocketAddr>` (the TCP peer), as with `axum::serve`,
//! for the rate limits and the client address (`extract.rs`, `kernel/client.rs`).

use crate::kernel::client::rate_key;
use crate::{ClientAddressPolicy, OfficeState};
use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tower::ServiceExt;
use tower_http::timeout::TimeoutLayer;

/// Limits on connections and requests. See the module documentation.
#[derive(Debug, Clone)]
pub struct ServeLimits {
    /// A connection must deliver a request's line and headers within this time (also the
    /// longest a kept-alive connection may sit idle).
    pub header_read_timeout: Duration,
    /// A request must be read and answered within this time (`503` otherwise).
    pub request_timeout: Duration,
    /// Open connections per client (TCP peer; IPv6 by /64). Trusted proxies are exempt.
    pub max_connections_per_client: usize,
    /// Open connections in all.
    pub max_connections: usize,
    /// Which peers are trusted proxies (exempt from the per-client cap).
    pub client_address: ClientAddressPolicy,
}

impl ServeLimits {
    /// Default header-read timeout: 10 s.
    pub const HEADER_READ_TIMEOUT_MS: u64 = 10_000;
    /// Default request timeout: 120 s, above the DNA PDF's 90 s and every response floor.
    pub const REQUEST_TIMEOUT_MS: u64 = 120_000;
    /// Default cap on open connections per client.
    pub const MAX_CONNECTIONS_PER_CLIENT: usize = 64;
    /// Default cap on open connections in all.
    pub const MAX_CONNECTIONS: usize = 1024;

    /// The limits a configuration asks for.
    pub fn from_config(cfg: &crate::WebConfig) -> Self {
        Self {
            header_read_timeout: Duration::from_millis(cfg.header_read_timeout_ms),
            request_timeout: Duration::from_millis(cfg.request_timeout_ms),
            max_connections_per_client: cfg.max_connections_per_client,
            max_connections: cfg.max_connections,
            client_address: cfg.client_address.clone(),
        }
    }
}

impl Default for ServeLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_millis(Self::HEADER_READ_TIMEOUT_MS),
            request_timeout: Duration::from_millis(Self::REQUEST_TIMEOUT_MS),
            max_connections_per_client: Self::MAX_CONNECTIONS_PER_CLIENT,
            max_connections: Self::MAX_CONNECTIONS,
            client_address: ClientAddressPolicy::default(),
        }
    }
}

/// Serves a router (the public side alone, or the public side in front of the office)
/// until the process is asked to stop, with the default [`ServeLimits`] (no trusted proxy).
pub async fn serve_router(listener: tokio::net::TcpListener, app: Router) -> std::io::Result<()> {
    serve_router_with(listener, app, &ServeLimits::default()).await
}

/// Serves until the process is asked to stop (Ctrl-C or SIGTERM), with the limits of the
/// state's configuration.
pub async fn serve(listener: tokio::net::TcpListener, state: OfficeState) -> std::io::Result<()> {
    let limits = ServeLimits::from_config(state.cfg());
    serve_router_with(listener, crate::router(state), &limits).await
}

/// [`serve_router`] with the given limits.
pub async fn serve_router_with(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: &ServeLimits,
) -> std::io::Result<()> {
    serve_router_until(listener, app, limits, shutdown_signal()).await
}

/// [`serve_router_with`] until `shutdown` completes instead of a signal: then no new
/// connection is accepted, idle ones are closed, and requests in flight are answered
/// (waiting at most a request timeout and a header-read timeout).
pub async fn serve_router_until(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: &ServeLimits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let app = app.layer(TimeoutLayer::with_status_code(
        StatusCode::SERVICE_UNAVAILABLE,
        limits.request_timeout,
    ));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let counts = Counts::new(limits);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(slot) = counts.admit(peer.ip()) else {
            // Over a cap: closed before a byte is read.
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            app.clone().oneshot(req)
        });
        let conn = http.serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            // A connection that ends in error (reset, header timeout) is the client's affair.
            let _ = conn.await;
            drop(slot);
        });
    }
    drop(listener);
    let grace = limits.request_timeout + limits.header_read_timeout;
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after the shutdown grace period");
    }
    Ok(())
}

/// Open connections, per client key and in all.
struct Counts {
    inner: Arc<Mutex<CountsInner>>,
    per_client: usize,
    total: usize,
    client_address: ClientAddressPolicy,
}

#[derive(Default)]
struct CountsInner {
    total: usize,
    per_client: HashMap<Vec<u8>, usize>,
}

/// One open connection; dropping it frees its place.
struct Slot {
    inner: Arc<Mutex<CountsInner>>,
    key: Option<Vec<u8>>,
}

impl Counts {
    fn new(limits: &ServeLimits) -> Self {
        Self {
            inner: Arc::default(),
            per_client: limits.max_connections_per_client,
            total: limits.max_connections,
            client_address: limits.client_address.clone(),
        }
    }

    fn admit(&self, peer: IpAddr) -> Option<Slot> {
        let key = (!is_trusted_proxy(&self.client_address, peer)).then(|| rate_key(peer));
        let mut c = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if c.total >= self.total {
            return None;
        }
        if let Some(k) = &key {
            let n = c.per_client.entry(k.clone()).or_insert(0);
            if *n >= self.per_client {
                return None;
            }
            *n += 1;
        }
        c.total += 1;
        drop(c);
        Some(Slot {
            inner: self.inner.clone(),
            key,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut c = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        c.total = c.total.saturating_sub(1);
        if let Some(k) = &self.key
            && let Some(n) = c.per_client.get_mut(k)
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                c.per_client.remove(k);
            }
        }
    }
}

/// Whether `peer` is one of the trusted proxies. The policy answers only "who is the
/// client": a trusted peer hands the question on to its client header, an untrusted one is
/// the client itself. So ask with a header (in each of the three syntaxes) naming a
/// documentation address: only a trusted peer answers with that address.
fn is_trusted_proxy(policy: &ClientAddressPolicy, peer: IpAddr) -> bool {
    const PROBE: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    if policy.trusts_nobody() || peer == PROBE {
        return false;
    }
    let mut h = HeaderMap::new();
    h.insert("x-forwarded-for", HeaderValue::from_static("192.0.2.1"));
    h.insert("x-real-ip", HeaderValue::from_static("192.0.2.1"));
    h.insert("forwarded", HeaderValue::from_static("for=192.0.2.1"));
    policy.client_ip(peer, &h) == PROBE
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn trusted_proxies_are_recognised_in_every_header_syntax() {
        use crate::ClientIpHeader::*;
        for header in [XForwardedFor, XRealIp, Forwarded] {
            let p = ClientAddressPolicy::new(&["127.0.0.1", "10.0.0.0/8"], header).unwrap();
            assert!(is_trusted_proxy(&p, ip("127.0.0.1")));
            assert!(is_trusted_proxy(&p, ip("10.1.2.3")));
            assert!(is_trusted_proxy(&p, ip("::ffff:127.0.0.1")));
            assert!(!is_trusted_proxy(&p, ip("203.0.113.9")));
            assert!(!is_trusted_proxy(&p, ip("192.0.2.1")));
        }
        assert!(!is_trusted_proxy(
            &ClientAddressPolicy::default(),
            ip("127.0.0.1")
        ));
    }

    #[test]
    fn caps_per_client_by_64_and_in_all() {
        let limits = ServeLimits {
            max_connections_per_client: 2,
            max_connections: 5,
            client_address: ClientAddressPolicy::new(&["10.0.0.1"], Default::default()).unwrap(),
            ..ServeLimits::default()
        };
        let c = Counts::new(&limits);
        let a1 = c.admit(ip("2001:db8::1")).unwrap();
        let _a2 = c.admit(ip("2001:db8::2")).unwrap();
        assert!(c.admit(ip("2001:db8::3")).is_none(), "same /64");
        let _b = c.admit(ip("2001:db8:0:1::1")).unwrap();
        drop(a1);
        let _a3 = c.admit(ip("2001:db8::3")).unwrap();
        // The proxy is exempt from the per-client cap, not from the overall one.
        let _p1 = c.admit(ip("10.0.0.1")).unwrap();
        let _p2 = c.admit(ip("10.0.0.1")).unwrap();
        assert!(c.admit(ip("10.0.0.1")).is_none(), "overall cap");
        assert!(c.admit(ip("198.51.100.1")).is_none(), "overall cap");
    }
}
