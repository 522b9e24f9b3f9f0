//! Page actions in the browser, each failing with the selector it did not find.

use fantoccini::{Client, Locator};

/// Types `text` into the (emptied) field `css`.
pub async fn fill(b: &Client, css: &str, text: &str) {
    let e = b
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    e.clear().await.unwrap();
    e.send_keys(text).await.unwrap();
}

/// Types `text` into the field named `name`.
pub async fn fill_named(b: &Client, name: &str, text: &str) {
    fill(b, &format!("[name=\"{name}\"]"), text).await;
}

pub async fn click(b: &Client, css: &str) {
    b.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap();
}

/// Clicks, then waits (bounded, polling) for an element that only the next page has: a
/// form submission navigates, and reading the old page meanwhile would be a race.
pub async fn click_to(b: &Client, css: &str, next_page: &str) {
    click(b, css).await;
    b.wait()
        .at_most(std::time::Duration::from_secs(20))
        .for_element(Locator::Css(next_page))
        .await
        .unwrap_or_else(|e| panic!("after {css}, {next_page} never appeared: {e}"));
}

pub async fn text(b: &Client, css: &str) -> String {
    b.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .unwrap()
}

/// The first control a keyboard reaches is the quick exit.
pub async fn assert_exit_first(b: &Client) {
    let first = b
        .find(Locator::Css(
            "a[href], button, input:not([type=hidden]), select, textarea",
        ))
        .await
        .unwrap();
    assert_eq!(first.attr("id").await.unwrap().as_deref(), Some("exit"));
}

/// Asserts that no part of the page is wider than the window (a phone must not scroll
/// sideways).
pub async fn fits(b: &Client, what: &str) {
    let w = b
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            vec![],
        )
        .await
        .unwrap();
    let (scroll, inner) = (w[0].as_i64().unwrap(), w[1].as_i64().unwrap());
    assert!(
        scroll <= inner,
        "{what}: {scroll} px wide in a {inner} px window"
    );
}

/// Saves a screenshot as `<name>.png` in the target directory, for people to look at.
pub async fn shot(b: &Client, name: &str) {
    let png = b.screenshot().await.unwrap();
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}
