//! `oed_manifest.jsonl`: one experiment record a line, append-only.

mod append;
mod loaded;
mod read;

pub use self::append::{Manifest, SyncMode};
pub use self::loaded::{LoadedManifest, load_manifest, record_range};
pub use self::read::{
    MAX_LINE_BYTES, ManifestLines, ManifestReader, ReadOptions, SkippedLine, parse_record_line,
    read_manifest,
};
