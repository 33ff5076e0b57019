//! The measuring and reporting parts shared by the two benchmarks of oversold.
//!
//! `test_concurrent bench` (strategies over HTTP) and the lock library's micro-benchmark
//! (`cargo bench -p oversold-lock --bench lock`) both turn raw samples into percentiles and rates ([`stats`]),
//! print markdown tables ([`table`]), describe the machine they ran on ([`machine`]), draw SVG
//! charts ([`chart`]) and rewrite their own section of BENCHMARKS.md ([`report`]) so the file is
//! always what the programs printed, never edited by hand. Everything here is pure and tested;
//! the measuring loops live with the benchmarks.

pub mod chart;
pub mod machine;
pub mod report;
pub mod stats;
pub mod table;
pub mod targets;
