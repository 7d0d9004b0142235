#!/usr/bin/env python3
"""tools.function_length: no function in lib/, cgi-bin/ or sbin/ is longer than 80 lines.

    check_function_length.py ROOT [ALLOW_FILE]    check ROOT's C files
    check_function_length.py --self-test          prove the check fails

BSD style (STYLE.md): a definition's name starts a line, followed by '('
(the return type is on the line above); its body runs from a '{' at column 0
to the next '}' at column 0. The length is the number of lines between
them. ALLOW_FILE names functions tolerated for now, one a line,
"path function" (see tests/tools/function_length_allow.txt); an entry that
is no longer needed is reported, so that the list only shrinks.
"""
import os
import re
import sys
import tempfile

LIMIT = 80
DIRS = ("lib", "cgi-bin", "sbin")
NAME = re.compile(r"^([A-Za-z_]\w*)\(")


def functions(path):
    """(name, first body line, length) of every function definition in path."""
    out = []
    name, start = None, None
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().split("\n")
    for i, line in enumerate(lines):
        m = NAME.match(line)
        if m and start is None:
            name = m.group(1)
        elif line.startswith("{") and name is not None and start is None:
            start = i
        elif line.startswith("}") and start is not None:
            out.append((name, start + 1, i - start - 1))
            name, start = None, None
        elif start is None and line.startswith(("#", "static", "struct", "enum", "typedef")):
            # A prototype or a declaration ended the candidate: no body follows.
            if name is not None and not line.startswith("#"):
                name = None
    return out


def offenders(root):
    """(path, name, line, length) of every function over LIMIT lines under root."""
    out = []
    for top in DIRS:
        for dirpath, _dirs, names in os.walk(os.path.join(root, top)):
            for n in sorted(names):
                if not n.endswith(".c"):
                    continue
                p = os.path.join(dirpath, n)
                rel = os.path.relpath(p, root)
                for name, line, length in functions(p):
                    if length > LIMIT:
                        out.append((rel, name, line, length))
    return sorted(out)


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
    """Print every function over the limit; 1 when one is not allowed."""
    allow = read_allow(allow_path)
    found = offenders(root)
    bad = 0
    for rel, name, line, length in found:
        key = "%s %s" % (rel, name)
        what = "%s:%d: %s() is %d lines (limit %d)" % (rel, line, name, length, LIMIT)
        if key in allow:
            print("allowed: " + what)
        else:
            print("error: " + what)
            bad += 1
    for key in sorted(allow - {"%s %s" % (r, n) for r, n, _l, _n in found}):
        print("note: allow-list entry no longer needed, remove it: %s" % key)
    print("tools.function_length: %d function(s) over %d lines, %d not allowed"
          % (len(found), LIMIT, bad))
    return 1 if bad else 0


def self_test():
    """A function of LIMIT lines passes, one of LIMIT + 1 fails, a prototype is no function."""
    d = tempfile.mkdtemp(prefix="check_function_length.")
    os.makedirs(os.path.join(d, "lib", "x"))
    os.makedirs(os.path.join(d, "sbin"))

    def body(n):
        return "".join("\tx += %d;\n" % i for i in range(n))

    with open(os.path.join(d, "lib", "x", "a.c"), "w", encoding="utf-8") as f:
        f.write("static int\tproto(int);\n\n"
                "static int\nfits(int x)\n{\n" + body(LIMIT) + "}\n\n"
                "enum intake_err\ntoo_long(struct a *a,\n    int x)\n{\n" + body(LIMIT + 1) + "}\n\n"
                "static const int table[] = {\n" + "\t1,\n" * 200 + "};\n")
    with open(os.path.join(d, "sbin", "main.c"), "w", encoding="utf-8") as f:
        f.write("int\nmain(void)\n{\n" + body(LIMIT + 40) + "}\n")
    ok = True
    got = [(r, n, l) for r, n, _line, l in offenders(d)]
    want = [("lib/x/a.c", "too_long", LIMIT + 1), ("sbin/main.c", "main", LIMIT + 40)]
    if got != want:
        print("self-test: got %r, want %r" % (got, want))
        ok = False
    if check(d, None) != 1:
        print("self-test: check() passed functions over the limit")
        ok = False
    allow = os.path.join(d, "allow.txt")
    with open(allow, "w", encoding="utf-8") as f:
        f.write("lib/x/a.c too_long\nsbin/main.c main   # the whole main\n")
    if check(d, allow) != 0:
        print("self-test: check() failed although both are allowed")
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
