//! Slow and piled-up connections (issue 16, finding 5): a client that sends its headers a
//! byte at a time, or nothing, is cut off after the header-read timeout; one machine cannot
//! hold more than its share of open connections; a trusted proxy is not capped per client;
//! a request that runs too long is answered 503; every request still knows its peer, and
//! shutdown still lets requests in flight finish.

use crate::helpers::TestApp;
use axum::extract::ConnectInfo;
use axum::routing::get;
use reunite_web::{ClientAddressPolicy, ClientIpHeader, ServeLimits};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The upper bound for any event waited on here; the tests expect far less.
const BOUND: Duration = Duration::from_secs(10);

fn addr(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_string()
}

/// Reads until the server closes the connection (end of stream or reset). `Err` when it
/// is still open after [`BOUND`].
async fn until_closed(s: &mut TcpStream) -> Result<(), tokio::time::error::Elapsed> {
    tokio::time::timeout(BOUND, async {
        let mut buf = [0u8; 1024];
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
}

/// One whole request on the connection; the status line of the answer.
async fn request(s: &mut TcpStream) -> String {
    s.write_all(b"GET /office/login HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(BOUND, s.read_to_end(&mut out))
        .await
        .expect("an answer")
        .unwrap();
    let text = String::from_utf8_lossy(&out);
    text.lines().next().unwrap_or_default().to_string()
}

#[tokio::test]
async fn headers_sent_too_slowly_are_cut_off() {
    let app = TestApp::spawn_with(|c| c.header_read_timeout_ms = 300).await;
    // Half a request, then nothing.
    let mut s = TcpStream::connect(addr(&app)).await.unwrap();
    s.write_all(b"GET /office/login HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    until_closed(&mut s)
        .await
        .expect("a connection that stops mid-headers is closed");
    // Nothing at all.
    let mut s = TcpStream::connect(addr(&app)).await.unwrap();
    until_closed(&mut s)
        .await
        .expect("a connection that sends nothing is closed");
    // A byte at a time, each well inside the timeout: the whole header must still arrive
    // in time, so the connection is closed long before the header is complete.
    let mut s = TcpStream::connect(addr(&app)).await.unwrap();
    let trickle = async {
        for b in b"GET /office/login HTTP/1.1\r\nHost: x\r\nX-Pad: aaaaaaaaaaaaaaaaaaaa\r\n\r\n" {
            if s.write_all(&[*b]).await.is_err() {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        true
    };
    let finished = tokio::time::timeout(BOUND, trickle)
        .await
        .expect("the trickle ends within the bound");
    assert!(
        !finished,
        "the server must close before the headers complete"
    );
    // Normal requests still work.
    let mut s = TcpStream::connect(addr(&app)).await.unwrap();
    assert!(request(&mut s).await.starts_with("HTTP/1.1 200"));
}

#[tokio::test]
async fn one_client_cannot_hold_more_than_its_share_of_connections() {
    let app = TestApp::spawn_with(|c| c.max_connections_per_client = 4).await;
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(TcpStream::connect(addr(&app)).await.unwrap());
    }
    let mut fifth = TcpStream::connect(addr(&app)).await.unwrap();
    until_closed(&mut fifth)
        .await
        .expect("a fifth connection from the same client is closed");
    // The four are still served.
    let status = request(&mut held[0]).await;
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    drop(held);
    // Once they are closed, the client is served again (the server notices the closes
    // asynchronously: retry within the bound).
    tokio::time::timeout(BOUND, async {
        loop {
            let mut s = TcpStream::connect(addr(&app)).await.unwrap();
            if request(&mut s).await.starts_with("HTTP/1.1 200") {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("served again once the connections are closed");
}

#[tokio::test]
async fn a_trusted_proxy_is_not_capped_per_client() {
    let app = TestApp::spawn_with(|c| {
        c.max_connections_per_client = 2;
        c.client_address =
            ClientAddressPolicy::new(&["127.0.0.1/32", "::1/128"], ClientIpHeader::XForwardedFor)
                .unwrap();
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(TcpStream::connect(addr(&app)).await.unwrap());
    }
    let mut s = TcpStream::connect(addr(&app)).await.unwrap();
    let status = request(&mut s).await;
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    for mut h in held {
        assert!(request(&mut h).await.starts_with("HTTP/1.1 200"));
    }
}

/// A small router on its own server with `limits`, stopped when `stop` is sent: a slow
/// page (`/slow`, `ms` long, notifying `entered` when it starts and setting `finished`
/// when it ends) and one naming the peer.
async fn spawn_small(limits: ServeLimits, ms: u64) -> Small {
    let entered = Arc::new(tokio::sync::Notify::new());
    let finished = Arc::new(AtomicBool::new(false));
    let (e, f) = (entered.clone(), finished.clone());
    let app = axum::Router::new()
        .route(
            "/slow",
            get(move || {
                let (e, f) = (e.clone(), f.clone());
                async move {
                    e.notify_one();
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    f.store(true, Ordering::SeqCst);
                    "done"
                }
            }),
        )
        .route(
            "/peer",
            get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.ip().to_string() }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        reunite_web::serve_router_until(listener, app, &limits, async {
            let _ = stopped.await;
        })
        .await
    });
    Small {
        addr,
        entered,
        finished,
        stop,
        server,
    }
}

struct Small {
    addr: SocketAddr,
    entered: Arc<tokio::sync::Notify>,
    finished: Arc<AtomicBool>,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

#[tokio::test]
async fn a_request_that_runs_too_long_is_answered_503() {
    let limits = ServeLimits {
        request_timeout: Duration::from_millis(200),
        ..ServeLimits::default()
    };
    let small = spawn_small(limits, 60_000).await;
    let addr = small.addr;
    let r = tokio::time::timeout(BOUND, reqwest::get(format!("http://{addr}/slow")))
        .await
        .expect("answered within the bound")
        .unwrap();
    assert_eq!(r.status(), 503);
}

#[tokio::test]
async fn every_request_knows_its_peer() {
    let small = spawn_small(ServeLimits::default(), 0).await;
    let addr = small.addr;
    let body = reqwest::get(format!("http://{addr}/peer"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(body, "127.0.0.1");
}

#[tokio::test]
async fn shutdown_finishes_requests_in_flight_and_closes_idle_connections() {
    // A header-read timeout far beyond the bound: only the shutdown can close the idle
    // connection within it.
    let limits = ServeLimits {
        header_read_timeout: Duration::from_secs(60),
        ..ServeLimits::default()
    };
    let Small {
        addr,
        entered,
        finished,
        stop,
        server,
    } = spawn_small(limits, 300).await;
    let mut idle = TcpStream::connect(addr).await.unwrap();
    let in_flight = tokio::spawn(async move {
        reqwest::get(format!("http://{addr}/slow"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    });
    tokio::time::timeout(BOUND, entered.notified())
        .await
        .expect("the request reaches its handler");
    stop.send(()).unwrap();
    let ended = tokio::time::timeout(BOUND, server)
        .await
        .expect("the server stops within the bound");
    ended.unwrap().unwrap();
    assert!(
        finished.load(Ordering::SeqCst),
        "the server waited for the request in flight"
    );
    assert_eq!(in_flight.await.unwrap(), "done");
    until_closed(&mut idle)
        .await
        .expect("an idle connection is closed at shutdown");
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "no new connection after shutdown"
    );
}
