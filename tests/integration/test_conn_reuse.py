"""Connections to Integrify are kept and reused, POSTs included, and a start
whose connection the server closes right after processing it (answer lost)
still makes exactly one request.

The hazard: when a reused connection dies before the first byte of the
answer, libcurl sends the same request again on a new connection by
itself.  If Integrify had processed the first one, the start would be made
twice, and intake would see only the second answer.  intake refuses that
resend (lib/integrify/http.c) and the spool looks before it retries.

The stand-in says on which connection, and as which request on it, each
call came (GET /__sim/connections), so the tests check that the lost answer
really was on a reused connection: the case libcurl would have resent."""

import json
import sys
import unittest

import fcgi
from harness import wait_for
from test_metrics import samples, value
from test_spool import FORM, SpoolStack, V7Forms, good

SUBMISSIONS = 12


class ReuseV8(SpoolStack):
    """One worker (and the dispatcher), so that its connection is reused."""

    server = dict(SpoolStack.server, workers="1")
    start_path = "/api/instance/start"

    def conns(self):
        return self.standin.call("GET", "/__sim/connections")

    def metrics(self):
        status, _, body = fcgi.request(self.pool.admin_sock, "/metrics", timeout=30)
        self.assertEqual(status, 200, body)
        return samples(body)

    def starts(self, log):
        return [r for r in log if r["method"] == "POST" and r["path"].startswith(self.start_path)]

    def submit(self, tok, n, statuses):
        status, _, body = self.post(tok, self.fields(n))
        self.assertIn(status, statuses, body)
        return json.loads(body)["reference"]

    def test_connections_are_reused_across_submissions(self):
        """N submissions, each started inline: far fewer than N connections."""
        toks = self.tokens(SUBMISSIONS + 1)
        refs = {self.submit(toks[0], 0, (201,)): 0}     # the token, the first connection
        before = self.conns()
        for n, tok in enumerate(toks[1:], 1):
            refs[self.submit(tok, n, (201,))] = n
        after = self.conns()
        new = after["requests"][len(before["requests"]):]
        conns = {r["conn"] for r in new}
        print("\n%d submissions: %d API calls on %d connection(s)" % (
            SUBMISSIONS, len(new), len(conns)), file=sys.stderr)
        self.assertEqual(len(self.starts(new)), SUBMISSIONS)
        # One worker: its one kept connection carries every call.
        self.assertLessEqual(len(conns), 2, new)
        self.assertTrue(all(r["seq"] > 1 for r in self.starts(new)), new)
        m = self.metrics()
        self.assertLessEqual(value(m, "intake_upstream_connects_total"), 4)
        self.assert_exactly_once(refs)

    def test_answer_lost_on_a_reused_connection_makes_exactly_one_request(self):
        """The stand-in processes a start, then closes its kept-alive connection
        without answering; several times, each on a reused connection."""
        rounds = 3
        toks = self.tokens(2 * rounds)
        refs, dropped = {}, []
        for i in range(rounds):
            # A normal submission first: the worker's connection is kept alive.
            refs[self.submit(toks[2 * i], 2 * i, (201,))] = 2 * i
            seen = len(self.conns()["requests"])
            self.standin.control("/__sim/fault?mode=drop&count=1&path=" + self.start_path)
            refs[self.submit(toks[2 * i + 1], 2 * i + 1, (201, 202))] = 2 * i + 1
            wait_for(self.drained, timeout=60, step=0.3, what="delivery")
            starts = self.starts(self.conns()["requests"][seen:])
            self.assertTrue(starts, "no start was made")
            dropped.append(starts[0])
        print("\nlost answers: %r" % dropped, file=sys.stderr)
        # Each lost answer was on a reused connection: the case libcurl resends.
        self.assertTrue(all(d["seq"] > 1 for d in dropped), dropped)
        self.assert_exactly_once(refs)
        # ... and intake refused libcurl's resend each time.
        m = self.metrics()
        self.assertGreaterEqual(value(m, "intake_upstream_resends_refused_total"), rounds)


class ReuseV7(V7Forms, ReuseV8):
    """v7 cannot search: the request a lost answer left empty is filled."""

    start_path = "/instances/"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = dict(cls.server, workers="1")

    def starts(self, log):
        return [r for r in log if r["method"] == "POST" and r["path"].startswith("/instances/")
                and r["path"].endswith("/start")]

if __name__ == "__main__":
    unittest.main()
