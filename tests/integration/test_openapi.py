"""docs/openapi.yaml against real answers: the stand-in, the worker pool and
the shipped nginx site answer requests to every public endpoint, success and
error, and each answer (status, headers, content type, body) is validated
against the description with a real JSON Schema validator.

An answer whose status the description does not document for that
operation fails, as does a missing required header, a content type it does
not list, or a body its schema refuses.  OpenAPI 3.1 schemas are JSON Schema
2020-12: each is validated with jsonschema.Draft202012Validator, its $refs
resolved against the description's components.  INTAKE_OPENAPI names
another description to check (to see that a broken one fails)."""

import http.client
import json
import os
import re
import shutil
import time
import unittest
import urllib.parse
import uuid

from harness import REPORT_SIDS, SRC, Stack, wait_for
from test_forms import SECTIONS as FORM_SECTIONS

try:
    import jsonschema
    import yaml
except ImportError as e:   # pragma: no cover - a setup problem, said plainly
    raise ImportError("test_openapi needs python3-yaml and python3-jsonschema: "
                      "run scripts/deps.sh --tests (%s)" % e) from e

SPEC = os.environ.get("INTAKE_OPENAPI", os.path.join(SRC, "docs/openapi.yaml"))
ORIGIN = "https://intranet.example"
FORM = "it-request"

LIST_SECTIONS = """
[source:divisions]
report = {divisions}
value_column = Division
label_column = Title
[source:departments_by_division]
report = {departments}
value_column = Code
label_column = Department
filter.parent = Division
check.parent = source:divisions
[source:locations_by_region]
report = {locations}
value_column = Code
label_column = Location
filter.parent = Region
check.parent = values:EMEA|AMER|APAC
[report:assets]
report = {assets}
title = Asset notes <all> & "more"
page_size = 5
filter.owner = Owner
check.owner = pattern:[a-z][a-z0-9._-]{{0,63}}
[source:missing_column]
report = {priorities}
value_column = Nope
""".format(**REPORT_SIDS)

GOOD = [("requester_name", "Zoë O'Brien"), ("requester_email", "zoe@example.com"),
        ("department", "IT-010"), ("location", "ZRH-01"), ("category", "CAT-0645"),
        ("priority", "P2"), ("description", "A new laptop for the new starter, please."),
        ("needed_by", "2027-02-28"), ("asset_tag", "104233"), ("accessories", "Headset")]


class Contract:
    """docs/openapi.yaml, and the check of one answer against it."""

    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            self.doc = yaml.safe_load(f)
        self.paths = []
        for template in self.doc["paths"]:
            parts = re.split(r"(\{[^}]+\})", template)
            rx = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
            self.paths.append((re.compile("^" + rx + "$"), template))

    def resolve(self, node):
        """node with its $ref (to this document) followed, as often as needed."""
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if not ref.startswith("#/"):
                raise AssertionError("only local $refs are used: " + ref)
            node = self.doc
            for seg in ref[2:].split("/"):
                node = node[seg.replace("~1", "/").replace("~0", "~")]
        return node

    def template(self, path):
        found = [t for rx, t in self.paths if rx.match(path)]
        if len(found) != 1:
            raise AssertionError("%s matches %d paths of the description" % (path, len(found)))
        return found[0]

    def validate(self, schema, instance, what):
        """Validate instance against schema (JSON Schema 2020-12); the
        schema's $refs resolve against the description's components."""
        root = dict(schema)
        root["components"] = self.doc["components"]
        errors = sorted(jsonschema.Draft202012Validator(root).iter_errors(instance),
                        key=lambda e: list(e.absolute_path))
        if errors:
            best = jsonschema.exceptions.best_match(errors)
            raise AssertionError("%s does not match the description: %s at %s; got %r" % (
                what, best.message, "/".join(str(p) for p in best.absolute_path),
                instance if len(repr(instance)) < 600 else repr(instance)[:600] + "..."))

    def served(self, template):
        """The Allow header a path's 405 must carry: its operations (GET with HEAD)."""
        item = self.doc["paths"][template]
        methods = (["GET", "HEAD"] if "get" in item else []) + \
            [m.upper() for m in ("options", "post") if m in item]
        return ", ".join(methods)

    def check(self, method, path, status, headers, body):
        """Raise AssertionError unless the description documents this answer."""
        template = self.template(path)
        item = self.doc["paths"][template]
        what = "%s %s -> %d" % (method, path, status)
        name = "get" if method == "HEAD" else method.lower()
        op = item.get(name)
        if op is None:
            # A method the path does not serve: the 405 its GET documents.
            if status != 405:
                raise AssertionError("%s: a method %s does not serve must get 405" % (what,
                                                                                       template))
            op = item["get"]
        resp = op["responses"].get(str(status))
        if resp is None:
            raise AssertionError("%s: status %d is not documented for %s %s" % (
                what, status, name.upper(), template))
        resp = self.resolve(resp)
        for hname, h in resp.get("headers", {}).items():
            h = self.resolve(h)
            value = headers.get(hname.lower())
            if value is None:
                if h.get("required"):
                    raise AssertionError("%s: required header %s is missing" % (what, hname))
                continue
            self.validate(h["schema"], value, "%s: header %s" % (what, hname))
            if hname == "Allow" and h.get("required") and value != self.served(template):
                raise AssertionError("%s: Allow is %r, the description serves %r" % (
                    what, value, self.served(template)))
        content = resp.get("content")
        if content is None:
            if body:
                raise AssertionError("%s: a body where the description has none: %r" % (
                    what, body[:200]))
            return
        media = headers.get("content-type", "").split(";")[0].strip().lower()
        if media not in content:
            raise AssertionError("%s: content type %r is not one of %s" % (
                what, media, sorted(content)))
        if method == "HEAD":
            return
        text = body.decode("utf-8")
        instance = json.loads(text) if media == "application/json" else text
        self.validate(content[media]["schema"], instance, "%s: the body" % what)


class Answer:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)

    @property
    def text(self):
        return self.body.decode("utf-8")

    def code(self):
        return self.json()["error"]["code"]


class OpenAPIMixin:
    """Requests through nginx, each answer checked against the description."""

    contract = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        OpenAPIMixin.contract = OpenAPIMixin.contract or Contract(SPEC)

    def call(self, method, path, headers=None, body=None):
        """One request (no redirect followed), its answer checked."""
        conn = http.client.HTTPConnection("127.0.0.1", self.nginx.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            got = {}
            for k, v in r.getheaders():
                k = k.lower()
                got[k] = got[k] + ", " + v if k in got else v
            answer = Answer(r.status, got, r.read())
        finally:
            conn.close()
        self.contract.check(method, urllib.parse.urlsplit(path).path, answer.status,
                            answer.headers, answer.body)
        return answer

    def expect(self, status, method, path, headers=None, body=None):
        a = self.call(method, path, headers, body)
        self.assertEqual(a.status, status, "%s %s: %r" % (method, path, a.body[:300]))
        return a


FORMS_DIR = None


class FormsMixin(OpenAPIMixin):
    """A forms_dir with the demo's v8 form, for the form and receipt tests."""

    variant = "v8-apikey"
    sections = FORM_SECTIONS + LIST_SECTIONS

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.formsdir = os.path.join("/tmp", "intake-openapi-" + uuid.uuid4().hex[:8])
        os.makedirs(cls.formsdir)
        shutil.copy(os.path.join(SRC, "conf/forms/it-request.conf"), cls.formsdir)
        cls.server = dict(cls.server or {}, workers="2", cache_entry_max="1048576",
                          forms_dir=cls.formsdir, cors_origins=ORIGIN)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.formsdir, ignore_errors=True)
        super().tearDownClass()

    def token(self):
        a = self.expect(200, "GET", "/forms/" + FORM)
        tok = re.search(r'name="_token" value="([^"]+)"', a.text).group(1)
        time.sleep(1.1)     # forms filled faster than a second are refused as bots
        return tok

    def post(self, fields, token, accept="application/json", origin=True, ctype=None,
             raw=None):
        headers = {"Content-Type": ctype or "application/x-www-form-urlencoded"}
        if origin:
            headers["Origin"] = self.nginx.url if origin is True else origin
        if accept:
            headers["Accept"] = accept
        pairs = ([("_token", token)] if token else []) + list(fields)
        body = raw if raw is not None else urllib.parse.urlencode(pairs).encode()
        return self.call("POST", "/forms/" + FORM, headers, body)


class Lists(FormsMixin, Stack):
    """/api/choices, /api/reports, /healthz, /readyz, /api/processes."""

    server = {"filtered_fetch_rate": "1"}

    def test_choices_in_every_format_and_their_cache_answers(self):
        a = self.expect(200, "GET", "/api/choices/departments?per_page=3&page=2")
        self.assertEqual(len(a.json()["items"]), 3)
        a = self.expect(200, "GET", "/api/choices/departments?format=select2&term=fin")
        self.assertIn("results", a.json())
        a = self.expect(200, "GET",
                        "/api/choices/departments?format=html&per_page=1000&selected=IT-010")
        self.assertIn('<option value="IT-010" selected>', a.text)
        a = self.expect(200, "GET", "/api/choices/departments", {"Accept": "text/html"})
        self.assertTrue(a.headers["content-type"].startswith("text/html"))
        # Cascading: a filter value its check takes.
        a = self.expect(200, "GET", "/api/choices/divisions")
        division = a.json()["items"][0]["value"]
        self.expect(200, "GET", "/api/choices/departments_by_division?parent=" +
                    urllib.parse.quote(division))
        # Conditional, CORS, HEAD.
        a = self.expect(200, "GET", "/api/choices/departments", {"Origin": ORIGIN})
        self.assertEqual(a.headers["access-control-allow-origin"], ORIGIN)
        self.expect(304, "GET", "/api/choices/departments",
                    {"If-None-Match": a.headers["etag"], "Origin": ORIGIN})
        self.expect(200, "HEAD", "/api/choices/departments")
        self.expect(204, "OPTIONS", "/api/choices/departments", {"Origin": ORIGIN})
        a = self.expect(403, "OPTIONS", "/api/choices/departments",
                        {"Origin": "https://evil.example"})
        self.assertEqual(a.code(), "origin_not_allowed")
        self.expect(404, "OPTIONS", "/api/choices/nope", {"Origin": ORIGIN})

    def test_reports_in_every_format_and_their_cache_answers(self):
        a = self.expect(200, "GET", "/api/reports/assets")
        self.assertEqual(a.json()["per_page"], 5)
        a = self.expect(200, "GET", "/api/reports/assets?format=html&page=2")
        self.assertIn("&lt;all&gt; &amp; &quot;more&quot;", a.text)
        a = self.expect(200, "GET", "/api/reports/assets?format=csv&per_page=1000")
        self.assertTrue(a.headers["content-type"].startswith("text/csv"))
        self.expect(200, "GET", "/api/reports/assets?owner=alice.meyer")
        a = self.expect(200, "GET", "/api/reports/assets?format=json")
        self.expect(304, "GET", "/api/reports/assets?format=json",
                    {"If-None-Match": a.headers["etag"]})
        self.expect(204, "OPTIONS", "/api/reports/assets", {"Origin": ORIGIN})

    def test_list_errors(self):
        self.assertEqual(self.expect(404, "GET", "/api/choices/nope").code(), "unknown_source")
        self.assertEqual(self.expect(404, "GET", "/api/reports/nope").code(), "unknown_report")
        for path, code in (("/api/choices/departments?nope=1", "unknown_parameter"),
                           ("/api/choices/departments?page=0", "bad_parameter"),
                           ("/api/choices/departments?per_page=1001", "bad_parameter"),
                           ("/api/choices/departments?format=csv", "bad_parameter"),
                           ("/api/choices/departments_by_division?parent=Nope", "bad_parameter"),
                           ("/api/choices/locations_by_region?parent=Mars", "bad_parameter"),
                           ("/api/reports/assets?q=x", "unknown_parameter"),
                           ("/api/reports/assets?owner=Not%20A%20Login", "bad_parameter")):
            self.assertEqual(self.expect(400, "GET", path).code(), code, path)
        for method in ("POST", "PUT", "DELETE"):
            a = self.expect(405, method, "/api/choices/departments", body=b"")
            self.assertEqual(a.code(), "method_not_allowed")
            self.expect(405, method, "/api/reports/assets", body=b"")
        # The configured column is not in the report.
        a = self.expect(502, "GET", "/api/choices/missing_column")
        self.assertEqual(a.code(), "integrify_bad_reply")
        # One filtered fetch a minute per source: the next distinct values wait.
        codes = [self.call("GET", "/api/choices/locations_by_region?parent=" + p).status
                 for p in ("EMEA", "AMER", "APAC")]
        self.assertEqual(codes[0], 200)
        self.assertIn(503, codes)

    def test_health_and_processes(self):
        self.assertEqual(self.expect(200, "GET", "/healthz").json(), {"status": "alive"})
        self.assertEqual(self.expect(200, "GET", "/readyz").json()["status"], "ready")
        self.assertTrue(self.expect(200, "GET", "/api/processes").json()["processes"])
        self.expect(200, "HEAD", "/readyz")
        for path in ("/healthz", "/readyz", "/api/processes"):
            self.expect(405, "POST", path, body=b"x=1")
            self.expect(405, "OPTIONS", path)

    def test_integrify_refusals_are_documented_errors(self):
        for status, code in ((403, "integrify_denied"), (404, "integrify_not_found"),
                             (500, "integrify_unavailable")):
            self.standin.control("/__sim/fail-next?status=%d&count=1&path=/api/processes"
                                 % status)
            self.assertEqual(self.expect(502, "GET", "/api/processes").code(), code)


class Forms(FormsMixin, Stack):
    """GET and POST /forms/{id}, and its receipts."""

    def test_json_post_201_repeat_200_and_its_receipts(self):
        tok = self.token()
        a = self.expect(201, "POST", "/forms/" + FORM, *self.form_args(GOOD, tok))
        ref = a.json()["reference"]
        again = self.expect(200, "POST", "/forms/" + FORM, *self.form_args(GOOD, tok))
        self.assertEqual(again.json()["reference"], ref)
        receipt = "/forms/%s/receipt?ref=%s" % (FORM, ref)
        a = self.expect(200, "GET", receipt, {"Accept": "application/json"})
        self.assertEqual(a.json()["status"], "started")
        self.assertIn(ref, self.expect(200, "GET", receipt).text)
        self.expect(400, "GET", "/forms/%s/receipt?ref=nope" % FORM,
                    {"Accept": "application/json"})
        unknown = "/forms/%s/receipt?ref=0000-0000-0000" % FORM
        a = self.expect(404, "GET", unknown, {"Accept": "application/json"})
        self.assertEqual(a.code(), "unknown_reference")
        self.expect(404, "GET", unknown)
        a = self.expect(405, "POST", receipt, {"Content-Type": "text/plain"}, b"x")
        self.assertEqual(a.headers.get("allow"), "GET, HEAD")   # RFC 9110: a 405 names what is allowed
        self.expect(405, "OPTIONS", receipt)

    def test_malformed_receipt_reference_is_json_for_json_clients(self):
        """A ref that is not a reference (missing, too short, a forged
        alphabet, a path's worth of junk) is a 400: the JSON error for a
        client asking for JSON, the page for a browser."""
        for query in ("ref=nope", "", "ref=", "ref=ABCD-EFGH-JKMO", "ref=..%2F..%2Fetc",
                      "ref=ABCD-EFGH-JKMN&ref=x%00"):
            path = "/forms/%s/receipt?%s" % (FORM, query)
            a = self.expect(400, "GET", path, {"Accept": "application/json"})
            self.assertTrue(a.headers["content-type"].startswith("application/json"), query)
            self.assertEqual(a.code(), "bad_parameter", query)
            self.assertEqual(a.headers.get("cache-control"), "no-store", query)
            page = self.expect(400, "GET", path)
            self.assertTrue(page.headers["content-type"].startswith("text/html"), query)

    def form_args(self, fields, tok):
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "Origin": self.nginx.url, "Accept": "application/json"}
        return headers, urllib.parse.urlencode([("_token", tok)] + list(fields)).encode()

    def test_browser_post_is_303_to_the_receipt_page(self):
        a = self.post(GOOD, self.token(), accept=None)
        self.assertEqual(a.status, 303, a.body)
        page = self.expect(200, "GET", a.headers["location"])
        self.assertIn("Your reference is", page.text)

    def test_form_page_and_unknown_forms(self):
        self.assertIn('name="_token"', self.expect(200, "GET", "/forms/" + FORM).text)
        self.expect(200, "HEAD", "/forms/" + FORM)
        a = self.expect(404, "GET", "/forms/nope", {"Accept": "application/json"})
        self.assertEqual(a.code(), "unknown_form")
        self.assertIn("Page not found", self.expect(404, "GET", "/forms/nope").text)
        self.expect(404, "POST", "/forms/nope", {"Accept": "application/json"}, b"")
        for method in ("PUT", "DELETE", "OPTIONS"):
            self.assertEqual(self.expect(405, method, "/forms/" + FORM).code(),
                             "method_not_allowed")

    def test_post_refusals(self):
        tok = self.token()
        a = self.post(GOOD, tok, origin="https://evil.example")
        self.assertEqual((a.status, a.code()), (403, "forbidden_origin"))
        a = self.post(GOOD, tok, origin="https://evil.example", accept=None)
        self.assertEqual(a.status, 403)
        a = self.post(GOOD, None)
        self.assertEqual((a.status, a.code()), (403, "token_missing"))
        a = self.post(GOOD, tok[:-3] + ("AAA" if not tok.endswith("AAA") else "BBB"))
        self.assertEqual((a.status, a.code()), (403, "token_invalid"))
        a = self.post(GOOD, tok, ctype="text/plain")
        self.assertEqual((a.status, a.code()), (415, "unsupported_media_type"))
        a = self.post([], tok, ctype="multipart/form-data; boundary=XyZ", raw=b"not multipart")
        self.assertEqual((a.status, a.code()), (400, "bad_request"))
        a = self.post([f for f in GOOD if f[0] != "description"] +
                      [("description", "x" * (4 * 1024 * 1024 + 10))], tok)
        self.assertEqual((a.status, a.code()), (413, "too_large"))
        # Past nginx's client_max_body_size: nginx's own page.
        a = self.post([], tok, raw=b"description=" + b"x" * (11 * 1024 * 1024))
        self.assertEqual(a.status, 413)
        bad = [("requester_name", "Z"), ("requester_email", "not-an-email"),
               ("department", "NOT-OFFERED"), ("is_admin", "1")]
        a = self.post(bad, tok)
        self.assertEqual(a.status, 422, a.body)
        self.assertIn({"field": "is_admin", "code": "unknown_field",
                       "message": "This form has no such field."}, a.json()["errors"])
        a = self.post(bad, tok, accept=None)
        self.assertEqual(a.status, 422)
        self.assertIn("intake-error-summary", a.text)
        # The honeypot's fake success.
        a = self.post(GOOD + [("website", "http://spam.example")], tok)
        self.assertEqual((a.status, a.json()["status"]), (202, "queued"))

    def test_start_queued_and_held_are_202(self):
        self.standin.control("/__sim/fail-next?status=503&count=1&path=/api/instance/start")
        a = self.post(GOOD, self.token())
        self.assertEqual((a.status, a.json()["status"]), (202, "queued"), a.body)
        self.standin.control("/__sim/fail-next?status=400&count=1&path=/api/instance/start")
        a = self.post(GOOD, self.token())
        self.assertEqual((a.status, a.json()["status"]), (202, "held"), a.body)
        a = self.expect(200, "GET", "/forms/%s/receipt?ref=%s" % (FORM, a.json()["reference"]),
                        {"Accept": "application/json"})
        self.assertEqual(a.json()["status"], "held")


class Limits(FormsMixin, Stack):
    """The defaults and limits: /api/processes off the public site, and the
    per-client post limit."""

    server = {"public_processes": "no", "rate_per_client": "1", "rate_window": "3600"}
    nginx_limit_req = True      # the shipped per-client limit on /api/

    def test_api_past_the_sites_rate_is_nginxs_429(self):
        # Past the burst of the shipped limit_req, nginx answers itself; the
        # requests go on until it does (its 429s take no worker).
        for _ in range(2000):
            a = self.call("GET", "/api/choices/nope")
            if a.status == 429:
                break
            self.assertEqual(a.status, 404, a.body)
        self.assertEqual((a.status, a.code()), (429, "rate_limited"))

    def test_processes_is_not_public_by_default(self):
        self.assertEqual(self.expect(404, "GET", "/api/processes").code(), "not_found")

    def test_second_post_from_one_client_is_429(self):
        tok = self.token()
        self.assertEqual(self.post([("requester_name", "x")], tok).status, 422)
        a = self.post([("requester_name", "x")], tok)
        self.assertEqual((a.status, a.code()), (429, "rate_limited"))
        self.assertEqual(self.post([("requester_name", "x")], tok, accept=None).status, 429)


class Outages(FormsMixin, Stack):
    """Integrify slow or gone, intake gone: the answers still match."""

    integrify = {"timeout_ms": "2000"}

    def test_integrify_too_slow_is_504(self):
        self.expect(200, "GET", "/readyz")
        self.standin.control("/__sim/fault?mode=slow&ms=8000&count=1&path=/api/processes")
        self.assertEqual(self.expect(504, "GET", "/api/processes").code(), "integrify_timeout")

    def test_integrify_gone(self):
        self.standin.stop()
        a = self.call("GET", "/readyz")
        self.assertIn(a.status, (502, 503, 504), a.body)
        a = self.call("GET", "/api/choices/departments")
        self.assertIn(a.status, (502, 503, 504), a.body)
        # A form whose lists cannot be had: a page saying so, Retry-After.
        a = self.expect(503, "GET", "/forms/" + FORM)
        self.assertIn("unavailable", a.text)
        self.expect(200, "GET", "/healthz")

    def test_intake_gone_is_nginx_answering(self):
        self.pool.stop()
        wait_for(lambda: not self.pool.workers(), what="the pool to stop")
        for path in ("/healthz", "/readyz", "/api/choices/departments", "/api/reports/assets"):
            a = self.expect(502, "GET", path)
            self.assertEqual(a.code(), "intake_unavailable")
        self.assertTrue(self.expect(502, "GET", "/forms/" + FORM).text.startswith("<!DOCTYPE"))


class ContractChecks(unittest.TestCase):
    """The checker itself refuses what the description does not document."""

    def setUp(self):
        self.c = Contract(SPEC)

    def refused(self, *args):
        with self.assertRaises(AssertionError):
            self.c.check(*args)

    def test_undocumented_answers_are_refused(self):
        json_h = {"content-type": "application/json; charset=utf-8", "cache-control": "no-store",
                  "x-content-type-options": "nosniff"}
        alive = b'{"status":"alive"}\n'
        self.c.check("GET", "/healthz", 200, json_h, alive)
        self.refused("GET", "/healthz", 418, json_h, alive)           # status
        self.refused("GET", "/healthz", 200, json_h, b'{"status":"up"}')   # body
        self.refused("GET", "/healthz", 200, dict(json_h, **{"content-type": "text/plain"}),
                     alive)                                           # content type
        self.refused("GET", "/healthz", 200, {"content-type": "application/json"}, alive)
        self.refused("GET", "/nope", 404, json_h, b'{"error":{"code":"not_found","message":"x"}}')
        self.refused("PUT", "/healthz", 200, json_h, alive)           # not 405
        err = b'{"error":{"code":"method_not_allowed","message":"No."}}'
        self.c.check("PUT", "/healthz", 405, dict(json_h, allow="GET, HEAD"), err)
        self.refused("PUT", "/healthz", 405, dict(json_h, allow="GET, HEAD, POST"), err)
        self.refused("GET", "/api/choices/x", 400, json_h,
                     b'{"error":{"code":"oops","message":"x"}}')       # error code
        self.refused("POST", "/forms/x", 422, json_h, b'{"errors":[]}')


if __name__ == "__main__":
    unittest.main()
