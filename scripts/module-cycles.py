#!/usr/bin/env python3
"""Fails when the top-level modules of a crate import each other in a cycle.

    python3 scripts/module-cycles.py core/src ffi-c/src ...   (scripts/test.sh runs it)

An edge a -> b is any `crate::b` path in module a's code (its own submodules included; its
comments, intra-doc links among them, and its `#[cfg(test)] mod tests` excluded: tests may reach
anywhere). Written by hand because it reads
only our own code's `crate::` paths; cargo-modules would do it with rust-analyzer, a build of
minutes on every CI run. Prints each crate's graph with `-v`.
"""
import os
import re
import sys


def graph(root):
    mods = {}
    for dirpath, _, files in os.walk(root):
        for name in files:
            if not name.endswith(".rs"):
                continue
            path = os.path.join(dirpath, name)
            top = os.path.relpath(path, root).split(os.sep)[0].removesuffix(".rs")
            if top in ("lib", "main"):
                continue
            src = re.split(r"#\[cfg\(test\)\]\s*mod tests", open(path, encoding="utf-8").read())[0]
            # Comments out: an intra-doc link names a module without depending on it.
            src = re.sub(r"//[^\n]*", "", src)
            deps = set(re.findall(r"crate::([a-z_0-9]+)", src))
            for group in re.findall(r"use crate::\{([^}]*)\}", src, re.S):
                deps.update(re.split(r"[:\s]", part.strip())[0] for part in group.split(",") if part.strip())
            mods.setdefault(top, set()).update(deps - {top})
    return {m: {d for d in deps if d in mods} for m, deps in mods.items()}


def cycles(mods):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in mods[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(mods):
        if v not in index:
            visit(v)
    return found


def main():
    verbose = "-v" in sys.argv
    failed = False
    for root in (a for a in sys.argv[1:] if a != "-v"):
        mods = graph(root)
        if verbose:
            for m in sorted(mods):
                print(f"{root}: {m} -> {', '.join(sorted(mods[m])) or '-'}")
        found = cycles(mods)
        for c in found:
            print(f"{root}: import cycle among {', '.join(c)}")
        if not found:
            print(f"{root}: {len(mods)} modules, no import cycle")
        failed = failed or bool(found)
    sys.exit(1 if failed else 0)


main()
