#!/usr/bin/env python3
"""Fails if the modules of a crate import each other in a cycle.

    scripts/check_module_graph.py [--dot] [SRC_DIR ...]
        (default: kernels/src, core/src and cli/src, each checked on its own)

A module depends on another when its code names it: a `use crate::…`,
`use super::…` or `use self::…` item, or a `crate::…`/`super::…` path in the
code. One graph is checked per folder, at every depth: the top-level modules of
the crate (`model`, `eval`, `io`, ...; the crate root `lib.rs` or `main.rs`
among them), and inside each module that has submodules, those submodules
(`model::config`, `index::mih`, `hamming::bytes::scalar`, ...) together with the
parent's own `mod.rs`. In core, the stages listed in FORBIDDEN may not
depend on the ones named there (train/ and eval/ side by side at the top; hash/
and knn/ below them). A parent's
`pub use child::Name` is a re-export, not a dependency: a path to `Name` through
the parent counts as a path to the child (but a parent whose own code uses
`Name` depends on the child). Test code (`*_tests.rs`, `tests.rs`,
`#[cfg(test)] mod` blocks) is left out: tests may reach anywhere.
"""
import os
import re
import sys


def module_path(src, file):
    rel = os.path.relpath(file, src)[:-3].split(os.sep)
    if rel[-1] == "mod" or rel in (["lib"], ["main"]):
        rel = rel[:-1]
    return tuple(rel)


def is_test_file(file):
    base = os.path.basename(file)
    return base == "tests.rs" or base.endswith("_tests.rs") or f"{os.sep}tests{os.sep}" in file


def strip(text):
    """Comments, strings and #[cfg(test)] items removed."""
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r'"(\\.|[^"\\])*"', '""', text)
    out, i = [], 0
    for m in re.finditer(r"#\[cfg\(test\)\]\s*(pub(\([^)]*\))?\s+)?mod\s+\w+\s*([;{])", text):
        if m.start() < i:
            continue
        out.append(text[i:m.start()])
        if m.group(3) == ";":
            i = m.end()
            continue
        depth, j = 1, m.end()
        while depth and j < len(text):
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        i = j
    out.append(text[i:])
    return "".join(out)


def expand(tree):
    """`a::{b, c::{d, e}}` -> ['a::b', 'a::c::d', 'a::c::e']."""
    tree = re.sub(r"\s+", "", tree)
    i = tree.find("{")
    if i < 0:
        return [re.sub(r"as\w+$", "", tree)] if tree else []
    prefix, body = tree[:i], tree[i + 1:tree.rfind("}")]
    parts, depth, cur = [], 0, ""
    for ch in body:
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        depth += {"{": 1, "}": -1}.get(ch, 0)
        cur += ch
    parts.append(cur)
    return [p for part in parts if part for p in expand(prefix + part)]


DEFAULT_CRATES = ("kernels", "core", "cli")

# Stages that sit side by side or below, so must never import the other
# (docs/ARCHITECTURE.md, "The data flow"): per crate folder, top-level module ->
# the top-level modules it may not depend on.
FORBIDDEN = {
    "core": {
        "train": {"eval"},
        "eval": {"train"},
        "hash": {"train", "eval", "knn", "index", "io", "model"},
        "knn": {"train", "eval", "hash", "index", "io"},
    },
}


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    root = os.path.join(os.path.dirname(__file__), "..")
    srcs = args or [os.path.join(root, c, "src") for c in DEFAULT_CRATES]
    failed = False
    for src in srcs:
        failed |= check(src)
    if failed:
        sys.exit(1)


def check(src):
    """Prints every cycle among the modules under `src`; True if there is one."""
    files = {}
    for root, _, names in os.walk(src):
        for n in names:
            f = os.path.join(root, n)
            if n.endswith(".rs") and not is_test_file(f):
                files[module_path(src, f)] = strip(open(f).read())
    modules = set(files)
    # Re-exports of a child by its parent: (parent, name) -> child.
    reexport = {}
    uses = {}
    code_of = {}
    for mod, text in files.items():
        uses[mod] = []
        for m in re.finditer(r"(?m)^\s*(pub(\([^)]*\))?\s+)?use\s+([^;]+);", text):
            public = m.group(1) is not None and m.group(2) is None
            for path in expand(m.group(3)):
                segs = path.split("::")
                if public and segs[0] != "crate" and segs[0] != "super" and mod + (segs[0],) in modules:
                    reexport[(mod, segs[-1])] = mod + (segs[0],)
                    continue
                uses[mod].append(segs)
        code = re.sub(r"(?m)^\s*(pub(\([^)]*\))?\s+)?use\s+[^;]+;", "", text)
        code = re.sub(r"(?m)^\s*(pub(\([^)]*\))?\s+)?mod\s+\w+;", "", code)
        code_of[mod] = code
        for m in re.finditer(r"\b((?:crate|super)(?:::\w+)+)", code):
            uses[mod].append(m.group(1).split("::"))

    def resolve(mod, segs):
        if segs[0] == "crate":
            base, rest = (), segs[1:]
        elif segs[0] in ("super", "self"):
            base = mod
            while segs and segs[0] in ("super", "self"):
                base = base[:-1] if segs[0] == "super" else base
                segs = segs[1:]
            rest = segs
        elif mod + (segs[0],) in modules:
            base, rest = mod, segs
        else:
            return None  # an external crate or std
        target = base
        for s in rest:
            if target + (s,) in modules:
                target = target + (s,)
            else:
                while (target, s) in reexport:
                    target = reexport[(target, s)]
                break
        return target

    # A parent that uses a name it re-exports depends on the child that defines it.
    for (mod, name), child in reexport.items():
        if re.search(r"\b" + re.escape(name) + r"\b", code_of[mod]):
            uses[mod].append(["self", child[-1]])

    edges = {}
    for mod, paths in uses.items():
        for segs in paths:
            t = resolve(mod, segs)
            if t is not None and t != mod:
                edges.setdefault(mod, set()).add(t)

    failed = False
    crate = os.path.relpath(src)
    forbidden = FORBIDDEN.get(os.path.basename(os.path.dirname(os.path.abspath(src))), {})
    for a, ts in sorted(edges.items()):
        for b in sorted(ts):
            if a and b and b[0] in forbidden.get(a[0], ()):
                failed = True
                print(f"{crate}: {'::'.join(a)} -> {'::'.join(b)}: {a[0]} may not depend on {b[0]}")
    # One graph per module with submodules: its children and itself.
    graphs = {"crate": ((), 1)}
    for m in modules:
        for i in range(1, len(m)):
            graphs["::".join(m[:i])] = (m[:i], i + 1)
    for label, (prefix, depth) in sorted(graphs.items()):
        g = {}
        for a, ts in edges.items():
            for b in ts:
                if a[:len(prefix)] != prefix or b[:len(prefix)] != prefix:
                    continue
                na, nb = a[:depth], b[:depth]
                if na != nb:
                    g.setdefault(na, set()).add(nb)
        for scc in sccs(g):
            if len(scc) > 1:
                failed = True
                names = sorted("::".join(n) or "crate" for n in scc)
                print(f"{crate}: cycle among {label}'s modules: {', '.join(names)}")
                for a in sorted(scc):
                    for b in sorted(g.get(a, ())):
                        if b in scc:
                            print(f"    {'::'.join(a)} -> {'::'.join(b)}")
    if "--dot" in sys.argv:
        print(f'digraph "{crate}" {{')
        for a, ts in sorted(edges.items()):
            for b in sorted(ts):
                print(f'  "{"::".join(a)}" -> "{"::".join(b)}";')
        print("}")
    if not failed:
        print(f"no import cycle among the {len(modules)} modules of {crate}")
    return failed


def sccs(g):
    """Tarjan's strongly connected components."""
    index, low, stack, on, out = {}, {}, [], set(), []
    nodes = set(g) | {b for ts in g.values() for b in ts}

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in g.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            out.append(comp)

    sys.setrecursionlimit(10000)
    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return out


if __name__ == "__main__":
    main()
