"""Several hosts on one Redis ([cache] backend = redis): two intake pools,
each with its own shared-memory files, spool and socket, behind one nginx
upstream that spreads requests over both, and one real redis-server on a
unix socket in the test's directory.  One nginx per pool as well, so a test
can aim at host A or host B.

Checks: one token per lifetime across both hosts (the stand-in's short
lifetimes), a form rendered on A, posted to B and replayed on A starts one
request, the rate limit counts across hosts, no token in Redis's raw
entries, and Redis killed mid-run: 0 5xx on cached GETs while it is down,
then exactly one request per accepted submission.  Some run again with the
hosts on Redis's TLS port (a throwaway CA made with the openssl tool).
v7 with dedupe = yes on both hosts (claims shared in Redis) through a fault
run: exactly one request per acknowledged submission.  One form posted to
A and replayed on B while Redis is down, in v8 and v7: both accept it,
neither starts it until Redis is back, then one request.
"""

import collections
import glob
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import sys
import urllib.parse

import fcgi  # noqa: E402
from harness import (REPORT_SIDS, SRC, Nginx, Pool, Standin, _port_open, free_port, http,
                     public_origins, remove_unless_failed, token_fetches, wait_for)
from test_form_post import DESCRIPTION, NAME, V7_FORM, V8_EXTRA, V8_FORM
from test_forms import SECTIONS as FORM_SECTIONS
from test_valgrind import VALGRIND

sys.path.insert(0, os.path.join(SRC, "bench"))
import nocache_site  # noqa: E402  (bench/nocache_site.py)

SECTIONS = FORM_SECTIONS.replace("[source:departments]\n",
                                 "[source:departments]\nttl = %d\n" % 3, 1)
TOKEN_LIFETIME = 4      # seconds asked of the stand-in
REFRESH_AHEAD = 1
LIST_TTL = 3            # [source:departments] ttl


def resp(sock_path, *args):
    """One command to Redis over its unix socket, in RESP: the reply's bytes
    (bulk string), int, list or None.  Raw, so the test sees what Redis holds."""
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(10)
        s.connect(sock_path)
        s.sendall(out)
        f = s.makefile("rb")
        return _read_reply(f)


def _read_reply(f):
    line = f.readline().rstrip(b"\r\n")
    kind, rest = line[:1], line[1:]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise AssertionError("redis error: %r" % rest)
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)
        return data[:n]
    if kind == b"*":
        n = int(rest)
        return None if n < 0 else [_read_reply(f) for _ in range(n)]
    raise AssertionError("bad RESP line %r" % line)


GOOD = [("requester_name", NAME), ("requester_email", "zoe@example.com"),
        ("department", "IT-010"), ("location", "ZRH-01"), ("category", "CAT-0645"),
        ("priority", "P2"), ("description", DESCRIPTION), ("needed_by", "2027-02-28"),
        ("asset_tag", "104233"), ("accessories", "Headset"),
        ("affected_locations", "ZRH-01")]


def make_pki(d):
    """A throwaway CA and a server certificate for localhost and 127.0.0.1,
    signed by it: the paths {"ca", "crt", "key"}."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2"]
    p = {n: os.path.join(d, n) for n in ("ca.crt", "ca.key", "server.crt", "server.key")}
    for argv in (["-keyout", p["ca.key"], "-out", p["ca.crt"], "-subj", "/CN=intake-test-ca"],
                 ["-keyout", p["server.key"], "-out", p["server.crt"], "-subj", "/CN=localhost",
                  "-CA", p["ca.crt"], "-CAkey", p["ca.key"],
                  "-addext", "basicConstraints=critical,CA:FALSE",
                  "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"]):
        subprocess.run(["openssl", "req", "-x509"] + ec + argv, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return {"ca": p["ca.crt"], "crt": p["server.crt"], "key": p["server.key"]}


class Redis:
    """A throwaway redis-server on a unix socket, no persistence; with tls,
    also on a loopback TLS port (the socket stays the test's raw view)."""

    def __init__(self, workdir, tls=False):
        self.dir = os.path.join(workdir, "redis")
        os.makedirs(self.dir, exist_ok=True)
        self.sock = os.path.join(self.dir, "redis.sock")
        self.proc = None
        self.pki = make_pki(self.dir) if tls else None
        self.tls_port = free_port() if tls else None

    def cache_conf(self):
        """How a host reaches this Redis, as [cache] lines."""
        if self.pki is None:
            return "redis_socket = %s\n" % self.sock
        return ("redis_host = 127.0.0.1\nredis_port = %d\nredis_tls = yes\n"
                "redis_tls_ca_file = %s\nredis_tls_server_name = localhost\n"
                % (self.tls_port, self.pki["ca"]))

    def start(self):
        self.log = open(os.path.join(self.dir, "redis.log"), "a")
        tls = [] if self.pki is None else [
            "--tls-port", str(self.tls_port), "--bind", "127.0.0.1",
            "--tls-cert-file", self.pki["crt"], "--tls-key-file", self.pki["key"],
            "--tls-ca-cert-file", self.pki["ca"], "--tls-auth-clients", "no"]
        self.proc = subprocess.Popen(
            ["redis-server", "--port", "0", "--unixsocket", self.sock, "--dir", self.dir,
             "--save", "", "--appendonly", "no"] + tls, stdout=self.log, stderr=self.log)
        wait_for(lambda: self.ping(), what="redis-server to answer")
        return self

    def ping(self):
        try:
            return resp(self.sock, "PING") == "PONG"
        except OSError:
            return False

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc is not None:
            self.log.close()
        self.proc = None
        try:
            os.unlink(self.sock)
        except OSError:
            pass

    def keys(self):
        return resp(self.sock, "KEYS", "*")


class TwoHosts(unittest.TestCase):
    """Stand-in, Redis, pools A and B, nginx in front of both and of each."""

    rate_per_client = "1000"
    integrify = None
    tls = False             # the hosts reach Redis over its TLS port
    variant = "v8-apikey"
    spool = None            # [spool] keys of both hosts
    workers = "3"
    standin_keeps_state = False     # the stand-in saves its state, to be restarted

    @classmethod
    def form_text(cls):
        with open(V8_FORM) as src:
            return src.read() + V8_EXTRA

    @classmethod
    def setUpClass(cls):
        cls.formsdir = tempfile.mkdtemp(prefix="intake-redis-forms-")
        with open(os.path.join(cls.formsdir, "it-request.conf"), "w") as f:
            f.write(cls.form_text())

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.formsdir, ignore_errors=True)

    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="intake-redis-")
        self.addCleanup(remove_unless_failed, self, self.workdir)
        state = os.path.join(self.workdir, "standin-state.json") \
            if self.standin_keeps_state else None
        self.standin = Standin(self.workdir, state_file=state)
        self.addCleanup(self.standin.close)
        self.redis = Redis(self.workdir, tls=self.tls).start()
        self.addCleanup(self.redis.kill)
        seal = os.path.join(self.workdir, "seal.key")
        with open(seal, "wb") as f:
            f.write(os.urandom(32))
        os.chmod(seal, 0o600)
        # Every host signs and checks form tokens with the same key.
        formkey = os.path.join(self.workdir, "form.key")
        with open(formkey, "w") as f:
            f.write(os.urandom(24).hex() + "\n")
        self.ports = {"lb": free_port(), "a": free_port(), "b": free_port()}
        origins = " ".join(public_origins(p) for p in self.ports.values())
        cache = ("[cache]\nbackend = redis\n%sredis_seal_key_file = %s\n"
                 "redis_timeout_ms = 500\nredis_retry_ms = 100\n"
                 % (self.redis.cache_conf(), seal))
        self.pools = {}
        for name in ("a", "b"):
            d = os.path.join(self.workdir, name)
            os.makedirs(d)
            server = {"workers": self.workers, "cache_entry_max": "1048576",
                      "forms_dir": self.formsdir, "public_origins": origins,
                      "form_key_file": formkey,
                      "rate_per_client": self.rate_per_client, "rate_window": "3600"}
            integ = {"token_lifetime": str(TOKEN_LIFETIME),
                     "refresh_ahead": str(REFRESH_AHEAD)}
            integ.update(self.integrify or {})
            pool = Pool(d, self.standin, self.variant, server=server, integrify=integ,
                        sections=SECTIONS + cache, web_port=self.ports[name],
                        spool=self.spool)
            self.addCleanup(pool.stop)
            pool.start()
            self.pools[name] = pool
        socks = [self.pools["a"].sock, self.pools["b"].sock]

        def both(site):
            one = "server unix:%s;" % socks[0]
            return site.replace(one, one + "\n    server unix:%s;" % socks[1])

        self.nginx = {}
        for name, sock, edit in (("lb", socks[0], both), ("a", socks[0], None),
                                 ("b", socks[1], None)):
            d = os.path.join(self.workdir, "nginx-" + name)
            os.makedirs(d)
            ngx = Nginx(d, sock, port=self.ports[name], site_edit=edit)
            if name == "lb":
                # A copy of the balancer without nginx's one-second micro-cache,
                # so list requests reach the hosts every time.
                self.lb_nocache_port = free_port()
                nocache_site.add_nocache_server(ngx.site_path,
                                                "127.0.0.1:%d" % self.lb_nocache_port)
            self.addCleanup(ngx.stop)
            ngx.start()
            self.nginx[name] = ngx
        with open(self.nginx["lb"].site_path) as f:
            self.assertEqual(f.read().count("server unix:"), 2)
        wait_for(lambda: _port_open(self.lb_nocache_port), what="the cache-free balancer")

    def get(self, host, path, **kw):
        return http(self.nginx[host].url + path, **kw)

    def readyz(self, host):
        status, _, body = self.get(host, "/readyz")
        self.assertEqual(status, 200, body)
        return json.loads(body)

    def form_token(self, host):
        status, _, body = self.get(host, "/forms/it-request")
        self.assertEqual(status, 200, body)
        return re.search(r'name="_token" value="([^"]+)"', body).group(1)

    def good(self):
        return list(GOOD)

    @staticmethod
    def formsdir_for_valgrind(workdir):
        d = os.path.join(workdir, "forms")
        os.makedirs(d, exist_ok=True)
        with open(V8_FORM) as src, open(os.path.join(d, "it-request.conf"), "w") as f:
            f.write(src.read() + V8_EXTRA)
        return d

    def post(self, host, token, fields=None):
        body = urllib.parse.urlencode([("_token", token)] + (fields or self.good())).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "Origin": self.nginx[host].url, "Accept": "application/json"}
        return http(self.nginx[host].url + "/forms/it-request", method="POST",
                    headers=headers, body=body)

    def instances(self):
        return self.standin.state()["instances"]

    def report_calls(self, sid):
        return [c for c in self.standin.state()["calls"]
                if sid in c["path"] and not c["path"].endswith("/filters")]


class SharedState(TwoHosts):

    def test_both_hosts_say_redis_in_readyz(self):
        for host in ("a", "b"):
            self.assertEqual(self.readyz(host)["cache"], "redis")

    def test_token_fetched_once_per_lifetime_across_hosts(self):
        """Both hosts ask for a token on every /readyz, under wrk through
        the balancer, for several lifetimes: the tokens follow each other,
        one at a time, never two fetched together (as two hosts' own
        caches would)."""
        self.readyz("a")
        for host in ("a", "b"):     # warm: a list never fetched is a cold start (503s)
            status, _, body = self.get(host, "/api/choices/departments")
            self.assertEqual(status, 200, body)
        sid = REPORT_SIDS["departments"]
        before = len(self.report_calls(sid))
        start = time.monotonic()
        nocache = "http://127.0.0.1:%d" % self.lb_nocache_port
        runs = [subprocess.Popen(["wrk", "-t1", "-c4", "-d%ds" % (3 * TOKEN_LIFETIME), url],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for url in (self.nginx["lb"].url + "/readyz",
                            nocache + "/api/choices/departments")]
        outs = [r.communicate(timeout=120) for r in runs]
        elapsed = time.monotonic() - start
        for r, (out, err) in zip(runs, outs):
            self.assertEqual(r.returncode, 0, err)
            self.assertNotIn("Non-2xx", out, out)
        # Report fetches: one per ttl for the key, across both hosts.
        fetched = len(self.report_calls(sid)) - before
        self.assertLessEqual(fetched, int(elapsed / LIST_TTL) + 2, fetched)
        fetches = token_fetches(self.standin.state())
        issued = sorted(t["issued_at"] for t in self.standin.tokens())
        self.assertEqual(len(fetches), len(issued))
        # One token per (lifetime - refresh_ahead), plus the first.
        self.assertLessEqual(len(issued),
                             int(elapsed / (TOKEN_LIFETIME - REFRESH_AHEAD)) + 2, issued)
        self.assertGreaterEqual(len(issued), 2, "the run outlived one token: %r" % issued)
        gaps = [b - a for a, b in zip(issued, issued[1:])]
        # Two hosts with their own caches would fetch at the same moment.
        self.assertTrue(all(g >= 1.0 for g in gaps), gaps)

    def test_form_rendered_on_a_posted_to_b_replayed_on_a_is_one_request(self):
        tok = self.form_token("a")
        time.sleep(1.1)     # forms filled faster than a second are refused as bots
        status, _, body = self.post("b", tok)
        self.assertEqual(status, 201, body)
        first = json.loads(body)
        self.assertEqual(first["status"], "started")
        status, _, body = self.post("a", tok)
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["reference"], first["reference"])
        status, _, body = self.post("b", tok)
        self.assertEqual(status, 200, body)
        self.assertEqual(len(self.instances()), 1)
        self.assertIn("another host accepted it", self.pools["a"].log_text())

    def test_raw_redis_entries_hold_no_token(self):
        self.readyz("a")
        self.readyz("b")
        status, _, body = self.get("lb", "/api/choices/departments")
        self.assertEqual(status, 200, body)
        tokens = [t["token"].encode() for t in self.standin.tokens()]
        self.assertEqual(len(tokens), 1)
        keys = self.redis.keys()
        self.assertTrue(any(k.startswith(b"intake:c:token:") for k in keys), keys)
        for k in keys:
            if resp(self.redis.sock, "TYPE", k) != "string":
                continue
            raw = resp(self.redis.sock, "GET", k)
            for t in tokens:
                self.assertNotIn(t, raw, k)
                self.assertNotIn(t[:16], raw, k)
        # Nor a list's labels: every value is sealed.
        raw = b"".join(resp(self.redis.sock, "GET", k) or b"" for k in keys
                       if resp(self.redis.sock, "TYPE", k) == "string")
        self.assertNotIn(b"Department", raw)

    def test_redis_killed_and_restarted(self):
        """Cached GETs never 5xx while Redis is down; submissions accepted
        then and after it returns each start exactly one request."""
        paths = ["/api/choices/departments", "/api/choices/locations"]
        for host in ("a", "b"):
            for p in paths:
                status, _, body = self.get(host, p)
                self.assertEqual(status, 200, body)
        accepted = []

        def submit(host):
            tok = self.form_token(host)
            time.sleep(1.1)
            status, _, body = self.post(host, tok)
            self.assertIn(status, (201, 202), body)
            accepted.append(json.loads(body)["reference"])

        submit("a")
        self.redis.kill()
        statuses = []
        for _ in range(20):
            for p in paths:
                statuses.append(self.get("lb", p)[0])
        self.assertEqual([s for s in statuses if s >= 500], [], statuses)
        self.assertEqual(set(statuses), {200})
        self.assertEqual({self.readyz("a")["cache"], self.readyz("b")["cache"]}, {"fallback"})
        # The metrics say so too, for an alert (the admin socket of each host).
        for pool in self.pools.values():
            wait_for(lambda: "\nintake_cache_fallback 1\n" in
                     fcgi.request(pool.admin_sock, "/metrics")[2], timeout=30,
                     what="intake_cache_fallback 1 while Redis is down")
            self.assertEqual(json.loads(fcgi.request(pool.admin_sock, "/status")[2])["cache"],
                             "fallback")
        submit("a")
        submit("b")
        self.redis.start()
        wait_for(lambda: self.readyz("a")["cache"] == "redis" and
                 self.readyz("b")["cache"] == "redis", timeout=60, what="redis back")
        # Each process reconnects on its own backoff: the admin socket's may lag /readyz's.
        for pool in self.pools.values():
            wait_for(lambda: "\nintake_cache_fallback 0\n" in
                     fcgi.request(pool.admin_sock, "/metrics")[2], timeout=60,
                     what="intake_cache_fallback back to 0")
        submit("b")
        submit("a")
        wait_for(lambda: all(self.readyz(h)["spool"]["queued"] == 0 for h in ("a", "b")),
                 timeout=60, what="both spools to drain")
        names = [i["name"] for i in self.instances()]
        self.assertEqual(len(names), len(accepted), names)
        for ref in accepted:
            self.assertEqual(sum(ref in n for n in names), 1, (ref, names))
        for pool in self.pools.values():
            log = pool.log_text()
            self.assertIn("is unreachable: this host uses its own shared memory", log)
            self.assertIn("is back: this host shares its state again", log)


class ReplayDuringOutage:
    """A form posted to host A and replayed on host B while Redis is down
    (mixed into a TwoHosts class; good() gives the form's values)."""

    def requests_for(self, ref):
        """v8 names the request after the reference; v7 keeps it in a value."""
        return [i for i in self.instances() if ref in i.get("name", "") or
                i.get("values", {}).get("intake_reference") == ref]

    def test_same_form_on_both_hosts_while_redis_is_down_is_one_request(self):
        """Neither host can see the other's mark, so both accept the form
        (202) and neither starts it while Redis is down; once it is back,
        the first to mark the reference in Redis starts it and the other
        ends its copy as delivered by another host: one request, and one
        receipt names it."""
        for host in ("a", "b"):
            self.assertEqual(self.readyz(host)["cache"], "redis")
        tok = self.form_token("a")
        self.redis.kill()
        time.sleep(1.1)     # forms filled faster than a second are refused as bots
        answers = [self.post(host, tok) for host in ("a", "b")]
        refs = {json.loads(body)["reference"] for _, _, body in answers}
        self.assertEqual(len(refs), 1, answers)
        ref = refs.pop()
        waiting = [self.readyz(host)["spool"]["queued"] for host in ("a", "b")]
        started_meanwhile = len(self.requests_for(ref))
        self.redis.start()
        wait_for(lambda: all(self.readyz(h)["cache"] == "redis" and
                             self.readyz(h)["spool"]["queued"] == 0 for h in ("a", "b")),
                 timeout=90, step=0.5, what="Redis back and both spools drained")
        self.assertEqual(len(self.requests_for(ref)), 1, self.instances())
        # Nothing was started while Redis was down: both copies waited for it.
        self.assertEqual(started_meanwhile, 0)
        self.assertEqual(waiting, [1, 1])
        self.assertEqual([status for status, _, _ in answers], [202, 202], answers)
        receipts = []
        for host in ("a", "b"):
            status, _, body = self.get(host, "/forms/it-request/receipt?ref=" + ref,
                                       headers={"Accept": "application/json"})
            self.assertEqual(status, 200, body)
            receipts.append(json.loads(body))
        self.assertEqual([r["status"] for r in receipts], ["started", "started"], receipts)
        # The copy that was not started names no request.
        self.assertEqual(sorted(bool(r["request_id"]) for r in receipts), [False, True],
                         receipts)
        logs = [self.pools[h].log_text() for h in ("a", "b")]
        self.assertEqual(sum(log.count("submission_duplicate") for log in logs), 1, logs)
        dup = [h for h, log in zip("ab", logs) if "submission_duplicate" in log][0]
        metrics = fcgi.request(self.pools[dup].admin_sock, "/metrics")[2]
        self.assertIn('intake_spool_events_total{event="duplicate"} 1\n', metrics)
        self.assertEqual(self.readyz(dup)["spool"]["held"], 0)


class ReplayDuringOutageV8(ReplayDuringOutage, TwoHosts):
    """v8 (a one-call start)."""


class SharedStateOverTLS(TwoHosts):
    """The same hosts on Redis's TLS port: shared state, sealed entries and
    an outage with its reconnection, each over TLS.  (The wrk run stays
    with the unix socket: it measures the cache, not the link.)"""
    tls = True

    def test_redis_clients_are_tls(self):
        self.readyz("a")
        self.readyz("b")
        # The hosts came in by the TLS port (Redis has no plain TCP port
        # here; the test's own raw view, the unix socket, is the other).
        clients = resp(self.redis.sock, "CLIENT", "LIST").decode().splitlines()
        tls = [c for c in clients if " laddr=127.0.0.1:%d " % self.redis.tls_port in c]
        self.assertGreaterEqual(len(tls), 2, clients)
        self.assertEqual(len(tls), len(clients) - 1, clients)
        for host in ("a", "b"):
            self.assertEqual(self.readyz(host)["cache"], "redis")

    test_form_rendered_on_a_posted_to_b_replayed_on_a_is_one_request = \
        SharedState.test_form_rendered_on_a_posted_to_b_replayed_on_a_is_one_request
    test_raw_redis_entries_hold_no_token = SharedState.test_raw_redis_entries_hold_no_token
    test_redis_killed_and_restarted = SharedState.test_redis_killed_and_restarted


class SharedRateLimit(TwoHosts):
    rate_per_client = "3"

    def test_rate_limit_counted_across_hosts(self):
        fields = [("requester_name", "x")]     # invalid on purpose: nothing may start
        tok = self.form_token("a")
        time.sleep(1.1)
        for host in ("a", "b", "a"):
            status, _, body = self.post(host, tok, fields)
            self.assertEqual(status, 422, body)
        status, headers, body = self.post("b", tok, fields)
        self.assertEqual(status, 429, body)
        self.assertEqual(json.loads(body)["error"]["code"], "rate_limited")
        self.assertEqual(self.instances(), [])


def good_v7(n):
    return [("requester_name", "Zoë Client %d" % n), ("requester_email", "zoe@example.com"),
            ("description", "Two-host fault form #%05d, v7" % n), ("department", "IT-010")]


class V7DedupeFaultRun(TwoHosts):
    """v7 with dedupe = yes on both hosts: v7 cannot search for a request, so
    a start whose answer is lost leaves a request empty, which a retry on
    either host finds and claims (in Redis, where both hosts see the claim)
    and fills.  Forms go to both hosts through the balancer while the
    stand-in is stopped, answers 503, drops answers after processing,
    workers and dispatchers of both hosts are SIGKILLed, and Redis is
    killed and started again (empty: no persistence).  At the end every
    acknowledged reference is in exactly one request, with its values, and
    no request is left empty."""

    variant = "v7-impersonate"
    spool = {"dedupe": "yes", "retry_base": "1", "retry_max": "4",
             "scan_interval_ms": "200", "breaker_failures": "5", "breaker_cooldown": "2"}
    integrify = {"timeout_ms": "3000", "connect_timeout_ms": "1000"}
    workers = "4"
    standin_keeps_state = True
    FORMS = 120
    CLIENTS = 8

    @classmethod
    def form_text(cls):
        return V7_FORM.replace("[field:", "reference_key = intake_reference\n[field:", 1)

    def post_lb(self, token, fields):
        body = urllib.parse.urlencode([("_token", token)] + fields).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "Origin": self.nginx["lb"].url, "Accept": "application/json"}
        try:
            return http(self.nginx["lb"].url + "/forms/it-request", method="POST",
                        headers=headers, body=body, timeout=30)
        except OSError as e:            # the connection itself failed: not acknowledged
            return 0, {}, str(e)

    def lb_tokens(self, n):
        out = []
        while len(out) < n:
            status, _, body = self.get("lb", "/forms/it-request")
            self.assertEqual(status, 200, body[:300])
            out.append(re.search(r'name="_token" value="([^"]+)"', body).group(1))
        time.sleep(1.1)     # forms filled faster than a second are refused as bots
        return out

    def submit(self, token, fields, stats, lock):
        """Post (again with the same token, as a browser retry would) until a
        host acknowledges; the reference it gives."""
        for _ in range(300):
            status, _, body = self.post_lb(token, fields)
            with lock:
                stats["status %d" % status] += 1
            if status in (200, 201, 202):
                return json.loads(body)["reference"]
            self.assertIn(status, (0, 429, 502, 503, 504), body[:300])
            time.sleep(0.2)
        self.fail("never acknowledged")

    def spools_drained(self):
        try:
            return all(self.readyz(h)["spool"]["queued"] == 0 for h in ("a", "b"))
        except (OSError, AssertionError, ValueError):
            return False

    def chaos(self, stop, note):
        """Kill a worker of either host every 2 s, and now and then a dispatcher."""
        kills = 0
        while not stop.wait(2.0):
            pool = self.pools[random.choice("ab")]
            victims = pool.workers()
            if victims:
                os.kill(random.choice(victims), signal.SIGKILL)
                kills += 1
            if kills % 5 == 0 and pool.dispatcher():
                os.kill(pool.dispatcher(), signal.SIGKILL)
                note("SIGKILL a dispatcher")
        note("%d workers SIGKILLed" % kills)

    def faults(self, note):
        time.sleep(3)
        self.standin.stop()
        note("stand-in stopped")
        time.sleep(12)
        self.standin.start()
        note("stand-in started again")
        time.sleep(3)
        self.standin.control("/__sim/fail-next?status=503&seconds=6")
        note("503 for 6 s")
        time.sleep(8)
        self.standin.control("/__sim/fault?mode=drop&seconds=8&path=/instances/")
        note("answers of starts dropped after processing for 8 s")
        time.sleep(4)
        self.redis.kill()
        note("redis killed (while answers are dropped)")
        time.sleep(10)
        self.redis.start()
        note("redis started again, empty")
        time.sleep(3)
        self.standin.control("/__sim/fault?mode=drop&seconds=6&path=/instances/")
        note("answers of starts dropped after processing for 6 s, redis up")
        time.sleep(6)

    def test_v7_dedupe_two_hosts_fault_run_is_exactly_once(self):
        tokens = self.lb_tokens(self.FORMS)
        work = list(enumerate(tokens))
        lock = threading.Lock()
        submitted, stats, events = {}, collections.Counter(), []
        stop = threading.Event()
        t0 = time.monotonic()

        def note(what):
            events.append("%6.1fs %s" % (time.monotonic() - t0, what))

        def client():
            while True:
                with lock:
                    if not work:
                        return
                    n, tok = work.pop()
                ref = self.submit(tok, good_v7(n), stats, lock)
                with lock:
                    self.assertNotIn(ref, submitted)
                    submitted[ref] = n
                # People, not a flood: the 120 span every fault, Redis's outage too.
                time.sleep(random.uniform(2.5, 4.0))

        fault = threading.Thread(target=self.faults, args=(note,))
        killer = threading.Thread(target=self.chaos, args=(stop, note))
        clients = [threading.Thread(target=client) for _ in range(self.CLIENTS)]
        for t in [fault, killer] + clients:
            t.start()
        for t in clients:
            t.join()
        note("all %d acknowledged" % len(submitted))
        fault.join()
        stop.set()
        killer.join()
        wait_for(self.spools_drained, timeout=240, step=1, what="both spools to drain")
        note("both spools drained")
        insts = self.instances()
        by_ref = collections.defaultdict(list)
        for inst in insts:
            by_ref[inst["values"].get("intake_reference")].append(inst)
        empty = len(by_ref.pop(None, []))
        dups = {r: len(v) for r, v in by_ref.items() if len(v) > 1}
        lost = sorted(set(submitted) - set(by_ref))
        extra = sorted(set(by_ref) - set(submitted))
        wrong = [r for r, n in submitted.items() if r in by_ref and
                 by_ref[r][0]["values"].get("description") != dict(good_v7(n))["description"]]
        held = [self.readyz(h)["spool"]["held"] for h in ("a", "b")]
        logs = {h: self.pools[h].log_text() for h in ("a", "b")}
        print("\n" + "\n".join(events), file=sys.stderr)
        print("v7 two hosts: answers %s; requests in the stand-in: %d; acknowledged "
              "references: %d; duplicates: %d; lost: %d; empty: %d; unexpected: %d; wrong "
              "values: %d; held: %s; adopted (\"gets them\"): %d; waited for redis: %s" % (
                  dict(sorted(stats.items())), len(insts), len(submitted),
                  sum(v - 1 for v in dups.values()), len(lost), empty, len(extra), len(wrong),
                  held, sum(l.count("gets them") for l in logs.values()),
                  {h: "v7 claims live in Redis" in l for h, l in logs.items()}),
              file=sys.stderr)
        self.assertEqual(len(submitted), self.FORMS)
        self.assertEqual(dups, {})
        self.assertEqual(lost, [])
        self.assertEqual(extra, [])
        self.assertEqual(wrong, [])
        self.assertEqual(empty, 0)
        self.assertEqual(held, [0, 0])
        self.assertEqual(len(insts), len(submitted))
        for h in ("a", "b"):
            self.assertEqual(self.readyz(h)["cache"], "redis")
        # Deliveries during Redis's outage waited for it, on both hosts.
        for h, log in logs.items():
            self.assertIn("v7 claims live in Redis, which is unreachable", log, h)


class ReplayDuringOutageV7(ReplayDuringOutage, TwoHosts):
    """v7 (two steps, dedupe = yes: its claims wait for Redis as well)."""

    variant = "v7-impersonate"
    spool = {"dedupe": "yes"}

    @classmethod
    def form_text(cls):
        return V7DedupeFaultRun.form_text()

    def good(self):
        return good_v7(1)


class ValgrindRedisWorkers(unittest.TestCase):
    """The workers with backend = redis under valgrind: shared, sealed,
    a reference mark, Redis killed (fallback) and back, on the unix socket
    and over TLS.  Any memory error or definite leak in any process fails."""

    def test_redis_paths_clean_under_valgrind(self):
        self.run_under_valgrind(tls=False)

    def test_redis_tls_paths_clean_under_valgrind(self):
        self.run_under_valgrind(tls=True)

    def run_under_valgrind(self, tls):
        d = tempfile.mkdtemp(prefix="intake-vg-redis-")
        standin = Standin(d)
        self.addCleanup(standin.close)
        redis = Redis(d, tls=tls).start()
        self.addCleanup(redis.kill)
        seal = os.path.join(d, "seal.key")
        with open(seal, "wb") as f:
            f.write(os.urandom(32))
        logs = os.path.join(d, "vg.%p.log")
        pool = Pool(d, standin, "v8-apikey",
                    server={"workers": "2", "max_requests": "12", "rate_per_client": "0",
                            "forms_dir": TwoHosts.formsdir_for_valgrind(d)},
                    integrify={"token_lifetime": "30", "refresh_ahead": "5"},
                    sections=SECTIONS + "[cache]\nbackend = redis\n%s"
                    "redis_seal_key_file = %s\nredis_retry_ms = 50\n%s"
                    % (redis.cache_conf(), seal,
                       # a handshake under valgrind is slow; not a timeout test
                       "redis_timeout_ms = 2000\n" if tls else ""),
                    valgrind=VALGRIND + ["--trace-children=yes", "--child-silent-after-fork=no",
                                         "--log-file=" + logs])
        pool.start()
        nginx = Nginx(d, pool.sock, port=pool.web_port).start()
        try:
            wait_for(lambda: http(nginx.url + "/healthz")[0] == 200, timeout=60,
                     what="workers under valgrind")
            for path in ["/readyz", "/api/choices/departments"] * 3:
                self.assertEqual(http(nginx.url + path, timeout=120)[0], 200)
            toks = []
            for _ in range(2):
                status, _, body = http(nginx.url + "/forms/it-request", timeout=120)
                self.assertEqual(status, 200, body[:300])
                toks.append(re.search(r'name="_token" value="([^"]+)"', body).group(1))
            time.sleep(1.1)

            def post(tok):
                body = urllib.parse.urlencode([("_token", tok)] + GOOD).encode()
                return http(nginx.url + "/forms/it-request", method="POST", body=body,
                            timeout=120, headers={
                                "Content-Type": "application/x-www-form-urlencoded",
                                "Origin": nginx.url, "Accept": "application/json"})[0]

            self.assertIn(post(toks[0]), (201, 202))
            self.assertEqual(post(toks[0]), 200)
            redis.kill()
            for path in ["/readyz", "/api/choices/departments"] * 3:
                self.assertEqual(http(nginx.url + path, timeout=120)[0], 200)
            self.assertIn(post(toks[1]), (201, 202))
            redis.start()
            wait_for(lambda: json.loads(http(nginx.url + "/readyz", timeout=120)[2])
                     .get("cache") == "redis", timeout=120, what="redis back")
        finally:
            nginx.stop()
            rc = pool.stop(timeout=60)
        self.assertEqual(rc, 0)
        reports = glob.glob(os.path.join(d, "vg.*.log"))
        self.assertGreaterEqual(len(reports), 3)
        for path in reports:
            with open(path) as f:
                text = f.read()
            m = re.search(r"ERROR SUMMARY: (\d+) errors", text)
            self.assertIsNotNone(m, path)
            self.assertEqual(m.group(1), "0", text[-3000:])
        print("\nvalgrind (redis%s): %d process reports, 0 errors"
              % (" over TLS" if tls else "", len(reports)))
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
