#!/usr/bin/env python3
"""Summarise wrk --latency outputs as one table plus throughput ratios.

usage: wrk_report.py NAME=WRK_OUTPUT_FILE...

Prints req/s, p50, p99, non-2xx/3xx responses and socket errors for each run,
then the req/s ratios intake/static, intake/bare and bare/static for the
names that are present. It only reports; it judges nothing.
"""
import re
import sys

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}


def to_ms(text):
    m = re.fullmatch(r"([0-9.]+)(us|ms|s|m|h)", text)
    if not m:
        return None
    return float(m.group(1)) * UNITS[m.group(2)]


def parse(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        out = f.read()
    r = {"rps": None, "p50": None, "p99": None, "non2xx": 0, "errors": 0,
         "requests": None}
    m = re.search(r"^Requests/sec:\s+([0-9.]+)", out, re.M)
    if m:
        r["rps"] = float(m.group(1))
    for pct, key in (("50", "p50"), ("99", "p99")):
        m = re.search(r"^\s+%s%%\s+(\S+)" % pct, out, re.M)
        if m:
            r[key] = to_ms(m.group(1))
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if m:
        r["non2xx"] = int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        r["errors"] = sum(int(x) for x in m.groups())
        r["error_detail"] = "connect %s, read %s, write %s, timeout %s" % m.groups()
    m = re.search(r"^\s+(\d+) requests in", out, re.M)
    if m:
        r["requests"] = int(m.group(1))
    return r


def fmt_ms(v):
    if v is None:
        return "?"
    return "%.2f ms" % v if v < 100 else "%.0f ms" % v


def main(argv):
    runs = []
    for arg in argv[1:]:
        name, _, path = arg.partition("=")
        if not path:
            sys.exit("wrk_report.py: expected NAME=FILE, got %r" % arg)
        runs.append((name, parse(path)))

    print("%-8s %12s %10s %10s %9s %8s" % ("target", "req/s", "p50", "p99", "non-2xx", "errors"))
    for name, r in runs:
        rps = "?" if r["rps"] is None else "%.0f" % r["rps"]
        print("%-8s %12s %10s %10s %9d %8d" % (
            name, rps, fmt_ms(r["p50"]), fmt_ms(r["p99"]), r["non2xx"], r["errors"]))
    for name, r in runs:
        if r["errors"]:
            print("  %s socket errors: %s" % (name, r["error_detail"]))

    rps = {name: r["rps"] for name, r in runs if r["rps"]}
    ratios = []
    for a, b in (("intake", "static"), ("intake", "bare"), ("bare", "static")):
        if a in rps and b in rps:
            ratios.append("%s/%s %.2f" % (a, b, rps[a] / rps[b]))
    if ratios:
        print("req/s ratios: " + "   ".join(ratios))


if __name__ == "__main__":
    main(sys.argv)
