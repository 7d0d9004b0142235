#!/usr/bin/env python3
"""Load test of one drop-down source: many clients, a short ttl, and the
Integrify stand-in stopped mid-run.

    bench/load_choices.py                          # 20 s, ttl 5, stand-in stopped at 8 s
    DURATION=30 TTL=3 STOP_AT=0 bench/load_choices.py   # STOP_AT=0: never stop it

Starts, on 127.0.0.1 only and inside one temporary directory, with the
classes of tests/integration/harness.py: the Integrify stand-in, the intake
pool (one [source:departments] section with ttl = TTL) and a private nginx
running the shipped site (conf/nginx/intake.conf) plus a copy of its server
block on a second port with the micro-cache off (bench/nocache_site.py).
All load goes to that second port: nginx's one-second fastcgi_cache would
otherwise answer nearly every request itself and hide what the workers do.

Then, at the same moment:
  - wrk -t THREADS -c CONNECTIONS -d DURATION --timeout 10s --latency on
    GET /api/choices/departments?per_page=1000 (the whole list);
  - a sampler that GETs the same URL every SAMPLE_MS ms, recording status,
    X-Intake-Cache and the number of items;
  - at STOP_AT seconds: the stand-in's call log is read (GET /__sim/state)
    and the stand-in is stopped (SIGTERM); Integrify is then unreachable.

It prints duration, ttl, upstream report calls (calls in the stand-in's log
whose path contains the report's SID and does not end with /filters) against
the bound duration/ttl + 1, wrk's requests, non-2xx and socket errors, the
X-Intake-Cache states sampled before and after the stop, and whether every
response sampled after the stop was a 200 with the full list. Timings are
printed, never judged; the exit status is 1 when one of the counts is off
(calls above the bound, an error, a bad sample after the stop).
tests/integration/test_choices_load.py runs the same scenario, shorter.

Environment (defaults in brackets):
  DURATION [20]  TTL [5]  STOP_AT [8] (seconds; 0: never)
  CONNECTIONS [256]  THREADS [2]  INTAKE_WORKERS [4]  SAMPLE_MS [100]
  INTAKE_BIN [build/cgi-bin/intake; copied into the run directory first]
  KEEP_TMP=1     keep the temporary directory (configs, logs)
"""
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(1, os.path.join(SRC, "tests", "integration"))

import harness  # noqa: E402  (tests/integration/harness.py)
import nocache_site  # noqa: E402
import wrk_report  # noqa: E402

# bench/all.sh names the build with INTAKE_BUILD_DIR; every Python bench takes
# its binary from INTAKE_BIN, else harness.BIN (build/ of this tree). Without
# this, INTAKE_BUILD_DIR was ignored and an older binary in build/ was run
# (one that refused the pool's flags, so the pool never listened).
if not os.environ.get("INTAKE_BIN") and os.environ.get("INTAKE_BUILD_DIR"):
    harness.BIN = os.path.join(os.path.abspath(os.environ["INTAKE_BUILD_DIR"]),
                               "cgi-bin", "intake")
    harness.BUILD = os.path.dirname(os.path.dirname(harness.BIN))


def stale_binary(binary):
    """The newest source under lib/ or cgi-bin/ that is newer than binary, or None."""
    try:
        built = os.stat(binary).st_mtime
    except OSError:
        return None
    newest = None
    for top in ("lib", "cgi-bin"):
        for d, _, files in os.walk(os.path.join(SRC, top)):
            for f in files:
                if f.endswith((".c", ".h")):
                    path = os.path.join(d, f)
                    t = os.stat(path).st_mtime
                    if t > built and (newest is None or t > newest[0]):
                        newest = (t, path)
    return None if newest is None else newest[1]

SOURCE = "departments"
PATH = "/api/choices/departments?per_page=1000"

SECTION = """
[source:departments]
report = {sid}
value_column = Code
label_column = Department
title = Departments
ttl = {ttl}
stale_ttl = 600
"""


def sections(ttl):
    return SECTION.format(sid=harness.REPORT_SIDS[SOURCE], ttl=ttl)


def expected_items():
    return len(harness.fixture_report(SOURCE)["rows"])


def report_calls(state, sid):
    """Calls that read the report's rows (not its filter definitions)."""
    return [c for c in state["calls"] if sid in c["path"] and not c["path"].endswith("/filters")]


def start_stack(workdir, server, sections_text, cleanup):
    """Stand-in, pool and nginx (shipped site + a cache-free copy) in workdir.
    cleanup(fn) registers how to stop each piece (unittest's addCleanup or an
    ExitStack's callback). Returns (standin, pool, nginx, nocache_url)."""
    standin = harness.Standin(workdir)
    cleanup(standin.close)
    pool = harness.Pool(workdir, standin, server=server, sections=sections_text)
    cleanup(pool.stop)
    try:
        pool.start()
    except AssertionError:
        # Say why: a binary that exited at once (an old build refusing a flag
        # or a config key) is named, with the end of its log.
        exited = pool.proc is not None and pool.proc.poll() is not None
        pool.log.flush()
        with open(pool.logpath, encoding="utf-8", errors="replace") as f:
            tail = "".join(f.readlines()[-5:])
        raise AssertionError("intake pool did not listen (%s, %s); its log ends:\n%s"
                             % (harness.BIN, "exited %s" % pool.proc.returncode if exited
                                else "still running", tail)) from None
    nginx = harness.Nginx(workdir, pool.sock, port=pool.web_port)
    nocache_port = harness.free_port()
    nocache_site.add_nocache_server(nginx.site_path, "127.0.0.1:%d" % nocache_port)
    cleanup(nginx.stop)
    nginx.start()
    harness.wait_for(lambda: harness._port_open(nocache_port), what="nginx's cache-free port")
    return standin, pool, nginx, "http://127.0.0.1:%d" % nocache_port


class Sampler(threading.Thread):
    """GET url every `every` seconds until `until` (monotonic); one record per request."""

    def __init__(self, url, t0, until, every):
        super().__init__(daemon=True)
        self.url, self.t0, self.until, self.every = url, t0, until, every
        self.samples = []
        self.halt = threading.Event()

    def one(self):
        rec = {"t": time.monotonic() - self.t0, "status": 0, "cache": None, "items": None,
               "total": None, "micro": None}
        try:
            status, headers, body = harness.http(self.url, timeout=10)
            rec["status"] = status
            rec["cache"] = headers.get("X-Intake-Cache")
            rec["micro"] = headers.get("X-Micro-Cache")
            if status == 200:
                doc = json.loads(body)
                rec["items"], rec["total"] = len(doc["items"]), doc["total"]
        except (OSError, ValueError, KeyError, urllib.error.URLError) as e:
            rec["error"] = "%s: %s" % (type(e).__name__, e)
        rec["done"] = time.monotonic() - self.t0
        return rec

    def run(self):
        nxt = time.monotonic()
        while not self.halt.is_set() and time.monotonic() < self.until:
            self.samples.append(self.one())
            nxt += self.every
            self.halt.wait(max(0.0, nxt - time.monotonic()))


def run_scenario(url, standin, pool, duration, ttl, stop_at, connections=256, threads=2,
                 sample_every=0.1, workdir=None):
    """Run wrk + the sampler against url (PATH is appended) for duration seconds,
    stopping the stand-in at stop_at (0: never). Returns a dict of results."""
    sid = harness.REPORT_SIDS[SOURCE]
    full = url + PATH
    want = expected_items()
    wrk_out = os.path.join(workdir or tempfile.gettempdir(), "wrk-load.txt")
    cmd = ["wrk", "-t%d" % threads, "-c%d" % connections, "-d%ds" % duration,
           "--timeout", "10s", "--latency", full]
    t0 = time.monotonic()
    with open(wrk_out, "w") as out:
        wrk = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    sampler = Sampler(full, t0, t0 + duration, sample_every)
    sampler.start()
    state = None
    t_stop = None
    try:
        if stop_at:
            time.sleep(max(0.0, t0 + stop_at - time.monotonic()))
            state = standin.state()
            t_stop_begin = time.monotonic() - t0
            standin.stop()
            t_stop = time.monotonic() - t0
        try:
            wrk.wait(timeout=duration + 60)
        except subprocess.TimeoutExpired:
            wrk.kill()
            wrk.wait()
            raise AssertionError("wrk did not finish within %d s" % (duration + 60))
    finally:
        if wrk.poll() is None:
            wrk.kill()
            wrk.wait()
        sampler.halt.set()
        sampler.join(30)
    if state is None:
        state = standin.state()
        t_stop_begin = None
    w = wrk_report.parse(wrk_out)
    with open(wrk_out, encoding="utf-8", errors="replace") as f:
        wrk_text = f.read()
    calls = report_calls(state, sid)
    samples = sampler.samples
    before = [s for s in samples if t_stop is None or s["done"] < t_stop_begin]
    after = [s for s in samples if t_stop is not None and s["t"] >= t_stop]
    bad_after = [s for s in after
                 if s["status"] != 200 or s["items"] != want or s["total"] != want]
    log = pool.log_text()
    return {
        "url": full, "sample_ms": round(sample_every * 1000), "duration": duration,
        "ttl": ttl, "stop_at": stop_at,
        "t_stop": t_stop, "connections": connections, "threads": threads,
        "workers": len(pool.workers()),
        "upstream_calls": len(calls),
        "call_times": [round(c["t"] - calls[0]["t"], 2) for c in calls] if calls else [],
        "bound": duration / ttl + 1,
        "bound_to_stop": (stop_at / ttl + 1) if stop_at else None,
        "token_fetches": len(harness.token_fetches(state)),
        "failed_refreshes": len(re.findall(r"refresh failed", log)),
        "requests": w["requests"] or 0, "rps": w["rps"], "p50": w["p50"], "p99": w["p99"],
        "non2xx": w["non2xx"], "socket_errors": w["errors"],
        "error_detail": w.get("error_detail"), "wrk_rc": wrk.returncode,
        "wrk_text": wrk_text,
        "expected_items": want,
        "samples": len(samples), "samples_before": _states(before),
        "samples_after": _states(after), "n_after": len(after), "bad_after": bad_after,
        "micro_cache_headers": sorted({s["micro"] for s in samples if s["micro"]}),
    }


def _states(samples):
    """{X-Intake-Cache or status/error: count}"""
    out = {}
    for s in samples:
        if "error" in s:
            k = "error"
        elif s["status"] != 200:
            k = "status %d" % s["status"]
        else:
            k = s["cache"] or "(none)"
        out[k] = out.get(k, 0) + 1
    return out


def problems(r):
    """The count checks that failed (empty: all good)."""
    p = []
    if r["wrk_rc"] != 0:
        p.append("wrk exited with %s" % r["wrk_rc"])
    if r["requests"] <= 0:
        p.append("wrk made no requests")
    if r["upstream_calls"] < 1:
        p.append("no upstream report call logged")
    if r["upstream_calls"] > r["bound"]:
        p.append("upstream calls %d > bound %.2f" % (r["upstream_calls"], r["bound"]))
    if r["non2xx"]:
        p.append("%d non-2xx responses" % r["non2xx"])
    if r["socket_errors"]:
        p.append("%d socket errors (%s)" % (r["socket_errors"], r["error_detail"]))
    if r["stop_at"]:
        if r["n_after"] == 0:
            p.append("no sample after the stand-in stopped")
        if r["bad_after"]:
            p.append("%d samples after the stop were not 200 with %d items, first: %r"
                     % (len(r["bad_after"]), r["expected_items"], r["bad_after"][0]))
    if r["micro_cache_headers"]:
        p.append("the load went through nginx's micro-cache (X-Micro-Cache %s)"
                 % r["micro_cache_headers"])
    return p


def _fmt_states(d):
    return ", ".join("%s %d" % kv for kv in sorted(d.items())) or "none"


def format_result(r):
    ms = wrk_report.fmt_ms
    lines = [
        "choices load: GET %s" % r["url"],
        "  via nginx WITHOUT fastcgi_cache (a copy of the shipped server block, "
        "'fastcgi_cache off', bench/nocache_site.py); %d intake workers"
        % r["workers"],
        "  wrk -t%d -c%d -d%ds --timeout 10s; duration %d s, ttl %d s, stand-in %s"
        % (r["threads"], r["connections"], r["duration"], r["duration"], r["ttl"],
           "stopped at %.1f s" % r["t_stop"] if r["t_stop"] is not None else "up throughout"),
        "  upstream report calls: %d  (bound duration/ttl + 1 = %.2f%s); at t = %s s after the first"
        % (r["upstream_calls"], r["bound"],
           "; before the stop stop_at/ttl + 1 = %.2f" % r["bound_to_stop"]
           if r["bound_to_stop"] else "", r["call_times"]),
        "  token fetches: %d; refreshes that failed while Integrify was down (intake log): %d"
        % (r["token_fetches"], r["failed_refreshes"]),
        "  wrk: %d requests, %s req/s, p50 %s, p99 %s; non-2xx %d, socket errors %d; errors %d"
        % (r["requests"], "?" if r["rps"] is None else "%.0f" % r["rps"], ms(r["p50"]),
           ms(r["p99"]), r["non2xx"], r["socket_errors"], r["non2xx"] + r["socket_errors"]),
        "  samples (one GET every %d ms; X-Intake-Cache): %d; before the stop: %s"
        % (r["sample_ms"], r["samples"], _fmt_states(r["samples_before"])),
    ]
    if r["stop_at"]:
        lines.append("  after the stop: %s; all 200 with the full list (%d items): %s"
                     % (_fmt_states(r["samples_after"]), r["expected_items"],
                        "yes (%d samples)" % r["n_after"] if r["n_after"] and not r["bad_after"]
                        else "NO (%d of %d bad)" % (len(r["bad_after"]), r["n_after"])))
    p = problems(r)
    lines.append("  counts: " + ("ok" if not p else "PROBLEM: " + "; ".join(p)))
    return "\n".join(lines)


def _env_int(name, default):
    v = os.environ.get(name, str(default))
    if not re.fullmatch(r"[0-9]+", v):
        sys.exit("load_choices.py: %s must be a whole number: %r" % (name, v))
    return int(v)


def _on_signal(signum, frame):
    raise SystemExit(128 + signum)


def need_tools(name, tools):
    """Exit, saying so, unless every tool is on PATH or in /usr/sbin (then on PATH)."""
    for tool in tools:
        if shutil.which(tool, path=os.environ.get("PATH", "") + ":/usr/sbin") is None:
            sys.exit("%s: %s not found (scripts/deps.sh installs it)" % (name, tool))
    os.environ["PATH"] = os.environ.get("PATH", "") + ":/usr/sbin"


def scratch_dir(name, prefix, stack):
    """A work directory removed when stack closes (kept with KEEP_TMP=1);
    SIGTERM and SIGINT leave through stack too."""
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    workdir = tempfile.mkdtemp(prefix=prefix)
    os.chmod(workdir, 0o755)
    if os.environ.get("KEEP_TMP"):
        stack.callback(print, "%s: kept %s" % (name, workdir), file=sys.stderr)
    else:
        stack.callback(shutil.rmtree, workdir, True)
    return workdir


def main():
    if len(sys.argv) > 1:
        print(__doc__.strip())
        return 0 if sys.argv[1] in ("-h", "--help") else 2
    duration = _env_int("DURATION", 20)
    ttl = _env_int("TTL", 5)
    stop_at = _env_int("STOP_AT", 8)
    connections = _env_int("CONNECTIONS", 256)
    threads = _env_int("THREADS", 2)
    workers = _env_int("INTAKE_WORKERS", 4)
    sample_ms = _env_int("SAMPLE_MS", 100)
    if duration < 1 or ttl < 1 or connections < 1 or threads < 1 or sample_ms < 1:
        sys.exit("load_choices.py: DURATION, TTL, CONNECTIONS, THREADS, SAMPLE_MS must be > 0")
    if stop_at >= duration:
        sys.exit("load_choices.py: STOP_AT must be below DURATION (0: never)")
    need_tools("load_choices.py", ("wrk", "nginx"))
    with contextlib.ExitStack() as stack:
        workdir = scratch_dir("load_choices.py", "intake-load.", stack)
        # A private copy of the binary: a rebuild during the run cannot swap it.
        binary = os.environ.get("INTAKE_BIN", harness.BIN)
        if not os.access(binary, os.X_OK):
            sys.exit("load_choices.py: no intake binary at %s (cmake -S . -B build && "
                     "cmake --build build -j2)" % binary)
        harness.BIN = os.path.join(workdir, "intake")
        shutil.copy2(binary, harness.BIN)
        # Every worker may wait on the cold first fetch: the cache is measured,
        # not the upstream slots (bench_slow_upstream.py does those).
        server = {"workers": str(workers), "cache_entry_max": "1048576", "log_level": "warn",
                  "upstream_slots": str(workers), "upstream_wait_ms": "30000"}
        standin, pool, nginx, url = start_stack(workdir, server, sections(ttl), stack.callback)
        print("load_choices.py: running %d s of load (stand-in %s) ..."
              % (duration, "stopped at %d s" % stop_at if stop_at else "up throughout"),
              file=sys.stderr)
        r = run_scenario(url, standin, pool, duration, ttl, stop_at, connections, threads,
                         sample_ms / 1000.0, workdir)
        print(format_result(r))
        return 1 if problems(r) else 0


if __name__ == "__main__":
    sys.exit(main())
