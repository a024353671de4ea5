//! Integration tests of the SMC runner, one module per topic.

mod corners;
mod determinism;
mod harness;
mod landscape;
mod python;
mod trajectory;
