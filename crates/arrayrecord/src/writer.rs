//! The streaming writer.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::chunk::{ChunkHeader, FILE_SIGNATURE, SIMPLE, SimpleChunkEncoder};
use crate::chunk_writer::ChunkWriter;
use crate::error::{Error, ErrorKind};
use crate::options::{Compression, WriterOptions};
use crate::proto::{FOOTER_VERSION, FooterEntry, FooterMetadata, POSTSCRIPT_MAGIC, Postscript};
use crate::varint::write_varint;

/// Copies of the postscript in its chunk, as the C++ writer stores them.
const POSTSCRIPT_COPIES: usize = 3;

/// Writes records to an ArrayRecord file, one chunk per `group_size` records.
///
/// The writer keeps in memory the records of the chunk being filled and the
/// footer index, which grows by about 10 bytes per chunk. Call
/// [`Writer::finish`] to write the footer, because a file dropped unfinished
/// has no index and no reader accepts it.
///
/// ```
/// use arrayrecord::{Reader, Writer, WriterOptions};
/// use std::io::Cursor;
///
/// let mut writer = Writer::new(Vec::new(), WriterOptions::default())?;
/// writer.write(b"first")?;
/// writer.write(b"second")?;
/// let bytes = writer.finish()?;
///
/// let mut reader = Reader::new(Cursor::new(bytes))?;
/// assert_eq!(reader.read(1)?, b"second");
/// # Ok::<(), arrayrecord::Error>(())
/// ```
#[derive(Debug)]
pub struct Writer<W: Write> {
    sink: ChunkWriter<W>,
    path: Option<PathBuf>,
    options: WriterOptions,
    encoder: SimpleChunkEncoder,
    /// Record lengths of the chunk being filled, as varints.
    group_sizes: Vec<u8>,
    /// Records of the chunk being filled, concatenated.
    group_values: Vec<u8>,
    group_len: u64,
    num_records: u64,
    /// Footer index entries: their lengths as varints, and the entries.
    index_sizes: Vec<u8>,
    index_values: Vec<u8>,
    num_chunks: u64,
    /// Set when a write failed, because the stream is then inconsistent.
    failed: bool,
}

impl Writer<File> {
    /// Creates the file at `path`, replacing any file there, and writes the
    /// file signature.
    pub fn create(path: impl AsRef<Path>, options: WriterOptions) -> Result<Self, Error> {
        let path = path.as_ref();
        let file = File::create(path)
            .map_err(|error| Error::io("create file", None, error).with_path(Some(path)))?;
        let mut writer = Writer::new(file, options).map_err(|error| error.with_path(Some(path)))?;
        writer.path = Some(path.to_path_buf());
        Ok(writer)
    }
}

impl<W: Write> Writer<W> {
    /// Starts a file in `inner`, which must be empty, and writes the file
    /// signature.
    pub fn new(inner: W, options: WriterOptions) -> Result<Self, Error> {
        options.validate()?;
        let encoder = SimpleChunkEncoder::new(options.compression)
            .map_err(|error| Error::io("set up the zstd compressor", None, error))?;
        let mut writer = Writer {
            sink: ChunkWriter::new(inner),
            path: None,
            options,
            encoder,
            group_sizes: Vec::new(),
            group_values: Vec::new(),
            group_len: 0,
            num_records: 0,
            index_sizes: Vec::new(),
            index_values: Vec::new(),
            num_chunks: 0,
            failed: false,
        };

        let signature = ChunkHeader::for_data(&[], FILE_SIGNATURE, 0, 0);
        writer
            .sink
            .write_chunk(&signature, &[])
            .map_err(|error| Error::io("write file signature", Some(0), error))?;
        Ok(writer)
    }

    /// Appends one record. A chunk is written each time `group_size` records
    /// have been collected.
    pub fn write(&mut self, record: &[u8]) -> Result<(), Error> {
        self.check_not_failed()?;
        write_varint(&mut self.group_sizes, record.len() as u64);
        self.group_values.extend_from_slice(record);
        self.group_len += 1;
        self.num_records += 1;
        if self.group_len == self.options.group_size {
            self.write_group()?;
        }
        Ok(())
    }

    /// Returns the number of records written so far.
    pub fn num_records(&self) -> u64 {
        self.num_records
    }

    /// Writes the last chunk, the footer, the postscript and the final
    /// padding, flushes, and returns the underlying writer. For a file, call
    /// `sync_all` on the returned [`File`] to make the data durable.
    pub fn finish(mut self) -> Result<W, Error> {
        self.check_not_failed()?;
        if self.group_len > 0 {
            self.write_group()?;
        }
        let path = self.path.take();
        self.write_tail()
            .map_err(|error| error.with_path(path.as_deref()))?;
        self.sink
            .into_inner()
            .map_err(|error| Error::io("flush", None, error).with_path(path.as_deref()))
    }

    /// Writes the buffered records as one data chunk and indexes it.
    fn write_group(&mut self) -> Result<(), Error> {
        let chunk_offset = self.sink.position();
        let decoded_data_size = self.group_values.len() as u64;
        let result = write_simple_chunk(
            &mut self.sink,
            &mut self.encoder,
            &self.group_sizes,
            &self.group_values,
            self.group_len,
        );
        if let Err(error) = result {
            self.failed = true;
            return Err(
                Error::io("write chunk", Some(chunk_offset), error).with_path(self.path.as_deref())
            );
        }

        let mut entry = Vec::new();
        FooterEntry {
            chunk_offset,
            decoded_data_size,
            num_records: self.group_len,
        }
        .encode(&mut entry);
        write_varint(&mut self.index_sizes, entry.len() as u64);
        self.index_values.extend_from_slice(&entry);
        self.num_chunks += 1;

        self.group_sizes.clear();
        self.group_values.clear();
        self.group_len = 0;
        Ok(())
    }

    /// Writes the footer, padding, the postscript and padding to the end of its
    /// block.
    fn write_tail(&mut self) -> Result<(), Error> {
        let footer_offset = self.sink.position();
        let metadata = FooterMetadata {
            version: FOOTER_VERSION,
            num_chunks: self.num_chunks,
            num_records: self.num_records,
            writer_options: Some(self.options.to_options_string()),
        };
        let mut footer_values = Vec::new();
        metadata.encode(&mut footer_values);
        let mut footer_sizes = Vec::new();
        write_varint(&mut footer_sizes, footer_values.len() as u64);
        footer_sizes.extend_from_slice(&self.index_sizes);
        footer_values.extend_from_slice(&self.index_values);
        write_simple_chunk(
            &mut self.sink,
            &mut self.encoder,
            &footer_sizes,
            &footer_values,
            self.num_chunks + 1,
        )
        .map_err(|error| Error::io("write footer", Some(footer_offset), error))?;

        let padding_offset = self.sink.position();
        self.sink
            .pad_to_block_boundary()
            .map_err(|error| Error::io("write padding", Some(padding_offset), error))?;

        let postscript_offset = self.sink.position();
        let mut postscript = Vec::new();
        Postscript {
            footer_offset,
            magic: POSTSCRIPT_MAGIC,
        }
        .encode(&mut postscript);
        let mut sizes = Vec::new();
        write_varint(&mut sizes, postscript.len() as u64);
        let sizes = sizes.repeat(POSTSCRIPT_COPIES);
        let values = postscript.repeat(POSTSCRIPT_COPIES);
        // The C++ writer stores the postscript uncompressed, whatever the
        // options say.
        let num_copies = POSTSCRIPT_COPIES as u64;
        SimpleChunkEncoder::new(Compression::Uncompressed)
            .and_then(|mut encoder| {
                write_simple_chunk(&mut self.sink, &mut encoder, &sizes, &values, num_copies)
            })
            .and_then(|()| self.sink.pad_to_block_boundary())
            .and_then(|()| self.sink.flush())
            .map_err(|error| Error::io("write postscript", Some(postscript_offset), error))
    }

    fn check_not_failed(&self) -> Result<(), Error> {
        if self.failed {
            return Err(Error::new(ErrorKind::WriterPoisoned).with_path(self.path.as_deref()));
        }
        Ok(())
    }
}

fn write_simple_chunk<W: Write>(
    sink: &mut ChunkWriter<W>,
    encoder: &mut SimpleChunkEncoder,
    sizes: &[u8],
    values: &[u8],
    num_records: u64,
) -> std::io::Result<()> {
    let parts = encoder.encode(sizes, values)?;
    let header = ChunkHeader::for_data(&parts, SIMPLE, num_records, values.len() as u64);
    sink.write_chunk(&header, &parts)?;
    Ok(())
}
