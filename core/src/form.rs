//! File parts of a request and their MD5 hashes.
//!
//! File bytes are never signed: their uppercase-hex MD5 goes into the matching `*_hash` field,
//! which is. A photo up to [`READ_ONCE_LIMIT`] is read once, and the bytes hashed are the bytes
//! sent; a larger file is hashed and sent in 64 KiB chunks, so a 20 MB photo is never loaded.

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use md5::{Digest, Md5};

use crate::error::{Error, Result};
use crate::messages::Msg;
use crate::sign::upper_hex;

/// Size of the buffer used to stream files, for hashing and for sending.
pub(crate) const CHUNK: usize = 64 * 1024;

/// Files up to this size are read into memory once, hashed, and sent from those bytes: one
/// open and one read instead of two, and a photo rewritten after it was hashed cannot be sent
/// under the old hash. Parking-lot photos are 20–300 KB JPEGs, so nearly all are read once; a
/// request holds at most this much per file while it lives (its retries reuse the bytes).
/// Larger files are streamed twice, keeping a 20 MB photo's memory cost under 100 KiB
/// (docs/BENCHMARKS.md).
pub const READ_ONCE_LIMIT: u64 = 1024 * 1024;

pub use crate::endpoint::FileField;

/// Where a file's bytes come from.
#[derive(Clone)]
pub enum FileSource {
    /// A file on disk: read once if it is at most [`READ_ONCE_LIMIT`] bytes, otherwise
    /// streamed when hashed and again when sent.
    Path(PathBuf),
    /// Bytes in memory, shared (cloning for a retry copies nothing).
    Bytes(Arc<[u8]>),
}

impl fmt::Debug for FileSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileSource::Path(p) => write!(f, "Path({})", p.display()),
            FileSource::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
        }
    }
}

impl From<PathBuf> for FileSource {
    fn from(p: PathBuf) -> Self {
        FileSource::Path(p)
    }
}

impl From<&Path> for FileSource {
    fn from(p: &Path) -> Self {
        FileSource::Path(p.to_path_buf())
    }
}

impl From<Vec<u8>> for FileSource {
    fn from(b: Vec<u8>) -> Self {
        FileSource::Bytes(b.into())
    }
}

impl From<&[u8]> for FileSource {
    fn from(b: &[u8]) -> Self {
        FileSource::Bytes(b.into())
    }
}

/// A file attached to a request, hashed once when attached.
#[derive(Clone)]
pub struct FilePart {
    field: FileField,
    source: FileSource,
    /// The bytes that were hashed, for a file read once (see [`READ_ONCE_LIMIT`]).
    held: Option<Arc<[u8]>>,
    len: u64,
    md5: String,
    filename: String,
}

impl fmt::Debug for FilePart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The held bytes are the photo: their count, not their contents.
        f.debug_struct("FilePart")
            .field("field", &self.field)
            .field("source", &self.source)
            .field("held", &self.held.as_ref().map(|b| b.len()))
            .field("len", &self.len)
            .field("md5", &self.md5)
            .field("filename", &self.filename)
            .finish()
    }
}

impl FilePart {
    /// Reads the source once to learn its length and MD5 (keeping the bytes of a file up to
    /// [`READ_ONCE_LIMIT`]). A missing or unreadable file is an [`Error::File`] naming the field
    /// and path.
    pub fn new(field: FileField, source: FileSource) -> Result<FilePart> {
        let mut held = None;
        let (len, md5) = match &source {
            FileSource::Bytes(b) => (b.len() as u64, md5_hex(b)),
            FileSource::Path(p) => {
                let file_err = |source: io::Error| Error::File {
                    role: field.name().to_string(),
                    path: p.clone(),
                    source,
                };
                let mut file = File::open(p).map_err(file_err)?;
                let meta = file.metadata().map_err(file_err)?;
                if meta.is_dir() {
                    return Err(file_err(crate::error::own_io_error(
                        io::ErrorKind::Other,
                        Msg::FileIsDirectory.into(),
                    )));
                }
                if meta.len() <= READ_ONCE_LIMIT {
                    let bytes: Arc<[u8]> =
                        read_all(&mut file, meta.len()).map_err(file_err)?.into();
                    let hashed = (bytes.len() as u64, md5_hex(&bytes));
                    held = Some(bytes);
                    hashed
                } else {
                    md5_reader(file).map_err(file_err)?
                }
            }
        };
        let filename = safe_filename(field, &source);
        Ok(FilePart {
            field,
            source,
            held,
            len,
            md5,
            filename,
        })
    }

    /// The field this file is sent as.
    pub fn field(&self) -> FileField {
        self.field
    }

    /// Where the bytes come from.
    pub fn source(&self) -> &FileSource {
        &self.source
    }

    /// The bytes of a file read once, which are what is sent (see [`READ_ONCE_LIMIT`]).
    pub(crate) fn held(&self) -> Option<&Arc<[u8]>> {
        self.held.as_ref()
    }

    /// Length in bytes, as hashed.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True for an empty file.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Uppercase-hex MD5 of the bytes, the value of the matching `*_hash` field.
    pub fn md5(&self) -> &str {
        &self.md5
    }

    /// The ASCII filename sent in `Content-Disposition`.
    pub fn filename(&self) -> &str {
        &self.filename
    }
}

/// Reads a file of `size` bytes (as its metadata said) to its end: a read of all of it and one
/// that finds the end, where `File::read_to_end` would ask for the size again (a `statx`) and
/// `Read::read_to_end` would start with 8 KiB reads. A file grown since is read to its new end.
fn read_all(file: &mut File, size: u64) -> io::Result<Vec<u8>> {
    // One byte more than the size, so that an unchanged file's end is found without growing.
    let mut bytes = vec![0u8; size as usize + 1];
    let mut filled = 0;
    while filled < bytes.len() {
        match file.read(&mut bytes[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    bytes.truncate(filled);
    if filled > size as usize {
        file.read_to_end(&mut bytes)?;
    }
    Ok(bytes)
}

/// Uppercase-hex MD5 of bytes in memory.
pub fn md5_hex(bytes: &[u8]) -> String {
    upper_hex(&Md5::digest(bytes))
}

/// Streams a reader through MD5; returns (length, uppercase hex).
pub fn md5_reader<R: Read>(mut r: R) -> io::Result<(u64, String)> {
    let mut h = Md5::new();
    let mut buf = vec![0u8; CHUNK];
    let mut len = 0u64;
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        h.update(&buf[..n]);
        len += n as u64;
    }
    Ok((len, upper_hex(&h.finalize())))
}

/// Uppercase-hex MD5 of a file, streamed.
pub fn md5_file(path: &Path) -> io::Result<String> {
    md5_reader(File::open(path)?).map(|(_, h)| h)
}

/// An ASCII filename for `Content-Disposition`: the file's own name when it is plain ASCII,
/// otherwise the field name plus the extension. The spec warns that RFC 2231 `filename*=` is not
/// understood by the platform, and a GBK/UTF-8 name would be garbled, so never send either.
fn safe_filename(field: FileField, source: &FileSource) -> String {
    let plain = |s: &str| {
        !s.is_empty()
            && s.bytes().all(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b' ' | b'(' | b')')
            })
    };
    if let FileSource::Path(p) = source {
        if let Some(name) = p.file_name().and_then(|n| n.to_str()) {
            if plain(name) {
                return name.to_string();
            }
        }
        if let Some(ext) = p.extension().and_then(|e| e.to_str()).filter(|e| plain(e)) {
            return format!("{}.{}", field.name(), ext);
        }
    }
    format!("{}.bin", field.name())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The spec's 35-byte 1x1 GIF.
    pub(crate) const GIF: &[u8] = &[
        0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x05, 0x04,
        0x04, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02,
        0x02, 0x44, 0x01, 0x00, 0x3b,
    ];

    #[test]
    fn gif_fixture_hash() {
        assert_eq!(GIF.len(), 35);
        assert_eq!(md5_hex(GIF), "DF16D33739DEFE9BDA1F4C45D36FD7A7");
        let part = FilePart::new(FileField::EnterImage, GIF.to_vec().into()).unwrap();
        assert_eq!(part.md5(), "DF16D33739DEFE9BDA1F4C45D36FD7A7");
        assert_eq!(part.len(), 35);
        assert_eq!(part.filename(), "enter_image_file.bin");
    }

    #[test]
    fn file_hash_streams_and_names_safely() {
        let dir = std::env::temp_dir().join(format!("pyun-form-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("入口.gif");
        std::fs::write(&p, GIF).unwrap();
        let part = FilePart::new(FileField::LeaveImage, p.clone().into()).unwrap();
        assert_eq!(part.md5(), "DF16D33739DEFE9BDA1F4C45D36FD7A7");
        assert_eq!(part.filename(), "leave_image_file.gif");
        let err = FilePart::new(FileField::LeaveImage, dir.join("nope.jpg").into()).unwrap_err();
        assert!(err.to_string().contains("leave_image_file"), "{}", err);
        assert!(FilePart::new(FileField::LeaveImage, dir.clone().into()).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
