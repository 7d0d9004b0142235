#!/usr/bin/env python3
"""Slow-upstream benchmark: does a slow Integrify starve the form page?

    bench/bench_slow_upstream.py                  # 10 s per phase
    DURATION=20 INTAKE_WORKERS=8 bench/bench_slow_upstream.py

Starts, on 127.0.0.1 only and inside one temporary directory, the stack of
bench/bench_submit.py (the Integrify stand-in, the intake pool in the v8
API-key dialect with forms_dir = conf/forms and rate limits off, a private
nginx running the shipped site plus a copy without the micro-cache), with
one more drop-down source, "cold", whose list is never cached for long
(ttl 1 s, stale_ttl 0: a second after each fetch it is cold again).

Then, in one run, wrk (-t THREADS -c CONNECTIONS -d DURATION --timeout 10s)
GETs /forms/it-request (a form page with five live lists, all cached) on the
cache-free port while:

  base      nothing else runs (measured first and again last; the mean is
            the baseline);
  post8     the stand-in's start call is slowed to SLOW_MS (POST
            /__sim/fault?mode=slow&path=/api/instance/start) and 8 clients
            post valid forms, each as a browser does: GET the form, wait
            until its token is a second old, POST it (Accept: application/
            json), again;
  post32    the same with 32 clients;
  fast8, fast32  (CONTROL=1) the same posters with no fault: what posting
            itself costs the form page (spool fsyncs, starts, the stand-in's
            and the clients' own CPU on the same machine);
  cold      the fault moves to the "cold" report's rows (SLOW_MS on
            /core-service/reports/<sid>), and COLD_CLIENTS clients GET
            /api/choices/cold; on 503 a client waits what Retry-After says
            (at most 1 s), as a polite client would.

Printed: each phase's wrk req/s, p50, p99, non-2xx and socket errors; the
posters' answers by status (201 started, 202 queued) and the cold clients'
(200, 503), with how long those answers took (a 503 that took seconds held a
worker that long for nothing: since a list slower to fetch than
upstream_wait_ms is not waited for, only the first slow fetch, not yet
known to be slow, should cause such waits); and the ratios post8/base,
post32/base and cold/base (cold over the base phases just before and after
it; target >= 0.8; before upstream slots post8/base was 0.10), plus the controls
fast8/base, fast32/base and post8/fast8, post32/fast32 (near 1: the slow
start costs the page nothing beyond what the posting itself costs). Then the fault is
cleared and the spool is given DRAIN_WAIT seconds to drain before the cold
phase (so that the dispatcher's catching up does not weigh on it); at the
end the stand-in's requests named "IT request (REF)" are compared with the
references acknowledged (a count, printed: the exactly-once check is
tests/integration/test_slow_upstream.py's). Ratios are printed, never
judged; the exit status is 1 only when the run itself failed (no baseline,
wrk failed).

Environment (defaults in brackets):
  DURATION [10]  CONNECTIONS [32]  THREADS [2]  INTAKE_WORKERS [4]
  UPSTREAM_SLOTS [unset: the default, half the workers; unset also lets
  INTAKE_BIN be a build from before upstream slots, for comparison]
  SLOW_MS [3000]  COLD_CLIENTS [8]
  DRAIN_WAIT [90]  CONTROL [1] (0: skip the fast8/fast32 phases)
  POSTERS [1]    (0: skip post8, post32 and the controls: base, cold, base2 only)
  COLD_ROUNDS [1]  (N: N cold phases, each followed by a base phase, and the
                 median of each cold phase over the base phases around it)
  INTAKE_BIN [build/cgi-bin/intake; copied into the run directory first]
  KEEP_TMP=1     keep the temporary directory (configs, logs)
"""
import collections
import contextlib
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import bench_submit  # noqa: E402  (also puts tests/integration on sys.path)
import result  # noqa: E402
import load_choices  # noqa: E402
import wrk_report  # noqa: E402
from load_choices import harness  # noqa: E402

FORM = bench_submit.FORM
COLD_SID = harness.REPORT_SIDS["regions"]
COLD_SECTION = """
[source:cold]
report = %s
fetch = csv
title = Cold
ttl = 1
stale_ttl = 0
""" % COLD_SID
COLD_PATH = "/api/choices/cold?per_page=5"
START_PATH = "/api/instance/start"
# lib/integrify/report.c: a v8 CSV export is GET /core-service/reports/<sid>/export/csv_utf8
COLD_FETCH_PATH = "/core-service/reports/" + COLD_SID


def _env_int(name, default):
    v = os.environ.get(name, str(default))
    if not re.fullmatch(r"[0-9]+", v):
        sys.exit("bench_slow_upstream.py: %s must be a whole number: %r" % (name, v))
    return int(v)


class Posters:
    """n bench_submit.Client threads (token pool of 1, no direct starts)."""

    def __init__(self, b, n):
        self.b, self.threads = b, [bench_submit.Client(b, i) for i in range(n)]

    def start(self):
        for t in self.threads:
            t.start()

    def join(self):
        for t in self.threads:
            t.join(120)
        codes = collections.Counter()
        for t in self.threads:
            codes.update(t.codes)
            codes.update({"GET " + k: v for k, v in t.get_errors.items()})
        return codes


class ColdClient(threading.Thread):
    """GET the cold list until end; honour Retry-After (capped at 1 s) on 503."""

    def __init__(self, port, end):
        super().__init__(daemon=True)
        self.port, self.end = port, end
        self.codes = collections.Counter()
        self.took = collections.defaultdict(list)   # status: seconds each answer took

    def run(self):
        c = None
        while time.monotonic() < self.end:
            try:
                if c is None:
                    c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                t0 = time.monotonic()
                c.request("GET", COLD_PATH)
                r = c.getresponse()
                r.read()
                ra = r.getheader("Retry-After", "")
                self.took[r.status].append(time.monotonic() - t0)
            except (OSError, http.client.HTTPException) as e:
                self.codes[type(e).__name__] += 1
                if c is not None:
                    c.close()
                c = None
                time.sleep(0.1)
                continue
            self.codes[r.status] += 1
            if r.status == 503:
                time.sleep(min(1.0, int(ra)) if ra.isdigit() else 1.0)
        if c is not None:
            c.close()


def run_wrk(url, duration, connections, threads, out):
    cmd = ["wrk", "-t%d" % threads, "-c%d" % connections, "-d%ds" % duration,
           "--timeout", "10s", "--latency", url]
    with open(out, "w") as f:
        rc = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT,
                            timeout=duration + 60).returncode
    r = wrk_report.parse(out)
    r["rc"] = rc
    return r


def main():
    if len(sys.argv) > 1:
        print(__doc__.strip())
        return 0 if sys.argv[1] in ("-h", "--help") else 2
    load_choices.need_tools("bench_slow_upstream.py", ("wrk", "nginx"))
    with contextlib.ExitStack() as stack:
        workdir = load_choices.scratch_dir("bench_slow_upstream.py", "intake-slow.", stack)
        return run(workdir, stack)


def run(workdir, stack):
    duration = _env_int("DURATION", 10)
    connections = _env_int("CONNECTIONS", 32)
    threads = _env_int("THREADS", 2)
    workers = _env_int("INTAKE_WORKERS", 4)
    slots = _env_int("UPSTREAM_SLOTS", 0)
    slow_ms = _env_int("SLOW_MS", 3000)
    cold_clients = _env_int("COLD_CLIENTS", 8)
    drain_wait = _env_int("DRAIN_WAIT", 90)
    control = _env_int("CONTROL", 1)
    posting = _env_int("POSTERS", 1)
    rounds = max(1, _env_int("COLD_ROUNDS", 1))
    if min(duration, connections, threads, workers) < 1:
        sys.exit("bench_slow_upstream.py: DURATION, CONNECTIONS, THREADS, INTAKE_WORKERS "
                 "must be > 0")

    binary = os.environ.get("INTAKE_BIN", harness.BIN)
    if not os.access(binary, os.X_OK):
        sys.exit("bench_slow_upstream.py: no intake binary at %s (cmake -S . -B build && "
                 "cmake --build build -j2)" % binary)
    harness.BIN = os.path.join(workdir, "intake")
    shutil.copy2(binary, harness.BIN)
    server = {"workers": str(workers), "forms_dir": os.path.join(harness.SRC, "conf/forms"),
              "rate_per_client": "0", "rate_per_form": "0", "cache_entries": "8192",
              "cache_entry_max": "131072", "log_level": "warn"}
    if slots:
        server["upstream_slots"] = str(slots)   # unset: the default (and older builds run)
    orig_pool = harness.Pool
    harness.Pool = lambda *a, **kw: orig_pool(*a, variant="v8-apikey", **kw)
    try:
        standin, pool, nginx, nocache = load_choices.start_stack(
            workdir, server, bench_submit.demo_sections() + COLD_SECTION, stack.callback)
    finally:
        harness.Pool = orig_pool
    nocache_port = int(nocache.rsplit(":", 1)[1])
    form_url = nocache + "/forms/" + FORM

    b = bench_submit.Bench()
    b.origin, b.nginx_port, b.standin_port = nginx.url, nginx.port, standin.port
    b.replay_every, b.pool_max = 0, 1

    # Warm-up: the form page (its five lists), one post end to end, the cold list once.
    status, _, body = harness.http(form_url)
    if status != 200:
        sys.exit("bench_slow_upstream.py: GET /forms/%s answered %d" % (FORM, status))
    b.end = time.monotonic() + 30
    w = bench_submit.Client(b, -1)
    w.fetch_token()
    time.sleep(max(0.0, w.tokens[0][1] - time.time()) if w.tokens else 0)
    if w.tokens:
        w.post(w.tokens.popleft()[0])
    w.gw.close()
    if w.codes.get(201) != 1:
        sys.exit("bench_slow_upstream.py: the warm-up post got %s (log %s)"
                 % (dict(w.codes), pool.logpath))
    if harness.http(nocache + COLD_PATH)[0] != 200:
        sys.exit("bench_slow_upstream.py: the cold list did not load once")

    results, extra = {}, {}
    cold_took = collections.defaultdict(list)

    def phase(name, setup=None, load=None):
        print("bench_slow_upstream.py: phase %s (%d s) ..." % (name, duration), file=sys.stderr)
        if setup:
            setup()
        b.end = time.monotonic() + duration + 1
        runner = load() if load else None
        r = run_wrk(form_url, duration, connections, threads,
                    os.path.join(workdir, "wrk-%s.txt" % name))
        if runner is not None:
            extra[name] = runner()
        results[name] = r

    def posters(n):
        def load():
            p = Posters(b, n)
            p.start()
            return p.join
        return load

    def cold_load():
        cs = [ColdClient(nocache_port, time.monotonic() + duration + 1)
              for _ in range(cold_clients)]
        for c in cs:
            c.start()

        def done():
            codes = collections.Counter()
            for c in cs:
                c.join(60)
                codes.update(c.codes)
                for st, t in c.took.items():
                    cold_took[st].extend(t)
            return codes
        return done

    def slow(path):
        def setup():
            standin.control("/__sim/fault?mode=clear")
            standin.control("/__sim/fault?mode=slow&ms=%d&path=%s" % (slow_ms, path))
        return setup

    def drain():
        """Wait (DRAIN_WAIT s at most) for the dispatcher to deliver the backlog, so
        that its work (and the stand-in's) does not weigh on the next phase."""
        t_end = time.monotonic() + drain_wait
        queued = None
        while time.monotonic() < t_end:
            st, _, body = harness.http(nginx.url + "/readyz")
            queued = json.loads(body)["spool"]["queued"] if st == 200 else None
            if queued == 0:
                break
            time.sleep(1)
        return queued

    def fast():
        standin.control("/__sim/fault?mode=clear")

    phase("base")
    if posting:
        phase("post8", slow(START_PATH), posters(8))
        phase("post32", slow(START_PATH), posters(32))
    if posting and control:
        # The same posters with Integrify fast: what posting itself costs.
        fast()
        drain()
        phase("fast8", fast, posters(8))
        phase("fast32", fast, posters(32))
    standin.control("/__sim/fault?mode=clear")
    print("bench_slow_upstream.py: waiting for the spool to drain ...", file=sys.stderr)
    queued = drain()
    # The cold list has been cold since (ttl 1 s); now its fetch is slow.
    # With COLD_ROUNDS > 1, cold phases alternate with base phases (each
    # cold phase is judged against its neighbours, which a loaded machine
    # needs), and every round after the first finds the fetch known slow.
    cold_pairs = []
    for i in range(rounds):
        name = "cold" if i == 0 else "cold%d" % (i + 1)
        before = "base" if i == 0 else "base-c%d" % (i + 1)
        after = "base2" if i == rounds - 1 else "base-c%d" % (i + 2)
        phase(name, slow(COLD_FETCH_PATH), cold_load)
        standin.control("/__sim/fault?mode=clear")
        phase(after)
        cold_pairs.append((name, before, after))

    # Delivery after the fault: count, never judge.
    acked = sum(v for n in ("post8", "post32", "fast8", "fast32") for k, v in
                extra.get(n, {}).items() if k in (201, 202))
    insts = standin.call("GET", "/__sim/instances")["instances"]
    refs = collections.Counter(re.search(r"\(([0-9A-Z-]+)\)$", i["name"]).group(1)
                               for i in insts if re.search(r"\([0-9A-Z-]+\)$", i["name"]))

    ms = wrk_report.fmt_ms
    base_rps = [results[n]["rps"] for n in ("base", "base2") if results[n]["rps"]]
    base = sum(base_rps) / len(base_rps) if base_rps else None
    print("slow-upstream bench: GET %s (form page, lists cached; nginx without micro-cache)"
          % form_url)
    print("  %d intake workers, upstream_slots %s, v8 API key, rate limits off; wrk -t%d -c%d "
          "-d%ds --timeout 10s; stand-in slowed %d ms" % (
              len(pool.workers()), slots or "default (half: %d)" % max(1, workers // 2), threads,
              connections, duration, slow_ms))
    print("  %-7s %10s %10s %10s %8s %8s  %s" % ("phase", "req/s", "p50", "p99", "non-2xx",
                                                 "errors", "other clients' answers"))
    for n in results:
        r = results[n]
        print("  %-7s %10s %10s %10s %8d %8d  %s" % (
            n, "?" if r["rps"] is None else "%.0f" % r["rps"], ms(r["p50"]), ms(r["p99"]),
            r["non2xx"], r["errors"],
            dict(sorted((str(k), v) for k, v in extra.get(n, {}).items())) or ""))
    for st in sorted(cold_took):
        t = sorted(cold_took[st])
        print("  cold clients' %d answers: %d, each took p50 %s, max %s; %.1f s in all (a worker "
              "held that long)" % (st, len(t), ms(1000 * t[len(t) // 2]), ms(1000 * t[-1]),
                                   sum(t)))
    # Each cold phase over the base phases around it (one round: base and base2).
    each = []
    for n, b1, b2 in cold_pairs:
        bs = [results[x]["rps"] for x in (b1, b2) if results[x]["rps"]]
        if results[n]["rps"] and bs:
            each.append(results[n]["rps"] / (sum(bs) / len(bs)))
    if base:
        for n, what in (("post8", "8 posters, start slowed"), ("post32", "32 posters, start slowed"),
                        ("cold", "%d clients on a cold list, its fetch slowed" % cold_clients)):
            if n not in results:
                continue
            rps = results[n]["rps"]
            ratio = None if rps is None else rps / base
            if n == "cold":
                ratio = each[0] if each else None   # over its own neighbours
            print("  ratio %-6s/ base = %s   (%s)" % (
                n, "?" if ratio is None else "%.2f" % ratio, what))
            result.emit("slow upstream: %s / base (req/s)" % n, ratio,
                        "base %.0f req/s" % base, ">=", 0.8)
        if rounds > 1:
            print("  cold rounds: each cold phase / the mean of the base phases around it = %s; "
                  "median %s" % (" ".join("%.2f" % x for x in each),
                                 "%.2f" % sorted(each)[len(each) // 2] if each else "?"))
        for n, f in (("post8", "fast8"), ("post32", "fast32")):
            if f in results and results[n]["rps"] and results[f]["rps"]:
                print("  control %-6s/ base = %.2f; %s / %s = %.2f   (the same posters, Integrify "
                      "fast: what the slowness itself costs)" % (
                          f, results[f]["rps"] / base, n, f,
                          results[n]["rps"] / results[f]["rps"]))
    print("  after the fault: spool queued %s after up to %d s of draining; stand-in requests "
          "of the form: "
          "%d for %d references (acknowledged posts %d + warm-up 1); duplicated references %d"
          % (queued, drain_wait, sum(refs.values()), len(refs), acked,
             sum(v - 1 for v in refs.values() if v > 1)))
    failed = [n for n, r in results.items() if r["rc"] != 0 or not r["rps"]]
    if failed or base is None:
        print("  run failed: wrk did not measure %s" % failed)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
