//! Advisory whole-file locks (`flock(2)`).
//!
//! The lock belongs to the open file description, so two handles opened
//! separately exclude each other even within one process, and the kernel
//! releases it when the holder exits or is killed.
// `File::lock` would do the same without `unsafe`, but needs Rust 1.89 and the
// workspace supports 1.85.
#![allow(unsafe_code)]

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;

/// An exclusive lock on a file, released on drop.
#[derive(Debug)]
pub(crate) struct ExclusiveLock<'a> {
    file: &'a File,
}

impl<'a> ExclusiveLock<'a> {
    /// Blocks until this handle holds the exclusive lock on `file`.
    pub(crate) fn acquire(file: &'a File) -> io::Result<ExclusiveLock<'a>> {
        flock(file, libc::LOCK_EX)?;
        Ok(ExclusiveLock { file })
    }
}

impl Drop for ExclusiveLock<'_> {
    fn drop(&mut self) {
        // Unlocking a valid descriptor cannot fail in a way worth reporting, and
        // closing the file releases the lock in any case.
        let _ = flock(self.file, libc::LOCK_UN);
    }
}

/// Takes the exclusive lock on `file` without blocking. Returns `false`, and
/// takes nothing, when another open file description holds a lock on it.
pub(crate) fn try_lock_exclusive(file: &File) -> io::Result<bool> {
    match flock(file, libc::LOCK_EX | libc::LOCK_NB) {
        Ok(()) => Ok(true),
        Err(error) if error.kind() == io::ErrorKind::WouldBlock => Ok(false),
        Err(error) => Err(error),
    }
}

fn flock(file: &File, operation: libc::c_int) -> io::Result<()> {
    loop {
        // SAFETY: the descriptor is open for the lifetime of `file`, and
        // `flock` only reads its arguments.
        let status = unsafe { libc::flock(file.as_raw_fd(), operation) };
        if status == 0 {
            return Ok(());
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}
