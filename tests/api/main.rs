//! Integration tests: the real app over HTTP. Run on SQLite by default and on PostgreSQL
//! when YISHI_TEST_DATABASE_URL is set. Each test gets its own database.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod crossflow;
mod deliberation;
mod durability;
mod incoming;
mod jobs;
mod minutes;
mod outgoing;
mod oversight;
mod pdfs;
mod platform;
mod robustness;
