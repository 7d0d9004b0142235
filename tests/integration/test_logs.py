"""intake's log: logfmt lines, nginx's request id in both logs, 422s with their
field codes, junk floods suppressed, SIGUSR1 reopening the log file, and no
secret in any line."""

import os
import re
import shutil
import signal
import tempfile
import time
import unittest
import uuid

from harness import Pool, Stack, log_events, logfmt, wait_for
from test_form_post import PostMixin
from test_forms import SECTIONS

# lib/core/log.h: INTAKE_LOG_CLIENT_BURST, INTAKE_LOG_CLIENT_RATE.
CLIENT_BURST, CLIENT_RATE = 20, 5


class Logs(PostMixin, Stack):
    variant = "v8-apikey"
    sections = SECTIONS

    def good(self):
        return [("requester_name", "Zoe Test"), ("requester_email", "zoe@example.com"),
                ("department", "IT-010"), ("location", "ZRH-01"), ("category", "CAT-0645"),
                ("priority", "P2"), ("description", "A new headset, please.")]

    def access_ids(self):
        """The req= ids of nginx's access log lines, by path."""
        ids = {}
        for line in self.nginx.logs().splitlines():
            m = re.search(r'"[A-Z]+ (\S+) HTTP/[\d.]+" .* req=([0-9a-f]{32}) ', line)
            if m:
                ids.setdefault(m.group(1), []).append(m.group(2))
        return ids

    def test_every_line_is_logfmt(self):
        self.get("/forms/nope")
        self.get("/forms/" + self.form)
        lines = log_events(self.pool.log_text())     # raises on a line that is not logfmt
        self.assertTrue(lines)
        for line in lines:
            self.assertIn(line.get("level"), ("debug", "info", "warn", "error"), line)
            self.assertIn("event", line)
            self.assertRegex(line.get("ts", ""), r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
            self.assertRegex(line.get("pid", ""), r"^\d+$")

    def test_request_id_from_nginx_is_in_both_logs(self):
        path = "/forms/nope-%s" % uuid.uuid4().hex[:8]
        status, _, _ = self.get(path, headers={"X-Request-Id": "forged"})
        self.assertEqual(status, 404)
        wait_for(lambda: path in self.access_ids(), what="nginx's access log line")
        rid = self.access_ids()[path][0]
        mine = [l for l in log_events(self.pool.log_text(), "rejected") if l.get("path") == path]
        self.assertEqual(len(mine), 1, mine)
        self.assertEqual(mine[0]["req"], rid)
        self.assertEqual(mine[0]["status"], "404")
        self.assertNotIn("forged", self.pool.log_text())

    def test_unprocessable_post_is_logged_with_field_codes(self):
        canary = "canary-%s@" % uuid.uuid4().hex[:8]
        status, _, body = self.post([("requester_email", canary), ("department", "IT-010")],
                                    accept="application/json")
        self.assertEqual(status, 422, body)
        lines = [l for l in log_events(self.pool.log_text(), "rejected") if l["status"] == "422"]
        self.assertEqual(len(lines), 1, lines)
        line = lines[0]
        self.assertEqual((line["level"], line["form"], line["code"]),
                         ("info", "it-request", "invalid"))
        codes = dict(f.split(":") for f in line["fields"].split(","))
        self.assertEqual(codes.get("requester_email"), "email", codes)
        self.assertEqual(codes.get("requester_name"), "required", codes)
        self.assertIn("req", line)
        # Field names from the form, never the values sent.
        self.assertNotIn(canary, self.pool.log_text())

    def test_unknown_field_names_are_not_logged(self):
        made_up = "x%s" % uuid.uuid4().hex[:12]
        status, _, body = self.post(self.good() + [(made_up, "1")], accept="application/json")
        self.assertEqual(status, 422, body)
        line = [l for l in log_events(self.pool.log_text(), "rejected")
                if l["status"] == "422"][-1]
        self.assertIn("_unknown:unknown", line["fields"])
        self.assertNotIn(made_up, self.pool.log_text())

    def test_log_flood_by_junk_posts(self):
        """Hundreds of junk posts as fast as one client can send them: each
        worker logs at most its burst and then CLIENT_RATE lines a second,
        and a later line says how many it left out."""
        posts = 400
        start = time.monotonic()
        for i in range(posts):
            status, _, _ = self.post([("junk", "x" * (i % 50))], token="",
                                     accept="application/json")
            self.assertEqual(status, 403)
        elapsed = time.monotonic() - start
        # After a quiet second every worker's bucket has room again: the next
        # lines report what was suppressed.
        time.sleep(1.0)
        for _ in range(20):
            self.post([("junk", "y")], token="", accept="application/json")
        lines = [l for l in log_events(self.pool.log_text(), "rejected")
                 if l.get("code") == "token_missing"]
        workers = int(self.server["workers"])
        bound = workers * (CLIENT_BURST + CLIENT_RATE * (elapsed + 2))
        suppressed = sum(int(l.get("suppressed", 0)) for l in lines)
        print("\njunk posts: %d in %.1f s; %d lines logged, %d reported suppressed "
              "(bound %d lines)" % (posts + 20, elapsed, len(lines), suppressed, bound))
        self.assertLessEqual(len(lines), bound)
        self.assertLess(len(lines), posts)
        self.assertGreater(suppressed, 0)
        self.assertLessEqual(len(lines) + suppressed, posts + 20)

    def test_secrets_never_in_the_log(self):
        status, _, body = self.post(self.good(), accept="application/json")
        self.assertIn(status, (201, 202), body)
        log = self.pool.log_text()
        fetched = log_events(log, "token_fetched")
        self.assertTrue(fetched, "no token_fetched line")
        self.assertRegex(fetched[0]["token"], r"^sha256:[0-9a-f]{8}$")
        self.assertTrue(log_events(log, "submission_accepted"))
        self.assert_no_secrets(log, self.nginx.logs())


class LogFile(Stack):
    """[server] log_file, reopened on SIGUSR1 like nginx -s reopen."""

    @classmethod
    def setUpClass(cls):
        cls.logdir = tempfile.mkdtemp(prefix="intake-logfile-")
        cls.server = {"workers": "2", "log_file": os.path.join(cls.logdir, "intake.log")}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.logdir, ignore_errors=True)

    def read(self, path):
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def stderr_of(self, pid):
        try:
            return os.readlink("/proc/%d/fd/2" % pid)
        except OSError:
            return None

    def test_sigusr1_reopens_the_log_file(self):
        path = self.server["log_file"]
        moved = path + ".1"
        self.get("/forms/nope-before")
        wait_for(lambda: "nope-before" in self.read(path), what="a line in log_file")
        self.assertNotIn("nope-before", self.pool.log_text())   # not on stderr
        os.rename(path, moved)
        self.pool.signal(signal.SIGUSR1)
        wait_for(lambda: log_events(self.read(path), "log_reopened"), what="the reopen line")
        # Every child has its stderr on the new file (the old one is renamed).
        kids = self.pool.children()
        self.assertGreaterEqual(len(kids), 3)
        wait_for(lambda: all(self.stderr_of(p) == path for p in self.pool.children()),
                 what="every worker and the dispatcher to reopen")
        before = self.read(moved)
        for i in range(8):
            self.get("/forms/nope-after-%d" % i)
        wait_for(lambda: len([l for l in log_events(self.read(path), "rejected")]) >= 8,
                 what="the new lines in the new file")
        self.assertEqual(self.read(moved), before)
        self.assertIn("nope-before", before)
        for line in self.read(path).splitlines():
            logfmt(line)


class JournalPool(Pool):
    """The pool started as systemd starts it with StandardError=journal:
    JOURNAL_STREAM names the device and inode of its stderr (here the log file)."""

    def start(self):
        open(self.logpath, "a").close()
        st = os.stat(self.logpath)
        os.environ["JOURNAL_STREAM"] = "%d:%d" % (st.st_dev, st.st_ino)
        try:
            return super().start()
        finally:
            del os.environ["JOURNAL_STREAM"]


class Journal(Stack):
    pool_class = JournalPool
    server = {"workers": "2", "log_level": "debug"}

    def test_journal_lines_carry_their_syslog_priority(self):
        self.get("/healthz")
        self.get("/forms/nope")
        wait_for(lambda: log_events(self.pool.log_text(), "rejected"), what="the 404's line")
        priority = {"debug": "7", "info": "6", "warn": "4", "error": "3"}
        levels = set()
        for line in self.pool.log_text().splitlines():
            m = re.match(r"^<(\d)>level=(\w+) ", line)
            self.assertIsNotNone(m, line)
            self.assertEqual(m.group(1), priority[m.group(2)], line)
            fields = logfmt(line)
            # The journal stamps time and pid itself.
            self.assertNotIn("ts", fields)
            self.assertNotIn("pid", fields)
            levels.add(m.group(2))
        self.assertTrue({"debug", "info"} <= levels, levels)


if __name__ == "__main__":
    unittest.main()
