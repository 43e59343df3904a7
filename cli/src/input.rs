//! Reading the command line's inputs: files, standard input, `name=PATH` pairs.

use std::io::Read;
use std::path::PathBuf;

use pyun_core::{FileField, FileSource};

use crate::Failure;

/// Reads a file, or standard input for `-`.
pub fn read_text(path: &str) -> Result<String, Failure> {
    let mut s = String::new();
    if path == "-" {
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| Failure::usage(format!("cannot read standard input: {}", e)))?;
    } else {
        s = std::fs::read_to_string(path)
            .map_err(|e| Failure::usage(format!("cannot read {}: {}", path, e)))?;
    }
    Ok(s)
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
