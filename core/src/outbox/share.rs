//! What the disk under an outbox is: a network share, where SQLite's WAL journal cannot keep its
//! guarantees (it needs shared memory and byte-range locks that SMB and NFS do not keep for
//! processes on different machines, <https://www.sqlite.org/wal.html>), or a full disk.

use std::path::{Path, PathBuf};

use crate::messages::{Msg, Text};

/// How `path` was recognised as being on a network share, or `None` for a local disk. Checked:
/// a UNC path (`\\server\share\...`, also `\\?\UNC\...`; on Windows `//server/share` too), on
/// Windows a mapped network drive (its directory resolves to a UNC path), on Linux the file
/// system of its directory (NFS, CIFS/SMB, 9P, AFS, Ceph, Coda, NCP). FUSE file systems (sshfs)
/// are not recognised.
pub fn network_share(path: &Path) -> Option<Text> {
    let text = path.as_os_str().to_string_lossy();
    let unc = (text.starts_with(r"\\") && !text.starts_with(r"\\?\") && !text.starts_with(r"\\.\"))
        || text.starts_with(r"\\?\UNC\")
        || (cfg!(windows) && text.starts_with("//") && !text.starts_with("//?/"));
    if unc {
        return Some(Msg::ShareUnc.into());
    }
    let dir = directory(path);
    #[cfg(windows)]
    if let Ok(real) = std::fs::canonicalize(&dir) {
        if real.as_os_str().to_string_lossy().starts_with(r"\\?\UNC\") {
            return Some(Text::new(Msg::ShareMappedDrive, &[&real.display()]));
        }
    }
    #[cfg(target_os = "linux")]
    if let Ok(fs) = rustix::fs::statfs(&dir) {
        // The low 32 bits: `f_type` is a signed long, and CIFS's magic does not fit in 31.
        if let Some(name) = network_fs(fs.f_type as u32) {
            return Some(Text::new(Msg::ShareFileSystem, &[&name]));
        }
    }
    None
}

/// The directory `path` is in ("." for a bare file name).
fn directory(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The network file systems among Linux's `statfs` magic numbers (linux/magic.h).
#[cfg(any(target_os = "linux", test))]
fn network_fs(magic: u32) -> Option<&'static str> {
    Some(match magic {
        0x6969 => "NFS",
        0xFF53_4D42 => "CIFS",
        0xFE53_4D42 => "SMB2",
        0x517B => "SMB",
        0x0102_1997 => "9P",
        0x5346_414F | 0x6B41_4653 => "AFS",
        0x00C3_6400 => "Ceph",
        0x7375_7245 => "Coda",
        0x564C => "NCP",
        _ => return None,
    })
}

/// Whether the disk under `path` has no room left: SQLite reports some writes that fail for
/// want of space (growing its shared-memory file) as a plain I/O error.
pub(super) fn disk_full(path: &Path) -> bool {
    #[cfg(unix)]
    if let Ok(fs) = rustix::fs::statvfs(directory(path)) {
        // Less than 64 KB: SQLite's shared-memory file alone takes 32 KB.
        return fs.f_bavail.saturating_mul(fs.f_frsize) < 64 * 1024;
    }
    let _ = path;
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unc_paths_are_network_shares_and_local_ones_are_not() {
        for p in [
            r"\\lot-server\share\outbox.db",
            r"\\192.168.1.10\d$\pyun\outbox.db",
            r"\\?\UNC\lot-server\share\outbox.db",
        ] {
            assert!(network_share(Path::new(p)).is_some(), "{}", p);
        }
        let local = std::env::temp_dir().join("outbox.db");
        assert_eq!(network_share(&local), None);
        assert_eq!(network_share(Path::new("outbox.db")), None);
        assert_eq!(network_share(Path::new(r"\\?\C:\pyun\outbox.db")), None);
    }

    #[test]
    fn the_network_file_systems_of_linux_are_named() {
        assert_eq!(network_fs(0x6969), Some("NFS"));
        assert_eq!(network_fs(0xFF53_4D42), Some("CIFS"));
        assert_eq!(network_fs(0xFE53_4D42), Some("SMB2"));
        // ext4, tmpfs, btrfs, xfs, overlay: local.
        for local in [0xEF53, 0x0102_1994, 0x9123_683E, 0x5846_5342, 0x794C_7630] {
            assert_eq!(network_fs(local), None, "{:x}", local);
        }
    }
}
