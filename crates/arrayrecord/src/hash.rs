//! The hash that protects every header and every chunk's data.

use highway::{HighwayHash, HighwayHasher, Key};

/// HighwayHash key of Riegeli files: the ASCII text "Riegeli/records\n" twice,
/// read as four little-endian u64 words.
const RIEGELI_KEY: Key = Key([
    0x2f69_6c65_6765_6952,
    0x0a73_6472_6f63_6572,
    0x2f69_6c65_6765_6952,
    0x0a73_6472_6f63_6572,
]);

/// Returns the 64-bit HighwayHash of the concatenation of `parts`.
pub(crate) fn hash_parts(parts: &[&[u8]]) -> u64 {
    let mut hasher = HighwayHasher::new(RIEGELI_KEY);
    for part in parts {
        hasher.append(part);
    }
    hasher.finalize64()
}

/// Returns the 64-bit HighwayHash of `bytes`.
pub(crate) fn hash(bytes: &[u8]) -> u64 {
    hash_parts(&[bytes])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_spells_riegeli_records() {
        let mut text = Vec::new();
        for word in RIEGELI_KEY.0 {
            text.extend_from_slice(&word.to_le_bytes());
        }
        assert_eq!(text, b"Riegeli/records\nRiegeli/records\n");
    }

    #[test]
    fn hash_of_empty_matches_signature_chunk() {
        // Every ArrayRecord file stores this value as the data hash of its
        // empty signature chunk (bytes 0x28..0x30).
        assert_eq!(
            hash(&[]).to_le_bytes(),
            [0xe1, 0x9f, 0x13, 0xc0, 0xe9, 0xb1, 0xc3, 0x72]
        );
    }

    #[test]
    fn hash_parts_equals_hash_of_concatenation() {
        let bytes: Vec<u8> = (0..=255).cycle().take(1000).collect();
        for split in [0, 1, 31, 32, 33, 500, 1000] {
            let (left, right) = bytes.split_at(split);
            assert_eq!(hash_parts(&[left, right]), hash(&bytes), "split at {split}");
        }
    }
}
