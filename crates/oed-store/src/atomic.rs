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
        .prefix(&temporary_prefix(&file_name))
        .suffix(TEMPORARY_SUFFIX)
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

/// The end of every temporary file name of [`atomic_write`].
const TEMPORARY_SUFFIX: &str = ".tmp";

/// Returns the start of the temporary file names of [`atomic_write`] for the
/// target `file_name`. A random part and [`TEMPORARY_SUFFIX`] follow it.
fn temporary_prefix(file_name: &str) -> String {
    format!(".{file_name}.")
}

/// Returns the name of the file that the temporary file `name` of
/// [`atomic_write`] was to replace, or `None` when `name` is not such a
/// temporary file name. It inverts [`temporary_prefix`] and
/// [`TEMPORARY_SUFFIX`], whose random part is ASCII letters and digits.
pub(crate) fn temporary_target(name: &str) -> Option<&str> {
    let middle = name.strip_prefix('.')?.strip_suffix(TEMPORARY_SUFFIX)?;
    let (target, random) = middle.rsplit_once('.')?;
    let is_random = !random.is_empty() && random.chars().all(|c| c.is_ascii_alphanumeric());
    (is_random && !target.is_empty()).then_some(target)
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
    fn temporary_names_map_to_target() {
        let root = tempfile::tempdir().unwrap();
        let temporary = tempfile::Builder::new()
            .prefix(&temporary_prefix("oed_checkpoint.json"))
            .suffix(TEMPORARY_SUFFIX)
            .tempfile_in(root.path())
            .unwrap();
        let name = temporary.path().file_name().unwrap().to_str().unwrap();
        assert_eq!(temporary_target(name), Some("oed_checkpoint.json"));
        assert_eq!(
            temporary_target(".metadata.json.x1.tmp"),
            Some("metadata.json")
        );
    }

    #[test]
    fn other_names_have_no_target() {
        for name in [
            "notes.tmp",
            ".hidden",
            ".tmp",
            "..tmp",
            ".file..tmp",
            ".oed_checkpoint.json.a-b.tmp",
            "oed_checkpoint.json.Ab12Cd.tmp",
        ] {
            assert_eq!(temporary_target(name), None, "{name:?}");
        }
    }

    #[test]
    fn missing_directory_names_path() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("missing").join("file.json");
        let error = atomic_write(&path, b"x").unwrap_err();
        assert_eq!(error.path(), Some(path.as_path()));
    }
}
