"""Published lists ([server] publish_dir, issue 16): while an unfiltered list
is fresh, nginx sends it from the file intake wrote, with the headers intake
gives it; every other request, and every request once the list is no longer
fresh, reaches the workers, whose freshness rules (stale-while-revalidate,
stale-if-error) are unchanged.

The site is the shipped one (conf/nginx/intake.conf), with one line added to
its $intake_published_cc map for this test's list, as README tells an admin
to do for a list whose ttl and stale_ttl are not the defaults.
"""

import json
import os
import time
import unittest

from harness import REPORT_SIDS, Stack, wait_for

TTL = 3
STALE_TTL = 600

SECTIONS = """
[source:departments]
report = {departments}
fetch = csv
value_column = Code
label_column = Department
filter.parent = Division
check.parent = values:Engineering|Finance|Operations
ttl = {ttl}
stale_ttl = {stale}
""".format(ttl=TTL, stale=STALE_TTL, **REPORT_SIDS)

LIST = "/api/choices/departments"
CC_LINE = ('    %s "public, stale-while-revalidate=%d, stale-if-error=%d";\n'
           % (LIST, TTL, STALE_TTL))


def with_cc_line(site):
    """The rendered site with this test's list in $intake_published_cc."""
    anchor = "map $request_uri $intake_published_cc {\n"
    assert anchor in site, "the site has no $intake_published_cc map"
    return site.replace(anchor, anchor + CC_LINE)


def directives(headers):
    """Cache-Control as {directive: value}, every line of it merged."""
    out = {}
    for part in headers.get("Cache-Control", "").split(","):
        part = part.strip()
        if part:
            k, _, v = part.partition("=")
            out[k.strip().lower()] = v.strip()
    return out


def report_calls(state):
    sid = REPORT_SIDS["departments"]
    return [c for c in state["calls"] if sid in c["path"] and not c["path"].endswith("/filters")]


class Published(Stack):
    variant = "v8-apikey"
    sections = SECTIONS
    publish = True
    server = {"workers": "2", "cache_entry_max": "1048576",
              "cors_origins": "https://intranet.example"}
    nginx_site_edit = staticmethod(with_cc_line)

    def setUp(self):
        super().setUp()
        self.file = os.path.join(self.workdir, "published/api/choices/departments.json")

    def get_raw(self, path=LIST, headers=None, past_micro_cache=False):
        """(status, headers, body), Cache-Control's and Vary's lines joined.  past_micro_cache:
        an Accept of its own (still one a published file answers), so that nginx's
        micro-cache, which keys on Accept, cannot answer for the workers."""
        import urllib.error
        import urllib.request
        headers = dict(headers or {})
        if past_micro_cache:
            self.n = getattr(self, "n", 0) + 1
            headers["Accept"] = "application/json, */*;q=0.%03d" % (self.n % 1000)
        req = urllib.request.Request(self.nginx.url + path, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, msg, body = r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            status, msg, body = e.code, e.headers, e.read()
        h = {k: v for k, v in msg.items()}
        for name in ("Cache-Control", "Vary"):
            h[name] = ", ".join(msg.get_all(name) or [])
        return status, h, body

    def published(self):
        """The first answer from the workers, and then the published one."""
        status, first_h, first = self.get_raw()
        self.assertEqual(status, 200, first)
        self.assertIn(first_h["X-Intake-Cache"], ("miss", "hit"))
        wait_for(lambda: os.path.exists(self.file), what="the list's file")
        status, h, body = self.get_raw()
        self.assertEqual((status, h["X-Intake-Cache"]), (200, "published"))
        return first_h, first, h, body

    def test_fresh_list_is_sent_from_its_file_with_intakes_headers(self):
        first_h, first, h, body = self.published()
        self.assertEqual(body, first)
        self.assertEqual(json.loads(body)["total"], 120)
        self.assertEqual(h["ETag"], first_h["ETag"])
        self.assertEqual(h["Content-Type"], "application/json; charset=utf-8")
        self.assertEqual(h["X-Content-Type-Options"], "nosniff")
        self.assertNotIn("Last-Modified", h)
        self.assertEqual({v.strip() for v in h["Vary"].split(",")} - {"Accept-Encoding"},
                         {"Accept", "Origin"})
        mine, theirs = directives(first_h), directives(h)
        self.assertEqual(set(mine), set(theirs), (first_h["Cache-Control"], h["Cache-Control"]))
        self.assertEqual((theirs["stale-while-revalidate"], theirs["stale-if-error"]),
                         (str(TTL), str(STALE_TTL)))
        # The same freshness, in whole seconds (a second may pass between them).
        self.assertLessEqual(abs(int(mine["max-age"]) - int(theirs["max-age"])), 1)
        self.assertLessEqual(int(theirs["max-age"]), TTL)
        # Served by nginx alone: one report call in all, the workers' first.
        self.assertEqual(len(report_calls(self.standin.state())), 1)
        st = os.stat(self.file)
        self.assertEqual(st.st_mode & 0o777, 0o644)

    def test_gzip_clients_get_the_gzipped_copy_of_the_same_bytes(self):
        import gzip
        _, first, _, _ = self.published()
        status, h, body = self.get_raw(headers={"Accept-Encoding": "gzip"})
        self.assertEqual((status, h["X-Intake-Cache"]), (200, "published"))
        self.assertEqual(h.get("Content-Encoding"), "gzip")
        self.assertEqual(gzip.decompress(body), first)
        # Sent from the .gz file, not compressed for this request (nginx
        # weakens the ETag of what it compresses on the fly: W/"...").
        self.assertFalse(h["ETag"].startswith("W/"), h["ETag"])
        self.assertIn("Accept-Encoding", h.get("Vary", ""))
        self.assertIn("max-age", directives(h))

    def test_same_etag_and_304_on_both_paths(self):
        _, _, h, _ = self.published()
        etag = h["ETag"]
        status, h304, _ = self.get_raw(headers={"If-None-Match": etag})
        self.assertEqual((status, h304.get("X-Intake-Cache")), (304, "published"))
        # The same answer asked another way goes to a worker: same ETag, 304 too.
        status, hw, _ = self.get_raw(LIST + "?format=json")
        self.assertEqual(status, 200)
        self.assertNotEqual(hw["X-Intake-Cache"], "published")
        self.assertEqual(hw["ETag"], etag)
        status, _, _ = self.get_raw(LIST + "?format=json&page=1", headers={"If-None-Match": etag})
        self.assertEqual(status, 304)

    def test_every_other_request_reaches_the_workers(self):
        self.published()
        cases = [
            (LIST + "?q=net", {}),
            (LIST + "?parent=Finance", {}),
            (LIST + "?per_page=5", {}),
            (LIST, {"Accept": "text/html"}),
            (LIST, {"Origin": "https://intranet.example"}),
            (LIST, {"Origin": "https://evil.example"}),
        ]
        for path, headers in cases:
            status, h, body = self.get_raw(path, headers)
            self.assertEqual(status, 200, (path, headers, body))
            self.assertNotEqual(h.get("X-Intake-Cache"), "published", (path, headers))
        _, h, _ = self.get_raw(LIST, {"Origin": "https://intranet.example"})
        self.assertEqual(h.get("Access-Control-Allow-Origin"), "https://intranet.example")
        _, h, body = self.get_raw(LIST, {"Accept": "text/html"})
        self.assertIn(b"<option", body)

    def test_path_tricks_never_read_the_directory(self):
        self.published()
        os.makedirs(os.path.join(self.workdir, "published/secret"), exist_ok=True)
        with open(os.path.join(self.workdir, "published/secret/x.json"), "w") as f:
            f.write("SECRET")
        for path in ("/api/choices/departments.json", "/api/choices/DEPARTMENTS",
                     "/api/choices/../secret/x", "/api/choices/..%2fsecret%2fx",
                     "/api/choices/%2e%2e/secret/x", "/api/choices/.departments.json.1",
                     "/api/choices/departments%00", "/api/choices/departments/",
                     "/api/reports/departments"):
            status, h, body = self.get_raw(path)
            self.assertNotIn(b"SECRET", body, path)
            self.assertNotEqual(h.get("X-Intake-Cache"), "published", path)
            self.assertIn(status, (400, 404), (path, body))

    def test_freshness_ends_then_the_workers_answer_and_publish_again(self):
        _, _, h, _ = self.published()
        etag = h["ETag"]
        # intake removes the file once the list is no longer fresh ...
        wait_for(lambda: not os.path.exists(self.file), timeout=TTL + 10,
                 what="the file to go when the list stops being fresh")
        # ... so the workers answer, refresh it, and publish the new copy.
        wait_for(lambda: self.get_raw(past_micro_cache=True)[1]["X-Intake-Cache"]
                 in ("miss", "hit"), timeout=TTL + 10, what="a fresh list from the workers")
        wait_for(lambda: self.get_raw()[1]["X-Intake-Cache"] == "published",
                 timeout=TTL + 10, what="the refreshed list published")
        _, h, _ = self.get_raw()
        self.assertNotEqual(h["ETag"], etag)
        self.assertGreaterEqual(len(report_calls(self.standin.state())), 2)

    def test_stale_if_error_is_served_by_the_workers_never_published(self):
        self.published()
        self.standin.control("/__sim/fail-next?status=503&count=1000&path=/")
        wait_for(lambda: not os.path.exists(self.file), timeout=TTL + 10,
                 what="the file to go when the list stops being fresh")
        # (The file goes at the whole second: the workers may still call the
        # list fresh for the rest of it.)
        wait_for(lambda: self.get_raw(past_micro_cache=True)[1]["X-Intake-Cache"] != "hit",
                 timeout=5, what="the list to be stale")
        for _ in range(5):
            status, h, body = self.get_raw(past_micro_cache=True)
            self.assertEqual((status, h["X-Intake-Cache"]), (200, "stale-error"))
            self.assertEqual(json.loads(body)["total"], 120)
            self.assertEqual(directives(h)["max-age"], "0")
        time.sleep(1.5)   # a sweep and a worker's chance to (wrongly) publish
        self.assertFalse(os.path.exists(self.file), "a stale list was published")
        self.standin.control("/__sim/fault?mode=clear")
        wait_for(lambda: self.get_raw()[1]["X-Intake-Cache"] == "published",
                 timeout=30, step=0.5, what="the list published again after recovery")

    def test_the_pool_empties_the_directory_when_it_stops(self):
        self.published()
        stray = os.path.join(self.workdir, "published/api/choices/.stray.json.1")
        with open(stray, "w") as f:
            f.write("x")
        self.pool.stop()
        self.assertFalse(os.path.exists(self.file))
        self.assertFalse(os.path.exists(stray))
        # nginx looks at an open published file again after a second.
        wait_for(lambda: self.get_raw(past_micro_cache=True)[0] == 502, timeout=10,
                 what="502 once the pool and its lists are gone")


if __name__ == "__main__":
    unittest.main()
