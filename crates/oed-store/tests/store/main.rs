//! Integration tests of oed-store.
