"""The handlers under valgrind: as plain CGI (one process per request) and
as a FastCGI worker behind nginx.  Any memory error or definite leak fails."""

import glob
import json
import os
import re
import subprocess
import time
import unittest
import urllib.parse

import fcgi
from harness import BIN, SRC, Pool, Stack, Nginx, Standin, http, remove_unless_failed, wait_for
from test_forms import SECTIONS
from test_spool import good

VALGRIND = ["valgrind", "--error-exitcode=99", "--leak-check=full",
            "--errors-for-leak-kinds=definite", "--show-leak-kinds=definite",
            "--track-origins=yes"]


class ValgrindCgi(Stack):
    def cgi(self, path):
        env = {"GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": "GET", "PATH_INFO": path,
               "QUERY_STRING": "", "INTAKE_CONFIG": self.pool.conf,
               "PATH": os.environ.get("PATH", "")}
        r = subprocess.run(VALGRIND + ["-q", BIN], env=env, capture_output=True, timeout=120)
        return r.returncode, r.stdout.decode(), r.stderr.decode()

    def test_handlers_clean_as_cgi(self):
        for path in ("/healthz", "/readyz", "/api/processes", "/nope"):
            rc, out, err = self.cgi(path)
            print("\nvalgrind cgi %s: exit %d" % (path, rc))
            self.assertEqual(rc, 0, err)
            self.assertTrue(out.startswith("Status: "), out)
        # A refused token and an upstream failure take the error paths.
        self.standin.control("/__sim/revoke")
        self.standin.control("/__sim/fail-next?status=503&count=2&path=/processes")
        rc, out, err = self.cgi("/api/processes")
        self.assertEqual(rc, 0, err)
        self.assertIn("Status: 502", out)


class ValgrindListsCgi(Stack):
    """Filter checks (a parent list, a pattern), the lists cache and the
    filtered fetch budget, each in a CGI process under valgrind."""
    server = {"filtered_fetch_rate": "1"}
    sections = """
[source:divisions]
report = 78923549-3197-58c9-9393-772a758f8fa3
value_column = Division
[source:departments]
report = 7bb3cd03-a442-5392-a963-51522175121e
value_column = Code
label_column = Department
filter.parent = Division
check.parent = source:divisions
[report:assets]
report = 62e6e2b4-c54d-5fcf-9f68-9a2153a9b4f6
filter.owner = Owner
check.owner = pattern:[a-z][a-z0-9._-]{0,63}
"""

    def cgi(self, path, query):
        env = {"GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": "GET", "PATH_INFO": path,
               "QUERY_STRING": query, "INTAKE_CONFIG": self.pool.conf,
               "PATH": os.environ.get("PATH", "")}
        r = subprocess.run(VALGRIND + ["-q", BIN], env=env, capture_output=True, timeout=120)
        return r.returncode, r.stdout.decode(), r.stderr.decode()

    def test_filter_checks_and_budget_clean_as_cgi(self):
        # The budget is per minute: start well inside one, so both owners fall in it.
        if time.time() % 60 > 30:
            time.sleep(60.5 - time.time() % 60)
        for path, query, status in (
                ("/api/choices/departments", "parent=Finance", "200"),
                ("/api/choices/departments", "parent=Nope", "400"),
                ("/api/reports/assets", "owner=Bad+Owner", "400"),
                ("/api/reports/assets", "owner=alice", "200"),
                ("/api/reports/assets", "owner=bob", "503")):
            rc, out, err = self.cgi(path, query)
            print("\nvalgrind cgi %s?%s: exit %d" % (path, query, rc))
            self.assertEqual(rc, 0, err)
            self.assertTrue(out.startswith("Status: " + status), out[:300])


class ValgrindWorkers(unittest.TestCase):
    def test_handlers_clean_as_fastcgi_workers(self):
        import tempfile
        d = tempfile.mkdtemp(prefix="intake-vg-")
        self.addCleanup(remove_unless_failed, self, d)
        standin = Standin(d)
        logs = os.path.join(d, "vg.%p.log")
        pool = Pool(d, standin, "v8-apikey",
                    server={"workers": "2", "max_requests": "10", "rate_per_client": "0",
                            "forms_dir": os.path.join(SRC, "conf/forms"),
                            "publish_dir": os.path.join(d, "published")},
                    sections=SECTIONS, spool={"retry_base": "1", "scan_interval_ms": "200"},
                    valgrind=VALGRIND + ["--trace-children=yes", "--child-silent-after-fork=no",
                                         "--log-file=" + logs])
        pool.start()
        nginx = Nginx(d, pool.sock, port=pool.web_port).start()
        try:
            wait_for(lambda: http(nginx.url + "/healthz")[0] == 200, timeout=60,
                     what="workers under valgrind")
            for path in ["/readyz", "/api/processes", "/nope", "/healthz"] * 8:
                self.assertIn(http(nginx.url + path)[0], (200, 404))
            # A list answered by a worker and published (the supervisor sweeps it).
            for _ in range(3):
                self.assertEqual(http(nginx.url + "/api/choices/departments?format=json",
                                      timeout=120)[0], 200)
            wait_for(lambda: os.path.exists(os.path.join(d, "published/api/choices/"
                                                         "departments.json")),
                     timeout=60, what="the published list")
            # The admin socket's pages, and their 404 on the public socket.
            for path in ["/metrics", "/status", "/api/processes"] * 3:
                self.assertEqual(fcgi.request(pool.admin_sock, path, timeout=120)[0], 200)
                self.assertEqual(fcgi.request(pool.sock, path, timeout=120)[0], 404
                                 if path != "/api/processes" else 200)
            standin.control("/__sim/revoke")
            self.assertEqual(http(nginx.url + "/api/processes")[0], 200)
            self.forms(nginx, standin)
        finally:
            nginx.stop()
            rc = pool.stop(timeout=60)
            standin.close()
        self.assertEqual(rc, 0)
        reports = glob.glob(os.path.join(d, "vg.*.log"))
        self.assertGreaterEqual(len(reports), 3)   # supervisor + recycled workers
        for path in reports:
            with open(path) as f:
                text = f.read()
            m = re.search(r"ERROR SUMMARY: (\d+) errors", text)
            self.assertIsNotNone(m, path)
            self.assertEqual(m.group(1), "0", text[-3000:])
        print("\nvalgrind: %d process reports, 0 errors" % len(reports))

    def forms(self, nginx, standin):
        """The form paths: render, 422, started, queued and delivered by the
        dispatcher, a lost answer found by reference, a receipt."""
        def token():
            status, _, body = http(nginx.url + "/forms/it-request", timeout=120)
            self.assertEqual(status, 200, body[:300])
            return re.search(r'name="_token" value="([^"]+)"', body).group(1)

        def post(tok, fields):
            body = urllib.parse.urlencode([("_token", tok)] + fields).encode()
            return http(nginx.url + "/forms/it-request", method="POST", body=body, timeout=120,
                        headers={"Content-Type": "application/x-www-form-urlencoded",
                                 "Origin": nginx.url, "Accept": "application/json"})

        toks = [token() for _ in range(4)]
        time.sleep(1.1)
        self.assertEqual(post(toks[0], [("requester_name", "x")])[0], 422)
        status, _, body = post(toks[1], good(1))
        self.assertEqual(status, 201, body)
        standin.control("/__sim/fail-next?status=503&count=1&path=/api/instance/start")
        self.assertEqual(post(toks[2], good(2))[0], 202)
        standin.control("/__sim/fault?mode=drop&count=1&path=/api/instance/start")
        status, _, body = post(toks[3], good(3))
        self.assertEqual(status, 202, body)
        ref = json.loads(body)["reference"]
        wait_for(lambda: json.loads(http(nginx.url + "/readyz")[2])
                 .get("spool", {}).get("queued") == 0, timeout=120, step=1,
                 what="the dispatcher under valgrind to deliver")
        status, _, page = http(nginx.url + "/forms/it-request/receipt?ref=" + ref)
        self.assertIn("was sent to the service desk", page)
        self.assertEqual(len(standin.call("GET", "/__sim/instances")["instances"]), 3)


if __name__ == "__main__":
    unittest.main()
