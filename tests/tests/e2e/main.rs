//! End-to-end tests of the `oed-loop` and `oed-cli` binaries, one module a topic.

mod cli;
