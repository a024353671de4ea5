//! Python reads a trajectory with the array_record package and numpy.

use std::process::Command;

use oed_smc::SmcConfig;

use crate::harness::{run, small_design};

const CHECK_RECORD: &str = r#"
import io, sys
try:
    import numpy as np
    from array_record.python.array_record_module import ArrayRecordReader
except ImportError as error:
    sys.exit(f"missing Python package ({error}): run `cargo xtask ci`, which creates a "
             "virtual environment with tests/requirements.txt, or "
             "`pip install -r tests/requirements.txt`, and point OED_PYTHON at that Python")

path, particles, n, generations, beta = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
fields = [
    ("step", "int32", ()), ("sequences", "int8", (particles, n)),
    ("fitness", "float32", (particles,)), ("key", "uint32", (2,)),
    ("weights", "float32", (particles,)), ("log_likelihood_increment", "float32", ()),
    ("ancestors", "int32", (particles,)), ("ess", "float32", ()),
    ("update_info", "float32", (0,)), ("lmbda", "float32", ()), ("beta", "float32", ()),
    ("num_attempted_swaps", "int32", ()), ("num_accepted_swaps", "int32", ()),
    ("migration_island_from", "int32", (0,)), ("migration_island_to", "int32", (0,)),
    ("migration_particle_idx_from", "int32", (0,)), ("migration_particle_idx_to", "int32", (0,)),
    ("migration_accepted", "bool", (0,)), ("migration_log_acceptance_ratio", "float32", (0,)),
    ("acceptance_probability", "float32", ()), ("num_integration_steps", "int32", ()),
    ("mean_fitness", "float32", ()), ("max_fitness", "float32", ()),
    ("log_z_estimate", "float32", ()),
]
reader = ArrayRecordReader(path)
assert reader.num_records() == generations + 1, reader.num_records()
log_z = 0.0
for index, record in enumerate(reader.read_all()):
    stream = io.BytesIO(record)
    arrays = {}
    for name, dtype, shape in fields:
        array = np.load(stream)
        assert array.dtype == np.dtype(dtype), (index, name, array.dtype)
        assert array.shape == shape, (index, name, array.shape)
        arrays[name] = array
    assert stream.read() == b"", f"record {index}: bytes after the last field"
    assert int(arrays["step"]) == index
    sequences, fitness, weights = arrays["sequences"], arrays["fitness"], arrays["weights"]
    assert sequences.min() >= 0
    assert 0.0 <= fitness.min() and fitness.max() < 1.0
    assert abs(float(weights.sum()) - 1.0) < 1e-4, weights.sum()
    assert np.isclose(arrays["mean_fitness"], fitness.astype(np.float64).mean(), rtol=1e-6)
    assert arrays["max_fitness"] == fitness.max()
    assert np.isclose(arrays["ess"], 1.0 / np.sum(weights.astype(np.float64) ** 2), rtol=1e-3)
    assert arrays["beta"] == np.float32(beta)
    assert arrays["lmbda"] == -1.0
    if index == 0:
        assert (arrays["ancestors"] == np.arange(particles)).all()
        assert np.allclose(weights, 1.0 / particles)
        assert arrays["log_likelihood_increment"] == 0.0
    else:
        # Weights are exp(beta * fitness), normalised.
        expected = np.exp(beta * fitness.astype(np.float64))
        assert np.allclose(weights, expected / expected.sum(), rtol=1e-4)
        increment = np.log(expected.mean())
        assert np.isclose(arrays["log_likelihood_increment"], increment, rtol=1e-4, atol=1e-6)
        log_z += float(arrays["log_likelihood_increment"])
        assert np.isclose(arrays["log_z_estimate"], log_z, rtol=1e-4, atol=1e-5)
        assert (np.diff(arrays["ancestors"]) >= 0).all()
print("ok", reader.num_records())
"#;

fn python() -> String {
    std::env::var("OED_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

#[test]
fn python_reads_record_fields() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.arrayrecord");
    let design = small_design();
    let config = SmcConfig {
        beta: 3.0,
        ..SmcConfig::default()
    };
    run(config, &design, 11, Some(&path)).unwrap();

    let output = Command::new(python())
        .arg("-c")
        .arg(CHECK_RECORD)
        .arg(&path)
        .args(["700", "12", "15", "3.0"])
        .output()
        .unwrap_or_else(|e| panic!("failed to start {:?}: {e}; set OED_PYTHON", python()));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "Python check failed:\n{stderr}");
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "ok 16");
}
