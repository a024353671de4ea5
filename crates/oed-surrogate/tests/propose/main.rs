//! Tests of `propose` on synthetic histories.

mod batch;
mod behaviour;
mod determinism;
mod harness;
mod nonfinite;
mod validity;
