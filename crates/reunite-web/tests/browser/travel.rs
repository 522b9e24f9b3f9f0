//! The check-in page in a real browser with JavaScript switched off: she types her number,
//! her PIN and a city, saves, sees "saved", and the office has the check-in with the city.
//! Afterwards the profile holds no cookie and no storage for our origin, and the history
//! holds the one check-in address.

use crate::helpers::apps::{CITY, PIN, active_trip};
use crate::helpers::driver::{
    self as browser, assert_no_storage_of, files_mentioning, history_urls,
};
use crate::helpers::ui::{assert_exit_first, fill_named};
use fantoccini::Locator;
use reunite_domain::Clock;
use reunite_store::CaseActor;

#[tokio::test]
async fn she_checks_in_without_javascript_and_leaves_no_trace() {
    let (app, trip, code) = active_trip().await;
    let browser = browser::start(false).await;
    let b = &browser.client;
    let page = format!("{}/n/", app.base);
    b.goto(&page).await.unwrap();
    assert_eq!(b.title().await.unwrap(), "Notes");
    // Quick exit is the first control.
    assert_exit_first(b).await;
    fill_named(b, "number", &code).await;
    fill_named(b, "pin", PIN).await;
    fill_named(b, "place", CITY).await;
    b.find(Locator::Css("#save"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait().for_element(Locator::Css("#saved")).await.unwrap();
    assert_eq!(b.current_url().await.unwrap().as_str(), page);
    assert!(b.get_all_cookies().await.unwrap().is_empty(), "no cookie");

    let d = app
        .store
        .read_trip(&trip, &CaseActor::Cli, app.clock.now())
        .await
        .unwrap();
    assert_eq!(d.checkins.len(), 1);
    assert_eq!(d.checkins[0].kind, "ok");
    assert_eq!(d.checkins[0].city, CITY);

    let profile = browser.profile.clone();
    browser.client.clone().close().await.unwrap();
    drop(browser);
    let ours: Vec<_> = history_urls(&profile)
        .into_iter()
        .filter(|u| u.starts_with(&app.base))
        .collect();
    assert_eq!(ours, vec![page.clone()], "history holds the one address");
    let host = app.base.trim_start_matches("http://");
    assert_no_storage_of(&profile, host);
    // Nothing she typed is in the profile either.
    let mut found = Vec::new();
    files_mentioning(&profile, &code, &mut found);
    assert!(found.is_empty(), "the number is in the profile: {found:?}");
}
