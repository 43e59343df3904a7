//! What the workspace's tests share (a dev-dependency, never shipped): a fresh scratch folder,
//! the example data files, an update record, a loopback port nothing listens on, and a tmpfs.

use std::path::{Path, PathBuf};

/// A new, empty folder `pyun-<area>-<process id>-<name>` in the temporary folder (what an
/// earlier run left there is removed first); it is not removed after the test. `name` must be
/// unique among the tests of one binary that use `area`: they run at once.
pub fn scratch_dir(area: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pyun-{}-{}-{}", area, std::process::id(), name));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A file of examples/data.
pub fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/data")
        .join(name)
}

/// The JSON of an update record (the smallest one the platform takes) keyed `key`: its
/// `flow_no`, with the parking serial `S-<key>`.
pub fn update_json(key: &str) -> String {
    format!(
        r#"{{"park_uuid":"p","flow_no":"{}","parking_serial":"S-{}","plate":"P"}}"#,
        key, key
    )
}

/// A loopback port nothing listens on, held until the socket is dropped: bound without
/// listening, so a connection is refused, and no parallel test can be given the port (as it
/// can one bound and freed again).
pub fn closed_port() -> (socket2::Socket, u16) {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    socket
        .bind(&std::net::SocketAddr::from(([127, 0, 0, 1], 0)).into())
        .unwrap();
    let port = socket.local_addr().unwrap().as_socket().unwrap().port();
    (socket, port)
}

/// A small tmpfs mounted for one test (a real full or read-only disk), unmounted when dropped.
pub struct Tmpfs(PathBuf);

impl Tmpfs {
    /// Mounted at `dir/mnt`, `size` as mount(8) takes it (`4m`). `None` when this process may
    /// not mount (not root, or no CAP_SYS_ADMIN in a container): the caller skips its test.
    pub fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        let point = dir.join("mnt");
        std::fs::create_dir_all(&point).unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={}", size), "tmpfs"])
            .arg(&point)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Tmpfs(point))
    }

    /// Where it is mounted.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Mounted again with `mode` (`ro`, `rw`).
    pub fn remount(&self, mode: &str) {
        let status = std::process::Command::new("mount")
            .args(["-o", &format!("remount,{}", mode)])
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(status.success(), "remount {}", mode);
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
    }
}
