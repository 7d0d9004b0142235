"""A flood of client-chosen list parameters cannot flush the lists a form
needs, and its upstream fetches stay within filtered_fetch_rate.

10,000 requests with distinct parameter values (never-offered parents,
offered ones, distinct owners that pass the pattern, owners that do not,
searches and pages) go straight to the workers' FastCGI socket, so what is
tested is intake's own defence and not a limit of the nginx site.  Then
Integrify goes away, and every worker must still render the form with its
full lists (stale-if-error).
"""

import html
import os
import random
import re
import time
import unittest
from concurrent.futures import ThreadPoolExecutor

import fcgi
from harness import REPORT_SIDS, SRC, Stack, fixture_report

RATE = 20          # filtered_fetch_rate: filtered fetches per source a minute
FILTERED_SOURCES = 2  # department_by_division (parent), assets (owner)
TTL = 2            # the form's lists go stale quickly, so stale-if-error is what serves them
CALLS_PER_FETCH = 2  # v7 CSV: the report's filter definitions, then the export

SECTIONS = """
[source:divisions]
report = {divisions}
value_column = Division
label_column = Title
ttl = {ttl}
stale_ttl = 600

[source:departments]
report = {departments}
value_column = Code
label_column = Department
ttl = {ttl}
stale_ttl = 600

[source:department_by_division]
report = {departments}
value_column = Code
label_column = Department
filter.parent = Division
check.parent = source:divisions

[source:regions]
report = {regions}
value_column = Code
label_column = Region
ttl = {ttl}
stale_ttl = 600

[source:locations]
report = {locations}
value_column = Code
label_column = Location
filter.parent = Region
check.parent = source:regions
ttl = {ttl}
stale_ttl = 600

[source:categories]
report = {categories}
value_column = ID
label_column = Category
ttl = {ttl}
stale_ttl = 600

[source:priorities]
report = {priorities}
value_column = Code
label_column = Priority
ttl = {ttl}
stale_ttl = 600

[source:accessories]
report = 0f363b73-973c-534b-be42-6609ae3d28dd
value_column = Accessory
label_column = Label
ttl = {ttl}
stale_ttl = 600

[report:assets]
report = {assets}
page_size = 5
filter.owner = Owner
check.owner = pattern:[a-z][a-z0-9._-]{{0,63}}
""".format(ttl=TTL, **REPORT_SIDS)

# The form's choice fields: source -> (report name for the fixture, value column).
FORM_SOURCES = {"departments": ("departments", 0), "regions": ("regions", 0),
                "locations": ("locations", 0), "categories": ("categories", 0)}
ACCESSORIES = ["Docking station", "USB-C charger", "Second monitor"]
DIVISIONS = sorted({r[2] for r in fixture_report("departments")["rows"]})


def burst_requests(seed=10):
    """10,000 (kind, path, query) with distinct client-chosen values, shuffled."""
    rnd = random.Random(seed)
    reqs = []
    for i in range(2000):   # parents never offered
        junk = "".join(rnd.choice("abcdefXYZ0123 -_") for _ in range(rnd.randint(1, 24)))
        reqs.append(("parent_bad", "/api/choices/department_by_division",
                     "parent=%s%d" % (junk.replace(" ", "+"), i)))
    for i in range(500):    # parents offered: few distinct keys, each a filtered list
        reqs.append(("parent_ok", "/api/choices/department_by_division",
                     "parent=" + DIVISIONS[i % len(DIVISIONS)].replace(" ", "+").replace("&", "%26")))
    for i in range(3000):   # owners the pattern takes: each a distinct filtered key
        reqs.append(("owner_ok", "/api/reports/assets", "format=json&owner=user%05d.x" % i))
    for i in range(1000):   # owners the pattern refuses
        bad = rnd.choice(["Upper%d", "has+space%d", "%%27+OR+1%%3D1+%d", "-lead%d", "x%%00%d"])
        reqs.append(("owner_bad", "/api/reports/assets", "owner=" + (bad % i)))
    for i in range(2000):   # searches and pages: answered from the cached list
        reqs.append(("search", "/api/choices/departments",
                     "q=%s%d&page=%d" % (rnd.choice("aeiou"), i, 1 + i % 50)))
    for i in range(1500):
        reqs.append(("page", "/api/choices/locations",
                     "page=%d&per_page=%d" % (1 + i, 1 + i % 100)))
    rnd.shuffle(reqs)
    return reqs


def is_filtered_call(call):
    """A report call made for a filtered list (its filters, or an export with filters=)."""
    if not any(sid in call["path"] for sid in REPORT_SIDS.values()):
        return False
    return call["path"].endswith("/filters") or "filters" in (call.get("query") or "")


class ListFlood(Stack):
    variant = "v7-impersonate"
    # Every worker may wait on Integrify here: the upstream slots are not the
    # subject (test_slow_upstream), the filtered budget is.
    server = {"workers": "4", "log_level": "debug", "forms_dir": os.path.join(SRC, "conf/forms"),
              "filtered_entries": "64", "filtered_fetch_rate": str(RATE),
              "upstream_slots": "4", "upstream_wait_ms": "60000"}
    sections = SECTIONS

    def fcgi(self, path, query=""):
        return fcgi.request(self.pool.sock, path, query)

    def check_form(self, body):
        """The page holds every value of every list the form shows."""
        for src, (report, col) in FORM_SOURCES.items():
            for row in fixture_report(report)["rows"]:
                self.assertIn('value="%s"' % html.escape(row[col], quote=True).replace("&#x27;", "&#39;"),
                              body, "%s lost %s" % (src, row[col]))
        for a in ACCESSORIES:
            self.assertIn('value="%s"' % a, body)

    def test_flood_of_distinct_filter_values_keeps_the_form_up(self):
        status, _, body = self.fcgi("/forms/it-request")
        self.assertEqual(status, 200, body)
        self.check_form(body)
        since = self.standin.state()["next"]

        reqs = burst_requests()
        self.assertEqual(len(reqs), 10000)
        t0 = time.time()
        with ThreadPoolExecutor(16) as ex:
            results = list(ex.map(lambda r: (r[0],) + self.fcgi(r[1], r[2])[::2], reqs))
        t1 = time.time()

        by_kind = {}
        for kind, status, body in results:
            code = re.search(r'"code":"([a-z_]+)"', body) if status != 200 else None
            key = "%d%s" % (status, "/" + code.group(1) if code else "")
            by_kind.setdefault(kind, {}).setdefault(key, 0)
            by_kind[kind][key] += 1
        print("\nburst of %d requests in %.1f s: %s" % (len(reqs), t1 - t0, by_kind))
        # Never-offered parents and refused owners: 400, nothing fetched for them.
        self.assertEqual(by_kind["parent_bad"], {"400/bad_parameter": 2000})
        self.assertEqual(by_kind["owner_bad"], {"400/bad_parameter": 1000})
        # Searches and pages are answered from the cached list.
        self.assertEqual(by_kind["search"], {"200": 2000})
        self.assertEqual(by_kind["page"], {"200": 1500})
        # Offered parents are few keys: the owner flood does not hold them back.
        self.assertEqual(by_kind["parent_ok"], {"200": 500})
        # Distinct owners: fetched within the budget, then held back.
        self.assertLessEqual(set(by_kind["owner_ok"]), {"200", "503/lists_busy"})
        self.assertGreater(by_kind["owner_ok"].get("503/lists_busy", 0), 0,
                           "the burst never reached filtered_fetch_rate")

        calls = self.standin.state(since)["calls"]
        filtered = [c for c in calls if is_filtered_call(c)]
        reports = [c for c in calls if any(s in c["path"] for s in REPORT_SIDS.values())]
        windows = int(t1 // 60) - int(t0 // 60) + 1
        budget = RATE * FILTERED_SOURCES * windows * CALLS_PER_FETCH
        print("upstream report calls caused by the burst: %d for filtered lists (budget %d: "
              "filtered_fetch_rate %d x %d sources x %d minute window(s) x %d calls a fetch), "
              "%d in all (the rest refresh the unfiltered lists every ttl = %d s)"
              % (len(filtered), budget, RATE, FILTERED_SOURCES, windows, CALLS_PER_FETCH,
                 len(reports), TTL))
        self.assertLessEqual(len(filtered), budget)

        # Integrify goes away; once the lists are stale, every worker must
        # serve the form from the last good lists.
        self.standin.stop()
        time.sleep(TTL + 0.5)
        workers = set(self.pool.workers())
        self.assertEqual(len(workers), 4)
        served = {}
        statuses = []
        for _ in range(20):
            with ThreadPoolExecutor(8) as ex:
                pages = list(ex.map(lambda _: self.fcgi("/forms/it-request"), range(40)))
            for status, _, body in pages:
                statuses.append(status)
                self.assertEqual(status, 200, body[:300])
                self.check_form(body)
            served = {}
            for m in re.finditer(r"pid=(\d+) (?:req=\S+ )?event=log "
                                 r"msg=\"report (\w+): served the last good list",
                                 self.pool.log_text()):
                served.setdefault(int(m.group(1)), set()).add(m.group(2))
            if all(set(FORM_SOURCES) | {"accessories"} <= served.get(w, set()) for w in workers):
                break
        print("form pages with Integrify down: %d, all 200; workers serving the last good "
              "lists: %d of %d" % (len(statuses), len([w for w in workers if w in served]),
                                   len(workers)))
        for w in workers:
            self.assertLessEqual(set(FORM_SOURCES) | {"accessories"}, served.get(w, set()),
                                 "worker %d did not serve the form's lists stale-if-error" % w)


if __name__ == "__main__":
    unittest.main()
