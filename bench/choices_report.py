#!/usr/bin/env python3
"""Summarise bench/bench_choices.sh's wrk runs: rounds, medians, ratios.

usage: choices_report.py TARGET:ROUND=WRK_OUTPUT_FILE...

TARGET is static, bare, raw (intake behind bare's minimal server block), off
(intake behind the shipped server block, micro-cache off) or shipped (intake
through conf/nginx/intake.conf: published lists and the micro-cache on). For each target it prints
the median over the rounds of req/s, p50 and p99, and the sums of non-2xx
responses and socket errors; then each ratio per round (both sides measured
in the same round) and its median:

  raw/bare        intake's workers against a bare libfcgi responder,
                  behind the same server block                        (target >= 0.90)
  shipped/static  the shipped config against nginx's static file      (target >= 0.90)
  off/raw         for context: what the shipped server block costs an
                  uncached request (its headers, access log, try_files)
  off/bare, off/static, bare/static   for context

When a file WRK_OUTPUT_FILE with .cpu instead of .txt exists (bench_choices.sh
writes "CLK_TCK NGINX_TICKS BACKEND_TICKS" there), it also prints the CPU
time per request spent in nginx's workers and in the backend's processes:
steadier than req/s on a shared machine.

It prints whether each median reaches its target, and always exits 0.
"""
import os
import statistics
import sys

import result
import wrk_report

NAMES = {"static": "static", "bare": "bare", "raw": "intake-raw", "off": "intake-off",
         "shipped": "intake-ship"}
RATIOS = (("raw", "bare", 0.90), ("shipped", "static", 0.90), ("off", "raw", None),
          ("off", "bare", None), ("off", "static", None), ("bare", "static", None))


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def read_cpu(wrk_path):
    """(nginx us/request, backend us/request) or None."""
    base, ext = os.path.splitext(wrk_path)
    try:
        with open(base + ".cpu", encoding="utf-8") as f:
            tck, nginx, backend = (int(x) for x in f.read().split())
    except (OSError, ValueError):
        return None
    return tck, nginx, backend


def cpu_per_request(r):
    if r["cpu"] is None or not r["requests"]:
        return None, None
    tck, nginx, backend = r["cpu"]
    return 1e6 * nginx / tck / r["requests"], 1e6 * backend / tck / r["requests"]


def main(argv):
    runs = {}                       # target -> {round: parsed}
    order = []
    for arg in argv[1:]:
        key, _, path = arg.partition("=")
        target, _, rnd = key.partition(":")
        if not path or target not in NAMES or not rnd:
            sys.exit("choices_report.py: expected TARGET:ROUND=FILE, got %r" % arg)
        if target not in runs:
            runs[target] = {}
            order.append(target)
        runs[target][rnd] = wrk_report.parse(path)
        runs[target][rnd]["cpu"] = read_cpu(path)

    fmt = wrk_report.fmt_ms
    print("%-12s %7s %11s %10s %10s %9s %8s %16s" % (
        "target", "rounds", "req/s (med)", "p50", "p99", "non-2xx", "errors",
        "CPU us/req ngx+be"))
    for t in order:
        rs = list(runs[t].values())
        rps = med(r["rps"] for r in rs)
        cpu = [cpu_per_request(r) for r in rs]
        ngx, be = med(c[0] for c in cpu), med(c[1] for c in cpu)
        print("%-12s %7d %11s %10s %10s %9d %8d %16s" % (
            NAMES[t], len(rs), "?" if rps is None else "%.0f" % rps,
            fmt(med(r["p50"] for r in rs)), fmt(med(r["p99"] for r in rs)),
            sum(r["non2xx"] for r in rs), sum(r["errors"] for r in rs),
            "?" if ngx is None else "%.1f + %.1f" % (ngx, be)))
    for t in order:
        per = "  ".join("%s:%s" % (k, "?" if r["rps"] is None else "%.0f" % r["rps"])
                        for k, r in sorted(runs[t].items()))
        print("  %-10s req/s by round  %s" % (NAMES[t], per))
        for k, r in sorted(runs[t].items()):
            if r["errors"]:
                print("    round %s socket errors: %s" % (k, r["error_detail"]))

    print("req/s ratios (per round, then the median):")
    for a, b, target in RATIOS:
        if a not in runs or b not in runs:
            continue
        per = []
        for k in sorted(set(runs[a]) & set(runs[b])):
            ra, rb = runs[a][k]["rps"], runs[b][k]["rps"]
            if ra and rb:
                per.append(ra / rb)
        if not per:
            continue
        m = statistics.median(per)
        note = "" if target is None else "   (target >= %.2f: %s)" % (
            target, "met" if m >= target else "MISSED")
        print("  %-22s %.3f   rounds: %s%s" % ("%s/%s" % (NAMES[a], NAMES[b]), m,
                                               " ".join("%.2f" % x for x in per), note))
        if target is not None:
            result.emit("choices: %s / %s (req/s)" % (NAMES[a], NAMES[b]), m,
                        "%s %.0f req/s" % (NAMES[b], med(r["rps"] for r in runs[b].values())),
                        ">=", target)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
