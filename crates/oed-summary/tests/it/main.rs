//! Integration tests of oed-summary, one module a topic.

mod ancestor;
mod common;
mod determinism;
mod listing;
mod rules;
