#!/usr/bin/env python3
"""Memory bench: does a worker's private memory stay small and flat over 10^6
mixed requests?

    bench/bench_memory.py                 # 10^6 requests
    REQUESTS=100000 bench/bench_memory.py # a quick run

Starts, on 127.0.0.1 inside one temporary directory (load_choices.start_stack,
as bench/bench_submit.py does): the Integrify stand-in, an intake pool
(INTAKE_WORKERS workers, v8 API key, conf/forms, the demo's sources, rate
limits off, max_requests = 0 so no worker is recycled and hides a leak) and a
private nginx with the shipped site plus its cache-free copy. The mix goes to
the cache-free copy, so every request reaches a worker:

  - wrk -s bench/memory_mix.lua: cached lists (/api/choices/..., paged,
    searched, select2, html), form pages (/forms/it-request), and bad input
    (unknown and bad parameters, oversized values, malformed query strings,
    unknown sources and forms, junk posts without or with a forged token,
    oversized fields, broken urlencoded, multipart and JSON bodies, a foreign
    Origin);
  - POSTERS Python threads alongside: valid submissions through the shipped
    site, each with a fresh form token (GET the form, wait until the token is
    ripe, POST; 201 expected).

Warm-up (REQUESTS/20), then two halves of REQUESTS. Each worker's private
memory is read from /proc/PID/smaps after the warm-up (start), after the
first half (middle) and at the end. Private = Private_Clean + Private_Dirty
of the worker's private mappings: the pages only that worker holds (its
heap, stack, the data pages it wrote). The shared-memory cache files are
mapped shared (MAP_SHARED, "s" in smaps' permissions): their pages belong to
the cache, bounded by cache_entries, and outlive the worker, but smaps counts
as "private" every such page that no other process has touched yet, so which
worker happened to read an entry first would move the figure. Those pages
are printed apart ("shared-only"), not counted in private. Pss would add a
share of the shared libraries and of the shared cache mapping, which depends
on how many processes map them, not on the worker; Rss counts those pages
whole. Both are printed too.

Targets (bench figures, not test thresholds): every worker <= 2 MB private at
the end, and no growth: end <= middle + GROWTH_KB (64 KB: sixteen pages of
allocator noise). RESULT lines (bench/result.py) for bench/all.sh.

Environment (defaults in brackets):
  REQUESTS [1000000]  INTAKE_WORKERS [2]  POSTERS [2]  CONNECTIONS [16]
  THREADS [2]  GROWTH_KB [64]  INTAKE_BIN [build/cgi-bin/intake]  KEEP_TMP=1
"""
import collections
import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import load_choices  # noqa: E402  (also puts tests/integration on sys.path)
from load_choices import harness  # noqa: E402
import result  # noqa: E402
from bench_submit import FORM, GOOD, TOKEN_RE, Conn, demo_sections  # noqa: E402

LIMIT_MB = 2.0


def env_int(name, default):
    v = os.environ.get(name, str(default))
    if not v.isdigit():
        sys.exit("bench_memory.py: %s must be a whole number: %r" % (name, v))
    return int(v)


MAPPING_RE = re.compile(r"^[0-9a-f]+-[0-9a-f]+ (\S{4}) ")


def smaps(pid):
    """{field: kB} of /proc/PID/smaps summed over its mappings, Private_Clean
    and Private_Dirty apart for shared mappings (as "Shared_only": the pages
    of a MAP_SHARED mapping no other process maps yet)."""
    out = collections.Counter()
    shared = False
    with open("/proc/%d/smaps" % pid, encoding="utf-8", errors="replace") as f:
        for ln in f:
            m = MAPPING_RE.match(ln)
            if m:
                shared = m.group(1)[3] == "s"
                continue
            m = re.match(r"^(\w+):\s+(\d+) kB", ln)
            if m is None:
                continue
            name = m.group(1)
            if shared and name in ("Private_Clean", "Private_Dirty"):
                name = "Shared_only"
            out[name] += int(m.group(2))
    return out


def snapshot(pids):
    """{pid: (private kB, pss kB, rss kB, shared-only kB)}."""
    snap = {}
    for pid in pids:
        s = smaps(pid)
        snap[pid] = (s.get("Private_Clean", 0) + s.get("Private_Dirty", 0),
                     s.get("Pss", 0), s.get("Rss", 0), s.get("Shared_only", 0))
    return snap


class Poster(threading.Thread):
    """Valid submissions, a fresh form token each, until stop is set."""

    def __init__(self, port, origin, stop):
        super().__init__(daemon=True)
        self.conn, self.origin, self.stop = Conn(port), origin, stop
        self.codes = collections.Counter()
        self.gets = 0

    def token(self):
        status, body = self.conn.request("GET", "/forms/" + FORM)
        self.gets += 1
        m = TOKEN_RE.search(body.decode("utf-8", "replace")) if status == 200 else None
        return (m.group(1), int(m.group(2)) + 1.02) if m else (None, 0)

    def run(self):
        pending = collections.deque()
        while not self.stop.is_set():
            try:
                if pending and time.time() >= pending[0][1]:
                    tok = pending.popleft()[0]
                    body = urllib.parse.urlencode([("_token", tok)] + GOOD).encode()
                    status, _ = self.conn.request("POST", "/forms/" + FORM, body=body, headers={
                        "Content-Type": "application/x-www-form-urlencoded",
                        "Origin": self.origin, "Accept": "application/json"})
                    self.codes[status] += 1
                elif len(pending) < 50:
                    tok, ripe = self.token()
                    if tok:
                        pending.append((tok, ripe))
                else:
                    time.sleep(0.05)
            except OSError as e:
                self.codes[type(e).__name__] += 1
                self.conn.close()

    def requests(self):
        return self.gets + sum(self.codes.values())


def run_mix(url, origin, n, connections, threads, workdir, tag, posters):
    """n requests of the wrk mix (plus what the posters send meanwhile).
    Returns (wrk requests, status counts, seconds)."""
    per_thread = max(1, n // threads)
    out = os.path.join(workdir, "wrk-%s.txt" % tag)
    donefile = os.path.join(workdir, "wrk-%s.done" % tag)
    cmd = ["wrk", "-t%d" % threads, "-c%d" % connections, "-d3600s", "--timeout", "10s",
           "-s", os.path.join(HERE, "memory_mix.lua"), url, "--", str(per_thread), origin,
           donefile]
    stop = threading.Event()
    ps = [Poster(posters[0], posters[1], stop) for _ in range(posters[2])]
    t0 = time.monotonic()
    for p in ps:
        p.start()
    with open(out, "w") as f:
        wrk = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT)
        # wrk runs out its -d even when every thread stopped: SIGINT ends it
        # (it then prints its summary and the script's done()).
        while wrk.poll() is None:
            with contextlib.suppress(OSError), open(donefile) as d:
                if len(d.readlines()) >= threads:
                    wrk.send_signal(signal.SIGINT)
                    break
            time.sleep(0.2)
        rc = wrk.wait()
    stop.set()
    for p in ps:
        p.join(30)
    secs = time.monotonic() - t0
    text = open(out, encoding="utf-8", errors="replace").read()
    if rc != 0:
        sys.exit("bench_memory.py: wrk failed (%d):\n%s" % (rc, text[-2000:]))
    codes = collections.Counter()
    for m in re.finditer(r"^STATUS (\d+) (\d+)$", text, re.M):
        codes["mix %s" % m.group(1)] += int(m.group(2))
    m = re.search(r"^\s*(\d+) requests in", text, re.M)
    done = int(m.group(1)) if m else sum(codes.values())
    for p in ps:
        codes["post-gets"] += p.gets
        for k, v in p.codes.items():
            codes["valid post %s" % k] += v
    return done + sum(p.requests() for p in ps), codes, secs


def main():
    if len(sys.argv) > 1:
        print(__doc__.strip())
        return 0 if sys.argv[1] in ("-h", "--help") else 2
    load_choices.need_tools("bench_memory.py", ("nginx", "wrk"))
    with contextlib.ExitStack() as stack:
        return run(load_choices.scratch_dir("bench_memory.py", "intake-memory.", stack), stack)


def run(workdir, stack):
    total = env_int("REQUESTS", 1000000)
    workers = max(1, env_int("INTAKE_WORKERS", 2))
    nposters = env_int("POSTERS", 2)
    conns, threads = max(1, env_int("CONNECTIONS", 16)), max(1, env_int("THREADS", 2))
    growth_kb = env_int("GROWTH_KB", 64)
    binary = os.environ.get("INTAKE_BIN", harness.BIN)
    if not os.access(binary, os.X_OK):
        sys.exit("bench_memory.py: no intake binary at %s" % binary)
    harness.BIN = os.path.join(workdir, "intake")
    shutil.copy2(binary, harness.BIN)
    server = {"workers": str(workers), "forms_dir": os.path.join(harness.SRC, "conf/forms"),
              "rate_per_client": "0", "rate_per_form": "0", "max_requests": "0",
              "cache_entries": "65536", "cache_entry_max": "131072", "log_level": "error",
              "upstream_slots": str(workers)}
    orig_pool = harness.Pool
    harness.Pool = lambda *a, **kw: orig_pool(*a, variant="v8-apikey", **kw)
    try:
        standin, pool, nginx, nocache = load_choices.start_stack(
            workdir, server, demo_sections(), stack.callback)
    finally:
        harness.Pool = orig_pool
    posters = (nginx.port, nginx.url, nposters)

    phases, snaps, counts = [], [], collections.Counter()
    pids = sorted(pool.workers())
    for tag, n in (("warm-up", max(1000, total // 20)), ("first half", total // 2),
                   ("second half", total - total // 2)):
        print("bench_memory.py: %s, %d requests ..." % (tag, n), file=sys.stderr, flush=True)
        done, codes, secs = run_mix(nocache, nginx.url, n, conns, threads, workdir, tag, posters)
        counts.update(codes)
        phases.append((tag, done, secs))
        now = sorted(pool.workers())
        if now != pids:
            sys.exit("bench_memory.py: the workers changed during the %s (%s -> %s): a "
                     "crash or a recycle; see %s" % (tag, pids, now, pool.logpath))
        snaps.append(snapshot(pids))

    mb = lambda kb: "%.2f MB" % (kb / 1024.0)
    print("memory bench: %d intake workers (max_requests 0), wrk -t%d -c%d with "
          "bench/memory_mix.lua on the cache-free site, %d valid posters on the shipped site"
          % (workers, threads, conns, nposters))
    for tag, done, secs in phases:
        print("  %-12s %8d requests in %6.1f s (%.0f/s)" % (tag, done, secs, done / secs))
    print("  answers: %s" % ", ".join("%s: %d" % kv for kv in sorted(counts.items())))
    print("  per worker, kB (private = Private_Clean + Private_Dirty of its private mappings; "
          "Pss; Rss; shared-only: pages of the shared cache no other process maps yet):")
    print("  %-8s %35s %35s %35s" % ("pid", "start", "middle", "end"))
    for pid in pids:
        print("  %-8d %s" % (pid, " ".join("%8d %8d %8d %8d" % s[pid] for s in snaps)))
    start, mid, end = ({p: s[p][0] for p in pids} for s in snaps)
    worst_end = max(end.values())
    growth = max(end[p] - mid[p] for p in pids)
    early = max(mid[p] - start[p] for p in pids)
    print("  largest private: start %s, middle %s, end %s  (target <= %.1f MB: %s)"
          % (mb(max(start.values())), mb(max(mid.values())), mb(worst_end), LIMIT_MB,
             "met" if worst_end <= LIMIT_MB * 1024 else "MISSED"))
    print("  largest growth middle -> end: %+d kB; start -> middle: %+d kB  "
          "(target <= %d kB: %s)" % (growth, early, growth_kb,
                                     "met" if growth <= growth_kb else "MISSED"))
    reqs = sum(d for _, d, _ in phases[1:])
    result.emit("memory: largest worker private at end (%d requests)" % reqs,
                worst_end / 1024.0, "start %s, middle %s" % (mb(max(start.values())),
                                                            mb(max(mid.values()))),
                "<=", LIMIT_MB, unit="MB")
    result.emit("memory: largest worker growth middle -> end", float(growth),
                "start -> middle %+d kB" % early, "<=", float(growth_kb), unit="kB",
                fmt="%.0f")
    return 0


if __name__ == "__main__":
    sys.exit(main())
