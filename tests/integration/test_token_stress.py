"""The shared token under load: 8 workers, 256 concurrent connections
(wrk through nginx), short-lived tokens, several expiries.  Counts come
from the stand-in's call log; the test prints them."""

import re
import subprocess
import unittest

from harness import DIALECTS, Stack, token_fetches

LIST_PATH = {"v7": "/processes", "v8": "/api/processes/search"}
LIFETIME = 4        # seconds of token life asked for
AHEAD = 1           # renew this long before the end
DURATION = 11       # seconds of load: spans at least three lifetimes


def parse_wrk(out):
    def num(pattern):
        m = re.search(pattern, out)
        return int(m.group(1)) if m else 0
    errors = 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        errors = sum(int(x) for x in m.groups())
    return {"requests": num(r"(\d+) requests in"), "non2xx": num(r"Non-2xx or 3xx responses: (\d+)"),
            "socket_errors": errors}


class StressMixin:
    server = {"workers": "8", "max_requests": "0", "log_level": "warn"}
    integrify = {"token_lifetime": str(LIFETIME), "refresh_ahead": str(AHEAD),
                 "timeout_ms": "10000"}

    def test_one_fetch_per_lifetime_under_256_connections(self):
        self.assertEqual(len(self.pool.workers()), 8)
        run = subprocess.run(["wrk", "-t2", "-c256", "-d%ds" % DURATION, "--timeout", "10s",
                              self.nginx.url + "/api/processes"],
                             capture_output=True, text=True, timeout=DURATION + 120)
        self.assertEqual(run.returncode, 0, run.stderr)
        w = parse_wrk(run.stdout)
        st = self.standin.state()
        path = LIST_PATH[DIALECTS[self.variant][0]]
        issued = sorted(st["tokens"], key=lambda t: t["issued_at"])
        fetches = token_fetches(st)
        used = {c["token"] for c in st["calls"] if c["path"] == path and c["auth"] == "ok"}
        gaps = [b["issued_at"] - a["issued_at"] for a, b in zip(issued, issued[1:])]
        # How early each renewal came, against the moment its predecessor
        # became due (its end less refresh_ahead); negative is early.
        early = [b["issued_at"] - (a["expires_at"] - AHEAD) for a, b in zip(issued, issued[1:])]
        uses = [c["t"] for c in st["calls"] if c["path"] == path]
        lifetimes = 0
        for t in issued:
            if any(t["issued_at"] <= u < t["expires_at"] for u in uses):
                lifetimes += 1
        print("\nstress %s: %d requests in %ds, %d non-2xx, %d socket errors; "
              "token fetches %d, tokens used %d, lifetimes used %d, "
              "fetch gaps %s s, renewal lag %s s"
              % (self.variant, w["requests"], DURATION, w["non2xx"], w["socket_errors"],
                 len(fetches), len(used), lifetimes, [round(g, 2) for g in gaps],
                 [round(e, 3) for e in early]))
        self.assertGreater(w["requests"], 0)
        self.assertEqual(w["non2xx"], 0)
        self.assertEqual(w["socket_errors"], 0)
        self.assertEqual(len(fetches), len(issued))
        # Every token fetched was used: no fetch was wasted by a race.
        self.assertEqual(used, {t["token"] for t in issued})
        # At least two expiries were crossed.
        self.assertGreaterEqual(len(issued), 3)
        # No renewal before its predecessor was due.  Expiries travel as whole
        # epoch seconds (v7 "expires", the JWT "exp"), so intake may renew up
        # to one second early; a second fetch inside a lifetime would be ~3 s.
        self.assertGreaterEqual(min(early), -1.05)
        # Exactly one fetch per lifetime used.
        self.assertEqual(len(fetches), lifetimes)
        # No call was refused as expired or invalid.
        refused = [c for c in st["calls"] if c["path"] == path and c["auth"] != "ok"]
        self.assertEqual(refused, [])


for _v in ("v7-impersonate", "v8-apikey"):
    _cls = type("Stress_" + _v.replace("-", "_"), (StressMixin, Stack), {"variant": _v})
    globals()[_cls.__name__] = _cls
del _cls, _v

if __name__ == "__main__":
    unittest.main()
