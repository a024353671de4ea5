//! End-to-end tests of the `oed-loop` and `oed-cli` binaries, one module a topic.

mod cli;
mod loop_ancestor;
mod loop_common;
mod loop_lock;
mod loop_resume;
mod loop_run;
