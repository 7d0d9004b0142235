"""POST /forms/{id}: validation, protection and starting the Integrify
request, in both dialects, checked against what the stand-in stored."""

import hashlib
import json
import os
import re
import shutil
import time
import unittest
import urllib.parse
import uuid

from harness import SRC, Stack, fixture, http
from test_forms import SECTIONS

V8_FORM = os.path.join(SRC, "conf/forms/it-request.conf")


def fixture_fields(process_name):
    """The fields of the fixture process's first task."""
    proc = next(p for p in fixture()["processes"] if p["name"] == process_name)
    return proc["first_task"]["fields"]


# The shipped form has no multi-select; the v8 test's copy adds one, bound to
# the IT Request form's "Affected locations" question.
V8_EXTRA = """
[field:affected_locations]
label = Affected locations
type = multiselect
source = locations
key = %s
""" % next(f["key"] for f in fixture_fields("IT Request")
           if f["client_id"] == "AffectedLocations")

# The v7 copy: the data-container process, whose keys are the field names.
# Every field type is here; the data container ignores keys it does not
# configure, so the test checks each name is one of its keys.
V7_FORM = """[form]
title = IT request (v7)
process = f2cecda9-8258-5a1b-815e-b29cd106b70d
[field:requester_name]
label = Your name
type = text
required = yes
max_length = 100
[field:requester_email]
label = Email
type = email
required = yes
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
[field:affected_locations]
label = Affected locations
type = multiselect
source = locations
[field:laptop_accessories]
label = Laptop accessories
type = checkboxes
source = accessories
[field:attachment]
label = Attachment
type = file
"""

NAME = "Zoë O'Brien-Łukasz \"Q\" <admin>"
DESCRIPTION = "Line one: ünïcödé & <b>tags</b>\r\nLine two \"quoted\"\r\n\tindented"
EMAIL = "zoë.o'brien+it@example.com"
FILE_DATA = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) + "Zürich \"ünïcödé\"\r\n".encode()


class PostMixin:
    form = "it-request"

    @classmethod
    def setUpClass(cls):
        cls.formsdir = os.path.join("/tmp", "intake-forms-" + uuid.uuid4().hex[:8])
        os.makedirs(cls.formsdir)
        with open(V8_FORM) as src, open(os.path.join(cls.formsdir, "it-request.conf"), "w") as f:
            f.write(src.read() + V8_EXTRA)
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

    def multipart(self, fields, file_field, filename, data, token=None):
        """POST fields and one file as multipart/form-data, as a browser does."""
        tok = token or self.token()
        boundary = "----WebKitFormBoundaryX3b9"
        parts = []
        for k, v in [("_token", tok)] + list(fields):
            parts.append('--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
                         % (boundary, k, v))
        parts.append('--%s\r\nContent-Disposition: form-data; name="%s"; '
                     'filename="%s"\r\nContent-Type: image/png\r\n\r\n'
                     % (boundary, file_field, filename))
        body = "".join(parts).encode() + data + ("\r\n--%s--\r\n" % boundary).encode()
        return self.post([], token=tok, raw=body, accept="application/json",
                         ctype="multipart/form-data; boundary=" + boundary)

    def assert_file_stored(self, state, stored_value, name, data):
        """The one upload has the file's name and bytes, and the value stored
        for the file field is its key (so the instance lists it)."""
        self.assertEqual(len(state["uploads"]), 1)
        up = state["uploads"][0]
        self.assertEqual(stored_value, up["key"])
        self.assertEqual(up["name"], name)
        self.assertEqual(up["size"], len(data))
        self.assertEqual(up["sha256"], hashlib.sha256(data).hexdigest())
        self.assertEqual([(f["key"], f["name"], f["size"]) for f in state["instances"][0]["files"]],
                         [(up["key"], name, len(data))])


class PostV8(PostMixin, Stack):
    variant = "v8-apikey"
    sections = SECTIONS

    def good(self):
        return [("requester_name", NAME), ("requester_email", "zoe@example.com"),
                ("department", "IT-010"), ("location", "ZRH-01"), ("category", "CAT-0645"),
                ("priority", "P2"), ("description", DESCRIPTION), ("needed_by", "2027-02-28"),
                ("asset_tag", "104233"), ("accessories", "Headset"),
                ("accessories", "Keyboard & mouse"), ("affected_locations", "ZRH-01"),
                ("affected_locations", "KRK-01")]

    def keys(self):
        """{field name: question id} of the v8 form the test serves."""
        with open(V8_FORM) as f:
            form = f.read() + V8_EXTRA
        return dict(re.findall(r"\[field:(\w+)\][^\[]*?key = (\S+)", form))

    def test_plain_post_starts_the_request_with_exactly_the_values(self):
        import urllib.request
        status, headers, body = self.post(self.good())
        # urllib follows the 303 to the receipt page.
        self.assertEqual(status, 200, body)
        self.assertIn("Your request was sent to the service desk as request", body)
        ref = re.search(r"Your reference is (\w{4}-\w{4}-\w{4})", body).group(1)
        inst = self.instances()
        # The reference names the request in Integrify, so staff can find it.
        self.assertIn(ref, inst[0]["name"])
        self.assertEqual(len(inst), 1)
        v = inst[0]["values"]
        key = self.keys()
        self.assertEqual(v[key["requester_name"]], NAME)
        self.assertEqual(v[key["requester_email"]], "zoe@example.com")
        self.assertEqual(v[key["description"]], DESCRIPTION)
        self.assertEqual(v[key["department"]], "IT-010")
        self.assertEqual(v[key["needed_by"]], "2027-02-28")
        self.assertEqual(str(v[key["asset_tag"]]), "104233")
        self.assertEqual(v[key["accessories"]], "Headset|Keyboard & mouse")
        self.assertEqual(v[key["affected_locations"]], "ZRH-01|KRK-01")
        self.assertEqual(inst[0]["process_sid"], "45e79ea1-5b67-547c-818b-e922eb2a142e")

    def test_json_client_gets_201_and_a_replay_gets_the_same_request(self):
        tok = self.token()
        status, _, body = self.post(self.good(), token=tok, accept="application/json")
        self.assertEqual(status, 201, body)
        first = json.loads(body)
        self.assertEqual(first["status"], "started")
        self.assertRegex(first["reference"], r"^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$")
        status, _, body = self.post(self.good(), token=tok, accept="application/json")
        self.assertEqual(status, 200, body)
        again = json.loads(body)
        self.assertEqual(again["instance_sid"], first["instance_sid"])
        self.assertEqual(again["reference"], first["reference"])
        self.assertEqual(len(self.instances()), 1)
        # The receipt says the same.
        status, _, body = self.get("/forms/it-request/receipt?ref=" + first["reference"],
                                   headers={"Accept": "application/json"})
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["request_id"], first["request_id"])

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
                                  ("description", "too_short"), ("needed_by", "no_such_date"),
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
        self.assertIn('fields=department:not_offered', self.pool.log_text())
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
        # Looks like a submission that was queued; nothing is spooled or started.
        self.assertEqual(status, 202, body)
        self.assertEqual(json.loads(body)["status"], "queued")
        self.assertEqual(os.listdir(os.path.join(self.pool.spool_dir, "queue")), [])
        self.assertEqual(self.instances(), [])

    def test_oversized_body_is_413(self):
        big = b"x" * (11 * 1024 * 1024)
        status, _, _ = self.post([], raw=b"description=" + big)
        self.assertEqual(status, 413)
        self.assertEqual(self.instances(), [])

    def test_multipart_with_a_file(self):
        status, _, out = self.multipart(self.good(), "attachment",
                                        "C:\\\\Users\\\\z\\\\screen shot.png", FILE_DATA)
        self.assertEqual(status, 201, out)
        st = self.standin.state()
        self.assertEqual(len(st["instances"]), 1)
        v, key = st["instances"][0]["values"], self.keys()
        self.assertEqual(v[key["description"]], DESCRIPTION)
        self.assertEqual(v[key["affected_locations"]], "ZRH-01|KRK-01")
        self.assert_file_stored(st, v[key["attachment"]], "screen shot.png", FILE_DATA)


class PostDefects(PostMixin, Stack):
    """The smaller defects of issue 10 that show through POST /forms/{id}."""
    variant = "v8-apikey"
    sections = SECTIONS

    good = PostV8.good
    keys = PostV8.keys

    def post_bytes(self, body, ctype="application/x-www-form-urlencoded"):
        """POST body as JSON client; (status, body bytes as sent)."""
        import urllib.error
        import urllib.request
        req = urllib.request.Request(self.nginx.url + "/forms/" + self.form, data=body,
                                     method="POST",
                                     headers={"Content-Type": ctype, "Origin": self.nginx.url,
                                              "Accept": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def with_token(self, fields):
        return urllib.parse.urlencode([("_token", self.token())] + list(fields)).encode()

    def stored(self, field):
        inst = self.instances()
        self.assertEqual(len(inst), 1)
        return inst[0]["values"][self.keys()[field]]

    def test_whitespace_only_value_does_not_satisfy_required(self):
        fields = [f if f[0] != "requester_name" else ("requester_name", "   ")
                  for f in self.good()]
        self.assertIn(b"requester_name=+++&", urllib.parse.urlencode(fields).encode())
        status, _, body = self.post(fields, accept="application/json")
        self.assertEqual(status, 422, body)
        self.assertIn({"field": "requester_name", "code": "required",
                       "message": "Please fill in this field."}, json.loads(body)["errors"])
        self.assertEqual(self.instances(), [])

    def test_surrounding_white_space_is_trimmed_before_storing(self):
        fields = [f if f[0] != "requester_name" else ("requester_name", "\u00a0 Zoë\t ")
                  for f in self.good()]
        status, _, body = self.post(fields, accept="application/json")
        self.assertEqual(status, 201, body)
        self.assertEqual(self.stored("requester_name"), "Zoë")

    def test_number_with_plus_sign_is_stored_canonically(self):
        fields = [f if f[0] != "asset_tag" else ("asset_tag", "+00104233") for f in self.good()]
        status, _, body = self.post(fields, accept="application/json")
        self.assertEqual(status, 201, body)
        self.assertEqual(str(self.stored("asset_tag")), "104233")
        fields = [f if f[0] != "asset_tag" else ("asset_tag", "1e5") for f in self.good()]
        status, _, body = self.post(fields, accept="application/json")
        self.assertEqual(status, 422, body)
        self.assertIn(("asset_tag", "number"),
                      {(e["field"], e["code"]) for e in json.loads(body)["errors"]})

    def test_content_type_with_junk_after_the_subtype_is_415(self):
        for ctype in ("application/x-www-form-urlencodedXYZ",
                      "application/x-www-form-urlencoded/x",
                      "application/x-www-form-urlencoded garbage",
                      "multipart/form-dataX; boundary=abc",
                      "multipart/form-data"):
            status, body = self.post_bytes(self.with_token(self.good()), ctype=ctype)
            self.assertEqual(status, 415, ctype)
            self.assertEqual(json.loads(body)["error"]["code"], "unsupported_media_type")
        self.assertEqual(self.instances(), [])
        # The type is case-insensitive and parameters are allowed (RFC 9110).
        status, body = self.post_bytes(self.with_token(self.good()),
                                       ctype="Application/X-WWW-Form-URLencoded ; charset=UTF-8")
        self.assertEqual(status, 201, body)

    def test_token_followed_by_nul_and_junk_is_refused(self):
        tok = self.token()
        body = ("_token=" + tok + "%00junk&").encode() + urllib.parse.urlencode(self.good()).encode()
        status, out = self.post_bytes(body)
        self.assertEqual(status, 403, out)
        self.assertEqual(json.loads(out)["error"]["code"], "token_invalid")
        self.assertEqual(self.instances(), [])

    def test_field_of_4mb_under_body_max_is_413(self):
        big = [("description", "x" * (4 * 1024 * 1024 + 10))]
        body = self.with_token([f for f in self.good() if f[0] != "description"] + big)
        self.assertLess(len(body), 10 * 1024 * 1024)     # under body_max
        status, out = self.post_bytes(body)
        self.assertEqual(status, 413, out)
        self.assertEqual(json.loads(out)["error"]["code"], "too_large")
        self.assertEqual(self.instances(), [])

    def test_invalid_utf8_field_name_is_echoed_as_valid_json(self):
        status, out = self.post_bytes(self.with_token(self.good()) + b"&%FF%FE=1")
        self.assertEqual(status, 422, out)
        errors = json.loads(out.decode("utf-8", "strict"))["errors"]
        self.assertEqual(errors, [{"field": "\ufffd\ufffd", "code": "unknown_field",
                                   "message": "This form has no such field."}])


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

    def test_form_keys_are_data_container_keys(self):
        """The data container silently drops keys it does not configure, so a
        field whose key is not one of them would be lost without an error."""
        dc = {f["key"]: f["type"] for f in fixture_fields("IT Request (API intake)")}
        names = re.findall(r"\[field:(\w+)\]", V7_FORM)
        self.assertEqual(set(names), set(self.expected("k")))     # the test checks every field
        for name in names:
            self.assertIn(name, dc)
        self.assertEqual(dc["attachment"], "file")
        types = set(re.findall(r"^type = (\w+)$", V7_FORM, re.M))
        self.assertEqual(types, {"text", "textarea", "email", "number", "date", "select",
                                 "multiselect", "checkboxes", "file"})

    def expected(self, file_key):
        """What the data container must hold: every field, exactly as typed."""
        return {"requester_name": NAME, "requester_email": EMAIL, "description": DESCRIPTION,
                "department": "IT-010", "asset_tag": "104233", "needed_by": "2027-02-28",
                "affected_locations": "ZRH-01|KRK-01",
                "laptop_accessories": "Headset|Keyboard & mouse", "attachment": file_key}

    def fields(self):
        return [("requester_name", NAME), ("requester_email", EMAIL),
                ("description", DESCRIPTION), ("department", "IT-010"),
                ("asset_tag", "104233"), ("needed_by", "2027-02-28"),
                ("affected_locations", "ZRH-01"), ("affected_locations", "KRK-01"),
                ("laptop_accessories", "Headset"), ("laptop_accessories", "Keyboard & mouse")]

    def stored(self, state):
        self.assertEqual(len(state["instances"]), 1)
        inst = state["instances"][0]
        self.assertEqual(inst["process_sid"], "f2cecda9-8258-5a1b-815e-b29cd106b70d")
        self.assertEqual(inst["dialect"], "v7")
        v = dict(inst["values"])
        if "asset_tag" in v:
            v["asset_tag"] = str(v["asset_tag"])
        return v

    def test_v7_start_and_data_container_store_exactly_the_values(self):
        status, _, body = self.multipart(self.fields(), "attachment", "Zoë's plan – v2.png",
                                         FILE_DATA)
        self.assertEqual(status, 201, body)
        st = self.standin.state()
        v = self.stored(st)
        # Every key, the file's included, reached the data container.
        self.assertEqual(v, self.expected(st["uploads"][0]["key"] if st["uploads"] else None))
        self.assertEqual(st["uploads"][0]["dialect"], "v7")
        self.assert_file_stored(st, v["attachment"], "Zoë's plan – v2.png", FILE_DATA)

    def test_v7_urlencoded_without_a_file(self):
        status, _, body = self.post(self.fields(), accept="application/json")
        self.assertEqual(status, 201, body)
        st = self.standin.state()
        expected = self.expected(None)
        del expected["attachment"]
        self.assertEqual(self.stored(st), expected)
        self.assertEqual(st["uploads"], [])


if __name__ == "__main__":
    unittest.main()
