//! The service's standard output and error into its rotating log: everything the command
//! prints (its log lines, errors, an --exec handler's output, which inherits them) goes through
//! one pipe that a thread writes to the file line by line. The thread never stops reading, so
//! the command never blocks on a full pipe, whatever the file does.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::windows::io::IntoRawHandle;
use std::sync::mpsc;
use std::time::Duration;

use windows_sys::Win32::System::Console::{SetStdHandle, STD_ERROR_HANDLE, STD_OUTPUT_HANDLE};

use super::rotate::RotatingLog;

/// A line longer than this is written as several.
const MAX_LINE: u64 = 64 * 1024;
/// Printed by `sync`, never written to the file.
const MARK: &[u8] = b"\x00pyun-service-log-sync\x00\n";

pub struct Capture {
    synced: mpsc::Receiver<()>,
}

/// From now on, standard output and error go to `log`.
pub fn start(mut log: RotatingLog) -> io::Result<Capture> {
    let (reader, writer) = io::pipe()?;
    // The write end stays open for the life of the process: it is the standard output now
    // (std looks the handle up at every write).
    let handle = writer.into_raw_handle();
    // SAFETY: `handle` is a valid pipe handle this process owns and never closes.
    let ok = unsafe {
        SetStdHandle(STD_OUTPUT_HANDLE, handle) != 0 && SetStdHandle(STD_ERROR_HANDLE, handle) != 0
    };
    if !ok {
        return Err(io::Error::last_os_error());
    }
    let (tx, synced) = mpsc::channel();
    std::thread::Builder::new()
        .name("service-log".into())
        .spawn(move || {
            let mut reader = BufReader::new(reader);
            let mut line = Vec::new();
            loop {
                line.clear();
                match (&mut reader).take(MAX_LINE).read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) if line == MARK => {
                        let _ = tx.send(());
                    }
                    Ok(_) => {
                        if !line.ends_with(b"\n") {
                            line.push(b'\n');
                        }
                        log.write_line(&line);
                    }
                }
            }
        })?;
    Ok(Capture { synced })
}

impl Capture {
    /// Waits (a few seconds at most) until every line printed before is in the file.
    pub fn sync(&self) {
        {
            let mut out = io::stdout().lock();
            let _ = out.write_all(MARK);
            let _ = out.flush();
        }
        let _ = self.synced.recv_timeout(Duration::from_secs(5));
    }
}
