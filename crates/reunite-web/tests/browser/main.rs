//! The browser tests: headless Chromium through chromedriver against the application on
//! random ports (Debian's `chromium` and `chromium-driver`). Harness in [`helpers`].

mod helpers;

mod access;
mod cases;
mod casework;
mod intake;
mod office;
mod travel;
