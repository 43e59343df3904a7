//! Reading the command line's inputs: files, standard input, `name=PATH` pairs.

use std::io::Read;
use std::path::PathBuf;
use std::sync::OnceLock;

use encoding_rs::Encoding;

use pyun_core::{FileField, FileSource};

use crate::Failure;

/// The global `--charset` of the files and standard input read as text.
static CHARSET: OnceLock<&'static Encoding> = OnceLock::new();

/// Sets the `--charset`: utf-8, gbk or gb18030 (as the C ABI's charset argument).
pub fn set_charset(label: &str) -> Result<(), Failure> {
    let encoding = match label.trim().to_ascii_lowercase().as_str() {
        "utf-8" | "utf8" => encoding_rs::UTF_8,
        "gbk" | "cp936" => encoding_rs::GBK,
        "gb18030" => encoding_rs::GB18030,
        other => {
            return Err(Failure::usage(format!(
                "--charset {:?}: expected utf-8, gbk or gb18030",
                other
            )))
        }
    };
    let _ = CHARSET.set(encoding);
    Ok(())
}

/// Reads a file, or standard input for `-`, as text in the `--charset` (UTF-8 by default).
/// A UTF-8 byte order mark is dropped, whatever the charset.
pub fn read_text(path: &str) -> Result<String, Failure> {
    let mut bytes = Vec::new();
    let what = if path == "-" {
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| Failure::usage(format!("cannot read standard input: {}", e)))?;
        "standard input".to_string()
    } else {
        bytes = std::fs::read(path)
            .map_err(|e| Failure::usage(format!("cannot read {}: {}", path, e)))?;
        path.to_string()
    };
    let encoding = *CHARSET.get().unwrap_or(&encoding_rs::UTF_8);
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
    if had_errors {
        let hint = if encoding == encoding_rs::UTF_8 {
            " (a file saved as \"ANSI\" on Chinese Windows: add --charset gbk)"
        } else {
            ""
        };
        return Err(Failure::usage(format!(
            "{} is not valid {}{}",
            what,
            encoding.name(),
            hint
        )));
    }
    Ok(text.into_owned())
}

/// Parses `enter_image_file=PATH`.
pub fn file_arg(arg: &str) -> Result<(FileField, FileSource), Failure> {
    let (name, path) = arg.split_once('=').ok_or_else(|| {
        Failure::usage(format!(
            "--file {:?}: expected NAME=PATH, e.g. enter_image_file=car.jpg",
            arg
        ))
    })?;
    let field = FileField::from_name(name.trim()).ok_or_else(|| {
        let names: Vec<&str> = FileField::ALL.iter().map(|f| f.name()).collect();
        Failure::usage(format!(
            "--file: unknown file field {:?}; expected one of {}",
            name,
            names.join(", ")
        ))
    })?;
    Ok((field, FileSource::Path(PathBuf::from(path))))
}

/// Reads a file's bytes, or standard input's for `-`.
pub fn read_bytes(path: &str) -> Result<Vec<u8>, Failure> {
    let mut b = Vec::new();
    if path == "-" {
        std::io::stdin()
            .read_to_end(&mut b)
            .map_err(|e| Failure::usage(format!("cannot read standard input: {}", e)))?;
    } else {
        b = std::fs::read(path)
            .map_err(|e| Failure::usage(format!("cannot read {}: {}", path, e)))?;
    }
    Ok(b)
}
