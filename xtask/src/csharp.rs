//! bindings-dotnet/src/Native.g.cs: the P/Invoke declarations of Pyun.Net (C# 4, .NET 4.0).

use crate::header::{Abi, CbKind, Function, Int, Kind, Ret};
use crate::text::{camel, pascal, safe_ident, wrap_list, wrap_words};
use crate::{GENERATED, WIDTH};

pub const PATH: &str = "bindings-dotnet/src/Native.g.cs";

const RESERVED: &str = "\
    base bool byte char checked class const decimal default delegate double event explicit \
    extern fixed float implicit in int interface internal is lock long namespace new object \
    operator out override params private protected public readonly ref sbyte sealed short \
    sizeof static string struct this uint ulong unchecked unsafe ushort using virtual void \
    volatile";

fn name(c: &str) -> String {
    safe_ident(camel(c.strip_prefix("out_").unwrap_or(c)), RESERVED)
}

/// pyun_client -> ClientHandle (the SafeHandle classes of Native.cs).
pub fn handle_class(c: &str) -> String {
    pascal(c.trim_start_matches("pyun_")) + "Handle"
}

/// pyun_result -> PyunResult.
fn enum_name(c: &str) -> String {
    pascal(c)
}

/// pyun_event_callback -> NativeEventCallback.
fn delegate_name(c: &str) -> String {
    "Native".to_string() + &pascal(c.trim_start_matches("pyun_"))
}

fn int(i: Int) -> &'static str {
    match i {
        Int::I8 => "sbyte",
        Int::U8 => "byte",
        Int::I16 => "short",
        Int::U16 => "ushort",
        Int::I32 => "int",
        Int::U32 => "uint",
        Int::I64 => "long",
        Int::U64 => "ulong",
        Int::Usize => "UIntPtr",
        Int::Bool => "[MarshalAs(UnmanagedType.U1)] bool",
    }
}

fn params(f: &Function) -> Vec<String> {
    // A sender's SafeHandle must own the callback's delegate before it owns the pointer
    // (Outbox.cs sets both in one constrained region): with a callback, the handle comes
    // back as a raw IntPtr.
    let has_callback = f
        .params
        .iter()
        .any(|p| matches!(p.kind, Kind::Callback { .. }));
    let mut out = Vec::new();
    for p in &f.params {
        let n = name(&p.name);
        match &p.kind {
            Kind::InStr => out.push(format!("byte[] {n}")),
            Kind::OutStr => out.push(format!("out IntPtr {n}")),
            Kind::OutBuf { len } => {
                out.push(format!("byte[] {n}"));
                out.push(format!("UIntPtr {}", name(len)));
            }
            Kind::GivenBackStr => out.push(format!("IntPtr {n}")),
            Kind::InBytes { len } => {
                out.push(format!("byte[] {n}"));
                out.push(format!("UIntPtr {}", name(len)));
            }
            Kind::OutBytes { len } => {
                out.push(format!("out IntPtr {n}"));
                out.push(format!("out UIntPtr {}", name(len)));
            }
            Kind::GivenBackBytes { len } => {
                out.push(format!("IntPtr {n}"));
                out.push(format!("UIntPtr {}", name(len)));
            }
            Kind::Handle(h) => out.push(format!("{} {n}", handle_class(h))),
            // Called from SafeHandle.ReleaseHandle, which has the raw pointer.
            Kind::Release(_) => out.push(format!("IntPtr {n}")),
            Kind::OutHandle(_) if has_callback => out.push(format!("out IntPtr {n}")),
            Kind::OutHandle(h) => out.push(format!("out {} {n}", handle_class(h))),
            Kind::Callback { ty, userdata } => {
                out.push(format!("{} {n}", delegate_name(ty)));
                out.push(format!("IntPtr {}", name(userdata)));
            }
            Kind::Int(i) => out.push(format!("{} {n}", int(*i))),
            Kind::OutInt(Int::Bool) => {
                out.push(format!("[MarshalAs(UnmanagedType.U1)] out bool {n}"))
            }
            Kind::OutInt(i) => out.push(format!("out {} {n}", int(*i))),
            Kind::OutEnum(e) => out.push(format!("out {} {n}", enum_name(e))),
        }
    }
    out
}

fn ret(r: &Ret) -> (String, &'static str) {
    match r {
        Ret::Void => ("void".into(), ""),
        Ret::Enum(e) => (enum_name(e), ""),
        Ret::StaticStr => ("IntPtr".into(), ""),
        Ret::Int(Int::Bool) => ("bool".into(), "[return: MarshalAs(UnmanagedType.U1)] "),
        Ret::Int(i) => (int(*i).into(), ""),
    }
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn summary(out: &mut Vec<String>, indent: &str, doc: &str) {
    if doc.is_empty() {
        return;
    }
    let text = format!("<summary>{}</summary>", xml(doc));
    out.extend(wrap_words(&text, &format!("{indent}/// "), WIDTH));
}

pub fn generate(abi: &Abi) -> String {
    let mut o: Vec<String> = vec![
        format!("// Native.g.cs: {GENERATED}."),
        "// The exports of pyun.h, one to one (cdecl). Strings in: NUL-terminated UTF-8 byte[]"
            .into(),
        "// (.NET 4.0 has no UnmanagedType.LPUTF8Str); strings out: IntPtr, read and released by"
            .into(),
        "// NativeMethods.Take. Handles: the SafeHandle classes of Native.cs. See docs/kits.md."
            .into(),
        "using System;".into(),
        "using System.Runtime.InteropServices;".into(),
        String::new(),
        "namespace PyunNet".into(),
        "{".into(),
    ];
    for e in &abi.enums {
        summary(&mut o, "    ", &format!("{}: {}", e.name, e.doc));
        o.push(format!("    public enum {}", enum_name(&e.name)));
        o.push("    {".into());
        let prefix = e.name.to_ascii_uppercase() + "_";
        for (v, n, doc) in &e.variants {
            summary(&mut o, "        ", doc);
            o.push(format!(
                "        {} = {n},",
                pascal(v.trim_start_matches(&prefix))
            ));
        }
        o.push("    }".into());
        o.push(String::new());
    }
    for cb in &abi.callbacks {
        summary(&mut o, "    ", &format!("{}: see pyun.h.", cb.name));
        o.push("    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]".into());
        let ps: Vec<String> = cb
            .params
            .iter()
            .map(|(n, k)| {
                let ty = match k {
                    CbKind::Userdata | CbKind::Str => "IntPtr",
                    CbKind::Int(i) => int(*i),
                };
                format!("{ty} {}", name(n))
            })
            .collect();
        let head = format!("    internal delegate void {}(", delegate_name(&cb.name));
        o.push(wrap_list(&head, &ps, ", ", ");", WIDTH, "", "        "));
        o.push(String::new());
    }
    o.push("    internal static partial class NativeMethods".into());
    o.push("    {".into());
    o.push("        internal const string Library = \"pyun\";".into());
    for d in &abi.defines {
        let n = pascal(d.name.trim_start_matches("PYUN_"));
        match &d.value {
            crate::header::DefineValue::Int(v) => {
                o.push(format!("        internal const uint {n} = {v};"))
            }
            crate::header::DefineValue::Str(s) => {
                o.push(format!("        internal const string {n} = \"{s}\";"))
            }
        }
    }
    for f in &abi.functions {
        o.push(String::new());
        summary(&mut o, "        ", crate::text::first_sentence(&f.doc));
        o.push("        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]".into());
        let (r, attr) = ret(&f.ret);
        let head = format!("        {attr}internal static extern {r} {}(", f.name);
        o.push(wrap_list(
            &head,
            &params(f),
            ", ",
            ");",
            WIDTH,
            "",
            "            ",
        ));
    }
    o.push("    }".into());
    o.push("}".into());
    o.join("\n") + "\n"
}

/// Where each export is declared in the committed file, for the coverage check.
pub fn declares(text: &str, export: &str) -> bool {
    text.lines()
        .any(|l| l.contains("static extern ") && l.contains(&format!(" {export}(")))
}
