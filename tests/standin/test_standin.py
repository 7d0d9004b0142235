"""Self-test of the Integrify stand-in (standin/integrify_standin.py).

Starts the real program on an ephemeral port and checks the contract:
token flows and expiry (v7 impersonate, v7 JWT bearer, v8 API key), the
401/403/404 scenarios, reports (JSON and CSV), processes, instance start,
data containers, uploads, the /__sim/ control endpoints and faults, and
--state-file (state kept across restarts).

Run from the repository root:  python3 -m unittest tests/standin/test_standin.py -v
"""

import base64
import csv
import datetime
import hashlib
import hmac
import http.client
import importlib.util
import io
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
PROGRAM = os.path.join(ROOT, "standin/integrify_standin.py")
FIXTURE = os.path.join(ROOT, "standin/data/demo.json")

with open(FIXTURE, encoding="utf-8") as _f:
    FX = json.load(_f)

HOST = FX["host_header"]
TENANT = FX["tenant"]
CONSUMER = FX["legacy_consumers"][0]
NO_IMPERSONATE = next(c for c in FX["legacy_consumers"] if not c["impersonate"])
APIKEY = next(k["key"] for k in FX["v8_api_keys"] if not k["user"] and not k["expires"])
PERSONAL = next(k for k in FX["v8_api_keys"] if k["user"])
RETIRED = next(k["key"] for k in FX["v8_api_keys"] if k["expires"])
SVC = "svc_intake"
PROC = {p["name"]: p for p in FX["processes"]}
REPORT = {r["name"]: r for r in FX["reports"]}
IT = PROC["IT Request"]
IT_DC = PROC["IT Request (API intake)"]
ACCESS = PROC["Access Request"]
ASSETS = REPORT["Asset Notes"]
DEPTS = REPORT["Departments"]
LOCS = REPORT["Locations"]
CATS = REPORT["Request Categories"]
SECRET_REPORT = REPORT["Executive Cost Centers"]
DEFAULT_VARIANTS = {"v7_start_shape": "doc", "v8_impersonate_body": "json_token",
                    "v8_expired_body": "text", "instance_list_shape": "camel",
                    "instance_list_ids": "number", "instance_list_extra": "no",
                    "instance_list_sid": "yes", "instance_search": "yes",
                    "report_run_shape": "items", "v7_request_name": "no"}


# --------------------------------------------------------------------------
# The program under test and a small HTTP client

class Standin:
    """The stand-in as a child process on a free loopback port."""

    def __init__(self, *sets, extra=()):
        args = [sys.executable, PROGRAM, "--host", "127.0.0.1", "--port", "0", "--data", FIXTURE]
        for s in sets:
            args += ["--set", s]
        args += list(extra)
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        self.line = self.proc.stdout.readline()
        m = re.fullmatch(r"standin listening on http://127\.0\.0\.1:(\d+)\n", self.line)
        if not m:
            self.proc.kill()
            raise AssertionError("no listening line: %r %r" % (self.line, self.proc.stderr.read()))
        self.port = int(m.group(1))

    def stop(self):
        """SIGTERM; returns (exit code, stderr)."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        err = self.proc.stderr.read()
        self.proc.stdout.close()
        self.proc.stderr.close()
        return rc, err

    def kill(self):
        """SIGKILL: no chance to save on the way out."""
        self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()


class Resp:
    def __init__(self, r):
        self.status = r.status
        self.headers = {k.lower(): v for k, v in r.getheaders()}
        self.body = r.read()

    def json(self):
        return json.loads(self.body)

    @property
    def text(self):
        return self.body.decode("utf-8")


class Client:
    """One keep-alive connection to the stand-in."""

    def __init__(self, port, host=HOST):
        self.port = port
        self.host = host
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)

    def call(self, method, path, body=None, headers=None, token=None, host=None, json_body=None):
        h = {"Host": host or self.host}
        if token is not None:
            h["Authorization"] = "Bearer " + token
        if json_body is not None:
            body = json.dumps(json_body).encode("utf-8")
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        self.conn.request(method, path, body=body, headers=h)
        return Resp(self.conn.getresponse())

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, **kw):
        return self.call("POST", path, **kw)

    def control(self, path, body=None):
        r = self.post(path, json_body=body) if body is not None else self.post(path)
        assert r.status == 200, (path, r.status, r.body)
        return r.json()

    def state(self, since=0):
        return self.get("/__sim/state?since=%d" % since).json()

    def reconnect(self):
        self.conn.close()
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)

    def close(self):
        self.conn.close()


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def make_jwt(claims, secret, alg="HS256"):
    head = b64url(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    body = b64url(json.dumps(claims).encode())
    sig = hmac.new(secret.encode(), (head + "." + body).encode(), hashlib.sha256).digest()
    return head + "." + body + "." + b64url(sig)


def jwt_payload(token):
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def multipart(files, boundary="----intakeBoundary7MA4YWxkTrZu0gW"):
    """(content type, body) for [(field, filename, content type, bytes)]."""
    out = b""
    for field, filename, ctype, data in files:
        out += b"--" + boundary.encode() + b"\r\n"
        disp = 'form-data; name="%s"' % field
        if filename is not None:
            disp += '; filename="%s"' % filename
        out += ("Content-Disposition: %s\r\nContent-Type: %s\r\n\r\n" % (disp, ctype)).encode()
        out += data + b"\r\n"
    out += b"--" + boundary.encode() + b"--\r\n"
    return "multipart/form-data; boundary=" + boundary, out


def iso(t):
    """As the stand-in writes times: ISO 8601 UTC with milliseconds."""
    dt = datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (dt.microsecond // 1000)


DROPPED = (http.client.RemoteDisconnected, ConnectionError)


def parse_csv(raw):
    return list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))


def cells(row):
    return ["" if v is None else str(v) for v in row]


# --------------------------------------------------------------------------

SERVER = None


def setUpModule():
    global SERVER
    SERVER = Standin()


def tearDownModule():
    rc, err = SERVER.stop()
    assert rc == 0, (rc, err)
    assert err == "", "stand-in wrote to stderr: %r" % err


class Base(unittest.TestCase):
    def setUp(self):
        self.c = Client(SERVER.port)
        self.c.control("/__sim/reset")
        self.c.control("/__sim/fault?mode=clear")
        self.c.control("/__sim/config", {"variants": DEFAULT_VARIANTS})

    def tearDown(self):
        self.c.close()

    # token helpers

    def v7_token(self, user=SVC, **extra):
        q = {"key": CONSUMER["key"], "user": user}
        q.update(extra)
        r = self.c.get("/access/impersonate?" + urllib.parse.urlencode(q))
        self.assertEqual(r.status, 200, r.body)
        return r.json()["token"]

    def v8_token(self, user=SVC, ttl=None, key=APIKEY):
        path = "/api/auth/apikey/%s/%s/impersonate/%s" % (TENANT, key, user)
        if ttl is not None:
            path += "?jwtExpiresIn=" + str(ttl)
        r = self.c.get(path)
        self.assertEqual(r.status, 200, r.body)
        return r.json()["token"]

    def assertion(self, **over):
        now = time.time()
        claims = {"iss": CONSUMER["key"], "sub": SVC,
                  "aud": "http://%s/oauth2/token" % HOST, "platform": "node.js",
                  "iat": int(now), "exp": int(now) + 600}
        secret = over.pop("secret", CONSUMER["secret"])
        claims.update(over)
        return make_jwt({k: v for k, v in claims.items() if v is not None}, secret)

    def oauth2(self, assertion, grant=None):
        body = urllib.parse.urlencode({
            "grant_type": grant or "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "assertion": assertion}).encode()
        return self.c.post("/oauth2/token", body=body,
                           headers={"Content-Type": "application/x-www-form-urlencoded"})

    def last_call(self, path=None):
        calls = self.c.state()["calls"]
        if path is not None:
            calls = [c for c in calls if c["path"] == path]
        return calls[-1]


# --------------------------------------------------------------------------

class ServerBasics(Base):
    def test_listening_line_and_port_zero(self):
        self.assertNotEqual(SERVER.port, 0)
        self.assertIn("standin listening on http://127.0.0.1:", SERVER.line)

    def test_keep_alive_and_content_length(self):
        tok = self.v7_token()
        for _ in range(50):
            r = self.c.get("/processes", token=tok)
            self.assertEqual(r.status, 200)
            self.assertEqual(int(r.headers["content-length"]), len(r.body))
        self.assertTrue(r.headers["content-type"].startswith("application/json"))
        # Errors keep the connection too.
        self.assertEqual(self.c.get("/processes").status, 401)
        self.assertEqual(self.c.get("/processes", token=tok).status, 200)

    def test_eight_keep_alive_clients_at_high_rate(self):
        tok = self.v7_token()
        v8 = self.v8_token()
        per_client = 250
        failures = []

        def run(n):
            c = Client(SERVER.port)
            try:
                for i in range(per_client):
                    if (i + n) % 2:
                        r = c.get("/processes", token=tok)
                    else:
                        r = c.get("/api/reports/%s/run?limit=5" % DEPTS["sid"], token=v8)
                    if r.status != 200:
                        failures.append(r.status)
            except Exception as e:          # any socket error is a failure
                failures.append(repr(e))
            finally:
                c.close()

        threads = [threading.Thread(target=run, args=(n,)) for n in range(8)]
        start = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        elapsed = time.monotonic() - start
        self.assertEqual(failures, [])
        st = self.c.state()
        self.assertEqual(st["next"], 2 + 8 * per_client)
        print("\n  8 clients x %d requests in %.2f s (%.0f req/s)"
              % (per_client, elapsed, 8 * per_client / elapsed), end=" ")

    def test_unknown_path_and_method(self):
        r = self.c.get("/nowhere")
        self.assertEqual(r.status, 404)
        self.assertIn("error", r.json())
        r = self.c.get("/api/nowhere")
        self.assertEqual((r.status, r.json()["status"], r.json()["message"]),
                         (404, 404, "Not Found"))
        r = self.c.call("DELETE", "/processes")
        self.assertEqual(r.status, 405)

    def test_body_over_25_mb_is_413(self):
        tok = self.v7_token()
        self.c.conn.putrequest("POST", "/files/upload", skip_host=True)
        self.c.conn.putheader("Host", HOST)
        self.c.conn.putheader("Authorization", "Bearer " + tok)
        self.c.conn.putheader("Content-Type", "multipart/form-data; boundary=x")
        self.c.conn.putheader("Content-Length", str(25 * 1024 * 1024 + 1))
        self.c.conn.endheaders()
        r = Resp(self.c.conn.getresponse())
        self.assertEqual(r.status, 413)
        self.assertEqual(r.headers.get("connection"), "close")
        self.c.reconnect()
        self.assertEqual(self.last_call("/files/upload")["status"], 413)

    def test_bad_content_length_is_400(self):
        self.c.conn.putrequest("POST", "/processes", skip_host=True)
        self.c.conn.putheader("Host", HOST)
        self.c.conn.putheader("Content-Length", "abc")
        self.c.conn.endheaders()
        self.assertEqual(Resp(self.c.conn.getresponse()).status, 400)
        self.c.reconnect()

    def test_chunked_upload(self):
        tok = self.v7_token()
        ctype, body = multipart([("file", "chunked.txt", "text/plain", b"chunk " * 5000)])
        self.c.conn.request("POST", "/files/upload", body=iter([body[:1000], body[1000:]]),
                            headers={"Host": HOST, "Authorization": "Bearer " + tok,
                                     "Content-Type": ctype}, encode_chunked=True)
        r = Resp(self.c.conn.getresponse())
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()[0]["size"], 30000)

    def test_sigterm_exits_cleanly_and_quietly(self):
        other = Standin()
        c = Client(other.port)
        self.assertEqual(c.get("/processes").status, 401)
        c.close()
        rc, err = other.stop()
        self.assertEqual(rc, 0)
        self.assertEqual(err, "")

    def test_bad_fixture_is_a_clear_startup_error(self):
        r = subprocess.run([sys.executable, PROGRAM, "--port", "0", "--data", FIXTURE,
                            "--set", "variants.v8_expired_body=xml"],
                           capture_output=True, text=True, timeout=20)
        self.assertEqual(r.returncode, 2)
        self.assertIn("v8_expired_body", r.stderr)

    def test_corrupt_state_file_is_a_clear_startup_error(self):
        good = {"format": "integrify-standin-state/1", "next_id": 1001, "clock_offset": 0,
                "calls": [], "tokens": [], "tasks": {}, "instances": [], "uploads": []}
        inst = {"sid": "i-1", "id": 1001, "process_sid": IT["sid"], "name": "n", "values": {},
                "files": [], "dialect": "v7", "user": SVC, "started_at": 1.0, "tasks": []}
        upload = {"key": "k", "name": "a.txt", "size": 1, "content_type": "text/plain",
                  "sha256": hashlib.sha256(b"x").hexdigest(), "dialect": "v7",
                  "uploaded_at": 1.0, "data": "eA=="}
        cases = {
            "not JSON": b"{not json",
            "truncated": json.dumps(good).encode()[:-10],
            "not UTF-8": b"\xff\xfe\x00garbage",
            "empty": b"",
            "a list": b"[]",
            "another format": json.dumps(dict(good, format="something-else/1")).encode(),
            "missing key": json.dumps({k: v for k, v in good.items() if k != "calls"}).encode(),
            "bad next_id": json.dumps(dict(good, next_id="1001")).encode(),
            "bad instances": json.dumps(dict(good, instances="none")).encode(),
            "id not below next_id": json.dumps(dict(good, instances=[inst], next_id=1001)).encode(),
            "unknown task": json.dumps(dict(good, next_id=1002, instances=[dict(
                inst, tasks=[{"sid": "t", "task_sid": "nowhere", "active": True}])])).encode(),
            "bad base64": json.dumps(dict(good, uploads=[dict(upload, data="e!==")])).encode(),
            "bytes not matching sha256": json.dumps(dict(good, uploads=[
                dict(upload, data="eQ==")])).encode(),
            "file without a name": json.dumps(dict(good, next_id=1002, instances=[dict(
                inst, files=[{"key": "k", "uploaded_at": 1.0}])])).encode(),
        }
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "state.json")
            for name, raw in cases.items():
                with self.subTest(name):
                    with open(path, "wb") as f:
                        f.write(raw)
                    r = subprocess.run([sys.executable, PROGRAM, "--port", "0", "--data", FIXTURE,
                                        "--state-file", path],
                                       capture_output=True, text=True, timeout=20)
                    self.assertEqual(r.returncode, 2, r.stderr)
                    self.assertRegex(r.stderr, r"^standin: state file .*state\.json is corrupt: ")
                    self.assertNotIn("Traceback", r.stderr)
                    self.assertEqual(r.stdout, "")
            for unusable in (tmp, os.path.join(tmp, "no-such-dir", "state.json")):
                r = subprocess.run([sys.executable, PROGRAM, "--port", "0", "--data", FIXTURE,
                                    "--state-file", unusable],
                                   capture_output=True, text=True, timeout=20)
                self.assertEqual(r.returncode, 2, unusable)
                self.assertRegex(r.stderr, r"^standin: (cannot write )?state file ")
                self.assertNotIn("Traceback", r.stderr)
            # The same documents made whole load fine.
            with open(path, "w", encoding="utf-8") as f:
                json.dump(dict(good, next_id=1002, instances=[inst], uploads=[upload]), f)
            ok = Standin(extra=("--state-file", path))
            c = Client(ok.port)
            try:
                self.assertEqual(c.get("/__sim/instances").json()["instances"][0]["sid"], "i-1")
                self.assertEqual(c.state()["uploads"][0]["key"], "k")
            finally:
                c.close()
            self.assertEqual(ok.stop(), (0, ""))


# --------------------------------------------------------------------------

class V7Tokens(Base):
    def test_impersonate_shape_and_use_by_every_transport(self):
        r = self.c.get("/access/impersonate?key=%s&user=%s" % (CONSUMER["key"], SVC))
        self.assertEqual(r.status, 200)
        doc = r.json()
        self.assertRegex(doc["token"], r"^[0-9a-f]{32}$")
        self.assertEqual((doc["token_type"], doc["key"]), ("access", CONSUMER["key"]))
        tok = doc["token"]
        self.assertEqual(self.c.get("/processes", token=tok).status, 200)
        self.assertEqual(self.c.get("/processes?key=%s&token=%s" % (CONSUMER["key"], tok)).status,
                         200)
        oauth = "key=%s&token=%s&access_token=%s&token_type=Bearer&sso=true" % (
            CONSUMER["key"], tok, tok)
        self.assertEqual(self.c.get("/processes", headers={"Oauth": oauth}).status, 200)
        r = self.c.get("/processes?key=nokey&token=" + tok)
        self.assertEqual(r.status, 401)
        calls = self.c.state()["calls"]
        self.assertEqual(calls[0]["auth"], "token_endpoint")
        self.assertEqual([c["auth"] for c in calls[1:]], ["ok", "ok", "ok", "invalid"])
        self.assertTrue(all(c["token"] == tok for c in calls[1:]))

    def test_default_lifetime_when_no_expires(self):
        self.v7_token()
        t = self.c.state()["tokens"][0]
        self.assertEqual(t["flow"], "impersonate")
        self.assertEqual(t["user"], SVC)
        self.assertAlmostEqual(t["expires_at"] - t["issued_at"], FX["default_ttl_s"], places=3)

    def test_impersonate_errors(self):
        cases = [
            ("user=" + SVC, 400),                                        # no key
            ("key=" + CONSUMER["key"], 400),                             # no user
            ("key=wrong_key&user=" + SVC, 401),
            ("key=%s&user=%s" % (NO_IMPERSONATE["key"], SVC), 401),
            ("key=%s&user=nobody" % CONSUMER["key"], 401),
            ("key=%s&user=%s&expires=%d" % (CONSUMER["key"], SVC, time.time() - 10), 400),
            ("key=%s&user=%s&expires=soon" % (CONSUMER["key"], SVC), 400),
        ]
        for query, status in cases:
            with self.subTest(query=query):
                self.assertEqual(self.c.get("/access/impersonate?" + query).status, status)
        self.assertEqual(self.c.state()["tokens"], [])

    def test_expiry_by_clock_then_reauthentication(self):
        """7.5 #1: works, expires after ttl, a new token works."""
        tok = self.v7_token(expires="%.3f" % (time.time() + 60))
        self.assertEqual(self.c.get("/processes", token=tok).status, 200)
        self.c.control("/__sim/clock?advance=61")
        r = self.c.get("/processes", token=tok)
        self.assertEqual(r.status, 401)
        self.assertEqual(r.json(), {"error": "invalid_token", "message": "Invalid or expired token"})
        tok2 = self.v7_token()
        self.assertEqual(self.c.get("/processes", token=tok2).status, 200)
        self.assertEqual(self.c.get("/processes", token=tok).status, 401)
        st = self.c.state()
        outcomes = [c["auth"] for c in st["calls"] if c["path"] == "/processes"]
        self.assertEqual(outcomes, ["ok", "expired", "ok", "expired"])
        self.assertEqual(st["clock_offset"], 61)
        self.assertEqual(len([c for c in st["calls"] if c["auth"] == "token_endpoint"]), 2)

    def test_client_times_are_on_the_clients_clock_after_an_advance(self):
        """The clock advance ages issued tokens; a client whose own clock did
        not move still gets tokens that live as long as it asked."""
        self.c.control("/__sim/clock?advance=3700")
        tok = self.v7_token(expires="%.3f" % (time.time() + 60))
        self.assertEqual(self.c.get("/processes", token=tok).status, 200)
        doc = self.oauth2(self.assertion(exp=int(time.time()) + 60)).json()
        self.assertTrue(58 <= doc["expires_in"] <= 60, doc)
        for t in self.c.state()["tokens"]:
            self.assertAlmostEqual(t["expires_at"] - t["issued_at"], 60, delta=1.5)
            self.assertAlmostEqual(t["issued_at"], time.time() + 3700, delta=5)
        self.assertEqual(self.c.get("/access/impersonate?key=%s&user=%s&expires=%d" % (
            CONSUMER["key"], SVC, time.time() - 1)).status, 400)
        self.c.control("/__sim/clock?advance=61")
        self.assertEqual(self.c.get("/processes", token=tok).status, 401)
        self.assertEqual(self.c.get("/processes", token=doc["access_token"]).status, 401)

    def test_missing_and_garbage_tokens(self):
        r = self.c.get("/processes")
        self.assertEqual(r.status, 401)
        self.assertEqual(self.last_call()["auth"], "missing")
        for bad in ("0" * 32, "a.b.c", "eyJ!!.e30.x", "x" * 5000):
            r = self.c.get("/processes", token=bad)
            self.assertEqual(r.status, 401, bad)
            self.assertEqual(self.last_call()["auth"], "invalid")

    def test_jwt_bearer_grant(self):
        r = self.oauth2(self.assertion())
        self.assertEqual(r.status, 200, r.body)
        doc = r.json()
        self.assertRegex(doc["access_token"], r"^[0-9a-f]{32}$")
        self.assertEqual(doc["token_type"], "Bearer")
        self.assertTrue(595 <= doc["expires_in"] <= 600, doc)
        self.assertEqual(self.c.get("/processes", token=doc["access_token"]).status, 200)
        self.assertEqual(self.c.state()["tokens"][0]["flow"], "oauth2")

    def test_jwt_bearer_exp_bounds_the_token_and_default_applies(self):
        tok = self.oauth2(self.assertion(exp=int(time.time()) + 30)).json()["access_token"]
        self.c.control("/__sim/clock?advance=31")
        self.assertEqual(self.c.get("/processes", token=tok).status, 401)
        doc = self.oauth2(self.assertion(exp=None)).json()
        self.assertTrue(FX["default_ttl_s"] - 2 <= doc["expires_in"] <= FX["default_ttl_s"])

    def test_jwt_bearer_refusals(self):
        """7.5 #3: wrong secret, aud, issuer, user; expired; bad grant; garbage."""
        host_aud = "http://%s/oauth2/token" % HOST
        cases = {
            "wrong secret": self.assertion(secret="not-the-secret"),
            "wrong aud": self.assertion(aud="http://elsewhere.example/oauth2/token"),
            "aud with a path": self.assertion(aud=host_aud.replace("/oauth2", "/x/oauth2")),
            "unknown issuer": self.assertion(iss="nobody_api"),
            "unknown user": self.assertion(sub="nobody"),
            "expired assertion": self.assertion(exp=int(time.time()) - 5),
            "not a JWT": "not-a-jwt",
            "bad base64": "e30.@@@.x",
            "alg none": make_jwt({"iss": CONSUMER["key"]}, "", alg="none"),
        }
        for name, assertion in cases.items():
            with self.subTest(name):
                r = self.oauth2(assertion)
                self.assertEqual(r.status, 400)
                self.assertEqual(r.json()["error"], "invalid_grant")
        r = self.oauth2(self.assertion(), grant="password")
        self.assertEqual((r.status, r.json()["error"]), (400, "unsupported_grant_type"))
        self.assertEqual(self.c.state()["tokens"], [])

    def test_jwt_bearer_aud_follows_the_host_header(self):
        r = self.c.post("/oauth2/token", host="services7.example:8443", body=urllib.parse.urlencode({
            "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "assertion": self.assertion(aud="http://services7.example:8443/oauth2/token")}).encode())
        self.assertEqual(r.status, 200, r.body)


# --------------------------------------------------------------------------

class V8Tokens(Base):
    def test_apikey_impersonate_claims(self):
        before = time.time()
        tok = self.v8_token(ttl=600)
        claims = jwt_payload(tok)
        for name in ("contactGuid", "contactSid", "contactId", "userName", "ntId", "firstName",
                     "lastName", "name", "email", "tenant", "iat", "exp", "aud"):
            self.assertIn(name, claims)
        self.assertEqual((claims["userName"], claims["tenant"], claims["aud"]), (SVC, TENANT, TENANT))
        self.assertEqual(claims["exp"] - claims["iat"], 600)
        self.assertTrue(before - 1 <= claims["iat"] <= time.time())
        head, body, sig = tok.split(".")
        want = hmac.new(FX["jwt_secret"].encode(), (head + "." + body).encode(),
                        hashlib.sha256).digest()
        self.assertEqual(b64url(want), sig)
        t = self.c.state()["tokens"][0]
        self.assertEqual((t["flow"], t["user"], t["token"]), ("apikey", SVC, tok))
        self.assertEqual(self.c.get("/api/auth/jwt/isauthenticated", token=tok).json()["authenticated"],
                         True)
        self.assertEqual(self.c.get("/api/user/current", token=tok).json()["userName"], SVC)

    def test_jwt_expires_in_formats(self):
        for raw, seconds in (("45", 45), ("30s", 30), ("10m", 600), ("1h", 3600), ("5d", 432000),
                             ("", FX["default_ttl_s"])):
            with self.subTest(raw=raw):
                now = time.time()
                exp = jwt_payload(self.v8_token(ttl=raw))["exp"]
                self.assertTrue(now + seconds - 1 <= exp <= now + seconds + 1, (raw, exp - now))
        for raw in ("abc", "-5", "1w", "1.5h"):
            r = self.c.get("/api/auth/apikey/%s/%s/impersonate/%s?jwtExpiresIn=%s"
                           % (TENANT, APIKEY, SVC, raw))
            self.assertEqual(r.status, 400, raw)

    def test_jwt_times_are_on_the_clients_clock(self):
        self.c.control("/__sim/clock?advance=3700")
        now = time.time()
        tok = self.v8_token(ttl=60)
        claims = jwt_payload(tok)
        self.assertTrue(now - 1 <= claims["iat"] <= now + 1)
        self.assertEqual(claims["exp"] - claims["iat"], 60)
        t = self.c.state()["tokens"][0]
        self.assertAlmostEqual(t["expires_at"], claims["exp"] + 3700, delta=0.01)
        self.assertEqual(self.c.get("/api/processes/search", token=tok).status, 200)
        self.c.control("/__sim/clock?advance=62")
        self.assertEqual(self.c.get("/api/processes/search", token=tok).status, 401)

    def test_jwt_expires_in_zero_is_already_expired(self):
        """7.5 #2."""
        tok = self.v8_token(ttl=0)
        r = self.c.get("/api/processes/search", token=tok)
        self.assertEqual(r.status, 401)
        self.assertEqual(r.text, "expired token")
        self.assertTrue(r.headers["content-type"].startswith("text/plain"))
        self.assertEqual(self.last_call()["auth"], "expired")

    def test_expiry_by_clock_both_body_variants(self):
        """7.5 #1 for v8: the expired body is text, or JSON by variant."""
        tok = self.v8_token(ttl=60)
        self.assertEqual(self.c.get("/api/processes/search", token=tok).status, 200)
        self.c.control("/__sim/clock?advance=61")
        r = self.c.get("/api/processes/search", token=tok)
        self.assertEqual((r.status, r.text), (401, "expired token"))
        self.c.control("/__sim/config", {"variants": {"v8_expired_body": "json"}})
        r = self.c.get("/api/processes/search", token=tok)
        self.assertEqual(r.status, 401)
        self.assertEqual(r.json(), {"status": 401, "message": "Unauthorized",
                                    "description": "expired token"})
        tok2 = self.v8_token(ttl=60)
        self.assertEqual(self.c.get("/api/processes/search", token=tok2).status, 200)

    def test_invalid_token_json_body(self):
        r = self.c.get("/api/processes/search", token="eyJhbGciOiJIUzI1NiJ9.e30.AAAA")
        self.assertEqual(r.status, 401)
        self.assertEqual(r.json(), {"status": 401, "message": "Unauthorized",
                                    "description": "invalid token"})
        forged = make_jwt(dict(jwt_payload(self.v8_token()), exp=time.time() + 99), "guessed")
        self.assertEqual(self.c.get("/api/processes/search", token=forged).status, 401)
        self.assertEqual(self.last_call()["auth"], "invalid")

    def test_text_impersonate_variant(self):
        self.c.control("/__sim/config", {"variants": {"v8_impersonate_body": "text"}})
        r = self.c.get("/api/auth/apikey/%s/%s/impersonate/%s" % (TENANT, APIKEY, SVC))
        self.assertEqual(r.status, 200)
        self.assertTrue(r.headers["content-type"].startswith("text/plain"))
        self.assertTrue(r.text.startswith("eyJ"))
        self.assertEqual(self.c.get("/api/processes/search", token=r.text).status, 200)

    def test_apikey_refusals(self):
        """7.5 #3: wrong key, tenant, retired key, unknown user, wrong Host."""
        base = "/api/auth/apikey/%s/%s/impersonate/%s"
        cases = [
            (base % (TENANT, "ak-wrong", SVC), 401),
            (base % ("globex", APIKEY, SVC), 401),
            (base % (TENANT, RETIRED, SVC), 401),
            (base % (TENANT, APIKEY, "nobody"), 404),
            (base % (TENANT, PERSONAL["key"], SVC), 401),      # personal key, other user
        ]
        for path, status in cases:
            with self.subTest(path=path):
                r = self.c.get(path)
                self.assertEqual(r.status, status)
                self.assertEqual(r.json()["status"], status)
                self.assertIn("message", r.json())
        r = self.c.get(base % (TENANT, APIKEY, SVC), host="other.integrify.local")
        self.assertEqual(r.status, 404)
        self.assertEqual(self.c.state()["tokens"], [])

    def test_host_must_match_port_ignored(self):
        tok = self.v8_token()
        for host, status in ((HOST, 200), (HOST + ":8443", 200), (HOST.upper(), 200),
                             ("127.0.0.1:%d" % SERVER.port, 404), ("acme.integrify.local.evil", 404)):
            with self.subTest(host=host):
                self.assertEqual(self.c.get("/api/processes/search", token=tok, host=host).status,
                                 status)
        # v7 paths answer on any host.
        self.assertEqual(self.c.get("/processes", token=tok, host="127.0.0.1").status, 200)

    def test_personal_key_and_verify(self):
        r = self.c.get("/api/auth/apikey/%s/%s/impersonate" % (TENANT, PERSONAL["key"]))
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(jwt_payload(r.json()["token"])["userName"], PERSONAL["user"])
        self.assertEqual(self.c.get("/api/auth/apikey/%s/%s/impersonate" % (TENANT, APIKEY)).status,
                         401)
        r = self.c.get("/api/auth/apikey/%s/%s/verify" % (TENANT, APIKEY))
        self.assertEqual((r.status, r.json()), (200, {"valid": True}))
        self.assertEqual(self.c.get("/api/auth/apikey/%s/nokey/verify" % TENANT).status, 401)

    def test_revoke(self):
        v7, v8 = self.v7_token(), self.v8_token()
        self.assertEqual(self.c.control("/__sim/revoke")["revoked"], 2)
        self.assertEqual(self.c.get("/processes", token=v7).status, 401)
        self.assertEqual(self.last_call()["auth"], "invalid")
        r = self.c.get("/api/processes/search", token=v8)
        self.assertEqual((r.status, r.json()["description"]), (401, "invalid token"))
        self.assertEqual(self.c.get("/processes", token=self.v7_token()).status, 200)
        self.assertEqual(self.c.get("/api/processes/search", token=self.v8_token()).status, 200)
        self.assertEqual([t["revoked"] for t in self.c.state()["tokens"]],
                         [True, True, False, False])


class OtherTenant(Base):
    """7.5 #4: a token of tenant A on the host of tenant B (same signing secret)."""

    @classmethod
    def setUpClass(cls):
        cls.globex = Standin("tenant=globex", "host_header=globex.integrify.local")

    @classmethod
    def tearDownClass(cls):
        rc, err = cls.globex.stop()
        assert rc == 0 and err == "", (rc, err)

    def test_token_of_tenant_a_on_host_b(self):
        acme_tok = self.v8_token()
        g = Client(self.globex.port, host="globex.integrify.local")
        try:
            r = g.get("/api/processes/search", token=acme_tok)
            self.assertEqual(r.status, 401)
            self.assertEqual(r.json()["description"], "invalid token")
            self.assertEqual(g.state()["calls"][-1]["auth"], "wrong_tenant")
            # acme's host name does not reach globex's v8 API at all.
            self.assertEqual(g.get("/api/processes/search", token=acme_tok, host=HOST).status, 404)
            r = g.get("/api/auth/apikey/globex/%s/impersonate/%s" % (APIKEY, SVC))
            self.assertEqual(r.status, 200)
            globex_tok = r.json()["token"]
            self.assertEqual(g.get("/api/processes/search", token=globex_tok).status, 200)
        finally:
            g.close()
        self.assertEqual(self.c.get("/api/processes/search", token=globex_tok).status, 401)
        self.assertEqual(self.last_call()["auth"], "wrong_tenant")


# --------------------------------------------------------------------------

class Permissions(Base):
    """7.5 #5: 403 without permission, 404 for unknown SIDs."""

    def test_report_forbidden_for_service_account(self):
        tok = self.v7_token()
        for method, path in (("GET", "/reports/%s/filters"), ("POST", "/reports/%s"),
                             ("GET", "/reports/%s/tofile/csv")):
            r = self.c.call(method, path % SECRET_REPORT["sid"], token=tok)
            self.assertEqual(r.status, 403, path)
            self.assertEqual(self.last_call()["auth"], "forbidden")
        v8 = self.v8_token()
        r = self.c.get("/core-service/reports/%s/export/csv_utf8?start=0" % SECRET_REPORT["sid"],
                       token=v8)
        self.assertEqual(r.status, 403)
        self.assertEqual(r.json()["status"], 403)
        names = [x["name"] for x in self.c.get("/api/reports/search", token=v8).json()]
        self.assertNotIn(SECRET_REPORT["name"], names)
        alice = self.v7_token(user="alice.meyer")
        self.assertEqual(self.c.post("/reports/%s" % SECRET_REPORT["sid"], token=alice).status, 200)

    def test_process_forbidden_for_bob(self):
        bob = self.v7_token(user="bob.okafor")
        names = [p["Name"] for p in self.c.get("/processes", token=bob).json()]
        self.assertNotIn(ACCESS["name"], names)
        self.assertEqual(self.c.post("/instances/%s/start" % ACCESS["sid"], token=bob).status, 403)
        bob8 = self.v8_token(user="bob.okafor")
        self.assertEqual(self.c.get("/api/processes/%s/firstTasks" % ACCESS["sid"],
                                    token=bob8).status, 403)
        self.assertEqual(self.c.get("/api/forms/%s/questions" % ACCESS["first_task"]["form_sid"],
                                    token=bob8).status, 403)
        self.assertEqual(self.c.state()["instances"], [])

    def test_unknown_sids_are_404(self):
        tok, v8 = self.v7_token(), self.v8_token()
        unknown = "00000000-0000-0000-0000-000000000000"
        for method, path, t in (
                ("GET", "/reports/%s/filters" % unknown, tok),
                ("POST", "/reports/%s" % unknown, tok),
                ("POST", "/instances/%s/start" % unknown, tok),
                ("GET", "/files/instancelist/%s" % unknown, tok),
                ("GET", "/api/reports/%s/run" % unknown, v8),
                ("GET", "/api/processes/%s/firstTasks" % unknown, v8),
                ("GET", "/api/forms/%s/questions" % unknown, v8),
                ("POST", "/api/instance/start/%s" % unknown, v8),
                ("GET", "/api/instance/%s" % unknown, v8)):
            with self.subTest(path=path):
                self.assertEqual(self.c.call(method, path, token=t).status, 404)


# --------------------------------------------------------------------------

class Reports(Base):
    def setUp(self):
        super().setUp()
        self.tok = self.v7_token()
        self.v8 = self.v8_token()

    def run_v7(self, report, body):
        r = self.c.post("/reports/%s" % report["sid"], token=self.tok, json_body=body)
        self.assertEqual(r.status, 200, r.body)
        return r.json()

    @staticmethod
    def grid(field, value, comparison="Is"):
        return [{"field": field, "data": {"type": "string", "value": value,
                                          "comparison": comparison}}]

    def test_v7_filters_shape(self):
        r = self.c.get("/reports/%s/filters" % DEPTS["sid"], token=self.tok)
        self.assertEqual(r.status, 200)
        f = r.json()[0]
        self.assertEqual(set(f), {"MappingVal", "Expose", "Value", "Text", "Operator", "FieldType",
                                  "Options"})
        self.assertEqual((f["MappingVal"], f["Value"], f["Options"]), ("Department|Division", None,
                                                                       None))
        v8 = self.c.get("/api/reports/%s/filters" % DEPTS["sid"], token=self.v8).json()
        self.assertEqual(v8, r.json())

    def test_v7_run_shape_and_paging(self):
        doc = self.run_v7(DEPTS, {"start": 0, "limit": 10, "page": 1, "filters": [],
                                  "persist": True})
        self.assertEqual(doc["total"], len(DEPTS["rows"]))
        self.assertEqual(len(doc["items"]), 10)
        labels = [c["label"] for c in DEPTS["columns"]]
        first = DEPTS["rows"][0]
        self.assertEqual(doc["items"][0], dict({"r": 1}, **dict(zip(labels, first))))
        doc = self.run_v7(DEPTS, {"page": 3, "limit": 10})
        self.assertEqual([i["r"] for i in doc["items"]], list(range(21, 31)))
        doc = self.run_v7(DEPTS, {"start": 115, "limit": 10})
        self.assertEqual(len(doc["items"]), 5)
        self.assertEqual(len(self.run_v7(DEPTS, {})["items"]), len(DEPTS["rows"]))

    def test_filter_semantics(self):
        def count(report, field, value, comp="Is"):
            return self.run_v7(report, {"filters": self.grid(field, value, comp)})["total"]

        finance = sum(1 for r in DEPTS["rows"] if r[2] == "Finance")
        self.assertEqual(count(DEPTS, "Department|Division", "finance"), finance)
        self.assertEqual(count(DEPTS, "Department|Division", "Finance", "IsNot"),
                         len(DEPTS["rows"]) - finance)
        self.assertEqual(count(DEPTS, "Department|Division", ""), len(DEPTS["rows"]))
        zurich = sum(1 for r in LOCS["rows"] if "zürich" in r[1].lower())
        self.assertGreater(zurich, 0)
        self.assertEqual(count(LOCS, "Location|Name", "ZÜRICH", "Contains"), zurich)
        self.assertEqual(count(LOCS, "Location|Name", "東京", "StartsWith"),
                         sum(1 for r in LOCS["rows"] if r[1].startswith("東京")))
        self.assertEqual(count(CATS, "Category|Name", 'r&d <lab> "north"'), 1)
        self.assertEqual(count(ASSETS, "Asset|Tag", "104240", "GreaterThan"), 4)
        self.assertEqual(count(ASSETS, "Asset|Tag", "104235", "LessThan"), 2)
        self.assertEqual(count(ASSETS, "Asset|Purchased", "2024-01-01", "GreaterThan"), 3)
        # The grid filter may also come as JSON text (ExtJS store params).
        doc = self.run_v7(DEPTS, {"filters": json.dumps(self.grid("Department|Division", "Sales"))})
        self.assertEqual(doc["total"], sum(1 for r in DEPTS["rows"] if r[2] == "Sales"))

    def test_bad_filters_are_400(self):
        for body in ({"filters": "[not json"}, {"filters": {"a": 1}},
                     {"filters": self.grid("No|Such", "x")},
                     {"filters": self.grid("Department|Division", "x", "Resembles")},
                     {"filters": [{"field": "Department|Division"}]},
                     {"limit": "ten"}, {"start": -1}):
            with self.subTest(body=body):
                r = self.c.post("/reports/%s" % DEPTS["sid"], token=self.tok, json_body=body)
                self.assertEqual(r.status, 400)
        r = self.c.post("/reports/%s" % DEPTS["sid"], token=self.tok, body=b"{oops",
                        headers={"Content-Type": "application/json"})
        self.assertEqual(r.status, 400)
        r = self.c.get("/reports/%s/tofile/csv?filters=%%5Bnope" % DEPTS["sid"], token=self.tok)
        self.assertEqual(r.status, 400)

    def test_v7_csv_rfc4180(self):
        r = self.c.get("/reports/%s/tofile/csv" % ASSETS["sid"], token=self.tok)
        self.assertEqual(r.status, 200)
        self.assertTrue(r.headers["content-type"].startswith("text/csv"))
        self.assertFalse(r.body.startswith(b"\xef\xbb\xbf"))
        rows = parse_csv(r.body)
        self.assertEqual(rows[0], [c["label"] for c in ASSETS["columns"]])
        self.assertEqual(rows[1:], [cells(row) for row in ASSETS["rows"]])
        self.assertTrue(r.body.endswith(b"\r\n"))
        lines = r.body.split(b"\r\n")
        self.assertIn(b'104233,"Laptop, 14"", silver",Keyboard replaced 2023-04,alice.meyer,'
                      b'2022-03-14', lines)
        self.assertIn(b"104237,Headset,,,2020-09-09", lines)
        self.assertIn('104240,Label printer,  leading and trailing spaces  ,svc_intake,'
                      .encode(), lines)

    def test_v7_csv_with_filters(self):
        f = urllib.parse.quote(json.dumps(self.grid("Category|Group", "Team Requests")))
        r = self.c.get("/reports/%s/tofile/csv?filters=%s" % (CATS["sid"], f), token=self.tok)
        rows = parse_csv(r.body)
        self.assertEqual([x[1] for x in rows[1:]],
                         [x[1] for x in CATS["rows"] if x[2] == "Team Requests"])
        self.assertIn("O'Brien's team", [x[1] for x in rows])

    def test_v8_core_service_csv_has_bom_and_start(self):
        path = "/core-service/reports/%s/export/csv_utf8?start=%d"
        r = self.c.get(path % (LOCS["sid"], 0), token=self.v8)
        self.assertEqual(r.status, 200)
        self.assertTrue(r.body.startswith(b"\xef\xbb\xbf"))
        rows = parse_csv(r.body[3:])
        self.assertEqual(len(rows), 1 + len(LOCS["rows"]))
        self.assertEqual(rows[1:], [cells(x) for x in LOCS["rows"]])
        rows = parse_csv(self.c.get(path % (LOCS["sid"], 290), token=self.v8).body[3:])
        self.assertEqual(rows[1:], [cells(x) for x in LOCS["rows"][290:]])
        f = urllib.parse.quote(json.dumps(self.grid("Location|Country", "Japan")))
        rows = parse_csv(self.c.get(path % (LOCS["sid"], 0) + "&filters=" + f, token=self.v8)
                         .body[3:])
        self.assertTrue(rows[1:] and all(x[2] == "Japan" for x in rows[1:]))

    def test_v8_run_get_and_post(self):
        r = self.c.get("/api/reports/%s/run?limit=5" % CATS["sid"], token=self.v8)
        doc = r.json()
        self.assertEqual((doc["total"], len(doc["items"]), doc["items"][0]["r"]),
                         (len(CATS["rows"]), 5, 1))
        r = self.c.post("/api/reports/%s/run" % CATS["sid"], token=self.v8,
                        json_body=[{"label": "Group", "value": "research & development"}])
        doc = r.json()
        self.assertEqual(doc["total"], 3)
        self.assertIn('R&D <Lab> "North"', [i["Category"] for i in doc["items"]])
        r = self.c.post("/api/reports/%s/run" % CATS["sid"], token=self.v8,
                        json_body=[{"label": "Nope", "value": "x"}])
        self.assertEqual(r.status, 400)
        self.assertEqual(self.c.post("/api/reports/%s/run" % CATS["sid"], token=self.v8,
                                     json_body={"label": "Group"}).status, 400)
        r = self.c.post("/api/reports/%s/run" % CATS["sid"], token=self.v8)
        self.assertEqual(r.json()["total"], len(CATS["rows"]))

    def test_run_shapes(self):
        """report_run_shape: the same page under items, Items, rows or bare."""
        path = "/api/reports/%s/run?limit=2" % CATS["sid"]
        want = self.c.get(path, token=self.v8).json()["items"]
        for shape, pick in (("Items", lambda d: d["Items"]), ("rows", lambda d: d["rows"]),
                            ("bare", lambda d: d)):
            self.c.control("/__sim/config", {"variants": {"report_run_shape": shape}})
            self.assertEqual(pick(self.c.get(path, token=self.v8).json()), want, shape)
            r = self.c.post("/reports/%s" % CATS["sid"], token=self.tok,
                            json_body={"start": 0, "limit": 2})
            self.assertEqual(pick(r.json()), want, shape)

    def test_v8_export_data(self):
        base = "/api/reports/%s/export/data/" % ASSETS["sid"]
        r = self.c.get(base + "json?start=2&count=3", token=self.v8)
        items = r.json()
        self.assertEqual([i["r"] for i in items], [3, 4, 5])
        self.assertEqual(items[1]["Notes"], ASSETS["rows"][3][2])
        items = self.c.get(base + "json?skipRColumn=true", token=self.v8).json()
        self.assertNotIn("r", items[0])
        self.assertEqual(len(items), len(ASSETS["rows"]))
        r = self.c.get(base + "csv?start=10", token=self.v8)
        self.assertTrue(r.body.startswith(b"\xef\xbb\xbf"))
        self.assertEqual(parse_csv(r.body[3:])[1:], [cells(x) for x in ASSETS["rows"][10:]])
        self.assertEqual(self.c.get(base + "xlsx", token=self.v8).status, 404)

    def test_v8_report_search(self):
        names = [r["name"] for r in self.c.get("/api/reports/search?search=loc",
                                               token=self.v8).json()]
        self.assertEqual(names, ["Locations"])
        doc = self.c.get("/api/reports/search", token=self.v8).json()[0]
        self.assertEqual(set(doc), {"sid", "name", "categoryName"})


# --------------------------------------------------------------------------

class Processes(Base):
    def test_v7_processes_shape(self):
        procs = self.c.get("/processes", token=self.v7_token()).json()
        self.assertEqual(set(procs[0]), {"SID", "Name", "Category", "PublishStatus"})
        self.assertIn(IT["sid"], [p["SID"] for p in procs])

    def test_v8_search_first_tasks_questions(self):
        v8 = self.v8_token()
        found = self.c.get("/api/processes/search?search=it%20req", token=v8).json()
        self.assertEqual([p["name"] for p in found], ["IT Request", "IT Request (API intake)"])
        self.assertEqual(set(found[0]), {"sid", "name", "categoryName"})
        tasks = self.c.get("/api/processes/%s/firstTasks" % IT["sid"], token=v8).json()
        self.assertEqual(tasks, [{"sid": IT["first_task"]["sid"], "name": "Request Form",
                                  "taskType": "form", "formSid": IT["first_task"]["form_sid"]}])
        dc = self.c.get("/api/processes/%s/firstTasks" % IT_DC["sid"], token=v8).json()
        self.assertEqual(dc[0]["taskType"], "dataContainer")
        qs = self.c.get("/api/forms/%s/questions" % IT["first_task"]["form_sid"], token=v8).json()
        self.assertEqual([q["id"] for q in qs], [f["key"] for f in IT["first_task"]["fields"]])
        q = qs[0]
        self.assertTrue({"id", "show", "type", "label", "validation", "displayName", "ClientID"}
                        <= set(q))
        acc = next(q for q in qs if q["ClientID"] == "LaptopAccessories")
        self.assertIn("Docking station", acc["options"])


# --------------------------------------------------------------------------

def it_field(client_id, task=IT["first_task"]):
    return next(f for f in task["fields"] if f["client_id"] == client_id)


def it_questions(**over):
    values = {"RequesterName": "José García", "RequesterEmail": "jose.garcia@acme.example",
              "Department": "IT-010", "Location": "ZRH-01", "Category": "CAT-0645",
              "Priority": "P2", "Description": "Screen flickers,\nthen \"goes black\".",
              "NeededBy": "2025-01-31", "AssetTag": "104233",
              "LaptopAccessories": "Docking station|Headset"}
    values.update(over)
    return [{"key": it_field(cid)["key"], "label": it_field(cid)["label"], "value": v,
             "dom_id": cid, "type": "string", "QuestionType": it_field(cid)["question_type"]}
            for cid, v in values.items() if v is not None]


class Instances(Base):
    def test_v7_start_shapes(self):
        tok = self.v7_token()
        doc = self.c.post("/instances/%s/start" % IT["sid"], token=tok).json()
        req = doc["request"]
        self.assertEqual(set(req), {"sid", "id", "name", "startdate", "lastmilestone",
                                    "lastmilestonedate"})
        self.assertIsInstance(req["id"], str)
        self.assertEqual((req["name"], req["lastmilestone"]), ("IT Request", "Started"))
        self.assertNotIn("SID", doc)
        self.c.control("/__sim/config", {"variants": {"v7_start_shape": "SID"}})
        doc = self.c.post("/instances/%s/start" % IT["sid"], token=tok).json()
        self.assertEqual(list(doc), ["SID"])
        self.c.control("/__sim/config", {"variants": {"v7_start_shape": "both"}})
        doc = self.c.post("/instances/%s/start" % IT["sid"], token=tok).json()
        self.assertEqual(doc["SID"], doc["request"]["sid"])
        insts = self.c.state()["instances"]
        self.assertEqual(len(insts), 3)
        self.assertEqual({(i["process_sid"], i["dialect"], i["user"]) for i in insts},
                         {(IT["sid"], "v7", SVC)})
        self.assertEqual(insts[0]["sid"], req["sid"])
        self.assertEqual(str(insts[0]["id"]), req["id"])

    def test_v7_request_name_variant(self):
        """v7_request_name = yes: a start's body may name the request."""
        tok = self.v7_token()
        path = "/instances/%s/start" % IT["sid"]
        self.assertEqual(self.c.post(path, token=tok, json_body={"name": "X (R)"})
                         .json()["request"]["name"], "IT Request")
        self.c.control("/__sim/config", {"variants": {"v7_request_name": "yes"}})
        self.assertEqual(self.c.post(path, token=tok, json_body={"name": "X (R)"})
                         .json()["request"]["name"], "X (R)")
        self.assertEqual(self.c.post(path, token=tok, body=b"junk")
                         .json()["request"]["name"], "IT Request")

    def test_instance_search_variant(self):
        """instance_search = no: the v8 request search answers 404."""
        v8 = self.v8_token()
        self.assertEqual(self.c.get("/api/instance/list/all?search=x", token=v8).status, 200)
        self.c.control("/__sim/config", {"variants": {"instance_search": "no"}})
        self.assertEqual(self.c.get("/api/instance/list/all?search=x", token=v8).status, 404)
        self.assertEqual(self.c.get("/instances/mine", token=v8).status, 200)

    def test_v7_data_container_flow(self):
        """7.5 #6: data container POST with extra keys ignores them."""
        tok = self.v7_token()
        sid = self.c.post("/instances/%s/start" % IT_DC["sid"], token=tok).json()["request"]["sid"]
        eps = self.c.get("/tasktypes/data-container/endpoints?instance_sid=" + sid, token=tok).json()
        self.assertEqual(len(eps["endpoints"]), 1)
        ep = eps["endpoints"][0]
        self.assertRegex(ep, r"^/tasktypes/data-container/instances/tasks/reciptasks/[0-9a-f-]{36}"
                             r"\?task_name=Intake\+Data$")
        self.assertEqual(self.c.get("/tasktypes/data-container/endpoints?task_name=Other",
                                    token=tok).json(), {"endpoints": []})
        conf = self.c.get(ep, token=tok).json()["field_configuration"]
        self.assertIn({"key": "asset_tag", "value_type": "numeric"}, conf)
        self.assertIn({"key": "needed_by", "value_type": "date"}, conf)
        self.assertIn({"key": "attachment", "value_type": "string"}, conf)
        values = {"requester_name": "Wei Chen", "asset_tag": 104233, "needed_by": "2025-02-01",
                  "description": "Line 1\nLine 2", "not_a_field": "dropped", "Priority": "P1"}
        r = self.c.post(ep, token=tok, json_body=values)
        self.assertEqual((r.status, r.json()), (200, {"success": True}))
        inst = self.c.state()["instances"][0]
        self.assertEqual(inst["values"], {"requester_name": "Wei Chen", "asset_tag": 104233,
                                          "needed_by": "2025-02-01",
                                          "description": "Line 1\nLine 2"})
        # The task is done: no longer listed, a second POST is 404.
        self.assertEqual(self.c.get("/tasktypes/data-container/endpoints", token=tok).json(),
                         {"endpoints": []})
        self.assertEqual(self.c.post(ep, token=tok, json_body={"asset_tag": 1}).status, 404)

    def test_v7_data_container_bad_bodies(self):
        tok = self.v7_token()
        self.c.post("/instances/%s/start" % IT_DC["sid"], token=tok)
        ep = self.c.get("/tasktypes/data-container/endpoints", token=tok).json()["endpoints"][0]
        for body in (b"not json", b"[1,2]", b"[" * 100000, json.dumps({"asset_tag": "12a"}).encode(),
                     json.dumps({"needed_by": "next week"}).encode(),
                     json.dumps({"requester_name": {"nested": 1}}).encode()):
            with self.subTest(body=body[:30]):
                r = self.c.post(ep, token=tok, body=body,
                                headers={"Content-Type": "application/json"})
                self.assertEqual(r.status, 400)
        # Nothing was stored and the task is still open.
        self.assertEqual(self.c.state()["instances"][0]["values"], {})
        self.assertEqual(self.c.post(ep, token=tok, json_body={"asset_tag": "42"}).status, 200)

    def test_form_process_has_no_data_container(self):
        tok = self.v7_token()
        self.c.post("/instances/%s/start" % IT["sid"], token=tok)
        self.assertEqual(self.c.get("/tasktypes/data-container/endpoints", token=tok).json(),
                         {"endpoints": []})

    def test_v7_instances_mine(self):
        tok = self.v7_token()
        for _ in range(3):
            self.c.post("/instances/%s/start" % IT["sid"], token=tok)
        self.c.post("/instances/%s/start" % IT_DC["sid"], token=tok)
        self.c.post("/instances/%s/start" % IT["sid"], token=self.v7_token(user="alice.meyer"))
        doc = self.c.get("/instances/mine", token=tok).json()
        self.assertEqual(doc["total"], 4)
        item = doc["items"][0]
        self.assertEqual(set(item), {"r", "sid", "id", "name", "process_id", "process_sid",
                                     "process_name", "publish_status", "last_milestone",
                                     "last_milestone_date", "state"})
        self.assertEqual(item["process_sid"], IT_DC["sid"])          # newest first
        doc = self.c.get("/instances/mine?process_sid=%s&start=1&count=1&dir=ASC" % IT["sid"],
                         token=tok).json()
        self.assertEqual((doc["total"], [i["r"] for i in doc["items"]]), (3, [2]))
        self.assertEqual(self.c.get("/instances/mine?status=completed", token=tok).json()["total"],
                         0)

    def test_v8_request_name_is_found_by_instance_search(self):
        v8 = self.v8_token()
        path = "/api/instance/start/%s/%s?requestName=%s" % (
            IT["sid"], IT["first_task"]["sid"], urllib.parse.quote("Intake 7f3a: Laptop for Åsa"))
        r = self.c.post(path, token=v8, json_body={"request_name": "not this one",
                                                   "questions": it_questions()})
        self.assertEqual(r.status, 200, r.body)
        sid = r.json()["sid"]
        other = "/api/instance/start/%s/%s?requestName=Intake%%20b2c4" % (
            IT["sid"], IT["first_task"]["sid"])
        self.assertEqual(self.c.post(other, token=v8,
                                     json_body={"questions": it_questions()}).status, 200)
        self.assertEqual(self.c.state()["instances"][0]["name"], "Intake 7f3a: Laptop for Åsa")
        for needle in ("7F3A", "laptop for ÅSA", "Intake 7f3a: Laptop for Åsa"):
            with self.subTest(needle=needle):
                doc = self.c.get("/api/instance/list/mine?search=" + urllib.parse.quote(needle),
                                 token=v8).json()
                self.assertEqual((doc["total"], [i["sid"] for i in doc["items"]]), (1, [sid]))
                self.assertEqual(doc["items"][0]["name"], "Intake 7f3a: Laptop for Åsa")
        self.assertEqual(self.c.get("/api/instance/list/mine?search=intake",
                                    token=v8).json()["total"], 2)
        self.assertEqual(self.c.get("/api/instance/list/mine?search=zzz",
                                    token=v8).json()["total"], 0)

    def test_v7_instances_mine_search_and_start_date(self):
        v8 = self.v8_token()
        for name in ("Intake 0001 Laptop", "Intake 0002 Monitor"):
            self.c.post("/api/instance/start/%s?requestName=%s" % (IT["sid"],
                                                                  urllib.parse.quote(name)),
                        token=v8)
        tok = self.v7_token()
        self.c.post("/instances/%s/start" % IT["sid"], token=tok)         # named "IT Request"
        doc = self.c.get("/instances/mine?search=" + urllib.parse.quote("0002 MONITOR"),
                         token=tok).json()
        self.assertEqual(doc["total"], 1)
        item = doc["items"][0]
        inst = {i["sid"]: i for i in self.c.get("/__sim/instances").json()["instances"]}
        self.assertEqual(item["name"], "Intake 0002 Monitor")
        self.assertEqual(item["last_milestone_date"], iso(inst[item["sid"]]["started_at"]))
        self.assertEqual(self.c.get("/instances/mine?search=intake", token=tok).json()["total"], 2)
        self.assertEqual(self.c.get("/instances/mine?search=", token=tok).json()["total"], 3)
        self.assertEqual(self.c.get("/instances/mine?search=intake&process_sid=" + IT_DC["sid"],
                                    token=tok).json()["total"], 0)
        for item in self.c.get("/instances/mine", token=tok).json()["items"]:
            self.assertEqual(item["last_milestone_date"], iso(inst[item["sid"]]["started_at"]))

    def test_instance_list_shapes(self):
        """The request lists answer in every shape the instance_list_* variants name."""
        v8 = self.v8_token()
        self.c.post("/api/instance/start/%s?requestName=%s" % (IT["sid"], "Intake%20X1"),
                    token=v8)
        sid = self.c.get("/__sim/instances").json()["instances"][0]["sid"]
        path = "/api/instance/list/all?search=X1"

        def listed(**variants):
            self.c.control("/__sim/config", {"variants": variants})
            return self.c.get(path, token=v8).json()

        doc = listed(instance_list_shape="camel")
        self.assertEqual((doc["total"], doc["items"][0]["sid"]), (1, sid))
        self.assertIsInstance(doc["items"][0]["id"], int)
        doc = listed(instance_list_shape="pascal")
        self.assertEqual((doc["Total"], doc["Items"][0]["Sid"]), (1, sid))
        self.assertEqual(doc["Items"][0]["Name"], "Intake X1")
        self.assertIn("ProcessSid", doc["Items"][0])
        doc = listed(instance_list_shape="bare")
        self.assertEqual(doc[0]["sid"], sid)
        doc = listed(instance_list_shape="wrapped", instance_list_ids="string")
        self.assertEqual(doc["payload"]["entries"][0]["sid"], sid)
        self.assertIsInstance(doc["payload"]["entries"][0]["id"], str)
        doc = listed(instance_list_shape="camel", instance_list_ids="number",
                     instance_list_extra="yes")
        self.assertEqual(set(doc["items"][0]) >= {"links", "metadata", "tasks"}, True)
        doc = listed(instance_list_extra="no", instance_list_sid="no")
        self.assertNotIn("sid", doc["items"][0])
        self.assertNotIn("id", doc["items"][0])
        self.assertEqual(doc["items"][0]["name"], "Intake X1")
        # v7's list follows the same variants.
        doc = self.c.get("/instances/mine", token=self.v7_token()).json()
        self.assertNotIn("sid", doc["items"][0])
        self.c.control("/__sim/config", {"variants": {"instance_list_sid": "yes",
                                                      "instance_list_shape": "pascal"}})
        doc = self.c.get("/instances/mine", token=self.v7_token()).json()
        self.assertEqual(doc["Items"][0]["Sid"], sid)
        self.assertIn("LastMilestoneDate", doc["Items"][0])

    def test_dc_endpoints_of_an_instance_empty_once_completed(self):
        tok, v8 = self.v7_token(), self.v8_token()
        x, y = (self.c.post("/instances/%s/start" % IT_DC["sid"], token=tok).json()["request"]["sid"]
                for _ in range(2))
        v7_list = "/tasktypes/data-container/endpoints?instance_sid="
        v8_list = "/api/instance/tasktypes/dataContainer/endpoints/list?instanceSid="
        eps = self.c.get(v7_list + x, token=tok).json()["endpoints"]
        self.assertEqual(len(eps), 1)
        self.assertEqual(len(self.c.get(v8_list + x, token=v8).json()["endpoints"]), 1)
        self.assertEqual(self.c.post(eps[0], token=tok, json_body={"priority": "P2"}).status, 200)
        self.assertEqual(self.c.get(v7_list + x, token=tok).json(), {"endpoints": []})
        self.assertEqual(self.c.get(v8_list + x, token=v8).json(), {"endpoints": []})
        self.assertEqual(len(self.c.get(v7_list + y, token=tok).json()["endpoints"]), 1)

    def test_v8_start_plain(self):
        v8 = self.v8_token()
        r = self.c.post("/api/instance/start/%s?requestName=%s" % (
            IT["sid"], urllib.parse.quote("Laptop for Åsa")), token=v8)
        doc = r.json()
        self.assertEqual(set(doc), {"sid", "id", "name", "startDate", "lastMilestone"})
        self.assertEqual(doc["name"], "Laptop for Åsa")
        self.assertEqual(self.c.post("/api/instance/start/%s" % IT["sid"], token=v8,
                                     body=b"{bad").status, 400)

    def test_v8_start_with_task_data(self):
        v8 = self.v8_token()
        path = "/api/instance/start/%s/%s?requestName=Broken%%20screen" % (
            IT["sid"], IT["first_task"]["sid"])
        body = {"isDraft": False, "request_name": "ignored when the query names it",
                "questions": it_questions()}
        r = self.c.post(path, token=v8, json_body=body)
        self.assertEqual(r.status, 200, r.body)
        doc = r.json()
        self.assertEqual(doc["nextTasks"], [])
        self.assertEqual(doc["instance_sid"], doc["sid"])
        inst = self.c.state()["instances"][0]
        self.assertEqual((inst["name"], inst["dialect"], inst["process_sid"]),
                         ("Broken screen", "v8", IT["sid"]))
        self.assertEqual(inst["values"][it_field("Description")["key"]],
                         "Screen flickers,\nthen \"goes black\".")
        self.assertEqual(inst["values"][it_field("LaptopAccessories")["key"]],
                         "Docking station|Headset")
        detail = self.c.get("/api/instance/" + doc["sid"], token=v8).json()
        self.assertEqual(detail["values"], inst["values"])
        listed = self.c.get("/api/instance/list/mine", token=v8).json()
        self.assertEqual((listed["total"], listed["items"][0]["sid"]), (1, doc["sid"]))

    def test_v8_start_unknown_key_is_400(self):
        """7.5 #6."""
        v8 = self.v8_token()
        path = "/api/instance/start/%s/%s" % (IT["sid"], IT["first_task"]["sid"])
        qs = it_questions() + [{"key": "RequesterName", "value": "by ClientID, not id"}]
        r = self.c.post(path, token=v8, json_body={"questions": qs})
        self.assertEqual(r.status, 400)
        doc = r.json()
        self.assertEqual((doc["status"], doc["message"]), (400, "Bad Request"))
        self.assertIn("RequesterName", doc["description"])
        self.assertEqual(self.c.state()["instances"], [])

    def test_v8_start_validation(self):
        v8 = self.v8_token()
        path = "/api/instance/start/%s/%s" % (IT["sid"], IT["first_task"]["sid"])
        for body in ({"questions": it_questions(RequesterName=None)},       # required missing
                     {"questions": it_questions(AssetTag="one-oh-four")},
                     {"questions": it_questions(NeededBy="31/01/2025")},
                     {"questions": "nope"}, {"questions": [{"value": 1}]}, [1, 2]):
            with self.subTest(body=str(body)[:60]):
                self.assertEqual(self.c.post(path, token=v8, json_body=body).status, 400)
        draft = {"isDraft": True, "questions": it_questions(RequesterName=None)}
        self.assertEqual(self.c.post(path, token=v8, json_body=draft).status, 200)
        self.c.control("/__sim/config", {"enforce_required": False})
        try:
            r = self.c.post(path, token=v8, json_body={"questions": it_questions(RequesterName=None)})
            self.assertEqual(r.status, 200)
        finally:
            self.c.control("/__sim/config", {"enforce_required": True})
        wrong_task = "/api/instance/start/%s/%s" % (IT["sid"], IT_DC["first_task"]["sid"])
        self.assertEqual(self.c.post(wrong_task, token=v8, json_body={"questions": []}).status, 404)

    def test_power_form_runtime_path(self):
        v8 = self.v8_token()
        path = "/workflow/napi/tasktypes/%s/power-form/runtime/%s?process_sid=%s" % (
            "11111111-2222-3333-4444-555555555555", IT["first_task"]["sid"], IT["sid"])
        r = self.c.post(path, token=v8, json_body={"isDraft": False, "request_name": "From the UI",
                                                   "parent_sid": None, "client_sid": None,
                                                   "questions": it_questions()})
        self.assertEqual(r.status, 200, r.body)
        inst = self.c.state()["instances"][0]
        self.assertEqual(inst["name"], "From the UI")
        self.assertEqual(len(inst["values"]), 10)
        r = self.c.post(path, token=v8, json_body={"questions": [{"key": "x", "value": 1}]})
        self.assertEqual(r.status, 400)
        self.assertEqual(self.c.post(path, token=v8, host="127.0.0.1",
                                     json_body={"questions": []}).status, 404)

    def test_v8_data_container_mirror(self):
        v8 = self.v8_token()
        sid = self.c.post("/api/instance/start/%s" % IT_DC["sid"], token=v8).json()["sid"]
        eps = self.c.get("/api/instance/tasktypes/dataContainer/endpoints/list?instanceSid=" + sid,
                         token=v8).json()["endpoints"]
        self.assertEqual(len(eps), 1)
        self.assertTrue(eps[0].startswith("/api/instance/tasktypes/dataContainer/"))
        ep = eps[0].split("?")[0]
        self.assertIn("field_configuration", self.c.get(ep, token=v8).json())
        r = self.c.post(ep + "?saveOnly=true", token=v8, json_body={"priority": "P3", "zzz": 1})
        self.assertEqual(r.status, 200)
        self.assertEqual(self.c.post(ep, token=v8, json_body={"category": "CAT-0005"}).status, 200)
        self.assertEqual(self.c.state()["instances"][0]["values"],
                         {"priority": "P3", "category": "CAT-0005"})
        self.assertEqual(self.c.get(ep, token=v8).status, 404)


# --------------------------------------------------------------------------

BINARY = bytes(range(256)) + b"\r\n--not-a-boundary\r\n" + bytes(range(255, -1, -1))


class Files(Base):
    def test_v7_upload_attach_list_stream(self):
        tok = self.v7_token()
        ctype, body = multipart([("file", "Zürich plan.pdf", "application/pdf", BINARY),
                                 ("note", None, "text/plain", b"ignored field"),
                                 ("file", "notes.txt", "text/plain", b"hello\r\n")])
        r = self.c.post("/files/upload", token=tok, body=body, headers={"Content-Type": ctype})
        self.assertEqual(r.status, 200, r.body)
        ups = r.json()
        self.assertEqual([(u["name"], u["size"]) for u in ups],
                         [("Zürich plan.pdf", len(BINARY)), ("notes.txt", 7)])
        self.assertRegex(ups[0]["file"], r"^[0-9a-f]{32}$")
        sid = self.c.post("/instances/%s/start" % IT_DC["sid"], token=tok).json()["request"]["sid"]
        ep = self.c.get("/tasktypes/data-container/endpoints", token=tok).json()["endpoints"][0]
        self.c.post(ep, token=tok, json_body={"attachment": ups[0]["file"]})
        files = self.c.get("/files/instancelist/" + sid, token=tok).json()
        self.assertEqual(len(files), 1)
        self.assertEqual(set(files[0]), {"FileKey", "FileName", "CreatedDate", "StreamEndpoint"})
        self.assertEqual(files[0]["FileName"], "Zürich plan.pdf")
        r = self.c.get(files[0]["StreamEndpoint"], token=tok)
        self.assertEqual((r.status, r.body), (200, BINARY))
        st = self.c.state()
        self.assertEqual([u["sha256"] for u in st["uploads"]][0], hashlib.sha256(BINARY).hexdigest())
        self.assertEqual(st["instances"][0]["files"][0]["key"], ups[0]["file"])

    def test_v8_upload_both_field_names_and_instance_files(self):
        v8 = self.v8_token()
        keys = []
        for field in ("file", "file-upload"):
            ctype, body = multipart([(field, "scan.png", "image/png", BINARY)])
            r = self.c.post("/api/files/temp/%s/upload" % TENANT, token=v8, body=body,
                            headers={"Content-Type": ctype})
            self.assertEqual(r.status, 200, r.body)
            doc = r.json()[0]
            self.assertEqual(set(doc), {"sid", "originalFilename", "size"})
            keys.append(doc["sid"])
        path = "/api/instance/start/%s/%s" % (IT["sid"], IT["first_task"]["sid"])
        qs = it_questions() + [{"key": it_field("Attachment")["key"], "value": keys[1]}]
        sid = self.c.post(path, token=v8, json_body={"questions": qs}).json()["sid"]
        files = self.c.get("/api/instance/%s/files" % sid, token=v8).json()
        self.assertEqual([f["sid"] for f in files], [keys[1]])
        self.assertEqual(files[0]["downloadLink"], "/api/files/%s/download" % keys[1])
        self.assertEqual(self.c.get(files[0]["downloadLink"], token=v8).body, BINARY)

    def test_upload_errors(self):
        tok, v8 = self.v7_token(), self.v8_token()
        ctype, body = multipart([("attachment", "a.txt", "text/plain", b"x")])
        cases = [
            ("/files/upload", tok, ctype, body),                                  # wrong field
            ("/files/upload", tok, "application/json", b"{}"),                    # not multipart
            ("/files/upload", tok, "multipart/form-data", body),                  # no boundary
            ("/files/upload", tok, "multipart/form-data; boundary=zzz", body),    # wrong boundary
            ("/files/upload", tok, ctype, body[:-40]),                            # truncated
            ("/api/files/temp/%s/upload" % TENANT, v8, ctype, body),
        ]
        for path, t, ct, b in cases:
            with self.subTest(ct=ct, n=len(b)):
                self.assertEqual(self.c.post(path, token=t, body=b,
                                             headers={"Content-Type": ct}).status, 400)
        ctype, body = multipart([("file", "a.txt", "text/plain", b"x")])
        self.assertEqual(self.c.post("/api/files/temp/globex/upload", token=v8, body=body,
                                     headers={"Content-Type": ctype}).status, 404)
        self.assertEqual(self.c.get("/files/stream/" + "0" * 32, token=tok).status, 404)


# --------------------------------------------------------------------------

class Control(Base):
    def test_state_since_and_next(self):
        tok = self.v7_token()
        for _ in range(5):
            self.c.get("/processes", token=tok)
        st = self.c.state()
        self.assertEqual((st["next"], len(st["calls"])), (6, 6))
        part = self.c.state(since=4)
        self.assertEqual((part["next"], len(part["calls"])), (6, 2))
        self.assertEqual(part["calls"], st["calls"][4:])
        call = st["calls"][1]
        self.assertEqual(set(call), {"t", "method", "path", "query", "status", "auth", "token"})
        self.assertEqual(set(st), {"calls", "next", "tokens", "instances", "uploads",
                                   "clock_offset", "now"})
        self.assertEqual(set(st["tokens"][0]), {"token", "flow", "user", "issued_at",
                                                "expires_at", "revoked", "tenant"})
        self.assertEqual(self.c.state(since=99)["calls"], [])
        self.assertEqual(self.c.get("/__sim/state?since=-1").status, 400)

    def test_reset_keeps_config(self):
        self.c.control("/__sim/config", {"variants": {"v7_start_shape": "SID"}})
        tok = self.v7_token()
        self.c.post("/instances/%s/start" % IT["sid"], token=tok)
        self.c.control("/__sim/clock?advance=100")
        self.c.control("/__sim/fail-next?status=503&count=5")
        self.c.control("/__sim/reset")
        st = self.c.state()
        self.assertEqual((st["calls"], st["tokens"], st["instances"], st["uploads"],
                          st["clock_offset"]), ([], [], [], [], 0))
        self.assertEqual(self.c.get("/processes", token=tok).status, 401)   # token forgotten
        doc = self.c.post("/instances/%s/start" % IT["sid"], token=self.v7_token()).json()
        self.assertEqual(list(doc), ["SID"])                                  # config kept
        self.assertEqual(self.c.state()["instances"][0]["id"], 1001)

    def test_clock(self):
        st = self.c.control("/__sim/clock?advance=12.5")
        self.assertEqual(st["clock_offset"], 12.5)
        self.assertAlmostEqual(st["now"], time.time() + 12.5, delta=2)
        self.c.control("/__sim/clock?advance=-2.5")
        self.assertEqual(self.c.state()["clock_offset"], 10)
        self.v7_token()
        t = self.c.state()["tokens"][0]
        self.assertAlmostEqual(t["issued_at"], time.time() + 10, delta=2)
        self.assertEqual(self.c.post("/__sim/clock").status, 400)
        self.assertEqual(self.c.post("/__sim/clock?advance=soon").status, 400)

    def test_fail_next(self):
        tok = self.v7_token()
        self.c.control("/__sim/fail-next?status=503&count=2&retry_after=7")
        for _ in range(2):
            r = self.c.get("/processes", token=tok)
            self.assertEqual((r.status, r.headers.get("retry-after")), (503, "7"))
        self.assertEqual(self.c.get("/processes", token=tok).status, 200)
        # Default: token endpoints are spared.
        self.c.control("/__sim/fail-next?status=429&retry_after=1")
        self.v7_token()
        r = self.c.get("/processes", token=tok)
        self.assertEqual((r.status, r.headers.get("retry-after")), (429, "1"))
        # A path prefix and a text body; other paths unaffected.
        self.c.control("/__sim/fail-next?status=400&body=expired%20token&path=/api/processes")
        v8 = self.v8_token()
        self.assertEqual(self.c.get("/processes", token=tok).status, 200)
        r = self.c.get("/api/processes/search", token=v8)
        self.assertEqual((r.status, r.text), (400, "expired token"))
        self.assertEqual(self.c.get("/api/processes/search", token=v8).status, 200)
        # Aimed explicitly at a token endpoint, it hits it; 500 gets no Retry-After.
        self.c.control("/__sim/fail-next?status=500&path=/access/&retry_after=3")
        r = self.c.get("/access/impersonate?key=%s&user=%s" % (CONSUMER["key"], SVC))
        self.assertEqual(r.status, 500)
        self.assertNotIn("retry-after", r.headers)
        calls = self.c.state()["calls"]
        self.assertEqual(calls[-1]["auth"], "token_endpoint")
        self.assertEqual([c["status"] for c in calls if c["path"] == "/processes"],
                         [503, 503, 200, 429, 200])
        self.assertEqual(self.c.post("/__sim/fail-next?status=abc").status, 400)
        self.assertEqual(self.c.post("/__sim/fail-next?status=503&count=0").status, 400)

    def test_fault_drop(self):
        tok = self.v7_token()
        self.c.control("/__sim/fault?mode=drop&path=/instances/")
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
            self.c.post("/instances/%s/start" % IT["sid"], token=tok)
        self.c.reconnect()
        st = self.c.state()
        self.assertEqual(len(st["instances"]), 1)            # processed, then dropped
        self.assertEqual(st["calls"][-1]["status"], 0)
        self.assertEqual(self.c.post("/instances/%s/start" % IT["sid"], token=tok).status, 200)

    def test_fault_drop_after_processing_vs_drop_before(self):
        tok = self.v7_token()
        start = "/instances/%s/start" % IT_DC["sid"]
        self.c.control("/__sim/fault?mode=drop-before&path=/instances/")
        with self.assertRaises(DROPPED):
            self.c.post(start, token=tok)
        self.c.reconnect()
        st = self.c.state()
        self.assertEqual(st["instances"], [])                        # nothing processed
        self.assertEqual((st["calls"][-1]["status"], st["calls"][-1]["auth"]), (0, "none"))
        self.c.control("/__sim/fault?mode=drop&path=/instances/")
        with self.assertRaises(DROPPED):
            self.c.post(start, token=tok)
        self.c.reconnect()
        st = self.c.state()
        self.assertEqual(len(st["instances"]), 1)                    # processed, then dropped
        self.assertEqual((st["calls"][-1]["status"], st["calls"][-1]["auth"]), (0, "ok"))
        # On a data-container POST: drop-before leaves the task open; drop completes it,
        # so the client's retry finds no task (404).
        ep = self.c.get("/tasktypes/data-container/endpoints", token=tok).json()["endpoints"][0]
        rt = ep.split("?")[0]
        self.c.control("/__sim/fault?mode=drop-before&path=" + rt)
        with self.assertRaises(DROPPED):
            self.c.post(ep, token=tok, json_body={"priority": "P1"})
        self.c.reconnect()
        self.assertEqual(self.c.state()["instances"][0]["values"], {})
        self.c.control("/__sim/fault?mode=drop&path=" + rt)
        with self.assertRaises(DROPPED):
            self.c.post(ep, token=tok, json_body={"priority": "P1"})
        self.c.reconnect()
        self.assertEqual(self.c.state()["instances"][0]["values"], {"priority": "P1"})
        self.assertEqual(self.c.post(ep, token=tok, json_body={"priority": "P1"}).status, 404)
        # Uploads: drop-before stores no file, drop stores it.
        ctype, body = multipart([("file", "a.txt", "text/plain", b"abc")])
        for mode, stored in (("drop-before", 0), ("drop", 1)):
            self.c.control("/__sim/fault?mode=%s&path=/files/upload" % mode)
            with self.assertRaises(DROPPED):
                self.c.post("/files/upload", token=tok, body=body,
                            headers={"Content-Type": ctype})
            self.c.reconnect()
            self.assertEqual(len(self.c.state()["uploads"]), stored)
        # Each fault was used once (count defaults to 1).
        self.assertEqual(self.c.post(start, token=tok).status, 200)

    def test_retry_after_on_429_and_503(self):
        tok, v8 = self.v7_token(), self.v8_token()
        for status in (429, 503):
            with self.subTest(status=status):
                self.c.control("/__sim/fail-next?status=%d&retry_after=4&count=2" % status)
                r = self.c.get("/processes", token=tok)
                self.assertEqual((r.status, r.headers.get("retry-after")), (status, "4"))
                self.assertEqual(r.json()["error"], "too_many_requests" if status == 429
                                 else "service_unavailable")
                r = self.c.get("/api/processes/search", token=v8)
                self.assertEqual((r.status, r.headers.get("retry-after"), r.json()["status"]),
                                 (status, "4", status))
                self.c.control("/__sim/fail-next?status=%d" % status)     # no retry_after
                self.assertNotIn("retry-after", self.c.get("/processes", token=tok).headers)
        for status in (500, 502):
            self.c.control("/__sim/fail-next?status=%d&retry_after=4" % status)
            r = self.c.get("/processes", token=tok)
            self.assertEqual(r.status, status)
            self.assertNotIn("retry-after", r.headers)

    def test_faults_with_seconds_expire(self):
        tok, v8 = self.v7_token(), self.v8_token()
        self.c.control("/__sim/fail-next?status=503&seconds=1&retry_after=1&path=/processes")
        self.c.control("/__sim/fault?mode=drop-before&seconds=1&path=/api/processes/")
        self.c.control("/__sim/fault?mode=refuse-token&seconds=1")
        armed = time.monotonic()
        # No count: every matching call within the window is hit.
        self.assertEqual([self.c.get("/processes", token=tok).status for _ in range(6)], [503] * 6)
        for _ in range(3):
            with self.assertRaises(DROPPED):
                self.c.get("/api/processes/search", token=v8)
            self.c.reconnect()
        for _ in range(3):
            self.assertEqual(self.c.get("/access/impersonate?key=%s&user=%s"
                                        % (CONSUMER["key"], SVC)).status, 401)
        self.assertLess(time.monotonic() - armed, 1.0, "too slow to test a 1 s window")
        time.sleep(1.1 - (time.monotonic() - armed))
        self.assertEqual(self.c.get("/processes", token=tok).status, 200)
        self.assertEqual(self.c.get("/api/processes/search", token=v8).status, 200)
        self.v7_token()
        # count and seconds together: whichever ends first.
        self.c.control("/__sim/fail-next?status=500&seconds=60&count=2")
        self.assertEqual([self.c.get("/processes", token=tok).status for _ in range(3)],
                         [500, 500, 200])
        # A slow fault with seconds.
        self.c.control("/__sim/fault?mode=slow&ms=100&seconds=0.5&path=/processes")
        t0 = time.monotonic()
        self.c.get("/processes", token=tok)
        self.assertGreaterEqual(time.monotonic() - t0, 0.1)
        time.sleep(0.5)
        t0 = time.monotonic()
        self.c.get("/processes", token=tok)
        self.assertLess(time.monotonic() - t0, 0.1)
        for bad in ("0", "-1", "nan", "inf", "soon", "86401"):
            with self.subTest(seconds=bad):
                self.assertEqual(self.c.post("/__sim/fail-next?seconds=" + bad).status, 400)
                self.assertEqual(self.c.post("/__sim/fault?mode=drop&seconds=" + bad).status, 400)

    def test_sim_instances(self):
        v8 = self.v8_token()
        path = "/api/instance/start/%s/%s?requestName=With%%20data" % (
            IT["sid"], IT["first_task"]["sid"])
        self.c.post(path, token=v8, json_body={"questions": it_questions()})
        for _ in range(2):
            self.c.post("/instances/%s/start" % IT_DC["sid"], token=self.v7_token())
        calls = self.c.state()["next"]
        doc = self.c.get("/__sim/instances").json()
        self.assertEqual(set(doc), {"instances", "next"})
        self.assertEqual(doc["next"], 3)
        full = self.c.state()["instances"]
        keys = {"sid", "id", "name", "process_sid", "values", "files", "started_at"}
        self.assertEqual(doc["instances"], [{k: i[k] for k in keys} for i in full])
        self.assertEqual([i["id"] for i in doc["instances"]], [1001, 1002, 1003])
        self.assertEqual(doc["instances"][0]["name"], "With data")
        part = self.c.get("/__sim/instances?since=2").json()
        self.assertEqual((part["next"], part["instances"]), (3, doc["instances"][2:]))
        self.assertEqual(self.c.get("/__sim/instances?since=9").json()["instances"], [])
        self.assertEqual(self.c.get("/__sim/instances?since=-1").status, 400)
        self.assertEqual(self.c.state()["next"], calls)              # control calls not logged

    def test_fault_slow(self):
        tok = self.v7_token()
        self.c.control("/__sim/fault?mode=slow&ms=300&path=/processes&count=1")
        t0 = time.monotonic()
        self.assertEqual(self.c.get("/processes", token=tok).status, 200)
        self.assertGreaterEqual(time.monotonic() - t0, 0.3)
        t0 = time.monotonic()
        self.c.get("/processes", token=tok)
        self.assertLess(time.monotonic() - t0, 0.3)
        # Without count a slow fault stays until cleared.
        self.c.control("/__sim/fault?mode=slow&ms=200")
        for _ in range(2):
            t0 = time.monotonic()
            self.c.get("/processes", token=tok)
            self.assertGreaterEqual(time.monotonic() - t0, 0.2)
        self.c.control("/__sim/fault?mode=clear")
        t0 = time.monotonic()
        self.c.get("/processes", token=tok)
        self.assertLess(time.monotonic() - t0, 0.2)

    def test_fault_refuse_token(self):
        self.c.control("/__sim/fault?mode=refuse-token&count=2")
        self.assertEqual(self.c.get("/access/impersonate?key=%s&user=%s"
                                    % (CONSUMER["key"], SVC)).status, 401)
        self.assertEqual(self.oauth2(self.assertion()).status, 401)
        self.v8_token()
        self.assertEqual([c["auth"] for c in self.c.state()["calls"]], ["token_endpoint"] * 3)
        self.assertEqual(len(self.c.state()["tokens"]), 1)

    def test_bad_control_requests(self):
        self.assertEqual(self.c.post("/__sim/fault?mode=explode").status, 400)
        self.assertIn("drop-before", self.c.post("/__sim/fault?mode=explode").json()["error"])
        self.assertEqual(self.c.post("/__sim/fault?mode=slow&ms=fast").status, 400)
        self.assertEqual(self.c.get("/__sim/nothing").status, 404)
        for body in (b"{not json", b"[1]", b'{"variants": {"v7_start_shape": "xml"}}',
                     b'{"reports": [{"sid": "x"}]}', b'{"tenant": null}'):
            with self.subTest(body=body):
                r = self.c.post("/__sim/config", body=body)
                self.assertEqual(r.status, 400)
        # A refused change leaves the live config alone.
        self.assertEqual(self.c.get("/__sim/config").json()["variants"], DEFAULT_VARIANTS)
        self.assertEqual(self.c.get("/processes", token=self.v7_token()).status, 200)

    def test_calls_count_token_fetches_and_uses(self):
        tok = self.v7_token()
        for _ in range(3):
            self.c.get("/processes", token=tok)
        self.c.control("/__sim/clock?advance=4000")
        self.c.get("/processes", token=tok)
        tok2 = self.v7_token()
        self.c.get("/processes", token=tok2)
        calls = self.c.state()["calls"]
        fetches = [c for c in calls if c["auth"] == "token_endpoint"]
        uses = {}
        for c in calls:
            if c["auth"] == "ok":
                uses[c["token"]] = uses.get(c["token"], 0) + 1
        self.assertEqual(len(fetches), 2)
        self.assertEqual(uses, {tok: 3, tok2: 1})


# --------------------------------------------------------------------------

class Persistence(Base):
    """--state-file: a stand-in of its own, restarted on the same file."""

    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.path = os.path.join(tmp.name, "state.json")
        self.server = None
        self.restart()

    def tearDown(self):
        self.c.close()
        self.assertEqual(self.server.stop(), (0, ""))

    def restart(self, kill=False):
        """Stop the stand-in (SIGTERM, or SIGKILL) and start a new one on the file."""
        if self.server is not None:
            self.c.close()
            if kill:
                self.server.kill()
            else:
                self.assertEqual(self.server.stop(), (0, ""))
                self.assertFalse(os.path.exists(self.path + ".tmp"))
        self.server = Standin(extra=("--state-file", self.path))
        self.c = Client(self.server.port)

    def start(self, tok, process=IT):
        r = self.c.post("/instances/%s/start" % process["sid"], token=tok)
        self.assertEqual(r.status, 200, r.body)
        return r.json()["request"]

    def test_restart_keeps_state_and_ids_continue(self):
        with open(self.path, encoding="utf-8") as f:        # written at start, empty
            self.assertEqual(json.load(f)["instances"], [])
        tok, v8 = self.v7_token(), self.v8_token()
        self.start(tok)
        dc_sid = self.start(tok, IT_DC)["sid"]
        ctype, body = multipart([("file", "scan.bin", "application/octet-stream", BINARY)])
        key = self.c.post("/files/upload", token=tok, body=body,
                          headers={"Content-Type": ctype}).json()[0]["file"]
        path = "/api/instance/start/%s/%s?requestName=Kept%%20across%%20restarts" % (
            IT["sid"], IT["first_task"]["sid"])
        qs = it_questions() + [{"key": it_field("Attachment")["key"], "value": key}]
        kept = self.c.post(path, token=v8, json_body={"questions": qs}).json()["sid"]
        self.c.control("/__sim/clock?advance=100")
        before = self.c.state()
        self.restart()
        with open(self.path, encoding="utf-8") as f:
            self.assertEqual(json.load(f)["format"], "integrify-standin-state/1")
        after = self.c.state()
        for part in ("calls", "next", "tokens", "instances", "uploads", "clock_offset"):
            self.assertEqual(after[part], before[part], part)
        # Tokens still work; the open data-container task is still open; files download.
        eps = self.c.get("/tasktypes/data-container/endpoints?instance_sid=" + dc_sid,
                         token=tok).json()["endpoints"]
        self.assertEqual(len(eps), 1)
        self.assertEqual(self.c.post(eps[0], token=tok, json_body={"priority": "P1"}).status, 200)
        files = self.c.get("/api/instance/%s/files" % kept, token=v8).json()
        self.assertEqual(self.c.get(files[0]["downloadLink"], token=v8).body, BINARY)
        found = self.c.get("/api/instance/list/mine?search=KEPT", token=v8).json()["items"]
        self.assertEqual([i["sid"] for i in found], [kept])
        self.assertEqual(self.start(tok)["id"], "1004")               # ids continue
        # A second restart keeps what changed after the first.
        self.restart()
        st = self.c.state()
        self.assertEqual([i["id"] for i in st["instances"]], [1001, 1002, 1003, 1004])
        self.assertEqual(st["calls"][:before["next"]], before["calls"])
        self.assertEqual(st["next"], before["next"] + 6)
        self.assertEqual(st["instances"][1]["values"], {"priority": "P1"})
        self.assertEqual(self.c.get("/tasktypes/data-container/endpoints?instance_sid=" + dc_sid,
                                    token=tok).json(), {"endpoints": []})
        # A reset is kept too.
        self.c.control("/__sim/reset")
        self.restart()
        st = self.c.state()
        self.assertEqual((st["next"], st["instances"], st["tokens"], st["clock_offset"]),
                         (0, [], [], 0))
        self.assertEqual(self.start(self.v7_token())["id"], "1001")

    def test_sigkill_loses_at_most_about_a_second(self):
        tok = self.v7_token()
        sid = self.start(tok)["sid"]
        time.sleep(2.0)                       # the background save runs once a second
        self.restart(kill=True)
        self.assertEqual([i["sid"] for i in self.c.get("/__sim/instances").json()["instances"]],
                         [sid])
        self.assertEqual(self.c.get("/processes", token=tok).status, 200)

    def test_sigterm_under_load_keeps_every_acknowledged_start(self):
        tok = self.v7_token()
        acked, errors = [], []

        def run():
            c = Client(self.server.port)
            try:
                while True:
                    r = c.post("/instances/%s/start" % IT["sid"], token=tok)
                    if r.status != 200:
                        errors.append(r.status)
                        return
                    acked.append(r.json()["request"]["sid"])
            except (OSError, http.client.HTTPException):
                pass                          # the stand-in went away
            finally:
                c.close()

        threads = [threading.Thread(target=run) for _ in range(8)]
        for t in threads:
            t.start()
        time.sleep(0.7)
        self.restart()
        for t in threads:
            t.join(30)
        self.assertEqual(errors, [])
        stored = [i["sid"] for i in self.c.get("/__sim/instances").json()["instances"]]
        self.assertGreater(len(acked), 50)
        self.assertEqual(set(acked) - set(stored), set())
        self.assertEqual(len(stored), len(set(stored)))
        ids = [i["id"] for i in self.c.state()["instances"]]
        self.assertEqual(ids, list(range(1001, 1001 + len(ids))))


# --------------------------------------------------------------------------
# In-process checks: the 500 path and the parsers under hostile input.

def load_module():
    """The stand-in as a module, leaving no bytecode beside it."""
    dont_write, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        spec = importlib.util.spec_from_file_location("integrify_standin", PROGRAM)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
    finally:
        sys.dont_write_bytecode = dont_write
    return mod


class InProcess(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.m = load_module()

    def test_handler_exception_is_500_json(self):
        m = self.m
        sim = m.Simulator(json.loads(json.dumps(FX)))

        def boom(ctx):
            raise RuntimeError("bug")

        route = m.Route("GET", r"/boom", "v7", "token", boom)
        m.ROUTES.append(route)
        stderr, sys.stderr = sys.stderr, io.StringIO()
        try:
            resp, drop = sim.handle("GET", "/boom", {}, b"", None)
            logged = sys.stderr.getvalue()
        finally:
            sys.stderr = stderr
            m.ROUTES.remove(route)
        self.assertEqual((resp.status, drop), (500, False))
        self.assertEqual(json.loads(resp.body)["error"], "internal_server_error")
        self.assertIn("RuntimeError", logged)

    def test_csv_cell_quoting(self):
        q = self.m.csv_cell
        self.assertEqual([q("plain"), q("a,b"), q('say "hi"'), q("l1\nl2"), q("cr\r"), q(None),
                          q(""), q(12)],
                         ["plain", '"a,b"', '"say ""hi"""', '"l1\nl2"', '"cr\r"', "", "", "12"])

    def test_parsers_never_raise_unexpected_errors(self):
        m = self.m
        rng = random.Random(7)
        _, good = multipart([("file", "a.bin", "application/octet-stream", BINARY)])
        for _ in range(3000):
            data = bytearray(good)
            for _ in range(rng.randint(1, 8)):
                i = rng.randrange(len(data))
                data[i] = rng.randrange(256)
            cut = bytes(data[:rng.randint(0, len(data))])
            try:
                m.parse_multipart("multipart/form-data; boundary=----intakeBoundary7MA4YWxkTrZu0gW",
                                  cut)
            except ValueError:
                pass
            token = "".join(rng.choice("eyJAZaz09-_.=!") for _ in range(rng.randint(0, 60)))
            self.assertIsNone(m.jwt_verify(token, "k"))


if __name__ == "__main__":
    unittest.main()
