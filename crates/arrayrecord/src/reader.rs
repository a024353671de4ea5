//! The random-access reader.

use std::fmt;
use std::fs::File;
use std::io::{Read, Seek};
use std::ops::Range;
use std::path::{Path, PathBuf};

use zstd::bulk::Decompressor;

use crate::block::BLOCK_SIZE;
use crate::chunk::{FILE_SIGNATURE, SIMPLE, SimpleChunk, TRANSPOSED, decode_simple};
use crate::chunk_reader::{ChunkReader, RawChunk};
use crate::error::{Error, ErrorKind};
use crate::proto::{FOOTER_VERSION, FooterEntry, FooterMetadata, POSTSCRIPT_MAGIC, Postscript};

/// Size of the file signature chunk and the block header before it.
const SIGNATURE_END: u64 = 64;

/// Reads records from an ArrayRecord file by index.
///
/// Opening reads the postscript at the start of the last 64 KiB block and the
/// footer index it points to. Reading record `i` then reads and decodes chunk
/// `i / group_size`. The reader keeps the last decoded chunk, so reading the
/// records of a multi-record chunk in order decodes it once.
///
/// Every block header, chunk header and chunk data hash over the bytes read is
/// checked. A damaged or truncated file gives an [`Error`] naming the offset,
/// never a panic and never record bytes that fail a hash check.
pub struct Reader<R: Read + Seek> {
    chunks: ChunkReader<R>,
    path: Option<PathBuf>,
    decompressor: Decompressor<'static>,
    footer_offset: u64,
    chunk_offsets: Vec<u64>,
    num_records: u64,
    group_size: u64,
    writer_options: Option<String>,
    /// The last decoded chunk and its index.
    cached: Option<(usize, SimpleChunk)>,
}

impl<R: Read + Seek> fmt::Debug for Reader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reader")
            .field("path", &self.path)
            .field("num_records", &self.num_records)
            .field("group_size", &self.group_size)
            .field("num_chunks", &self.chunk_offsets.len())
            .field("writer_options", &self.writer_options)
            .finish_non_exhaustive()
    }
}

impl Reader<File> {
    /// Opens the file at `path` and reads its index.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let file = File::open(path)
            .map_err(|error| Error::io("open file", None, error).with_path(Some(path)))?;
        let mut reader = Reader::new(file).map_err(|error| error.with_path(Some(path)))?;
        reader.path = Some(path.to_path_buf());
        Ok(reader)
    }
}

impl<R: Read + Seek> Reader<R> {
    /// Reads the index of the ArrayRecord file in `inner`, which spans the
    /// whole stream.
    pub fn new(inner: R) -> Result<Self, Error> {
        let mut chunks = ChunkReader::new(inner);
        let size = chunks
            .size()
            .map_err(|error| Error::io("find the file size", None, error))?;
        if size < BLOCK_SIZE {
            return Err(Error::new(ErrorKind::FileTooSmall { size }));
        }
        if size % BLOCK_SIZE != 0 {
            return Err(Error::new(ErrorKind::FileSizeNotBlockMultiple { size }));
        }
        let decompressor = Decompressor::new()
            .map_err(|error| Error::io("set up the zstd decompressor", None, error))?;
        let mut reader = Reader {
            chunks,
            path: None,
            decompressor,
            footer_offset: 0,
            chunk_offsets: Vec::new(),
            num_records: 0,
            group_size: 0,
            writer_options: None,
            cached: None,
        };

        let signature = reader.chunks.read_chunk(0, size)?;
        expect_chunk_type(&signature, FILE_SIGNATURE, 0)?;
        let postscript_offset = size - BLOCK_SIZE;
        reader.footer_offset = reader.read_postscript(postscript_offset)?;
        reader.read_footer(postscript_offset)?;
        Ok(reader)
    }

    /// Returns the number of records in the file.
    pub fn num_records(&self) -> u64 {
        self.num_records
    }

    /// Returns the number of records per chunk, which every chunk but the
    /// last holds. It is read from the first chunk, as the C++ reader does, so
    /// a file with a single partly filled chunk reports its record count, and
    /// a file without records reports 0.
    pub fn group_size(&self) -> u64 {
        self.group_size
    }

    /// Returns the options string the writer stored in the footer, such as
    /// `group_size:1,transpose:false,...`, if it stored one.
    pub fn writer_options(&self) -> Option<&str> {
        self.writer_options.as_deref()
    }

    /// Reads record `index`.
    pub fn read(&mut self, index: u64) -> Result<Vec<u8>, Error> {
        let record = self.record(index).map(<[u8]>::to_vec);
        record.map_err(|error| error.with_path(self.path.as_deref()))
    }

    /// Reads the records in `range`, in order.
    pub fn read_range(&mut self, range: Range<u64>) -> Result<Vec<Vec<u8>>, Error> {
        if range.start > range.end || range.end > self.num_records {
            let kind = ErrorKind::RangeOutOfBounds {
                start: range.start,
                end: range.end,
                num_records: self.num_records,
            };
            return Err(Error::new(kind).with_path(self.path.as_deref()));
        }
        range.map(|index| self.read(index)).collect()
    }

    /// Returns an iterator over all records in order. It stops after the
    /// first error.
    pub fn iter(&mut self) -> Records<'_, R> {
        Records {
            reader: self,
            next: 0,
            failed: false,
        }
    }

    fn record(&mut self, index: u64) -> Result<&[u8], Error> {
        if index >= self.num_records {
            let kind = ErrorKind::IndexOutOfRange {
                index,
                num_records: self.num_records,
            };
            return Err(Error::new(kind));
        }
        let chunk_index = (index / self.group_size) as usize;
        let within = (index % self.group_size) as usize;
        let begin = self.chunk_offsets[chunk_index];
        let chunk = self.load_chunk(chunk_index)?;
        chunk.record(within).ok_or_else(|| {
            let message = format!("record {within} missing from the chunk");
            Error::at(begin, ErrorKind::InvalidChunk(message))
        })
    }

    /// Returns data chunk `chunk_index`, decoding it unless it is cached.
    fn load_chunk(&mut self, chunk_index: usize) -> Result<&SimpleChunk, Error> {
        if !matches!(&self.cached, Some((cached, _)) if *cached == chunk_index) {
            self.cached = None;
            let chunk = self.decode_data_chunk(chunk_index)?;
            self.cached = Some((chunk_index, chunk));
        }
        let (_, chunk) = self.cached.as_ref().expect("chunk cached just above");
        Ok(chunk)
    }

    fn decode_data_chunk(&mut self, chunk_index: usize) -> Result<SimpleChunk, Error> {
        let begin = self.chunk_offsets[chunk_index];
        let range_end = self
            .chunk_offsets
            .get(chunk_index + 1)
            .copied()
            .unwrap_or(self.footer_offset);
        let raw = self.chunks.read_chunk(begin, range_end)?;
        if raw.header.chunk_type == TRANSPOSED {
            let message = "chunk type 't' (transposed records); rewrite the file without the \
                           transpose option";
            return Err(Error::at(
                begin,
                ErrorKind::Unsupported(message.to_string()),
            ));
        }
        expect_chunk_type(&raw, SIMPLE, begin)?;

        let first_record = chunk_index as u64 * self.group_size;
        let expected = self.group_size.min(self.num_records - first_record);
        if raw.header.num_records != expected {
            let message = format!(
                "chunk holds {} records, the footer index says {expected}",
                raw.header.num_records
            );
            return Err(Error::at(begin, ErrorKind::InvalidChunk(message)));
        }
        decode_simple(raw.data, &raw.header, &mut self.decompressor)
            .map_err(|kind| Error::at(begin, kind))
    }

    /// Reads the postscript chunk and returns the footer offset it stores.
    fn read_postscript(&mut self, postscript_offset: u64) -> Result<u64, Error> {
        let invalid =
            |message: String| Error::at(postscript_offset, ErrorKind::InvalidPostscript(message));
        let chunk = self
            .decode_postscript_chunk(postscript_offset)
            .map_err(|error| {
                if error.is_io() {
                    return error;
                }
                invalid("the last block does not start with a valid postscript chunk".to_string())
            })?;
        let record = chunk
            .record(0)
            .ok_or_else(|| invalid("no records".to_string()))?;
        let postscript = Postscript::decode(record).map_err(invalid)?;
        if postscript.magic != POSTSCRIPT_MAGIC {
            return Err(invalid(format!(
                "magic is {:#018x}, expected {POSTSCRIPT_MAGIC:#018x}",
                postscript.magic
            )));
        }
        if !(SIGNATURE_END..postscript_offset).contains(&postscript.footer_offset) {
            return Err(invalid(format!(
                "footer offset {} is outside the file's data ({SIGNATURE_END}..{postscript_offset})",
                postscript.footer_offset
            )));
        }
        Ok(postscript.footer_offset)
    }

    fn decode_postscript_chunk(&mut self, postscript_offset: u64) -> Result<SimpleChunk, Error> {
        let raw = self
            .chunks
            .read_chunk(postscript_offset, postscript_offset + BLOCK_SIZE)?;
        expect_chunk_type(&raw, SIMPLE, postscript_offset)?;
        decode_simple(raw.data, &raw.header, &mut self.decompressor)
            .map_err(|kind| Error::at(postscript_offset, kind))
    }

    /// Reads the footer chunk and fills in the index fields.
    fn read_footer(&mut self, postscript_offset: u64) -> Result<(), Error> {
        let footer_offset = self.footer_offset;
        let invalid = |message: String| Error::at(footer_offset, ErrorKind::InvalidFooter(message));
        let raw = self.chunks.read_chunk(footer_offset, postscript_offset)?;
        expect_chunk_type(&raw, SIMPLE, footer_offset)?;
        let chunk = decode_simple(raw.data, &raw.header, &mut self.decompressor)
            .map_err(|kind| Error::at(footer_offset, kind))?;

        let metadata = chunk
            .record(0)
            .ok_or_else(|| invalid("no records".to_string()))?;
        let metadata = FooterMetadata::decode(metadata).map_err(invalid)?;
        if metadata.version != FOOTER_VERSION {
            return Err(invalid(format!(
                "version {}, expected {FOOTER_VERSION}",
                metadata.version
            )));
        }
        let num_entries = (chunk.num_records() - 1) as u64;
        if metadata.num_chunks != num_entries {
            return Err(invalid(format!(
                "metadata says {} chunks, the index lists {num_entries}",
                metadata.num_chunks
            )));
        }

        let mut entries = Vec::with_capacity(chunk.num_records() - 1);
        for i in 1..chunk.num_records() {
            let record = chunk
                .record(i)
                .ok_or_else(|| invalid(format!("index entry {i} missing")))?;
            let entry = FooterEntry::decode(record)
                .map_err(|message| invalid(format!("index entry {i}: {message}")))?;
            entries.push(entry);
        }
        self.group_size =
            check_index(&entries, metadata.num_records, footer_offset).map_err(invalid)?;
        self.chunk_offsets = entries.iter().map(|entry| entry.chunk_offset).collect();
        self.num_records = metadata.num_records;
        self.writer_options = metadata.writer_options;
        Ok(())
    }
}

/// Checks that the index entries lie in order inside the data area and hold
/// `group_size` records each except the last, and returns the group size.
fn check_index(
    entries: &[FooterEntry],
    num_records: u64,
    footer_offset: u64,
) -> Result<u64, String> {
    let Some(first) = entries.first() else {
        if num_records != 0 {
            return Err(format!("no chunks listed for {num_records} records"));
        }
        return Ok(0);
    };
    let group_size = first.num_records;
    if group_size == 0 {
        return Err("the first chunk holds no records".to_string());
    }

    let mut previous_offset = None;
    let mut total = 0u64;
    for (i, entry) in entries.iter().enumerate() {
        let in_data_area = (SIGNATURE_END..footer_offset).contains(&entry.chunk_offset);
        let in_order = previous_offset.is_none_or(|previous| entry.chunk_offset > previous);
        if !in_data_area || !in_order {
            return Err(format!(
                "chunk {i} offset {} is out of order or outside the data area \
                 ({SIGNATURE_END}..{footer_offset})",
                entry.chunk_offset
            ));
        }
        let is_last = i + 1 == entries.len();
        let count_fits = if is_last {
            (1..=group_size).contains(&entry.num_records)
        } else {
            entry.num_records == group_size
        };
        if !count_fits {
            return Err(format!(
                "chunk {i} holds {} records, expected {} for group size {group_size}",
                entry.num_records,
                if is_last {
                    "1 to the group size"
                } else {
                    "exactly the group size"
                }
            ));
        }
        previous_offset = Some(entry.chunk_offset);
        total = total.saturating_add(entry.num_records);
    }
    if total != num_records {
        return Err(format!(
            "chunks hold {total} records, the metadata says {num_records}"
        ));
    }
    Ok(group_size)
}

fn expect_chunk_type(raw: &RawChunk, expected: u8, offset: u64) -> Result<(), Error> {
    if raw.header.chunk_type != expected {
        let kind = ErrorKind::UnexpectedChunkType {
            found: raw.header.chunk_type,
            expected,
        };
        return Err(Error::at(offset, kind));
    }
    Ok(())
}

/// Iterator over the records of a [`Reader`], from [`Reader::iter`].
pub struct Records<'a, R: Read + Seek> {
    reader: &'a mut Reader<R>,
    next: u64,
    failed: bool,
}

impl<R: Read + Seek> fmt::Debug for Records<'_, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Records")
            .field("next", &self.next)
            .finish_non_exhaustive()
    }
}

impl<R: Read + Seek> Iterator for Records<'_, R> {
    type Item = Result<Vec<u8>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.next >= self.reader.num_records {
            return None;
        }
        let record = self.reader.read(self.next);
        self.next += 1;
        self.failed = record.is_err();
        Some(record)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.failed {
            return (0, Some(0));
        }
        let left = usize::try_from(self.reader.num_records - self.next).unwrap_or(usize::MAX);
        (0, Some(left))
    }
}
