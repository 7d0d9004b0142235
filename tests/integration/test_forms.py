"""GET /forms/{id}: the demo form, rendered by the real workers behind
nginx, with live choices from the stand-in."""

import html
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from harness import BIN, REPORT_SIDS, SRC, Stack, fixture_report

SECTIONS = """
[source:departments]
report = {departments}
value_column = Code
label_column = Department
[source:locations]
report = {locations}
value_column = Code
label_column = Location
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
                      'enctype="multipart/form-data">', body)
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
        self.assertIn('<option value="P3" selected>', body)
        self.assertEqual(body.count('type="checkbox"'), 7)
        # Every row of the four select sources, plus one "Choose…" per select.
        rows = sum(len(fixture_report(n)["rows"])
                   for n in ("departments", "locations", "categories", "priorities"))
        self.assertEqual(body.count('<option value="'), rows + 4)

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


if __name__ == "__main__":
    unittest.main()
