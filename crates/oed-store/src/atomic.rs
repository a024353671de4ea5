use std::fs::{File, Permissions};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::StoreError;

/// Replaces the file at `path` with `bytes` so that a reader, a crash or a
/// kill at any moment sees either the old content or the new, never a mix.
///
/// The bytes go to a temporary file in the same directory (named
/// `.<file name>.<random>.tmp`), which is synced, renamed over `path`, and then
/// the directory is synced so the rename itself survives a power loss. On
/// failure the temporary file is removed and `path` is unchanged. A process
/// killed mid-write may leave a temporary file behind, which no reader looks at
/// and which is safe to delete. The new file gets mode 0666 less the umask.
///
/// # Errors
///
/// Fails when any step fails, naming `path`; a full disk or a file-size limit
/// is reported by [`StoreError::is_out_of_space`].
pub fn atomic_write(path: impl AsRef<Path>, bytes: &[u8]) -> Result<(), StoreError> {
    let path = path.as_ref();
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let file_name = path
        .file_name()
        .map_or_else(|| "file".into(), |name| name.to_string_lossy().into_owned());

    // Make the temporary file beside the target, so the rename stays on one
    // file system.
    let mut temporary = tempfile::Builder::new()
        .prefix(&format!(".{file_name}."))
        .suffix(".tmp")
        .permissions(Permissions::from_mode(0o666))
        .tempfile_in(directory)
        .map_err(|e| StoreError::io(path, "create a temporary file to write", e))?;

    // Write and sync the content before it becomes visible.
    temporary
        .write_all(bytes)
        .map_err(|e| StoreError::io(path, "write", e))?;
    temporary
        .as_file()
        .sync_all()
        .map_err(|e| StoreError::io(path, "sync", e))?;

    // Rename over the target, then sync the directory entry.
    temporary
        .persist(path)
        .map_err(|e| StoreError::io(path, "replace", e.error))?;
    sync_directory(directory)?;
    tracing::debug!(path = %path.display(), bytes = bytes.len(), "replaced file atomically");
    Ok(())
}

/// Syncs a directory, so that entries created or renamed in it are durable.
pub(crate) fn sync_directory(directory: &Path) -> Result<(), StoreError> {
    File::open(directory)
        .and_then(|handle| handle.sync_all())
        .map_err(|e| StoreError::io(directory, "sync the directory", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_content_and_leaves_no_temporary() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("file.json");
        atomic_write(&path, b"old").unwrap();
        atomic_write(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        let names: Vec<_> = std::fs::read_dir(root.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(names, ["file.json"]);
    }

    #[test]
    fn missing_directory_names_path() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("missing").join("file.json");
        let error = atomic_write(&path, b"x").unwrap_err();
        assert_eq!(error.path(), Some(path.as_path()));
    }
}
