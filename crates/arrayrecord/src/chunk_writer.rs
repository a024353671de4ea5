//! Writes chunks to a byte stream, inserting a block header at every 64 KiB
//! boundary and zero padding where the layout rules require it.

use std::io::{self, BufWriter, Write};

use crate::block::{BLOCK_HEADER_SIZE, BlockHeader, chunk_end, remaining_in_block};
use crate::chunk::{CHUNK_HEADER_SIZE, ChunkHeader, PADDING};

/// Buffer size of the writer; writes bypass it when larger.
const BUFFER_SIZE: usize = 1 << 16;

#[derive(Debug)]
pub(crate) struct ChunkWriter<W: Write> {
    inner: BufWriter<W>,
    /// Bytes written so far, the stream starting at offset 0.
    position: u64,
}

impl<W: Write> ChunkWriter<W> {
    pub(crate) fn new(inner: W) -> Self {
        ChunkWriter {
            inner: BufWriter::with_capacity(BUFFER_SIZE, inner),
            position: 0,
        }
    }

    pub(crate) fn position(&self) -> u64 {
        self.position
    }

    /// Writes a chunk whose data is the concatenation of `parts`, which
    /// `header` describes, and returns where it began.
    pub(crate) fn write_chunk(&mut self, header: &ChunkHeader, parts: &[&[u8]]) -> io::Result<u64> {
        let begin = self.position;
        let end = chunk_end(begin, header.data_size, header.num_records)
            .ok_or_else(|| io::Error::other("chunk extends past the largest file offset"))?;

        self.write_section(&header.encode(), begin, end)?;
        for part in parts {
            self.write_section(part, begin, end)?;
        }
        // A chunk of many tiny records can be shorter than its record count.
        while self.position < end {
            self.write_block_header_if_at_boundary(begin, end)?;
            let len = (end - self.position).min(remaining_in_block(self.position));
            self.write_zeros(len)?;
        }
        Ok(begin)
    }

    /// Writes a padding chunk up to the next block boundary, through the
    /// following block when the current one has no room for a chunk header.
    pub(crate) fn pad_to_block_boundary(&mut self) -> io::Result<()> {
        let mut len = remaining_in_block(self.position);
        if len == 0 {
            return Ok(());
        }
        if len < CHUNK_HEADER_SIZE {
            len += crate::block::USABLE_BLOCK_SIZE;
        }
        let zeros = vec![0u8; (len - CHUNK_HEADER_SIZE) as usize];
        let header = ChunkHeader::for_data(&[&zeros], PADDING, 0, 0);
        self.write_chunk(&header, &[&zeros])?;
        Ok(())
    }

    pub(crate) fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }

    /// Flushes and returns the underlying writer.
    pub(crate) fn into_inner(self) -> io::Result<W> {
        self.inner
            .into_inner()
            .map_err(io::IntoInnerError::into_error)
    }

    fn write_section(&mut self, mut bytes: &[u8], begin: u64, end: u64) -> io::Result<()> {
        while !bytes.is_empty() {
            self.write_block_header_if_at_boundary(begin, end)?;
            let len = bytes.len().min(remaining_in_block(self.position) as usize);
            self.inner.write_all(&bytes[..len])?;
            self.position += len as u64;
            bytes = &bytes[len..];
        }
        Ok(())
    }

    fn write_block_header_if_at_boundary(&mut self, begin: u64, end: u64) -> io::Result<()> {
        if remaining_in_block(self.position) != 0 {
            return Ok(());
        }
        let header = BlockHeader {
            previous_chunk: self.position - begin,
            next_chunk: end - self.position,
        };
        self.inner.write_all(&header.encode())?;
        self.position += BLOCK_HEADER_SIZE;
        Ok(())
    }

    fn write_zeros(&mut self, len: u64) -> io::Result<()> {
        const ZEROS: [u8; 4096] = [0; 4096];
        let mut left = len;
        while left > 0 {
            let step = left.min(ZEROS.len() as u64);
            self.inner.write_all(&ZEROS[..step as usize])?;
            left -= step;
        }
        self.position += len;
        Ok(())
    }
}
