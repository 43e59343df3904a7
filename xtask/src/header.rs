//! Reads include/pyun.h into the description of the C ABI the kits are generated from.
//!
//! A hand parser, not a C parser crate nor `syn` over ffi-c: the header is the contract every
//! kit links against, CI proves it is what cbindgen makes of ffi-c (scripts/gen-header.sh
//! --check), and cbindgen's output is regular: `#define NAME value`, `typedef enum {..} name;`,
//! `typedef struct name name;`, `typedef void (*name)(..);` and `ret name(..);`, each after
//! its `/** doc */`. Anything else is refused with the text that was not understood, so a new
//! shape in the header stops the generator instead of being skipped.

use std::fmt;

/// The integer types of the header (`bool` included), by value or behind a pointer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Int {
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    I64,
    U64,
    Usize,
    Bool,
}

impl Int {
    fn of(c: &str) -> Option<Int> {
        Some(match c {
            "int8_t" => Int::I8,
            "uint8_t" => Int::U8,
            "int16_t" => Int::I16,
            "uint16_t" => Int::U16,
            "int32_t" => Int::I32,
            "uint32_t" => Int::U32,
            "int64_t" => Int::I64,
            "uint64_t" => Int::U64,
            "size_t" => Int::Usize,
            "bool" => Int::Bool,
            _ => return None,
        })
    }
}

/// What a parameter (or a pair of them) is for; each kit maps every kind to its idiom.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `const char *`: a NUL-terminated string in (NULL where the doc allows it).
    InStr,
    /// `char **`: pyun allocates a string, released with `pyun_string_free`.
    OutStr,
    /// `char *buf, size_t len`: the caller's buffer; the function returns the length needed.
    OutBuf { len: String },
    /// `char *`: a string pyun returned, handed back to be released.
    GivenBackStr,
    /// `const uint8_t *, size_t`: bytes in with their length.
    InBytes { len: String },
    /// `uint8_t **, size_t *`: pyun allocates bytes, released with `pyun_bytes_free`.
    OutBytes { len: String },
    /// `uint8_t *, size_t`: bytes pyun returned, handed back with their length.
    GivenBackBytes { len: String },
    /// `const pyun_x *`: a live handle, borrowed for the call.
    Handle(String),
    /// `pyun_x *`: the handle is released by this call.
    Release(String),
    /// `pyun_x **`: receives a new handle.
    OutHandle(String),
    /// A callback typedef followed by its `void *userdata`.
    Callback { ty: String, userdata: String },
    /// An integer (or bool) by value.
    Int(Int),
    /// `intN_t *` and the like: an integer written by the call.
    OutInt(Int),
    /// `pyun_enum *`: an enum value written by the call.
    OutEnum(String),
}

/// One parameter (the first of the pair for the two-parameter kinds).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    pub name: String,
    pub kind: Kind,
}

/// What a function returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ret {
    Void,
    /// A `typedef enum` of the header (`pyun_result`).
    Enum(String),
    /// `const char *`: a static string, never freed (`pyun_version`).
    StaticStr,
    Int(Int),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Function {
    pub name: String,
    pub doc: String,
    pub ret: Ret,
    pub params: Vec<Param>,
}

/// A parameter of a callback typedef.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CbKind {
    /// `void *userdata`, given back as it was passed.
    Userdata,
    /// `const char *`, valid only during the call.
    Str,
    Int(Int),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Callback {
    pub name: String,
    pub doc: String,
    pub params: Vec<(String, CbKind)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enum {
    pub name: String,
    pub doc: String,
    /// (C name, value, doc)
    pub variants: Vec<(String, i64, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DefineValue {
    Int(i64),
    Str(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Define {
    pub name: String,
    pub value: DefineValue,
}

/// The C ABI as include/pyun.h states it, in the header's order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Abi {
    pub defines: Vec<Define>,
    pub enums: Vec<Enum>,
    pub handles: Vec<String>,
    pub callbacks: Vec<Callback>,
    pub functions: Vec<Function>,
}

#[derive(Debug)]
pub struct ParseError(pub String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "include/pyun.h: {}", self.0)
    }
}

fn err<T>(msg: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError(msg.into()))
}

/// Marks a doc comment inside an enum body, so each variant keeps its own.
const DOC_START: char = '\u{1}';
const DOC_END: char = '\u{2}';

/// A statement: its code (comments inside braces kept as marked docs) and the doc before it.
struct Statement {
    code: String,
    doc: String,
}

/// `/** a\n * b\n */` -> "a b".
fn doc_text(comment: &str) -> String {
    let inner = comment.trim_start_matches("/*").trim_end_matches("*/");
    let inner = inner.strip_prefix('*').unwrap_or(inner);
    inner
        .lines()
        .map(|l| l.trim().trim_start_matches('*').trim())
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Splits the header into `#define`s and `;`-terminated statements.
fn statements(text: &str, defines: &mut Vec<Define>) -> Result<Vec<Statement>, ParseError> {
    let mut out = Vec::new();
    let mut code = String::new();
    let mut doc = String::new();
    let mut depth = 0usize;
    let mut rest = text;
    let mut line_start = true;
    while let Some(c) = rest.chars().next() {
        if rest.starts_with("/*") {
            let end = rest
                .find("*/")
                .ok_or_else(|| ParseError("unclosed comment".into()))?;
            let comment = &rest[..end + 2];
            if comment.starts_with("/**") {
                if depth > 0 {
                    code.push(DOC_START);
                    code.push_str(&doc_text(comment));
                    code.push(DOC_END);
                } else if code.trim().is_empty() {
                    doc = doc_text(comment);
                }
            }
            rest = &rest[end + 2..];
            continue;
        }
        if line_start && c == '#' {
            let end = rest.find('\n').unwrap_or(rest.len());
            define(&rest[..end], defines)?;
            rest = &rest[end..];
            continue;
        }
        if rest.starts_with("extern \"C\" {") {
            rest = &rest["extern \"C\" {".len()..];
            continue;
        }
        rest = &rest[c.len_utf8()..];
        line_start = c == '\n' || (line_start && c.is_whitespace());
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => continue, // the close of `extern "C" {`
            '}' => depth -= 1,
            ';' if depth == 0 => {
                out.push(Statement {
                    code: std::mem::take(&mut code),
                    doc: std::mem::take(&mut doc),
                });
                continue;
            }
            _ => {}
        }
        code.push(c);
    }
    if !code.trim().is_empty() {
        return err(format!("text after the last `;`: {}", code.trim()));
    }
    Ok(out)
}

/// Keeps `#define PYUN_X value`; other preprocessor lines (guards, includes) carry nothing.
fn define(line: &str, defines: &mut Vec<Define>) -> Result<(), ParseError> {
    let Some(rest) = line.strip_prefix("#define ") else {
        return Ok(());
    };
    let mut parts = rest.splitn(2, ' ');
    let name = parts.next().unwrap_or_default().to_string();
    let value = parts.next().unwrap_or_default().trim();
    if value.is_empty() {
        return Ok(()); // the include guard
    }
    let value = if let Some(s) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        DefineValue::Str(s.to_string())
    } else if let Ok(n) = value.parse() {
        DefineValue::Int(n)
    } else {
        return err(format!(
            "#define {name}: a value that is not a number nor a string: {value}"
        ));
    };
    defines.push(Define { name, value });
    Ok(())
}

/// "const char *x" -> ("const char*", "x").
fn split_decl(decl: &str) -> Result<(String, String), ParseError> {
    let decl = decl.split_whitespace().collect::<Vec<_>>().join(" ");
    let at = decl
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .ok_or_else(|| ParseError(format!("no type in `{decl}`")))?;
    let name = decl[at + 1..].to_string();
    let ty = decl[..=at].replace(" *", "*").trim().to_string();
    if name.is_empty() || ty.is_empty() {
        return err(format!("cannot read the declaration `{decl}`"));
    }
    Ok((ty, name))
}

/// The parameter list between parentheses: (type, name) pairs; `void` is none.
fn param_list(list: &str) -> Result<Vec<(String, String)>, ParseError> {
    let list = list.trim();
    if list == "void" || list.is_empty() {
        return Ok(Vec::new());
    }
    list.split(',').map(split_decl).collect()
}

impl Abi {
    pub fn parse(text: &str) -> Result<Abi, ParseError> {
        let mut abi = Abi::default();
        for st in statements(text, &mut abi.defines)? {
            let code = st.code.trim();
            if let Some(body) = code.strip_prefix("typedef enum") {
                abi.enums.push(parse_enum(body, st.doc)?);
            } else if let Some(rest) = code.strip_prefix("typedef struct ") {
                let mut words = rest.split_whitespace();
                match (words.next(), words.next(), words.next()) {
                    (Some(a), Some(b), None) if a == b => abi.handles.push(a.to_string()),
                    _ => return err(format!("unexpected struct typedef `{code}`")),
                }
            } else if let Some(rest) = code.strip_prefix("typedef void (*") {
                let (name, params) = rest
                    .split_once(")(")
                    .and_then(|(n, p)| Some((n, p.strip_suffix(')')?)))
                    .ok_or_else(|| ParseError(format!("unexpected callback typedef `{code}`")))?;
                abi.callbacks.push(parse_callback(name, params, st.doc)?);
            } else if code.starts_with("typedef") {
                return err(format!("unexpected typedef `{code}`"));
            } else {
                let f = parse_function(&abi, code, st.doc)?;
                abi.functions.push(f);
            }
        }
        if abi.functions.is_empty() {
            return err("no functions found");
        }
        Ok(abi)
    }

    pub fn function(&self, name: &str) -> Option<&Function> {
        self.functions.iter().find(|f| f.name == name)
    }
}

fn parse_enum(body: &str, doc: String) -> Result<Enum, ParseError> {
    let body = body.trim();
    let close = body
        .rfind('}')
        .ok_or_else(|| ParseError("enum without `}`".into()))?;
    let name = body[close + 1..].trim().to_string();
    let inner = body[..close].trim().trim_start_matches('{');
    let mut variants = Vec::new();
    // Commas outside the marked docs separate the variants.
    let mut items = vec![String::new()];
    let mut in_doc = false;
    for c in inner.chars() {
        match c {
            DOC_START => in_doc = true,
            DOC_END => in_doc = false,
            ',' if !in_doc => {
                items.push(String::new());
                continue;
            }
            _ => {}
        }
        items.last_mut().expect("one item at least").push(c);
    }
    for item in &items {
        let (vdoc, code) = match (item.find(DOC_START), item.find(DOC_END)) {
            (Some(a), Some(b)) => (item[a + 1..b].to_string(), &item[b + 1..]),
            _ => (String::new(), item.as_str()),
        };
        let Some((vname, value)) = code.split_once('=') else {
            return err(format!(
                "enum {name}: a variant without `= value`: `{}`",
                code.trim()
            ));
        };
        let value = value
            .trim()
            .parse()
            .map_err(|_| ParseError(format!("enum {name}: `{}` is not a number", value.trim())))?;
        variants.push((vname.trim().to_string(), value, vdoc));
    }
    Ok(Enum {
        name,
        doc,
        variants,
    })
}

fn parse_callback(name: &str, params: &str, doc: String) -> Result<Callback, ParseError> {
    let params = param_list(params)?
        .into_iter()
        .map(|(ty, pname)| {
            let kind = match ty.as_str() {
                "void*" => CbKind::Userdata,
                "const char*" => CbKind::Str,
                t => CbKind::Int(Int::of(t).ok_or_else(|| {
                    ParseError(format!(
                        "callback {name}: unknown parameter type `{t} {pname}`"
                    ))
                })?),
            };
            Ok((pname, kind))
        })
        .collect::<Result<_, ParseError>>()?;
    Ok(Callback {
        name: name.to_string(),
        doc,
        params,
    })
}

fn parse_function(abi: &Abi, code: &str, doc: String) -> Result<Function, ParseError> {
    let open = code
        .find('(')
        .filter(|_| code.ends_with(')'))
        .ok_or_else(|| ParseError(format!("not a function declaration: `{code}`")))?;
    let (ret, name) = split_decl(&code[..open])?;
    let ret = match ret.as_str() {
        "void" => Ret::Void,
        "const char*" => Ret::StaticStr,
        t if abi.enums.iter().any(|e| e.name == t) => Ret::Enum(t.to_string()),
        t => Ret::Int(
            Int::of(t).ok_or_else(|| ParseError(format!("{name}: unknown return type `{t}`")))?,
        ),
    };
    let raw = param_list(&code[open + 1..code.len() - 1])?;
    let params = classify(abi, &name, &raw)?;
    if params.iter().any(|p| matches!(p.kind, Kind::OutBuf { .. })) && ret != Ret::Int(Int::Usize) {
        return err(format!(
            "{name}: a caller's buffer, but the length is not returned"
        ));
    }
    Ok(Function {
        name,
        doc,
        ret,
        params,
    })
}

/// Gives each parameter (or pair) its kind, from its C type and the one after it.
fn classify(abi: &Abi, func: &str, raw: &[(String, String)]) -> Result<Vec<Param>, ParseError> {
    let handle = |t: &str| abi.handles.iter().any(|h| h == t);
    let mut out = Vec::new();
    let mut i = 0;
    while i < raw.len() {
        let (ty, name) = (&raw[i].0, raw[i].1.clone());
        let next = raw.get(i + 1).map(|(t, n)| (t.as_str(), n.clone()));
        let mut pair = |kind: Kind| {
            i += 1;
            kind
        };
        let kind = match (ty.as_str(), next) {
            ("const char*", _) => Kind::InStr,
            ("char**", _) => Kind::OutStr,
            ("char*", Some(("size_t", len))) => pair(Kind::OutBuf { len }),
            ("char*", _) => Kind::GivenBackStr,
            ("const uint8_t*", Some(("size_t", len))) => pair(Kind::InBytes { len }),
            ("uint8_t**", Some(("size_t*", len))) => pair(Kind::OutBytes { len }),
            ("uint8_t*", Some(("size_t", len))) => pair(Kind::GivenBackBytes { len }),
            (t, Some(("void*", userdata))) if abi.callbacks.iter().any(|c| c.name == t) => {
                pair(Kind::Callback {
                    ty: t.to_string(),
                    userdata,
                })
            }
            (t, _) => {
                let base = t.trim_start_matches("const ").trim_end_matches('*');
                let stars = t.len() - t.trim_end_matches('*').len();
                let is_const = t.starts_with("const ");
                match (stars, is_const) {
                    (1, true) if handle(base) => Kind::Handle(base.to_string()),
                    (1, false) if handle(base) => Kind::Release(base.to_string()),
                    (2, false) if handle(base) => Kind::OutHandle(base.to_string()),
                    (0, false) if Int::of(base).is_some() => Kind::Int(Int::of(base).unwrap()),
                    (1, false) if Int::of(base).is_some() => Kind::OutInt(Int::of(base).unwrap()),
                    (1, false) if abi.enums.iter().any(|e| e.name == base) => {
                        Kind::OutEnum(base.to_string())
                    }
                    _ => {
                        return err(format!(
                            "{func}: parameter `{t} {name}` has no kind (xtask/src/header.rs: \
                             classify it, then map it in each kit)"
                        ))
                    }
                }
            }
        };
        out.push(Param { name, kind });
        i += 1;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
#ifndef PYUN_H
#define PYUN_H
#include <stdint.h>
#define PYUN_VERSION_STRING "9.8.7"
#define PYUN_CHARSET_GBK 936
/**
 * Results.
 */
typedef enum {
  /**
   * Fine.
   */
  PYUN_RESULT_OK = 0,
  PYUN_RESULT_PANIC = 99
} pyun_result;
/** A thing. */
typedef struct pyun_thing pyun_thing;
typedef void (*pyun_cb)(void *userdata, uint32_t level, const char *text);
#ifdef __cplusplus
extern "C" {
#endif  /* __cplusplus */
/**
 * Does it.
 */
pyun_result pyun_do(const pyun_thing *thing,
                    const char *name,
                    const uint8_t *body, size_t body_len,
                    bool flag, int16_t small,
                    uint64_t *out_count,
                    pyun_cb cb, void *userdata,
                    pyun_result *out_rc,
                    pyun_thing **out_thing);
void pyun_thing_free(pyun_thing *thing);
size_t pyun_msg(char *buf, size_t len);
const char *pyun_version(void);
#ifdef __cplusplus
}  /* extern "C" */
#endif  /* __cplusplus */
#endif  /* PYUN_H */
"#;

    #[test]
    fn reads_every_shape_of_the_header() {
        let abi = Abi::parse(SAMPLE).unwrap();
        assert_eq!(
            abi.defines,
            vec![
                Define {
                    name: "PYUN_VERSION_STRING".into(),
                    value: DefineValue::Str("9.8.7".into())
                },
                Define {
                    name: "PYUN_CHARSET_GBK".into(),
                    value: DefineValue::Int(936)
                },
            ]
        );
        assert_eq!(abi.enums[0].name, "pyun_result");
        assert_eq!(abi.enums[0].doc, "Results.");
        assert_eq!(
            abi.enums[0].variants,
            vec![
                ("PYUN_RESULT_OK".into(), 0, "Fine.".into()),
                ("PYUN_RESULT_PANIC".into(), 99, String::new())
            ]
        );
        assert_eq!(abi.handles, vec!["pyun_thing".to_string()]);
        assert_eq!(
            abi.callbacks[0].params,
            vec![
                ("userdata".into(), CbKind::Userdata),
                ("level".into(), CbKind::Int(Int::U32)),
                ("text".into(), CbKind::Str)
            ]
        );
        let f = abi.function("pyun_do").unwrap();
        assert_eq!(f.doc, "Does it.");
        assert_eq!(f.ret, Ret::Enum("pyun_result".into()));
        let kinds: Vec<_> = f.params.iter().map(|p| p.kind.clone()).collect();
        assert_eq!(
            kinds,
            vec![
                Kind::Handle("pyun_thing".into()),
                Kind::InStr,
                Kind::InBytes {
                    len: "body_len".into()
                },
                Kind::Int(Int::Bool),
                Kind::Int(Int::I16),
                Kind::OutInt(Int::U64),
                Kind::Callback {
                    ty: "pyun_cb".into(),
                    userdata: "userdata".into()
                },
                Kind::OutEnum("pyun_result".into()),
                Kind::OutHandle("pyun_thing".into()),
            ]
        );
        let free = abi.function("pyun_thing_free").unwrap();
        assert_eq!(free.params[0].kind, Kind::Release("pyun_thing".into()));
        let msg = abi.function("pyun_msg").unwrap();
        assert_eq!(msg.params.len(), 1);
        assert_eq!(msg.ret, Ret::Int(Int::Usize));
        assert_eq!(abi.function("pyun_version").unwrap().ret, Ret::StaticStr);
    }

    #[test]
    fn refuses_what_it_does_not_know() {
        let unknown = "typedef enum { A = 0 } pyun_result;\nfloat pyun_f(double x);\n";
        let e = Abi::parse(unknown).unwrap_err().to_string();
        assert!(e.contains("pyun_f: unknown return type `float`"), "{e}");
        let param = "void pyun_g(double x);\n";
        let e = Abi::parse(param).unwrap_err().to_string();
        assert!(
            e.contains("pyun_g: parameter `double x` has no kind"),
            "{e}"
        );
    }

    #[test]
    fn reads_the_real_header() {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../include/pyun.h"))
                .unwrap();
        let abi = Abi::parse(&text).unwrap();
        let verify = abi.function("pyun_verify_push_request").unwrap();
        assert_eq!(verify.params.len(), 6); // body + body_len read as one
        assert!(abi.function("pyun_explain_files").is_some());
        assert_eq!(abi.enums.len(), 2);
        assert_eq!(abi.handles.len(), 4);
    }
}
