//! bindings-delphi/PyunImports.inc: the constants, types and cdecl `external` declarations
//! Pyun.pas includes in its interface (Delphi 7 and newer, Free Pascal).

use crate::header::{Abi, CbKind, DefineValue, Function, Int, Kind, Ret};
use crate::text::{block_comment, first_sentence, pascal, safe_ident, wrap_list};
use crate::{GENERATED, WIDTH};

pub const PATH: &str = "bindings-delphi/PyunImports.inc";

const RESERVED: &str = "\
    and array as asm begin case class const constructor destructor div do downto else end \
    except file finalization finally for function goto if implementation in inherited \
    initialization inline interface is label library mod nil not object of or out packed \
    procedure program property raise record repeat resourcestring set shl shr string then \
    threadvar to try type unit until uses var while with xor result";

fn name(c: &str) -> String {
    safe_ident(c.to_string(), RESERVED)
}

/// pyun_client -> PPyunClientHandle.
fn handle_type(c: &str) -> String {
    format!("PPyun{}Handle", pascal(c.trim_start_matches("pyun_")))
}

/// pyun_result -> TPyunResult.
fn enum_type(c: &str) -> String {
    "T".to_string() + &pascal(c)
}

/// pyun_event_callback -> TPyunEventCallback.
fn callback_type(c: &str) -> String {
    "T".to_string() + &pascal(c)
}

fn int(i: Int) -> &'static str {
    match i {
        Int::I8 => "ShortInt",
        Int::U8 => "Byte",
        Int::I16 => "SmallInt",
        Int::U16 => "Word",
        Int::I32 => "Integer",
        Int::U32 => "Cardinal",
        Int::I64 => "Int64",
        // Int64 has the size; Delphi 7 has no true UInt64.
        Int::U64 => "Int64",
        Int::Usize => "TPyunSize",
        Int::Bool => "ByteBool",
    }
}

fn int_ptr(i: Int) -> &'static str {
    match i {
        Int::I8 => "PShortInt",
        Int::U8 | Int::Bool => "PByte",
        Int::I16 => "PSmallInt",
        Int::U16 => "PWord",
        Int::I32 => "PInteger",
        Int::U32 => "PCardinal",
        Int::I64 | Int::U64 => "PInt64",
        Int::Usize => "PPyunSize",
    }
}

fn params(f: &Function) -> Vec<String> {
    let mut out = Vec::new();
    for p in &f.params {
        let n = name(&p.name);
        let mut push = |n: &str, t: &str| out.push(format!("{n}: {t}"));
        match &p.kind {
            Kind::InStr | Kind::GivenBackStr => push(&n, "PAnsiChar"),
            Kind::OutStr => push(&n, "PPAnsiChar"),
            Kind::OutBuf { len } => {
                push(&n, "PAnsiChar");
                push(&name(len), "TPyunSize");
            }
            Kind::InBytes { len } | Kind::GivenBackBytes { len } => {
                push(&n, "PByte");
                push(&name(len), "TPyunSize");
            }
            Kind::OutBytes { len } => {
                push(&n, "PPByte");
                push(&name(len), "PPyunSize");
            }
            Kind::Handle(h) | Kind::Release(h) => push(&n, &handle_type(h)),
            Kind::OutHandle(_) => push(&n, "PPointer"),
            Kind::Callback { ty, userdata } => {
                push(&n, &callback_type(ty));
                push(&name(userdata), "Pointer");
            }
            Kind::Int(i) => push(&n, int(*i)),
            Kind::OutInt(i) => push(&n, int_ptr(*i)),
            Kind::OutEnum(e) => push(&n, &format!("P{}", &enum_type(e)[1..])),
        }
    }
    out
}

fn ret(r: &Ret) -> Option<String> {
    match r {
        Ret::Void => None,
        Ret::Enum(e) => Some(enum_type(e)),
        Ret::StaticStr => Some("PAnsiChar".into()),
        Ret::Int(i) => Some(int(*i).into()),
    }
}

fn comment(out: &mut Vec<String>, indent: &str, doc: &str) {
    if doc.is_empty() {
        return;
    }
    // `*)` would end the comment early.
    let doc = doc.replace("*)", "* )");
    out.extend(block_comment(&doc, indent, "(*", "  ", "*)"));
}

pub fn generate(abi: &Abi) -> String {
    let mut o: Vec<String> = vec![
        format!("{{ PyunImports.inc: {GENERATED}. }}"),
        "{ Included by Pyun.pas (interface), after PyunLib and TPyunSize. Every export is cdecl;"
            .into(),
        "  uint64_t is declared Int64 (its size: Delphi 7 has no true UInt64). docs/kits.md }"
            .into(),
        String::new(),
        "const".into(),
    ];
    for d in &abi.defines {
        match &d.value {
            DefineValue::Int(v) => o.push(format!("  {} = {v};", d.name)),
            DefineValue::Str(s) => o.push(format!("  {} = '{}';", d.name, s.replace('\'', "''"))),
        }
    }
    for e in &abi.enums {
        o.push(String::new());
        comment(
            &mut o,
            "  ",
            &format!("{} (C enum, 4 bytes): {}", e.name, e.doc),
        );
        for (v, n, _) in &e.variants {
            o.push(format!("  {v} = {n};"));
        }
    }
    o.push(String::new());
    o.push("type".into());
    for e in &abi.enums {
        let t = enum_type(&e.name);
        o.push(format!("  {t} = Integer; {{ {} }}", e.name));
        o.push(format!("  P{} = ^{t};", &t[1..]));
    }
    o.push("  PPAnsiChar = ^PAnsiChar;".into());
    o.push("  PPByte = ^PByte;".into());
    for h in &abi.handles {
        o.push(format!(
            "  {} = Pointer; {{ {h} *, opaque }}",
            handle_type(h)
        ));
    }
    for cb in &abi.callbacks {
        comment(&mut o, "  ", first_sentence(&cb.doc));
        let ps: Vec<String> = cb
            .params
            .iter()
            .map(|(n, k)| {
                let t = match k {
                    CbKind::Userdata => "Pointer",
                    CbKind::Str => "PAnsiChar",
                    CbKind::Int(i) => int(*i),
                };
                format!("{}: {t}", name(n))
            })
            .collect();
        let head = format!("  {} = procedure(", callback_type(&cb.name));
        o.push(wrap_list(&head, &ps, "; ", "); cdecl;", WIDTH, "", "    "));
    }
    for f in &abi.functions {
        o.push(String::new());
        comment(&mut o, "", first_sentence(&f.doc));
        let ps = params(f);
        let tail = match ret(&f.ret) {
            Some(r) if ps.is_empty() => format!(": {r}; cdecl; external PyunLib;"),
            Some(r) => format!("): {r}; cdecl; external PyunLib;"),
            None if ps.is_empty() => "; cdecl; external PyunLib;".into(),
            None => "); cdecl; external PyunLib;".into(),
        };
        let word = if f.ret == Ret::Void {
            "procedure"
        } else {
            "function"
        };
        let head = if ps.is_empty() {
            format!("{word} {}", f.name)
        } else {
            format!("{word} {}(", f.name)
        };
        o.push(wrap_list(&head, &ps, "; ", &tail, WIDTH, "", "  "));
    }
    o.join("\n") + "\n"
}

pub fn declares(text: &str, export: &str) -> bool {
    text.lines().any(|l| {
        (l.starts_with("function ") || l.starts_with("procedure "))
            && (l.contains(&format!(" {export}("))
                || l.contains(&format!(" {export}:"))
                || l.contains(&format!(" {export};")))
    })
}
