"""The admin socket: /metrics in Prometheus's text format (checked by
promtool on a real scrape through the shipped admin nginx site), /status as
JSON, /api/processes behind it, and nothing a client sends as a label."""

import json
import os
import re
import shutil
import signal
import subprocess
import unittest

import fcgi
import test_form_post as form_post
from harness import (BIN, SRC, Pool, REPORT_SIDS, Stack, _port_open, free_port, http,
                     wait_for)
import nginx_site  # noqa: E402  (scripts/lib, put on sys.path by harness)

# Every text replaced must be found, so that a changed admin site is noticed.
replace_all = nginx_site.replace

SECTIONS = """
[source:departments]
report = {departments}
value_column = Code
label_column = Department
""".format(**REPORT_SIDS)

# What a sample line is: name{labels} value.
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$')
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')

# Every label value intake may write, from its tables (metrics.c, route.c).
ALLOWED_VALUES = {
    "healthz", "readyz", "processes", "choices", "reports", "forms", "metrics", "status",
    "none", "token", "report", "start", "upload", "search", "other", "2xx", "3xx", "4xx",
    "5xx", "timeout", "too_big", "error", "ok", "failed", "hit", "miss", "stale",
    "stale_error", "client", "form", "accepted", "delivered", "held", "dead", "quarantined",
    "duplicate", "journal", "checkpoint", "state",
    "queued", "closed", "open", "half-open", "full", "resumed", "0.005", "0.01", "0.025", "0.05", "0.1",
    "0.25", "0.5", "1", "2.5", "5", "10", "+Inf",
}


def samples(text):
    """{(name, ((label, value), ...)): value} of a scrape."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if m is None:
            raise AssertionError("not a sample line: %r" % line)
        labels = tuple(sorted(LABEL.findall(m.group(2) or "")))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def value(s, name, **labels):
    return s.get((name, tuple(sorted(labels.items()))), 0.0)


class AdminNginx:
    """A private nginx running the shipped admin site (conf/nginx/intake-admin.conf)
    on a free loopback port, passing to the pool's admin socket."""

    def __init__(self, workdir, admin_sock):
        self.dir = os.path.join(workdir, "nginx-admin")
        os.makedirs(os.path.join(self.dir, "tmp"), exist_ok=True)
        self.port = free_port()
        what = "conf/nginx/intake-admin.conf"
        with open(os.path.join(SRC, what), encoding="utf-8") as f:
            site = f.read()
        site = replace_all(site, "unix:/run/intake/admin.sock", "unix:" + admin_sock, what)
        site = replace_all(site, "listen 127.0.0.1:9180;", "listen 127.0.0.1:%d;" % self.port,
                           what)
        with open(os.path.join(self.dir, "site.conf"), "w") as f:
            f.write(site)
        self.conf = os.path.join(self.dir, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write("""
{user}
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 256; }}
http {{
    client_body_temp_path {d}/tmp/body;
    fastcgi_temp_path {d}/tmp/fastcgi;
    proxy_temp_path {d}/tmp/proxy;
    scgi_temp_path {d}/tmp/scgi;
    uwsgi_temp_path {d}/tmp/uwsgi;
    include {d}/site.conf;
}}
""".format(user="user root;" if os.geteuid() == 0 else "", d=self.dir))
        self.url = "http://127.0.0.1:%d" % self.port

    def start(self):
        subprocess.run(["nginx", "-p", self.dir, "-c", self.conf, "-e",
                        os.path.join(self.dir, "error.log")], check=True)
        wait_for(lambda: _port_open(self.port), what="the admin site to listen")
        return self

    def stop(self):
        try:
            with open(os.path.join(self.dir, "nginx.pid")) as f:
                os.kill(int(f.read().strip()), signal.SIGQUIT)
            wait_for(lambda: not os.path.exists(os.path.join(self.dir, "nginx.pid")),
                     timeout=10, what="the admin site to stop")
        except (OSError, ValueError, AssertionError):
            pass


class AdminStack(Stack):
    """The stack, and the shipped admin site in front of the pool's admin socket."""

    def setUp(self):
        super().setUp()
        self.admin = AdminNginx(self.workdir, self.pool.admin_sock)
        self.addCleanup(self.admin.stop)
        self.admin.start()

    def admin_get(self, path, **kw):
        return http(self.admin.url + path, **kw)


class Metrics(AdminStack):
    # The default: /api/processes on the admin socket only.
    server = {"workers": "2", "public_processes": "no"}
    sections = SECTIONS

    def scrape(self):
        status, headers, body = self.admin_get("/metrics")
        self.assertEqual(status, 200, body)
        self.assertTrue(headers.get("Content-Type", "").startswith("text/plain; version=0.0.4"))
        return body

    def status(self):
        status, _, body = self.admin_get("/status")
        self.assertEqual(status, 200, body)
        return body, json.loads(body)

    @unittest.skipUnless(shutil.which("promtool"), "promtool not installed "
                         "(scripts/deps.sh --tests installs Debian's prometheus)")
    def test_promtool_check_metrics_passes_on_a_real_scrape(self):
        # Something in most families: a token, a list (miss, then hit), a 404, a 405.
        self.assertEqual(self.get("/readyz")[0], 200)
        self.assertEqual(self.get("/api/choices/departments")[0], 200)
        self.assertEqual(self.get("/api/choices/departments?format=html")[0], 200)
        self.assertEqual(self.get("/api/nope")[0], 404)
        self.assertEqual(self.get("/healthz", method="POST", body=b"x")[0], 405)
        self.assertEqual(self.admin_get("/api/processes")[0], 200)
        body = self.scrape()
        r = subprocess.run(["promtool", "check", "metrics"], input=body.encode(),
                           capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, (r.stdout + r.stderr).decode() + "\n" + body)
        self.assertEqual((r.stdout + r.stderr).decode().strip(), "")

    def test_counters_move_with_requests(self):
        before = samples(self.scrape())
        self.assertEqual(self.get("/healthz")[0], 200)
        self.assertEqual(self.get("/forms/nope/x/y")[0], 404)
        # Two URLs nginx caches apart, one list in intake: a miss, then a hit.
        self.assertEqual(self.get("/api/choices/departments")[0], 200)
        self.assertEqual(self.get("/api/choices/departments?format=html")[0], 200)
        after = samples(self.scrape())

        def delta(name, **labels):
            return value(after, name, **labels) - value(before, name, **labels)

        self.assertEqual(delta("intake_http_requests_total", route="healthz", status="200"), 1)
        self.assertEqual(delta("intake_http_requests_total", route="none", status="404"), 1)
        self.assertEqual(delta("intake_http_requests_total", route="choices", status="200"), 2)
        self.assertEqual(delta("intake_http_request_duration_seconds_count", route="choices"), 2)
        self.assertEqual(delta("intake_list_cache_total", result="miss"), 1)
        self.assertEqual(delta("intake_list_cache_total", result="hit"), 1)
        self.assertEqual(value(after, "intake_token_fetches_total", result="ok"), 1)
        self.assertEqual(delta("intake_upstream_requests_total", kind="report", status="2xx"), 1)
        self.assertEqual(value(after, "intake_upstream_requests_total", kind="token",
                               status="2xx"), 1)
        self.assertEqual(value(after, "intake_workers_alive"), 2)
        self.assertEqual(value(after, "intake_workers_configured"), 2)
        self.assertEqual(value(after, "intake_dispatcher_up"), 1)
        self.assertEqual(value(after, "intake_breaker_state", state="closed"), 1)
        self.assertEqual(value(after, "intake_token_cached"), 1)
        # The scrape itself is a request of the admin socket, counted on the next one.
        self.assertGreaterEqual(value(after, "intake_http_requests_total", route="metrics",
                                      status="200"), 1)

    def test_label_cardinality_flood_makes_no_label_of_a_client_value(self):
        self.assertEqual(self.get("/readyz")[0], 200)
        before = samples(self.scrape())
        for i in range(40):
            self.get("/evil%d" % i)
            self.get("/api/choices/evil%d?q=evil%d" % (i, i))
            self.get("/api/reports/evil%d" % i)
            self.get("/forms/evil%d" % i)
            self.get("/api/choices/departments?q=evil%d&page=%d" % (i, i + 1))
            # Straight to the public socket: paths and methods nginx would not pass.
            fcgi.request(self.pool.sock, "/evil%d\"}x{a=\"b" % i, query="evil=%d" % i,
                         method="EVIL%d" % i)
        text = self.scrape()
        self.assertNotIn("evil", text.lower())
        after = samples(text)
        for (name, labels) in after:
            for k, v in labels:
                if k == "status" and v.isdigit():
                    continue
                self.assertIn(v, ALLOWED_VALUES, "label %s=%r of %s" % (k, v, name))
        # Only rows of the closed tables appeared: at most one per route and status code.
        new = set(after) - set(before)
        self.assertLessEqual(len(new), 12, sorted(new))

    def test_admin_pages_and_processes_are_not_on_the_public_socket(self):
        for path in ("/metrics", "/status", "/api/processes"):
            status, _, body = fcgi.request(self.pool.sock, path)
            self.assertEqual(status, 404, path + ": " + body)
            self.assertEqual(json.loads(body)["error"]["code"], "not_found")
            status, _, body = fcgi.request(self.pool.admin_sock, path)
            self.assertEqual(status, 200, path + ": " + body)
        # Through the public site too.
        self.assertEqual(self.get("/api/processes")[0], 404)
        status, _, body = self.admin_get("/api/processes")
        self.assertEqual(status, 200, body)
        self.assertIn("processes", json.loads(body))
        # The public pages stay off the admin socket.
        self.assertEqual(fcgi.request(self.pool.admin_sock, "/api/choices/departments")[0], 404)

    def test_status_page_shows_the_pool_and_never_the_token(self):
        self.assertEqual(self.get("/readyz")[0], 200)
        body, st = self.status()
        self.assertEqual(st["workers"]["configured"], 2)
        self.assertEqual(st["workers"]["alive"], 2)
        # This request is being served by one of them.
        self.assertGreaterEqual(st["workers"]["busy"], 1)
        self.assertTrue(st["dispatcher"]["alive"])
        self.assertTrue(st["token"]["cached"])
        self.assertGreater(st["token"]["seconds_left"], 0)
        self.assertEqual(st["breaker"], "closed")
        self.assertEqual(st["spool"], {"queued": 0, "dead": 0, "delivered": 0})
        self.assertGreaterEqual(st["requests"]["accepted"], 1)
        self.assertGreaterEqual(st["upstream_slots"]["configured"], 1)
        self.assertEqual(st["upstream_slots"]["in_use"], 0)
        pids = sorted(p["pid"] for p in st["processes"] if p["role"] == "worker")
        self.assertEqual(pids, sorted(self.pool.workers()))
        self.assertEqual([p["pid"] for p in st["processes"] if p["role"] == "dispatcher"],
                         [self.pool.dispatcher()])
        self.assert_no_secrets(body, self.scrape())

    def test_a_killed_worker_counts_as_a_restart_and_a_crash(self):
        _, st = self.status()
        self.assertEqual(st["restarts"], {"workers": 0, "crashes": 0, "dispatcher": 0})
        victim = self.pool.workers()[0]
        os.kill(victim, signal.SIGKILL)
        wait_for(lambda: len(self.pool.workers()) == 2 and victim not in self.pool.workers(),
                 what="a replacement worker")
        wait_for(lambda: self.status()[1]["workers"]["alive"] == 2, what="the new row")
        _, st = self.status()
        self.assertEqual(st["restarts"]["workers"], 1)
        self.assertEqual(st["restarts"]["crashes"], 1)
        self.assertNotIn(victim, [p["pid"] for p in st["processes"]])
        s = samples(self.scrape())
        self.assertEqual(value(s, "intake_worker_restarts_total"), 1)
        self.assertEqual(value(s, "intake_worker_crashes_total"), 1)


class MetricsPosts(form_post.PostMixin, AdminStack):
    """Form posts: the spool's and the rate limit's counters."""
    variant = "v8-apikey"
    sections = form_post.SECTIONS
    good = form_post.PostV8.good

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # One post per client a day: of three posts a few seconds apart, at
        # most one window boundary falls between them, so one at least is 429.
        cls.server = dict(cls.server, rate_per_client="1", rate_window="86400")

    def test_a_started_post_and_rate_limited_ones_are_counted(self):
        codes = [self.post(self.good(), accept="application/json")[0] for _ in range(3)]
        self.assertEqual(codes[0], 201)
        self.assertIn(429, codes[1:])
        self.assertEqual(set(codes[1:]) - {201, 429}, set())
        started = codes.count(201)
        wait_for(lambda: value(samples(self.scrape()), "intake_spool_events_total",
                               event="delivered") == started, what="the deliveries counted")
        s = samples(self.scrape())
        self.assertEqual(value(s, "intake_spool_events_total", event="accepted"), started)
        self.assertEqual(value(s, "intake_rate_limited_total", scope="client"), codes.count(429))
        self.assertEqual(value(s, "intake_http_requests_total", route="forms", status="429"),
                         codes.count(429))
        self.assertEqual(value(s, "intake_http_requests_total", route="forms", status="201"),
                         started)
        self.assertGreaterEqual(value(s, "intake_upstream_requests_total", kind="start",
                                      status="2xx"), started)
        self.assertEqual(value(s, "intake_spool_records", state="delivered"), started)

    def scrape(self):
        status, _, body = self.admin_get("/metrics")
        self.assertEqual(status, 200, body)
        return body


class ActivatedAdminPool(Pool):
    """Both sockets made by systemd-socket-activate, the admin one passed by
    the name "admin", as intake.socket and intake-admin.socket pass them."""

    def start(self):
        self.log = open(self.logpath, "a")
        self.proc = subprocess.Popen(["systemd-socket-activate", "-l", self.sock,
                                      "-l", self.admin_sock, "--fdname=intake.socket:admin",
                                      BIN, "-c", self.conf] + self.root_flag(),
                                     stdout=self.log, stderr=self.log)
        wait_for(lambda: os.path.exists(self.admin_sock), timeout=15, what="the passed sockets")
        # The first connection starts intake; this one asks for the metrics.
        self.first = fcgi.request(self.admin_sock, "/metrics", timeout=30)
        wait_for(lambda: len(self.workers()) >= 1, timeout=15, what="intake's workers")
        return self


@unittest.skipUnless(shutil.which("systemd-socket-activate"), "systemd-socket-activate missing")
class MetricsSocketActivated(Stack):
    pool_class = ActivatedAdminPool
    # The config names other sockets: the passed ones must win.
    server = {"listen": "unix:/nonexistent/not-this-one.sock",
              "admin_listen": "unix:/nonexistent/nor-this-one.sock"}

    def test_the_admin_socket_passed_by_name_serves_the_admin_pages(self):
        self.assertEqual(self.pool.first[0], 200, self.pool.first[2])
        self.assertIn("intake_workers_alive", self.pool.first[2])
        self.assertEqual(fcgi.request(self.pool.admin_sock, "/status")[0], 200)
        self.assertEqual(fcgi.request(self.pool.sock, "/status")[0], 404)
        self.assertEqual(self.get("/healthz")[0], 200)
        self.assertIn("the admin socket the service manager passed", self.pool.log_text())
        self.pool.stop()
        # The service manager made both; intake unlinks neither.
        self.assertTrue(os.path.exists(self.pool.admin_sock))


class MetricsPublicProcesses(Stack):
    """public_processes = yes puts /api/processes back on the public site."""
    server = {"public_processes": "yes"}

    def test_public_processes_yes_serves_the_list_publicly(self):
        status, _, body = self.get("/api/processes")
        self.assertEqual(status, 200, body)
        self.assertEqual(fcgi.request(self.pool.sock, "/metrics")[0], 404)


if __name__ == "__main__":
    unittest.main()
