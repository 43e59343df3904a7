//! Strings across the ABI: UTF-8 by default, or the ANSI code page of Chinese Windows.
//!
//! VB6 `ByVal As String`, Delphi 7 `AnsiString` and MBCS C++ pass code page 936 (GBK). Input is
//! decoded strictly: an invalid byte is an error naming the parameter (and the JSON field it
//! sits in), never a garbled signature. Output goes back in the caller's charset and is never
//! substituted: JSON output writes what the charset cannot hold as JSON escapes (exact), plain
//! text output refuses it with PYUN_RESULT_INVALID_ENCODING.

use encoding_rs::{EncoderResult, Encoding, GB18030, GBK};
use std::convert::Infallible;
use std::ffi::CStr;
use std::os::raw::c_char;

use pyun_core::{Lang, Msg};

use crate::error::{pyun_result, FfiError};

/// UTF-8 (also accepted as 0).
const UTF8: u32 = 65001;
/// GBK, Windows code page 936. Decoding accepts all of GB18030, as Windows does.
const GBK_CP: u32 = 936;
/// GB18030, code page 54936: every Unicode character round-trips.
const GB18030_CP: u32 = 54936;

/// A caller's charset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Charset {
    /// UTF-8.
    Utf8,
    /// A legacy Chinese encoding.
    Legacy(&'static Encoding),
}

impl Charset {
    /// From the code page number the caller passes.
    pub fn from_code(code: u32) -> Result<Charset, FfiError> {
        match code {
            0 | UTF8 => Ok(Charset::Utf8),
            GBK_CP => Ok(Charset::Legacy(GBK)),
            GB18030_CP => Ok(Charset::Legacy(GB18030)),
            other => Err(FfiError::new(
                pyun_result::InvalidArgument,
                format!(
                    "unsupported charset {}: use 65001 (UTF-8), 936 (GBK) or 54936 (GB18030)",
                    other
                ),
            )),
        }
    }

    /// The charset a call's error message is written in, before the call has checked its
    /// `charset_code`: the caller's when the code is known, else UTF-8. Only for messages: an
    /// unknown code is refused by the call itself ([`Charset::from_code`] inside the guard),
    /// and that refusal is ASCII, which reads the same in all three charsets.
    pub fn for_message(code: u32) -> Charset {
        Charset::from_code(code).unwrap_or(Charset::Utf8)
    }

    /// Decodes a NUL-terminated input string.
    ///
    /// # Safety
    /// `ptr` must be NULL or point to a NUL-terminated string.
    pub unsafe fn input(self, ptr: *const c_char, name: &str) -> Result<String, FfiError> {
        if ptr.is_null() {
            return Err(FfiError::null(name));
        }
        let bytes = CStr::from_ptr(ptr).to_bytes();
        self.decode(bytes, name)
    }

    /// Like [`Charset::input`], but NULL or empty gives `None`.
    ///
    /// # Safety
    /// `ptr` must be NULL or point to a NUL-terminated string.
    pub unsafe fn optional(
        self,
        ptr: *const c_char,
        name: &str,
    ) -> Result<Option<String>, FfiError> {
        if ptr.is_null() {
            return Ok(None);
        }
        let s = self.input(ptr, name)?;
        Ok(if s.is_empty() { None } else { Some(s) })
    }

    fn decode(self, bytes: &[u8], name: &str) -> Result<String, FfiError> {
        match self {
            Charset::Utf8 => std::str::from_utf8(bytes)
                .map(str::to_owned)
                .map_err(|e| invalid(name, bytes, e.valid_up_to(), "UTF-8", Msg::FfiAdviceAnsi)),
            Charset::Legacy(enc) => {
                match enc.decode_without_bom_handling_and_without_replacement(bytes) {
                    Some(s) => Ok(s.into_owned()),
                    None => {
                        let at = first_invalid(enc, bytes);
                        Err(invalid(name, bytes, at, enc.name(), Msg::FfiAdviceCodePage))
                    }
                }
            }
        }
    }

    /// An error message for `pyun_last_error_message`. A message is for people, so nothing in
    /// it is refused: a character the charset cannot hold is written `\u{1F600}`, and a NUL
    /// (where the C string would end) `\0`, so the whole message reads.
    pub fn message(self, s: &str) -> Vec<u8> {
        let s = s.replace('\0', "\\0");
        let escaped: Result<Vec<u8>, Infallible> = self.encode_with(&s, |out, c, _| {
            out.extend_from_slice(format!("\\u{{{:X}}}", c as u32).as_bytes());
            Ok(())
        });
        match escaped {
            Ok(bytes) => bytes,
            Err(never) => match never {},
        }
    }

    /// JSON text for an output. A character the charset cannot hold is written as a JSON
    /// escape (`\ud83d\ude00`), which every JSON parser reads back as that same character: exact,
    /// where the encoder's own fallback (`&#128512;`) would change the text. Only JSON strings
    /// hold non-ASCII characters, so the escapes always land inside one.
    pub fn json(self, json: &str) -> Vec<u8> {
        let escaped: Result<Vec<u8>, Infallible> = self.encode_with(json, |out, c, _| {
            for unit in c.encode_utf16(&mut [0u16; 2]) {
                out.extend_from_slice(format!("\\u{:04x}", unit).as_bytes());
            }
            Ok(())
        });
        match escaped {
            Ok(bytes) => bytes,
            Err(never) => match never {},
        }
    }

    /// Plain text for the output `name`. Text has no escape that reads back as the character,
    /// so a character the charset cannot hold, or a NUL (where the C string would end), is
    /// PYUN_RESULT_INVALID_ENCODING naming the output and the field, never a substitution.
    pub fn text(self, s: &str, name: &str) -> Result<Vec<u8>, FfiError> {
        if let Some(at) = s.find('\0') {
            return Err(unwritable(name, s, at, Msg::FfiNulChar.text(lang(), &[])));
        }
        self.encode_with(s, |_, c, at| {
            Err(unwritable(
                name,
                s,
                at,
                Msg::FfiUnmappable.text(
                    lang(),
                    &[&format_args!("{:04X}", c as u32), &c, &self.name()],
                ),
            ))
        })
    }

    fn name(self) -> &'static str {
        match self {
            Charset::Utf8 => "UTF-8",
            Charset::Legacy(enc) => enc.name(),
        }
    }

    /// Encodes `s`, handing each character the charset cannot hold to `unmappable` with its
    /// byte offset in `s`, to write a stand-in into the output or refuse. UTF-8 holds them all.
    fn encode_with<E>(
        self,
        s: &str,
        mut unmappable: impl FnMut(&mut Vec<u8>, char, usize) -> Result<(), E>,
    ) -> Result<Vec<u8>, E> {
        let enc = match self {
            Charset::Utf8 => return Ok(s.as_bytes().to_vec()),
            Charset::Legacy(enc) => enc,
        };
        let mut encoder = enc.new_encoder();
        let mut out = Vec::new();
        let mut done = 0;
        loop {
            let rest = &s[done..];
            let room = encoder.max_buffer_length_from_utf8_without_replacement(rest.len());
            out.reserve(room.unwrap_or(rest.len()));
            let (result, read) =
                encoder.encode_from_utf8_to_vec_without_replacement(rest, &mut out, true);
            done += read;
            match result {
                EncoderResult::InputEmpty => return Ok(out),
                EncoderResult::OutputFull => {}
                EncoderResult::Unmappable(c) => unmappable(&mut out, c, done - c.len_utf8())?,
            }
        }
    }
}

/// The error for text that cannot be written: names the output and, in `key=value&...` text
/// (the canonical string), the field the character is in.
fn unwritable(name: &str, s: &str, at: usize, what: String) -> FfiError {
    let segment = s[..at].rsplit('&').next().unwrap_or("");
    let code = pyun_result::InvalidEncoding;
    match segment.find('=') {
        Some(eq) => FfiError::msg(code, Msg::FfiUnwritableIn, &[&name, &&segment[..eq], &what]),
        None => FfiError::msg(code, Msg::FfiUnwritable, &[&name, &what]),
    }
}

/// The language of the C ABI's own messages.
fn lang() -> Lang {
    Lang::from_env()
}

/// The offset of the first byte that does not decode (found by decoding growing prefixes,
/// only on the error path).
fn first_invalid(enc: &'static Encoding, bytes: &[u8]) -> usize {
    let mut decoder = enc.new_decoder_without_bom_handling();
    let mut out = String::with_capacity(bytes.len() * 3 + 16);
    let (result, read) = decoder.decode_to_string_without_replacement(bytes, &mut out, true);
    match result {
        encoding_rs::DecoderResult::Malformed(bad, after) => {
            read.saturating_sub(bad as usize + after as usize)
        }
        _ => read,
    }
}

/// An error for undecodable input, naming the JSON key the bad byte is in when it can.
/// Only JSON parameters are searched: in any other string (a secret) the text before the bad
/// byte must not reach the message.
fn invalid(name: &str, bytes: &[u8], at: usize, charset: &str, advice: Msg) -> FfiError {
    let is_json = name.ends_with("_json") || name == "push";
    let key = if is_json {
        enclosing_json_key(&bytes[..at.min(bytes.len())])
    } else {
        None
    };
    let advice = advice.text(lang(), &[]);
    let code = pyun_result::InvalidEncoding;
    match key {
        Some(k) => FfiError::msg(
            code,
            Msg::FfiNotValidIn,
            &[&name, &charset, &k, &at, &advice],
        ),
        None => FfiError::msg(code, Msg::FfiNotValid, &[&name, &charset, &at, &advice]),
    }
}

/// The last `"key":` before a position in JSON text: good enough to name the field.
fn enclosing_json_key(before: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(before);
    let colon = text.rfind("\":")?;
    let start = text[..colon].rfind('"')?;
    let key = &text[start + 1..colon];
    if key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') && !key.is_empty() {
        Some(key.to_string())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gbk_and_utf8_agree() {
        let (gbk, _, _) = GBK.encode("粤B12345");
        let s = Charset::Legacy(GBK).decode(&gbk, "x").unwrap();
        assert_eq!(s, "粤B12345");
        let err = Charset::Utf8
            .decode(
                &[b'{', b'"', b'p', b'"', b':', b'"', 0xD4, 0xC1, b'"'],
                "record_json",
            )
            .unwrap_err();
        assert!(err.message.contains("value of `p`"), "{}", err.message);
        let err = Charset::Legacy(GBK)
            .decode(&[b'a', 0x81, 0x20], "x")
            .unwrap_err();
        assert!(err.message.contains("byte 1"), "{}", err.message);
        assert_eq!(Charset::Legacy(GB18030).json("😀").len(), 4);
        assert_eq!(
            Charset::Legacy(GBK).json("\"a😀粤\""),
            b"\"a\\ud83d\\ude00\xd4\xc1\""
        );
        assert_eq!(Charset::Legacy(GBK).message("a\0b😀"), b"a\\0b\\u{1F600}");
        let err = Charset::Legacy(GBK)
            .text("a=1&plate=B😀&b=2", "out")
            .unwrap_err();
        assert!(err.message.contains("value of `plate`"), "{}", err.message);
        assert!(Charset::Utf8.text("a=1&plate=B😀", "out").is_ok());
        assert!(Charset::Utf8.text("a=\0", "out").is_err());
        // A secret that looks like JSON is never quoted back.
        let err = Charset::Utf8
            .decode(b"{\"hunter2\":\"\xff", "app_secret")
            .unwrap_err();
        assert!(!err.message.contains("hunter2"), "{}", err.message);
        assert!(Charset::from_code(1252).is_err());
        assert_eq!(Charset::for_message(1252), Charset::Utf8);
    }
}
