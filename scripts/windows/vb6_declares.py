#!/usr/bin/env python3
"""Checks bindings-vb6/Pyun.bas against pyun_vb6.dll (scripts/windows.sh, docs/vb6.md).

    vb6_declares.py Pyun.bas pyun_vb6.g.c EXPORTS DECORATED HEADER_FUNCS

pyun_vb6.g.c: the wrappers (generated, included by pyun_vb6.c); EXPORTS: the names
pyun_vb6.dll exports (built with --kill-at); DECORATED: the names a build without --kill-at
exports (`name@N`, N the bytes of arguments the stdcall callee pops); HEADER_FUNCS: the
functions of include/pyun.h. For every `Declare` of Pyun.bas: the DLL is pyun_vb6.dll, the name
is exported, the bytes VB6 pushes for its arguments equal N, and Sub / Function matches the C
wrapper (void / a result). Every export is declared, and every function of the header has a
wrapper or is listed as not offered (with the reason) in NOT_OFFERED of xtask/src/main.rs, read
from there.
Prints one line per problem, then "vb6-declares: N declares checked, N problems"."""
import os
import re
import sys

# Header functions without a pyun_vb6_ wrapper of the same name: NOT_OFFERED's Vb6 entries in
# xtask/src/main.rs, the one list of them (`(Kit::Vb6, "pyun_x", "reason")`).
_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_MAIN_RS = open(os.path.join(_ROOT, "xtask", "src", "main.rs"), encoding="utf-8").read()
UNWRAPPED = dict(re.findall(r'Kit::Vb6,\s*"(pyun_\w+)",\s*"((?:[^"\\]|\\.)*)"', _MAIN_RS, re.S))
# Bytes VB6 pushes for a ByVal argument of each type (ByRef: always a 4-byte pointer).
BYVAL_BYTES = {"long": 4, "integer": 4, "byte": 4, "boolean": 4, "string": 4, "single": 4,
               "any": 4, "object": 4, "double": 8, "currency": 8, "date": 8, "variant": 16}

bas, csrc, exports_file, decorated_file, header_file = sys.argv[1:6]
text = open(bas, encoding="ascii").read().replace("\r\n", "\n")
text = re.sub(r" _\n\s*", " ", text)  # line continuations
exports = set(open(exports_file).read().split())
decorated = {}
for name in open(decorated_file).read().split():
    if "@" in name:
        base, n = name.rsplit("@", 1)
        decorated[base.lstrip("_")] = int(n)
header = set(open(header_file).read().split())
c = open(csrc).read()
c_subs = set(re.findall(r"VB6SUB\s+(pyun_vb6_\w+)\s*\(", c))
c_funcs = set(re.findall(r"VB6API\s+(pyun_vb6_\w+)\s*\(", c))

problems = []
declared = {}
decl_re = re.compile(r'^\s*(?:Public\s+|Private\s+)?Declare\s+(Function|Sub)\s+(\w+)\s+Lib\s+"([^"]+)"'
                     r'(?:\s+Alias\s+"([^"]+)")?\s*\(([^)]*)\)(?:\s+As\s+(\w+))?', re.I | re.M)
for m in decl_re.finditer(text):
    kind, name, lib, alias, args, ret = m.groups()
    target = alias or name
    declared[target] = kind
    if lib.lower() != "pyun_vb6.dll":
        problems.append(f"{name}: Lib \"{lib}\", not pyun_vb6.dll")
    if target not in exports:
        problems.append(f"{name}: {target} is not exported by pyun_vb6.dll")
    nbytes = 0
    for arg in [a.strip() for a in args.split(",") if a.strip()]:
        am = re.match(r"(?:(Optional)\s+)?(?:(ByVal|ByRef)\s+)?(\w+)(\(\))?\s+As\s+(\w+)$", arg, re.I)
        if am is None:
            problems.append(f"{name}: cannot read the argument `{arg}`")
            continue
        _, by, _, array, typ = am.groups()
        if by is not None and by.lower() == "byval" and not array:
            size = BYVAL_BYTES.get(typ.lower())
            if size is None:
                problems.append(f"{name}: unknown ByVal type {typ}")
                size = 4
        else:
            size = 4  # ByRef (the default), arrays: a pointer
        nbytes += size
    if target not in decorated:
        problems.append(f"{name}: no stdcall decoration {target}@N in the build without --kill-at")
    elif decorated[target] != nbytes:
        problems.append(f"{name}: VB6 pushes {nbytes} bytes, the wrapper pops {decorated[target]} ({target}@{decorated[target]})")
    if kind.lower() == "sub" and target not in c_subs:
        problems.append(f"{name}: Declare Sub, but the C wrapper returns a result")
    if kind.lower() == "function":
        if target not in c_funcs:
            problems.append(f"{name}: Declare Function, but the C wrapper returns nothing")
        elif (ret or "").lower() != "long":
            problems.append(f"{name}: returns As {ret}, the wrapper returns a 32-bit result (Long)")
for e in sorted(exports - set(declared)):
    problems.append(f"{e}: exported by pyun_vb6.dll but not declared in Pyun.bas")
for f in sorted(header):
    if f in UNWRAPPED:
        continue
    if "pyun_vb6_" + f[len("pyun_"):] not in exports:
        problems.append(f"{f} (include/pyun.h): no wrapper pyun_vb6_{f[len('pyun_'):]}")
for f in sorted(set(UNWRAPPED) - header):
    problems.append(f"{f}: listed as unwrapped but not in include/pyun.h")
for p in problems:
    print("vb6-declares: " + p)
print(f"vb6-declares: {len(declared)} declares checked against {len(exports)} exports "
      f"and {len(header)} header functions ({len(UNWRAPPED)} unwrapped by design), {len(problems)} problems")
sys.exit(1 if problems else 0)
