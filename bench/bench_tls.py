#!/usr/bin/env python3
"""Connection reuse benchmark: Integrify behind TLS and a WAN-like round trip.

    bench/bench_tls.py                          # 2 clients, 10 s per phase, 20 ms RTT
    CLIENTS=4 DURATION=20 DELAY_MS=25 bench/bench_tls.py

Starts, on 127.0.0.1 inside one temporary directory: the Integrify stand-in
serving https (--tls, a self-signed certificate made here with openssl for
the tenant host name), bench/tlsproxy.py in front of it adding DELAY_MS to
every chunk each way (a round trip costs 2 x DELAY_MS more), the intake pool
(v8 API key, INTAKE_WORKERS workers) trusting the certificate through
[integrify] ca_file and reaching the stand-in only through the proxy, and a
private nginx running the shipped site.

Each of two pools is measured in the same run, the same way:
  keepalive_s = 30  (connections and TLS sessions kept and reused: this issue)
  keepalive_s = 0   (the baseline: every POST opens a new connection, as before)
A warm-up (one submission per worker, twice) lets every worker make its
connection; then, for DURATION seconds, CLIENTS threads post the it-request
form (201 expected) one after the other, and after each post send the start
call intake makes straight to the stand-in through a second proxy (same
delay) on one kept-alive TLS connection: "the start call's own latency".
Then a report refresh phase: a source with ttl = 1 is asked for every
1.1 s (on the micro-cache-free port) REFRESHES times.

New connections are counted by the proxy (it carries intake's traffic
only); full TLS handshakes and resumptions by the stand-in's TLS server
(ssl's session_reused), less the bench's own connections, which are opened
before a phase and kept.  Printed per phase and pool: new connections, full
handshakes and resumptions per submission and per report refresh (target
<= 0.05 per submission), and submission p50 - direct start p50 against the
round trip (target: at most one round trip more).  Exit 1 when a count
check fails (a stand-in request per 201, none twice).

Environment (defaults in brackets): CLIENTS [2]  DURATION [10]  DELAY_MS [10]
INTAKE_WORKERS [2]  REFRESHES [8]  INTAKE_BIN [build/cgi-bin/intake]
KEEP_TMP=1 keep the temporary directory.
"""
import collections
import contextlib
import http.client
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import bench_submit as bs  # noqa: E402
import fcgi  # noqa: E402  (tests/integration)
import load_choices  # noqa: E402  (also puts tests/integration on sys.path)
import result  # noqa: E402  (bench/result.py: the RESULT lines bench/all.sh collects)
import tlsproxy  # noqa: E402
from load_choices import harness  # noqa: E402

REFRESH_SOURCE = "tlsbench"
DEPARTMENTS_SID = "7bb3cd03-a442-5392-a963-51522175121e"


def env_int(name, default):
    v = os.environ.get(name, str(default))
    if not re.fullmatch(r"[0-9]+", v):
        sys.exit("bench_tls.py: %s must be a whole number: %r" % (name, v))
    return int(v)


def make_cert(workdir):
    """A self-signed certificate (and key) for the tenant host and 127.0.0.1."""
    cert, key = os.path.join(workdir, "standin.crt"), os.path.join(workdir, "standin.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=" + harness.HOST_HEADER, "-addext",
                    "subjectAltName=DNS:%s,IP:127.0.0.1" % harness.HOST_HEADER],
                   check=True, capture_output=True)
    return cert, key


class KeptConn:
    """One kept-alive https connection (to the stand-in or through a proxy)."""

    def __init__(self, port, ctx):
        self.port, self.ctx, self.c = port, ctx, None
        self.opened = 0

    def request(self, method, path, body=None, headers=None):
        h = dict(headers or {}, Host=harness.HOST_HEADER)
        if self.c is None:
            self.c = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=60,
                                                 context=self.ctx)
            self.opened += 1
        try:
            self.c.request(method, path, body=body, headers=h)
            r = self.c.getresponse()
            return r.status, r.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise

    def close(self):
        if self.c is not None:
            self.c.close()
            self.c = None


class TLSStandin(harness.Standin):
    """The stand-in serving https; control calls on one kept connection."""

    def __init__(self, workdir, cert, key):
        self.tls = (cert, key)
        self.ctx = ssl.create_default_context(cafile=cert)
        self.ctl = None
        super().__init__(workdir)

    def start(self):
        args = [sys.executable, harness.STANDIN, "--host", "127.0.0.1", "--port",
                str(self.port), "--data", harness.FIXTURE, "--tls"] + list(self.tls)
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log, text=True)
        m = re.search(r"listening on https://([\d.]+):(\d+)", self.proc.stdout.readline())
        if not m:
            raise AssertionError("stand-in did not start")
        self.port = int(m.group(2))
        self.url = "https://127.0.0.1:%d" % self.port
        self.ctl = KeptConn(self.port, self.ctx)

    def call(self, method, path, body=None):
        status, raw = self.ctl.request(method, path, None if body is None else
                                       json.dumps(body).encode())
        if status != 200:
            raise AssertionError("stand-in %s %s: %d" % (method, path, status))
        return json.loads(raw) if raw else None


def sections():
    """The form's sources, and one list that goes stale every second."""
    text = bs.demo_sections()
    m = re.search(r"^\[source:departments\]\n(?:(?!\[).*\n?)*", text, re.M)
    block = m.group(0).replace("[source:departments]", "[source:%s]" % REFRESH_SOURCE)
    block = re.sub(r"(?m)^ttl = \d+$", "ttl = 1", block)
    return text + "\n" + block


class Client(bs.Client):
    """Posts the form one submission after another; after each, the direct start
    (bench_submit's, on a kept TLS connection through the second proxy)."""

    def __init__(self, b, idx):
        threading.Thread.__init__(self, daemon=True, name="client-%d" % idx)
        self.b = b
        self.gw = bs.Conn(b.nginx_port)
        self.si = KeptConn(b.direct_port, b.ctx)
        self.post_lat, self.start_lat = [], []
        self.codes = collections.Counter()
        self.direct_bad = collections.Counter()

    def tokens(self, n):
        out = []
        for _ in range(n):
            status, body = self.gw.request("GET", "/forms/" + bs.FORM)
            m = bs.TOKEN_RE.search(body.decode("utf-8", "replace")) if status == 200 else None
            if m is None:
                raise AssertionError("GET /forms/%s: %d" % (bs.FORM, status))
            out.append((m.group(1), int(m.group(2)) + 1.02))
        return out

    def post(self, token):
        body = urllib.parse.urlencode([("_token", token)] + bs.GOOD).encode()
        t0 = time.perf_counter()
        status, _ = self.gw.request("POST", "/forms/" + bs.FORM, body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Origin": self.b.origin,
            "Accept": "application/json"})
        self.codes[status] += 1
        if status == 201:
            self.post_lat.append(time.perf_counter() - t0)

    def run(self):
        toks = []
        while time.monotonic() < self.b.end:
            if not toks:
                toks = self.tokens(self.b.batch)
                time.sleep(max(0.0, toks[-1][1] - time.time()))
            self.post(toks.pop(0)[0])
            self.direct_start()
        self.gw.close()
        self.si.close()


def intake_metrics(pool):
    """(connects, tls full, tls resumed, start calls, their seconds) as intake counts them."""
    status, _, body = fcgi.request(pool.admin_sock, "/metrics", timeout=30)
    if status != 200:
        sys.exit("bench_tls.py: /metrics answered %d" % status)

    def val(pattern):
        m = re.search(r"(?m)^%s (\S+)$" % re.escape(pattern), body)
        return float(m.group(1)) if m else 0.0
    return (val("intake_upstream_connects_total"),
            val('intake_upstream_tls_handshakes_total{kind="full"}'),
            val('intake_upstream_tls_handshakes_total{kind="resumed"}'),
            val('intake_upstream_request_duration_seconds_count{kind="start"}'),
            val('intake_upstream_request_duration_seconds_sum{kind="start"}'))


def tls_counts(standin):
    c = standin.call("GET", "/__sim/connections")
    return c["connections"], c["tls_full"], c["tls_resumed"]


def measure(b, standin, proxy, pool, clients, duration, refreshes, nocache_url):
    """One pool's figures: submissions, then report refreshes."""
    out = {}
    # Warm-up: enough submissions that every worker has its connection.
    warm = Client(b, -1)
    b.end = time.monotonic() + 1e9
    for tok, ripe in warm.tokens(4 * len(pool.workers())):
        time.sleep(max(0.0, ripe - time.time()))
        warm.post(tok)
    warm.gw.close()
    if set(warm.codes) != {201}:
        sys.exit("bench_tls.py: warm-up submissions got %s (intake log: %s)"
                 % (dict(warm.codes), pool.logpath))
    threads = [Client(b, i) for i in range(clients)]
    for t in threads:                   # the bench's own connections, before counting
        t.si.request("GET", "/__sim/connections")
    c0, f0, r0 = tls_counts(standin)
    p0, n0 = proxy.connections, len(standin.state()["calls"])
    m0 = intake_metrics(pool)
    b.end = time.monotonic() + duration
    for t in threads:
        t.start()
    for t in threads:
        t.join(duration + 300)
    c1, f1, r1 = tls_counts(standin)
    m1 = intake_metrics(pool)
    own = sum(t.si.opened for t in threads) - clients     # reconnects of the bench's own
    codes, post_lat, start_lat, bad = collections.Counter(), [], [], collections.Counter()
    for t in threads:
        codes.update(t.codes)
        post_lat += t.post_lat
        start_lat += t.start_lat
        bad.update(t.direct_bad)
    calls = standin.state()["calls"][n0:]
    out.update(subs=codes.get(201, 0), codes=dict(codes), direct_bad=dict(bad),
               conns=proxy.connections - p0, full=f1 - f0 - own, resumed=r1 - r0,
               post50=bs.pct(post_lat, 50), start50=bs.pct(start_lat, 50),
               post95=bs.pct(post_lat, 95),
               m=[y - x for x, y in zip(m0, m1)], calls=collections.Counter(
                   re.sub(r"[0-9a-f-]{36}", "{sid}", c["path"]) for c in calls
                   if c["token"] != b.bearer),
               starts=sum(
                   1 for c in calls if c["path"].startswith("/api/instance/start/")
                   and c["token"] != b.bearer))
    # Report refreshes: the list is stale every second; ask for it after that.
    p0, n0 = proxy.connections, len(standin.state()["calls"])
    f0, r0 = tls_counts(standin)[1:]
    for _ in range(refreshes):
        time.sleep(1.1)
        harness.http(nocache_url + "/api/choices/" + REFRESH_SOURCE, timeout=30)
    time.sleep(1.0)                     # a refresh another worker finishes
    calls = standin.state()["calls"][n0:]
    f1, r1 = tls_counts(standin)[1:]
    out.update(refreshes=sum(1 for c in calls if DEPARTMENTS_SID in c["path"]),
               rconns=proxy.connections - p0, rfull=f1 - f0, rresumed=r1 - r0)
    return out


def per(n, d):
    return "%.3f" % (n / d) if d else "n/a"


def report(b, delay_ms, workers, clients, duration, rows):
    rtt = 2 * delay_ms / 1000.0
    print("TLS bench: intake -> tlsproxy (+%d ms each way, RTT +%d ms) -> stand-in (https, "
          "self-signed CA via ca_file); %d workers, %d clients, %d s per pool"
          % (delay_ms, 2 * delay_ms, workers, clients, duration))
    names = [name for name, _ in rows]
    print("  %-44s" % "" + "".join("%22s" % n for n in names))

    def line(label, f):
        print("  %-44s" % label + "".join("%22s" % f(r) for _, r in rows))
    line("submissions (201)", lambda r: r["subs"])
    line("new connections / submission (<= 0.05)", lambda r: per(r["conns"], r["subs"]))
    line("full TLS handshakes / submission", lambda r: per(r["full"], r["subs"]))
    line("resumed TLS sessions / submission", lambda r: per(r["resumed"], r["subs"]))
    line("intake's count: connects / submission", lambda r: per(r["m"][0], r["subs"]))
    line("intake's count: full TLS / submission", lambda r: per(r["m"][1], r["subs"]))
    line("report refreshes", lambda r: r["refreshes"])
    line("new connections / refresh", lambda r: per(r["rconns"], r["refreshes"]))
    line("full TLS handshakes / refresh", lambda r: per(r["rfull"], r["refreshes"]))
    line("Integrify calls / submission", lambda r: per(sum(r["calls"].values()), r["subs"]))
    line("submission p50 (client)", lambda r: bs.fmt_ms(r["post50"]))
    line("submission p95 (client)", lambda r: bs.fmt_ms(r["post95"]))
    line("direct start call p50 (kept TLS conn)", lambda r: bs.fmt_ms(r["start50"]))
    line("intake's start call, mean (its own clock)", lambda r: bs.fmt_ms(
        r["m"][4] / r["m"][3]) if r["m"][3] else "n/a")
    line("added = submission p50 - start p50", lambda r: bs.fmt_ms(
        r["post50"] - r["start50"]) if r["post50"] and r["start50"] else "n/a")
    line("added / round trip (<= 1)", lambda r: "%.2f RTT" % (
        (r["post50"] - r["start50"]) / rtt) if r["post50"] and r["start50"] else "n/a")
    results(rows, rtt)


def results(rows, rtt):
    """bench/all.sh's RESULT lines: the reusing pool, the fresh-connection one as baseline."""
    def ratio(n, d):
        return n / d if d else None
    (_, r), (_, base) = rows[0], rows[-1]
    result.emit("tls: new connections per submission", ratio(r["conns"], r["subs"]),
                "every POST new: %.3f" % (ratio(base["conns"], base["subs"]) or 0),
                "<=", 0.05, fmt="%.3f")
    result.emit("tls: full handshakes per submission", ratio(r["full"], r["subs"]),
                "every POST new: %.3f" % (ratio(base["full"], base["subs"]) or 0),
                "<=", 0.05, fmt="%.3f")
    result.emit("tls: new connections per report refresh", ratio(r["rconns"], r["refreshes"]),
                "-", "<=", 0.05, fmt="%.3f")
    added = (r["post50"] - r["start50"]) * 1000.0 if r["post50"] and r["start50"] else None
    result.emit("tls: submission p50 - start call p50", added,
                "round trip %.1f ms" % (rtt * 1000.0), "<=", rtt * 1000.0, unit="ms")


def run(workdir, stack):
    clients, duration = env_int("CLIENTS", 2), env_int("DURATION", 10)
    delay_ms, workers = env_int("DELAY_MS", 10), env_int("INTAKE_WORKERS", 2)
    refreshes = env_int("REFRESHES", 8)
    if clients < 1 or duration < 1 or workers < 1:
        sys.exit("bench_tls.py: CLIENTS, DURATION, INTAKE_WORKERS must be > 0")
    binary = os.environ.get("INTAKE_BIN", harness.BIN)
    if not os.access(binary, os.X_OK):
        sys.exit("bench_tls.py: no intake binary at %s" % binary)
    harness.BIN = os.path.join(workdir, "intake")
    shutil.copy2(binary, harness.BIN)
    cert, key = make_cert(workdir)
    standin = TLSStandin(workdir, cert, key)
    stack.callback(standin.close)
    proxy = tlsproxy.start_in_thread(standin.port, delay_ms)
    direct = tlsproxy.start_in_thread(standin.port, delay_ms)
    b = bs.Bench()
    b.ctx, b.direct_port, b.batch = standin.ctx, direct.port, 20
    title, process, task, fields = bs.form_meta()
    server = {"workers": str(workers), "forms_dir": os.path.join(harness.SRC, "conf/forms"),
              "rate_per_client": "0", "rate_per_form": "0", "cache_entries": "8192",
              "cache_entry_max": "131072", "log_level": "warn",
              "upstream_slots": str(workers)}
    integ = {"base_url": "https://%s:%d" % (harness.HOST_HEADER, proxy.port),
             "connect_to": "127.0.0.1:%d" % proxy.port, "ca_file": cert,
             "allow_http": "no", "timeout_ms": "10000"}
    rows = []
    nginx = None
    for name, keepalive in (("keepalive_s=30", "30"), ("keepalive_s=0 (base)", "0")):
        pool = harness.Pool(workdir, standin, variant="v8-apikey", server=server,
                            integrify=dict(integ, keepalive_s=keepalive), sections=sections(),
                            web_port=nginx.port if nginx is not None else None)
        pool.start()
        if nginx is None:
            nginx = harness.Nginx(workdir, pool.sock, port=pool.web_port)
            nocache_port = harness.free_port()
            load_choices.nocache_site.add_nocache_server(nginx.site_path,
                                                         "127.0.0.1:%d" % nocache_port)
            stack.callback(nginx.stop)
            nginx.start()
            b.origin, b.nginx_port = nginx.url, nginx.port
        if not hasattr(b, "bearer"):
            w = Client(b, -1)
            tok, ripe = w.tokens(1)[0]
            time.sleep(max(0.0, ripe - time.time()))
            w.post(tok)
            tpath = bs.token_path(standin.state())
            status, raw = KeptConn(standin.port, standin.ctx).request("GET", tpath)
            text = raw.decode()
            b.bearer = json.loads(text)["token"] if text.startswith("{") else text.strip()
            b.start_path = "/api/instance/start/%s/%s?requestName=%s" % (
                process, task, urllib.parse.quote(bs.DIRECT_NAME))
            b.start_body = bs.start_body(fields, bs.DIRECT_NAME)
        print("bench_tls.py: %s ..." % name, file=sys.stderr)
        try:
            rows.append((name, measure(b, standin, proxy, pool, clients, duration, refreshes,
                                       "http://127.0.0.1:%d" % nocache_port)))
        finally:
            pool.stop()
    report(b, delay_ms, workers, clients, duration, rows)
    for name, r in rows:
        print("  %s: intake's Integrify calls: %s" % (name, dict(r["calls"])))
    state = standin.state()
    gw = sum(1 for i in state["instances"] if i["name"].startswith(title + " ("))
    made = sum(r["subs"] for _, r in rows)
    problems = []
    if gw < made:
        problems.append("stand-in requests %d < 201s %d" % (gw, made))
    for name, r in rows:
        if r["starts"] != r["subs"]:
            problems.append("%s: %d start calls for %d submissions" % (name, r["starts"],
                                                                       r["subs"]))
        if r["direct_bad"] or set(r["codes"]) - {201}:
            problems.append("%s: %s %s" % (name, r["codes"], r["direct_bad"]))
    print("  counts: " + ("ok" if not problems else "PROBLEM: " + "; ".join(problems)))
    return 1 if problems else 0


def main():
    if len(sys.argv) > 1:
        print(__doc__.strip())
        return 0 if sys.argv[1] in ("-h", "--help") else 2
    load_choices.need_tools("bench_tls.py", ("nginx", "openssl"))
    with contextlib.ExitStack() as stack:
        return run(load_choices.scratch_dir("bench_tls.py", "intake-tls.", stack), stack)


if __name__ == "__main__":
    sys.exit(main())
