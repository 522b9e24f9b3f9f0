//! The storage tests: one binary, one module per feature. Each test is written once and run
//! on both backends ([`both_backends!`]); the PostgreSQL half needs
//! `REUNITE_TEST_POSTGRES_URL` (CI always sets it).

#[macro_use]
mod helpers;

mod access;
mod accounts;
mod cases;
mod casework;
mod dna;
mod intake;
mod mirror_sync;
mod review;
mod store;
mod tasks;
mod travel;
