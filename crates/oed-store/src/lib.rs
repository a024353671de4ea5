//! The tracking files of an OED run directory: a crash-safe, append-only
//! manifest, an atomically replaced checkpoint, per-run metadata and the
//! summary.
//!
//! A [`RunDir`] names the files of one loop:
//!
//! ```text
//! oed_results/
//!   oed_manifest.jsonl        one ExperimentRecord a line, append-only      Manifest, load_manifest
//!   oed_checkpoint.json       latest loop state, replaced atomically        save_checkpoint, load_checkpoint
//!   oed_summary.json          summary of all experiments                    write_summary
//!   oed_loop.log              the loop's log                                RunDir::log_path
//!   metadata.json             most recent run's metadata, with OED fields   add_oed_to_metadata
//!   metadata_<uuid>.json      every run's metadata                          write_run_metadata
//!   data_<uuid>.arrayrecord   one run's trajectory                          RunDir::trajectory_path
//!   .oed.lock                 the writer lock, holder's pid                 RunDir::lock_for_writing
//! ```
//!
//! Only a [`RunId`], which is always a canonical UUID, ever becomes part of a
//! file name, so a manifest line with `"run_uuid": "../../x"` cannot make any
//! caller read or write outside the directory: such a line is an invalid
//! record.
//!
//! # Crash safety
//!
//! - [`Manifest::append`] writes each record as one line in one `write`,
//!   under an exclusive `flock` that the kernel drops when the holder dies,
//!   then syncs it ([`SyncMode`] can relax that). Processes and threads never
//!   interleave lines. A line left incomplete by a killed writer is skipped
//!   with a warning when reading and removed by the next append, so the new
//!   record never glues onto it. A failed append (a full disk, say) leaves the
//!   file as it was.
//! - Checkpoints, metadata and the summary are replaced with [`atomic_write`]:
//!   a temporary file in the same directory, synced, renamed, and the
//!   directory synced.
//! - A writer takes the directory's writer lock with
//!   [`RunDir::lock_for_writing`], a non-blocking `flock` that the kernel
//!   drops when the holder dies, so two loops never write one directory at
//!   once. Readers do not take it.
//! - [`RunDir::leftovers`] lists the files that an interrupted experiment
//!   left (a partial trajectory, a trajectory or metadata of a run without a
//!   manifest record, an atomic write's temporary file), for a resuming
//!   writer to remove.
//! - Reading never creates files. A missing or empty manifest has no
//!   records; a missing run directory is an error.
//!
//! # Compatibility with the Python ancestor
//!
//! Files written by the ancestor (proteinsmc's `oed` package) load unchanged,
//! including the bare `NaN`, `Infinity` and `-Infinity` tokens its `json`
//! module writes, and its unversioned checkpoint, read as version 0.
//!
//! This crate writes non-finite numbers as the JSON strings `"NaN"`,
//! `"Infinity"` and `"-Infinity"` (see [`oed_model::nonfinite`]), so every file
//! is strict JSON that `jq` and any JSON parser accept, and the kind of
//! non-finite value is kept. The ancestor's reader (`json.loads` per line)
//! reads our manifests and checkpoints, but gets those three values as
//! Python `str`, not `float`; `float(value)` converts them. The fields this
//! crate adds to records and checkpoints are ignored by the ancestor.
//!
//! Every run writes its own `data_<uuid>.arrayrecord`, so a record's
//! `record_start_idx` is 0 (the first index within that file) and its
//! `record_count` is the number of trajectory records in the file. The
//! ancestor shared one trajectory file between runs and wrote 0 for both.
//!
//! # Errors
//!
//! Every function returns a [`StoreError`], whose message starts with the
//! path (and the manifest line) and states what to do next. This crate never
//! prints; it logs with `tracing`, at `warn` for skipped lines, removed torn
//! writes and missing metadata.
//!
//! # The ancestor's functions
//!
//! Each item linked below has a runnable example.
//!
//! | Ancestor (`proteinsmc.oed.tracking`) | This crate |
//! | --- | --- |
//! | `save_oed_record(params)` | [`Manifest::open`], then [`Manifest::append`] |
//! | `load_oed_manifest(output_dir)` | [`load_manifest`], or [`read_manifest`] to stream |
//! | `save_oed_checkpoint(output_dir, history, iteration, seed)` | [`save_checkpoint`] |
//! | `load_oed_checkpoint(output_dir)` | [`load_checkpoint`] |
//! | `create_oed_summary(output_dir)` | the `oed-summary` crate computes it; [`write_summary`] writes it |
//! | `add_oed_to_metadata(metadata_file, design, phase, iteration)` | [`add_oed_to_metadata`] |
//! | `get_run_records_range(output_dir, run_uuid)` | [`LoadedManifest::run_records_range`] |
//! | `get_next_record_index(output_dir)` | [`LoadedManifest::next_record_index`] (counts manifest records) |

mod atomic;
mod checkpoint;
mod error;
mod json;
mod leftovers;
mod lock;
mod manifest;
mod metadata;
mod run_dir;
mod writer_lock;

pub use crate::atomic::atomic_write;
pub use crate::checkpoint::{
    CHECKPOINT_VERSION, Checkpoint, HistoryEntry, load_checkpoint, save_checkpoint,
};
pub use crate::error::StoreError;
pub use crate::json::timestamp_now;
pub use crate::leftovers::{Leftover, LeftoverKind};
pub use crate::manifest::{
    LoadedManifest, MAX_LINE_BYTES, Manifest, ManifestLines, ManifestReader, ReadOptions,
    SkippedLine, SyncMode, load_manifest, parse_record_line, read_manifest, record_range,
};
pub use crate::metadata::{add_oed_to_metadata, read_metadata, write_run_metadata, write_summary};
pub use crate::run_dir::{
    CHECKPOINT_FILE, LOCK_FILE, LOG_FILE, MANIFEST_FILE, METADATA_FILE, RunDir, RunId, SUMMARY_FILE,
};
pub use crate::writer_lock::RunDirLock;
