//! Integration tests of the arrayrecord crate: files written by Python's
//! array_record, files read back by it, round trips and damaged files.

mod damaged;
mod golden;
mod python;
mod round_trip;
mod support;
