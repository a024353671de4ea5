//! Summaries and listings of an OED run directory's manifest.
//!
//! [`summarize_manifest`] reads `oed_manifest.jsonl` and returns a [`Summary`]
//! with:
//!
//! - counts per phase and of failed runs;
//! - the best record of each [`Metric`](oed_model::Metric), where the earliest
//!   record wins a tie and the number of tied records is kept;
//! - per-metric [`Statistics`] overall and per phase;
//! - each metric's best-so-far trace in record order;
//! - the Pareto front over the five metrics.
//!
//! [`Objectives`] set which metrics are maximised (all, by default, as in the
//! ancestor) and which minimised. NaN, infinite and missing values are left
//! out of every one of these and counted. [`write_summary`] stores the summary as `oed_summary.json`,
//! starting with the keys of the ancestor's `create_oed_summary`.
//!
//! [`write_rows`] writes the records as an aligned table, JSON Lines, CSV or
//! manifest lines, filtered by phase or reduced to the best few by a metric.
//!
//! # Parallelism and determinism
//!
//! Lines are read in batches and parsed on the rayon thread pool in chunks.
//! Each chunk folds into a partial aggregate; the partials are merged in
//! record order with exact rules only (counts, comparisons, concatenation),
//! and sums run once, sequentially, over the merged values. The summary is
//! therefore identical for any thread count and chunk size. Only the five
//! metric values and a phase id of each record are kept, about 44 bytes a
//! record, so a million records need about 44 MB beyond the batch in flight.
//!
//! This crate never prints and installs no tracing subscriber; it logs a
//! warning for each manifest line it skips.

mod batches;
mod error;
mod format;
mod listing;
mod objective;
mod pareto;
mod partial;
mod stats;
mod summarize;
mod summary;

pub use crate::batches::DEFAULT_CHUNK_RECORDS;
pub use crate::error::Error;
pub use crate::format::format_significant;
pub use crate::listing::{
    CSV_COLUMNS, ListOptions, RowFormat, Top, render_row, write_header, write_rows,
};
pub use crate::objective::{Direction, Objectives, ParseDirectionError};
pub use crate::stats::Statistics;
pub use crate::summarize::{SummaryOptions, summarize_manifest, summarize_records, write_summary};
pub use crate::summary::{
    AncestorBest, BestRecord, MetricStatistics, ParetoMember, PhaseCount, SUMMARY_VERSION,
    StatisticsSummary, Summary, TracePoint,
};
