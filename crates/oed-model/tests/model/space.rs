//! Loading parameter spaces from JSON and TOML.

use oed_model::{Bounds, Parameter, ParameterSpace, Scale};

use crate::read_data;

/// The bounds that the documentation of `ParameterSpace::default` lists.
#[test]
fn default_space_bounds() {
    let space = ParameterSpace::default();
    let expected = [
        (Parameter::N, Bounds::linear(10.0, 200.0)),
        (Parameter::K, Bounds::linear(0.0, 5.0)),
        (Parameter::Q, Bounds::linear(2.0, 20.0)),
        (Parameter::PopulationSize, Bounds::log(50.0, 100_000.0)),
        (Parameter::MutationRate, Bounds::log(1e-9, 1e-1)),
        (Parameter::DiversificationRatio, Bounds::linear(0.0, 1.0)),
        (Parameter::NGenerations, Bounds::fixed(200.0)),
        (Parameter::BranchLength, Bounds::fixed(1.0)),
    ];
    for (parameter, bounds) in expected {
        assert_eq!(space.bounds(parameter), bounds, "{parameter}");
    }
    assert_eq!(
        space.free_parameters(),
        [
            Parameter::N,
            Parameter::K,
            Parameter::Q,
            Parameter::PopulationSize,
            Parameter::MutationRate,
            Parameter::DiversificationRatio
        ]
    );
}

#[test]
fn empty_file_keeps_defaults() {
    assert_eq!(
        ParameterSpace::from_json_str("{}").unwrap(),
        ParameterSpace::default()
    );
    assert_eq!(
        ParameterSpace::from_toml_str("").unwrap(),
        ParameterSpace::default()
    );
    assert_eq!(
        ParameterSpace::from_toml_str("# nothing changed\n").unwrap(),
        ParameterSpace::default()
    );
}

/// Checks the space that both `narrow_space` files describe.
fn assert_narrow_space(space: &ParameterSpace) {
    let expected = [
        (Parameter::N, Bounds::linear(10.0, 30.0)),
        (Parameter::K, Bounds::linear(0.0, 2.0)),
        (Parameter::Q, Bounds::linear(2.0, 6.0)),
        // The scale is left out, so population_size stays on a log scale.
        (Parameter::PopulationSize, Bounds::log(50.0, 200.0)),
        (Parameter::MutationRate, Bounds::log(1e-4, 1e-1)),
        (Parameter::NGenerations, Bounds::fixed(20.0)),
        // Not listed, so the defaults.
        (Parameter::DiversificationRatio, Bounds::linear(0.0, 1.0)),
        (Parameter::BranchLength, Bounds::fixed(1.0)),
    ];
    for (parameter, bounds) in expected {
        assert_eq!(space.bounds(parameter), bounds, "{parameter}");
    }
}

#[test]
fn loads_narrow_space_toml_file() {
    let space = ParameterSpace::from_toml_str(&read_data("narrow_space.toml")).unwrap();
    assert_narrow_space(&space);
}

#[test]
fn loads_narrow_space_json_file() {
    let space = ParameterSpace::from_json_str(&read_data("narrow_space.json")).unwrap();
    assert_narrow_space(&space);
}

#[test]
fn fixed_value_forms_agree() {
    let texts = [
        (r#"{"branch_length": 2.5}"#, true),
        (r#"{"branch_length": {"value": 2.5}}"#, true),
        ("branch_length = 2.5", false),
        ("branch_length = { value = 2.5 }", false),
    ];
    for (text, is_json) in texts {
        let space = if is_json {
            ParameterSpace::from_json_str(text)
        } else {
            ParameterSpace::from_toml_str(text)
        }
        .unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(
            space.bounds(Parameter::BranchLength),
            Bounds::fixed(2.5),
            "{text}"
        );
    }
}

#[test]
fn fixing_parameter_frees_none_else() {
    let space = ParameterSpace::from_toml_str("q = 4\nK = { value = 1 }").unwrap();
    assert!(!space.free_parameters().contains(&Parameter::Q));
    assert!(!space.free_parameters().contains(&Parameter::K));
    assert_eq!(space.free_parameters().len(), 4);
}

#[test]
fn freeing_fixed_parameter() {
    let space = ParameterSpace::from_toml_str("n_generations = { min = 50 }").unwrap();
    assert_eq!(
        space.bounds(Parameter::NGenerations),
        Bounds::linear(50.0, 200.0)
    );
    assert!(space.free_parameters().contains(&Parameter::NGenerations));
}

#[test]
fn fixed_range_drops_scale() {
    let space = ParameterSpace::from_toml_str(
        "population_size = { min = 100, max = 100, scale = \"log\" }",
    )
    .unwrap();
    assert_eq!(
        space.bounds(Parameter::PopulationSize),
        Bounds::fixed(100.0)
    );
    assert!(!space.free_parameters().contains(&Parameter::PopulationSize));
}

#[test]
fn scale_alone_changes_scale() {
    let space = ParameterSpace::from_json_str(r#"{"mutation_rate": {"scale": "linear"}}"#).unwrap();
    let bounds = space.bounds(Parameter::MutationRate);
    assert_eq!(bounds.scale, Scale::Linear);
    assert_eq!((bounds.min, bounds.max), (1e-9, 1e-1));
}

#[test]
fn written_space_lists_every_parameter() {
    let value = ParameterSpace::default().to_json_value();
    let expected = serde_json::json!({
        "N": {"min": 10.0, "max": 200.0, "scale": "linear"},
        "K": {"min": 0.0, "max": 5.0, "scale": "linear"},
        "q": {"min": 2.0, "max": 20.0, "scale": "linear"},
        "population_size": {"min": 50.0, "max": 100000.0, "scale": "log"},
        "n_generations": {"value": 200.0},
        "mutation_rate": {"min": 1e-9, "max": 0.1, "scale": "log"},
        "diversification_ratio": {"min": 0.0, "max": 1.0, "scale": "linear"},
        "branch_length": {"value": 1.0},
    });
    assert_eq!(value, expected);
}

#[test]
fn set_bounds_rejects_invalid() {
    let mut space = ParameterSpace::default();
    let error = space
        .set_bounds(Parameter::Q, Bounds::linear(2.0, 300.0))
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid bounds for q: min = 2, max = 300: q must lie between 2 and 127"
    );
    assert_eq!(space, ParameterSpace::default());
}

const PARAMETER_NAMES: &str = "N, K, q, population_size, n_generations, mutation_rate, \
                               diversification_ratio, branch_length";

/// Files that cannot be used, each with the exact message expected.
#[test]
fn bad_toml_files_rejected() {
    let unknown = format!(
        "invalid parameter space: unknown parameter \"M\": expected one of {PARAMETER_NAMES}"
    );
    let cases: &[(&str, &str)] = &[
        ("M = { min = 1, max = 2 }", &unknown),
        (
            "N = { mn = 1 }",
            "invalid parameter space: N: unknown field `mn`, expected one of \
             `value`, `min`, `max`, `scale`",
        ),
        (
            "N = { min = 30, max = 20 }",
            "invalid bounds for N: min = 30, max = 20: min must not exceed max",
        ),
        (
            "K = { min = 0.5, max = 2 }",
            "invalid bounds for K: min = 0.5, max = 2: K takes whole numbers only",
        ),
        (
            "mutation_rate = { min = 0 }",
            "invalid bounds for mutation_rate: min = 0, max = 0.1: \
             a log-scale range needs min > 0; add scale = \"linear\" for a linear range of \
             mutation_rate",
        ),
        (
            "q = { max = 200 }",
            "invalid bounds for q: min = 2, max = 200: q must lie between 2 and 127",
        ),
        (
            "diversification_ratio = { min = -0.5 }",
            "invalid bounds for diversification_ratio: min = -0.5, max = 1: \
             diversification_ratio must lie between 0 and 1",
        ),
        (
            "N = { value = 10, min = 5 }",
            "invalid parameter space: N: give either value or min and max, not both",
        ),
        (
            "N = {}",
            "invalid parameter space: N: empty entry: give value, or min and max",
        ),
        (
            "N = \"ten\"",
            "invalid parameter space: N: expected a number or a table such as \
             { min = 1, max = 10 }, found string",
        ),
        (
            "N = { scale = \"cubic\" }",
            "invalid parameter space: N: unknown variant `cubic`, expected `linear` or `log` \
             in `scale`",
        ),
        (
            "N = { min = 2, max = 3 }\nK = { min = 3, max = 4 }",
            "invalid parameter space: K.min = 3 leaves no valid design, because K must be \
             at most N-1 and N.max = 3",
        ),
        (
            "branch_length = nan",
            "invalid bounds for branch_length: min = NaN, max = NaN: \
             both bounds must be finite numbers",
        ),
        (
            "population_size = { min = 0, max = 10, scale = \"linear\" }",
            "invalid bounds for population_size: min = 0, max = 10: \
             population_size must be at least 1",
        ),
        (
            "N = { min = 10, max = 100000000000 }",
            "invalid bounds for N: min = 10, max = 100000000000: N must lie between 1 and 4294967295",
        ),
        (
            "n_generations = 0",
            "invalid bounds for n_generations: min = 0, max = 0: n_generations must be at least 1",
        ),
    ];
    for (text, expected) in cases {
        let error = ParameterSpace::from_toml_str(text).expect_err(text);
        assert_eq!(error.to_string(), *expected, "{text}");
    }
}

#[test]
fn bad_json_files_rejected() {
    let cases: &[(&str, &str)] = &[
        (
            r#"{"N": {"min": 10, "max": 30, "step": 2}}"#,
            "invalid parameter space: N: unknown field `step`, expected one of \
             `value`, `min`, `max`, `scale`",
        ),
        (
            r#"{"N": [10, 30]}"#,
            "invalid parameter space: N: expected a number or a table such as \
             { min = 1, max = 10 }, found array",
        ),
        (
            r#"{"N": {"min": "10"}}"#,
            "invalid parameter space: N: invalid type: string \"10\", expected f64",
        ),
        (
            r#"[1, 2]"#,
            "invalid parameter space: invalid type: sequence, expected a map \
             at line 1 column 0",
        ),
        (
            r#"{"N": "#,
            "invalid parameter space: EOF while parsing a value at line 1 column 6",
        ),
    ];
    for (text, expected) in cases {
        let error = ParameterSpace::from_json_str(text).expect_err(text);
        assert_eq!(error.to_string(), *expected, "{text}");
    }
}

#[test]
fn toml_syntax_error_names_line() {
    let error = ParameterSpace::from_toml_str("N = { min = 10 }\nK = { min = }\n").unwrap_err();
    let message = error.to_string();
    assert!(
        message.starts_with("invalid parameter space: TOML parse error at line 2, column"),
        "{message}"
    );
}

#[test]
fn space_embeds_in_json_document() {
    #[derive(serde::Deserialize)]
    struct Settings {
        space: ParameterSpace,
    }
    let settings: Settings = serde_json::from_str(r#"{"space": {"q": {"max": 4}}}"#).unwrap();
    assert_eq!(
        settings.space.bounds(Parameter::Q),
        Bounds::linear(2.0, 4.0)
    );

    let error = serde_json::from_str::<Settings>(r#"{"space": {"q": {"max": 400}}}"#)
        .err()
        .unwrap();
    assert_eq!(
        error.to_string(),
        "invalid bounds for q: min = 2, max = 400: q must lie between 2 and 127 \
         at line 1 column 30"
    );
}
