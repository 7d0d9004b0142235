#!/usr/bin/env python3
"""Submission benchmark: POST /forms/it-request through nginx and intake,
with the form-token flow a browser goes through.

    bench/bench_submit.py                      # 2 clients, then 16; 15 s each
    CLIENTS=32 DURATION=30 bench/bench_submit.py

Starts, on 127.0.0.1 only and inside one temporary directory, with the
classes of tests/integration/harness.py (through bench/load_choices.py's
start_stack): the Integrify stand-in, the intake pool (v8 API-key dialect,
INTAKE_WORKERS workers, forms_dir = conf/forms, rate limits off, the
[source:...] sections conf/forms/it-request.conf needs, copied at run time
from conf/demo/intake.conf.in) and a private nginx running the shipped site.
Submissions go to the shipped server block (POST is never micro-cached).

For each number in CLIENTS (one pool, one phase after the other), that many
threads, each with its own keep-alive http.client connections, run for
DURATION seconds. Each keeps a small pool of form tokens: it GETs
/forms/it-request and takes the `_token` (v1.<form>.<issued_s>.<nonce>.<mac>);
a token is "ripe" once the gateway's clock says it is at least 1 s old
(time >= issued_s + 1, whole seconds, as lib/form/formtoken.c counts). While its
oldest token is not ripe the thread fetches another one (up to POOL_MAX);
once it is, the thread POSTs a valid urlencoded submission with
`Origin: <nginx url>` and `Accept: application/json` and expects 201.

The stand-in's own handling time is measured in the same run, from the same
threads: after every REPLAY_EVERY-th POST (0: never) the thread sends the
call the gateway makes for a submission - POST
/api/instance/start/{process}/{task}?requestName=... with the same
questions body - straight to the stand-in on its own keep-alive connection,
with a bearer token the bench got from the stand-in's token endpoint (the
same endpoint path the gateway used, read from the stand-in's call log).
Those direct starts are named "bench-direct" so the count check can tell
them from the gateway's ("IT request (REF)" - the form's title and the reference).

After each direct start the thread also GETs /healthz through nginx (the hop
every request pays, with no work behind it), so the added time can be split
into that hop and the post's own work.  Each phase's CPU seconds (from /proc)
of intake, nginx, the stand-in and this bench, per submission, and the busy
cores of the whole machine (other users too) say whether the 16-client figure
is bound by CPU: at C CPU-seconds per submission, N cores carry at most N / C
submissions/s, and by Little's law K clients then wait at least K x C / N.

Printed: submissions/s, 201 / non-201 counts (by status or error), p50/p95/p99
of the POST as the client sees it, p50/p95 of the direct start call and of
the token endpoint, the upstream calls the gateway made during the run (start
calls, token fetches, other), and

    gateway added (p50) = POST p50 - (direct start p50 + token overhead)
    token overhead      = gateway token fetches x token-endpoint p50 / 201s

(the gateway keeps its bearer token, so the per-submission token cost is the
amortised one), and the spool's syncs per submission as intake counts them
(intake_spool_syncs_total and the accepted events on /metrics, read over the
admin socket before and after each phase): the journal's fdatasyncs (the one
durable write on the answer's path, shared by concurrent writers) and all
syncs (checkpoints and delivery state too). Then issue 16's targets, against
a durable write measured on the spool's disk in the same run (a 1 KiB file
written and fdatasynced, its directory fsynced; 200 before and 200 after the
load, p50): added p50 at 2 clients <= that write + 1 ms; added p50 at 16
clients <= 3x the 2-client figure; journal syncs per submission < 1 at 16.
As context it prints a new file's creation on the same disk (100 before and
100 after the load, p50; kept until the run ends): the spare file intake makes
after each answer. On ext4 without a journal that costs far more for a while
after many files were deleted (the benches before this one clean up), and the
2-client figure moves with it. Exit 1 when the count check fails: the
stand-in's "IT request" instances must equal the 201s, and no direct start may
have failed.

Environment (defaults in brackets):
  CLIENTS [2,16] (a comma list: one phase each)  DURATION [15] (s, per phase)  INTAKE_WORKERS [4]  REPLAY_EVERY [1]
  POOL_MAX [1000] (unposted tokens per client; a small pool caps the rate at
  about POOL_MAX per client per second, as a token ripens at the next whole second + 1)  CACHE_ENTRIES [8192] (nonces are kept
  in intake's shared cache; it must hold every submission of the run)
  INTAKE_BIN [$INTAKE_BUILD_DIR/cgi-bin/intake, else build/cgi-bin/intake; copied
  into the run directory first; a warning when a source under lib/ is newer]
  KEEP_TMP=1     keep the temporary directory (configs, logs)
"""
import collections
import contextlib
import http.client
import json
import os
import re
import shutil
import sys
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import load_choices  # noqa: E402  (also puts tests/integration on sys.path)
from load_choices import harness  # noqa: E402
import fcgi  # noqa: E402  (tests/integration/fcgi.py: /metrics on the admin socket)
import result  # noqa: E402  (bench/result.py: the RESULT lines bench/all.sh collects)

FORM = "it-request"
FORM_CONF = os.path.join(harness.SRC, "conf/forms", FORM + ".conf")
DEMO_CONF = os.path.join(harness.SRC, "conf/demo/intake.conf.in")
# The form's sources, and the parent lists their check.parent keys read.
SOURCES = ("departments", "locations", "categories", "priorities", "accessories",
           "divisions", "regions")
DIRECT_NAME = "bench-direct"
TOKEN_RE = re.compile(r'name="_token" value="(v1\.[^".]+\.(\d+)\.[^"]+)"')

# A valid submission (the values tests/integration/test_form_post.py uses).
GOOD = [("requester_name", "Zoë O'Brien"), ("requester_email", "zoe@example.com"),
        ("department", "IT-010"), ("location", "ZRH-01"), ("category", "CAT-0645"),
        ("priority", "P2"),
        ("description", "My laptop's screen flickers after the last update.\r\nPlease help."),
        ("needed_by", "2027-02-28"), ("asset_tag", "104233"), ("accessories", "Headset"),
        ("accessories", "Keyboard & mouse")]

# lib/integrify/reqstart.c qtypes[]: form field type -> (type, QuestionType)
QTYPES = {"text": ("string", "ShortText"), "textarea": ("string", "LongText"),
          "email": ("string", "Email"), "number": ("Numeric", "Numeric"),
          "date": ("DateTime", "Date"), "select": ("string", "DropDown"),
          "checkboxes": ("string", "CheckBox"), "radio": ("string", "RadioButton")}


def demo_sections():
    """The [source:NAME] blocks of conf/demo/intake.conf.in the form needs."""
    with open(DEMO_CONF, encoding="utf-8") as f:
        text = f.read()
    out = []
    for name in SOURCES:
        m = re.search(r"^\[source:%s\]\n(?:(?!\[).*\n?)*" % re.escape(name), text, re.M)
        if m is None:
            sys.exit("bench_submit.py: no [source:%s] in %s" % (name, DEMO_CONF))
        out.append(m.group(0).rstrip() + "\n")
    return "\n" + "\n".join(out)


def form_meta():
    """(title, process, task, {field: (key, label, type)}) from the form's conf."""
    with open(FORM_CONF, encoding="utf-8") as f:
        text = f.read()
    head = re.search(r"\[form\]\n((?:(?!\[).*\n)*)", text).group(1)
    get = lambda block, k: re.search(r"^%s = (.*)$" % k, block, re.M).group(1).strip()
    fields = {}
    for m in re.finditer(r"^\[field:(\w+)\]\n((?:(?!\[).*\n?)*)", text, re.M):
        fields[m.group(1)] = (get(m.group(2), "key"), get(m.group(2), "label"),
                              get(m.group(2), "type"))
    return get(head, "title"), get(head, "process"), get(head, "task"), fields


def start_body(fields, request_name):
    """The v8 start body the gateway builds (lib/integrify/reqstart.c build_questions)."""
    joined = collections.OrderedDict()
    for k, v in GOOD:
        joined[k] = joined[k] + "|" + v if k in joined else v
    qs = []
    for name, (key, label, ftype) in fields.items():
        if name in joined:
            t, q = QTYPES[ftype]
            qs.append({"key": key, "label": label, "value": joined[name], "type": t,
                       "QuestionType": q})
    return json.dumps({"isDraft": False, "request_name": request_name, "questions": qs},
                      ensure_ascii=False).encode()


def pct(xs, p):
    if not xs:
        return None
    xs = sorted(xs)
    i = min(len(xs) - 1, max(0, int(round(p / 100.0 * len(xs) + 0.5)) - 1))
    return xs[i]


def fmt_ms(v):
    return "n/a" if v is None else "%.2f ms" % (v * 1000.0)


class Conn:
    """One keep-alive http.client connection that reconnects after an error."""

    def __init__(self, port, host_header=None):
        self.port, self.host_header = port, host_header
        self.c = None

    def request(self, method, path, body=None, headers=None):
        h = dict(headers or {})
        if self.host_header:
            h["Host"] = self.host_header
        for attempt in (0, 1):
            if self.c is None:
                self.c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                self.c.request(method, path, body=body, headers=h)
                r = self.c.getresponse()
                data = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self.close()
                return r.status, data
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if attempt or method != "GET":
                    raise
        raise AssertionError("unreachable")

    def close(self):
        if self.c is not None:
            self.c.close()
            self.c = None


class Client(threading.Thread):
    def __init__(self, bench, idx):
        super().__init__(daemon=True, name="client-%d" % idx)
        self.b = bench
        self.gw = Conn(bench.nginx_port)
        self.si = Conn(bench.standin_port, harness.HOST_HEADER)
        self.tokens = collections.deque()      # (token, ripe_at wall clock)
        self.post_lat, self.start_lat, self.get_lat, self.hop_lat = [], [], [], []
        self.codes = collections.Counter()      # POST status or error name
        self.get_errors = collections.Counter()
        self.direct_bad = collections.Counter()
        self.n_posts = 0

    def fetch_token(self):
        t0 = time.perf_counter()
        try:
            status, body = self.gw.request("GET", "/forms/" + FORM)
        except OSError as e:
            self.get_errors[type(e).__name__] += 1
            self.gw.close()
            return
        m = TOKEN_RE.search(body.decode("utf-8", "replace")) if status == 200 else None
        if m is None:
            self.get_errors["status %d" % status] += 1
            return
        self.get_lat.append(time.perf_counter() - t0)
        self.tokens.append((m.group(1), int(m.group(2)) + 1.02))

    def post(self, token):
        body = urllib.parse.urlencode([("_token", token)] + GOOD).encode()
        t0 = time.perf_counter()
        try:
            status, _ = self.gw.request("POST", "/forms/" + FORM, body=body, headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": self.b.origin, "Accept": "application/json"})
            self.codes[status] += 1
        except OSError as e:
            self.codes[type(e).__name__] += 1
            self.gw.close()
            return
        self.post_lat.append(time.perf_counter() - t0)

    def direct_start(self):
        t0 = time.perf_counter()
        try:
            status, _ = self.si.request("POST", self.b.start_path, body=self.b.start_body,
                                        headers={"Content-Type": "application/json",
                                                 "Authorization": "Bearer " + self.b.bearer})
        except OSError as e:
            self.direct_bad[type(e).__name__] += 1
            self.si.close()
            return
        if status != 200:
            self.direct_bad["status %d" % status] += 1
            return
        self.start_lat.append(time.perf_counter() - t0)

    def hop(self):
        """GET /healthz through nginx: the hop every request pays, with no work behind it."""
        t0 = time.perf_counter()
        try:
            status, _ = self.gw.request("GET", "/healthz")
        except OSError:
            self.gw.close()
            return
        if status == 200:
            self.hop_lat.append(time.perf_counter() - t0)

    def run(self):
        b = self.b
        try:
            while time.monotonic() < b.end:
                if self.tokens and time.time() >= self.tokens[0][1]:
                    tok, _ = self.tokens.popleft()
                    self.post(tok)
                    self.n_posts += 1
                    if b.replay_every and self.n_posts % b.replay_every == 0:
                        self.direct_start()
                        self.hop()
                elif len(self.tokens) < b.pool_max:
                    self.fetch_token()
                else:
                    time.sleep(max(0.0, min(self.tokens[0][1] - time.time(),
                                            b.end - time.monotonic())))
        finally:
            self.gw.close()
            self.si.close()


def token_path(state):
    """The token endpoint path (with query) the gateway used, from the call log."""
    for c in harness.token_fetches(state):
        if c["status"] == 200:
            return c["path"] + ("?" + c["query"] if c.get("query") else "")
    return None


def measure_token_endpoint(port, path, n=50):
    conn = Conn(port, harness.HOST_HEADER)
    lat, bearer = [], None
    try:
        for _ in range(n):
            t0 = time.perf_counter()
            status, body = conn.request("GET", path)
            lat.append(time.perf_counter() - t0)
            if status != 200:
                raise AssertionError("token endpoint answered %d" % status)
            text = body.decode()
            bearer = json.loads(text)["token"] if text.startswith("{") else text.strip()
    finally:
        conn.close()
    return bearer, lat


class Bench:
    pass


def _env_int(name, default):
    v = os.environ.get(name, str(default))
    if not re.fullmatch(r"[0-9]+", v):
        sys.exit("bench_submit.py: %s must be a whole number: %r" % (name, v))
    return int(v)


SYNC_RE = re.compile(r'^intake_spool_syncs_total\{what="([a-z]+)"\} ([0-9]+)$', re.M)
ACCEPTED_RE = re.compile(r'^intake_spool_events_total\{event="accepted"\} ([0-9]+)$', re.M)


def spool_counts(pool):
    """intake's own counts from /metrics (admin socket): {"accepted", "journal",
    "checkpoint", "state"}; None from an intake that does not count its syncs
    (an older binary, INTAKE_BIN, for a baseline)."""
    status, _, body = fcgi.request(pool.admin_sock, "/metrics")
    if status != 200:
        sys.exit("bench_submit.py: /metrics answered %d" % status)
    m = ACCEPTED_RE.search(body)
    out = {k: int(v) for k, v in SYNC_RE.findall(body)}
    if m is None or set(out) != {"journal", "checkpoint", "state"}:
        return None
    out["accepted"] = int(m.group(1))
    return out


CLK_TCK = os.sysconf("SC_CLK_TCK")


def _children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def _cpu_s(pids):
    """CPU seconds (user + system) the processes used so far, and, for the
    first (a parent), its children that it has reaped: a worker recycled
    after max_requests takes its CPU time with it into its parent's cutime,
    not to nowhere. A gone process counts 0."""
    total = 0
    for i, pid in enumerate(pids):
        try:
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])     # utime, stime
        if i == 0:
            total += int(fields[13]) + int(fields[14])  # cutime, cstime
    return total / CLK_TCK


def _machine_busy_s():
    """CPU seconds every core of the machine spent not idle (all its users)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (sum(v) - v[3] - v[4]) / CLK_TCK          # minus idle, iowait


def cpu_snapshot(b, pool, standin):
    """CPU seconds so far: intake (supervisor, workers, dispatcher), nginx, the
    stand-in, this bench, and the whole machine."""
    intake = [pool.proc.pid] + _children(pool.proc.pid)
    ngx = [b.nginx_pid] + _children(b.nginx_pid) if b.nginx_pid else []
    return {"intake": _cpu_s(intake), "nginx": _cpu_s(ngx),
            "stand-in": _cpu_s([standin.proc.pid]), "bench": _cpu_s([os.getpid()]),
            "machine": _machine_busy_s()}


def durable_write_ms(directory, n=200):
    """One durable write on this disk, as a spool would make it: a small file
    written, fdatasynced, and its directory fsynced. Milliseconds, each."""
    d = os.path.join(directory, "bench-write")
    os.makedirs(d, exist_ok=True)
    dfd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
    out = []
    try:
        for i in range(n):
            path = os.path.join(d, "f%d" % (i % 8))
            t0 = time.perf_counter()
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.write(fd, b"x" * 1024)
                os.fdatasync(fd)
            finally:
                os.close(fd)
            os.fsync(dfd)
            out.append((time.perf_counter() - t0) * 1000.0)
    finally:
        os.close(dfd)
        shutil.rmtree(d, ignore_errors=True)
    return out


def new_file_ms(directory, tag, n=100):
    """A new file's creation on this disk (open with O_CREAT | O_EXCL, as the
    spool makes its spare file after each answer). Milliseconds, each. The
    files stay until the run's directory goes: deleting them would slow the
    next creations (ext4 without a journal skips inodes freed moments ago)."""
    d = os.path.join(directory, "bench-newfile")
    os.makedirs(d, exist_ok=True)
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        fd = os.open(os.path.join(d, "%s%d" % (tag, i)),
                     os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        out.append((time.perf_counter() - t0) * 1000.0)
        os.close(fd)
    return out


def phase(b, standin, pool, clients, duration):
    """CLIENTS threads for duration seconds; the figures of that phase."""
    since = len(standin.state()["calls"])
    before = spool_counts(pool)
    cpu0 = cpu_snapshot(b, pool, standin)
    print("bench_submit.py: %d clients, %d s of submissions ..." % (clients, duration),
          file=sys.stderr)
    threads = [Client(b, i) for i in range(clients)]
    t0 = time.monotonic()
    b.end = t0 + duration
    for t in threads:
        t.start()
    for t in threads:
        t.join(duration + 120)
    elapsed = time.monotonic() - t0
    if any(t.is_alive() for t in threads):
        sys.exit("bench_submit.py: a client thread did not finish")
    after = spool_counts(pool)
    cpu1 = cpu_snapshot(b, pool, standin)
    r = {"clients": clients, "elapsed": elapsed,
         "cpu": {k: cpu1[k] - cpu0[k] for k in cpu0},
         "delta": {k: after[k] - before[k] for k in after} if before and after else None}
    calls = standin.state()["calls"][since:]
    r["start_calls"] = [c for c in calls if c["path"].startswith("/api/instance/start/")
                        and c["token"] != b.bearer]
    r["gw_token"] = harness.token_fetches({"calls": calls})
    seen = {id(c) for c in r["start_calls"]} | {id(c) for c in r["gw_token"]}
    r["others"] = [c for c in calls if id(c) not in seen and c["token"] != b.bearer]
    r["codes"], r["get_err"], r["direct_bad"] = (collections.Counter(), collections.Counter(),
                                                 collections.Counter())
    r["post_lat"], r["start_lat"], r["get_lat"], r["hop_lat"] = [], [], [], []
    for t in threads:
        r["codes"].update(t.codes)
        r["get_err"].update(t.get_errors)
        r["direct_bad"].update(t.direct_bad)
        r["post_lat"] += t.post_lat
        r["start_lat"] += t.start_lat
        r["get_lat"] += t.get_lat
        r["hop_lat"] += t.hop_lat
    return r


def report(b, r, nginx, pool, token_lat):
    """Print one phase's figures; its added p50 (seconds) or None."""
    codes, run201 = r["codes"], r["codes"].get(201, 0)
    non201 = {k: v for k, v in codes.items() if k != 201}
    post_lat, start_lat, get_lat = r["post_lat"], r["start_lat"], r["get_lat"]
    p50 = pct(post_lat, 50)
    s50, s95 = pct(start_lat, 50), pct(start_lat, 95)
    tok50, tok95 = pct(token_lat, 50), pct(token_lat, 95)
    ntok = len(r["gw_token"])
    tok_over = (ntok * tok50 / run201) if run201 and tok50 is not None else None
    added = (p50 - (s50 + (tok_over or 0.0))) if p50 is not None and s50 is not None else None
    d = r["delta"]
    print("submit bench: POST %s/forms/%s (urlencoded, Accept: application/json, Origin set)"
          % (nginx.url, FORM))
    print("  %d intake workers (v8 API key), rate limits off; %d clients, %.1f s, "
          "tokens posted once >= 1 s old; direct start call after every %s POST"
          % (len(pool.workers()), r["clients"], r["elapsed"],
             "%d." % b.replay_every if b.replay_every else "(never)"))
    print("  submissions/s: %.1f   (201s %d in %.1f s)"
          % (run201 / r["elapsed"], run201, r["elapsed"]))
    print("  201: %d   non-201: %d %s" % (run201, sum(non201.values()),
                                         dict(sorted((str(k), v) for k, v in non201.items()))))
    print("  form GETs (token fetches): %d ok, p50 %s p95 %s; failed %d %s"
          % (len(get_lat), fmt_ms(pct(get_lat, 50)), fmt_ms(pct(get_lat, 95)),
             sum(r["get_err"].values()), dict(r["get_err"])))
    print("  POST latency (client): p50 %s  p95 %s  p99 %s  (n=%d)"
          % (fmt_ms(p50), fmt_ms(pct(post_lat, 95)), fmt_ms(pct(post_lat, 99)), len(post_lat)))
    print("  direct start call to the stand-in (same threads, keep-alive): p50 %s  p95 %s  "
          "(n=%d, failed %d %s)" % (fmt_ms(s50), fmt_ms(s95), len(start_lat),
                                    sum(r["direct_bad"].values()), dict(r["direct_bad"])))
    print("  stand-in token endpoint (before the run, %d sequential calls): p50 %s  p95 %s"
          % (len(token_lat), fmt_ms(tok50), fmt_ms(tok95)))
    print("  gateway's upstream calls during the run: %d start calls, %d token fetches, "
          "%d other %s" % (len(r["start_calls"]), ntok, len(r["others"]),
                           dict(collections.Counter(
                               re.sub(r"[0-9a-f-]{36}", "{sid}", c["path"])
                               for c in r["others"]))))
    print("  token overhead per submission = %d token fetches x %s / %d = %s"
          % (ntok, fmt_ms(tok50), run201, fmt_ms(tok_over)))
    print("  gateway added (p50) = POST p50 %s - (start p50 %s + token overhead %s) = %s"
          % (fmt_ms(p50), fmt_ms(s50), fmt_ms(tok_over), fmt_ms(added)))
    hop50 = pct(r["hop_lat"], 50)
    print("  nginx -> intake hop (GET /healthz through the site, after each direct start): "
          "p50 %s  p95 %s  (n=%d); added p50 - hop p50 = %s (what the post's own work adds)"
          % (fmt_ms(hop50), fmt_ms(pct(r["hop_lat"], 95)), len(r["hop_lat"]),
             fmt_ms(added - hop50 if added is not None and hop50 is not None else None)))
    cpu = r["cpu"]
    if run201:
        ours = cpu["intake"] + cpu["nginx"] + cpu["stand-in"] + cpu["bench"]
        print("  CPU per submission (each with its form GETs, direct start and hop): intake "
              "%.2f ms, nginx %.2f ms, stand-in %.2f ms, bench client %.2f ms; all %.2f ms"
              % tuple(1000.0 * v / run201 for v in (cpu["intake"], cpu["nginx"],
                                                     cpu["stand-in"], cpu["bench"], ours)))
        print("  machine: %.2f of %d cores busy (all its users: %.2f for this run's processes)"
              "; at that cost %d cores carry at most %.0f submissions/s, and %d clients "
              "then wait >= %s per cycle (Little's law: clients / throughput)"
              % (cpu["machine"] / r["elapsed"], os.cpu_count(), ours / r["elapsed"],
                 os.cpu_count(), os.cpu_count() * run201 / ours if ours else float("nan"),
                 r["clients"], fmt_ms(r["clients"] * ours / run201 / os.cpu_count())))
    r["added"] = added
    r["journal_per"] = r["all_per"] = None
    if d is None:
        print("  spool syncs: not counted by this intake")
        return added
    acc = d["accepted"]
    every = d["journal"] + d["checkpoint"] + d["state"]
    print("  spool syncs (intake's own count, /metrics): %d accepted; journal %d (%.3f per "
          "submission, on the answer's path), checkpoint %d, state %d; all %.3f per submission"
          % (acc, d["journal"], d["journal"] / acc if acc else float("nan"), d["checkpoint"],
             d["state"], every / acc if acc else float("nan")))
    r["journal_per"] = d["journal"] / acc if acc else None
    r["all_per"] = every / acc if acc else None
    return added


def run(workdir, stack):
    spec = os.environ.get("CLIENTS", "2,16")
    if not re.fullmatch(r"[0-9]+(,[0-9]+)*", spec):
        sys.exit("bench_submit.py: CLIENTS must be a comma list of whole numbers: %r" % spec)
    phases = [int(c) for c in spec.split(",")]
    duration = _env_int("DURATION", 15)
    workers = _env_int("INTAKE_WORKERS", 4)
    if min(phases) < 1 or duration < 1 or workers < 1:
        sys.exit("bench_submit.py: CLIENTS, DURATION, INTAKE_WORKERS must be > 0")
    b = Bench()
    b.replay_every = _env_int("REPLAY_EVERY", 1)
    b.pool_max = max(1, _env_int("POOL_MAX", 1000))
    title, process, task, fields = form_meta()

    binary = os.environ.get("INTAKE_BIN", harness.BIN)
    if not os.access(binary, os.X_OK):
        sys.exit("bench_submit.py: no intake binary at %s (cmake -S . -B build && "
                 "cmake --build build -j2)" % binary)
    newer = load_choices.stale_binary(binary)
    if newer is not None:
        print("bench_submit.py: WARNING: %s is older than %s (rebuild, or set INTAKE_BIN "
              "or INTAKE_BUILD_DIR)" % (binary, newer), file=sys.stderr)
    print("bench_submit.py: intake binary %s" % binary, file=sys.stderr)
    harness.BIN = os.path.join(workdir, "intake")
    shutil.copy2(binary, harness.BIN)

    server = {"workers": str(workers), "forms_dir": os.path.join(harness.SRC, "conf/forms"),
              "rate_per_client": "0", "rate_per_form": "0",
              "cache_entries": str(_env_int("CACHE_ENTRIES", 8192)),
              "cache_entry_max": "131072", "log_level": "warn",
              # Every worker may start inline (else some posts are 202 queued and the
              # 201 count check is off): the slots are bench_slow_upstream.py's subject.
              "upstream_slots": str(workers)}
    # start_stack builds harness.Pool with the default (v7) variant; the form
    # is a v8 one, so the pool is built here the same way with v8-apikey.
    orig_pool = harness.Pool
    harness.Pool = lambda *a, **kw: orig_pool(*a, variant="v8-apikey", **kw)
    try:
        standin, pool, nginx, _nocache = load_choices.start_stack(
            workdir, server, demo_sections(), stack.callback)
    finally:
        harness.Pool = orig_pool
    b.origin = nginx.url
    b.nginx_port = nginx.port
    with open(os.path.join(nginx.dir, "nginx.pid")) as f:
        b.nginx_pid = int(f.read().strip())
    b.standin_port = standin.port

    # Warm-up: one submission end to end (fills the choice lists and the
    # gateway's bearer token), then learn the token endpoint from the log.
    w = Client(b, -1)
    b.end = time.monotonic() + 30
    w.fetch_token()
    if not w.tokens:
        sys.exit("bench_submit.py: GET /forms/%s failed: %s" % (FORM, dict(w.get_errors)))
    time.sleep(max(0.0, w.tokens[0][1] - time.time()))
    w.post(w.tokens.popleft()[0])
    w.gw.close()
    if w.codes.get(201) != 1:
        sys.exit("bench_submit.py: the warm-up submission got %s (intake log: %s)"
                 % (dict(w.codes), pool.logpath))
    warm = standin.state()
    tpath = token_path(warm)
    if tpath is None:
        sys.exit("bench_submit.py: no successful token fetch in the stand-in's log")
    b.bearer, token_lat = measure_token_endpoint(standin.port, tpath)
    b.start_path = "/api/instance/start/%s/%s?requestName=%s" % (
        process, task, urllib.parse.quote(DIRECT_NAME))
    b.start_body = start_body(fields, DIRECT_NAME)

    # The disk's own durable write, on the spool's file system, before and after the load.
    # And a new file's creation: what the spare file after each answer costs
    # just now (on some file systems it depends on what was deleted lately).
    disk = os.path.dirname(pool.spool_dir)
    writes = durable_write_ms(disk)
    news = [new_file_ms(disk, "before")]
    results = []
    for clients in phases:
        results.append(phase(b, standin, pool, clients, duration))
    writes += durable_write_ms(disk)
    news.append(new_file_ms(disk, "after"))
    write50 = pct(writes, 50)
    new50 = [pct(x, 50) for x in news]

    for r in results:
        report(b, r, nginx, pool, token_lat)
    run201 = sum(r["codes"].get(201, 0) for r in results)
    n201 = run201 + 1  # + the warm-up
    starts = sum(len(r["start_lat"]) for r in results)
    direct_bad = collections.Counter()
    for r in results:
        direct_bad.update(r["direct_bad"])
    insts = standin.state()["instances"]
    # The gateway names a request "<title> (<reference>)".
    gw_insts = sum(1 for i in insts if i["name"].startswith(title + " ("))
    direct_insts = sum(1 for i in insts if i["name"] == DIRECT_NAME)
    print("  stand-in instances: %d total; %d '%s' (gateway) vs 201s %d (run %d + warm-up 1); "
          "%d '%s' (direct) vs direct starts %d"
          % (len(insts), gw_insts, title, n201, run201, direct_insts, DIRECT_NAME, starts))
    targets(results, write50, len(writes), new50)
    problems = []
    if gw_insts != n201:
        problems.append("gateway instances %d != 201s %d" % (gw_insts, n201))
    if direct_insts != starts:
        problems.append("direct instances %d != direct starts %d" % (direct_insts, starts))
    if direct_bad:
        problems.append("direct start calls failed: %s" % dict(direct_bad))
    if run201 == 0:
        problems.append("no submission got 201")
    print("  counts: " + ("ok" if not problems else "PROBLEM: " + "; ".join(problems)))
    return 1 if problems else 0


def targets(results, write50, nwrites, new50):
    """Issue 16's targets for the 2- and 16-client phases (when the run has them)."""
    by = {r["clients"]: r for r in results}
    print("durable write on this disk (1 KiB file written, fdatasync, directory fsync; %d "
          "before and after the load): p50 %s" % (nwrites, fmt_ms(write50 / 1000.0)))
    print("a new file on this disk (the spool's spare, made after each answer; 100 before "
          "and 100 after the load): p50 %s before, %s after"
          % (fmt_ms(new50[0] / 1000.0), fmt_ms(new50[1] / 1000.0)))
    print("%-52s %12s %14s  %s" % ("figure", "measured", "target", ""))
    for r in results:
        print("%-52s %12s %14s  %s" % (
            "journal syncs per submission, %d clients" % r["clients"],
            "%.3f" % r["journal_per"] if r["journal_per"] is not None else "-",
            "<= 1" if r["clients"] < 16 else "< 1",
            verdict(r["journal_per"], 1.0, strict=r["clients"] >= 16)))
        print("%-52s %12s %14s" % ("all spool syncs per submission, %d clients" % r["clients"],
                                   "%.3f" % r["all_per"] if r["all_per"] is not None else "-",
                                   ""))
    light, heavy = by.get(2), by.get(16)
    if light is not None and light["added"] is not None:
        lim = write50 / 1000.0 + 0.001
        print("%-52s %12s %14s  %s" % ("added p50, 2 clients", fmt_ms(light["added"]),
                                        "<= " + fmt_ms(lim), verdict(light["added"], lim)))
    if light is not None and heavy is not None and None not in (light["added"],
                                                                 heavy["added"]):
        lim = 3 * light["added"]
        print("%-52s %12s %14s  %s" % ("added p50, 16 clients", fmt_ms(heavy["added"]),
                                        "<= " + fmt_ms(lim), verdict(heavy["added"], lim)))
    emit_results(light, heavy, write50, new50)


def emit_results(light, heavy, write50, new50):
    """bench/all.sh's RESULT lines (milliseconds), against the write measured in this run."""
    w = write50
    a2 = light["added"] * 1000.0 if light and light["added"] is not None else None
    a16 = heavy["added"] * 1000.0 if heavy and heavy["added"] is not None else None
    result.emit("submit: added p50 at 2 clients", a2,
                "durable write p50 %.2f ms; new file %.3f ms before, %.3f after"
                % (w, new50[0], new50[1]), "<=", w + 1.0, unit="ms")
    result.emit("submit: added p50 at 16 / at 2 clients",
                a16 / a2 if a16 is not None and a2 else None,
                "2 clients %s ms" % ("%.2f" % a2 if a2 is not None else "?"), "<=", 3.0)
    result.emit("submit: journal syncs per submission at 16 clients",
                heavy["journal_per"] if heavy else None,
                "2 clients %s" % ("%.3f" % light["journal_per"]
                                  if light and light["journal_per"] is not None else "?"),
                "<", 1.0, fmt="%.3f")


def verdict(v, lim, strict=False):
    if v is None:
        return "-"
    return "met" if (v < lim if strict else v <= lim) else "MISSED"


def main():
    if len(sys.argv) > 1:
        print(__doc__.strip())
        return 0 if sys.argv[1] in ("-h", "--help") else 2
    load_choices.need_tools("bench_submit.py", ("nginx",))
    with contextlib.ExitStack() as stack:
        return run(load_choices.scratch_dir("bench_submit.py", "intake-submit.", stack), stack)


if __name__ == "__main__":
    sys.exit(main())
