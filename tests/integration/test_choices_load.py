"""/api/choices under load: 256 connections (wrk) on one source with a short
ttl, and the Integrify stand-in stopped mid-run.

The scenario is bench/load_choices.py's (imported from there), shortened:
12 s of load, ttl = 3 s, stand-in stopped at 5 s. The load goes through a
copy of the shipped nginx server block with the micro-cache off
(bench/nocache_site.py), so intake's own cache is what is tested.

Counts only, never timings: upstream report calls <= duration/ttl + 1
(the stand-in's call log), no non-2xx, no socket errors, and every response
sampled after the stand-in stopped is a 200 with the whole list (marked
stale-error once the ttl has passed). The figures are printed.
"""

import os
import sys
import tempfile
import unittest

from harness import SRC, Stack

sys.path.insert(0, os.path.join(SRC, "bench"))
import load_choices  # noqa: E402  (bench/load_choices.py)

DURATION = 12       # seconds of load
TTL = 3             # the source's ttl: several refreshes within DURATION
STOP_AT = 5         # the stand-in is stopped here; ttl passes well before the end


class ChoicesLoad(Stack):
    # The cache is tested here, not the upstream slots: every worker may wait on
    # the cold first fetch (with fewer slots, some of the 256 get 503 at once).
    server = {"workers": "4", "cache_entry_max": "1048576", "log_level": "warn",
              "upstream_slots": "4", "upstream_wait_ms": "30000"}
    sections = load_choices.sections(TTL)

    def setUp(self):
        # Stack.setUp, except that nginx also gets the cache-free server block
        # before it starts.
        self.workdir = tempfile.mkdtemp(prefix="intake-it-")
        self.addCleanup(self._remove_workdir)
        self.standin, self.pool, self.nginx, self.nocache_url = load_choices.start_stack(
            self.workdir, self.server, self.sections, self.addCleanup)
        self.secrets = [s for s in (self.pool.key, self.pool.secret) if s]

    def test_bounded_upstream_calls_and_last_good_list_when_integrify_stops(self):
        self.assertEqual(len(self.pool.workers()), 4)
        r = load_choices.run_scenario(self.nocache_url, self.standin, self.pool, DURATION, TTL,
                                      STOP_AT, connections=256, threads=2,
                                      workdir=self.workdir)
        print("\n" + load_choices.format_result(r))
        self.assertEqual(r["wrk_rc"], 0, r["wrk_text"])
        self.assertGreater(r["requests"], 0, r["wrk_text"])
        # The load reached the workers, not nginx's micro-cache.
        self.assertEqual(r["micro_cache_headers"], [])
        # Single flight and ttl: one report call per ttl at most, plus the first.
        self.assertGreaterEqual(r["upstream_calls"], 1)
        self.assertLessEqual(r["upstream_calls"], DURATION / TTL + 1)
        self.assertEqual(r["token_fetches"], 1)
        self.assertEqual(r["non2xx"], 0, r["wrk_text"])
        self.assertEqual(r["socket_errors"], 0, r["wrk_text"])
        # After the stop: always the last good list, whole.
        self.assertGreater(r["n_after"], 0)
        self.assertEqual(r["bad_after"], [])
        # Once the ttl passed without Integrify, intake said so.
        self.assertGreater(r["samples_after"].get("stale-error", 0), 0, r["samples_after"])
        self.assertEqual(load_choices.problems(r), [])


if __name__ == "__main__":
    unittest.main()
