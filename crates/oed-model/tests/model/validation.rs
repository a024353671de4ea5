//! Validation of designs against physics and against the parameter space.

use oed_model::{Design, Parameter, ParameterSpace};
use proptest::prelude::*;

/// A design inside the default space.
fn valid_design() -> Design {
    Design {
        n: 20,
        k: 2,
        q: 4,
        population_size: 1000,
        n_generations: 200,
        mutation_rate: 1e-3,
        diversification_ratio: 0.1,
        branch_length: 1.0,
    }
}

struct Case {
    name: &'static str,
    change: fn(&mut Design),
    expected: &'static str,
}

/// Designs that break a physical limit, whatever the space.
const PHYSICS_CASES: &[Case] = &[
    Case {
        name: "K above N-1",
        change: |d| (d.n, d.k) = (6, 7),
        expected: "K = 7 is out of range: K must be between 0 and N-1 = 5",
    },
    Case {
        name: "K equal to N",
        change: |d| (d.n, d.k) = (10, 10),
        expected: "K = 10 is out of range: K must be between 0 and N-1 = 9",
    },
    Case {
        name: "N zero",
        change: |d| (d.n, d.k) = (0, 0),
        expected: "N = 0 is out of range: N must be at least 1",
    },
    Case {
        name: "q one",
        change: |d| d.q = 1,
        expected: "q = 1 is out of range: q must be between 2 and 127",
    },
    Case {
        name: "q above a signed byte",
        change: |d| d.q = 200,
        expected: "q = 200 is out of range: q must be between 2 and 127",
    },
    Case {
        name: "population zero",
        change: |d| d.population_size = 0,
        expected: "population_size = 0 is out of range: population_size must be at least 1",
    },
    Case {
        name: "no generations",
        change: |d| d.n_generations = 0,
        expected: "n_generations = 0 is out of range: n_generations must be at least 1",
    },
    Case {
        name: "mutation rate above one",
        change: |d| d.mutation_rate = 1.5,
        expected: "mutation_rate = 1.5 is out of range: mutation_rate must be between 0 and 1",
    },
    Case {
        name: "mutation rate negative",
        change: |d| d.mutation_rate = -0.1,
        expected: "mutation_rate = -0.1 is out of range: mutation_rate must be between 0 and 1",
    },
    Case {
        name: "mutation rate NaN",
        change: |d| d.mutation_rate = f64::NAN,
        expected: "mutation_rate = NaN is invalid: mutation_rate must be a finite number",
    },
    Case {
        name: "ratio above one",
        change: |d| d.diversification_ratio = 1.25,
        expected: "diversification_ratio = 1.25 is out of range: \
                   diversification_ratio must be between 0 and 1",
    },
    Case {
        name: "ratio infinite",
        change: |d| d.diversification_ratio = f64::INFINITY,
        expected: "diversification_ratio = Infinity is invalid: \
                   diversification_ratio must be a finite number",
    },
    Case {
        name: "branch length zero",
        change: |d| d.branch_length = 0.0,
        expected: "branch_length = 0 is out of range: branch_length must be greater than 0",
    },
    Case {
        name: "branch length negative infinity",
        change: |d| d.branch_length = f64::NEG_INFINITY,
        expected: "branch_length = -Infinity is invalid: branch_length must be a finite number",
    },
];

/// Physically valid designs outside the default space.
const SPACE_CASES: &[Case] = &[
    Case {
        name: "N above space",
        change: |d| d.n = 300,
        expected: "N = 300 is out of range: N must be between 10 and 200",
    },
    Case {
        name: "N below space",
        change: |d| d.n = 5,
        expected: "N = 5 is out of range: N must be between 10 and 200",
    },
    Case {
        name: "K above space",
        change: |d| d.k = 6,
        expected: "K = 6 is out of range: K must be between 0 and 5",
    },
    Case {
        name: "q above space",
        change: |d| d.q = 21,
        expected: "q = 21 is out of range: q must be between 2 and 20",
    },
    Case {
        name: "population below space",
        change: |d| d.population_size = 10,
        expected: "population_size = 10 is out of range: \
                   population_size must be between 50 and 100000",
    },
    Case {
        name: "generations not the fixed value",
        change: |d| d.n_generations = 100,
        expected: "n_generations = 100 is out of range: n_generations is fixed at 200",
    },
    Case {
        name: "mutation rate above space",
        change: |d| d.mutation_rate = 0.5,
        expected: "mutation_rate = 0.5 is out of range: mutation_rate must be between 1e-9 and 0.1",
    },
    Case {
        name: "mutation rate below space",
        change: |d| d.mutation_rate = 2.5e-10,
        expected: "mutation_rate = 2.5e-10 is out of range: \
                   mutation_rate must be between 1e-9 and 0.1",
    },
    Case {
        name: "mutation rate zero",
        change: |d| d.mutation_rate = 0.0,
        expected: "mutation_rate = 0 is out of range: mutation_rate must be between 1e-9 and 0.1",
    },
    Case {
        name: "branch length not the fixed value",
        change: |d| d.branch_length = 2.0,
        expected: "branch_length = 2 is out of range: branch_length is fixed at 1",
    },
];

fn changed(case: &Case) -> Design {
    let mut design = valid_design();
    (case.change)(&mut design);
    design
}

#[test]
fn physics_rejects_each_bad_design() {
    let space = ParameterSpace::default();
    for case in PHYSICS_CASES {
        let design = changed(case);
        let physics_error = design.validate_physics().expect_err(case.name);
        assert_eq!(physics_error.to_string(), case.expected, "{}", case.name);
        let space_error = space.validate(&design).expect_err(case.name);
        assert_eq!(space_error.to_string(), case.expected, "{}", case.name);
    }
}

#[test]
fn space_rejects_each_bad_design() {
    let space = ParameterSpace::default();
    for case in SPACE_CASES {
        let design = changed(case);
        assert_eq!(design.validate_physics(), Ok(()), "{}", case.name);
        let error = space.validate(&design).expect_err(case.name);
        assert_eq!(error.to_string(), case.expected, "{}", case.name);
    }
}

#[test]
fn error_names_parameter_and_value() {
    let mut design = valid_design();
    (design.n, design.k) = (6, 7);
    let error = design.validate_physics().unwrap_err();
    assert_eq!(error.parameter(), Parameter::K);
    assert_eq!(error.value(), 7.0);
}

#[test]
fn accepts_valid_and_boundary_designs() {
    let space = ParameterSpace::default();
    let boundary_changes: [fn(&mut Design); 9] = [
        |_| {},
        |d| (d.n, d.k) = (10, 5),
        |d| (d.n, d.k) = (200, 0),
        |d| d.q = 2,
        |d| d.q = 20,
        |d| d.population_size = 50,
        |d| d.population_size = 100_000,
        |d| (d.mutation_rate, d.diversification_ratio) = (1e-9, 0.0),
        |d| (d.mutation_rate, d.diversification_ratio) = (0.1, 1.0),
    ];
    for change in boundary_changes {
        let mut design = valid_design();
        change(&mut design);
        assert_eq!(space.validate(&design), Ok(()), "{design}");
    }
}

#[test]
fn physics_allows_designs_outside_default_space() {
    let mut design = valid_design();
    (design.n, design.k, design.q) = (1, 0, 127);
    (design.mutation_rate, design.branch_length) = (1.0, 1e-6);
    assert_eq!(design.validate_physics(), Ok(()));
}

#[test]
fn narrowed_space_k_bound_names_n() {
    let space = ParameterSpace::from_toml_str("N = { min = 3, max = 4 }").unwrap();
    let mut design = valid_design();
    (design.n, design.k) = (3, 3);
    let error = space.validate(&design).unwrap_err();
    assert_eq!(
        error.to_string(),
        "K = 3 is out of range: K must be between 0 and N-1 = 2"
    );
}

proptest! {
    #[test]
    fn designs_from_unit_cube_are_valid(point in proptest::collection::vec(0.0..=1.0f64, 6)) {
        let space = ParameterSpace::default();
        prop_assert_eq!(space.free_parameters().len(), 6);
        let design = space.from_unit(&point);
        prop_assert_eq!(space.validate(&design), Ok(()), "{}", design);
    }

    #[test]
    fn unit_cube_round_trip(point in proptest::collection::vec(0.0..=1.0f64, 6)) {
        let space = ParameterSpace::default();
        let design = space.from_unit(&point);
        let again = space.from_unit(&space.to_unit(&design));
        for parameter in Parameter::ALL {
            let (before, after) = (design.get(parameter), again.get(parameter));
            if parameter.is_integer() {
                prop_assert_eq!(before, after, "{}", parameter);
            } else {
                prop_assert!(
                    (before - after).abs() <= 1e-12 * before.abs(),
                    "{parameter}: {before} became {after}"
                );
            }
        }
    }

    #[test]
    fn from_unit_lowers_k_below_n(point in proptest::collection::vec(0.0..=1.0f64, 6)) {
        let space = ParameterSpace::from_toml_str(
            "N = { min = 2, max = 4 }\nK = { min = 0, max = 5 }",
        )
        .unwrap();
        let design = space.from_unit(&point);
        prop_assert!(design.k < design.n, "{}", design);
        prop_assert_eq!(space.validate(&design), Ok(()), "{}", design);
    }
}

#[test]
fn from_unit_fixes_fixed_parameters() {
    let space = ParameterSpace::default();
    let design = space.from_unit(&[0.0; 6]);
    assert_eq!(design.n, 10);
    assert_eq!(design.k, 0);
    assert_eq!(design.q, 2);
    assert_eq!(design.population_size, 50);
    assert_eq!(design.n_generations, 200);
    assert_eq!(design.mutation_rate, 1e-9);
    assert_eq!(design.diversification_ratio, 0.0);
    assert_eq!(design.branch_length, 1.0);

    let design = space.from_unit(&[1.0; 6]);
    assert_eq!((design.n, design.k, design.q), (200, 5, 20));
    assert_eq!(design.population_size, 100_000);
    assert_eq!(design.mutation_rate, 0.1);
    assert_eq!(design.diversification_ratio, 1.0);
}
