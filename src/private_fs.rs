//! Files and folders only the service's own user may read: the data folder,
//! the SQLite database (medical notes included) and the stored documents.
//!
//! Folders are created `0700` and files `0600` whatever the umask, and a
//! folder or file found with wider permissions at start-up is tightened, with
//! a line in the log. (The server also sets its umask to `077`, see
//! `cli.rs`; this module does not rely on it.) On other systems than Unix
//! these functions only create what is missing.

use std::io;
use std::path::Path;

/// Creates `dir` (and its missing parents) owner-only.
pub fn create_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Creates `dir` owner-only, or tightens it to `0700` when it exists with
/// wider permissions. Only for folders that belong to the service (the data
/// and documents folders), never for a shared parent.
pub fn ensure_dir(dir: &Path) -> io::Result<()> {
    create_dir(dir)?;
    tighten(dir, 0o700)
}

/// Creates the empty file `path` owner-only if it is missing, or tightens it
/// to `0600`.
pub fn ensure_file(path: &Path) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?;
    tighten(path, 0o600)
}

/// Sets `path`'s permissions to `mode` if they are wider; a missing path is
/// left alone.
pub fn tighten(path: &Path, mode: u32) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let current = match std::fs::metadata(path) {
            Ok(metadata) => metadata.permissions().mode() & 0o777,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(err) => return Err(err),
        };
        if current & !mode != 0 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
            tracing::warn!(
                path = %path.display(),
                was = format!("{current:o}"),
                now = format!("{mode:o}"),
                "tightened the permissions of a data file or folder to owner-only"
            );
        }
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

/// Sets a file the service just wrote to `0600` (without a log line: it is
/// the normal path for stored documents).
pub fn restrict_file(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Sets the process umask so that anything created later (SQLite's `-wal`
/// and `-shm` files, temporary files) is owner-only. For the commands that
/// write data.
pub fn owner_only_umask() {
    #[cfg(unix)]
    // SAFETY: umask only changes the process's file mode creation mask; it
    // cannot fail and touches no memory.
    unsafe {
        libc::umask(0o077);
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn folders_and_files_are_created_or_tightened_to_owner_only() {
        let root = tempfile::tempdir().unwrap();
        let fresh = root.path().join("a/b");
        ensure_dir(&fresh).unwrap();
        assert_eq!(mode(&fresh), 0o700);
        assert_eq!(mode(&root.path().join("a")), 0o700);

        let wide = root.path().join("wide");
        std::fs::create_dir(&wide).unwrap();
        std::fs::set_permissions(&wide, std::fs::Permissions::from_mode(0o755)).unwrap();
        ensure_dir(&wide).unwrap();
        assert_eq!(mode(&wide), 0o700);

        let file = wide.join("base.db");
        std::fs::write(&file, b"x").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        ensure_file(&file).unwrap();
        assert_eq!(mode(&file), 0o600);
        assert_eq!(
            std::fs::read(&file).unwrap(),
            b"x",
            "an existing file is kept"
        );
        let new = wide.join("new.db");
        ensure_file(&new).unwrap();
        assert_eq!(mode(&new), 0o600);
    }
}
