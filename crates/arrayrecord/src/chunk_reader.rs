//! Reads chunks from a seekable byte stream, removing the block headers that
//! interrupt them and checking every hash and block header distance.

use std::io::{self, BufReader, Read, Seek, SeekFrom};

use crate::block::{
    BLOCK_HEADER_SIZE, BlockHeader, add_with_overhead, chunk_end, is_possible_chunk_boundary,
    remaining_in_block,
};
use crate::chunk::{CHUNK_HEADER_SIZE, ChunkHeader};
use crate::error::{Error, ErrorKind};
use crate::hash::hash;

/// Buffer size of the reader, so that reading many small neighbouring chunks
/// costs few system calls.
const BUFFER_SIZE: usize = 1 << 16;

/// A chunk's header and its data with block headers removed.
#[derive(Debug)]
pub(crate) struct RawChunk {
    pub(crate) header: ChunkHeader,
    pub(crate) data: Vec<u8>,
}

#[derive(Debug)]
pub(crate) struct ChunkReader<R> {
    inner: BufReader<R>,
    /// Offset of `inner`, or `None` after a failed read or seek.
    position: Option<u64>,
}

impl<R: Read + Seek> ChunkReader<R> {
    pub(crate) fn new(inner: R) -> Self {
        ChunkReader {
            inner: BufReader::with_capacity(BUFFER_SIZE, inner),
            position: None,
        }
    }

    /// Returns the size of the stream.
    pub(crate) fn size(&mut self) -> io::Result<u64> {
        self.position = None;
        self.inner.seek(SeekFrom::End(0))
    }

    /// Reads the chunk that begins at `begin` and must end by `range_end`.
    pub(crate) fn read_chunk(&mut self, begin: u64, range_end: u64) -> Result<RawChunk, Error> {
        if !is_possible_chunk_boundary(begin) {
            return Err(Error::at(begin, ErrorKind::ChunkBoundaryInsideBlockHeader));
        }
        let past_range = |chunk_end| ErrorKind::ChunkPastRange {
            chunk_end,
            range_end,
        };

        // The chunk header, with the block header before or inside it.
        let header_end = add_with_overhead(begin, CHUNK_HEADER_SIZE)
            .filter(|&end| end <= range_end)
            .ok_or_else(|| {
                Error::at(
                    begin,
                    past_range(add_with_overhead(begin, CHUNK_HEADER_SIZE)),
                )
            })?;
        let mut block_headers = Vec::new();
        let header_bytes =
            self.read_without_block_headers(begin, header_end, begin, &mut block_headers)?;
        let header_bytes: &[u8; CHUNK_HEADER_SIZE as usize] =
            header_bytes.as_slice().try_into().map_err(|_| {
                Error::at(
                    begin,
                    ErrorKind::InvalidChunk("chunk header spans too many block headers".into()),
                )
            })?;
        let header = ChunkHeader::decode(header_bytes).map_err(|mismatch| {
            let kind = ErrorKind::ChunkHeaderHash {
                stored: mismatch.stored,
                computed: mismatch.computed,
            };
            Error::at(begin, kind)
        })?;

        // The data and any zero padding after it.
        let end = chunk_end(begin, header.data_size, header.num_records);
        let end = end
            .filter(|&end| end <= range_end)
            .ok_or_else(|| Error::at(begin, past_range(end)))?;
        let mut data =
            self.read_without_block_headers(header_end, end, begin, &mut block_headers)?;
        if (data.len() as u64) < header.data_size {
            return Err(Error::at(
                begin,
                ErrorKind::InvalidChunk(format!(
                    "data of {} bytes does not fit between offsets {header_end} and {end}",
                    header.data_size
                )),
            ));
        }
        data.truncate(header.data_size as usize);

        for (boundary, block_header) in block_headers {
            let expected = end - boundary;
            if block_header.next_chunk != expected {
                let kind = ErrorKind::BlockHeaderDistance {
                    field: "next_chunk",
                    stored: block_header.next_chunk,
                    expected,
                };
                return Err(Error::at(boundary, kind));
            }
        }
        let computed = hash(&data);
        if computed != header.data_hash {
            let kind = ErrorKind::ChunkDataHash {
                stored: header.data_hash,
                computed,
            };
            return Err(Error::at(begin, kind));
        }
        Ok(RawChunk { header, data })
    }

    /// Reads bytes `start..end` of a chunk that begins at `chunk_begin`,
    /// checks the block headers among them and removes them. The block
    /// headers are appended to `block_headers` for the caller to check
    /// `next_chunk`, which depends on where the chunk ends.
    fn read_without_block_headers(
        &mut self,
        start: u64,
        end: u64,
        chunk_begin: u64,
        block_headers: &mut Vec<(u64, BlockHeader)>,
    ) -> Result<Vec<u8>, Error> {
        let len = usize::try_from(end - start).map_err(|_| {
            Error::at(
                start,
                ErrorKind::InvalidChunk("chunk too large to read".into()),
            )
        })?;
        let mut bytes = Vec::new();
        bytes.try_reserve_exact(len).map_err(|_| {
            let message = format!("cannot allocate {len} bytes to read the chunk");
            Error::at(start, ErrorKind::InvalidChunk(message))
        })?;
        bytes.resize(len, 0);
        self.read_exact_at(start, &mut bytes)?;

        // Move the bytes between block headers to the front, in place.
        let mut compacted_len = 0;
        let mut position = start;
        while position < end {
            if remaining_in_block(position) == 0 {
                let block_header =
                    self.check_block_header(&bytes, start, position, end, chunk_begin)?;
                block_headers.push((position, block_header));
                position += BLOCK_HEADER_SIZE;
            }
            let next = (position + remaining_in_block(position)).min(end);
            let from = (position - start) as usize..(next - start) as usize;
            let len = from.len();
            // Before the first block header the bytes are already in place.
            if from.start != compacted_len {
                bytes.copy_within(from, compacted_len);
            }
            compacted_len += len;
            position = next;
        }
        bytes.truncate(compacted_len);
        Ok(bytes)
    }

    fn check_block_header(
        &self,
        bytes: &[u8],
        start: u64,
        boundary: u64,
        end: u64,
        chunk_begin: u64,
    ) -> Result<BlockHeader, Error> {
        let header_end = boundary + BLOCK_HEADER_SIZE;
        if header_end > end {
            let message = format!("chunk range ends at {end}, inside the block header");
            return Err(Error::at(boundary, ErrorKind::InvalidChunk(message)));
        }
        let at = (boundary - start) as usize;
        let header_bytes: &[u8; BLOCK_HEADER_SIZE as usize] = bytes
            [at..at + BLOCK_HEADER_SIZE as usize]
            .try_into()
            .expect("slice of 24 bytes");
        let block_header = BlockHeader::decode(header_bytes).map_err(|mismatch| {
            let kind = ErrorKind::BlockHeaderHash {
                stored: mismatch.stored,
                computed: mismatch.computed,
            };
            Error::at(boundary, kind)
        })?;
        let expected = boundary - chunk_begin;
        if block_header.previous_chunk != expected {
            let kind = ErrorKind::BlockHeaderDistance {
                field: "previous_chunk",
                stored: block_header.previous_chunk,
                expected,
            };
            return Err(Error::at(boundary, kind));
        }
        Ok(block_header)
    }

    fn read_exact_at(&mut self, offset: u64, buffer: &mut [u8]) -> Result<(), Error> {
        let result = self
            .seek_to(offset)
            .and_then(|()| self.inner.read_exact(buffer));
        match result {
            Ok(()) => {
                self.position = Some(offset + buffer.len() as u64);
                Ok(())
            }
            Err(error) => {
                self.position = None;
                Err(Error::io("read chunk", Some(offset), error))
            }
        }
    }

    /// Moves to `offset`, keeping buffered bytes when the move is relative.
    fn seek_to(&mut self, offset: u64) -> io::Result<()> {
        let delta = self.position.and_then(|position| {
            let delta = i128::from(offset) - i128::from(position);
            i64::try_from(delta).ok()
        });
        match delta {
            Some(0) => Ok(()),
            Some(delta) => self.inner.seek_relative(delta),
            None => self.inner.seek(SeekFrom::Start(offset)).map(drop),
        }
    }
}
