#!/usr/bin/env python3
"""Checks that the code a user pastes from the kits' docs, and the VB6 sample, works as pasted
(scripts/test-c.sh runs it).

    doc_snippets.py OUT_DIR PYUN_NET_DLL LIBPYUN_DIR PYUN_BIN SANDBOX_URL

Every fenced block of docs/dotnet.md (```csharp), docs/delphi.md (```pascal) and docs/vb6.md
(```vb) must follow a marker line that says how it is checked; an unmarked block fails:

    <!-- snippet csharp statements: DECLARATIONS -->   `using` lines, then statements: the usings
                                                       go on top, the rest into a method of a class
                                                       holding DECLARATIONS (what the snippet
                                                       assumes the program has); mcs -langversion:4
    <!-- snippet csharp members: DECLARATIONS -->      fields and methods of a class (the form)
    <!-- snippet pascal: DECLARATIONS -->              `uses` line, then `var` ... `begin` ... `end;`:
                                                       a procedure of a {$mode delphi} program
                                                       (Pyun.pas), DECLARATIONS before it; fpc
    <!-- snippet vb6 -->                               VB6 (see vb6_check)

VB6 cannot be compiled here. vb6_check: every call of a pyun_vb6_* / Pyun* routine names a
Declare or helper of bindings-vb6/Pyun.bas (which scripts/windows.sh checks against the built
pyun_vb6.dll's exports and stdcall sizes) with as many arguments as it has parameters, every
PYUN_* constant is defined there, and the record the code builds (`rec("field") = value`, the
Scripting.Dictionary PyunRecordJson turns into JSON) is pushed with the same endpoint by the
pyun CLI to the sandbox, which must accept it. The VB6 sample (samples/vb6/*.frm) is checked the
same way, and must not call the blocking pyun_vb6_client_push / pyun_vb6_outbox_drain (it runs
on the UI thread) nor declare anything itself; its .vbp must name files that are where the
release zip puts them, and start one of its forms.
Prints one line per block, then "doc-snippets: N passed, N failed"."""
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
out_dir, pyun_net, lib_dir, pyun_bin, url = sys.argv[1:6]
os.makedirs(out_dir, exist_ok=True)
passed = failed = 0


def report(ok, what, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"doc-snippets: ok   {what}")
    else:
        failed += 1
        print(f"doc-snippets: FAIL {what}: {detail}")


def blocks(doc):
    """(line number, marker or None, language, code) of every fenced block of doc."""
    lines = open(os.path.join(ROOT, doc), encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r"^```(\w*)\s*$", lines[i])
        if m:
            start, j = i, i + 1
            while not lines[j].startswith("```"):
                j += 1
            marker = None
            k = start - 1
            while k >= 0 and not lines[k].strip():
                k -= 1
            if k >= 0:
                mm = re.match(r"^<!-- snippet (.*?) -->$", lines[k].strip())
                marker = mm.group(1) if mm else None
            yield start + 1, marker, m.group(1), "\n".join(lines[start + 1:j])
            i = j
        i += 1


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def check_csharp(name, kind, decls, code):
    usings = [ln for ln in code.split("\n") if re.match(r"^using [\w.]+;\s*$", ln)]
    body = "\n".join(ln for ln in code.split("\n") if ln not in usings)
    head = "\n".join(dict.fromkeys(usings + ["using System;"]))
    if kind == "statements":
        src = f"{head}\nclass Snippet\n{{\n{decls}\nvoid Run()\n{{\n{body}\n}}\n}}\n"
    else:  # members of the program's form
        src = f"{head}\nclass Snippet : System.Windows.Forms.Form\n{{\n{decls}\n{body}\n}}\n"
    path = os.path.join(out_dir, name + ".cs")
    open(path, "w", encoding="utf-8").write(src)
    r = run(["mcs", "-langversion:4", "-target:library", "-warnaserror", "-nowarn:169,649,414,219", "-nologo",
             "-r:" + pyun_net, "-r:System.Windows.Forms", "-out:" + os.path.join(out_dir, name + ".dll"), path])
    return r.returncode == 0, (r.stdout + r.stderr).strip()


def check_pascal(name, decls, code):
    m = re.match(r"\s*uses\s+([^;]*);\s*\n", code)
    uses = [u.strip() for u in m.group(1).split(",")] if m else []
    body = code[m.end():] if m else code
    uses = list(dict.fromkeys(["cthreads"] + uses + ["Classes"]))
    src = (f"program {name};\n{{$mode delphi}}\nuses {', '.join(uses)};\n{decls}\n"
           f"procedure Snippet;\n{body}\nbegin\nend.\n")
    path = os.path.join(out_dir, name + ".dpr")
    open(path, "w", encoding="utf-8").write(src)
    units = os.path.join(out_dir, name + "-units")
    os.makedirs(units, exist_ok=True)
    r = run(["fpc", "-vw", "-Fu" + os.path.join(ROOT, "bindings-delphi"), "-Fl" + lib_dir,
             "-FU" + units, "-o" + os.path.join(out_dir, name), path])
    return r.returncode == 0, "\n".join(ln for ln in r.stdout.split("\n") if "Error" in ln or "Warning" in ln
                                        or "Fatal" in ln)[:2000]


# --- VB6 ---------------------------------------------------------------------------------------
BAS = open(os.path.join(ROOT, "bindings-vb6", "Pyun.bas"), encoding="ascii").read().replace("\r\n", "\n")
BAS = re.sub(r" _\n\s*", " ", BAS)
ROUTINES = {}  # name -> (required, total) parameter counts
for m in re.finditer(r"^(?:Public\s+)?(?:Declare\s+)?(?:Function|Sub)\s+(\w+)(?:\s+Lib\s+\"[^\"]+\")?"
                     r"(?:\s+Alias\s+\"[^\"]+\")?\s*\(([^)]*)\)", BAS, re.M):
    params = [p.strip() for p in m.group(2).split(",") if p.strip()]
    ROUTINES[m.group(1)] = (sum(1 for p in params if not p.startswith("Optional")), len(params))
CONSTANTS = set(re.findall(r"^\s*(?:Public\s+)?(?:Const\s+)?(PYUN_\w+)(?:\s+As\s+\w+)?\s*=", BAS, re.M))
CONSTANTS |= set(re.findall(r"^Public\s+(PYUN_\w+)\s+As\s", BAS, re.M))
# What the VB6 code's own variables stand for in the record check: a lot's typical values.
VB6_VALUES = {"parkUuid": "49f0cc52-e8c7-41e3-b54d-af666b8cc11a", "txtPlate.Text": "粤B12345",
              "serial": f"VB6-SAMPLE-{os.getpid()}", "enterTime": "1763791200000"}


def split_args(s):
    """Top-level comma-separated arguments of s (parentheses and strings respected)."""
    args, depth, cur, in_str = [], 0, "", False
    for ch in s:
        if ch == '"':
            in_str = not in_str
        if not in_str:
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            elif ch == "," and depth == 0:
                args.append(cur)
                cur = ""
                continue
        cur += ch
    if cur.strip():
        args.append(cur)
    return [a.strip() for a in args]


def vb6_mask(code):
    """code with its string literals as \x02N\x02 (so `'` and `:` in them are not syntax) and
    without comments and line continuations; the literals' values."""
    strings = []

    def keep(m):
        strings.append(m.group(0)[1:-1].replace('""', '"'))
        return f"\x02{len(strings) - 1}\x02"

    text = re.sub(r'"(?:[^"\n]|"")*"', keep, code)
    text = re.sub(r"'[^\n]*", "", text)
    return re.sub(r" _\n\s*", " ", text), strings


def vb6_calls(text):
    """(name, args) of every call of a Pyun.bas routine in text: `f(a, b)` and `f a, b`."""
    calls = []
    for line in text.split("\n"):
        for stmt in re.split(r":\s", line):
            for m in re.finditer(r"\b(pyun_vb6_\w+|Pyun[A-Z]\w*)\b", stmt):
                name, rest = m.group(1), stmt[m.end():]
                if rest.startswith("("):
                    depth = 0
                    for i, ch in enumerate(rest):
                        depth += ch == "("
                        depth -= ch == ")"
                        if depth == 0:
                            break
                    calls.append((name, split_args(rest[1:i])))
                elif stmt[:m.start()].strip() in ("", "Call", "Then", "Else") or \
                        re.search(r"\bThen\s*$", stmt[:m.start()]):
                    calls.append((name, split_args(rest.strip())))
                else:
                    calls.append((name, None))  # a reference without arguments
    return calls


def vb6_value(expr, strings, consts):
    expr = expr.strip()
    m = re.fullmatch(r"\x02(\d+)\x02", expr)
    if m:
        return strings[int(m.group(1))]
    if re.fullmatch(r"-?\d+", expr):
        return int(expr)
    if expr in consts:
        return consts[expr]
    if expr in VB6_VALUES:
        return VB6_VALUES[expr]
    raise ValueError(f"cannot evaluate `{expr}` (add it to VB6_VALUES)")


def check_vb6(name, code, ui_thread=False):
    problems = []
    text, strings = vb6_mask(code)
    calls = vb6_calls(text)
    consts = {m.group(1): strings[int(m.group(2))] for m in
              re.finditer(r"\bConst\s+(\w+)\s+As\s+String\s*=\s*\x02(\d+)\x02", text)}
    for routine, args in calls:
        if routine not in ROUTINES:
            problems.append(f"{routine} is not declared in Pyun.bas")
        elif args is not None:
            low, high = ROUTINES[routine]
            if not low <= len(args) <= high:
                problems.append(f"{routine} takes {high} arguments, called with {len(args)}")
        if ui_thread and routine in ("pyun_vb6_client_push", "pyun_vb6_outbox_drain"):
            problems.append(f"{routine} blocks while it talks to the platform: not on the UI thread")
    if ui_thread and "pyun_vb6_outbox_events" not in {c for c, _ in calls}:
        problems.append("no pyun_vb6_outbox_events: the outcomes are never shown")
    if re.search(r"\bDeclare\s+(Function|Sub)\b", text):
        problems.append("a Declare of its own: only Pyun.bas's are checked against pyun_vb6.dll")
    for const in set(re.findall(r"\bPYUN_\w+\b", text)):
        if const not in CONSTANTS:
            problems.append(f"{const} is not defined in Pyun.bas")
    record = {}
    for m in re.finditer(r"\brec\(\x02(\d+)\x02\)\s*=\s*([^:\n]+)", text):
        try:
            record[strings[int(m.group(1))]] = vb6_value(m.group(2), strings, consts)
        except ValueError as e:
            problems.append(str(e))
    sends = [args for routine, args in calls
             if routine in ("pyun_vb6_client_push", "pyun_vb6_outbox_enqueue") and args and len(args) > 3]
    checked = ""
    if record and not problems:
        if len(sends) != 1:
            problems.append(f"the record is sent {len(sends)} times, not once")
        else:
            endpoint = vb6_value(sends[0][1], strings, consts)
            photo = sends[0][3].strip() != "vbNullString"
            path = os.path.join(out_dir, name + ".json")
            json.dump(record, open(path, "w", encoding="utf-8"), ensure_ascii=False)
            cmd = [pyun_bin, "--json", "push", endpoint, path, "--base-url", url, "--strict"]
            if photo:
                cmd += ["--file", f"{endpoint}_image_file=" + os.path.join(ROOT, "examples", "data", "enter.gif")]
            r = run(cmd)
            if r.returncode != 0:
                problems.append(f"the record it builds ({', '.join(sorted(record))}) is not accepted: "
                                f"{r.stdout.strip()[:600]}")
            else:
                checked = (f"; its {endpoint} record ({len(record)} fields{', a photo' if photo else ''}) "
                           "accepted by the sandbox")
    detail = f"{len(calls)} calls of Pyun.bas checked{checked}"
    return not problems, "; ".join(problems) if problems else detail


n = 0
for doc, lang in (("docs/dotnet.md", "csharp"), ("docs/delphi.md", "pascal"), ("docs/vb6.md", "vb")):
    for line, marker, block_lang, code in blocks(doc):
        if block_lang != lang:
            continue
        n += 1
        name = f"snippet{n}"
        what = f"{doc}:{line} ({lang})"
        if marker is None:
            report(False, what, "no <!-- snippet ... --> marker before it")
            continue
        m = re.match(r"(csharp|pascal|vb6)(?: (statements|members))?(?::\s*(.*))?$", marker, re.S)
        if not m or {"csharp": "csharp", "pascal": "pascal", "vb6": "vb"}[m.group(1)] != lang:
            report(False, what, f"unknown marker `{marker}`")
            continue
        decls = (m.group(3) or "").strip()
        if lang == "csharp":
            ok, detail = check_csharp(name, m.group(2) or "statements", decls, code)
            report(ok, what + " compiles with mcs -langversion:4", detail)
        elif lang == "pascal":
            ok, detail = check_pascal(name, decls, code)
            report(ok, what + " compiles with fpc {$mode delphi}", detail)
        else:
            ok, detail = check_vb6(name, code)
            report(ok, what + (": " + detail if ok else ""), detail)

for frm in sorted(os.listdir(os.path.join(ROOT, "samples", "vb6"))):
    if frm.endswith((".frm", ".bas")):
        code = open(os.path.join(ROOT, "samples", "vb6", frm), encoding="ascii").read().replace("\r\n", "\n")
        ok, detail = check_vb6(os.path.splitext(frm)[0], code, ui_thread=True)
        report(ok, f"samples/vb6/{frm}" + (": " + detail if ok else ""), detail)

# The .vbp's files, where the release zip has them (samples/vb6/ beside x86/Pyun.bas).
ZIP_FILES = {"x86/Pyun.bas": "bindings-vb6/Pyun.bas"}
for vbp in sorted(os.listdir(os.path.join(ROOT, "samples", "vb6"))):
    if vbp.endswith(".vbp"):
        text = open(os.path.join(ROOT, "samples", "vb6", vbp), encoding="ascii").read()
        files = re.findall(r"^(?:Form|Module)=(?:\w+;\s*)?(.+?)\s*$", text, re.M)
        missing = []
        for f in files:
            in_zip = os.path.normpath(os.path.join("samples/vb6", f.replace("\\", "/")))
            if not os.path.isfile(os.path.join(ROOT, ZIP_FILES.get(in_zip, in_zip))):
                missing.append(f)
        startup = re.search(r'^Startup="(\w+)"', text, re.M)
        forms = [os.path.splitext(f)[0] for f in files if f.endswith(".frm")]
        ok = files and not missing and startup and startup.group(1) in forms
        report(ok, f"samples/vb6/{vbp}: {len(files)} files ({', '.join(files)}) where the zip has them, "
               f"starts {startup.group(1) if startup else '?'}", f"missing {missing}, or Startup is not one of its forms")

print(f"doc-snippets: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
