"""/api/choices and /api/reports end to end: both dialects, CSV and JSON
report shapes, escaping, parameters, errors, CORS and the report cache."""

import csv
import html
import io
import json
import threading
import time
import unittest

from harness import REPORT_SIDS, Stack, fixture_report, log_events, token_fetches, wait_for

ORIGIN = "https://intranet.example"

SECTIONS = """
[source:departments]
report = {departments}
fetch = {fetch}
value_column = Code
label_column = Department
filter.parent = Division
check.parent = source:divisions
ttl = {ttl}
stale_ttl = 600

[source:categories]
report = {categories}
fetch = {fetch}
value_column = ID
label_column = Category
filter.parent = Group
check.parent = values:Accounts & Access|Hardware|Software|Security
ttl = {ttl}

[source:locations]
report = {locations}
fetch = {fetch}
value_column = Code
label_column = Location
filter.parent = Region
check.parent = source:regions
ttl = {ttl}

[report:assets]
report = {assets}
fetch = {fetch}
title = Asset notes <all> & "more"
page_size = 5
ttl = {ttl}
filter.owner = Owner
check.owner = pattern:[a-z][a-z0-9._-]{{0,63}}

[source:divisions]
report = {divisions}
fetch = {fetch}
value_column = Division
label_column = Title
ttl = {ttl}

[source:regions]
report = {regions}
fetch = {fetch}
value_column = Code
label_column = Region
ttl = {ttl}

[report:secret]
report = {cost_centers}
fetch = {fetch}
ttl = {ttl}

[source:missing_column]
report = {priorities}
fetch = {fetch}
value_column = Nope
ttl = {ttl}
"""


def sections(fetch, ttl=300):
    return SECTIONS.format(fetch=fetch, ttl=ttl, **REPORT_SIDS)


def report_calls(state, sid):
    """Calls that read the report's rows (not its filter definitions)."""
    return [c for c in state["calls"] if sid in c["path"] and not c["path"].endswith("/filters")]


class ChoicesMixin:
    # Every worker may wait on a cold list here, as long as it takes: the single
    # flight alone is tested.  With fewer slots a cold list answers 503 at once
    # (test_slow_upstream.py).
    server = {"workers": "4", "cache_entry_max": "1048576", "cors_origins": ORIGIN,
              "upstream_slots": "4", "upstream_wait_ms": "60000"}

    def json(self, path, **kw):
        status, headers, body = self.get(path, **kw)
        self.assertEqual(status, 200, body)
        return json.loads(body), headers

    def expected(self, name, value_label, parent_col=None, parent=None):
        rep = fixture_report(name)
        labels = [c["label"] for c in rep["columns"]]
        vi, li = labels.index(value_label[0]), labels.index(value_label[1])
        rows = rep["rows"]
        if parent_col is not None:
            pi = labels.index(parent_col)
            rows = [r for r in rows if r[pi].lower() == parent.lower()]
        return [{"value": r[vi], "label": r[li]} for r in rows]

    def test_full_list_matches_the_report(self):
        body, headers = self.json("/api/choices/departments?per_page=1000")
        self.assertEqual(body["items"], self.expected("departments", ("Code", "Department")))
        self.assertEqual(body["total"], 120)
        self.assertFalse(body["more"])
        self.assertEqual(headers["X-Intake-Cache"], "miss")
        self.assertIn("max-age=", headers["Cache-Control"])
        # intake varies on Accept and Origin; nginx adds Accept-Encoding (gzip).
        vary = {v.strip() for v in headers["Vary"].split(",")}
        self.assertEqual(vary, {"Accept", "Origin", "Accept-Encoding"})

    def test_non_ascii_and_html_special_labels_survive(self):
        body, _ = self.json("/api/choices/categories?per_page=1000")
        self.assertEqual(body["items"], self.expected("categories", ("ID", "Category")))
        labels = {i["label"] for i in body["items"]}
        self.assertIn('R&D <Lab> "North"', labels)
        self.assertTrue(any("'" in l for l in labels))
        body, _ = self.json("/api/choices/locations?per_page=1000")
        self.assertTrue(any("Zürich" in i["label"] for i in body["items"]))
        self.assertEqual(body["items"], self.expected("locations", ("Code", "Location")))

    def test_option_fragment_escapes_every_label(self):
        status, headers, body = self.get("/api/choices/categories?format=html&per_page=1000"
                                         "&selected=CAT-0645")
        self.assertEqual(status, 200)
        self.assertTrue(headers["Content-Type"].startswith("text/html"))
        self.assertIn('<option value="CAT-0645" selected>R&amp;D &lt;Lab&gt; &quot;North&quot;'
                      '</option>', body)
        self.assertNotIn("<Lab>", body)
        for line in body.strip().split("\n"):
            self.assertRegex(line, r'^<option value="[^"<>]*"( selected)?>[^<>"]*</option>$')
        # Every label comes back exactly once decoding the fragment.
        got = [html.unescape(l.split(">", 1)[1][:-len("</option>")])
               for l in body.strip().split("\n")]
        self.assertEqual(got, [i["label"] for i in self.expected("categories", ("ID", "Category"))])

    def test_accept_text_html_gives_the_fragment(self):
        status, headers, body = self.get("/api/choices/departments?per_page=2",
                                         headers={"Accept": "text/html"})
        self.assertTrue(headers["Content-Type"].startswith("text/html"))
        self.assertTrue(body.startswith("<option value="))

    def test_select2_shape_and_paging(self):
        body, _ = self.json("/api/choices/departments?format=select2&term=a&page=1&_type=query"
                            "&per_page=10")
        self.assertEqual(len(body["results"]), 10)
        self.assertEqual(set(body["results"][0]), {"id", "text"})
        self.assertTrue(body["pagination"]["more"])

    def test_paging_walks_the_whole_list_once(self):
        seen = []
        page = 1
        while True:
            body, _ = self.json("/api/choices/locations?per_page=70&page=%d" % page)
            seen += body["items"]
            if not body["more"]:
                break
            page += 1
        self.assertEqual(seen, self.expected("locations", ("Code", "Location")))
        self.assertEqual(page, 5)

    def test_search_is_case_insensitive_and_unicode_aware(self):
        for q in ("z%C3%BCrich", "Z%C3%9CRICH", "z%C3%BCRiCh"):
            body, _ = self.json("/api/choices/locations?q=" + q)
            self.assertEqual(len(body["items"]), 3, q)
            self.assertTrue(all("Zürich" in i["label"] for i in body["items"]))
        body, _ = self.json("/api/choices/categories?q=r%26d%20%3Clab")
        self.assertEqual(len(body["items"]), 2)

    def test_search_folds_accents_as_people_type(self):
        # zurich, sao and munchen are what people type for Zürich, São and
        # München; a decomposed "Zu\u0308rich" is the same text.
        for q, town in (("zurich", "Zürich"), ("ZURICH", "Zürich"), ("sao", "São"),
                        ("munchen", "München"), ("Zu%CC%88rich", "Zürich"),
                        ("s%C3%A3o", "São")):
            body, _ = self.json("/api/choices/locations?q=" + q)
            self.assertEqual(len(body["items"]), 3, q)
            self.assertTrue(all(town in i["label"] for i in body["items"]), (q, body["items"]))
        body, _ = self.json("/api/choices/locations?q=zurichx")
        self.assertEqual(body["items"], [])

    def test_cascading_parent_feeds_the_report_filter(self):
        body, _ = self.json("/api/choices/departments?parent=Finance&per_page=1000")
        self.assertEqual(body["items"],
                         self.expected("departments", ("Code", "Department"), "Division", "Finance"))
        self.assertGreater(len(body["items"]), 3)
        other, _ = self.json("/api/choices/departments?parent=Engineering&per_page=1000")
        self.assertFalse({i["value"] for i in body["items"]} & {i["value"] for i in other["items"]})

    def test_offered_parents_and_listed_values_pass_their_checks(self):
        body, _ = self.json("/api/choices/locations?parent=EMEA&per_page=1000")
        self.assertEqual(body["items"],
                         self.expected("locations", ("Code", "Location"), "Region", "EMEA"))
        body, _ = self.json("/api/choices/categories?parent=Accounts+%26+Access&per_page=1000")
        self.assertEqual(body["items"], self.expected("categories", ("ID", "Category"), "Group",
                                                      "Accounts & Access"))
        # An empty value is no filter: the whole list.
        body, _ = self.json("/api/choices/departments?parent=&per_page=1000")
        self.assertEqual(body["total"], 120)

    def test_report_table_fragment(self):
        status, headers, body = self.get("/api/reports/assets?format=html&per_page=100")
        self.assertEqual(status, 200)
        self.assertIn("<caption>Asset notes &lt;all&gt; &amp; &quot;more&quot;</caption>", body)
        rep = fixture_report("assets")
        for c in rep["columns"]:
            self.assertIn('<th scope="col">%s</th>' % html.escape(c["label"], quote=True)
                          .replace("&#x27;", "&#39;"), body)
        for row in rep["rows"]:
            for cell in row:
                self.assertIn("<td>%s</td>" % html.escape(cell, quote=True)
                              .replace("&#x27;", "&#39;"), body)

    def test_report_json_and_csv_round_trip_every_cell(self):
        rep = fixture_report("assets")
        body, _ = self.json("/api/reports/assets?format=json&per_page=100")
        self.assertEqual(body["columns"], [c["label"] for c in rep["columns"]])
        self.assertEqual(body["rows"], rep["rows"])
        status, headers, text = self.get("/api/reports/assets?format=csv&per_page=100")
        self.assertTrue(headers["Content-Type"].startswith("text/csv"))
        rows = list(csv.reader(io.StringIO(text, newline="")))
        self.assertEqual(rows[0], body["columns"])
        self.assertEqual(rows[1:], rep["rows"])

    def test_report_paging_and_filter(self):
        body, _ = self.json("/api/reports/assets?format=json")
        self.assertEqual(len(body["rows"]), 5)
        self.assertTrue(body["more"])
        body, _ = self.json("/api/reports/assets?format=json&owner=alice&per_page=100")
        self.assertTrue(body["rows"])
        self.assertTrue(all("alice" in r[3] for r in body["rows"]))

    def test_unknown_source_and_report_are_json_404(self):
        for path, code in (("/api/choices/nope", "unknown_source"),
                           ("/api/reports/nope", "unknown_report"),
                           ("/api/choices/assets", "unknown_source")):
            status, _, body = self.get(path)
            self.assertEqual(status, 404, path)
            self.assertEqual(json.loads(body)["error"]["code"], code)

    def test_unknown_and_malformed_parameters_are_400(self):
        cases = {
            "/api/choices/departments?bogus=1": "unknown_parameter",
            "/api/choices/departments?owner=x": "unknown_parameter",
            "/api/reports/assets?q=x": "unknown_parameter",
            "/api/choices/departments?page=0": "bad_parameter",
            "/api/choices/departments?page=abc": "bad_parameter",
            "/api/choices/departments?per_page=1001": "bad_parameter",
            "/api/choices/departments?format=xml": "bad_parameter",
            "/api/reports/assets?format=select2": "bad_parameter",
            "/api/choices/departments?q=%FF": "bad_parameter",
            "/api/choices/departments?q=a%00b": "bad_parameter",
            "/api/choices/departments?q=%zz": "bad_parameter",
            "/api/choices/departments?page=1&page=2": "bad_parameter",
            "/api/choices/departments?q=" + "x" * 201: "bad_parameter",
            # Filter values each list's check.NAME does not take: never fetched.
            "/api/choices/departments?parent=Nope": "bad_parameter",
            "/api/choices/departments?parent=finance": "bad_parameter",
            "/api/choices/departments?parent=Finance%20": "bad_parameter",
            "/api/choices/departments?parent=Finance+(FIN)": "bad_parameter",
            "/api/choices/locations?parent=Americas": "bad_parameter",
            "/api/choices/categories?parent=Hardware%7CSoftware": "bad_parameter",
            "/api/reports/assets?owner=Alice": "bad_parameter",
            "/api/reports/assets?owner=alice%27%20OR%201%3D1": "bad_parameter",
        }
        for path, code in cases.items():
            status, _, body = self.get(path)
            self.assertEqual(status, 400, path)
            self.assertEqual(json.loads(body)["error"]["code"], code, path)
        # None of them reached Integrify's reports.
        for name in ("departments", "locations", "categories", "assets"):
            self.assertEqual(report_calls(self.standin.state(), REPORT_SIDS[name]), [], name)

    def test_upstream_failure_without_a_copy_is_a_clean_502(self):
        self.standin.control("/__sim/fail-next?status=500&count=1&body=ORA-00942%20secret%20table")
        status, _, body = self.get("/api/choices/departments")
        self.assertEqual(status, 502)
        self.assertEqual(json.loads(body)["error"]["code"], "integrify_unavailable")
        self.assertNotIn("ORA-", body)
        self.assert_no_secrets(body, self.pool.log_text())

    def test_denied_report_is_502_denied(self):
        status, _, body = self.get("/api/reports/secret")
        self.assertEqual(status, 502)
        self.assertEqual(json.loads(body)["error"]["code"], "integrify_denied")

    def test_missing_column_is_502_bad_reply_and_logged(self):
        status, _, body = self.get("/api/choices/missing_column")
        self.assertEqual(status, 502)
        self.assertEqual(json.loads(body)["error"]["code"], "integrify_bad_reply")
        self.assertIn("no column 'Nope'", self.pool.log_text())

    def test_etag_and_304(self):
        _, headers = self.json("/api/choices/departments?per_page=5")
        status, h2, body = self.get("/api/choices/departments?per_page=5",
                                    headers={"If-None-Match": headers["ETag"]})
        self.assertEqual(status, 304)
        self.assertEqual(body, "")
        _, other = self.json("/api/choices/departments?per_page=6")
        self.assertNotEqual(other["ETag"], headers["ETag"])

    def test_cors_only_for_configured_origins(self):
        _, headers = self.json("/api/choices/departments", headers={"Origin": ORIGIN})
        self.assertEqual(headers.get("Access-Control-Allow-Origin"), ORIGIN)
        _, headers = self.json("/api/choices/departments", headers={"Origin": "https://evil.example"})
        self.assertNotIn("Access-Control-Allow-Origin", headers)
        status, headers, _ = self.get("/api/choices/departments", method="OPTIONS",
                                      headers={"Origin": ORIGIN,
                                               "Access-Control-Request-Method": "GET"})
        self.assertEqual(status, 204)
        self.assertEqual(headers.get("Access-Control-Allow-Origin"), ORIGIN)
        status, _, _ = self.get("/api/choices/departments", method="OPTIONS",
                                headers={"Origin": "https://evil.example"})
        self.assertEqual(status, 403)

    def test_single_flight_on_a_cold_list(self):
        results = []

        def one(i):
            # Distinct URLs, so nginx's micro-cache lock does not do the work.
            results.append(self.get("/api/choices/locations?per_page=%d" % (1000 - i))[0])

        threads = [threading.Thread(target=one, args=(i,)) for i in range(24)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(results, [200] * 24)
        self.assertEqual(len(report_calls(self.standin.state(), REPORT_SIDS["locations"])), 1)


class StaleMixin:
    """ttl of 2 s: refresh once per ttl, stale on error."""
    server = {"workers": "4", "cache_entry_max": "1048576"}

    def fresh_get(self):
        """A URL nginx's micro-cache has not seen: the answer is intake's own."""
        self.n = getattr(self, "n", 0) + 1
        return self.get("/api/choices/departments?per_page=%d" % (1000 - self.n))

    def test_stale_while_revalidate_and_stale_if_error(self):
        sid = REPORT_SIDS["departments"]
        _, h, _ = self.fresh_get()
        self.assertEqual(h["X-Intake-Cache"], "miss")
        _, h, _ = self.fresh_get()
        self.assertEqual(h["X-Intake-Cache"], "hit")
        self.assertEqual(len(report_calls(self.standin.state(), sid)), 1)
        time.sleep(2.2)
        # Integrify now fails: the last good list is served, and marked.
        self.standin.control("/__sim/fail-next?status=503&count=100&path=/")
        status, h, body = self.fresh_get()
        self.assertEqual(status, 200)
        self.assertEqual(h["X-Intake-Cache"], "stale-error")
        self.assertEqual(len(json.loads(body)["items"]), 120)
        calls = len(report_calls(self.standin.state(), sid))
        # Not asked again at once: the failure pauses refreshes.
        for _ in range(10):
            status, h, _ = self.fresh_get()
            self.assertEqual((status, h["X-Intake-Cache"]), (200, "stale-error"))
        self.assertEqual(len(report_calls(self.standin.state(), sid)), calls)
        self.standin.control("/__sim/fault?mode=clear")
        wait_for(lambda: self.fresh_get()[1]["X-Intake-Cache"] in ("miss", "hit"),
                 timeout=15, step=0.5, what="a fresh list after recovery")


def raw_get(url, headers=None):
    """(status, headers, body bytes): the bytes as sent, to check their encoding."""
    import urllib.error
    import urllib.request
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def strict_json(raw):
    """Parse bytes as JSON only if they are valid UTF-8 (raises otherwise)."""
    return json.loads(raw.decode("utf-8", "strict"))


class ChoicesDefects(Stack):
    """The smaller defects of issue 10 that show through /api/: one dialect is enough."""
    variant = "v8-apikey"
    sections = sections("csv")
    server = {"workers": "2", "cache_entry_max": "1048576"}

    def test_unknown_parameter_name_is_cut_on_a_character_boundary(self):
        # 39 a's then é (2 bytes): a cut at 40 bytes fell inside the é.
        status, _, raw = raw_get(self.nginx.url + "/api/choices/departments?" +
                                 "a" * 39 + "%C3%A9=1")
        self.assertEqual(status, 400)
        err = strict_json(raw)["error"]
        self.assertEqual(err["code"], "unknown_parameter")
        self.assertIn("a" * 39, err["message"])
        self.assertNotIn("\ufffd", err["message"])

    def test_invalid_utf8_parameter_name_is_echoed_as_valid_json(self):
        status, _, raw = raw_get(self.nginx.url + "/api/choices/departments?%FF%FE=1")
        self.assertEqual(status, 400)
        self.assertNotIn(b"\xff", raw)
        err = strict_json(raw)["error"]
        self.assertEqual(err["message"], "Unknown parameter '\ufffd\ufffd'.")

    def test_html_fragments_carry_csp_and_frame_protection(self):
        for path in ("/api/choices/departments?format=html", "/api/reports/assets?format=html",
                     "/api/reports/assets"):
            for _ in range(2):  # a miss, then the same answer from the caches
                status, headers, body = self.get(path, headers={"Accept": "text/html"})
                self.assertEqual(status, 200, path)
                self.assertTrue(headers["Content-Type"].startswith("text/html"), path)
                csp = headers.get("Content-Security-Policy", "")
                self.assertIn("default-src 'none'", csp, path)
                self.assertIn("frame-ancestors 'none'", csp, path)
                self.assertEqual(headers.get("X-Frame-Options"), "DENY", path)
        # JSON answers stay lean.
        _, headers, _ = self.get("/api/choices/departments")
        self.assertNotIn("Content-Security-Policy", headers)

    def test_forced_502_is_logged_once_with_its_cause(self):
        before = len(log_events(self.pool.log_text(), "server_error"))
        self.standin.control("/__sim/fail-next?status=500&count=1&body=ORA-00942%20secret")
        status, _, body = self.get("/api/choices/departments")
        self.assertEqual(status, 502, body)
        log = self.pool.log_text()
        lines = log_events(log, "server_error")
        self.assertEqual(len(lines) - before, 1, lines)
        line = lines[-1]
        self.assertEqual((line["level"], line["method"], line["path"], line["status"],
                          line["code"]),
                         ("error", "GET", "/api/choices/departments", "502",
                          "integrify_unavailable"))
        self.assertIn("Integrify is unavailable", line["cause"])
        self.assertNotIn("ORA-", log)
        self.assert_no_secrets(log)


def _make(prefix, mixin, variant, fetch, ttl):
    return type("%s%s_%s" % (prefix, variant.replace("-", "_"), fetch), (mixin, Stack),
                {"variant": variant, "sections": sections(fetch, ttl)})


for _v in ("v7-impersonate", "v8-apikey"):
    for _f in ("csv", "json"):
        _cls = _make("Choices_", ChoicesMixin, _v, _f, 300)
        globals()[_cls.__name__] = _cls
    _cls = _make("Stale_", StaleMixin, _v, "csv", 2)
    globals()[_cls.__name__] = _cls
del _cls, _v, _f

if __name__ == "__main__":
    unittest.main()
