//! The protocol buffer messages of the footer and the postscript, encoded and
//! decoded by hand: each is a few varint fields and one string.
//!
//! Field numbers follow array_record's `layout.proto`. The C++ writer sets
//! every field, zeros included, so the encoders here write every field too.

use crate::varint::{read_varint, write_varint};

/// Value of `RiegeliPostscript.magic`.
pub(crate) const POSTSCRIPT_MAGIC: u64 = 0x7193_0e70_4fda_e05e;
/// The only footer version there is.
pub(crate) const FOOTER_VERSION: u64 = 1;

const WIRE_VARINT: u8 = 0;
const WIRE_FIXED64: u8 = 1;
const WIRE_LEN: u8 = 2;
const WIRE_FIXED32: u8 = 5;

/// `RiegeliPostscript`: where the footer starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Postscript {
    pub(crate) footer_offset: u64,
    pub(crate) magic: u64,
}

/// `ArrayRecordMetadata`, the first record of the footer, wrapped in
/// `RiegeliFooterMetadata` field 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FooterMetadata {
    pub(crate) version: u64,
    pub(crate) num_chunks: u64,
    pub(crate) num_records: u64,
    pub(crate) writer_options: Option<String>,
}

/// `ArrayRecordFooter`: one index entry per data chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FooterEntry {
    pub(crate) chunk_offset: u64,
    pub(crate) decoded_data_size: u64,
    pub(crate) num_records: u64,
}

impl Postscript {
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        write_varint_field(out, 1, self.footer_offset);
        write_varint_field(out, 2, self.magic);
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, String> {
        let mut footer_offset = None;
        let mut magic = None;
        for field in Fields::new(bytes) {
            match field? {
                (1, Value::Varint(value)) => footer_offset = Some(value),
                (2, Value::Varint(value)) => magic = Some(value),
                _ => {}
            }
        }
        Ok(Postscript {
            footer_offset: footer_offset.ok_or("missing footer_offset")?,
            magic: magic.ok_or("missing magic")?,
        })
    }
}

impl FooterMetadata {
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        let mut inner = Vec::new();
        write_varint_field(&mut inner, 1, self.version);
        write_varint_field(&mut inner, 2, self.num_chunks);
        write_varint_field(&mut inner, 3, self.num_records);
        if let Some(writer_options) = &self.writer_options {
            write_bytes_field(&mut inner, 4, writer_options.as_bytes());
        }
        write_bytes_field(out, 1, &inner);
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, String> {
        let mut inner = None;
        for field in Fields::new(bytes) {
            if let (1, Value::Bytes(value)) = field? {
                inner = Some(value);
            }
        }
        let inner = inner.ok_or("missing array_record_metadata")?;

        let mut version = None;
        let mut num_chunks = None;
        let mut num_records = None;
        let mut writer_options = None;
        for field in Fields::new(inner) {
            match field? {
                (1, Value::Varint(value)) => version = Some(value),
                (2, Value::Varint(value)) => num_chunks = Some(value),
                (3, Value::Varint(value)) => num_records = Some(value),
                (4, Value::Bytes(value)) => {
                    let text = std::str::from_utf8(value)
                        .map_err(|_| "writer_options is not valid UTF-8".to_string())?;
                    writer_options = Some(text.to_string());
                }
                _ => {}
            }
        }
        Ok(FooterMetadata {
            version: version.ok_or("missing version")?,
            num_chunks: num_chunks.ok_or("missing num_chunks")?,
            num_records: num_records.ok_or("missing num_records")?,
            writer_options,
        })
    }
}

impl FooterEntry {
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        write_varint_field(out, 1, self.chunk_offset);
        write_varint_field(out, 2, self.decoded_data_size);
        write_varint_field(out, 3, self.num_records);
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, String> {
        let mut chunk_offset = None;
        let mut decoded_data_size = 0;
        let mut num_records = None;
        for field in Fields::new(bytes) {
            match field? {
                (1, Value::Varint(value)) => chunk_offset = Some(value),
                (2, Value::Varint(value)) => decoded_data_size = value,
                (3, Value::Varint(value)) => num_records = Some(value),
                _ => {}
            }
        }
        Ok(FooterEntry {
            chunk_offset: chunk_offset.ok_or("missing chunk_offset")?,
            decoded_data_size,
            num_records: num_records.ok_or("missing num_records")?,
        })
    }
}

fn write_varint_field(out: &mut Vec<u8>, field: u64, value: u64) {
    write_varint(out, field << 3 | u64::from(WIRE_VARINT));
    write_varint(out, value);
}

fn write_bytes_field(out: &mut Vec<u8>, field: u64, value: &[u8]) {
    write_varint(out, field << 3 | u64::from(WIRE_LEN));
    write_varint(out, value.len() as u64);
    out.extend_from_slice(value);
}

/// A field value; fixed-width fields are skipped and reported as `Other`.
#[derive(Debug)]
enum Value<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Other,
}

/// Iterates over the (field number, value) pairs of a message.
struct Fields<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl<'a> Fields<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Fields { bytes, position: 0 }
    }

    fn next_field(&mut self) -> Result<(u64, Value<'a>), String> {
        let truncated = || "truncated message".to_string();
        let key = read_varint(self.bytes, &mut self.position).ok_or_else(truncated)?;
        let field = key >> 3;
        let value = match (key & 7) as u8 {
            WIRE_VARINT => {
                Value::Varint(read_varint(self.bytes, &mut self.position).ok_or_else(truncated)?)
            }
            WIRE_LEN => {
                let len = read_varint(self.bytes, &mut self.position).ok_or_else(truncated)?;
                Value::Bytes(self.take(len).ok_or_else(truncated)?)
            }
            WIRE_FIXED64 => {
                self.take(8).ok_or_else(truncated)?;
                Value::Other
            }
            WIRE_FIXED32 => {
                self.take(4).ok_or_else(truncated)?;
                Value::Other
            }
            wire_type => {
                return Err(format!(
                    "unsupported wire type {wire_type} in field {field}"
                ));
            }
        };
        Ok((field, value))
    }

    fn take(&mut self, len: u64) -> Option<&'a [u8]> {
        let end = self.position.checked_add(usize::try_from(len).ok()?)?;
        let bytes = self.bytes.get(self.position..end)?;
        self.position = end;
        Some(bytes)
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(u64, Value<'a>), String>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.position >= self.bytes.len() {
            return None;
        }
        let field = self.next_field();
        if field.is_err() {
            // Stop after the first error: the rest cannot be parsed.
            self.position = self.bytes.len();
        }
        Some(field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn footer_entry_matches_python_bytes() {
        let entry = FooterEntry {
            chunk_offset: 0x99,
            decoded_data_size: 11,
            num_records: 1,
        };
        let mut bytes = Vec::new();
        entry.encode(&mut bytes);
        assert_eq!(bytes, [0x08, 0x99, 0x01, 0x10, 0x0b, 0x18, 0x01]);
        assert_eq!(FooterEntry::decode(&bytes), Ok(entry));
    }

    #[test]
    fn postscript_matches_python_bytes() {
        let postscript = Postscript {
            footer_offset: 0xcf,
            magic: POSTSCRIPT_MAGIC,
        };
        let mut bytes = Vec::new();
        postscript.encode(&mut bytes);
        let expected = [
            0x08, 0xcf, 0x01, 0x10, 0xde, 0xc0, 0xeb, 0xfe, 0x84, 0xce, 0xc3, 0xc9, 0x71,
        ];
        assert_eq!(bytes, expected);
        assert_eq!(Postscript::decode(&bytes), Ok(postscript));
    }

    #[test]
    fn footer_metadata_round_trip() {
        let metadata = FooterMetadata {
            version: 1,
            num_chunks: 3,
            num_records: 3,
            writer_options: Some("group_size:1,".to_string()),
        };
        let mut bytes = Vec::new();
        metadata.encode(&mut bytes);
        assert_eq!(bytes[..8], [0x0a, 0x15, 0x08, 0x01, 0x10, 0x03, 0x18, 0x03]);
        assert_eq!(FooterMetadata::decode(&bytes), Ok(metadata));
    }

    #[test]
    fn decoders_skip_unknown_fields() {
        // Field 7 as fixed64, field 8 as fixed32, field 9 as a string.
        let mut bytes = vec![
            0x39, 1, 2, 3, 4, 5, 6, 7, 8, 0x45, 1, 2, 3, 4, 0x4a, 1, b'x',
        ];
        FooterEntry {
            chunk_offset: 5,
            decoded_data_size: 0,
            num_records: 2,
        }
        .encode(&mut bytes);
        assert_eq!(
            FooterEntry::decode(&bytes),
            Ok(FooterEntry {
                chunk_offset: 5,
                decoded_data_size: 0,
                num_records: 2
            })
        );
    }

    #[test]
    fn decoders_reject_truncation_and_missing_fields() {
        assert!(Postscript::decode(&[0x08]).is_err());
        assert!(Postscript::decode(&[0x08, 0x01]).is_err());
        assert!(FooterMetadata::decode(&[0x0a, 0x05, 0x08]).is_err());
        assert!(FooterEntry::decode(&[0x0b]).is_err());
    }
}
