"""The shipped nginx site as a production site (conf/nginx/intake.conf and the
intake-locations.conf it includes):

- nginx -t accepts the site as shipped, only its placeholders filled in
  (a throwaway certificate, the locations' and the cache's paths);
- run with TLS (scripts/lib/nginx_site.py, tls=True): HTTP/2, HSTS on
  HTTPS only, plain HTTP for intake's name redirected to HTTPS, unknown
  names refused on both ports, gzip for scripts, CSS and JSON, the
  versioned static files cached for a year;
- who gets which error: people on page routes get www/errors/NNN.html
  (404 for an unknown path, 413, 502 with the pool down, 504 when it
  hangs), intake's own 404 of an unknown form is an HTML page (JSON for
  Accept: application/json), and /api/, /healthz, /readyz get JSON.
"""

import gzip
import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import unittest

from harness import SRC, Nginx, Stack, free_port
from test_hostile_clients import FORM, demo_sources

SITE = os.path.join(SRC, "conf/nginx/intake.conf")
LOCATIONS = os.path.join(SRC, "conf/nginx/intake-locations.conf")
ERRORS = os.path.join(SRC, "www/errors")
VERSION_CMAKE = os.path.join(SRC, "CMakeLists.txt")


def error_page(code):
    with open(os.path.join(ERRORS, "%d.html" % code), encoding="utf-8") as f:
        return f.read()


def get(host, port, path, method="GET", headers=None, body=None, tls=None, timeout=30):
    """(status, headers with lower-case names, body bytes) of one request on a
    connection of its own; tls: an SSLContext (SNI "localhost")."""
    if tls is not None:
        conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=tls)
    else:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


class ShippedSiteChecks(unittest.TestCase):
    """nginx -t on the site exactly as shipped, placeholders filled in."""

    def test_nginx_t_accepts_the_shipped_site(self):
        d = tempfile.mkdtemp(prefix="intake-site-t-")
        self.addCleanup(shutil.rmtree, d, True)
        cert, key = os.path.join(d, "tls.crt"), os.path.join(d, "tls.key")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
                        "-subj", "/CN=intake.example.internal", "-keyout", key, "-out", cert],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(SITE, encoding="utf-8") as f:
            site = f.read()
        for old, new in (("/etc/ssl/certs/intake.example.internal.pem", cert),
                         ("/etc/ssl/private/intake.example.internal.key", key),
                         ("/usr/share/intake/nginx/intake-locations.conf", LOCATIONS),
                         ("/var/cache/nginx/intake", os.path.join(d, "cache"))):
            self.assertEqual(site.count(old), 1, "the shipped site no longer names " + old)
            site = site.replace(old, new)
        with open(os.path.join(d, "site.conf"), "w", encoding="utf-8") as f:
            f.write(site)
        with open(os.path.join(d, "nginx.conf"), "w", encoding="utf-8") as f:
            f.write("pid {d}/nginx.pid;\nevents {{}}\nhttp {{\n"
                    "    include /etc/nginx/mime.types;\n"
                    "    client_body_temp_path {d}/body;\n    fastcgi_temp_path {d}/fastcgi;\n"
                    "    proxy_temp_path {d}/proxy;\n    scgi_temp_path {d}/scgi;\n"
                    "    uwsgi_temp_path {d}/uwsgi;\n"
                    "    include {d}/site.conf;\n}}\n".format(d=d))
        r = subprocess.run(["nginx", "-t", "-p", d, "-c", os.path.join(d, "nginx.conf"),
                            "-e", os.path.join(d, "error.log")],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        print(r.stdout.strip())
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertIn("test is successful", r.stdout)
        # A warning (a conflicting server name, a duplicate listen option) is
        # a defect of the example too.
        self.assertNotIn("[warn]", r.stdout)

    def test_the_error_pages_are_the_files_nginx_maps(self):
        with open(LOCATIONS, encoding="utf-8") as f:
            locations = f.read()
        shipped = sorted(n for n in os.listdir(ERRORS) if n.endswith(".html"))
        for name in shipped:
            self.assertIn("/errors/%s;" % name, locations, name + " is shipped but never used")
        for code in (404, 413, 429, 500, 502, 503, 504):
            self.assertIn("%d.html" % code, shipped)


class TlsSite(Stack):
    """The pool behind the whole shipped site, intake's server on TLS."""

    variant = "v8-apikey"
    sections = demo_sources()
    server = {"workers": "2", "cache_entry_max": "1048576",
              "forms_dir": os.path.join(SRC, "conf/forms")}
    nginx_tls = True

    def setUp(self):
        super().setUp()
        self.tls = ssl.create_default_context(cafile=self.nginx.cert)

    def https(self, path, **kw):
        return get("localhost", self.nginx.port, path, tls=self.tls, **kw)

    def test_https_answers_with_hsts_and_offers_http2(self):
        status, h, body = self.https("/healthz")
        self.assertEqual(status, 200, body)
        self.assertEqual(h.get("strict-transport-security"), "max-age=63072000")
        # Static pages, the form page and JSON lists alike.
        for path in ("/", "/forms/" + FORM, "/api/choices/departments", "/no/such/page"):
            status, h, _ = self.https(path)
            self.assertEqual(h.get("strict-transport-security"), "max-age=63072000",
                             "%s (%s): no HSTS" % (path, status))
        out = subprocess.run(["curl", "-sS", "--http2", "--cacert", self.nginx.cert,
                              "--resolve", "localhost:%d:127.0.0.1" % self.nginx.port,
                              "-o", "/dev/null", "-w", "%{http_version} %{http_code}",
                              "https://localhost:%d/healthz" % self.nginx.port],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.assertEqual(out.stdout.strip(), "2 200", out.stdout)

    def test_unknown_names_are_refused_on_both_ports(self):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with socket.create_connection(("127.0.0.1", self.nginx.port), timeout=10) as s:
            with self.assertRaises(ssl.SSLError):
                ctx.wrap_socket(s, server_hostname="evil.example").do_handshake()
        # No name at all (an IP address): refused too.
        with socket.create_connection(("127.0.0.1", self.nginx.port), timeout=10) as s:
            with self.assertRaises(ssl.SSLError):
                ctx.wrap_socket(s, server_hostname=None).do_handshake()
        with self.assertRaises((OSError, http.client.HTTPException)):
            get("127.0.0.1", self.nginx.redirect_port, "/healthz",
                headers={"Host": "evil.example"})

    def test_plain_http_for_intakes_name_is_redirected_to_https(self):
        status, h, _ = get("127.0.0.1", self.nginx.redirect_port, "/forms/%s?x=1" % FORM,
                           headers={"Host": "localhost"})
        self.assertEqual(status, 301)
        self.assertEqual(h["location"], "https://localhost/forms/%s?x=1" % FORM)
        self.assertNotIn("strict-transport-security", h)

    def test_scripts_css_and_json_are_gzipped_and_versioned_files_kept_a_year(self):
        status, _, page = self.https("/forms/" + FORM)
        self.assertEqual(status, 200)
        page = page.decode()
        version = _project_version()
        for name in ("intake-form.js", "intake.css"):
            url = "/static/%s/%s" % (version, name)
            self.assertIn('"%s"' % url, page, "the form page does not name " + url)
            status, h, body = self.https(url, headers={"Accept-Encoding": "gzip"})
            self.assertEqual(status, 200, url)
            self.assertEqual(h.get("content-encoding"), "gzip", url)
            self.assertIn("Accept-Encoding", h.get("vary", ""))
            self.assertEqual(h.get("cache-control"), "public, max-age=31536000, immutable", url)
            with open(os.path.join(SRC, "www", name), "rb") as f:
                self.assertEqual(gzip.decompress(body), f.read(), url)
        # Unversioned: still served, checked again on every use.
        status, h, _ = self.https("/intake-embed.js", headers={"Accept-Encoding": "gzip"})
        self.assertEqual((status, h.get("content-encoding"), h.get("cache-control")),
                         (200, "gzip", "no-cache"))
        # intake's JSON.
        status, h, body = self.https("/api/choices/departments?per_page=1000",
                                     headers={"Accept-Encoding": "gzip"})
        self.assertEqual((status, h.get("content-encoding")), (200, "gzip"))
        self.assertIn("items", json.loads(gzip.decompress(body)))
        # Only scripts and style sheets directly under the root, by a version-like name.
        for path in ("/static/%s/errors/404.html" % version, "/static/%s/index.html" % version,
                     "/static/%s/.intake.css" % version, "/static/intake.css"):
            status, h, body = self.https(path)
            self.assertEqual(status, 404, path)
            self.assertNotIn("immutable", h.get("cache-control", ""), path)


def _project_version():
    with open(VERSION_CMAKE, encoding="utf-8") as f:
        for line in f:
            if line.startswith("project(intake VERSION "):
                return line.split()[2]
    raise AssertionError("no project version in CMakeLists.txt")


class Errors(Stack):
    """Who gets which error, over the plain-HTTP rendering of the same site."""

    variant = "v8-apikey"
    sections = demo_sources()
    server = {"workers": "2", "cache_entry_max": "1048576",
              "forms_dir": os.path.join(SRC, "conf/forms")}

    def req(self, path, port=None, **kw):
        return get("127.0.0.1", port or self.nginx.port, path, **kw)

    def assert_page(self, got, code, what):
        status, h, body = got
        self.assertEqual(status, code, what)
        self.assertEqual(h.get("content-type"), "text/html; charset=utf-8", what)
        self.assertEqual(body.decode(), error_page(code), what)
        self.assertIn("default-src 'none'", h.get("content-security-policy", ""), what)

    def assert_json(self, got, code, error_code, what):
        status, h, body = got
        self.assertEqual(status, code, what)
        self.assertTrue(h.get("content-type", "").startswith("application/json"), what)
        self.assertEqual(json.loads(body)["error"]["code"], error_code, what)

    def test_unknown_path_gets_the_404_page(self):
        self.assert_page(self.req("/no/such/page"), 404, "GET /no/such/page")
        self.assert_page(self.req("/.git/config"), 404, "GET /.git/config")

    def test_unknown_form_gets_an_html_404_and_json_clients_json(self):
        for path in ("/forms/nope", "/forms/%s/nope" % FORM):
            status, h, body = self.req(path)
            self.assertEqual(status, 404, path)
            self.assertEqual(h.get("content-type"), "text/html; charset=utf-8", path)
            self.assertIn("<h1>Page not found</h1>", body.decode())
            self.assertIn("default-src 'none'", h.get("content-security-policy", ""))
        self.assert_json(self.req("/forms/nope", headers={"Accept": "application/json"}),
                         404, "unknown_form", "GET /forms/nope, Accept: application/json")
        self.assert_json(self.req("/forms/nope", method="POST", body=b"a=1",
                                  headers={"Accept": "application/json",
                                           "Content-Type": "application/x-www-form-urlencoded"}),
                         404, "unknown_form", "POST /forms/nope as JSON")

    def test_body_too_large_is_a_page_on_forms_and_json_on_the_api(self):
        big = b"x" * (10 * 1024 * 1024 + 1)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        self.assert_page(self.req("/forms/" + FORM, method="POST", body=big, headers=headers),
                         413, "POST /forms/ past client_max_body_size")
        self.assert_json(self.req("/api/choices/departments", method="POST", body=big,
                                  headers=headers), 413, "too_large", "POST /api/ past the cap")

    def test_pool_down_is_a_page_for_people_and_json_for_programs(self):
        self.pool.stop()
        self.assert_page(self.req("/forms/" + FORM), 502, "GET /forms/ with the pool down")
        self.assert_page(self.req("/forms/" + FORM, method="POST", body=b"a=1",
                                  headers={"Content-Type": "application/x-www-form-urlencoded"}),
                         502, "POST /forms/ with the pool down")
        for path in ("/api/choices/departments", "/api/reports/assets", "/api/processes",
                     "/healthz", "/readyz"):
            self.assert_json(self.req(path), 502, "intake_unavailable", path + " with the pool down")
        # The static pages do not need the pool.
        self.assertEqual(self.req("/")[0], 200)

    def test_rate_limited_api_is_json(self):
        # The page-route 429 is www/errors/429.html (browser.error_pages);
        # the shipped limit is on /api/ only, where it answers JSON.
        port = free_port()
        limited = Nginx(os.path.join(self.workdir, "limited"), self.pool.sock, port=port,
                        limit_req=True)
        self.addCleanup(limited.stop)
        limited.start()
        seen = set()
        for _ in range(80):
            status, h, body = self.req("/api/choices/departments", port=port)
            seen.add(status)
            if status == 429:
                self.assert_json((status, h, body), 429, "rate_limited", "past limit_req")
                self.assertEqual(h.get("retry-after"), "1")
                break
        self.assertIn(429, seen)


class HangingPool(unittest.TestCase):
    """A pool that takes connections and never answers: nginx's 504 (its
    read timeout shortened for the test) is a page on /forms/, JSON on /api/."""

    def test_timeout_is_a_page_for_people_and_json_for_programs(self):
        d = tempfile.mkdtemp(prefix="intake-site-504-")
        self.addCleanup(shutil.rmtree, d, True)
        sock = os.path.join(d, "hang.sock")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(sock)
        listener.listen(64)
        self.addCleanup(listener.close)

        def short_timeout(text):
            old = "fastcgi_read_timeout 35s;"
            self.assertEqual(text.count(old), 1)
            return text.replace(old, "fastcgi_read_timeout 1s;")

        nginx = Nginx(d, sock, locations_edit=short_timeout)
        self.addCleanup(nginx.stop)
        nginx.start()
        status, h, body = get("127.0.0.1", nginx.port, "/forms/" + FORM)
        self.assertEqual((status, h.get("content-type")), (504, "text/html; charset=utf-8"))
        self.assertEqual(body.decode(), error_page(504))
        status, h, body = get("127.0.0.1", nginx.port, "/api/choices/departments")
        self.assertEqual(status, 504)
        self.assertEqual(json.loads(body)["error"]["code"], "intake_timeout")


if __name__ == "__main__":
    unittest.main()
