//! Space-filling designs for the seeding phase.
//!
//! Seeding design `i` is point `i` of an Owen-scrambled Sobol sequence
//! (`sobol_burley`) in the unit cube of the free parameters, one dimension per
//! free parameter in on-disk order, mapped into the parameter space. A
//! log-scale parameter is uniform in its logarithm. Every design depends only
//! on the space, the loop seed and `i`, so a resumed loop draws the same ones.

use anyhow::{Context, Result, bail};
use oed_model::{Bounds, Design, Parameter, ParameterSpace, Scale};

/// Returns seeding design `index` for a loop seeded with `loop_seed`.
pub fn seeding_design(space: &ParameterSpace, loop_seed: u64, index: u64) -> Result<Design> {
    let Ok(sample_index) = u32::try_from(index) else {
        bail!("seeding index {index} is out of range: the Sobol sequence has 2^32 points");
    };
    let scramble = crate::seeds::sobol_seed(loop_seed);

    let mut design = lower_corner(space);
    for (dimension, parameter) in space.free_parameters().into_iter().enumerate() {
        let unit = f64::from(sobol_burley::sample(
            sample_index,
            dimension as u32,
            scramble,
        ));
        design.set(
            parameter,
            value_at(space.bounds(parameter), parameter, unit),
        );
    }
    repair_epistasis(space, &mut design);

    space
        .validate(&design)
        .with_context(|| format!("seeding design {index} ({design}) is invalid"))?;
    Ok(design)
}

/// Returns the design with every parameter at its lower bound, which is the
/// value of each fixed parameter.
fn lower_corner(space: &ParameterSpace) -> Design {
    let mut design = Design {
        n: 0,
        k: 0,
        q: 0,
        population_size: 0,
        n_generations: 0,
        mutation_rate: 0.0,
        diversification_ratio: 0.0,
        branch_length: 1.0,
    };
    for parameter in Parameter::ALL {
        design.set(parameter, space.bounds(parameter).min);
    }
    design
}

/// Maps `unit` in `[0, 1)` to a parameter value. A linear integer range is
/// cut into equal cells, one per integer, so the end points are as likely as
/// any other value. Rounding instead would give them half the weight.
fn value_at(bounds: Bounds, parameter: Parameter, unit: f64) -> f64 {
    if parameter.is_integer() && bounds.scale == Scale::Linear {
        let cells = bounds.max - bounds.min + 1.0;
        return (bounds.min + (unit * cells).floor()).min(bounds.max);
    }
    let value = bounds.from_unit(unit);
    if parameter.is_integer() {
        value.round().clamp(bounds.min, bounds.max)
    } else {
        value
    }
}

/// Brings K within `[K.min, min(K.max, N-1)]`, raising N when even K.min
/// needs a longer sequence. The space guarantees `K.min <= N.max - 1`.
fn repair_epistasis(space: &ParameterSpace, design: &mut Design) {
    let k_bounds = space.bounds(Parameter::K);
    let k_min = k_bounds.min as u32;
    if design.n <= k_min {
        design.n = k_min + 1;
    }
    design.k = design.k.clamp(k_min, design.n - 1);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn narrow_space() -> ParameterSpace {
        ParameterSpace::from_toml_str(
            r#"
            N = { min = 3, max = 12 }
            K = { min = 2, max = 5 }
            q = { min = 2, max = 4 }
            population_size = { min = 10, max = 1000, scale = "log" }
            n_generations = { value = 5 }
            "#,
        )
        .unwrap()
    }

    #[test]
    fn designs_lie_in_space_and_respect_k() {
        let space = narrow_space();
        for index in 0..256 {
            let design = seeding_design(&space, 7, index).unwrap();
            assert!(space.validate(&design).is_ok(), "{design}");
            assert!(design.k < design.n, "{design}");
            assert!(design.k >= 2, "{design}");
        }
    }

    #[test]
    fn designs_are_deterministic_per_seed() {
        let space = ParameterSpace::default();
        let first: Vec<Design> = (0..8)
            .map(|i| seeding_design(&space, 3, i).unwrap())
            .collect();
        let again: Vec<Design> = (0..8)
            .map(|i| seeding_design(&space, 3, i).unwrap())
            .collect();
        let other: Vec<Design> = (0..8)
            .map(|i| seeding_design(&space, 4, i).unwrap())
            .collect();
        assert_eq!(first, again);
        assert_ne!(first, other);
    }

    #[test]
    fn designs_fill_every_integer_and_log_decade() {
        let space = ParameterSpace::default();
        let designs: Vec<Design> = (0..64)
            .map(|i| seeding_design(&space, 11, i).unwrap())
            .collect();

        // q takes 19 values; 64 Sobol points must hit each of them.
        for q in 2..=20 {
            assert!(designs.iter().any(|d| d.q == q), "q = {q} never drawn");
        }
        // The mutation rate spans 8 decades, uniform in log: every decade gets
        // 64 / 8 = 8 points from a balanced sequence.
        for decade in -9..-1 {
            let (low, high) = (10f64.powi(decade), 10f64.powi(decade + 1));
            let count = designs
                .iter()
                .filter(|d| d.mutation_rate >= low && d.mutation_rate < high)
                .count();
            assert_eq!(count, 8, "decade 1e{decade}");
        }
    }

    #[test]
    fn fixed_parameters_keep_their_value() {
        let space = ParameterSpace::default();
        let design = seeding_design(&space, 1, 0).unwrap();
        assert_eq!(design.n_generations, 200);
        assert_eq!(design.branch_length, 1.0);
    }
}
