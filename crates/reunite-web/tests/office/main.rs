//! The HTTP tests of the office and the public side, in one test binary: the application
//! on random ports through the real router. Shared harness in [`helpers`].

mod helpers;

mod accounts;
mod cases;
mod casework;
mod client_limits;
mod dashboard;
mod dna;
mod intake;
mod intake_canary;
mod intake_office;
mod intake_timing;
mod least_privilege;
mod logs;
mod member_travel;
mod office;
mod review;
mod slow_clients;
mod stale_session;
mod travel;
mod travel_canary;
mod travel_second_person;
