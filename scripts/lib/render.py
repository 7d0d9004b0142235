#!/usr/bin/env python3
"""Render a configuration template into a file, failing loudly on drift.

usage: render.py TEMPLATE OUT [--at NAME VALUE]... [--literal OLD NEW]... [--mode OCTAL]

--at NAME VALUE     replaces every @NAME@ in TEMPLATE with VALUE.
--literal OLD NEW   replaces every occurrence of the exact text OLD with NEW;
                    OLD must occur at least once (so a changed template is
                    noticed instead of silently producing a wrong config).

After substitution no @NAME@ placeholder may remain. OUT is written through
a temporary file and renamed into place.
"""
import os
import re
import sys


def die(msg):
    sys.stderr.write("render.py: %s\n" % msg)
    sys.exit(2)


def main(argv):
    if len(argv) < 3:
        die("usage: render.py TEMPLATE OUT [--at NAME VALUE]... "
            "[--literal OLD NEW]... [--mode OCTAL]")
    template, out = argv[1], argv[2]
    args = argv[3:]
    ats, literals, mode = [], [], None
    i = 0
    while i < len(args):
        opt = args[i]
        if opt in ("--at", "--literal"):
            if i + 2 >= len(args):
                die("%s needs two arguments" % opt)
            pair = (args[i + 1], args[i + 2])
            (ats if opt == "--at" else literals).append(pair)
            i += 3
        elif opt == "--mode":
            if i + 1 >= len(args):
                die("--mode needs an argument")
            mode = int(args[i + 1], 8)
            i += 2
        else:
            die("unknown argument %r" % opt)

    try:
        with open(template, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        die("cannot read %s: %s" % (template, e.strerror))

    for old, new in literals:
        if old not in text:
            die("%s: expected text %r not found (template changed?)" % (template, old))
        text = text.replace(old, new)
    for name, value in ats:
        if not re.fullmatch(r"[A-Z][A-Z0-9_]*", name):
            die("bad placeholder name %r" % name)
        token = "@%s@" % name
        if token not in text:
            die("%s: placeholder %s not found" % (template, token))
        text = text.replace(token, value)
    left = sorted(set(re.findall(r"@[A-Z][A-Z0-9_]*@", text)))
    if left:
        die("%s: placeholders left unfilled: %s" % (template, " ".join(left)))

    tmp = "%s.tmp.%d" % (out, os.getpid())
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    if mode is not None:
        os.chmod(tmp, mode)
    os.replace(tmp, out)


if __name__ == "__main__":
    main(sys.argv)
