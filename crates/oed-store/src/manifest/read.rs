use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use oed_model::ExperimentRecord;

use crate::json::quote_bare_non_finite;
use crate::run_dir::check_directory;
use crate::{RunId, StoreError};

/// The maximum length of a manifest line, in bytes. A record is under a
/// kilobyte, so a longer line is damage (for example a file with no newlines), and it is
/// reported instead of filling memory.
pub const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// How to treat invalid lines in the middle of a manifest.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// Skip invalid lines and report them (see [`ManifestReader::skipped`])
    /// instead of stopping at the first with an error.
    pub lenient: bool,
}

impl ReadOptions {
    /// Stops at the first invalid line with an error.
    pub fn strict() -> ReadOptions {
        ReadOptions { lenient: false }
    }

    /// Skips invalid lines, reports them and reads the rest.
    pub fn lenient() -> ReadOptions {
        ReadOptions { lenient: true }
    }
}

/// A manifest line that was not loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkippedLine {
    /// The 1-based line number.
    pub line: u64,
    /// The reason the line was skipped, without the path and line prefix.
    pub reason: String,
}

/// The reason recorded for an incomplete last line.
const TORN_TAIL_REASON: &str =
    "incomplete last line, left by an interrupted write: the next append removes it";

/// The non-blank lines of a manifest with their 1-based line numbers, read one
/// at a time.
///
/// Yields `(line_number, bytes)` without the newline, for callers that parse
/// lines themselves (in parallel, say) with [`parse_record_line`]. A last line
/// without a newline that does not parse as a record is a torn write: it is not
/// yielded, a warning names it, and [`ManifestLines::torn_tail`] reports it
/// once iteration ends. A line longer than [`MAX_LINE_BYTES`] is yielded as an
/// error and iteration goes on; an I/O error is yielded and ends iteration.
///
/// Reading takes no lock, so a reader that reaches the end while a writer is
/// appending may see the line being written as torn. It skips that line with
/// the same warning, and the next read finds it complete.
#[derive(Debug)]
pub struct ManifestLines {
    path: PathBuf,
    reader: Option<BufReader<File>>,
    line_number: u64,
    torn_tail: Option<SkippedLine>,
}

/// One outcome of reading a line into a buffer.
enum RawLine {
    /// The buffer contains the line with this number.
    Line(u64),
    /// The line with this number exceeded [`MAX_LINE_BYTES`] and was skipped.
    TooLong(u64),
}

impl ManifestLines {
    /// Opens a manifest for reading. A missing file reads as empty; nothing
    /// is created.
    ///
    /// # Errors
    ///
    /// Fails when the file's directory does not exist, the path is a
    /// directory, or the file cannot be opened.
    pub fn open(path: impl AsRef<Path>) -> Result<ManifestLines, StoreError> {
        let path = path.as_ref();
        let reader = match File::open(path) {
            Ok(file) => Some(check_is_file(path, file)?),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                check_directory(parent_directory(path))?;
                tracing::debug!(path = %path.display(), "no manifest yet, so no experiments");
                None
            }
            Err(e) => return Err(StoreError::io(path, "open the manifest", e)),
        };
        Ok(ManifestLines {
            path: path.to_path_buf(),
            reader: reader.map(|file| BufReader::with_capacity(256 * 1024, file)),
            line_number: 0,
            torn_tail: None,
        })
    }

    /// Returns the manifest's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Returns the incomplete last line that was skipped, once iteration has
    /// ended.
    pub fn torn_tail(&self) -> Option<&SkippedLine> {
        self.torn_tail.as_ref()
    }

    /// Reads the next non-blank line into `buffer`, without its newline.
    fn read_line(&mut self, buffer: &mut Vec<u8>) -> Result<Option<RawLine>, StoreError> {
        loop {
            let Some(reader) = self.reader.as_mut() else {
                return Ok(None);
            };
            buffer.clear();
            let limit = MAX_LINE_BYTES as u64 + 1;
            let read = reader
                .by_ref()
                .take(limit)
                .read_until(b'\n', buffer)
                .map_err(|e| self.read_error(e))?;
            if read == 0 {
                self.reader = None;
                return Ok(None);
            }
            self.line_number += 1;

            let terminated = buffer.last() == Some(&b'\n');
            if terminated {
                buffer.pop();
            } else if buffer.len() > MAX_LINE_BYTES {
                self.skip_rest_of_line()?;
                return Ok(Some(RawLine::TooLong(self.line_number)));
            }
            if buffer.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            if !terminated && parse_record_line(&self.path, self.line_number, buffer).is_err() {
                self.record_torn_tail();
                return Ok(None);
            }
            return Ok(Some(RawLine::Line(self.line_number)));
        }
    }

    fn skip_rest_of_line(&mut self) -> Result<(), StoreError> {
        let mut sink = Vec::new();
        while let Some(reader) = self.reader.as_mut() {
            sink.clear();
            let read = reader
                .by_ref()
                .take(64 * 1024)
                .read_until(b'\n', &mut sink)
                .map_err(|e| self.read_error(e))?;
            if read == 0 || sink.last() == Some(&b'\n') {
                return Ok(());
            }
        }
        Ok(())
    }

    fn record_torn_tail(&mut self) {
        tracing::warn!(
            "{}:{}: skipped an incomplete last line left by an interrupted write",
            self.path.display(),
            self.line_number
        );
        self.torn_tail = Some(SkippedLine {
            line: self.line_number,
            reason: TORN_TAIL_REASON.to_string(),
        });
        self.reader = None;
    }

    fn read_error(&mut self, error: io::Error) -> StoreError {
        self.reader = None;
        StoreError::io(&self.path, "read the manifest", error).at_line(self.line_number + 1)
    }

    fn too_long_error(&self, line: u64) -> StoreError {
        StoreError::invalid_record(
            &self.path,
            line,
            format!("the line is longer than {MAX_LINE_BYTES} bytes"),
        )
    }
}

impl Iterator for ManifestLines {
    type Item = Result<(u64, Vec<u8>), StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut buffer = Vec::new();
        match self.read_line(&mut buffer) {
            Ok(None) => None,
            Ok(Some(RawLine::Line(number))) => Some(Ok((number, buffer))),
            Ok(Some(RawLine::TooLong(number))) => Some(Err(self.too_long_error(number))),
            Err(error) => Some(Err(error)),
        }
    }
}

fn check_is_file(path: &Path, file: File) -> Result<File, StoreError> {
    let metadata = file
        .metadata()
        .map_err(|e| StoreError::io(path, "read the manifest", e))?;
    if metadata.is_dir() {
        let error = io::Error::from_raw_os_error(libc::EISDIR);
        return Err(StoreError::io(path, "read the manifest", error));
    }
    Ok(file)
}

pub(crate) fn parent_directory(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// Parses one manifest line (without its newline) into a record.
///
/// Accepts Python's bare `NaN`, `Infinity` and `-Infinity` tokens outside
/// strings as well as the quoted strings this crate writes, ignores fields it
/// does not know, and requires `run_uuid` to be a canonical UUID (see
/// [`RunId::parse`]). `path` and `line_number` only label errors.
///
/// # Errors
///
/// Names `path:line_number` and the reason: invalid UTF-8, invalid JSON, two
/// records glued on one line, a missing or mistyped field, or an invalid
/// `run_uuid`.
pub fn parse_record_line(
    path: &Path,
    line_number: u64,
    bytes: &[u8],
) -> Result<ExperimentRecord, StoreError> {
    let record = match serde_json::from_slice::<ExperimentRecord>(bytes) {
        Ok(record) => record,
        Err(error) => parse_unusual_line(path, line_number, bytes, error)?,
    };
    if RunId::parse(&record.run_uuid).is_err() {
        return Err(StoreError::invalid_record(
            path,
            line_number,
            format!(
                "run_uuid {:?} is not a lowercase hyphenated UUID",
                record.run_uuid
            ),
        ));
    }
    Ok(record)
}

/// Parses a line that strict JSON parsing rejects: the slow path of
/// [`parse_record_line`], for Python's bare tokens or damage to name precisely.
fn parse_unusual_line(
    path: &Path,
    line_number: u64,
    bytes: &[u8],
    mut error: serde_json::Error,
) -> Result<ExperimentRecord, StoreError> {
    if std::str::from_utf8(bytes).is_err() {
        return Err(StoreError::invalid_utf8(path, line_number));
    }
    let quoted = quote_bare_non_finite(bytes);
    if let Some(quoted) = &quoted {
        match serde_json::from_slice(quoted) {
            Ok(record) => return Ok(record),
            Err(quoted_error) => error = quoted_error,
        }
    }
    let text = quoted.as_deref().unwrap_or(bytes);
    if looks_glued(text) {
        return Err(StoreError::glued_records(path, line_number));
    }
    Err(StoreError::invalid_record(
        path,
        line_number,
        describe_json_error(&error),
    ))
}

/// Returns true when a line contains the start of a second record: either a complete JSON
/// value followed by `{`, or a record's opening `{"timestamp"` after the
/// start, which an unescaped string cannot contain.
fn looks_glued(text: &[u8]) -> bool {
    let mut values =
        serde_json::Deserializer::from_slice(text).into_iter::<serde::de::IgnoredAny>();
    if let Some(Ok(_)) = values.next() {
        let rest = text[values.byte_offset()..].trim_ascii_start();
        if rest.starts_with(b"{") {
            return true;
        }
    }
    let marker = b"{\"timestamp\"";
    text.windows(marker.len())
        .skip(1)
        .any(|window| window == marker)
}

/// Returns serde_json's message with the column but without "line 1", since
/// the manifest line is named separately.
fn describe_json_error(error: &serde_json::Error) -> String {
    let message = error.to_string();
    let position = format!(" at line {} column {}", error.line(), error.column());
    match message.strip_suffix(&position) {
        Some(bare) => format!("{bare} at column {}", error.column()),
        None => message,
    }
}

/// Opens a manifest for streaming: see [`ManifestReader`].
///
/// # Errors
///
/// As [`ManifestLines::open`].
///
/// # Examples
///
/// ```
/// use oed_store::{read_manifest, ReadOptions};
///
/// let root = tempfile::tempdir()?;
/// let path = root.path().join("oed_manifest.jsonl");
/// std::fs::write(&path, "not a record\n")?;
///
/// let mut reader = read_manifest(&path, ReadOptions::lenient())?;
/// assert!(reader.next().is_none());
/// assert_eq!(reader.skipped()[0].line, 1);
///
/// let mut reader = read_manifest(&path, ReadOptions::strict())?;
/// let error = reader.next().unwrap().unwrap_err();
/// assert!(error.to_string().contains("oed_manifest.jsonl:1: invalid record"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_manifest(
    path: impl AsRef<Path>,
    options: ReadOptions,
) -> Result<ManifestReader, StoreError> {
    Ok(ManifestReader {
        lines: ManifestLines::open(path)?,
        options,
        buffer: Vec::new(),
        skipped: Vec::new(),
        finished: false,
    })
}

/// The records of a manifest, parsed one line at a time: memory use does not
/// grow with the file.
///
/// A torn last line is skipped with a warning in either mode. In strict mode an
/// invalid line yields its error and ends iteration; in lenient mode it is
/// skipped with a warning and listed in [`ManifestReader::skipped`]. An I/O
/// error always yields its error and ends iteration.
#[derive(Debug)]
pub struct ManifestReader {
    lines: ManifestLines,
    options: ReadOptions,
    buffer: Vec<u8>,
    skipped: Vec<SkippedLine>,
    finished: bool,
}

impl ManifestReader {
    /// Returns the lines skipped so far: invalid lines in lenient mode and, once
    /// iteration has ended, a torn last line.
    pub fn skipped(&self) -> &[SkippedLine] {
        &self.skipped
    }

    /// Returns the manifest's path.
    pub fn path(&self) -> &Path {
        self.lines.path()
    }

    /// Returns the lines skipped, ending the reader.
    pub fn into_skipped(self) -> Vec<SkippedLine> {
        self.skipped
    }

    fn finish(&mut self) {
        self.finished = true;
        if let Some(torn) = self.lines.torn_tail.take() {
            self.skipped.push(torn);
        }
    }

    fn skip_or_fail(&mut self, error: StoreError) -> Option<StoreError> {
        if !self.options.lenient {
            self.finished = true;
            return Some(error);
        }
        tracing::warn!("skipped {error}");
        self.skipped.push(SkippedLine {
            line: error.line().unwrap_or(0),
            reason: error.reason(),
        });
        None
    }
}

impl Iterator for ManifestReader {
    type Item = Result<ExperimentRecord, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.finished {
            let line = match self.lines.read_line(&mut self.buffer) {
                Ok(line) => line,
                Err(error) => {
                    self.finished = true;
                    return Some(Err(error));
                }
            };
            let error = match line {
                None => {
                    self.finish();
                    return None;
                }
                Some(RawLine::TooLong(number)) => self.lines.too_long_error(number),
                Some(RawLine::Line(number)) => {
                    match parse_record_line(self.lines.path(), number, &self.buffer) {
                        Ok(record) => return Some(Ok(record)),
                        Err(error) => error,
                    }
                }
            };
            if let Some(error) = self.skip_or_fail(error) {
                return Some(Err(error));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_error_names_column_only() {
        let error = serde_json::from_slice::<ExperimentRecord>(b"{\"timestamp\": 1}").unwrap_err();
        let text = describe_json_error(&error);
        assert!(!text.contains("line 1"), "{text}");
        assert!(text.contains("at column"), "{text}");
    }

    #[test]
    fn glued_lines_are_recognised() {
        assert!(looks_glued(br#"{"a": 1}{"a": 2}"#));
        assert!(looks_glued(
            br#"{"timestamp": "2026-01-0{"timestamp": "x"}"#
        ));
        assert!(!looks_glued(
            br#"{"timestamp": "x", "e": "{\"timestamp\""}"#
        ));
        assert!(!looks_glued(br#"{"a": 1"#));
    }
}
