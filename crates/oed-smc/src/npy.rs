//! The NumPy `.npy` array format, version 1.0, as far as trajectories use it.
//!
//! An array is the magic `\x93NUMPY`, the version bytes, a little-endian u16
//! header length, an ASCII dict `{'descr': ..., 'fortran_order': False,
//! 'shape': (...), }` padded with spaces and a newline so the data starts at a
//! multiple of 64 bytes, then the raw C-order data. The reader also accepts
//! versions 2.0 and 3.0, which differ only in a u32 header length.

use std::fmt::Write as _;

const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// Alignment of the data start, as NumPy 1.x and 2.x write it.
const ALIGNMENT: usize = 64;

/// Appends one array to `out`. `data` must hold the product of `shape` items
/// of the type `descr` names, little-endian.
pub(crate) fn write_array(out: &mut Vec<u8>, descr: &str, shape: &[usize], data: &[u8]) {
    let header = header_text(descr, shape);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
}

/// Returns the size of an array written by [`write_array`].
pub(crate) fn array_size(descr: &str, shape: &[usize], data_bytes: usize) -> usize {
    10 + header_text(descr, shape).len() + data_bytes
}

fn header_text(descr: &str, shape: &[usize]) -> String {
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': (");
    for (index, dimension) in shape.iter().enumerate() {
        if index > 0 {
            header.push_str(", ");
        }
        write!(header, "{dimension}").expect("writing to a String cannot fail");
    }
    if shape.len() == 1 {
        header.push(',');
    }
    header.push_str("), }");
    // Pad so that magic (6) + version (2) + length (2) + header ends on the
    // alignment, with the newline as the last header byte.
    let unpadded = 10 + header.len() + 1;
    let padding = (ALIGNMENT - unpadded % ALIGNMENT) % ALIGNMENT;
    header.extend(std::iter::repeat_n(' ', padding));
    header.push('\n');
    header
}

/// One array read from a byte buffer.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Array<'a> {
    pub(crate) descr: String,
    pub(crate) shape: Vec<usize>,
    pub(crate) data: &'a [u8],
}

/// Reads the array at the start of `bytes` and returns it with the bytes that
/// follow it.
pub(crate) fn read_array(bytes: &[u8]) -> Result<(Array<'_>, &[u8]), String> {
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return Err("missing the .npy magic bytes".to_string());
    }
    let (header_start, header_length) = match bytes[6] {
        1 => (10, usize::from(u16::from_le_bytes([bytes[8], bytes[9]]))),
        2 | 3 if bytes.len() >= 12 => {
            let length = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
            (12, length as usize)
        }
        major => return Err(format!("unsupported .npy version {major}.{}", bytes[7])),
    };
    let header_end = header_start + header_length;
    let header = bytes
        .get(header_start..header_end)
        .ok_or("truncated .npy header")?;
    let header = std::str::from_utf8(header).map_err(|_| "non-text .npy header")?;
    let descr = dict_value(header, "descr")?
        .trim_matches(|c| c == '\'' || c == '"')
        .to_string();
    if dict_value(header, "fortran_order")? != "False" {
        return Err("Fortran-order arrays are not supported".to_string());
    }
    let shape = parse_shape(dict_value(header, "shape")?)?;
    let item_size = item_size(&descr)?;
    let data_length = shape.iter().product::<usize>() * item_size;
    let data = bytes
        .get(header_end..header_end + data_length)
        .ok_or_else(|| format!("truncated .npy data: expected {data_length} bytes"))?;
    let array = Array { descr, shape, data };
    Ok((array, &bytes[header_end + data_length..]))
}

/// Returns the text of one value of the header dict, up to the next top-level
/// comma or the closing brace.
fn dict_value<'h>(header: &'h str, key: &str) -> Result<&'h str, String> {
    let start = ["'", "\""]
        .iter()
        .find_map(|quote| header.find(&format!("{quote}{key}{quote}")))
        .ok_or_else(|| format!("missing {key:?} in .npy header"))?;
    let rest = &header[start + key.len() + 2..];
    let rest = rest
        .trim_start()
        .strip_prefix(':')
        .unwrap_or(rest)
        .trim_start();
    let end = if rest.starts_with('(') {
        rest.find(')').map(|i| i + 1)
    } else {
        rest.find([',', '}'])
    };
    let end = end.ok_or_else(|| format!("unterminated {key:?} in .npy header"))?;
    Ok(rest[..end].trim())
}

fn parse_shape(text: &str) -> Result<Vec<usize>, String> {
    let inner = text
        .strip_prefix('(')
        .and_then(|t| t.strip_suffix(')'))
        .ok_or_else(|| format!("invalid .npy shape {text:?}"))?;
    inner
        .split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            part.trim_end_matches('L')
                .parse()
                .map_err(|_| format!("invalid .npy shape {text:?}"))
        })
        .collect()
}

/// Returns the byte size of one item of a type such as `<f4` or `|i1`.
fn item_size(descr: &str) -> Result<usize, String> {
    let digits = descr.trim_start_matches(['<', '>', '|', '=']);
    digits
        .get(1..)
        .and_then(|size| size.parse().ok())
        .ok_or_else(|| format!("unsupported .npy dtype {descr:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_starts_on_alignment() {
        for shape in [&[][..], &[0], &[7], &[100000, 200]] {
            let mut out = Vec::new();
            write_array(&mut out, "<f4", shape, &[]);
            assert_eq!(out.len() % ALIGNMENT, 0, "shape {shape:?}");
            assert_eq!(out.len(), array_size("<f4", shape, 0));
            assert_eq!(*out.last().unwrap(), b'\n');
        }
    }

    #[test]
    fn header_text_matches_numpy() {
        let mut out = Vec::new();
        write_array(&mut out, "<i4", &[3], &[1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0]);
        let header = std::str::from_utf8(&out[10..out.len() - 12]).unwrap();
        assert!(header.starts_with("{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }"));
    }

    #[test]
    fn arrays_round_trip_in_sequence() {
        let mut out = Vec::new();
        write_array(&mut out, "<i4", &[], &7i32.to_le_bytes());
        write_array(&mut out, "|i1", &[2, 3], &[0, 1, 2, 3, 4, 5]);
        write_array(&mut out, "|b1", &[0], &[]);
        let (scalar, rest) = read_array(&out).unwrap();
        assert_eq!(scalar.shape, Vec::<usize>::new());
        assert_eq!(scalar.data, 7i32.to_le_bytes());
        let (matrix, rest) = read_array(rest).unwrap();
        assert_eq!(matrix.descr, "|i1");
        assert_eq!(matrix.shape, vec![2, 3]);
        assert_eq!(matrix.data, [0, 1, 2, 3, 4, 5]);
        let (empty, rest) = read_array(rest).unwrap();
        assert_eq!(empty.shape, vec![0]);
        assert!(rest.is_empty());
    }

    #[test]
    fn truncated_data_is_an_error() {
        let mut out = Vec::new();
        write_array(&mut out, "<f4", &[4], &[0; 16]);
        out.truncate(out.len() - 1);
        let error = read_array(&out).unwrap_err();
        assert!(error.contains("truncated"), "{error}");
    }
}
