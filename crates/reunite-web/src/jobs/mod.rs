//! Work that runs beside the web server: delivery of travel messages, the escalation run and
//! its watchdog.

pub mod escalation;
pub mod notify;
pub mod watchdog;
