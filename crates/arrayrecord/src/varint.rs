//! Base-128 varints, as protocol buffers and Riegeli's simple chunks store
//! integers.

/// Maximum encoded length of a `u64`.
pub(crate) const MAX_VARINT_LEN: usize = 10;

/// Appends `value` to `out` as a varint.
pub(crate) fn write_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Reads a varint from `bytes` at `*position` and advances `*position` past it.
///
/// Returns `None` when the bytes end inside the varint or when it does not fit
/// in a `u64`; `*position` is then unchanged.
pub(crate) fn read_varint(bytes: &[u8], position: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for (i, &byte) in bytes
        .get(*position..)?
        .iter()
        .enumerate()
        .take(MAX_VARINT_LEN)
    {
        let payload = u64::from(byte & 0x7f);
        // The tenth byte may only contribute the top bit of a u64.
        if i == MAX_VARINT_LEN - 1 && payload > 1 {
            return None;
        }
        value |= payload << (7 * i);
        if byte & 0x80 == 0 {
            *position += i + 1;
            return Some(value);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_round_trip() {
        let values = [0, 1, 127, 128, 300, 65_536, u64::from(u32::MAX), u64::MAX];
        for value in values {
            let mut encoded = Vec::new();
            write_varint(&mut encoded, value);
            let mut position = 0;
            assert_eq!(read_varint(&encoded, &mut position), Some(value));
            assert_eq!(position, encoded.len());
        }
    }

    #[test]
    fn varint_known_encodings() {
        let mut encoded = Vec::new();
        write_varint(&mut encoded, 300);
        assert_eq!(encoded, [0xac, 0x02]);

        // The postscript magic as the format stores it.
        encoded.clear();
        write_varint(&mut encoded, 0x71930e704fdae05e);
        assert_eq!(
            encoded,
            [0xde, 0xc0, 0xeb, 0xfe, 0x84, 0xce, 0xc3, 0xc9, 0x71]
        );
    }

    #[test]
    fn varint_rejects_truncated_and_overlong() {
        let mut position = 0;
        assert_eq!(read_varint(&[0x80, 0x80], &mut position), None);
        assert_eq!(position, 0);

        let overlong = [0xff; 10];
        assert_eq!(read_varint(&overlong, &mut position), None);

        let too_large = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
        assert_eq!(read_varint(&too_large, &mut position), None);

        let past_end = [0x01];
        let mut position = 1;
        assert_eq!(read_varint(&past_end, &mut position), None);
    }
}
