//! TODO: crate under construction.
