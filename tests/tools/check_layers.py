#!/usr/bin/env python3
"""tools.layers: the include graph of lib/ runs down the floors, without cycles.

    check_layers.py ROOT [ALLOW_FILE]    check ROOT/lib/**/*.{c,h}
    check_layers.py --self-test          prove the check fails on a bad tree

Reads every `#include "..."` of lib/ (the include directory is lib/, so
"folder/module.h" names lib/folder/module.h). A module is a .c and its .h
(lib/integrify/http). It fails on

  (a) an include cycle between modules (a module that reaches itself), and
  (b) an include from a lower floor to a higher one ("an up arrow"),
  (c) a file under lib/ whose floor the table below does not give.

Every violation is printed. ALLOW_FILE lists include edges that are known
and tolerated for now, one a line ("lib/a.c -> lib/b.h"; see
tests/tools/layers_allow.txt): an allowed up arrow passes, and cycles are
looked for without the allowed edges. An entry that is no longer needed
is reported, so that the list only shrinks.
"""
import os
import re
import sys
import tempfile

# The floors of README.md's layout table: a file may include headers of its
# own floor or lower. Longest prefix wins (lib/web/handler over lib/web).
FLOORS = [
    ("lib/util", 0),
    ("lib/core", 1),
    ("lib/cache", 2),
    ("lib/web/req", 2),
    ("lib/web/query", 2),
    ("lib/web/multipart", 2),
    ("lib/form", 3),
    ("lib/integrify", 4),
    ("lib/spool", 5),
    ("lib/web/handler", 6),
    ("lib/web/route", 7),
    ("lib/process", 8),
]

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def floor_of(module):
    """The floor of a module path (lib/x/y, no extension), or None."""
    best = None
    for prefix, floor in FLOORS:
        if module == prefix or module.startswith(prefix + "/"):
            if best is None or len(prefix) > len(best[0]):
                best = (prefix, floor)
    return None if best is None else best[1]


def read_edges(root):
    """Every file of lib/ (relative paths) and its include edges (file -> file)."""
    files, edges = [], []
    lib = os.path.join(root, "lib")
    for dirpath, _dirs, names in os.walk(lib):
        for name in sorted(names):
            if not name.endswith((".c", ".h")):
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            files.append(rel)
            with open(path, encoding="utf-8", errors="replace") as f:
                for line in f:
                    m = INCLUDE.match(line)
                    if m is None:
                        continue
                    for cand in (os.path.join(lib, m.group(1)),
                                 os.path.join(dirpath, m.group(1))):
                        if os.path.isfile(cand):
                            edges.append((rel, os.path.relpath(os.path.normpath(cand), root)))
                            break
    return sorted(files), edges


def module(path):
    return os.path.splitext(path)[0]


def cycles(edges):
    """The strongly connected components of more than one module (Tarjan)."""
    graph = {}
    for src, dst in edges:
        a, b = module(src), module(dst)
        graph.setdefault(a, set())
        graph.setdefault(b, set())
        if a != b:
            graph[a].add(b)
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        # Iterative Tarjan: no recursion limit on a long chain.
        work = [(v, iter(sorted(graph[v])))]
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        while work:
            node, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                    advanced = True
                    break
                if w in on:
                    low[node] = min(low[node], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out)


def violations(root, allowed=frozenset()):
    """Every violation of root's lib/, as (key, message); key is the allow-list form.

    An up arrow's key is its edge ("lib/a.c -> lib/b.h"). Cycles are looked
    for among the edges not allowed, so an allowed edge also breaks the
    cycles it closes; a cycle's key is "cycle" and its modules.
    """
    files, edges = read_edges(root)
    edges = sorted(set(edges))
    out = []
    for path in files:
        if floor_of(module(path)) is None:
            out.append(("nofloor %s" % path,
                        "%s: no floor for this file (add its folder to FLOORS and README's table)"
                        % path))
    for src, dst in edges:
        fs, fd = floor_of(module(src)), floor_of(module(dst))
        if fs is not None and fd is not None and fs < fd:
            out.append(("%s -> %s" % (src, dst),
                        "%s (floor %d) includes %s (floor %d): an arrow up" % (src, fs, dst, fd)))
    kept = [e for e in edges if "%s -> %s" % e not in allowed]
    for comp in cycles(kept):
        inside = ["%s -> %s" % (a, b) for a, b in kept
                  if module(a) in comp and module(b) in comp and module(a) != module(b)]
        out.append(("cycle %s" % " ".join(comp),
                    "include cycle between modules %s, by the includes:\n    %s"
                    % (" ".join(comp), "\n    ".join(inside))))
    return out


def read_allow(path):
    allow = set()
    if path is None:
        return allow
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                allow.add(" ".join(line.split()))
    return allow


def check(root, allow_path):
    """Print every violation; 1 when one is not allowed, else 0."""
    allow = read_allow(allow_path)
    found = violations(root, frozenset(allow))
    bad = 0
    for key, msg in found:
        if key in allow:
            print("allowed: %s" % msg)
        else:
            print("error: %s" % msg)
            bad += 1
    # An allowed edge that is gone, or that is no up arrow and closes no cycle
    # any more, is stale: the list only shrinks.
    _files, edges = read_edges(root)
    present = {"%s -> %s" % e for e in edges}
    in_cycle = set()
    for comp in cycles(edges):
        in_cycle.update(comp)
    up = {k for k, _ in found}
    for key in sorted(allow):
        if key in up:
            continue
        parts = key.split(" -> ")
        if key not in present or len(parts) != 2 or \
                module(parts[0]) not in in_cycle or module(parts[1]) not in in_cycle:
            print("note: allow-list entry no longer needed, remove it: %s" % key)
    print("tools.layers: %d violation(s), %d not allowed" % (len(found), bad))
    return 1 if bad else 0


def self_test():
    """A clean tree passes; a cycle, an up arrow and a file with no floor fail."""
    def tree(files):
        d = tempfile.mkdtemp(prefix="check_layers.")
        for rel, text in files.items():
            p = os.path.join(d, rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "w", encoding="utf-8") as f:
                f.write(text)
        return d

    clean = {
        "lib/util/str.h": "",
        "lib/util/str.c": '#include "util/str.h"\n',
        "lib/core/log.h": '#include "util/str.h"\n',
        "lib/core/log.c": '#include "core/log.h"\n#include "util/str.h"\n',
        "lib/web/handler/x.c": '#include "web/req.h"\n#include "integrify/http.h"\n',
        "lib/web/req.h": "", "lib/integrify/http.h": '#include "form/form.h"\n',
        "lib/form/form.h": '#include "web/req.h"\n',
    }
    bad = dict(clean)
    bad["lib/util/str.c"] = '#include "util/str.h"\n#include "core/log.h"\n'  # up, and a cycle
    bad["lib/cache/cache.c"] = '  #  include "spool/spool.h"\n'              # up, odd spacing
    bad["lib/spool/spool.h"] = ""
    bad["lib/web/handler/y.c"] = '#include "web/handler/z.h"\n'               # same floor, cycle
    bad["lib/web/handler/z.h"] = '#include "web/handler/y.h"\n'
    bad["lib/web/handler/y.h"] = ""
    bad["lib/web/newthing.c"] = ""                                          # no floor
    ok = True

    got = violations(tree(clean))
    if got:
        print("self-test: a clean tree gave %r" % got)
        ok = False
    keys = {k for k, _ in violations(tree(bad))}
    want = {
        "lib/util/str.c -> lib/core/log.h",
        "lib/cache/cache.c -> lib/spool/spool.h",
        "cycle lib/core/log lib/util/str",
        "cycle lib/web/handler/y lib/web/handler/z",
        "nofloor lib/web/newthing.c",
    }
    if keys != want:
        print("self-test: bad tree gave %r, want %r" % (sorted(keys), sorted(want)))
        ok = False
    d = tree(bad)
    if check(d, None) != 1:
        print("self-test: check() passed a bad tree")
        ok = False
    allow = os.path.join(d, "allow.txt")
    with open(allow, "w", encoding="utf-8") as f:
        f.write("# every up arrow, and one edge of the same-floor cycle\n"
                "lib/util/str.c -> lib/core/log.h\n"
                "lib/cache/cache.c -> lib/spool/spool.h\n"
                "lib/web/handler/z.h -> lib/web/handler/y.h\n"
                "nofloor lib/web/newthing.c\n")
    if check(d, allow) != 0:
        print("self-test: check() failed although every violation is allowed")
        ok = False
    if floor_of("lib/web/handler/form") != 6 or floor_of("lib/web/req") != 2 or \
            floor_of("lib/web/route") != 7 or floor_of("lib/webx/a") is not None:
        print("self-test: floor_of() is wrong")
        ok = False
    print("self-test: %s" % ("ok" if ok else "FAILED"))
    return 0 if ok else 1


def main(argv):
    if len(argv) == 2 and argv[1] == "--self-test":
        return self_test()
    if len(argv) not in (2, 3):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    return check(argv[1], argv[2] if len(argv) == 3 else None)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
