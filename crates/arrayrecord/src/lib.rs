//! Reader and writer for ArrayRecord files.
//!
//! TODO: write the tour.

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
