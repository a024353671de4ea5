use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The phase of the OED loop that produced an experiment.
///
/// The loop writes `seeding` and `optimization`. Any other string read from a
/// file is kept as [`Phase::Other`] and written back unchanged.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Phase {
    /// Space-filling designs chosen before a surrogate exists.
    Seeding,
    /// Designs proposed by the surrogate.
    Optimization,
    /// A phase this version does not know.
    Other(String),
}

impl Phase {
    /// Returns the string used on disk.
    pub fn as_str(&self) -> &str {
        match self {
            Phase::Seeding => "seeding",
            Phase::Optimization => "optimization",
            Phase::Other(name) => name,
        }
    }
}

impl From<&str> for Phase {
    fn from(name: &str) -> Phase {
        match name {
            "seeding" => Phase::Seeding,
            "optimization" => Phase::Optimization,
            other => Phase::Other(other.to_string()),
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Phase {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Phase {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Phase, D::Error> {
        let name = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Ok(Phase::from(name.as_ref()))
    }
}
