//! The free-space check made before each experiment.

use std::path::Path;

use anyhow::{Context, Result, bail};

const MIB: u64 = 1024 * 1024;

/// Fails when writing `needed` more bytes into `dir` would leave less than
/// `reserve` bytes free on its file system.
pub fn check_free_space(dir: &Path, needed: u64, reserve: u64) -> Result<()> {
    let available = fs4::available_space(dir)
        .with_context(|| format!("failed to read the free space of {}", dir.display()))?;
    check(dir, available, needed, reserve)
}

fn check(dir: &Path, available: u64, needed: u64, reserve: u64) -> Result<()> {
    if needed <= available && available - needed >= reserve {
        return Ok(());
    }
    bail!(
        "{}: not enough disk space for the next experiment: its trajectory needs about \
         {} MiB and {} MiB must stay free, but only {} MiB are free; free some space, \
         thin trajectories with --trajectory every:K or --trajectory none, lower \
         --min-free-disk, or pick another --output-dir, then run again with --resume",
        dir.display(),
        needed.div_ceil(MIB),
        reserve.div_ceil(MIB),
        available / MIB
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_passes_with_room_to_spare() {
        assert!(check(Path::new("d"), 1000 * MIB, 100 * MIB, 512 * MIB).is_ok());
    }

    #[test]
    fn check_fails_when_reserve_would_be_eaten() {
        let error = check(Path::new("runs"), 600 * MIB, 100 * MIB, 512 * MIB).unwrap_err();
        let message = error.to_string();
        assert!(
            message.starts_with("runs: not enough disk space"),
            "{message}"
        );
        assert!(message.contains("about 100 MiB"), "{message}");
        assert!(message.contains("only 600 MiB are free"), "{message}");
    }

    #[test]
    fn check_fails_when_trajectory_exceeds_free_space() {
        assert!(check(Path::new("d"), 10 * MIB, 100 * MIB, 0).is_err());
    }

    #[test]
    fn free_space_of_temp_dir_is_readable() {
        let dir = tempfile::tempdir().unwrap();
        assert!(check_free_space(dir.path(), 0, 0).is_ok());
        assert!(check_free_space(dir.path(), u64::MAX, 0).is_err());
    }
}
