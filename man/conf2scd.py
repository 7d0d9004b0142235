#!/usr/bin/env python3
"""conf2scd.py TEMPLATE EXAMPLE OUT - write intake.conf(5) in scdoc.

The reference part of the page comes from conf/intake.conf.example, the one
place every key is documented with its default (a ctest keeps it complete):
each comment block becomes the text of the key below it.  TEMPLATE holds the
rest of the page, with a line "@KEYS@" where the reference goes."""

import re
import sys


def esc(text):
    """scdoc's markup characters, taken literally."""
    return re.sub(r"([\\*_])", r"\\\1", text)


def reference(lines):
    out, comment = [], []
    for raw in lines:
        line = raw.rstrip("\n")
        if line.startswith("# ---"):
            continue
        if line.startswith("#"):
            comment.append(line[1:].removeprefix(" "))
            continue
        m = re.match(r"^\[([a-z]+)(?::([a-z0-9_-]+))?\]$", line)
        if m:
            name = m.group(1) if not m.group(2) else m.group(1) + ":NAME"
            out += ["", "## [%s]" % name, ""]
            if m.group(2):
                out.append("(The example's section is _[%s]_.)" % esc(line[1:-1]))
                out.append("")
            out += text(comment)
            comment = []
            continue
        m = re.match(r"^([a-z_.A-Z]+)\s*=\s*(.*)$", line)
        if m:
            key, default = m.groups()
            out.append("*%s* = %s" % (esc(key), esc(default) if default else "(empty)"))
            out += ["\t" + t if t else "" for t in text(comment)]
            out.append("")
            comment = []
            continue
        if not line.strip() and comment:
            # A comment block not followed by a key: a paragraph of its own.
            out += text(comment) + [""]
            comment = []
    return out


def text(comment):
    """A comment block as scdoc lines: prose joined, indented lines kept."""
    out, para = [], []
    for c in comment:
        if c.startswith("  "):
            if para:
                out.append(esc(" ".join(para)))
                para = []
            out.append("\t" + esc(c.strip()))
        elif c.strip():
            para.append(c.strip())
    if para:
        out.append(esc(" ".join(para)))
    return out


def main():
    template, example, dest = sys.argv[1:4]
    with open(example) as f:
        lines = f.readlines()
    # The file's own header comment (up to the first section) is not reference.
    start = next(i for i, l in enumerate(lines) if l.startswith("["))
    ref = "\n".join(reference(lines[start:]))
    with open(template) as f:
        page = f.read()
    with open(dest, "w") as f:
        f.write(page.replace("@KEYS@", ref))


if __name__ == "__main__":
    main()
