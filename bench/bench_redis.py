#!/usr/bin/env python3
"""Redis backend against shared memory, in one run: cached /api/choices
throughput and the added latency of a form post.

    bench/bench_redis.sh                     # 3 rounds, 10 s of wrk each
    ROUNDS=5 DURATION=20 bench/bench_redis.sh

Starts, on 127.0.0.1 only and inside one temporary directory, with the
classes of tests/integration/harness.py: the Integrify stand-in, a
redis-server on a unix socket, and for each backend (shm, redis) an intake
pool (v8 API-key dialect, INTAKE_WORKERS workers, the demo form) behind its
own private nginx running the shipped site plus a copy of its server block
with the micro-cache off (bench/nocache_site.py), so the workers answer
every request (with Redis: from each worker's own copy of the list, the
level-1 report cache, in front of Redis).

Each round, in an order that alternates, for each backend:
  - wrk -t THREADS -c CONNECTIONS -d DURATION --latency on the cache-free
    port's /api/choices/departments (warmed first);
  - POSTS form posts, one after another (tokens fetched first and left to
    ripen one second, as the form's bot check wants), timed one by one.
It prints per backend the medians over rounds of req/s, wrk p50/p99 and the
post p50/p99, and the ratios redis/shm (per round, then the median):
  choices req/s redis/shm   (target >= 0.9: the per-worker copy answers)
  post p50, p99 redis - shm (the latency Redis adds to a submission)
It measures and prints; it judges nothing.  The machine is shared and noisy:
compare the ratios of one run, not req/s across runs.

Environment (defaults in brackets):
  DURATION [10]  ROUNDS [3]  CONNECTIONS [32]  THREADS [2]  INTAKE_WORKERS [2]
  POSTS [60]     INTAKE_BIN [build/cgi-bin/intake]   KEEP_TMP=1 keep the directory
"""
import contextlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../tests/integration"))
sys.path.insert(0, HERE)

import harness  # noqa: E402
import nocache_site  # noqa: E402
import result  # noqa: E402
import wrk_report  # noqa: E402
from bench_submit import demo_sections  # noqa: E402
from test_redis import Redis  # noqa: E402


def env_int(name, default):
    v = os.environ.get(name, str(default))
    if not v.isdigit() or int(v) <= 0:
        sys.exit("bench_redis: %s must be a whole number > 0: %r" % (name, v))
    return int(v)


DURATION = env_int("DURATION", 10)
ROUNDS = env_int("ROUNDS", 3)
CONNECTIONS = env_int("CONNECTIONS", 32)
THREADS = env_int("THREADS", 2)
WORKERS = env_int("INTAKE_WORKERS", 2)
POSTS = env_int("POSTS", 60)
ENDPOINT = "/api/choices/departments"
FIELDS = [("requester_name", "Bench User"), ("requester_email", "bench@example.com"),
          ("department", "IT-010"), ("location", "ZRH-01"), ("category", "CAT-0645"),
          ("priority", "P2"), ("description", "A benchmark request, long enough."),
          ("needed_by", "2027-02-28")]


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))] if xs else None


def start_host(workdir, name, standin, cache_text, cleanup):
    d = os.path.join(workdir, "host-" + name)
    os.makedirs(d)
    port = harness.free_port()
    server = {"workers": str(WORKERS), "cache_entry_max": "1048576", "log_level": "warn",
              "forms_dir": os.path.join(harness.SRC, "conf/forms"),
              "rate_per_client": "0", "rate_per_form": "0", "mark_entries": "65536"}
    pool = harness.Pool(d, standin, "v8-apikey", server=server,
                        sections=demo_sections() + cache_text, web_port=port)
    cleanup(pool.stop)
    pool.start()
    nginx = harness.Nginx(d, pool.sock, port=port)
    nocache = harness.free_port()
    nocache_site.add_nocache_server(nginx.site_path, "127.0.0.1:%d" % nocache)
    cleanup(nginx.stop)
    nginx.start()
    harness.wait_for(lambda: harness._port_open(nocache), what="the cache-free port")
    return {"nginx": nginx, "nocache": "http://127.0.0.1:%d" % nocache, "pool": pool}


def wrk(url, out):
    with open(out, "w") as f:
        subprocess.run(["wrk", "-t%d" % THREADS, "-c%d" % CONNECTIONS, "-d%ds" % DURATION,
                        "--latency", url], stdout=f, stderr=subprocess.STDOUT, check=True)
    return wrk_report.parse(out)


def posts(host):
    url = host["nginx"].url
    toks = []
    for _ in range(POSTS):
        status, _, body = harness.http(url + "/forms/it-request")
        if status != 200:
            raise SystemExit("bench_redis: GET /forms/it-request: %d" % status)
        toks.append(re.search(r'name="_token" value="([^"]+)"', body).group(1))
    time.sleep(1.2)
    times, bad = [], 0
    for tok in toks:
        body = urllib.parse.urlencode([("_token", tok)] + FIELDS).encode()
        t0 = time.monotonic()
        status, _, text = harness.http(url + "/forms/it-request", method="POST", body=body,
                                       headers={"Content-Type":
                                                "application/x-www-form-urlencoded",
                                                "Origin": url, "Accept": "application/json"})
        times.append((time.monotonic() - t0) * 1000.0)
        if status not in (201, 202):
            bad += 1
    return times, bad


def main():
    workdir = tempfile.mkdtemp(prefix="intake-bench-redis-")
    results = {"shm": [], "redis": []}
    with contextlib.ExitStack() as stack:
        cleanup = stack.callback
        standin = harness.Standin(workdir)
        cleanup(standin.close)
        redis = Redis(workdir).start()
        cleanup(redis.kill)
        seal = os.path.join(workdir, "seal.key")
        with open(seal, "wb") as f:
            f.write(os.urandom(32))
        hosts = {
            "shm": start_host(workdir, "shm", standin, "", cleanup),
            "redis": start_host(workdir, "redis", standin,
                                "[cache]\nbackend = redis\nredis_socket = %s\n"
                                "redis_seal_key_file = %s\n" % (redis.sock, seal), cleanup),
        }
        for name, h in hosts.items():
            status, _, body = harness.http(h["nocache"] + ENDPOINT)
            if status != 200:
                raise SystemExit("bench_redis: %s: %s %d %s" % (name, ENDPOINT, status, body))
            status, _, body = harness.http(h["nginx"].url + "/readyz")
            if json.loads(body).get("cache") != name:
                raise SystemExit("bench_redis: %s pool says cache %r" % (name, body))
        for r in range(ROUNDS):
            order = ["shm", "redis"] if r % 2 == 0 else ["redis", "shm"]
            for name in order:
                h = hosts[name]
                w = wrk(h["nocache"] + ENDPOINT, os.path.join(workdir, "wrk-%s-%d.txt" % (name, r)))
                times, bad = posts(h)
                results[name].append({"rps": w["rps"], "p50": w["p50"], "p99": w["p99"],
                                      "non2xx": w["non2xx"], "errors": w["errors"],
                                      "post_p50": pct(times, 50), "post_p99": pct(times, 99),
                                      "post_bad": bad})
                print("round %d %-5s choices %8.0f req/s p50 %s p99 %s non2xx %d | post p50 "
                      "%.1f ms p99 %.1f ms bad %d" % (
                          r + 1, name, w["rps"] or 0, wrk_report.fmt_ms(w["p50"]),
                          wrk_report.fmt_ms(w["p99"]), w["non2xx"], pct(times, 50),
                          pct(times, 99), bad), flush=True)
    print()
    print("medians over %d rounds (%d s wrk -c%d, %d posts; intake %d workers each):"
          % (ROUNDS, DURATION, CONNECTIONS, POSTS, WORKERS))
    for name in ("shm", "redis"):
        rs = results[name]
        print("  %-5s choices %8.0f req/s  post p50 %6.1f ms  p99 %6.1f ms" % (
            name, statistics.median(x["rps"] for x in rs),
            statistics.median(x["post_p50"] for x in rs),
            statistics.median(x["post_p99"] for x in rs)))
    ratio = statistics.median(b["rps"] / a["rps"] for a, b in zip(results["shm"],
                                                                    results["redis"]))
    d50 = statistics.median(b["post_p50"] - a["post_p50"] for a, b in zip(results["shm"],
                                                                          results["redis"]))
    d99 = statistics.median(b["post_p99"] - a["post_p99"] for a, b in zip(results["shm"],
                                                                          results["redis"]))
    print("  choices req/s redis/shm: %.2f (target >= 0.90)" % ratio)
    result.emit("redis: choices req/s redis / shm", ratio, "shm %.0f req/s" % statistics.median(
        x["rps"] for x in results["shm"]), ">=", 0.9)
    print("  post added by redis: p50 %+.1f ms, p99 %+.1f ms" % (d50, d99))
    if os.environ.get("KEEP_TMP"):
        print("kept", workdir)
    else:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
