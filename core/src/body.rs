//! A request body that sends bytes held in memory and streams large files from disk, checking
//! that each streamed file still has the size it had when it was hashed (a photo rewritten
//! between signing and sending is an error, not a request whose hash lies).

use std::fs::File;
use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::Arc;

use crate::error::Error;
use crate::messages::Msg;

/// A piece of a body: bytes held, or a file read when its turn comes.
#[derive(Clone)]
pub(crate) enum Segment {
    Bytes(Arc<[u8]>),
    File {
        role: &'static str,
        path: PathBuf,
        len: u64,
    },
}

impl Segment {
    pub(crate) fn len(&self) -> u64 {
        match self {
            Segment::Bytes(b) => b.len() as u64,
            Segment::File { len, .. } => *len,
        }
    }
}

/// A request body that streams its files; see [`SignedRequest::body_reader`](crate::request::SignedRequest::body_reader).
pub struct Body {
    segments: Vec<Segment>,
    index: usize,
    offset: u64,
    file: Option<File>,
    /// An error met after some bytes were already read into the caller's buffer.
    pending: Option<io::Error>,
}

impl Body {
    pub(crate) fn new(segments: Vec<Segment>) -> Body {
        Body {
            segments,
            index: 0,
            offset: 0,
            file: None,
            pending: None,
        }
    }

    /// The whole body's length in bytes, for `Content-Length` (what
    /// [`SignedRequest::content_length`](crate::request::SignedRequest::content_length) says,
    /// without building the parts a second time).
    pub fn content_length(&self) -> u64 {
        self.segments.iter().map(Segment::len).sum()
    }

    /// Turns an I/O error from reading this body into [`Error::File`] naming the file.
    pub fn error_for(&self, e: io::Error) -> Error {
        match self.segments.get(self.index) {
            Some(Segment::File { role, path, .. }) => Error::File {
                role: role.to_string(),
                path: path.clone(),
                source: e,
            },
            _ => Error::File {
                role: "request body".into(),
                path: PathBuf::new(),
                source: e,
            },
        }
    }
}

impl Read for Body {
    /// Fills `buf` across segments as far as it goes, so that an HTTP client writes a small
    /// body in one `send` (it transmits what each read returns).
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(e) = self.pending.take() {
            return Err(e);
        }
        let mut filled = 0;
        while filled < buf.len() {
            match self.read_segment(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                // What was already read is returned first; the error on the next read.
                Err(e) if filled > 0 => {
                    self.pending = Some(e);
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(filled)
    }
}

impl Body {
    /// Reads from the current segment only; 0 at the end of the body.
    fn read_segment(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while let Some(seg) = self.segments.get(self.index) {
            let remaining = seg.len() - self.offset;
            if remaining == 0 {
                if let Segment::File { .. } = seg {
                    // The file must end exactly where it ended when it was hashed.
                    let mut probe = [0u8; 1];
                    if let Some(f) = self.file.as_mut() {
                        if f.read(&mut probe)? != 0 {
                            return Err(changed());
                        }
                    }
                }
                self.index += 1;
                self.offset = 0;
                self.file = None;
                continue;
            }
            if buf.is_empty() {
                return Ok(0);
            }
            let want = remaining.min(buf.len() as u64) as usize;
            let n = match seg {
                Segment::Bytes(b) => {
                    let start = self.offset as usize;
                    buf[..want].copy_from_slice(&b[start..start + want]);
                    want
                }
                Segment::File { path, .. } => {
                    if self.file.is_none() {
                        self.file = Some(File::open(path)?);
                    }
                    let n = self
                        .file
                        .as_mut()
                        .map(|f| f.read(&mut buf[..want]))
                        .unwrap_or(Ok(0))?;
                    if n == 0 {
                        return Err(changed());
                    }
                    n
                }
            };
            self.offset += n as u64;
            return Ok(n);
        }
        Ok(0)
    }
}

fn changed() -> io::Error {
    crate::error::own_io_error(io::ErrorKind::InvalidData, Msg::FileChangedSize.into())
}
