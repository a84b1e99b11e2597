//! The data directory: held mail, the quarantine database, the marker and
//! audit keys. All of it is personal data or a secret, so the directory is
//! the milter user's alone (0700, files 0600), whatever the umask of the
//! shell or unit that started the daemon.
//!
//! [`prepare`] creates it that way and, at `serve` start, refuses a
//! directory that group or others could read or that another user owns:
//! a clear refusal is better than a quarantine every local user can read.

use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Files in the data directory that hold secrets; each must be 0600.
pub const KEY_FILES: [&str; 2] = ["marker.key", "audit.key"];

/// Why the data directory cannot be used.
#[derive(Debug, Error)]
pub enum DataDirError {
    #[error("data directory {dir}: {source}")]
    Io { dir: String, source: std::io::Error },
    #[error(
        "{path} is mode {mode:04o}: group/others may read held mail or keys; \
         run `chmod 700 {path}` (600 for files in the data directory) and start again"
    )]
    Open { path: String, mode: u32 },
    #[error(
        "data directory {path} belongs to uid {owner}, not to the milter's user (uid {me}); \
         run the milter as its owner or `chown` it"
    )]
    Owner { path: String, owner: u32, me: u32 },
}

fn io(dir: &Path) -> impl FnOnce(std::io::Error) -> DataDirError + '_ {
    move |source| DataDirError::Io {
        dir: dir.display().to_string(),
        source,
    }
}

/// Creates `dir` (and missing parents the milter creates) mode 0700 if it
/// does not exist. `DirBuilder::mode` is still masked by the umask, so the
/// mode is set explicitly afterwards: a umask of 000 must not give 0777,
/// nor one of 022 the 0755 `create_dir_all` used to give.
pub fn create(dir: &Path) -> Result<(), DataDirError> {
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(io(dir))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(io(dir))
}

/// Refuses a data directory (or key file in it) that group or others can
/// access, or a directory another user owns.
pub fn check(dir: &Path) -> Result<(), DataDirError> {
    let me = rustix::process::geteuid().as_raw();
    let meta = std::fs::metadata(dir).map_err(io(dir))?;
    let open = |path: &Path, mode: u32| DataDirError::Open {
        path: path.display().to_string(),
        mode: mode & 0o7777,
    };
    // Group search (x) alone is allowed: it lets Postfix reach the milter
    // socket by name, and lists or reads nothing (the files are 0600).
    if meta.mode() & 0o067 != 0 {
        return Err(open(dir, meta.mode()));
    }
    // root may run a site's milter on a directory it handed to another
    // user; any other uid must own what it keeps held mail in.
    if meta.uid() != me && me != 0 {
        return Err(DataDirError::Owner {
            path: dir.display().to_string(),
            owner: meta.uid(),
            me,
        });
    }
    for name in KEY_FILES {
        let path = dir.join(name);
        if let Ok(m) = std::fs::metadata(&path) {
            if m.mode() & 0o077 != 0 {
                return Err(open(&path, m.mode()));
            }
        }
    }
    Ok(())
}

/// Refuses a key file kept elsewhere (`quarantine.audit_key`) that group or
/// others can access. A missing file is fine: it is created 0600.
pub fn check_key(path: &Path) -> Result<(), DataDirError> {
    match std::fs::metadata(path) {
        Ok(m) if m.mode() & 0o077 != 0 => Err(DataDirError::Open {
            path: path.display().to_string(),
            mode: m.mode() & 0o7777,
        }),
        _ => Ok(()),
    }
}

/// [`create`] then [`check`]: what `serve` runs before opening anything.
pub fn prepare(dir: &Path) -> Result<(), DataDirError> {
    create(dir)?;
    check(dir)
}

/// Where the data directory comes from, for the start-up log line.
pub fn origin(configured: bool, dir: &Path) -> &'static str {
    if configured {
        "configured"
    } else if dir.is_absolute() {
        "system default"
    } else {
        "fallback in the working directory"
    }
}

/// The absolute path of `dir`, for log lines (relative paths depend on
/// where the daemon was started, which is what an admin needs to see).
pub fn shown(dir: &Path) -> PathBuf {
    std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().mode() & 0o777
    }

    #[test]
    fn creates_private_directory_with_parents() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("a/b");
        prepare(&d).unwrap();
        assert_eq!(mode(&d), 0o700);
    }

    #[test]
    fn refuses_group_readable_directory() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("data");
        std::fs::create_dir(&d).unwrap();
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o750)).unwrap();
        let e = prepare(&d).unwrap_err().to_string();
        assert!(e.contains("0750") && e.contains("chmod 700"), "{e}");
    }

    #[test]
    fn refuses_readable_key_file() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("data");
        prepare(&d).unwrap();
        let k = d.join("marker.key");
        std::fs::write(&k, [0u8; 32]).unwrap();
        std::fs::set_permissions(&k, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = check(&d).unwrap_err().to_string();
        assert!(e.contains("marker.key"), "{e}");
        std::fs::set_permissions(&k, std::fs::Permissions::from_mode(0o600)).unwrap();
        check(&d).unwrap();
    }

    #[test]
    fn a_key_kept_elsewhere_must_be_private() {
        let t = tempfile::tempdir().unwrap();
        let k = t.path().join("audit.key");
        check_key(&k).unwrap(); // missing: created 0600 later
        std::fs::write(&k, [0u8; 32]).unwrap();
        std::fs::set_permissions(&k, std::fs::Permissions::from_mode(0o640)).unwrap();
        assert!(check_key(&k).unwrap_err().to_string().contains("0640"));
        std::fs::set_permissions(&k, std::fs::Permissions::from_mode(0o600)).unwrap();
        check_key(&k).unwrap();
    }

    #[test]
    fn group_search_alone_is_allowed() {
        // 0710: Postfix's group may reach the socket by name, list nothing.
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("data");
        std::fs::create_dir(&d).unwrap();
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o710)).unwrap();
        check(&d).unwrap();
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o711)).unwrap();
        assert!(check(&d).is_err(), "others may not even search");
    }

    #[test]
    fn origin_names_the_fallback() {
        assert_eq!(
            origin(false, Path::new("dlp-data")),
            "fallback in the working directory"
        );
        assert_eq!(origin(true, Path::new("dlp-data")), "configured");
    }
}
