//! Integration tests of oed-store against real files, the Python ancestor's
//! files and a real Python interpreter.

mod ancestor;
mod checkpoint;
mod common;
mod manifest;
mod metadata;
mod python;
mod round_trip;
