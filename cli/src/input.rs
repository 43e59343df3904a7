//! Reading the command line's inputs: files, standard input, `name=PATH` pairs.

use std::io::Read;
use std::path::PathBuf;
use std::sync::OnceLock;

use encoding_rs::Encoding;

use pyun_core::{Endpoint, FileField, FileSource, Lang, Msg, Text};

use crate::Failure;

/// The global `--charset` of the files and standard input read as text.
static CHARSET: OnceLock<&'static Encoding> = OnceLock::new();

/// Sets the `--charset`: utf-8, gbk or gb18030 (as the C ABI's charset argument); `ansi` is
/// Notepad's name for the Chinese ANSI code page, 936, which is GBK.
pub fn set_charset(label: &str) -> Result<(), Failure> {
    let encoding = match label.trim().to_ascii_lowercase().as_str() {
        "utf-8" | "utf8" => encoding_rs::UTF_8,
        "gbk" | "cp936" | "ansi" => encoding_rs::GBK,
        "gb18030" => encoding_rs::GB18030,
        other => {
            return Err(Failure::msg(
                2,
                Msg::CliCharset,
                &[&format_args!("{:?}", other)],
            ))
        }
    };
    let _ = CHARSET.set(encoding);
    Ok(())
}

/// Reads a file, or standard input for `-`, as text in the `--charset` (UTF-8 by default).
/// A byte order mark decides, whatever the charset: UTF-8 (Notepad's "UTF-8"), UTF-16LE
/// (Notepad's "Unicode") or UTF-16BE. UTF-16 without one is named, not misread.
pub fn read_text(path: &str) -> Result<String, Failure> {
    let mut bytes = Vec::new();
    let what = if path == "-" {
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| Failure::msg(2, Msg::CliCannotRead, &[&stdin(), &e]))?;
        stdin()
    } else {
        bytes =
            std::fs::read(path).map_err(|e| Failure::msg(2, Msg::CliCannotRead, &[&path, &e]))?;
        path.to_string()
    };
    let (encoding, bytes) = match Encoding::for_bom(&bytes) {
        Some((bom, len)) => (bom, &bytes[len..]),
        None => (*CHARSET.get().unwrap_or(&encoding_rs::UTF_8), &bytes[..]),
    };
    if encoding != encoding_rs::UTF_16LE && encoding != encoding_rs::UTF_16BE && bytes.contains(&0)
    {
        return Err(Failure::msg(2, Msg::CliNulBytes, &[&what]));
    }
    let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
    if had_errors {
        let not_valid = Failure::msg(2, Msg::CliNotValidText, &[&what, &encoding.name()]);
        return Err(if encoding == encoding_rs::UTF_8 {
            not_valid.followed_by(Msg::CliAnsiHint)
        } else {
            not_valid
        });
    }
    Ok(text.into_owned())
}

/// "standard input", in the language of the messages.
fn stdin() -> String {
    Text::new(Msg::CliStdin, &[]).render(Lang::from_env())
}

/// Parses `enter_image_file=PATH`.
pub fn file_arg(arg: &str) -> Result<(FileField, FileSource), Failure> {
    let (name, path) = arg
        .split_once('=')
        .ok_or_else(|| Failure::msg(2, Msg::CliFileArg, &[&format_args!("{:?}", arg)]))?;
    let field = FileField::from_name(name.trim()).ok_or_else(|| {
        let names: Vec<&str> = FileField::ALL.iter().map(|f| f.name()).collect();
        Failure::msg(
            2,
            Msg::CliFileField,
            &[&format_args!("{:?}", name), &names.join(", ")],
        )
    })?;
    Ok((field, FileSource::Path(PathBuf::from(path))))
}

/// Reads a file's bytes, or standard input's for `-`.
pub fn read_bytes(path: &str) -> Result<Vec<u8>, Failure> {
    let mut b = Vec::new();
    if path == "-" {
        std::io::stdin()
            .read_to_end(&mut b)
            .map_err(|e| Failure::msg(2, Msg::CliCannotRead, &[&stdin(), &e]))?;
    } else {
        b = std::fs::read(path).map_err(|e| Failure::msg(2, Msg::CliCannotRead, &[&path, &e]))?;
    }
    Ok(b)
}

/// The fields of a JSON file for `sign` and `explain`: a record file read as `push` reads it
/// (typed, `payment_list` serialised as the platform signs it), or a flat object of fields.
/// With `endpoint` the file is that endpoint's record; without it, a file that holds JSON
/// lists or objects (which flat fields never do) is read as the record its fields name, and
/// a flat file that looks like a record gets a note suggesting `--endpoint` (on standard
/// error: a flat read of a record signs its times as written, `push` converts them).
pub fn read_fields(text: &str, endpoint: Option<&str>) -> Result<Vec<(String, String)>, Failure> {
    use pyun_core::push::fields_from_json;
    use pyun_core::{AnyRecord, Endpoint, Record};
    let typed = |e: Endpoint| -> Result<Vec<(String, String)>, Failure> {
        Ok(AnyRecord::from_json(e, text)?.to_fields())
    };
    if let Some(e) = endpoint {
        return typed(endpoint_arg(e)?);
    }
    let named = record_named_by(text);
    match (fields_from_json(text), named) {
        (Ok(fields), None) => Ok(fields),
        (Ok(fields), Some(e)) => {
            eprintln!("{}", Msg::CliNoteFlat.text(Lang::from_env(), &[&e]));
            Ok(fields)
        }
        (Err(_), Some(e)) => {
            eprintln!("{}", Msg::CliNoteRecord.text(Lang::from_env(), &[&e]));
            typed(e)
        }
        (Err(err), None) => Err(Failure::from(err).followed_by(Msg::CliRecordNeedsEndpoint)),
    }
}

/// The endpoint whose record a JSON object's field names say it is, if any: `flow_no` is an
/// update's, `release_type` / `release_time` a release's, `leave_time` / `payment_list` a
/// leave's, `enter_time` alone an enter's.
fn record_named_by(text: &str) -> Option<pyun_core::Endpoint> {
    use pyun_core::Endpoint;
    let v: serde_json::Value = serde_json::from_str(pyun_core::text::strip_bom(text)).ok()?;
    let o = v.as_object()?;
    let has = |k: &str| o.contains_key(k);
    if !has("parking_serial") && !has("flow_no") {
        return None;
    }
    if has("flow_no") {
        Some(Endpoint::Update)
    } else if has("release_type") || has("release_time") {
        Some(Endpoint::Release)
    } else if has("leave_time") || has("payment_list") {
        Some(Endpoint::Leave)
    } else if has("enter_time") {
        Some(Endpoint::Enter)
    } else {
        None
    }
}

/// An endpoint named on the command line (enter, leave, release, update).
pub fn endpoint_arg(name: &str) -> Result<Endpoint, Failure> {
    name.parse()
        .map_err(|_| Failure::msg(2, Msg::CliEndpoint, &[&format_args!("{:?}", name)]))
}
