"""The durable spool: no acknowledged submission is lost, none is started
twice, through an Integrify outage, 503s, answers lost after processing,
workers and the dispatcher killed, a restart and a corrupt spool file.

The counts come from the stand-in itself (its instances, saved across its
own restart), and every reference a client was given must map to exactly
one request holding that client's values."""

import collections
import fcntl
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

from harness import BUILD, SRC, Stack, http, logfmt, wait_for
from test_form_post import V7_FORM
from test_forms import SECTIONS

FORM = "it-request"
REF_RE = re.compile(r"^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$")
SPOOL_TOOL = os.path.join(BUILD, "sbin", "intake-spool")


def good(n):
    """A valid submission whose description says which one it is."""
    return [("requester_name", "Zoë Client %d" % n), ("requester_email", "zoe@example.com"),
            ("department", "IT-010"), ("location", "ZRH-01"), ("category", "CAT-0645"),
            ("priority", "P2"), ("description", "Fault test form #%05d, ünïcödé \"q\"" % n),
            ("needed_by", "2027-02-28"), ("asset_tag", "104233"),
            ("accessories", "Headset"), ("accessories", "Keyboard & mouse")]


# Every shape the stand-in can give its request lists (its instance_list_*
# variants): the search that decides "started already?" must read each.
LIST_DEFAULTS = {"instance_list_shape": "camel", "instance_list_ids": "number",
                 "instance_list_extra": "no", "instance_list_sid": "yes"}
LIST_SHAPES = [
    ("camelCase", {}),
    ("PascalCase", {"instance_list_shape": "pascal"}),
    ("a bare array", {"instance_list_shape": "bare"}),
    ("a wrapper under another key", {"instance_list_shape": "wrapped"}),
    ("ids as strings", {"instance_list_ids": "string"}),
    ("extra fields", {"instance_list_extra": "yes"}),
    ("PascalCase, string ids and extra fields", {"instance_list_shape": "pascal",
                                                  "instance_list_ids": "string",
                                                  "instance_list_extra": "yes"}),
    ("items without any id", {"instance_list_sid": "no"}),
]


class SpoolStack(Stack):
    variant = "v8-apikey"
    sections = SECTIONS
    spool = {"retry_base": "1", "retry_max": "4", "scan_interval_ms": "200",
             "breaker_failures": "5", "breaker_cooldown": "2"}
    server = {"workers": "4", "cache_entry_max": "1048576",
              "forms_dir": os.path.join(SRC, "conf/forms"),
              "rate_per_client": "0", "rate_per_form": "0"}
    integrify = {"timeout_ms": "3000", "connect_timeout_ms": "1000"}
    standin_keeps_state = True

    # --- helpers -----------------------------------------------------------

    def tokens(self, n):
        """n form tokens, old enough to be accepted (forms filled in under a second are bots)."""
        out = []
        while len(out) < n:
            status, _, body = self.get("/forms/" + FORM)
            self.assertEqual(status, 200, body[:300])
            out.append(re.search(r'name="_token" value="([^"]+)"', body).group(1))
        time.sleep(1.1)
        return out

    def post(self, token, fields, timeout=30):
        body = urllib.parse.urlencode([("_token", token)] + fields).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "Origin": self.nginx.url, "Accept": "application/json"}
        try:
            return http(self.nginx.url + "/forms/" + FORM, method="POST", headers=headers,
                        body=body, timeout=timeout)
        except OSError as e:            # the connection itself failed: not acknowledged
            return 0, {}, str(e)

    def submit_until_acknowledged(self, token, fields, stats, lock):
        """Post (again with the same token, as a browser retry would) until intake
        acknowledges; the reference it gives."""
        for _ in range(200):
            t0 = time.monotonic()
            status, _, body = self.post(token, fields)
            with lock:
                stats["latency"].append(time.monotonic() - t0)
                stats["status %d" % status] += 1
            if status in (200, 201, 202):
                doc = json.loads(body)
                self.assertRegex(doc["reference"], REF_RE)
                return doc["reference"], doc["status"]
            self.assertIn(status, (0, 502, 503, 504), body[:300])
            time.sleep(0.2)
        self.fail("never acknowledged")

    def spooled_while_down(self, n):
        """Stop the stand-in and send n forms: each is queued (202).
        {reference: form number}."""
        toks = self.tokens(n)
        self.standin.stop()
        refs = {}
        for i, tok in enumerate(toks):
            status, _, body = self.post(tok, good(i))
            self.assertEqual(status, 202, body)
            doc = json.loads(body)
            self.assertEqual(doc["status"], "queued")
            refs[doc["reference"]] = i
        return refs

    def readyz(self):
        status, _, body = self.get("/readyz")
        return json.loads(body) if status == 200 else None

    def drained(self):
        r = self.readyz()
        return r is not None and r["spool"]["queued"] == 0

    def instances(self):
        return self.standin.call("GET", "/__sim/instances")["instances"]

    def question_key(self, field):
        with open(os.path.join(SRC, "conf/forms/it-request.conf")) as f:
            return dict(re.findall(r"\[field:(\w+)\][^\[]*?key = (\S+)", f.read()))[field]

    # How a request shows its reference and description: v8 in its name and
    # question ids; v7 only in its data-container values.
    fields = staticmethod(good)

    def reference_of(self, inst):
        m = re.search(r"\(([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\)$", inst["name"])
        return m.group(1) if m else None

    def description_of(self, inst):
        return inst["values"].get(self.question_key("description"))

    def assert_exactly_once(self, submitted):
        """submitted: {reference: form number}.  Each reference is in exactly one
        request, that request holds its form's values, and nothing else exists
        (no request without a reference: none left empty)."""
        insts = self.instances()
        by_ref = collections.defaultdict(list)
        for inst in insts:
            ref = self.reference_of(inst)
            self.assertIsNotNone(ref, "a request without a reference: %r" % inst)
            by_ref[ref].append(inst)
        dups = {r: len(v) for r, v in by_ref.items() if len(v) > 1}
        lost = sorted(set(submitted) - set(by_ref))
        extra = sorted(set(by_ref) - set(submitted))
        wrong = [r for r, n in submitted.items() if r in by_ref and
                 self.description_of(by_ref[r][0]) != dict(self.fields(n))["description"]]
        print("\nrequests in the stand-in: %d; acknowledged references: %d; duplicates: %d; "
              "lost: %d; unexpected: %d; wrong values: %d" % (
                  len(insts), len(submitted), sum(v - 1 for v in dups.values()), len(lost),
                  len(extra), len(wrong)), file=sys.stderr)
        self.assertEqual(dups, {})
        self.assertEqual(lost, [])
        self.assertEqual(extra, [])
        self.assertEqual(wrong, [])
        self.assertEqual(len(insts), len(submitted))

    def lost_answer_in_every_list_shape(self, fields, drop_path, named):
        """For each list shape: a start whose answer is lost, then the look before
        the retry reads the list in that shape.  Each ends with exactly one
        request, or (when no item has an id to read) held with a log line that
        quotes Integrify's item; never two.  named(inst, ref): inst is ref's."""
        toks = self.tokens(len(LIST_SHAPES))
        held = 0
        for n, ((what, variants), tok) in enumerate(zip(LIST_SHAPES, toks)):
            self.standin.call("POST", "/__sim/config",
                              {"variants": dict(LIST_DEFAULTS, **variants)})
            before = len(self.instances())
            self.standin.control("/__sim/fault?mode=drop&count=1&path=" + drop_path)
            status, _, body = self.post(tok, fields(n))
            self.assertEqual(status, 202, "%s: %s" % (what, body))
            ref = json.loads(body)["reference"]
            wait_for(self.drained, timeout=60, step=0.3, what="delivery (%s)" % what)
            insts = self.instances()
            self.assertEqual(len(insts), before + 1, "%s: not exactly one request" % what)
            if variants.get("instance_list_sid") == "no":
                held += 1
                self.assertEqual(self.readyz()["spool"]["held"], held, what)
                # The held count moves when the record is buried; its log line
                # follows a moment later, from the process that buried it.
                def held_lines():
                    return [l for l in self.pool.log_text().splitlines()
                            if ref in l and "set aside for a person" in l]
                line = wait_for(held_lines, timeout=10, step=0.1,
                                what="the held line (%s)" % what)
                self.assertEqual(len(line), 1, "%s: %r" % (what, line))
                self.assertIn("item", logfmt(line[0]))
                self.assertNotRegex(line[0], r"[Tt]oken|[Bb]earer")
                shown = self.tool("show", ref)
                self.assertRegex(shown, r"(?m)^held for +Integrify lists a request")
                self.assertRegex(shown, r"(?m)^item +\{")
                print("%s: held, as the log explains: %s" % (what, line[0][-160:]),
                      file=sys.stderr)
            else:
                self.assertEqual(self.readyz()["spool"]["held"], held, what)
                mine = [i for i in insts if named(i, ref)]
                self.assertEqual(len(mine), 1, "%s: %r" % (what, mine))
                self.assertEqual(self.description_of(mine[0]),
                                 dict(fields(n))["description"], what)
                print("%s: exactly one request" % what, file=sys.stderr)

    def tool(self, *args):
        proc = subprocess.run([SPOOL_TOOL, "-c", self.pool.conf] + list(args),
                              capture_output=True, text=True, timeout=30)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return proc.stdout


class FaultInjection(SpoolStack):
    """1,000 forms from 32 clients through every fault at once."""

    FORMS = 1000
    CLIENTS = 32
    start_path = "/api/instance/start"

    def test_1000_forms_through_outage_503_drops_and_kills(self):
        tokens = self.tokens(self.FORMS)
        work = list(enumerate(tokens))
        lock = threading.Lock()
        submitted, statuses = {}, collections.Counter()
        stats = collections.defaultdict(int, latency=[])
        stop_chaos = threading.Event()
        events = []
        t_start = time.monotonic()

        def note(what):
            events.append("%6.1fs %s" % (time.monotonic() - t_start, what))

        def client():
            while True:
                with lock:
                    if not work:
                        return
                    n, tok = work.pop()
                ref, st = self.submit_until_acknowledged(tok, self.fields(n), stats, lock)
                with lock:
                    self.assertNotIn(ref, submitted)
                    submitted[ref] = n
                    statuses[st] += 1
                # People, not a flood: 32 clients send about 14 forms a second, so
                # the 1,000 span every fault below.
                time.sleep(random.uniform(1.5, 3.0))

        def kill_workers():
            kills = 0
            while not stop_chaos.wait(2.0):
                victims = self.pool.workers()
                if victims:
                    os.kill(random.choice(victims), signal.SIGKILL)
                    kills += 1
                if kills % 5 == 0 and self.pool.dispatcher():
                    os.kill(self.pool.dispatcher(), signal.SIGKILL)
                    note("SIGKILL dispatcher")
            note("%d workers SIGKILLed" % kills)

        def faults():
            time.sleep(4)
            note("stand-in stopped")
            self.standin.stop()
            time.sleep(30)
            self.standin.start()
            note("stand-in started again")
            time.sleep(4)
            self.standin.control("/__sim/fail-next?status=503&seconds=10")
            note("503 for 10 s")
            time.sleep(14)
            self.standin.control("/__sim/fault?mode=drop&seconds=10&path=" + self.start_path)
            note("connections dropped after processing for 10 s")
            time.sleep(10)

        threads = [threading.Thread(target=client) for _ in range(self.CLIENTS)]
        chaos = [threading.Thread(target=kill_workers), threading.Thread(target=faults)]
        for t in chaos + threads:
            t.start()
        for t in threads:
            t.join()
        note("all %d acknowledged" % len(submitted))
        chaos[1].join()
        stop_chaos.set()
        chaos[0].join()
        wait_for(self.drained, timeout=180, step=1, what="the spool to drain")
        note("spool drained")
        lat = sorted(stats.pop("latency"))
        print("\n" + "\n".join(events), file=sys.stderr)
        print("answers: %s; acknowledged as %s; POST latency p50 %.3f s, p99 %.3f s" % (
            dict(sorted(stats.items())), dict(statuses), lat[len(lat) // 2],
            lat[int(len(lat) * 0.99)]), file=sys.stderr)
        self.assertEqual(len(submitted), self.FORMS)
        r = self.readyz()
        self.assertEqual(r["spool"], {"queued": 0, "held": 0})
        self.assert_exactly_once(submitted)
        log = self.pool.log_text()
        self.assertIn("breaker: open", log)
        self.assertIn("breaker: closed", log)
        self.assert_no_secrets(log, self.nginx.logs())


class Spool(SpoolStack):

    def test_breaker_answers_fast_and_readyz_shows_it(self):
        refs = self.spooled_while_down(12)
        self.assertIn("breaker: open", self.pool.log_text())
        r = self.readyz()
        # The token is still cached, so intake is ready; the breaker says why nothing moves.
        self.assertEqual(r["breaker"], "open")
        self.assertEqual(r["spool"]["queued"], 12)
        # After the breaker opened, posts were answered without trying Integrify:
        # the stand-in being down, the log has no more failures than the threshold allows.
        self.standin.start()
        wait_for(self.drained, timeout=60, step=0.5, what="the spool to drain")
        self.assertEqual(self.readyz()["breaker"], "closed")
        self.assert_exactly_once(refs)

    def test_receipt_page_follows_a_queued_submission_to_started(self):
        tok = self.tokens(1)[0]
        self.standin.control("/__sim/fail-next?status=503&count=1&path=/api/instance/start")
        status, _, body = self.post(tok, good(1))
        self.assertEqual(status, 202, body)
        ref = json.loads(body)["reference"]
        status, _, page = self.get("/forms/%s/receipt?ref=%s" % (FORM, ref))
        self.assertEqual(status, 200)
        self.assertIn("will be sent to the service desk shortly", page)
        wait_for(self.drained, timeout=30, step=0.3, what="delivery")
        status, _, page = self.get("/forms/%s/receipt?ref=%s" % (FORM, ref))
        self.assertIn("was sent to the service desk as request", page)
        status, _, body = self.get("/forms/%s/receipt?ref=%s" % (FORM, ref),
                                   headers={"Accept": "application/json"})
        doc = json.loads(body)
        self.assertEqual((doc["status"], doc["attempts"]), ("started", 2))
        # The same form posted again finds it: no second request.
        status, _, body = self.post(tok, good(1))
        self.assertEqual((status, json.loads(body)["status"]), (200, "started"))
        self.assert_exactly_once({ref: 1})

    def test_lost_answer_is_found_not_started_again(self):
        """The start got through but its answer was lost: the retry finds it by reference."""
        tok = self.tokens(1)[0]
        self.standin.control("/__sim/fault?mode=drop&count=1&path=/api/instance/start")
        status, _, body = self.post(tok, good(7))
        self.assertEqual(status, 202, body)
        ref = json.loads(body)["reference"]
        wait_for(self.drained, timeout=30, step=0.3, what="delivery")
        self.assert_exactly_once({ref: 7})
        # The line follows the receipt that took it off the queue.
        wait_for(lambda: "was found started by an earlier attempt" in self.pool.log_text(),
                 timeout=10, step=0.1, what="the delivered line")

    def test_lost_answer_searched_in_every_reply_shape_never_starts_twice(self):
        """The search reply in camelCase, PascalCase, bare, wrapped, string ids,
        extra fields, and items without ids: one request each, or held."""
        self.lost_answer_in_every_list_shape(
            good, "/api/instance/start", lambda i, ref: self.reference_of(i) == ref)

    def test_record_left_in_queue_after_its_receipt_is_cleared_not_sent_again(self):
        """A worker killed between writing done/REF and removing queue/REF leaves
        both: the dispatcher must clear the queue copy, without a second start."""
        refs = self.spooled_while_down(1)
        ref = next(iter(refs))
        queued = os.path.join(self.pool.spool_dir, "queue", ref)
        saved = os.path.join(self.workdir, "record")
        shutil.copyfile(queued, saved)
        self.standin.start()
        wait_for(self.drained, timeout=30, step=0.3, what="delivery")
        self.assertTrue(os.path.exists(os.path.join(self.pool.spool_dir, "done", ref)))
        shutil.copyfile(saved, queued)          # the crash's leftover
        wait_for(lambda: not os.path.exists(queued), timeout=30, step=0.3,
                 what="the dispatcher to clear the leftover")
        self.assertTrue(self.drained())
        self.assert_exactly_once(refs)

    def test_every_fault_mode_ends_in_exactly_one_request(self):
        """Each of the stand-in's faults on the start call, one form each."""
        faults = [
            ("slow past the timeout", "/__sim/fault?mode=slow&ms=4000&count=1&path=/api/instance/start"),
            ("500", "/__sim/fail-next?status=500&count=1&path=/api/instance/start"),
            ("503", "/__sim/fail-next?status=503&count=2&path=/api/instance/start"),
            ("429 with Retry-After", "/__sim/fail-next?status=429&retry_after=3&count=1"
                                     "&path=/api/instance/start"),
            ("token refused", "/__sim/revoke"),
            ("dropped before processing", "/__sim/fault?mode=drop-before&count=1"
                                          "&path=/api/instance/start"),
            ("dropped after processing", "/__sim/fault?mode=drop&count=1&path=/api/instance/start"),
        ]
        toks = self.tokens(len(faults))
        refs = {}
        for n, ((what, control), tok) in enumerate(zip(faults, toks)):
            since = self.standin.state()["next"]
            if what == "token refused":
                self.standin.control("/__sim/fault?mode=refuse-token&count=2")
            self.standin.control(control)
            status, _, body = self.post(tok, good(n))
            self.assertIn(status, (201, 202), "%s: %s" % (what, body))
            refs[json.loads(body)["reference"]] = n
            wait_for(self.drained, timeout=60, step=0.3, what="delivery after " + what)
            starts = [c for c in self.standin.state(since)["calls"]
                      if c["path"].startswith("/api/instance/start") and c["method"] == "POST"]
            if what == "429 with Retry-After":
                # Retry-After is a floor, not a timing target: no retry came sooner.
                self.assertGreaterEqual(starts[-1]["t"] - starts[0]["t"], 3.0, starts)
        self.assertEqual(self.readyz()["spool"], {"queued": 0, "held": 0})
        self.assert_exactly_once(refs)

    def test_nothing_that_failed_validation_is_spooled(self):
        tok = self.tokens(1)[0]
        bad = [(k, "x" if k == "description" else v) for k, v in good(1)]
        status, _, body = self.post(tok, bad)
        self.assertEqual(status, 422, body)
        for place in ("queue", "done", "dead", "quarantine"):
            self.assertEqual(os.listdir(os.path.join(self.pool.spool_dir, place)), [], place)
        # tmp/ holds only the workers' spares: empty files made ahead for the next record.
        tmp = os.path.join(self.pool.spool_dir, "tmp")
        for name in os.listdir(tmp):
            self.assertTrue(name.startswith("spare."), name)
            self.assertEqual(os.path.getsize(os.path.join(tmp, name)), 0, name)
        # The same form, corrected, is accepted once.
        status, _, body = self.post(tok, good(1))
        self.assertEqual(status, 201, body)
        self.assert_exactly_once({json.loads(body)["reference"]: 1})

    def test_tenant_without_request_search(self):
        """Where the lookup itself is refused (404), a retry that is known safe
        goes ahead, and one that may have got through is held for a person."""
        toks = self.tokens(2)
        self.standin.control("/__sim/fail-next?status=404&count=1000&path=/api/instance/list")
        self.standin.control("/__sim/fail-next?status=503&count=1&path=/api/instance/start")
        status, _, body = self.post(toks[0], good(1))
        self.assertEqual(status, 202, body)
        safe = json.loads(body)["reference"]
        wait_for(self.drained, timeout=30, step=0.3, what="the safe retry")
        self.standin.control("/__sim/fault?mode=drop&count=1&path=/api/instance/start")
        status, _, body = self.post(toks[1], good(2))
        self.assertEqual(status, 202, body)
        wait_for(lambda: self.readyz()["spool"]["held"] == 1, timeout=30, step=0.3,
                 what="the unsure one to be held")
        self.assertIn("held for a person until the service account can search",
                      self.pool.log_text())
        # The safe one is one request; the held one's lost answer made one too.
        names = [i["name"] for i in self.instances()]
        self.assertEqual(sum(safe in n for n in names), 1)
        self.assertEqual(len(names), 2)

    def test_permanent_refusal_is_held_and_the_tool_requeues_it(self):
        tok = self.tokens(1)[0]
        self.standin.control("/__sim/fail-next?status=400&count=1&path=/api/instance/start")
        status, _, body = self.post(tok, good(3))
        self.assertEqual(status, 202, body)
        doc = json.loads(body)
        self.assertEqual(doc["status"], "held")
        ref = doc["reference"]
        self.assertEqual(self.readyz()["spool"], {"queued": 0, "held": 1})
        out = self.tool("list", "held")
        self.assertIn(ref, out)
        self.assertIn("HTTP 400", out)
        self.assertIn("requeued", self.tool("retry", ref))
        wait_for(self.drained, timeout=30, step=0.3, what="delivery after retry")
        self.assertEqual(self.readyz()["spool"], {"queued": 0, "held": 0})
        self.assert_exactly_once({ref: 3})
        self.assertIn("started", self.tool("show", ref))
        # The list's filters: the default shows what needs attention, "all" everything.
        self.assertNotIn(ref, self.tool("list"))
        self.assertIn(ref, self.tool("list", "started"))
        self.assertIn(ref, self.tool("list", "all"))
        self.assertNotIn(ref, self.tool("list", "undelivered"))
        # purge refuses what is not held; unknown references fail.
        proc = subprocess.run([SPOOL_TOOL, "-c", self.pool.conf, "purge", "0000-0000-0000"],
                              capture_output=True, text=True)
        self.assertEqual(proc.returncode, 1)

    def test_corrupt_spool_file_is_quarantined_and_the_rest_delivered(self):
        refs = self.spooled_while_down(3)
        self.pool.stop()
        queue = os.path.join(self.pool.spool_dir, "queue")
        bad = sorted(refs)[0]
        with open(os.path.join(queue, bad), "r+b") as f:
            f.seek(40)
            f.write(b"\xff\xff garbage")
        good_refs = {r: n for r, n in refs.items() if r != bad}
        # A stray, truncated file under a valid name too.
        with open(os.path.join(queue, "ZZZZ-ZZZZ-ZZZZ"), "wb") as f:
            f.write(b"intake-spool 1\nref 14\nZZZZ")
        self.standin.start()
        self.pool.start()
        wait_for(self.drained, timeout=60, step=0.3, what="the rest to be delivered")
        quarantined = os.listdir(os.path.join(self.pool.spool_dir, "quarantine"))
        self.assertEqual(sorted(q.split(".")[0] for q in quarantined),
                         sorted([bad, "ZZZZ-ZZZZ-ZZZZ"]))
        self.assert_exactly_once(good_refs)
        wait_for(lambda: "unreadable" in self.pool.log_text(), timeout=10, step=0.1,
                 what="the quarantine's line")

    def test_restart_with_submissions_spooled_delivers_them(self):
        refs = self.spooled_while_down(20)
        # Everything stops: the pool (workers and dispatcher) and nginx.
        self.assertEqual(self.pool.stop(), 0)
        self.nginx.stop()
        self.assertEqual(len([f for f in os.listdir(os.path.join(self.pool.spool_dir, "queue"))
                              if REF_RE.match(f)]), 20)
        self.standin.start()
        self.pool.start()
        self.nginx.start()
        wait_for(self.drained, timeout=60, step=0.3, what="delivery after the restart")
        self.assert_exactly_once(refs)

    def test_plain_cgi_spools_and_the_lone_dispatcher_delivers(self):
        """Under plain CGI there is no pool: a post is spooled by its CGI process
        and `intake -d` (the dispatcher alone) delivers it."""
        from harness import BIN
        # CGI processes share the form key through a file (a random key per
        # process would refuse every token), and the lists through the cache.
        keyfile = os.path.join(self.workdir, "form.key")
        with open(keyfile, "w") as f:
            f.write("cgi-test-form-key-0123456789abcdef0123\n")
        os.chmod(keyfile, 0o600)
        self.pool.stop()
        self.pool.server["form_key_file"] = keyfile
        # The origin the CGI post below comes from (Host is never trusted).
        self.pool.server["public_origins"] = "http://intake.example"
        self.pool.write_config()
        self.pool.start()
        self.tokens(1)                      # the pool fills the shared list cache
        self.pool.stop()
        self.standin.stop()
        env = {"GATEWAY_INTERFACE": "CGI/1.1", "INTAKE_CONFIG": self.pool.conf,
               "PATH": os.environ.get("PATH", ""), "HTTP_HOST": "intake.example",
               "SERVER_PORT": "80", "PATH_INFO": "/forms/" + FORM, "QUERY_STRING": ""}
        page = subprocess.run([BIN], env=dict(env, REQUEST_METHOD="GET"), capture_output=True,
                              timeout=60)
        # The lists are cached from the pool's run; the page renders without Integrify.
        self.assertTrue(page.stdout.startswith(b"Status: 200"), page.stdout[:200])
        tok = re.search(rb'name="_token" value="([^"]+)"', page.stdout).group(1).decode()
        time.sleep(1.1)
        body = urllib.parse.urlencode([("_token", tok)] + good(4)).encode()
        post = subprocess.run([BIN], input=body, capture_output=True, timeout=60, env=dict(
            env, REQUEST_METHOD="POST", CONTENT_TYPE="application/x-www-form-urlencoded",
            CONTENT_LENGTH=str(len(body)), HTTP_ORIGIN="http://intake.example",
            HTTP_ACCEPT="application/json"))
        self.assertTrue(post.stdout.startswith(b"Status: 202"), post.stdout[:300])
        ref = json.loads(post.stdout.split(b"\r\n\r\n", 1)[1])["reference"]
        self.assertEqual([f for f in os.listdir(os.path.join(self.pool.spool_dir, "queue"))
                          if REF_RE.match(f)], [ref])
        self.standin.start()
        lone = subprocess.Popen([BIN, "-c", self.pool.conf, "-d"] + self.pool.root_flag(),
                                stderr=subprocess.PIPE)
        try:
            wait_for(lambda: not any(REF_RE.match(f) for f in os.listdir(
                os.path.join(self.pool.spool_dir, "queue"))), timeout=30, step=0.3,
                what="the lone dispatcher to deliver")
        finally:
            lone.terminate()
            _, err = lone.communicate(timeout=30)
        self.assertEqual(lone.returncode, 0, err)
        self.assertTrue(os.path.exists(os.path.join(self.pool.spool_dir, "done", ref)))
        self.assert_exactly_once({ref: 4})


def good_v7(n):
    return [("requester_name", "Zoë Client %d" % n), ("requester_email", "zoe@example.com"),
            ("description", "Fault test form #%05d, v7" % n), ("department", "IT-010")]


class V7Forms:
    """The v7 copy of the form, writing its reference into the data container."""
    variant = "v7-impersonate"
    fields = staticmethod(good_v7)

    @classmethod
    def setUpClass(cls):
        cls.formsdir = tempfile.mkdtemp(prefix="intake-forms-")
        with open(os.path.join(cls.formsdir, FORM + ".conf"), "w") as f:
            f.write(V7_FORM.replace("[field:", "reference_key = intake_reference\n[field:", 1))
        cls.server = dict(SpoolStack.server, forms_dir=cls.formsdir)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.formsdir, ignore_errors=True)

    def reference_of(self, inst):
        return inst["values"].get("intake_reference")

    def description_of(self, inst):
        return inst["values"].get("description")


class HalfOpen(SpoolStack):
    """The dispatcher is kept out of the way (it scans once a minute), so the
    probe of a half-open breaker can only be a worker's inline attempt."""
    spool = dict(SpoolStack.spool, scan_interval_ms="60000", breaker_cooldown="1")

    def test_first_post_after_the_cooldown_is_the_probe_and_closes_the_breaker(self):
        refs = self.spooled_while_down(6)
        self.assertEqual(self.readyz()["breaker"], "open")
        self.standin.start()
        time.sleep(1.2)                     # the cool-down is over: half-open
        self.assertEqual(self.readyz()["breaker"], "half-open")
        tok = self.tokens(1)[0]
        status, _, body = self.post(tok, good(6))
        self.assertEqual((status, json.loads(body)["status"]), (201, "started"), body)
        self.assertEqual(self.readyz()["breaker"], "closed")
        self.assertEqual(self.readyz()["spool"]["queued"], 6)


class SpoolV7(V7Forms, SpoolStack):
    """v7 cannot search for a request: unsure starts fill what they left empty."""

    def test_v7_lost_start_answer_fills_the_request_it_left_empty(self):
        """v7 cannot search, but the request a lost answer left without values
        is found (the service account's open requests of the process, its
        data-container task still active) and filled: one request, never two."""
        tok = self.tokens(1)[0]
        self.standin.control("/__sim/fault?mode=drop&count=1&path=/instances/")
        status, _, body = self.post(tok, good_v7(5))
        self.assertEqual(status, 202, body)
        ref = json.loads(body)["reference"]
        wait_for(self.drained, timeout=30, step=0.3, what="delivery")
        self.assertEqual(self.readyz()["spool"]["held"], 0)
        insts = self.instances()
        self.assertEqual(len(insts), 1)
        self.assertEqual(insts[0]["values"]["intake_reference"], ref)
        self.assertEqual(insts[0]["values"]["description"], dict(good_v7(5))["description"])
        self.assertIn("gets them", self.pool.log_text())
        status, _, page = self.get("/forms/%s/receipt?ref=%s" % (FORM, ref))
        self.assertIn("was sent to the service desk", page)

    def test_v7_lost_answer_orphan_search_in_every_reply_shape_never_starts_twice(self):
        """The v7 request list in every shape: the request a lost answer left
        empty is filled (one request), or, when no item has an id, held."""
        self.lost_answer_in_every_list_shape(
            good_v7, "/instances/", lambda i, ref: self.reference_of(i) == ref)

    def test_v7_lost_answers_under_load_each_fill_one_request(self):
        """Several starts lose their answers at once: each empty request is
        filled by exactly one submission, and none is left empty."""
        toks = self.tokens(12)
        self.standin.control("/__sim/fault?mode=drop&count=6&path=/instances/")
        refs = {}
        for n, tok in enumerate(toks):
            status, _, body = self.post(tok, good_v7(n))
            self.assertIn(status, (201, 202), body)
            refs[json.loads(body)["reference"]] = n
        wait_for(self.drained, timeout=60, step=0.3, what="delivery")
        self.assertEqual(self.readyz()["spool"]["held"], 0)
        insts = self.instances()
        by_ref = collections.Counter(i["values"].get("intake_reference") for i in insts)
        print("\nv7: %d requests for %d submissions; empty %d" % (
            len(insts), len(refs), by_ref.get(None, 0)), file=sys.stderr)
        self.assertEqual(dict(by_ref), {r: 1 for r in refs})
        for i in insts:
            n = refs[i["values"]["intake_reference"]]
            self.assertEqual(i["values"]["description"], dict(good_v7(n))["description"])

    def test_v7_without_dedupe_an_unsure_start_is_held(self):
        self.pool.stop()
        self.pool.spool["dedupe"] = "no"
        self.pool.write_config()
        self.pool.start()
        tok = self.tokens(1)[0]
        self.standin.control("/__sim/fault?mode=drop&count=1&path=/instances/")
        status, _, body = self.post(tok, good_v7(5))
        self.assertEqual(status, 202, body)
        ref = json.loads(body)["reference"]
        wait_for(lambda: self.readyz()["spool"]["held"] == 1, timeout=30, step=0.3,
                 what="the unsure submission to be held")
        self.assertEqual(len(self.instances()), 1)
        status, _, page = self.get("/forms/%s/receipt?ref=%s" % (FORM, ref))
        self.assertIn("a member of staff will pass it on", page)

    def test_v7_values_failure_resumes_the_same_request(self):
        tok = self.tokens(1)[0]
        # The start works; posting the values fails once with 503.
        self.standin.control("/__sim/fail-next?status=503&count=1&path=/tasktypes/data-container/instances")
        status, _, body = self.post(tok, good_v7(9))
        self.assertEqual(status, 202, body)
        wait_for(self.drained, timeout=30, step=0.3, what="delivery")
        insts = self.instances()
        self.assertEqual(len(insts), 1)
        self.assertTrue(insts[0]["values"], "the values reached the same request")


    def test_v7_held_after_its_start_and_retried_fills_the_same_request(self):
        """Integrify refuses the values for good (400) after the request was
        started: held. A person's `retry` sends the values to that request,
        not to a new one beside an empty first."""
        tok = self.tokens(1)[0]
        self.standin.control("/__sim/fail-next?status=400&count=1"
                             "&path=/tasktypes/data-container/instances")
        status, _, body = self.post(tok, good_v7(4))
        self.assertEqual(status, 202, body)
        doc = json.loads(body)
        self.assertEqual(doc["status"], "held")
        self.assertEqual(len(self.instances()), 1)
        self.assertIn("requeued", self.tool("retry", doc["reference"]))
        wait_for(self.drained, timeout=30, step=0.3, what="delivery after retry")
        insts = self.instances()
        self.assertEqual(len(insts), 1)
        self.assertEqual(self.reference_of(insts[0]), doc["reference"])
        self.assertEqual(self.description_of(insts[0]), dict(good_v7(4))["description"])

    def test_v7_claim_outlives_a_restart_so_no_one_takes_a_filled_request(self):
        """Z's start answer is lost: Z will look for its empty request B.
        Then X starts request A, newer, and its values reach A but their
        answer is lost, so X must come back to A. Everything restarts
        before either retries. Z's search meets A first (newest first): it
        must not take A from X, or X would find A "another's" and start a
        second request with the same values."""
        self.pool.stop()
        self.pool.spool["retry_base"] = "4"      # X's retry: 2 to 4 s later
        self.pool.write_config()
        self.pool.start()
        tok_z, tok_x = self.tokens(2)
        self.standin.control("/__sim/fault?mode=drop&count=1&path=/instances/")
        status, _, body = self.post(tok_z, good_v7(2))
        self.assertEqual(status, 202, body)
        ref_z = json.loads(body)["reference"]
        self.standin.control("/__sim/fault?mode=drop&count=1"
                             "&path=/tasktypes/data-container/instances")
        status, _, body = self.post(tok_x, good_v7(1))
        self.assertEqual(status, 202, body)
        ref_x = json.loads(body)["reference"]
        # Hold X's record as a deliverer would: its retry waits until Z is done.
        held = os.open(os.path.join(self.pool.spool_dir, "queue", ref_x), os.O_RDONLY)
        try:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
            self.assertEqual(len(self.instances()), 2)
            self.pool.stop()
            self.pool.start()
            # Z's search runs two timeouts (6 s) after its lost answer.
            wait_for(lambda: ref_z in {self.reference_of(i) for i in self.instances()},
                     timeout=30, step=0.3, what="Z to fill its own request")
        finally:
            os.close(held)
        wait_for(self.drained, timeout=30, step=0.3, what="X to come back to its request")
        by_ref = collections.Counter(self.reference_of(i) for i in self.instances())
        self.assertEqual(dict(by_ref), {ref_x: 1, ref_z: 1})
        self.assertNotIn("belongs to another submission", self.pool.log_text())


class FaultInjectionV7(V7Forms, FaultInjection):
    """The same in v7, where no search exists: lost answers leave requests
    without values, which the retries must find and fill."""
    start_path = "/instances/"


if __name__ == "__main__":
    unittest.main()
