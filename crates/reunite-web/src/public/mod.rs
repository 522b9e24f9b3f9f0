//! The public side: pages for people without an account, built so that they answer nothing
//! about anyone. Tracing requests and check-back (`intake`), the travellers' check-in page.

pub mod checkin;
mod chrome;
pub mod intake;
