//! The block layer: a file is a sequence of 64 KiB blocks, and every block
//! starts with a 24-byte block header, wherever it falls inside a chunk.
//!
//! Chunks are laid out as if the block headers were not there. The position
//! arithmetic below follows Riegeli's `records/block.h`, so that chunk
//! boundaries land exactly where the C++ writer puts them.

use crate::hash::hash;

/// Size of a block, including its header.
pub(crate) const BLOCK_SIZE: u64 = 1 << 16;
/// Size of a block header: hash, `previous_chunk`, `next_chunk`.
pub(crate) const BLOCK_HEADER_SIZE: u64 = 24;
/// Bytes of a block left for chunks.
pub(crate) const USABLE_BLOCK_SIZE: u64 = BLOCK_SIZE - BLOCK_HEADER_SIZE;

/// Returns the number of bytes from `position` to the next block boundary, 0 at
/// a boundary.
pub(crate) fn remaining_in_block(position: u64) -> u64 {
    position.wrapping_neg() % BLOCK_SIZE
}

/// Returns whether a chunk may begin at `position`: a block boundary, or a
/// position past the block header. A chunk whose header directly follows a block
/// header begins at the boundary, so `boundary + 24` itself does not qualify.
pub(crate) fn is_possible_chunk_boundary(position: u64) -> bool {
    remaining_in_block(position) < USABLE_BLOCK_SIZE
}

/// Returns the first possible chunk boundary at or after `position`.
pub(crate) fn round_up_to_possible_chunk_boundary(position: u64) -> Option<u64> {
    let overshoot = remaining_in_block(position).saturating_sub(USABLE_BLOCK_SIZE - 1);
    position.checked_add(overshoot)
}

/// Returns the position after writing `length` chunk bytes from `position`,
/// counting the block headers they cross.
pub(crate) fn add_with_overhead(position: u64, length: u64) -> Option<u64> {
    let offset_in_usable = (position % BLOCK_SIZE + USABLE_BLOCK_SIZE - 1) % BLOCK_SIZE;
    let block_headers = length.checked_add(offset_in_usable)? / USABLE_BLOCK_SIZE;
    position
        .checked_add(length)?
        .checked_add(block_headers.checked_mul(BLOCK_HEADER_SIZE)?)
}

/// Returns where a chunk that begins at `begin` ends, and so where the next
/// chunk begins.
///
/// A chunk occupies its 40-byte header and `data_size` data bytes plus the
/// block headers inside them, and at least `num_records` bytes of file: a
/// writer fills any shortfall with zeros. That second rule keeps record
/// positions (chunk begin plus record index) unique across chunks.
pub(crate) fn chunk_end(begin: u64, data_size: u64, num_records: u64) -> Option<u64> {
    let by_size = add_with_overhead(
        begin,
        data_size.checked_add(crate::chunk::CHUNK_HEADER_SIZE)?,
    )?;
    let by_records = round_up_to_possible_chunk_boundary(begin.checked_add(num_records)?)?;
    Some(by_size.max(by_records))
}

/// A block header as stored at every multiple of [`BLOCK_SIZE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BlockHeader {
    /// Distance from the block boundary back to the start of the chunk that
    /// the header interrupts; 0 when that chunk starts at the boundary.
    pub(crate) previous_chunk: u64,
    /// Distance from the block boundary forward to the end of that chunk.
    pub(crate) next_chunk: u64,
}

/// Hashes stored in a damaged block header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HashMismatch {
    pub(crate) stored: u64,
    pub(crate) computed: u64,
}

impl BlockHeader {
    /// Returns the 24 bytes of this header, hash first.
    pub(crate) fn encode(&self) -> [u8; BLOCK_HEADER_SIZE as usize] {
        let mut bytes = [0u8; BLOCK_HEADER_SIZE as usize];
        bytes[8..16].copy_from_slice(&self.previous_chunk.to_le_bytes());
        bytes[16..24].copy_from_slice(&self.next_chunk.to_le_bytes());
        let header_hash = hash(&bytes[8..24]);
        bytes[0..8].copy_from_slice(&header_hash.to_le_bytes());
        bytes
    }

    /// Parses a block header and checks its hash.
    pub(crate) fn decode(bytes: &[u8; BLOCK_HEADER_SIZE as usize]) -> Result<Self, HashMismatch> {
        let stored = read_u64(bytes, 0);
        let computed = hash(&bytes[8..24]);
        if stored != computed {
            return Err(HashMismatch { stored, computed });
        }
        Ok(BlockHeader {
            previous_chunk: read_u64(bytes, 8),
            next_chunk: read_u64(bytes, 16),
        })
    }
}

/// Reads the little-endian u64 at `offset`; the caller guarantees 8 bytes.
pub(crate) fn read_u64(bytes: &[u8], offset: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[offset..offset + 8]);
    u64::from_le_bytes(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_boundaries_skip_block_headers() {
        assert!(is_possible_chunk_boundary(0));
        assert!(is_possible_chunk_boundary(BLOCK_SIZE));
        for offset in 1..=BLOCK_HEADER_SIZE {
            assert!(
                !is_possible_chunk_boundary(BLOCK_SIZE + offset),
                "offset {offset}"
            );
            assert_eq!(
                round_up_to_possible_chunk_boundary(BLOCK_SIZE + offset),
                Some(BLOCK_SIZE + 25)
            );
        }
        assert!(is_possible_chunk_boundary(BLOCK_SIZE + 25));
        assert!(is_possible_chunk_boundary(BLOCK_SIZE - 1));
        assert_eq!(
            round_up_to_possible_chunk_boundary(BLOCK_SIZE - 1),
            Some(BLOCK_SIZE - 1)
        );
    }

    #[test]
    fn add_with_overhead_counts_crossed_headers() {
        // A chunk at a boundary carries that boundary's block header.
        assert_eq!(add_with_overhead(0, 40), Some(64));
        // Ending exactly at a boundary does not include the next header.
        assert_eq!(add_with_overhead(BLOCK_SIZE - 10, 10), Some(BLOCK_SIZE));
        assert_eq!(
            add_with_overhead(BLOCK_SIZE - 10, 11),
            Some(BLOCK_SIZE + 25)
        );
        // Two headers crossed.
        assert_eq!(
            add_with_overhead(100, 2 * USABLE_BLOCK_SIZE),
            Some(100 + 2 * BLOCK_SIZE)
        );
        assert_eq!(add_with_overhead(u64::MAX - 10, 100), None);
    }

    #[test]
    fn chunk_end_matches_python_layouts() {
        // A 102,400-byte uncompressed record at 0x6b: data is varint-prefixed,
        // 102,405 bytes, and the chunk ends at 0x190b0.
        assert_eq!(chunk_end(0x6b, 102_405, 1), Some(0x190b0));
        // 200,000 empty records in one chunk at 0x40: the records rule wins.
        assert_eq!(chunk_end(0x40, 20, 200_000), Some(0x40 + 200_000));
        assert_eq!(chunk_end(0, u64::MAX, 1), None);
    }

    #[test]
    fn block_header_round_trip() {
        let header = BlockHeader {
            previous_chunk: 0,
            next_chunk: 0x40,
        };
        let bytes = header.encode();
        // The first block header of every ArrayRecord file.
        assert_eq!(bytes[..8], [0x83, 0xaf, 0x70, 0xd1, 0x0d, 0x88, 0x4a, 0x3f]);
        assert_eq!(BlockHeader::decode(&bytes), Ok(header));

        let mut damaged = bytes;
        damaged[20] ^= 1;
        assert!(BlockHeader::decode(&damaged).is_err());
    }
}
