"""POST /forms/{id}: validation, protection and starting the Integrify
request, in both dialects, checked against what the stand-in stored."""

import json
import os
import re
import shutil
import time
import unittest
import urllib.parse
import uuid

from harness import SRC, Stack, http
from test_forms import SECTIONS

V8_FORM = os.path.join(SRC, "conf/forms/it-request.conf")

# The v7 copy: the data-container process, whose keys are the field names.
V7_FORM = """[form]
title = IT request (v7)
process = f2cecda9-8258-5a1b-815e-b29cd106b70d
[field:requester_name]
label = Your name
type = text
required = yes
max_length = 100
[field:description]
label = What do you need?
type = textarea
required = yes
min_length = 10
[field:department]
label = Department
type = select
source = departments
required = yes
[field:asset_tag]
label = Asset tag number
type = number
min = 100000
max = 999999
[field:needed_by]
label = Needed by
type = date
[field:laptop_accessories]
label = Laptop accessories
type = checkboxes
source = accessories
"""

NAME = "Zoë O'Brien-Łukasz \"Q\" <admin>"
DESCRIPTION = "Line one: ünïcödé & <b>tags</b>\r\nLine two \"quoted\"\r\n\tindented"


class PostMixin:
    form = "it-request"

    @classmethod
    def setUpClass(cls):
        cls.formsdir = os.path.join("/tmp", "intake-forms-" + uuid.uuid4().hex[:8])
        os.makedirs(cls.formsdir)
        shutil.copy(V8_FORM, os.path.join(cls.formsdir, "it-request.conf"))
        with open(os.path.join(cls.formsdir, "it-request-v7.conf"), "w") as f:
            f.write(V7_FORM)
        cls.server = {"workers": "2", "cache_entry_max": "1048576", "forms_dir": cls.formsdir}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.formsdir, ignore_errors=True)

    def token(self):
        status, _, body = self.get("/forms/" + self.form)
        self.assertEqual(status, 200, body)
        tok = re.search(r'name="_token" value="([^"]+)"', body).group(1)
        time.sleep(1.1)     # forms filled faster than a second are refused as bots
        return tok

    def post(self, fields, token=None, origin=True, accept=None, ctype=None, raw=None):
        if token is None:
            token = self.token()
        pairs = [("_token", token)] + list(fields) if token else list(fields)
        body = raw if raw is not None else urllib.parse.urlencode(pairs).encode()
        headers = {"Content-Type": ctype or "application/x-www-form-urlencoded"}
        if origin is True:
            headers["Origin"] = self.nginx.url
        elif origin:
            headers["Origin"] = origin
        if accept:
            headers["Accept"] = accept
        return http(self.nginx.url + "/forms/" + self.form, method="POST", headers=headers,
                    body=body)

    def instances(self):
        return self.standin.state()["instances"]


class PostV8(PostMixin, Stack):
    variant = "v8-apikey"
    sections = SECTIONS

    def good(self):
        return [("requester_name", NAME), ("requester_email", "zoe@example.com"),
                ("department", "IT-010"), ("location", "ZRH-01"), ("category", "CAT-0645"),
                ("priority", "P2"), ("description", DESCRIPTION), ("needed_by", "2027-02-28"),
                ("asset_tag", "104233"), ("accessories", "Headset"),
                ("accessories", "Keyboard & mouse")]

    def test_plain_post_starts_the_request_with_exactly_the_values(self):
        import urllib.request
        status, headers, body = self.post(self.good())
        # urllib follows the 303 to the receipt page.
        self.assertEqual(status, 200, body)
        self.assertIn("Your request was received", body)
        inst = self.instances()
        self.assertEqual(len(inst), 1)
        v = inst[0]["values"]
        form = open(V8_FORM).read()
        key = dict(re.findall(r"\[field:(\w+)\][^\[]*?key = (\S+)", form))
        self.assertEqual(v[key["requester_name"]], NAME)
        self.assertEqual(v[key["description"]], DESCRIPTION)
        self.assertEqual(v[key["department"]], "IT-010")
        self.assertEqual(v[key["needed_by"]], "2027-02-28")
        self.assertEqual(str(v[key["asset_tag"]]), "104233")
        self.assertEqual(v[key["accessories"]], "Headset|Keyboard & mouse")
        self.assertEqual(inst[0]["process_sid"], "45e79ea1-5b67-547c-818b-e922eb2a142e")

    def test_json_client_gets_201_and_a_replay_gets_the_same_request(self):
        tok = self.token()
        status, _, body = self.post(self.good(), token=tok, accept="application/json")
        self.assertEqual(status, 201, body)
        first = json.loads(body)
        status, _, body = self.post(self.good(), token=tok, accept="application/json")
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["instance_sid"], first["instance_sid"])
        self.assertEqual(len(self.instances()), 1)

    def test_every_error_at_once_with_values_kept(self):
        bad = [("requester_name", "Z"), ("requester_email", "not-an-email"),
               ("department", "IT-010"), ("location", "ZRH-01"), ("category", "CAT-0645"),
               ("priority", "P2"), ("description", "short"), ("needed_by", "2027-02-30"),
               ("asset_tag", "12")]
        tok = self.token()
        status, _, body = self.post(bad, token=tok, accept="application/json")
        self.assertEqual(status, 422)
        errors = {(e["field"], e["code"]) for e in json.loads(body)["errors"]}
        self.assertEqual(errors, {("requester_name", "too_short"), ("requester_email", "email"),
                                  ("description", "too_short"), ("needed_by", "date"),
                                  ("asset_tag", "out_of_range")})
        status, _, page = self.post(bad, token=tok)
        self.assertEqual(status, 422)
        self.assertIn('class="intake-error-summary" role="alert"', page)
        self.assertIn('<a href="#f-requester_email">Email: Enter an email address', page)
        self.assertIn('id="f-requester_email-error"', page)
        self.assertIn('aria-invalid="true" aria-describedby="f-requester_email-error '
                      'f-requester_email-help"', page)
        self.assertIn('value="not-an-email"', page)
        self.assertIn('<option value="IT-010" selected>', page)
        self.assertEqual(self.instances(), [])

    def test_tampered_select_value_is_refused_and_logged(self):
        fields = [f if f[0] != "department" else ("department", "NOT-OFFERED") for f in self.good()]
        status, _, body = self.post(fields, accept="application/json")
        self.assertEqual(status, 422)
        self.assertEqual(json.loads(body)["errors"],
                         [{"field": "department", "code": "not_offered",
                           "message": "Choose one of the listed options."}])
        self.assertIn("never offered (tampering)", self.pool.log_text())
        self.assertEqual(self.instances(), [])

    def test_extra_field_is_refused(self):
        status, _, body = self.post(self.good() + [("is_admin", "1")], accept="application/json")
        self.assertEqual(status, 422)
        self.assertIn({"field": "is_admin", "code": "unknown_field",
                       "message": "This form has no such field."}, json.loads(body)["errors"])
        self.assertEqual(self.instances(), [])

    def test_missing_and_foreign_origin_are_refused(self):
        for origin in (None, "https://evil.example"):
            status, _, body = self.post(self.good(), origin=origin, accept="application/json")
            self.assertEqual(status, 403, origin)
            self.assertEqual(json.loads(body)["error"]["code"], "forbidden_origin")
        self.assertEqual(self.instances(), [])

    def test_missing_forged_and_foreign_tokens_are_refused(self):
        tok = self.token()
        forged = tok[:-3] + ("AAA" if not tok.endswith("AAA") else "BBB")
        other = tok.replace("it-request", "it-request-v7", 1)
        for token, code in ((None, "token_missing"), (forged, "token_invalid"),
                            (other, "token_invalid")):
            status, _, body = self.post(self.good(), token=token or "", accept="application/json")
            if token is None:
                status, _, body = self.post(self.good(), token="", accept="application/json")
            self.assertEqual(status, 403, body)
            self.assertEqual(json.loads(body)["error"]["code"], code)
        self.assertEqual(self.instances(), [])

    def test_honeypot_gets_a_fake_success_and_nothing_is_started(self):
        status, _, body = self.post(self.good() + [("website", "http://spam.example")],
                                    accept="application/json")
        self.assertEqual(status, 201)
        self.assertEqual(self.instances(), [])

    def test_oversized_body_is_413(self):
        big = b"x" * (11 * 1024 * 1024)
        status, _, _ = self.post([], raw=b"description=" + big)
        self.assertEqual(status, 413)
        self.assertEqual(self.instances(), [])

    def test_multipart_with_a_file(self):
        tok = self.token()
        boundary = "----WebKitFormBoundaryX3b9"
        parts = []
        for k, v in [("_token", tok)] + self.good():
            parts.append('--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
                         % (boundary, k, v))
        parts.append('--%s\r\nContent-Disposition: form-data; name="attachment"; '
                     'filename="C:\\\\Users\\\\z\\\\screen shot.png"\r\nContent-Type: image/png\r\n\r\n'
                     % boundary)
        body = "".join(parts).encode() + b"\x89PNG\r\n\x1a\n" + bytes(range(256)) + \
            ("\r\n--%s--\r\n" % boundary).encode()
        status, _, out = self.post([], token=tok, raw=body, accept="application/json",
                                   ctype="multipart/form-data; boundary=" + boundary)
        self.assertEqual(status, 201, out)
        st = self.standin.state()
        self.assertEqual(len(st["uploads"]), 1)
        self.assertEqual(st["uploads"][0]["name"], "screen shot.png")
        self.assertEqual(st["uploads"][0]["size"], 8 + 256)
        self.assertEqual(len(st["instances"]), 1)


class RateLimit(PostMixin, Stack):
    variant = "v8-apikey"
    sections = SECTIONS

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = dict(cls.server, rate_per_client="2", rate_window="3600")

    def test_third_post_from_one_client_is_429_with_retry_after(self):
        fields = [("requester_name", "x")]     # invalid on purpose: nothing may start
        tok = self.token()
        for _ in range(2):
            status, _, _ = self.post(fields, token=tok, accept="application/json")
            self.assertEqual(status, 422)
        status, headers, body = self.post(fields, token=tok, accept="application/json")
        self.assertEqual(status, 429)
        self.assertEqual(json.loads(body)["error"]["code"], "rate_limited")
        self.assertGreater(int(headers["Retry-After"]), 0)
        status, headers, body = self.post(fields, token=tok)
        self.assertEqual(status, 429)
        self.assertIn("Too many requests", body)
        self.assertIn("Retry-After", headers)
        self.assertEqual(self.instances(), [])


class PostV7(PostMixin, Stack):
    variant = "v7-impersonate"
    sections = SECTIONS
    form = "it-request-v7"

    def test_v7_start_and_data_container_store_exactly_the_values(self):
        fields = [("requester_name", NAME), ("description", DESCRIPTION),
                  ("department", "IT-010"), ("asset_tag", "104233"), ("needed_by", "2027-02-28"),
                  ("laptop_accessories", "Headset"), ("laptop_accessories", "Laptop bag")]
        status, _, body = self.post(fields, accept="application/json")
        self.assertEqual(status, 201, body)
        inst = self.instances()
        self.assertEqual(len(inst), 1)
        v = inst[0]["values"]
        self.assertEqual(v["requester_name"], NAME)
        self.assertEqual(v["description"], DESCRIPTION)
        self.assertEqual(v["department"], "IT-010")
        self.assertEqual(str(v["asset_tag"]), "104233")
        self.assertEqual(v["needed_by"], "2027-02-28")
        self.assertEqual(v["laptop_accessories"], "Headset|Laptop bag")


if __name__ == "__main__":
    unittest.main()
