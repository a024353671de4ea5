//! The progress bar on stderr, shown only when stderr is a terminal.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use oed_model::{ExperimentRecord, Metric, Phase};

/// Phase, experiments done out of the total, elapsed time, estimated time
/// left, and the best value of one metric so far.
#[derive(Debug)]
pub struct LoopProgress {
    bar: ProgressBar,
    metric: Metric,
    best: Option<f64>,
}

impl LoopProgress {
    /// Returns a bar that draws on stderr when it is a terminal and nothing
    /// otherwise, not yet started.
    pub fn new_bar() -> ProgressBar {
        if std::io::stderr().is_terminal() {
            ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
        } else {
            ProgressBar::hidden()
        }
    }

    /// Starts `bar` for `total` experiments of which `records` are done.
    pub fn start(
        bar: ProgressBar,
        total: u64,
        records: &[ExperimentRecord],
        metric: Metric,
    ) -> LoopProgress {
        let style = ProgressStyle::with_template(
            "{prefix:>12} [{elapsed_precise}] {wide_bar} {pos}/{len} ETA {eta} {msg}",
        )
        .expect("the progress template is valid");
        bar.set_style(style);
        bar.set_length(total);
        bar.set_position(records.len() as u64);
        bar.reset_eta();
        bar.enable_steady_tick(Duration::from_secs(1));

        let mut progress = LoopProgress {
            bar,
            metric,
            best: None,
        };
        for record in records {
            progress.observe(record);
        }
        progress.show_best();
        progress
    }

    pub fn set_phase(&self, phase: &Phase) {
        self.bar.set_prefix(phase.as_str().to_string());
    }

    /// Counts a newly recorded experiment.
    pub fn record(&mut self, record: &ExperimentRecord) {
        self.observe(record);
        self.show_best();
        self.bar.inc(1);
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }

    fn observe(&mut self, record: &ExperimentRecord) {
        let Some(value) = record.result.as_ref().map(|r| r.get(self.metric)) else {
            return;
        };
        if value.is_finite() && self.best.is_none_or(|best| value > best) {
            self.best = Some(value);
        }
    }

    fn show_best(&self) {
        if let Some(best) = self.best {
            self.bar
                .set_message(format!("best {} {best:.4}", self.metric));
        }
    }
}
