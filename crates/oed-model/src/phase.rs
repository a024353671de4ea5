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
    /// A phase this version does not know, kept as read. Build it with
    /// [`Phase::from`]: an `Other("seeding")` made by hand would be read back
    /// as [`Phase::Seeding`].
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_names_map_to_variants() {
        assert_eq!(Phase::from("seeding"), Phase::Seeding);
        assert_eq!(Phase::from("optimization"), Phase::Optimization);
    }

    #[test]
    fn unknown_name_is_kept() {
        let phase = Phase::from("Seeding ");
        assert_eq!(phase, Phase::Other("Seeding ".to_string()));
        assert_eq!(phase.as_str(), "Seeding ");
        assert_eq!(phase.to_string(), "Seeding ");
    }

    #[test]
    fn deserialises_escaped_string() {
        let phase: Phase = serde_json::from_str(r#""re\u0073cue""#).unwrap();
        assert_eq!(phase, Phase::Other("rescue".to_string()));
        let phase: Phase = serde_json::from_str(r#""s\u0065eding""#).unwrap();
        assert_eq!(phase, Phase::Seeding);
    }

    #[test]
    fn rejects_non_string() {
        let error = serde_json::from_str::<Phase>("3").unwrap_err();
        assert!(error.to_string().contains("expected a string"), "{error}");
    }
}
