use std::fmt;
use std::str::FromStr;

/// The stationary covariance function of a [`crate::GaussianProcess`].
///
/// Both kernels are functions of the scaled distance
/// `r = sqrt(sum_i (x_i - x'_i)^2 / l_i^2)` with one length scale `l_i` per
/// feature, multiplied by the signal variance.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Kernel {
    /// Matérn 5/2: `(1 + sqrt(5) r + 5 r^2 / 3) exp(-sqrt(5) r)`; twice
    /// differentiable, so the mean has a gradient but is less smooth than RBF.
    #[default]
    Matern52,
    /// Squared exponential: `exp(-r^2 / 2)`.
    Rbf,
}

impl Kernel {
    /// Returns the correlation (the kernel at unit signal variance) for the
    /// squared scaled distance `r2`.
    pub(crate) fn correlation(self, r2: f64) -> f64 {
        match self {
            Kernel::Matern52 => {
                let sqrt5_r = (5.0 * r2).sqrt();
                (1.0 + sqrt5_r + 5.0 * r2 / 3.0) * (-sqrt5_r).exp()
            }
            Kernel::Rbf => (-0.5 * r2).exp(),
        }
    }

    /// Returns `-(dk/dr) / r` at unit signal variance for the squared scaled
    /// distance `r2`.
    ///
    /// Both derivatives the fit needs follow from it without dividing by `r`,
    /// which is zero on the diagonal: `dk/dx_i = -factor * (x_i - x'_i) / l_i^2`
    /// and `dk/d(ln l_i) = factor * (x_i - x'_i)^2 / l_i^2`.
    pub(crate) fn radial_factor(self, r2: f64) -> f64 {
        match self {
            Kernel::Matern52 => {
                let sqrt5_r = (5.0 * r2).sqrt();
                5.0 / 3.0 * (1.0 + sqrt5_r) * (-sqrt5_r).exp()
            }
            Kernel::Rbf => (-0.5 * r2).exp(),
        }
    }

    /// Returns the name accepted by [`Kernel::from_str`].
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Matern52 => "matern52",
            Kernel::Rbf => "rbf",
        }
    }
}

impl fmt::Display for Kernel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of parsing a kernel, feature mode or other option name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseOptionError {
    option: &'static str,
    value: String,
    expected: &'static str,
}

impl ParseOptionError {
    pub(crate) fn new(option: &'static str, value: &str, expected: &'static str) -> Self {
        ParseOptionError {
            option,
            value: value.to_string(),
            expected,
        }
    }
}

impl fmt::Display for ParseOptionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown {} {:?}: expected {}",
            self.option, self.value, self.expected
        )
    }
}

impl std::error::Error for ParseOptionError {}

impl FromStr for Kernel {
    type Err = ParseOptionError;

    /// Parses `matern52` (also `matern`, `matern-5/2`) or `rbf`.
    fn from_str(name: &str) -> Result<Kernel, ParseOptionError> {
        match name {
            "matern52" | "matern" | "matern-5/2" => Ok(Kernel::Matern52),
            "rbf" => Ok(Kernel::Rbf),
            _ => Err(ParseOptionError::new("kernel", name, "matern52 or rbf")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks the radial factor against a central difference of the
    /// correlation in `r`.
    #[test]
    fn radial_factor_matches_finite_difference() {
        for kernel in [Kernel::Matern52, Kernel::Rbf] {
            for r in [0.1, 0.7, 1.5, 3.0] {
                let h = 1e-6;
                let dk_dr = (kernel.correlation((r + h) * (r + h))
                    - kernel.correlation((r - h) * (r - h)))
                    / (2.0 * h);
                let expected = -dk_dr / r;
                let got = kernel.radial_factor(r * r);
                assert!(
                    (got - expected).abs() < 1e-6,
                    "{kernel} at r = {r}: {got} vs {expected}"
                );
            }
        }
    }

    #[test]
    fn correlation_is_one_at_zero_distance() {
        assert_eq!(Kernel::Matern52.correlation(0.0), 1.0);
        assert_eq!(Kernel::Rbf.correlation(0.0), 1.0);
    }

    #[test]
    fn kernel_names_round_trip() {
        for kernel in [Kernel::Matern52, Kernel::Rbf] {
            assert_eq!(kernel.name().parse::<Kernel>(), Ok(kernel));
        }
        assert!("linear".parse::<Kernel>().is_err());
    }
}
