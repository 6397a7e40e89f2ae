//! Yishi benchmarks and robustness harnesses (issue 8). The binary `yishi-bench` (run via
//! `scripts/bench.sh`) measures the ceilings of this machine and the application against
//! them and writes docs/performance.md; the library parts are also used by the CI-sized
//! tests in tests/api/robustness.rs.
pub mod authz;
pub mod ballots;
pub mod bigdata;
pub mod ceilings;
pub mod client;
pub mod crash;
pub mod fixtures;
pub mod load;
pub mod pdf;
pub mod races;
pub mod report;
pub mod routing;
pub mod run;
pub mod scenarios;
pub mod seed;
pub mod server;
pub mod tamper;
