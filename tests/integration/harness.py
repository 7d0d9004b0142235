"""Test rig for intake's integration tests.

Starts the real pieces: the Integrify stand-in, the intake pool (the real
binary, real libfcgi workers) and a private nginx built from the shipped
site snippet conf/nginx/intake.conf.  Everything listens on loopback and is
stopped when the test ends.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

SRC = os.environ.get("INTAKE_SRC", os.path.abspath(os.path.join(os.path.dirname(__file__), "../..")))
BIN = os.environ.get("INTAKE_BIN", os.path.join(SRC, "build/cgi-bin/intake"))
BUILD = os.environ.get("INTAKE_BUILD", os.path.dirname(os.path.dirname(BIN)))
STANDIN = os.path.join(SRC, "standin/integrify_standin.py")
FIXTURE = os.path.join(SRC, "standin/data/demo.json")
HOST_HEADER = "acme.integrify.local"


def fixture():
    with open(FIXTURE, encoding="utf-8") as f:
        return json.load(f)


def wait_for(pred, timeout=15.0, step=0.05, what="condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    raise AssertionError("timed out waiting for " + what)


_LOGFMT_PAIR = re.compile(r'([^\s="]+)(?:=("(?:[^"\\]|\\.)*"|[^\s"]*))?(?=\s|$)')


def logfmt(line):
    """The key=value pairs of one intake log line as a dict (the journal's
    "<N>" prefix skipped); raises ValueError for anything that is not
    logfmt, so a test reading the log also checks its format."""
    line = re.sub(r"^<\d>", "", line.rstrip("\n"))
    out, pos = {}, 0
    while pos < len(line):
        if line[pos] == " ":
            pos += 1
            continue
        m = _LOGFMT_PAIR.match(line, pos)
        if m is None:
            raise ValueError("not logfmt at %d: %r" % (pos, line))
        key, val = m.group(1), m.group(2) or ""
        if val.startswith('"'):
            raw, val, i = val[1:-1], bytearray(), 0
            while i < len(raw):
                if raw[i] == "\\" and raw[i + 1] == "x":
                    val.append(int(raw[i + 2:i + 4], 16))
                    i += 4
                elif raw[i] == "\\":
                    val.append(ord(raw[i + 1]))
                    i += 2
                else:
                    val.append(ord(raw[i]))
                    i += 1
            val = val.decode("utf-8", "replace")
        out[key] = val
        pos = m.end()
    return out


def log_events(text, event=None):
    """The parsed lines of an intake log (of one event, when given)."""
    lines = [logfmt(l) for l in text.splitlines() if l.strip()]
    return [l for l in lines if event is None or l.get("event") == event]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def public_origins(port):
    """[server] public_origins for a site nginx serves on 127.0.0.1:port:
    what a browser sends as Origin when it opened the site by either name."""
    return "http://127.0.0.1:%d http://localhost:%d" % (port, port)


class Standin:
    """The Integrify stand-in, on an ephemeral loopback port."""

    def __init__(self, workdir, sets=(), state_file=None):
        self.log = open(os.path.join(workdir, "standin.log"), "w+")
        self.sets = sets
        self.state_file = state_file
        self.port = 0
        self.start()

    def start(self):
        """Start (again, on the same port once it has one)."""
        if self.log.closed:
            self.log = open(self.log.name, "a+")
        args = [sys.executable, STANDIN, "--host", "127.0.0.1", "--port", str(self.port),
                "--data", FIXTURE]
        if self.state_file:
            args += ["--state-file", self.state_file]
        for s in self.sets:
            args += ["--set", s]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()
        m = re.search(r"listening on http://([\d.]+):(\d+)", line)
        if not m:
            raise AssertionError("stand-in did not start: %r" % line)
        self.port = int(m.group(2))
        self.url = "http://127.0.0.1:%d" % self.port

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=10) as r:
            raw = r.read()
            return json.loads(raw) if raw else None

    def state(self, since=0):
        return self.call("GET", "/__sim/state?since=%d" % since)

    def reset(self):
        self.call("POST", "/__sim/reset")

    def control(self, path):
        return self.call("POST", path)

    def tokens(self):
        return self.state()["tokens"]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        # The log stays open: the stand-in may be started again (start()).

    def close(self):
        self.stop()
        self.log.close()


DIALECTS = {
    # name: (dialect, flow, extra config lines)
    "v7-impersonate": ("v7", "impersonate", {}),
    "v7-jwt": ("v7", "jwt", {}),
    "v8-apikey": ("v8", "apikey", {"tenant": "acme"}),
}


class Pool:
    """The real intake binary running its supervised worker pool."""

    def __init__(self, workdir, standin, variant="v7-impersonate", server=None, integrify=None,
                 valgrind=None, key_override=None, sections="", spool=None, web_port=None):
        self.workdir = workdir
        self.standin = standin
        self.variant = variant
        self.sock = os.path.join(workdir, "intake.sock")
        # The admin socket (/metrics, /status, /api/processes): every test
        # pool has one, so every worker polls two sockets.
        self.admin_sock = os.path.join(workdir, "admin.sock")
        self.conf = os.path.join(workdir, "intake.conf")
        self.logpath = os.path.join(workdir, "intake.log")
        # The port nginx is to serve the site on (Nginx(..., port=pool.web_port)):
        # the forms' public origins are written from it.
        self.web_port = web_port or free_port()
        # public_processes: many tests use /api/processes on the public site
        # as their probe of an Integrify call; test_metrics checks the
        # default (admin socket only).
        self.server = {"listen": "unix:" + self.sock, "workers": "4",
                       "admin_listen": "unix:" + self.admin_sock,
                       "public_processes": "yes",
                       "cache_file": os.path.join(workdir, "cache.shm"),
                       "shutdown_timeout": "10", "log_level": "info",
                       "public_origins": public_origins(self.web_port)}
        self.server.update(server or {})
        self.spool_dir = os.path.join(workdir, "spool")
        self.spool = {"dir": self.spool_dir}
        self.spool.update(spool or {})
        self.integrify_overrides = integrify or {}
        self.valgrind = valgrind
        self.key_override = key_override
        self.sections = sections
        self.proc = None
        self.write_config()

    def credentials(self):
        fx = fixture()
        dialect, flow, extra = DIALECTS[self.variant]
        if flow == "apikey":
            key = next(k["key"] for k in fx["v8_api_keys"] if not k.get("user"))
            secret = None
        else:
            consumer = fx["legacy_consumers"][0]
            key, secret = consumer["key"], consumer["secret"]
        return dialect, flow, extra, key, secret

    def write_config(self):
        dialect, flow, extra, key, secret = self.credentials()
        if self.key_override:
            key = self.key_override
        keyfile = os.path.join(self.workdir, "integrify.key")
        with open(keyfile, "w") as f:
            f.write(key + "\n")
        os.chmod(keyfile, 0o600)
        integ = {"dialect": dialect, "flow": flow,
                 "base_url": "http://%s:%d" % (HOST_HEADER, self.standin.port),
                 "connect_to": "127.0.0.1:%d" % self.standin.port,
                 "user": "svc_intake", "key_file": keyfile, "allow_http": "yes",
                 "timeout_ms": "10000", "connect_timeout_ms": "2000"}
        if secret is not None and flow == "jwt":
            secretfile = os.path.join(self.workdir, "integrify.secret")
            with open(secretfile, "w") as f:
                f.write(secret + "\n")
            integ["secret_file"] = secretfile
        integ.update(extra)
        integ.update(self.integrify_overrides)
        with open(self.conf, "w") as f:
            f.write("[server]\n")
            for k, v in self.server.items():
                f.write("%s = %s\n" % (k, v))
            f.write("[integrify]\n")
            for k, v in integ.items():
                if v is not None:
                    f.write("%s = %s\n" % (k, v))
            f.write("[spool]\n")
            for k, v in self.spool.items():
                f.write("%s = %s\n" % (k, v))
            f.write(self.sections)
        self.key, self.secret = key, secret

    def start(self):
        self.log = open(self.logpath, "a")
        args = [BIN, "-c", self.conf] + self.root_flag()
        if self.valgrind:
            args = self.valgrind + args
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=self.log)
        wait_for(lambda: os.path.exists(self.sock) and len(self.workers()) >= 1,
                 timeout=60 if self.valgrind else 15, what="intake pool to listen")
        return self

    def root_flag(self):
        """-R when the tests run as root without [server] user: intake refuses
        root workers unless told to."""
        return ["-R"] if os.geteuid() == 0 and not self.server.get("user") else []

    def children(self):
        """PIDs of the supervisor's children: the workers and the dispatcher."""
        if self.proc is None:
            return []
        try:
            with open("/proc/%d/task/%d/children" % (self.proc.pid, self.proc.pid)) as f:
                return [int(p) for p in f.read().split()]
        except OSError:
            return []

    @staticmethod
    def is_dispatcher(pid):
        """The dispatcher names itself (PR_SET_NAME); a worker keeps the binary's name."""
        try:
            with open("/proc/%d/comm" % pid) as f:
                return f.read().strip() == "intake-dispatch"
        except OSError:
            return False

    def dispatcher(self):
        """The live dispatcher's PID, or None."""
        live = [p for p in self.children() if self.is_dispatcher(p)]
        return live[0] if live else None

    def workers(self):
        """PIDs of the supervisor's worker children (not the dispatcher)."""
        return [p for p in self.children() if not self.is_dispatcher(p)]

    def log_text(self):
        with open(self.logpath, encoding="utf-8", errors="replace") as f:
            return f.read()

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=30):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None and not self.log.closed:
            self.log.close()
        return None if self.proc is None else self.proc.returncode


# The names the private nginx serves the site under; any other Host meets the
# shipped catch-all server (444: the connection is closed, no answer).
SERVER_NAMES = "127.0.0.1 localhost"

sys.path.insert(0, os.path.join(SRC, "scripts/lib"))
import nginx_site  # noqa: E402  (scripts/lib/nginx_site.py: renders the shipped site)

# The shipped per-client limit on /api/ (limit_req): off unless a test asks
# for it, since most tests fetch lists far faster than a person would.
LIMIT_REQ = nginx_site.LIMIT_REQ


class Nginx:
    """A private nginx running the shipped site (conf/nginx/intake.conf and
    the intake-locations.conf it includes), rendered by scripts/lib/nginx_site.py.

    port: where it listens (default: a free one; give the pool's web_port so
    that the pool's public_origins name this site).  limit_req: keep the
    shipped per-client limit on /api/.  site_edit, locations_edit: functions
    of the rendered site or locations text returning the text to run
    instead.  site, www: another copy of the site and the static files (the
    package's).  tls: run every server of the site as shipped, intake's on
    TLS at port (a throwaway self-signed certificate for localhost: connect
    with SNI "localhost") and the port-80 ones at redirect_port; otherwise
    intake's server is plain HTTP on port and the TLS-only servers are left out.
    published: the lists' directory (a pool's [server] publish_dir; default
    WORKDIR/published, which no pool uses unless a test sets it)."""

    def __init__(self, workdir, sock, worker_connections=4096, port=None, limit_req=False,
                 site_edit=None, site=None, www=None, tls=False, locations_edit=None,
                 published=None):
        self.dir = os.path.join(workdir, "nginx")
        os.makedirs(os.path.join(self.dir, "tmp"), exist_ok=True)
        self.port = port or free_port()
        self.tls = tls
        kw = dict(sock=sock, www=www or os.path.join(SRC, "www"),
                  cache=os.path.join(self.dir, "cache"), names=SERVER_NAMES, limit_req=limit_req,
                  access_log=os.path.join(self.dir, "access.log"),
                  published=published or os.path.join(workdir, "published"))
        if tls:
            self.redirect_port = free_port()
            self.cert, self.key = nginx_site.self_signed(self.dir)
            kw.update(port=None, tls_port=self.port, redirect_port=self.redirect_port,
                      cert=self.cert, key=self.key)
        else:
            kw.update(port=self.port)
        try:
            self.site_path, self.locations_path = nginx_site.render(
                site or os.path.join(SRC, "conf/nginx/intake.conf"), self.dir,
                site_edit=site_edit, locations_edit=locations_edit, **kw)
        except nginx_site.SiteError as e:
            raise AssertionError("%s: update the test harness" % e)
        conf = """
{user}
worker_processes 2;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections {wc}; }}
http {{
    include /etc/nginx/mime.types;
    access_log {d}/access.log;
    client_body_temp_path {d}/tmp/body;
    fastcgi_temp_path {d}/tmp/fastcgi;
    proxy_temp_path {d}/tmp/proxy;
    scgi_temp_path {d}/tmp/scgi;
    uwsgi_temp_path {d}/tmp/uwsgi;
    include {site};
}}
""".format(user="user root;" if os.geteuid() == 0 else "", d=self.dir, wc=worker_connections,
           site=self.site_path)
        self.conf = os.path.join(self.dir, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(conf)
        self.url = ("https://localhost:%d" if tls else "http://127.0.0.1:%d") % self.port

    def start(self):
        subprocess.run(["nginx", "-p", self.dir, "-c", self.conf, "-e", os.path.join(self.dir, "error.log")],
                       check=True)
        wait_for(lambda: _port_open(self.port), what="nginx to listen")
        return self

    def stop(self):
        pidfile = os.path.join(self.dir, "nginx.pid")
        try:
            with open(pidfile) as f:
                pid = int(f.read().strip())
            os.kill(pid, signal.SIGQUIT)
            wait_for(lambda: not os.path.exists(pidfile), timeout=10, what="nginx to stop")
        except (OSError, ValueError, AssertionError):
            pass

    def logs(self):
        out = ""
        for name in ("access.log", "error.log"):
            try:
                with open(os.path.join(self.dir, name), encoding="utf-8", errors="replace") as f:
                    out += f.read()
            except OSError:
                pass
        return out


def _port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def header_dict(msg):
    """An answer's headers as a dict; a repeated header's values joined with
    ", " as RFC 9110 combines them (nginx adds its own Vary: Accept-Encoding
    beside intake's Vary)."""
    out = {}
    for k, v in msg.items():
        out[k] = out[k] + ", " + v if k in out else v
    return out


def http(url, method="GET", headers=None, body=None, timeout=60):
    """(status, headers, body text) without raising on HTTP errors."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, header_dict(r.headers), r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, header_dict(e.headers), e.read().decode("utf-8", "replace")


def token_fetches(state):
    """Calls the stand-in logged on its token endpoints."""
    return [c for c in state["calls"] if c.get("auth") == "token_endpoint"]


class Stack(unittest.TestCase):
    """A test case with the stand-in, the pool and nginx up."""

    variant = "v7-impersonate"
    pool_class = Pool
    server = None
    integrify = None
    standin_sets = ()
    key_override = None
    sections = ""
    spool = None                # [spool] keys beyond dir
    nginx_limit_req = False     # keep the shipped limit_req on /api/
    nginx_worker_connections = 4096
    nginx_site_edit = None      # Nginx(site_edit=...): a change to the rendered site
    nginx_locations_edit = None  # Nginx(locations_edit=...): a change to its locations
    nginx_tls = False           # Nginx(tls=True): the site as shipped, with TLS
    standin_keeps_state = False  # the stand-in saves its state, to be restarted
    publish = False             # [server] publish_dir = WORKDIR/published (nginx's lists root)

    def setUp(self):
        # Cleanups run even when a later step of setUp fails, so nothing
        # started here outlives the test.
        self.workdir = tempfile.mkdtemp(prefix="intake-it-")
        self.addCleanup(self._remove_workdir)
        state = os.path.join(self.workdir, "standin-state.json") \
            if self.standin_keeps_state else None
        self.standin = Standin(self.workdir, self.standin_sets, state_file=state)
        self.addCleanup(self.standin.close)
        server = dict(self.server or {})
        if self.publish:
            server["publish_dir"] = os.path.join(self.workdir, "published")
        self.pool = self.pool_class(self.workdir, self.standin, self.variant, server,
                                    self.integrify, key_override=self.key_override,
                                    sections=self.sections, spool=self.spool)
        self.addCleanup(self.pool.stop)
        self.pool.start()
        self.nginx = Nginx(self.workdir, self.pool.sock, port=self.pool.web_port,
                           limit_req=self.nginx_limit_req,
                           worker_connections=self.nginx_worker_connections,
                           site_edit=self.nginx_site_edit,
                           locations_edit=self.nginx_locations_edit, tls=self.nginx_tls)
        self.addCleanup(self.nginx.stop)
        self.nginx.start()
        self.secrets = [s for s in (self.pool.key, self.pool.secret) if s]

    def _remove_workdir(self):
        remove_unless_failed(self, self.workdir)

    def get(self, path, **kw):
        return http(self.nginx.url + path, **kw)

    def assert_no_secrets(self, *texts):
        """No key, secret or issued token appears in any of texts."""
        tokens = [t["token"] for t in self.standin.tokens()]
        for text in texts:
            for s in self.secrets + tokens:
                self.assertNotIn(s, text, "a secret or token leaked")


def remove_unless_failed(case, path):
    """Remove a test's directory, or keep it (and say so) when the test failed."""
    if _failed(case):
        print("kept", path)
    else:
        shutil.rmtree(path, ignore_errors=True)


def _failed(case):
    outcome = getattr(case, "_outcome", None)
    res = getattr(outcome, "result", None)
    errs = getattr(res, "errors", []) + getattr(res, "failures", [])
    return any(t is case for t, _ in errs)


# The demo fixture's reports, as [source:] / [report:] sections.
REPORT_SIDS = {
    "departments": "7bb3cd03-a442-5392-a963-51522175121e",
    "locations": "80451021-5cb8-5497-bb04-411b35da59dd",
    "categories": "864eabd6-d273-5568-9ca6-067f5d553d44",
    "priorities": "1cfcaae6-d631-5327-b0a3-ae1a4497c3f0",
    "assets": "62e6e2b4-c54d-5fcf-9f68-9a2153a9b4f6",
    "cost_centers": "b90f4c9a-0cc6-5a73-9391-5945df494843",
    "divisions": "78923549-3197-58c9-9393-772a758f8fa3",
    "regions": "1ac4e6a4-1956-586c-86d3-e4f55617bf5b",
}


def fixture_report(name):
    """The fixture's report, its null cells as the empty strings Integrify exports."""
    sid = REPORT_SIDS[name]
    rep = dict(next(r for r in fixture()["reports"] if r["sid"] == sid))
    rep["rows"] = [["" if c is None else str(c) for c in row] for row in rep["rows"]]
    return rep
