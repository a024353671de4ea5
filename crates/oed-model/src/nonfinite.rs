//! Serde helpers for `f64` values that may be NaN or infinite.
//!
//! JSON has no literal for non-finite numbers. Python's `json` module writes the
//! bare tokens `NaN`, `Infinity` and `-Infinity`, which strict parsers (serde_json,
//! `jq`, JavaScript's `JSON.parse`) reject. This crate writes them as the strings
//! `"NaN"`, `"Infinity"` and `"-Infinity"`, the encoding of the protobuf JSON
//! mapping; Python's `float()` parses all three. Finite values are written as
//! plain numbers. Reading accepts a number or one of those three strings. Bare
//! tokens are not valid JSON, so the manifest reader in `oed-store` turns them into
//! the strings before parsing.
//!
//! Use with `#[serde(with = "oed_model::nonfinite")]`, or [`option`] for
//! `Option<f64>`.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserializer, Serializer};

/// The string written for NaN.
pub const NAN: &str = "NaN";
/// The string written for positive infinity.
pub const INFINITY: &str = "Infinity";
/// The string written for negative infinity.
pub const NEG_INFINITY: &str = "-Infinity";

/// Serialises a float, writing non-finite values as strings.
pub fn serialize<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    match non_finite_name(*value) {
        Some(name) => serializer.serialize_str(name),
        None => serializer.serialize_f64(*value),
    }
}

/// Deserialises a float from a JSON number or a non-finite string.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    deserializer.deserialize_any(FloatVisitor)
}

/// Returns the string that encodes a non-finite value, or `None` for a finite one.
pub fn non_finite_name(value: f64) -> Option<&'static str> {
    if value.is_nan() {
        Some(NAN)
    } else if value == f64::INFINITY {
        Some(INFINITY)
    } else if value == f64::NEG_INFINITY {
        Some(NEG_INFINITY)
    } else {
        None
    }
}

/// Parses one of the three non-finite strings.
pub fn parse_non_finite(text: &str) -> Option<f64> {
    match text {
        NAN => Some(f64::NAN),
        INFINITY => Some(f64::INFINITY),
        NEG_INFINITY => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

struct FloatVisitor;

impl Visitor<'_> for FloatVisitor {
    type Value = f64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(r#"a number or one of "NaN", "Infinity", "-Infinity""#)
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<f64, E> {
        Ok(value)
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<f64, E> {
        Ok(value as f64)
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<f64, E> {
        Ok(value as f64)
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<f64, E> {
        parse_non_finite(value).ok_or_else(|| E::invalid_value(de::Unexpected::Str(value), &self))
    }
}

/// The same encoding for `Option<f64>`, with `null` for `None`.
pub mod option {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serialises an optional float, writing non-finite values as strings.
    pub fn serialize<S: Serializer>(value: &Option<f64>, serializer: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => super::serialize(v, serializer),
            None => serializer.serialize_none(),
        }
    }

    /// Deserialises an optional float from `null`, a number or a non-finite string.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<f64>, D::Error> {
        #[derive(Deserialize)]
        struct Wrapped(#[serde(with = "super")] f64);
        Ok(Option::<Wrapped>::deserialize(deserializer)?.map(|w| w.0))
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    #[derive(Debug, Serialize, Deserialize)]
    struct Value(#[serde(with = "super")] f64);

    #[derive(Debug, Serialize, Deserialize)]
    struct Optional(#[serde(with = "super::option")] Option<f64>);

    #[test]
    fn writes_non_finite_as_strings() {
        let cases = [
            (f64::NAN, r#""NaN""#),
            (f64::INFINITY, r#""Infinity""#),
            (f64::NEG_INFINITY, r#""-Infinity""#),
            (1.5, "1.5"),
            (-0.0, "-0.0"),
        ];
        for (value, expected) in cases {
            assert_eq!(serde_json::to_string(&Value(value)).unwrap(), expected);
        }
    }

    #[test]
    fn reads_integers_as_floats() {
        let value: Value = serde_json::from_str("-7").unwrap();
        assert_eq!(value.0, -7.0);
        let value: Value = serde_json::from_str("18446744073709551615").unwrap();
        assert_eq!(value.0, u64::MAX as f64);
    }

    #[test]
    fn rejects_other_strings() {
        for text in [r#""nan""#, r#""inf""#, r#""1.5""#, r#""""#] {
            let error = serde_json::from_str::<Value>(text).unwrap_err();
            assert!(
                error.to_string().starts_with(r#"invalid value: string"#),
                "{text}: {error}"
            );
            assert!(
                error
                    .to_string()
                    .contains(r#"one of "NaN", "Infinity", "-Infinity""#)
            );
        }
    }

    #[test]
    fn rejects_null_and_booleans() {
        assert!(serde_json::from_str::<Value>("null").is_err());
        assert!(serde_json::from_str::<Value>("true").is_err());
    }

    #[test]
    fn option_uses_null_for_none() {
        assert_eq!(serde_json::to_string(&Optional(None)).unwrap(), "null");
        assert_eq!(
            serde_json::to_string(&Optional(Some(f64::NAN))).unwrap(),
            r#""NaN""#
        );
        let read: Optional = serde_json::from_str("null").unwrap();
        assert_eq!(read.0, None);
        let read: Optional = serde_json::from_str(r#""-Infinity""#).unwrap();
        assert_eq!(read.0, Some(f64::NEG_INFINITY));
    }

    #[test]
    fn names_and_parsing_agree() {
        for value in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let name = super::non_finite_name(value).unwrap();
            let parsed = super::parse_non_finite(name).unwrap();
            assert_eq!(parsed.is_nan(), value.is_nan());
            if !value.is_nan() {
                assert_eq!(parsed, value);
            }
        }
        assert_eq!(super::non_finite_name(f64::MAX), None);
        assert_eq!(super::parse_non_finite("Inf"), None);
    }
}
