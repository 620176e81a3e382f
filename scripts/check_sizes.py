#!/usr/bin/env python3
"""Fails on a source file over 500 lines or a function over 80 lines, tests aside.

    scripts/check_sizes.py [DIR ...]    (default: core/src cli/src kernels/src)

Test code does not count: `*_tests.rs`, `tests.rs`, files under `tests/`, and
`#[cfg(test)] mod … { … }` blocks. Two functions may be longer, because they
read best whole (docs/ARCHITECTURE.md): the backward pass's one `match`
(`autodiff/backward.rs`, one arm per op, as candle's `backprop.rs`) and the
GEMM micro-kernel (`gemm/`, a register-blocked loop nest).
"""
import os
import re
import sys

MAX_FILE, MAX_FN = 500, 80
EXEMPT = {("backward.rs", "backprop"), ("microkernel.rs", "tile")}


def without_tests(lines):
    out, skip, depth = [], False, 0
    i = 0
    while i < len(lines):
        line = lines[i]
        if not skip and line.strip() == "#[cfg(test)]" and i + 1 < len(lines) and re.match(r"\s*(pub\s+)?mod\s+\w+\s*\{", lines[i + 1]):
            skip, depth = True, 0
            i += 1
            continue
        if skip:
            depth += line.count("{") - line.count("}")
            if depth <= 0 and "}" in line:
                skip = False
            i += 1
            continue
        out.append((i + 1, line))
        i += 1
    return out


def functions(numbered):
    text = [l for _, l in numbered]
    for k, (lineno, line) in enumerate(numbered):
        m = re.match(r"\s*(pub(\([^)]*\))?\s+)?(const\s+)?(unsafe\s+)?(extern\s+\"C\"\s+)?fn\s+(\w+)", line)
        if not m:
            continue
        depth, started, end = 0, False, k
        for j in range(k, len(text)):
            code = re.sub(r"//.*", "", text[j])
            if not started and ";" in code and "{" not in code:
                break  # a declaration without a body
            depth += code.count("{") - code.count("}")
            started = started or "{" in code
            if started and depth <= 0:
                end = j
                break
        if started:
            yield m.group(6), lineno, numbered[end][0] - lineno + 1


def main():
    roots = sys.argv[1:] or ["core/src", "cli/src", "kernels/src"]
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    bad = 0
    for root in roots:
        for dirpath, _, names in os.walk(os.path.join(here, root)):
            for n in sorted(names):
                path = os.path.join(dirpath, n)
                if not n.endswith(".rs") or n == "tests.rs" or n.endswith("_tests.rs") or f"{os.sep}tests{os.sep}" in path:
                    continue
                numbered = without_tests(open(path).read().split("\n"))
                rel = os.path.relpath(path, here)
                if len(numbered) > MAX_FILE:
                    print(f"{rel}: {len(numbered)} lines outside tests (limit {MAX_FILE})")
                    bad += 1
                for name, lineno, length in functions(numbered):
                    if length > MAX_FN and (n, name) not in EXEMPT:
                        print(f"{rel}:{lineno}: fn {name} is {length} lines (limit {MAX_FN})")
                        bad += 1
    if bad:
        sys.exit(1)
    print(f"no file over {MAX_FILE} lines and no function over {MAX_FN} lines in {', '.join(roots)}")


if __name__ == "__main__":
    main()
