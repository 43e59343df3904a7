//! The service's log file, size-bounded: `<name>.log`, moved to `<name>.log.1` (and the older
//! ones up to `.<keep>`, the oldest dropped) when the next line would take it past the limit.
//!
//! Hand-written (a few lines) rather than the file-rotate crate: file-rotate 0.8 panics on I/O
//! conditions (`expect("create dir")` when the folder cannot be made, `assert!`s around its
//! renames), and a service's logging must never end it; it would also bring chrono and flate2.
//! Here every failure loses at most the line being written: the file is opened again for the
//! next one. A rename that Windows refuses (another program holds the file open) leaves the
//! file growing until a later rotation succeeds.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;

pub struct RotatingLog {
    path: PathBuf,
    max_bytes: u64,
    keep: usize,
    file: Option<File>,
    size: u64,
}

impl RotatingLog {
    /// A log at `path`, each file below `max_bytes` (unless one line is longer), `keep` older
    /// files kept beside it. Nothing is opened yet.
    pub fn new(path: PathBuf, max_bytes: u64, keep: usize) -> Self {
        RotatingLog {
            path,
            max_bytes,
            keep,
            file: None,
            size: 0,
        }
    }

    /// Appends `line` (whole: a line is never split between two files).
    pub fn write_line(&mut self, line: &[u8]) {
        if self.file.is_none() {
            self.open();
        }
        if self.size > 0 && self.size + line.len() as u64 > self.max_bytes {
            self.rotate();
            self.open();
        }
        if let Some(f) = &mut self.file {
            match f.write_all(line) {
                Ok(()) => self.size += line.len() as u64,
                Err(_) => self.file = None,
            }
        }
    }

    fn open(&mut self) {
        if let Some(dir) = self.path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        self.file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .ok();
        self.size = self
            .file
            .as_ref()
            .and_then(|f| f.metadata().ok())
            .map_or(0, |m| m.len());
    }

    fn numbered(&self, n: usize) -> PathBuf {
        let mut p = self.path.clone().into_os_string();
        p.push(format!(".{}", n));
        PathBuf::from(p)
    }

    fn rotate(&mut self) {
        // Closed first: Windows renames no file this process holds open.
        self.file = None;
        let _ = std::fs::remove_file(self.numbered(self.keep));
        for n in (1..self.keep).rev() {
            let _ = std::fs::rename(self.numbered(n), self.numbered(n + 1));
        }
        let _ = std::fs::rename(&self.path, self.numbered(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_stay_below_the_limit_the_newest_lines_are_kept_in_order() {
        let dir = pyun_test_support::scratch_dir("rotate", "lines");
        let path = dir.join("logs").join("svc.log");
        // a file left by an earlier run, already past the limit: rotated at the first line
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "old line\n".repeat(200)).unwrap();
        let mut log = RotatingLog::new(path.clone(), 1000, 3);
        for i in 0..100 {
            log.write_line(format!("line {:03} {}\n", i, "x".repeat(80)).as_bytes());
        }
        let read = |p: &PathBuf| std::fs::read_to_string(p).unwrap();
        let files = [
            path.clone(),
            log.numbered(1),
            log.numbered(2),
            log.numbered(3),
        ];
        for f in &files {
            assert!(
                std::fs::metadata(f).unwrap().len() <= 1000,
                "{}",
                f.display()
            );
        }
        assert!(!log.numbered(4).exists());
        // oldest first: .3 .2 .1 then the current file, whole lines, consecutive, ending at 99
        let all: String = files.iter().rev().map(read).collect();
        let numbers: Vec<u32> = all
            .lines()
            .map(|l| l.split(' ').nth(1).unwrap().parse().unwrap())
            .collect();
        assert_eq!(*numbers.last().unwrap(), 99);
        assert!(
            numbers.windows(2).all(|w| w[1] == w[0] + 1),
            "{:?}",
            numbers
        );
        assert!(numbers.len() >= 30, "{} lines kept", numbers.len());
        assert!(!all.contains("old line"), "the oldest file was not dropped");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_folder_that_cannot_be_made_loses_lines_not_the_caller() {
        let dir = std::env::temp_dir().join(format!("pyun-rotate-file-{}", std::process::id()));
        std::fs::write(&dir, "a file where the folder should be").unwrap();
        let mut log = RotatingLog::new(dir.join("svc.log"), 100, 2);
        for _ in 0..10 {
            log.write_line(b"lost\n");
        }
        assert!(log.file.is_none());
        std::fs::remove_file(&dir).unwrap();
    }
}
