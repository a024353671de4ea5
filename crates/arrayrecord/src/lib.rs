//! Reader and writer for ArrayRecord files, the record format of Google's
//! `array_record` package, byte-compatible with the files its Python
//! `ArrayRecordWriter` writes.
//!
//! # Writing
//!
//! A [`Writer`] appends records, which are arbitrary byte strings, and
//! [`Writer::finish`] writes the index that makes the file readable.
//! [`WriterOptions`] sets how many records share a chunk (`group_size`) and
//! the [`Compression`] of each chunk. The defaults, one record per chunk and
//! zstd level 3, are those of array_record 0.8.6.
//!
//! ```
//! use arrayrecord::{Compression, Reader, Writer, WriterOptions};
//!
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("data.arrayrecord");
//!
//! let options = WriterOptions::default().group_size(100).compression(Compression::Zstd { level: 3 });
//! let mut writer = Writer::create(&path, options)?;
//! for i in 0..1000u32 {
//!     writer.write(&i.to_le_bytes())?;
//! }
//! writer.finish()?.sync_all()?;
//!
//! let mut reader = Reader::open(&path)?;
//! assert_eq!(reader.num_records(), 1000);
//! assert_eq!(reader.read(417)?, 417u32.to_le_bytes());
//! assert_eq!(reader.read_range(0..2)?, [0u32.to_le_bytes(), 1u32.to_le_bytes()]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Reading
//!
//! A [`Reader`] opens a file by reading its postscript and footer index, then
//! reads any record by index: record `i` lives in chunk `i / group_size`.
//! Reading one record decodes its whole chunk, and the reader keeps the last
//! decoded chunk, so reading a chunk's records in order decodes it once.
//! [`Reader::iter`] walks all records in order.
//!
//! # Layout
//!
//! The file is a Riegeli records file: a sequence of 64 KiB blocks, each
//! starting with a 24-byte block header, and chunks laid across them. Each
//! chunk has a 40-byte header with hashes of itself and its data. Data
//! chunks are "simple" chunks of `group_size` records. After them come a
//! footer chunk that lists where every data chunk starts, padding to a block
//! boundary, and a postscript chunk that points at the footer. The
//! repository's `docs/arrayrecord.md` describes every field.
//!
//! # Integrity and errors
//!
//! Every hash the reader passes is checked: block headers, chunk headers and
//! chunk data, with HighwayHash-64 as Riegeli defines it. Damaged or
//! truncated files give an [`Error`] whose message names the file, the byte
//! offset and what is wrong. The reader does not panic on any input and
//! does not return record bytes that fail a hash check.
//!
//! # Compatibility
//!
//! Files written here open with Python's `ArrayRecordReader`, and the
//! writer options string in the footer is the one the C++ writer stores, so
//! Grain's data source accepts the files. With [`Compression::Uncompressed`]
//! the bytes equal those array_record 0.8.6 writes for the same records and
//! options. With zstd they are equal when every compressed section fits in
//! one 128 KiB zstd block; larger sections can compress differently because
//! Python's package links another zstd version.
//!
//! The reader decodes uncompressed and zstd chunks. Brotli, snappy and
//! transposed chunks (the `transpose` option) give an "unsupported" error.
//!
//! # Memory
//!
//! The writer holds the records of one chunk and the footer index, about 10
//! bytes per chunk. The reader holds the index, 8 bytes per chunk, and one
//! decoded chunk.

mod block;
mod chunk;
mod chunk_reader;
mod chunk_writer;
mod error;
mod hash;
mod options;
mod proto;
mod reader;
mod varint;
mod writer;

pub use crate::error::Error;
pub use crate::options::{Compression, WriterOptions};
pub use crate::reader::{Reader, Records};
pub use crate::writer::Writer;
