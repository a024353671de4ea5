//! Spectral projected gradient ascent in a box, used to fit GP
//! hyperparameters.
//!
//! The log marginal likelihood has an analytic gradient and at most ten
//! parameters (log length scales, log signal and log noise variance), each
//! bounded. The spectral projected gradient method (Birgin, Martínez and
//! Raydan, SIAM J. Optim. 10(4), 2000) suits that: a gradient step projected
//! onto the box, with the Barzilai-Borwein step length, which brings in
//! curvature at no cost, and an Armijo backtracking line search. It needs no
//! new dependency, it is deterministic, and it handles the bounds exactly,
//! where an unconstrained L-BFGS would need a reparametrisation.

/// A function to maximise, with its gradient.
pub(crate) trait Objective {
    /// Returns the value at `x`, or `None` where it is undefined.
    fn value(&self, x: &[f64]) -> Option<f64>;

    /// Returns the value and the gradient at `x`, or `None` where undefined.
    fn value_and_gradient(&self, x: &[f64]) -> Option<(f64, Vec<f64>)>;
}

/// Settings of [`maximise`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct AscentSettings {
    pub max_iterations: usize,
    /// Stop when no coordinate moves by more than this.
    pub step_tolerance: f64,
    /// Stop when an accepted step gains less than this, relative to `1 + |f|`.
    pub value_tolerance: f64,
}

impl Default for AscentSettings {
    fn default() -> AscentSettings {
        AscentSettings {
            max_iterations: 100,
            step_tolerance: 1e-4,
            value_tolerance: 1e-7,
        }
    }
}

/// Sufficient-increase constant of the Armijo condition.
const ARMIJO: f64 = 1e-4;
/// Maximum halvings of the step in one line search.
const MAX_HALVINGS: usize = 30;
/// Largest coordinate move of the first step.
const FIRST_STEP: f64 = 0.5;
/// Safeguards of the Barzilai-Borwein step length.
const STEP_RANGE: (f64, f64) = (1e-10, 1e10);

/// Maximises `objective` over the box `[lower, upper]` from `start` (clamped
/// into the box) and returns the best point and its value.
///
/// Returns `None` when the objective is undefined at the start.
pub(crate) fn maximise(
    objective: &impl Objective,
    start: &[f64],
    lower: &[f64],
    upper: &[f64],
    settings: AscentSettings,
) -> Option<(Vec<f64>, f64)> {
    let mut x = project(start, lower, upper);
    let (mut value, mut gradient) = objective.value_and_gradient(&x)?;
    let max_gradient = gradient.iter().fold(0.0_f64, |m, g| m.max(g.abs()));
    let mut step = (FIRST_STEP / max_gradient.max(1e-12)).clamp(STEP_RANGE.0, STEP_RANGE.1);

    for _ in 0..settings.max_iterations {
        // The ascent direction: the projected gradient step, minus x.
        let moved: Vec<f64> = x.iter().zip(&gradient).map(|(x, g)| x + step * g).collect();
        let direction: Vec<f64> = project(&moved, lower, upper)
            .iter()
            .zip(&x)
            .map(|(p, x)| p - x)
            .collect();
        if direction.iter().all(|d| d.abs() < settings.step_tolerance) {
            break;
        }
        let slope: f64 = direction.iter().zip(&gradient).map(|(d, g)| d * g).sum();

        // Backtrack along the direction until the Armijo condition holds.
        let mut fraction = 1.0;
        let mut accepted = None;
        for _ in 0..MAX_HALVINGS {
            let candidate: Vec<f64> = x
                .iter()
                .zip(&direction)
                .map(|(x, d)| x + fraction * d)
                .collect();
            let candidate_value = objective.value(&candidate);
            if candidate_value.is_some_and(|v| v >= value + ARMIJO * fraction * slope) {
                accepted = Some(candidate);
                break;
            }
            fraction *= 0.5;
        }
        let Some(candidate) = accepted else {
            break;
        };
        let Some((new_value, new_gradient)) = objective.value_and_gradient(&candidate) else {
            break;
        };

        // Barzilai-Borwein length s.s / s.y for the next step, with
        // y the change of the gradient of -f.
        let (mut ss, mut sy) = (0.0, 0.0);
        for i in 0..x.len() {
            let s = candidate[i] - x[i];
            ss += s * s;
            sy -= s * (new_gradient[i] - gradient[i]);
        }
        step = if sy > 0.0 {
            (ss / sy).clamp(STEP_RANGE.0, STEP_RANGE.1)
        } else {
            STEP_RANGE.1
        };

        let gain = new_value - value;
        x = candidate;
        value = new_value;
        gradient = new_gradient;
        if gain < settings.value_tolerance * (1.0 + value.abs()) {
            break;
        }
    }
    Some((x, value))
}

fn project(x: &[f64], lower: &[f64], upper: &[f64]) -> Vec<f64> {
    x.iter()
        .zip(lower.iter().zip(upper))
        .map(|(x, (lo, hi))| x.clamp(*lo, *hi))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A concave quadratic `-(x - c)^T A (x - c)` with a badly scaled `A`.
    struct Quadratic {
        centre: Vec<f64>,
        weights: Vec<f64>,
    }

    impl Objective for Quadratic {
        fn value(&self, x: &[f64]) -> Option<f64> {
            Some(self.value_and_gradient(x)?.0)
        }

        fn value_and_gradient(&self, x: &[f64]) -> Option<(f64, Vec<f64>)> {
            let mut value = 0.0;
            let mut gradient = Vec::new();
            for ((x, c), w) in x.iter().zip(&self.centre).zip(&self.weights) {
                value -= w * (x - c) * (x - c);
                gradient.push(-2.0 * w * (x - c));
            }
            Some((value, gradient))
        }
    }

    #[test]
    fn ascent_finds_interior_maximum() {
        let objective = Quadratic {
            centre: vec![0.3, -1.2, 2.0],
            weights: vec![1.0, 10.0, 0.2],
        };
        let settings = AscentSettings {
            max_iterations: 1000,
            ..AscentSettings::default()
        };
        let (x, _) = maximise(&objective, &[0.0; 3], &[-5.0; 3], &[5.0; 3], settings).unwrap();
        for (got, expected) in x.iter().zip(&objective.centre) {
            assert!((got - expected).abs() < 1e-2, "{x:?}");
        }
    }

    #[test]
    fn ascent_stops_on_the_bound() {
        let objective = Quadratic {
            centre: vec![3.0, 0.5],
            weights: vec![1.0, 1.0],
        };
        let (x, _) = maximise(
            &objective,
            &[0.0, 0.0],
            &[-1.0, -1.0],
            &[1.0, 1.0],
            AscentSettings::default(),
        )
        .unwrap();
        assert_eq!(x[0], 1.0);
        assert!((x[1] - 0.5).abs() < 1e-2, "{x:?}");
    }
}
