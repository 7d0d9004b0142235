"""GET /forms/{id}: the demo form, rendered by the real workers behind
nginx, with live choices from the stand-in."""

import html
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.parse

from harness import BIN, REPORT_SIDS, SRC, Stack, fixture_report, http

SECTIONS = """
[source:departments]
report = {departments}
value_column = Code
label_column = Department
[source:regions]
report = {regions}
value_column = Code
label_column = Region
[source:locations]
report = {locations}
value_column = Code
label_column = Location
filter.parent = Region
check.parent = source:regions
[source:categories]
report = {categories}
value_column = ID
label_column = Category
[source:priorities]
report = {priorities}
value_column = Code
label_column = Priority
[source:accessories]
report = 0f363b73-973c-534b-be42-6609ae3d28dd
value_column = Accessory
label_column = Label
""".format(**REPORT_SIDS)


class Forms(Stack):
    server = {"workers": "2", "cache_entry_max": "1048576",
              "forms_dir": os.path.join(SRC, "conf/forms")}
    sections = SECTIONS

    def page(self):
        status, headers, body = self.get("/forms/it-request")
        self.assertEqual(status, 200, body)
        return headers, body

    def test_page_is_a_complete_accessible_form(self):
        headers, body = self.page()
        self.assertTrue(headers["Content-Type"].startswith("text/html"))
        self.assertIn("default-src 'none'", headers["Content-Security-Policy"])
        self.assertEqual(headers["Cache-Control"], "no-store")
        self.assertTrue(body.startswith("<!DOCTYPE html>"))
        self.assertIn('<html lang="en">', body)
        self.assertIn('<form class="intake-form" data-intake-submit method="post" action="/forms/it-request" '
                      'enctype="multipart/form-data" data-w-error="Error: "', body)
        # Every input has a label pointing at it.
        for m in re.finditer(r'<(input|select|textarea)[^>]* id="(f-[a-z_]+)"', body):
            if m.group(2) in ("f-website",):
                continue
            self.assertIn('<label for="%s">' % m.group(2), body)
        self.assertIn('aria-describedby="f-requester_email-help"', body)
        self.assertIn('<p class="intake-help" id="f-requester_email-help">', body)
        self.assertIn('<legend>Laptop accessories</legend>', body)
        self.assertIn('maxlength="100"', body)
        self.assertIn('min="100000" max="999999"', body)
        self.assertIn('type="date"', body)
        self.assertIn('type="file"', body)
        self.assertIn('class="intake-hp" aria-hidden="true"', body)

    def test_token_is_signed_and_fresh_per_render(self):
        _, a = self.page()
        _, b = self.page()
        ta = re.search(r'name="_token" value="([^"]+)"', a).group(1)
        tb = re.search(r'name="_token" value="([^"]+)"', b).group(1)
        self.assertNotEqual(ta, tb)
        self.assertIn("it-request", ta)

    def test_choices_are_live_and_escaped(self):
        _, body = self.page()
        rep = fixture_report("categories")
        for value, label, _ in rep["rows"]:
            self.assertIn('<option value="%s">%s</option>'
                          % (html.escape(value), html.escape(label, quote=True)
                             .replace("&#x27;", "&#39;")), body)
        self.assertNotIn("<Lab>", body)
        self.assertEqual(body.count('type="checkbox"'), 7)
        # Every row of the four select sources, plus one "Choose…" per select.
        rows = sum(len(fixture_report(n)["rows"])
                   for n in ("departments", "regions", "locations", "categories"))
        self.assertEqual(body.count('<option value="'), rows + 4)

    def test_fixed_choices_are_a_radio_group_in_a_fieldset(self):
        _, body = self.page()
        group = re.search(r'<fieldset><legend>Priority <span class="intake-required" '
                          r'aria-hidden="true">\*</span></legend>\n(.*?)</fieldset>', body, re.S)
        self.assertIsNotNone(group, "no fieldset with a legend for priority")
        radios = re.findall(r'<input type="radio" id="(f-priority-\d)" name="priority" '
                            r'value="(P\d)"( checked)? required><label for="\1">([^<]*)</label>',
                            group.group(1))
        self.assertEqual([(v, bool(c), l) for _, v, c, l in radios],
                         [("P4", False, "Low – within two weeks"),
                          ("P3", True, "Normal – within a week"),
                          ("P2", False, "High – within one business day"),
                          ("P1", False, "Critical – business stopped")])

    def test_child_options_are_grouped_by_parent_without_javascript(self):
        _, body = self.page()
        sel = re.search(r'<select id="f-location"([^>]*)>(.*?)</select>', body, re.S)
        # The scripts' hooks: the child follows f-region; 300 rows make it a combobox.
        self.assertIn('data-intake-source="locations" data-intake-parent="f-region" '
                      'data-intake-combobox', sel.group(1))
        groups = re.findall(r'<optgroup label="([^"]*)">\n(.*?)</optgroup>', sel.group(2), re.S)
        regions = fixture_report("regions")["rows"]
        self.assertEqual([html.unescape(g[0]) for g in groups], [r[1] for r in regions])
        rows = fixture_report("locations")["rows"]
        for (label, opts), (code, _) in zip(groups, regions):
            want = [r[0] for r in rows if r[3] == code]
            self.assertEqual(re.findall(r'<option value="([^"]+)"', opts), want, label)
        # Four regions' worth of rows: none is left out, none shown twice.
        self.assertEqual(sum(len(re.findall(r'<option value="[^"]+"', g[1])) for g in groups),
                         len(rows))
        # Short lists stay plain selects; fixed choices never ask the server.
        self.assertRegex(body, r'<select id="f-region" name="region" data-intake-source="regions"'
                         r' aria-describedby')
        self.assertIn('<select id="f-department" name="department" data-intake-source='
                      '"departments" data-intake-combobox required>', body)

    def test_unknown_form_is_404_and_a_post_from_nowhere_is_refused(self):
        # A person gets a page (test_site.py checks it whole), a JSON client JSON.
        status, headers, body = self.get("/forms/nope")
        self.assertEqual(status, 404)
        self.assertTrue(headers["Content-Type"].startswith("text/html"))
        self.assertIn("<h1>Page not found</h1>", body)
        status, _, body = self.get("/forms/nope", headers={"Accept": "application/json"})
        self.assertEqual(status, 404)
        self.assertEqual(json.loads(body)["error"]["code"], "unknown_form")
        status, headers, _ = self.get("/forms/it-request", method="POST", body=b"a=1")
        self.assertEqual(status, 403)
        status, headers, _ = self.get("/forms/it-request/receipt", method="POST", body=b"a=1")
        self.assertEqual(status, 405)

    def test_lists_unavailable_is_a_503_page(self):
        self.standin.control("/__sim/fail-next?status=503&count=50")
        status, headers, body = self.get("/forms/it-request")
        self.assertEqual(status, 503)
        self.assertTrue(headers["Content-Type"].startswith("text/html"))
        self.assertIn("unavailable right now", body)
        self.assertEqual(headers.get("Retry-After"), "60")


class Choices(Stack):
    """Posts of the demo form's cascading and fixed choices."""

    variant = "v8-apikey"
    server = {"workers": "2", "cache_entry_max": "1048576",
              "forms_dir": os.path.join(SRC, "conf/forms")}
    sections = SECTIONS

    def post(self, changes):
        status, _, body = self.get("/forms/it-request")
        self.assertEqual(status, 200, body)
        tok = re.search(r'name="_token" value="([^"]+)"', body).group(1)
        time.sleep(1.1)     # forms filled faster than a second are refused as bots
        fields = dict([("requester_name", "Zoë Tester"), ("requester_email", "zoe@example.com"),
                       ("department", "IT-010"), ("location", "ZRH-01"),
                       ("category", "CAT-0645"), ("priority", "P2"),
                       ("description", "A new laptop, please: the old one broke.")])
        fields.update(changes)
        pairs = [("_token", tok)] + [(k, v) for k, v in fields.items() if v is not None]
        status, _, body = http(self.nginx.url + "/forms/it-request", method="POST",
                               headers={"Content-Type": "application/x-www-form-urlencoded",
                                        "Origin": self.nginx.url,
                                        "Accept": "application/json"},
                               body=urllib.parse.urlencode(pairs).encode())
        return status, json.loads(body)

    def assert_refused(self, changes, field):
        status, body = self.post(changes)
        self.assertEqual(status, 422, body)
        self.assertEqual(body["errors"], [{"field": field, "code": "not_offered",
                                           "message": "Choose one of the listed options."}])
        self.assertIn("fields=%s:not_offered" % field, self.pool.log_text())
        self.assertEqual(os.listdir(os.path.join(self.pool.spool_dir, "queue")), [])
        self.assertEqual(self.standin.state()["instances"], [])

    def test_location_of_another_region_is_refused_and_nothing_spooled(self):
        # Zürich is in EMEA; the post says Americas.
        self.assert_refused({"region": "AMER", "location": "ZRH-01"}, "location")

    def test_priority_not_declared_is_refused(self):
        # P5 is no choice of the form (nor of the old report): tampering.
        self.assert_refused({"priority": "P5"}, "priority")
        self.assert_refused({"priority": "p2"}, "priority")

    def test_matching_pair_and_no_parent_are_accepted(self):
        for changes in ({"region": "EMEA", "location": "ZRH-01"},
                        {"region": None, "location": "SAO-01"}):
            status, body = self.post(changes)
            self.assertIn(status, (201, 202), body)
        key = {"region": "d9f79925-895f-5f88-acfe-2194fa233874",
               "location": "e06f670f-3a83-5806-bfc1-e1107d29d229",
               "priority": "302c2ca7-c206-5600-a75c-021a0535eed9"}
        values = [i["values"] for i in self.standin.state()["instances"]]
        self.assertEqual([(v.get(key["region"]), v[key["location"]], v[key["priority"]])
                          for v in values], [("EMEA", "ZRH-01", "P2"), (None, "SAO-01", "P2")])


class FormCheck(unittest.TestCase):
    def test_dash_t_names_form_file_field_and_problem(self):
        d = tempfile.mkdtemp()
        try:
            forms = os.path.join(d, "forms")
            os.mkdir(forms)
            with open(os.path.join(forms, "broken.conf"), "w") as f:
                f.write("[form]\ntitle = T\nprocess = p\n[field:dept]\nlabel = D\n"
                        "type = select\nsource = nope\n")
            with open(os.path.join(d, "key"), "w") as f:
                f.write("k\n")
            conf = os.path.join(d, "intake.conf")
            with open(conf, "w") as f:
                f.write("[server]\nforms_dir = %s\n[integrify]\ndialect = v7\n"
                        "flow = impersonate\nbase_url = https://x.test\nuser = u\n"
                        "key_file = %s/key\n" % (forms, d))
            r = subprocess.run([BIN, "-c", conf, "-t"], capture_output=True, text=True)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("forms/broken.conf: [field:dept] source: no [source:NAME]", r.stderr)
        finally:
            shutil.rmtree(d)


# A real one-pixel PNG and a small PDF, for the per-field file limits.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
                    "0000000d49444154789c63f80f00000101000518d84e0000000049454e44ae426082")
PDF = (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n"
       b"<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")


class FormRules(Stack):
    """Per-field rules of a form definition, end to end: file types by name
    and by content (libmagic), a per-field size limit, messages set in the
    definition, decimals with a step and an impossible date."""
    variant = "v8-apikey"
    sections = SECTIONS

    @classmethod
    def setUpClass(cls):
        cls.formsdir = tempfile.mkdtemp(prefix="intake-rules-")
        with open(os.path.join(SRC, "conf/forms/it-request.conf")) as f:
            form = f.read()
        form = form.replace("type = file\n", "type = file\naccept = pdf\nmax_size = 1024\n"
                            "message.file_too_large = Attach at most 1 KB:\n"
                            "    scan at a lower resolution.\n", 1)
        form = form.replace("[field:asset_tag]\n", "[field:amount]\nlabel = Amount\n"
                            "type = number\nstep = 0.01\nmin = 0\nmax = 1000\n"
                            "message.step = Whole cents, please.\n\n[field:asset_tag]\n", 1)
        with open(os.path.join(cls.formsdir, "it-request.conf"), "w") as f:
            f.write(form)
        cls.server = {"workers": "2", "cache_entry_max": "1048576", "forms_dir": cls.formsdir}
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(cls.formsdir, ignore_errors=True)

    def good(self):
        return [("requester_name", "Zoë"), ("requester_email", "zoe@example.com"),
                ("department", "IT-010"), ("location", "ZRH-01"), ("category", "CAT-0645"),
                ("priority", "P2"), ("description", "A new laptop, please."),
                ("needed_by", "2027-02-28")]

    def send(self, fields, filename=None, data=None, ctype="application/pdf"):
        """POST fields (and one file) as multipart, as a browser does, asking for JSON."""
        status, _, body = self.get("/forms/it-request")
        self.assertEqual(status, 200, body)
        tok = re.search(r'name="_token" value="([^"]+)"', body).group(1)
        time.sleep(1.1)     # forms filled faster than a second are refused as bots
        boundary = "----WebKitFormBoundaryR7x"
        out = b""
        for k, v in [("_token", tok)] + list(fields):
            out += ('--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
                    % (boundary, k, v)).encode()
        if filename is not None:
            out += ('--%s\r\nContent-Disposition: form-data; name="attachment"; '
                    'filename="%s"\r\nContent-Type: %s\r\n\r\n'
                    % (boundary, filename, ctype)).encode() + data + b"\r\n"
        out += ("--%s--\r\n" % boundary).encode()
        return http(self.nginx.url + "/forms/it-request", method="POST", body=out,
                    headers={"Content-Type": "multipart/form-data; boundary=" + boundary,
                             "Origin": self.nginx.url, "Accept": "application/json"})

    def errors(self, status, body):
        self.assertEqual(status, 422, body)
        return {e["field"]: (e["code"], e["message"]) for e in json.loads(body)["errors"]}

    def test_png_named_pdf_is_refused_by_content(self):
        before = len(self.standin.state()["instances"])
        status, _, body = self.send(self.good(), "invoice.pdf", PNG)
        code, msg = self.errors(status, body)["attachment"]
        self.assertEqual(code, "file_type")
        self.assertIn("content is not of the type its name says", msg)
        # Named for what it is, it is still not a type this field takes.
        status, _, body = self.send(self.good(), "photo.png", PNG, "image/png")
        self.assertEqual(self.errors(status, body)["attachment"],
                         ("file_type", "Attach a file of one of these types: PDF."))
        self.assertEqual(len(self.standin.state()["instances"]), before)

    def test_file_over_the_field_limit_gets_the_field_message(self):
        status, _, body = self.send(self.good(), "big.pdf", PDF + b"%" * 1024)
        self.assertEqual(self.errors(status, body)["attachment"],
                         ("file_too_large", "Attach at most 1 KB: scan at a lower resolution."))

    def test_real_pdf_within_the_limit_is_started(self):
        status, _, body = self.send(self.good() + [("amount", "12.50")], "scan.pdf", PDF)
        self.assertIn(status, (201, 202), body)
        st = self.standin.state()
        self.assertEqual(st["uploads"][-1]["name"], "scan.pdf")

    def test_decimal_step_and_impossible_date(self):
        fields = [f for f in self.good() if f[0] != "needed_by"]
        status, _, body = self.send(fields + [("amount", "12.345"), ("needed_by", "2027-02-30")])
        errs = self.errors(status, body)
        self.assertEqual(errs["amount"], ("number", "Enter a number with at most 2 decimals."))
        self.assertEqual(errs["needed_by"], ("no_such_date", "There is no 30 February 2027."))
        _, _, page = self.get("/forms/it-request")
        self.assertIn('type="number" id="f-amount" name="amount" min="0" max="1000" step="0.01"',
                      page)
        self.assertIn('accept=".pdf"', page)


class ConfigCheck(unittest.TestCase):
    """intake -t tells the exact problem of a line: too long, a misplaced
    continuation, or an unknown section with the nearest name."""

    def check(self, text):
        d = tempfile.mkdtemp()
        try:
            with open(os.path.join(d, "key"), "w") as f:
                f.write("k\n")
            conf = os.path.join(d, "intake.conf")
            with open(conf, "w") as f:
                f.write(text.replace("@DIR@", d))
            r = subprocess.run([BIN, "-c", conf, "-t"], capture_output=True, text=True)
            return r.returncode, r.stderr
        finally:
            shutil.rmtree(d)

    def test_dash_t_names_line_and_section_problems(self):
        base = ("[integrify]\ndialect = v7\nflow = impersonate\nbase_url = https://x.test\n"
                "user = u\nkey_file = @DIR@/key\n")
        rc, err = self.check(base + "[spol]\ndir = /tmp\n")
        self.assertNotEqual(rc, 0)
        self.assertIn("[spol]: unknown section; did you mean [spool]?", err)
        rc, err = self.check(base + "[server]\n# " + "x" * 4100 + "\n")
        self.assertNotEqual(rc, 0)
        self.assertIn("line 8: longer than 4096 bytes", err)
        rc, err = self.check(base + "[server]\n    workers = 2\n")
        self.assertNotEqual(rc, 0)
        self.assertIn("line 8: a continuation with no key before it", err)
        rc, err = self.check(base + "[server]\npublic_origins = https://a.test\n"
                             "    https://b.test\n")
        self.assertEqual(rc, 0, err)


if __name__ == "__main__":
    unittest.main()
