//! The seeker's side in a real browser with JavaScript switched off: file a request, keep the
//! code, check back, read the office's reply and answer it, then leave by quick exit.
//! Afterwards the profile holds no cookie and no storage for our origin, the browser history
//! holds one address of ours, and Back after quick exit does not show our page.

use crate::helpers::apps;
use crate::helpers::driver::{self as browser, assert_no_storage_of, history_urls};
use crate::helpers::ui::{assert_exit_first, click, click_to, fill_named, text};
use reunite_domain::Clock;

/// A stand-in for the neutral site quick exit leads to (another origin on this machine).
async fn neutral_site() -> String {
    let app = axum::Router::new().route(
        "/",
        axum::routing::get(|| async {
            axum::response::Html("<!doctype html><title>weather</title><p>Sunny</p>")
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/")
}

#[tokio::test]
async fn a_seeker_without_javascript_files_checks_back_answers_and_leaves_no_trace() {
    let exit_url = neutral_site().await;
    let app = apps::spawn_public(reunite_web::IntakeConfig {
        exit_url: exit_url.clone(),
        ..apps::fast_config()
    })
    .await;
    let browser = browser::start(false).await;
    let b = &browser.client;
    let base = format!("{}/", app.base);

    b.goto(&base).await.unwrap();
    assert_eq!(b.title().await.unwrap(), "Notes", "the neutral title");
    assert_exit_first(b).await;
    click_to(b, "#start", "#send").await;
    assert_exit_first(b).await;
    fill_named(b, "m_name1", "金英子").await;
    fill_named(b, "m_year", "1979").await;
    fill_named(b, "c_name1", "王明").await;
    fill_named(b, "c_year", "2004").await;
    fill_named(b, "home", "黑龙江 密山").await;
    click_to(b, "#send", "#code").await;
    let code = text(b, "#code").await;
    assert_eq!(
        code.split_whitespace().count(),
        5,
        "five digit groups: {code}"
    );
    assert_eq!(b.current_url().await.unwrap().as_str(), base, "one address");

    // The office opens the request and replies.
    let list = app.office.intake_list(10).await.unwrap();
    assert_eq!(list.len(), 1);
    let opened = app
        .office
        .intake_open(&list[0].id, "user:t", app.clock.now())
        .await
        .unwrap();
    let payload: serde_json::Value = serde_json::from_slice(&opened.payload).unwrap();
    assert_eq!(payload["request"]["sought"]["names"][0]["text"], "金英子");
    app.office
        .intake_reply(
            &list[0].id,
            "我们收到了你的信息。",
            "user:t",
            app.clock.now(),
        )
        .await
        .unwrap();

    // Check back with the code as the seeker kept it, read the reply and answer.
    click_to(b, "#to-check", "#read").await;
    fill_named(b, "code", &code).await;
    click_to(b, "#read", "#send-answer").await;
    assert!(text(b, "main").await.contains("我们收到了你的信息。"));
    fill_named(b, "answer", "谢谢。我住在密山。").await;
    click_to(b, "#send-answer", "#notice").await;
    let again = app
        .office
        .intake_open(&list[0].id, "user:t", app.clock.now())
        .await
        .unwrap();
    assert_eq!(again.messages.len(), 2, "the answer reached the office");
    assert_eq!(b.current_url().await.unwrap().as_str(), base);
    assert!(b.get_all_cookies().await.unwrap().is_empty(), "no cookie");

    // Quick exit, then Back: our page does not come back.
    click(b, "#exit").await;
    b.wait()
        .for_url(&url::Url::parse(&exit_url).unwrap())
        .await
        .unwrap();
    b.back().await.unwrap();
    let back_at = b.current_url().await.unwrap();
    let shown = b.source().await.unwrap_or_default();
    assert!(
        !shown.contains("我们收到了你的信息") && !shown.contains(&code),
        "Back showed our page again at {back_at}"
    );

    let profile = browser.profile.clone();
    browser.client.clone().close().await.unwrap();
    drop(browser);

    // One address of ours in the history, no storage, no cookie on disk.
    let origin = app.base.clone();
    let ours: Vec<_> = history_urls(&profile)
        .into_iter()
        .filter(|u| u.starts_with(&origin))
        .collect();
    assert_eq!(
        ours,
        vec![base.clone()],
        "history holds one address of ours"
    );
    let host = origin.trim_start_matches("http://");
    assert_no_storage_of(&profile, host);
}
