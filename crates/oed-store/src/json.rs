//! JSON helpers shared by the file kinds: Python's bare non-finite tokens and
//! timestamps.

use oed_model::nonfinite;
use time::OffsetDateTime;
use time::macros::format_description;

/// Returns a copy of `bytes` with each bare `NaN`, `Infinity` and `-Infinity`
/// token outside strings replaced by the quoted string of the same name, or
/// `None` when there is no such token.
///
/// Python's `json` module writes these tokens, which are not JSON. Outside a
/// string, valid JSON has no letters but those of `true`, `false` and `null`,
/// so a token is recognised by its first letter alone. Text that only looks
/// like a token (`Infinit`, `NaNa`) is copied unchanged for the parser to reject.
pub(crate) fn quote_bare_non_finite(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut output: Option<Vec<u8>> = None;
    let mut copied_up_to = 0;
    let mut in_string = false;
    let mut escaped = false;
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        if in_string {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
            i += 1;
            continue;
        }
        if byte == b'"' {
            in_string = true;
            i += 1;
            continue;
        }
        let token = [nonfinite::NAN, nonfinite::INFINITY, nonfinite::NEG_INFINITY]
            .into_iter()
            .find(|token| bytes[i..].starts_with(token.as_bytes()));
        let Some(token) = token else {
            i += 1;
            continue;
        };

        // Copy what came before the token, then the token in quotes.
        let output = output.get_or_insert_with(|| Vec::with_capacity(bytes.len() + 16));
        output.extend_from_slice(&bytes[copied_up_to..i]);
        output.push(b'"');
        output.extend_from_slice(token.as_bytes());
        output.push(b'"');
        i += token.len();
        copied_up_to = i;
    }
    let mut output = output?;
    output.extend_from_slice(&bytes[copied_up_to..]);
    Some(output)
}

/// Parses JSON text that may hold Python's bare non-finite tokens.
pub(crate) fn from_slice_lenient<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
) -> serde_json::Result<T> {
    match serde_json::from_slice(bytes) {
        Ok(value) => Ok(value),
        Err(error) => match quote_bare_non_finite(bytes) {
            Some(quoted) => serde_json::from_slice(&quoted),
            None => Err(error),
        },
    }
}

/// Returns the current time as RFC 3339 in UTC with microseconds, the form
/// Python's `datetime.now(tz=UTC).isoformat()` writes:
/// `2026-12-04T15:45:35.196784+00:00`.
pub fn timestamp_now() -> String {
    let format = format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]+00:00"
    );
    OffsetDateTime::now_utc()
        .format(format)
        .expect("a UTC time formats with a fixed description")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quoted(text: &str) -> Option<String> {
        quote_bare_non_finite(text.as_bytes()).map(|b| String::from_utf8(b).unwrap())
    }

    #[test]
    fn quotes_tokens_outside_strings() {
        assert_eq!(
            quoted(r#"{"a": NaN, "b": [Infinity, -Infinity]}"#).as_deref(),
            Some(r#"{"a": "NaN", "b": ["Infinity", "-Infinity"]}"#)
        );
    }

    #[test]
    fn leaves_strings_alone() {
        assert_eq!(quoted(r#"{"NaN": "x NaN \" Infinity", "b": 1}"#), None);
        assert_eq!(
            quoted(r#"{"k\\": NaN}"#).as_deref(),
            Some(r#"{"k\\": "NaN"}"#)
        );
    }

    #[test]
    fn lenient_parse_reads_tokens() {
        let value: Vec<serde_json::Value> = from_slice_lenient(b"[NaN, -Infinity, 1.5]").unwrap();
        assert_eq!(value[0], "NaN");
        assert_eq!(value[1], "-Infinity");
        assert_eq!(value[2], 1.5);
    }

    #[test]
    fn timestamp_has_python_form() {
        let timestamp = timestamp_now();
        assert_eq!(timestamp.len(), "2026-12-04T15:45:35.196784+00:00".len());
        assert!(timestamp.ends_with("+00:00"), "{timestamp}");
        assert!(
            OffsetDateTime::parse(&timestamp, &time::format_description::well_known::Rfc3339)
                .is_ok()
        );
    }
}
