//! The run directory's writer lock, which keeps a second loop out of a
//! directory that a loop is writing.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::lock::try_lock_exclusive;
use crate::{RunDir, StoreError};

/// The exclusive right to write a run directory, held from
/// [`RunDir::lock_for_writing`] until it is dropped.
///
/// It is an `flock` on the lock file `.oed.lock`, so the kernel releases it
/// when the holder exits or is killed, and a crashed loop never leaves a
/// stale lock. The lock file itself stays in the directory: removing it on
/// release would let a waiting process lock the removed file while a third
/// creates and locks a new one.
#[derive(Debug)]
#[must_use = "the lock is released when this value is dropped"]
pub struct RunDirLock {
    // Kept open: closing the last descriptor releases the lock.
    _file: File,
    path: PathBuf,
}

impl RunDirLock {
    /// Returns the path of the lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl RunDir {
    /// Takes the run directory's writer lock without waiting, and writes this
    /// process's id into the lock file for the message of the next writer.
    ///
    /// A writer (the loop) holds the lock for as long as it may write or
    /// remove files in the directory. Readers do not take it. The lock
    /// belongs to the open file, so a second call in the same process fails
    /// too while the first lock is held.
    ///
    /// # Errors
    ///
    /// Fails with an error for which [`StoreError::is_locked`] is true when
    /// another holder has the lock, naming the directory and the holder's
    /// process id when the lock file records it. Fails with an I/O error when
    /// the lock file cannot be opened, locked or written.
    pub fn lock_for_writing(&self) -> Result<RunDirLock, StoreError> {
        let path = self.lock_path();
        // Open without truncating, because the holder's pid is in the file.
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| StoreError::io(&path, "open the lock file", e))?;

        let locked = try_lock_exclusive(&file)
            .map_err(|e| StoreError::io(&path, "lock the run directory", e))?;
        if !locked {
            return Err(StoreError::locked(self.path(), read_pid(&mut file)));
        }

        // Record the holder's pid. This process holds the lock, so no other process writes the file.
        let pid = std::process::id();
        file.set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)))
            .and_then(|_| writeln!(file, "{pid}"))
            .map_err(|e| StoreError::io(&path, "write the lock file", e))?;
        tracing::debug!(path = %path.display(), pid, "locked the run directory for writing");
        Ok(RunDirLock { _file: file, path })
    }
}

/// Reads the holder's pid, or `None` when the file holds none (a holder that
/// has not written it yet, or a lock file of another program).
fn read_pid(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_in_process_fails() {
        let root = tempfile::tempdir().unwrap();
        let dir = RunDir::open(root.path()).unwrap();
        let held = dir.lock_for_writing().unwrap();

        let error = dir.lock_for_writing().unwrap_err();
        assert!(error.is_locked(), "{error}");
        assert_eq!(error.path(), Some(root.path()));
        let text = error.to_string();
        let pid = format!("(pid {})", std::process::id());
        assert!(
            text.starts_with(&root.path().display().to_string()),
            "{text}"
        );
        assert!(text.contains(&pid), "{text}");
        assert!(text.contains("another oed-loop"), "{text}");
        assert!(text.contains("--output-dir"), "{text}");

        drop(held);
        let again = dir.lock_for_writing().unwrap();
        assert_eq!(again.path(), root.path().join(".oed.lock"));
    }

    #[test]
    fn lock_file_holds_pid() {
        let root = tempfile::tempdir().unwrap();
        let dir = RunDir::open(root.path()).unwrap();
        std::fs::write(dir.lock_path(), "a much longer previous content\n").unwrap();
        let _held = dir.lock_for_writing().unwrap();
        let text = std::fs::read_to_string(dir.lock_path()).unwrap();
        assert_eq!(text, format!("{}\n", std::process::id()));
    }

    #[test]
    fn unknown_holder_has_no_pid() {
        let root = tempfile::tempdir().unwrap();
        let dir = RunDir::open(root.path()).unwrap();
        let held = dir.lock_for_writing().unwrap();
        std::fs::write(dir.lock_path(), "").unwrap();

        let text = dir.lock_for_writing().unwrap_err().to_string();
        assert!(text.contains("another oed-loop is writing"), "{text}");
        assert!(!text.contains("pid"), "{text}");
        drop(held);
    }
}
