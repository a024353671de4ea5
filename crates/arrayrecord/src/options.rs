//! Writer options and the options string stored in the footer.

use crate::error::{Error, ErrorKind};

/// Compression of data chunks and of the footer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Records stored as they are.
    Uncompressed,
    /// zstd at `level`, from -131072 to 22 as the C++ writer accepts, with a
    /// window of 1 MiB.
    Zstd {
        /// zstd compression level.
        level: i32,
    },
}

impl Default for Compression {
    /// zstd level 3, the default of Python's `ArrayRecordWriter`.
    fn default() -> Self {
        Compression::Zstd { level: 3 }
    }
}

/// Settings of a [`Writer`](crate::Writer), built from [`WriterOptions::default`].
///
/// ```
/// use arrayrecord::{Compression, WriterOptions};
///
/// let options = WriterOptions::default().group_size(100).compression(Compression::Uncompressed);
/// assert_eq!(
///     options.to_options_string(),
///     "group_size:100,transpose:false,pad_to_block_boundary:false,uncompressed,max_parallelism:1"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriterOptions {
    pub(crate) group_size: u64,
    pub(crate) compression: Compression,
}

/// Largest group size the C++ writer accepts.
pub(crate) const MAX_GROUP_SIZE: u64 = i32::MAX as u64;
/// Zstd levels the C++ writer accepts.
const ZSTD_LEVELS: std::ops::RangeInclusive<i32> = -131_072..=22;

impl Default for WriterOptions {
    /// One record per chunk and zstd level 3, as Python's array_record 0.8.6
    /// writes by default.
    fn default() -> Self {
        WriterOptions {
            group_size: 1,
            compression: Compression::default(),
        }
    }
}

impl WriterOptions {
    /// Sets the number of records per chunk, from 1 to 2,147,483,647.
    ///
    /// Readers decode a whole chunk to return one record, so large groups
    /// compress better and make random reads slower. Grain's data source logs
    /// an error for files whose group size is not 1.
    pub fn group_size(mut self, group_size: u64) -> Self {
        self.group_size = group_size;
        self
    }

    /// Sets the compression of data chunks and of the footer.
    pub fn compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    /// Returns the options string that the C++ writer stores in the footer
    /// for the same settings, for example
    /// `group_size:1,transpose:false,pad_to_block_boundary:false,zstd:3,window_log:20,max_parallelism:1`.
    pub fn to_options_string(&self) -> String {
        let compression = match self.compression {
            Compression::Uncompressed => "uncompressed".to_string(),
            Compression::Zstd { level } => {
                format!("zstd:{level},window_log:{}", crate::chunk::ZSTD_WINDOW_LOG)
            }
        };
        format!(
            "group_size:{},transpose:false,pad_to_block_boundary:false,{compression},\
             max_parallelism:1",
            self.group_size
        )
    }

    /// Checks the options against the ranges the C++ writer accepts.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        if !(1..=MAX_GROUP_SIZE).contains(&self.group_size) {
            return Err(Error::new(ErrorKind::InvalidOptions(format!(
                "group size {} is out of range, expected 1 to {MAX_GROUP_SIZE}",
                self.group_size
            ))));
        }
        if let Compression::Zstd { level } = self.compression {
            if !ZSTD_LEVELS.contains(&level) {
                return Err(Error::new(ErrorKind::InvalidOptions(format!(
                    "zstd level {level} is out of range, expected {} to {}",
                    ZSTD_LEVELS.start(),
                    ZSTD_LEVELS.end()
                ))));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_options_string_matches_python() {
        assert_eq!(
            WriterOptions::default().to_options_string(),
            "group_size:1,transpose:false,pad_to_block_boundary:false,zstd:3,window_log:20,\
             max_parallelism:1"
        );
    }

    #[test]
    fn options_string_carries_group_size_and_level() {
        let options = WriterOptions::default()
            .group_size(7)
            .compression(Compression::Zstd { level: -3 });
        assert_eq!(
            options.to_options_string(),
            "group_size:7,transpose:false,pad_to_block_boundary:false,zstd:-3,window_log:20,\
             max_parallelism:1"
        );
    }

    #[test]
    fn validate_rejects_out_of_range_values() {
        assert!(WriterOptions::default().group_size(0).validate().is_err());
        assert!(
            WriterOptions::default()
                .group_size(MAX_GROUP_SIZE + 1)
                .validate()
                .is_err()
        );
        assert!(
            WriterOptions::default()
                .group_size(MAX_GROUP_SIZE)
                .validate()
                .is_ok()
        );

        let level = |level| WriterOptions::default().compression(Compression::Zstd { level });
        assert!(level(23).validate().is_err());
        assert!(level(-131_073).validate().is_err());
        assert!(level(-131_072).validate().is_ok());
        assert!(level(22).validate().is_ok());
    }
}
