"""Fitting a real tenant (issue 14): what a tenant that differs from the
stand-in's defaults makes intake do, end to end through nginx and the
workers.

- A start Integrify refuses with 400 logs Integrify's reason (escaped,
  bounded), and the user never sees it.
- A JSON report run with no rows is an empty list, in every reply shape,
  in both dialects, for /api/choices and /api/reports.
- Without the request search, an unclear v8 start is settled through the
  request list ([spool] lookup = list); without that key it is held, and
  the log names the key.
- v7 requests carry the reference in their name, and the receipt shows
  the request id whichever shape the start reply has."""

import json
import os
import re
import shutil
import tempfile
import time
import urllib.parse

from harness import REPORT_SIDS, SRC, Stack, http, logfmt, log_events, wait_for
from test_forms import SECTIONS
from test_form_post import V7_FORM
from test_spool import LIST_SHAPES, SpoolStack, good, good_v7

V8_FORM = os.path.join(SRC, "conf/forms/it-request.conf")


def post_form(stack, form, fields, timeout=30):
    """A fresh form token for form, then the post as a JSON client."""
    status, _, page = stack.get("/forms/" + form)
    stack.assertEqual(status, 200, page[:300])
    tok = re.search(r'name="_token" value="([^"]+)"', page).group(1)
    time.sleep(1.1)     # forms filled faster than a second are refused as bots
    body = urllib.parse.urlencode([("_token", tok)] + list(fields)).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded",
               "Origin": stack.nginx.url, "Accept": "application/json"}
    return http(stack.nginx.url + "/forms/" + form, method="POST", headers=headers,
                body=body, timeout=timeout)


# --------------------------------------------------------------------------
# 3. A refused start names its cause in the log, not to the user

class RefusedStartReason(SpoolStack):
    """A form whose field key is the question's label, not its id (the
    mistake the issue found): Integrify refuses every start with 400."""

    @classmethod
    def setUpClass(cls):
        cls.formsdir = tempfile.mkdtemp(prefix="intake-forms-")
        with open(V8_FORM) as src:
            text = src.read()
        # requester_name's key: its label instead of its question id.
        text = re.sub(r"(\[field:requester_name\][^\[]*?key = )\S+", r"\1Subject", text)
        with open(os.path.join(cls.formsdir, "label-key.conf"), "w") as f:
            f.write(text)
        cls.server = dict(SpoolStack.server, forms_dir=cls.formsdir)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.formsdir, ignore_errors=True)

    def test_refused_start_logs_integrifys_reason_never_shows_it(self):
        status, _, body = post_form(self, "label-key", good(1))
        self.assertEqual(status, 202, body)
        doc = json.loads(body)
        self.assertEqual(doc["status"], "held")
        # The stand-in's 400 said why; the log line carries it.
        lines = [logfmt(l) for l in self.pool.log_text().splitlines()
                 if "event=upstream_failed" in l and "status=400" in l]
        self.assertEqual(len(lines), 1, lines)
        self.assertIn("/api/instance/start/", lines[0]["path"])
        self.assertIn("unknown question key 'Subject'", lines[0]["reason"])
        self.assertLessEqual(len(lines[0]["reason"].encode()), 200)
        # Never to the user: not in the answer, not on the receipt.
        for text in (body, self.get("/forms/label-key/receipt?ref=" + doc["reference"])[2],
                     self.get("/forms/label-key/receipt?ref=" + doc["reference"],
                              headers={"Accept": "application/json"})[2]):
            self.assertNotIn("unknown question", text)
            self.assertNotIn("Subject", text)
        self.assert_no_secrets(self.pool.log_text())
        self.assertEqual(self.instances(), [])
        print("the log says: %s" % lines[0]["reason"])

    def test_reason_of_a_hostile_reply_is_escaped_and_bounded(self):
        """A 400 whose text is long, multi-line and not ASCII: one line, escaped,
        cut on a character boundary."""
        reason = "Zürich \"quoted\"\r\nlevel=error injected=1 " + "ü" * 400
        self.standin.control("/__sim/fail-next?status=400&count=1&path=/api/instance/start"
                             "&body=" + urllib.parse.quote(reason))
        status, _, body = post_form(self, "label-key", good(2))
        self.assertEqual(status, 202, body)
        lines = [l for l in self.pool.log_text().splitlines()
                 if "event=upstream_failed" in l and "status=400" in l]
        self.assertEqual(len(lines), 1, lines)
        self.assertNotIn("\n", lines[0])
        self.assertNotIn("injected=1 ", lines[0].split("reason=", 1)[0])
        got = logfmt(lines[0])["reason"]
        self.assertTrue(got.startswith('Zürich "quoted" level=error injected=1 üü'), got)
        self.assertTrue(got.endswith("..."), got)
        self.assertLessEqual(len(got.encode()), 200)
        got.encode("utf-8")         # whole characters only
        self.assertNotIn("Zürich", body)


# --------------------------------------------------------------------------
# 4. Empty results are results

EMPTY_SECTIONS = """
[source:regions]
report = {regions}
fetch = json
value_column = Code
label_column = Region

[source:locations]
report = {locations}
fetch = json
value_column = Code
label_column = Location
filter.parent = Region
check.parent = pattern:[A-Z]{{2,12}}

[report:assets]
report = {assets}
fetch = json
columns = Tag, Owner
filter.owner = Owner
check.owner = pattern:[a-z][a-z0-9._-]{{0,63}}
""".format(**REPORT_SIDS)

RUN_SHAPES = ("items", "Items", "rows", "bare")


class EmptyJsonRunV7(Stack):
    variant = "v7-impersonate"
    sections = EMPTY_SECTIONS
    server = {"workers": "2", "cache_entry_max": "1048576"}

    def get_json(self, path):
        status, _, body = self.get(path, headers={"Accept": "application/json"})
        return status, body

    def test_empty_run_is_an_empty_list_in_every_shape(self):
        for n, shape in enumerate(RUN_SHAPES):
            self.standin.call("POST", "/__sim/config", {"variants": {"report_run_shape": shape}})
            # A region no location is in: distinct per shape, so each is fetched.
            status, body = self.get_json("/api/choices/locations?parent=NOWHERE" + "ABCD"[n])
            self.assertEqual(status, 200, "%s: %s" % (shape, body))
            doc = json.loads(body)
            self.assertEqual((doc["items"], doc["total"], doc["more"]), ([], 0, False), shape)
            status, _, body = self.get("/api/choices/locations?format=select2&parent=NOWHERE" +
                                       "ABCD"[n])
            self.assertEqual((status, json.loads(body)["results"]), (200, []), shape)
            status, body = self.get_json("/api/reports/assets?format=json&owner=nobody" + str(n))
            self.assertEqual(status, 200, "%s: %s" % (shape, body))
            doc = json.loads(body)
            self.assertEqual((doc["rows"], doc["total"], doc["columns"]),
                             ([], 0, ["Tag", "Owner"]), shape)
            status, _, body = self.get("/api/reports/assets?format=csv&owner=nobody" + str(n))
            self.assertEqual((status, body.strip()), (200, "Tag,Owner"), shape)
            # The same shape with rows still reads them.
            status, body = self.get_json("/api/choices/locations?parent=EMEA")
            self.assertEqual(status, 200, body)
            self.assertGreater(len(json.loads(body)["items"]), 0, shape)
            self.assertEqual(json.loads(self.get_json("/api/choices/regions")[1])["total"], 3)
            print("%s: empty list" % shape)
        self.assertEqual([l for l in log_events(self.pool.log_text(), "server_error")], [])


class EmptyJsonRunV8(EmptyJsonRunV7):
    variant = "v8-apikey"


# --------------------------------------------------------------------------
# 5. Exactly-once without the request search

class NoSearch(SpoolStack):
    """A v8 tenant whose request search answers 404 (instance_search = no)."""

    def setUp(self):
        super().setUp()
        self.standin.call("POST", "/__sim/config", {"variants": {"instance_search": "no"}})

    def lost_answer(self, n):
        """A start Integrify processed but whose answer was lost: 202 queued; the reference."""
        self.standin.control("/__sim/fault?mode=drop&count=1&path=/api/instance/start")
        status, _, body = post_form(self, "it-request", good(n))
        self.assertEqual(status, 202, body)
        self.assertEqual(json.loads(body)["status"], "queued")
        return json.loads(body)["reference"]


class NoRequestSearch(NoSearch):
    def test_without_lookup_config_unclear_start_is_held_and_the_log_names_the_key(self):
        ref = self.lost_answer(1)
        wait_for(lambda: self.readyz()["spool"]["held"] == 1, timeout=60, step=0.3,
                 what="the unclear start to be held")
        advice = [l for l in self.pool.log_text().splitlines()
                  if ref in l and "request search is unavailable" in l]
        self.assertTrue(advice, self.pool.log_text()[-2000:])
        self.assertIn("[spool] lookup = list", advice[0])
        # Held, not started again: the lost answer's request is the only one.
        self.assertEqual(len(self.instances()), 1)
        print("the log says: %s" % advice[0][-200:])


class RequestListLookup(NoSearch):
    spool = dict(SpoolStack.spool, lookup="list")

    def test_unclear_start_is_settled_through_the_request_list(self):
        refs = {}
        for n in range(3):
            refs[self.lost_answer(n)] = n
        wait_for(self.drained, timeout=90, step=0.3, what="delivery")
        self.assertEqual(self.readyz()["spool"], {"queued": 0, "held": 0})
        # One request each, whatever the log says: a second start would show here.
        self.assert_exactly_once(refs)

        # The receipt is written (and the queue counts one less) just before
        # the line is logged: wait for the line rather than read the log once.
        def delivered():
            return {l["ref"]: l.get("how") for l in
                    log_events(self.pool.log_text(), "submission_delivered")}
        wait_for(lambda: set(refs) <= set(delivered()), timeout=10, step=0.1,
                 what="a delivered line for each reference")
        how = delivered()
        self.assertEqual({r: how[r] for r in refs},
                         {r: "was found started by an earlier attempt" for r in refs},
                         "\n".join(l for l in self.pool.log_text().splitlines()
                                    if any(r in l for r in refs)))
        # The search was never asked; the list was.
        calls = self.standin.state()["calls"]
        self.assertEqual([c for c in calls if c["path"].startswith("/api/instance/list")
                          and c["status"] == 200], [])
        self.assertTrue([c for c in calls if c["path"] == "/instances/mine"])
        for ref in refs:
            status, _, body = self.get("/forms/it-request/receipt?ref=" + ref,
                                       headers={"Accept": "application/json"})
            self.assertEqual(json.loads(body)["status"], "started", body)
            self.assertNotEqual(json.loads(body)["request_id"], "", body)

    def test_request_list_in_every_reply_shape_never_starts_twice(self):
        """The list in camelCase, PascalCase, bare, wrapped, string ids, extra
        fields, and items without ids: one request each, or held."""
        self.lost_answer_in_every_list_shape(
            good, "/api/instance/start", lambda i, ref: self.reference_of(i) == ref)

    def test_request_list_refused_holds_and_names_the_other_key(self):
        self.standin.control("/__sim/fail-next?status=403&count=1000&path=/instances/mine")
        ref = self.lost_answer(5)
        wait_for(lambda: self.readyz()["spool"]["held"] == 1, timeout=60, step=0.3,
                 what="the unclear start to be held")
        advice = [l for l in self.pool.log_text().splitlines()
                  if ref in l and "request list is unavailable" in l]
        self.assertTrue(advice)
        self.assertIn("[spool] lookup = search", advice[0])
        self.assertEqual(len(self.instances()), 1)


# --------------------------------------------------------------------------
# 6. v7 requests carry the reference; the receipt shows the request id

class V7Reference(SpoolStack):
    variant = "v7-impersonate"

    @classmethod
    def setUpClass(cls):
        cls.formsdir = tempfile.mkdtemp(prefix="intake-forms-")
        with open(os.path.join(cls.formsdir, "it-request.conf"), "w") as f:
            f.write(V7_FORM.replace("[field:", "reference_key = intake_reference\n[field:", 1))
        cls.server = dict(SpoolStack.server, forms_dir=cls.formsdir)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.formsdir, ignore_errors=True)

    def test_request_named_and_id_shown_in_both_reply_shapes(self):
        for n, (shape, named) in enumerate([("doc", "yes"), ("SID", "yes"), ("SID", "no"),
                                            ("both", "no")]):
            what = "start reply %s, names taken: %s" % (shape, named)
            self.standin.call("POST", "/__sim/config", {"variants": {
                "v7_start_shape": shape, "v7_request_name": named}})
            status, _, body = post_form(self, "it-request", good_v7(n))
            self.assertEqual(status, 201, "%s: %s" % (what, body))
            doc = json.loads(body)
            ref = doc["reference"]
            inst = next(i for i in self.instances()
                        if i["values"].get("intake_reference") == ref)
            self.assertEqual(doc["request_id"], str(inst["id"]), what)
            self.assertEqual(doc["instance_sid"], inst["sid"], what)
            status, _, body = self.get("/forms/it-request/receipt?ref=" + ref,
                                       headers={"Accept": "application/json"})
            self.assertEqual(json.loads(body)["request_id"], str(inst["id"]), what)
            if named == "yes":
                self.assertEqual(inst["name"], "IT request (v7) (%s)" % ref, what)
            else:
                self.assertEqual(inst["name"], "IT Request (API intake)", what)
            print("%s: request %s named %r" % (what, inst["id"], inst["name"]))
