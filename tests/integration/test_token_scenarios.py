"""Token expiry and refusal scenarios (the stand-in contract's section 7.5),
through nginx and the real workers, counted from the stand-in's call log."""

import json
import threading
import unittest

from harness import DIALECTS, Stack, token_fetches, wait_for

LIST_PATH = {"v7": "/processes", "v8": "/api/processes/search"}


class ScenariosMixin:
    integrify = {"fetch_failure_ttl": "2"}

    def list_path(self):
        return LIST_PATH[DIALECTS[self.variant][0]]

    def fetches(self):
        return len(token_fetches(self.standin.state()))

    def ok(self):
        status, _, body = self.get("/api/processes")
        self.assertEqual(status, 200, body)
        return body

    def test_expired_token_is_renewed_once_and_the_call_retried(self):
        self.ok()
        self.assertEqual(self.fetches(), 1)
        # Integrify's clock passes the token's end; intake's still thinks it fresh.
        self.standin.control("/__sim/clock?advance=3700")
        self.ok()
        st = self.standin.state()
        self.assertEqual(len(token_fetches(st)), 2)
        outcomes = [c["auth"] for c in st["calls"] if c["path"] == self.list_path()]
        self.assertEqual(outcomes, ["ok", "expired", "ok"])

    def test_refused_token_costs_exactly_one_fetch(self):
        self.ok()
        self.standin.control("/__sim/revoke")
        self.ok()
        self.assertEqual(self.fetches(), 2)

    def test_burst_of_refusals_costs_exactly_one_fetch(self):
        self.ok()
        self.standin.control("/__sim/revoke")
        results = []

        def one():
            results.append(self.get("/api/processes")[0])

        threads = [threading.Thread(target=one) for _ in range(32)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(results, [200] * 32)
        self.assertEqual(self.fetches(), 2)

    def test_second_consecutive_refusal_is_a_clear_502_not_a_loop(self):
        self.ok()
        self.standin.control("/__sim/fail-next?status=401&count=2&path=" + self.list_path())
        status, headers, body = self.get("/api/processes")
        self.assertEqual(status, 502)
        self.assertEqual(json.loads(body)["error"]["code"], "integrify_auth")
        st = self.standin.state()
        self.assertEqual(len(token_fetches(st)), 2)
        self.assertEqual(len([c for c in st["calls"] if c["path"] == self.list_path()]), 3)
        self.assert_no_secrets(body, json.dumps(headers), self.pool.log_text())
        self.ok()   # and the next request works again

    def test_expired_token_text_body_on_a_non_401_is_a_refusal(self):
        self.ok()
        self.standin.control("/__sim/fail-next?status=400&count=1&body=expired%20token&path="
                             + self.list_path())
        self.ok()
        self.assertEqual(self.fetches(), 2)

    def test_denied_list_is_502_without_a_new_token(self):
        self.ok()
        self.standin.control("/__sim/fail-next?status=403&count=1&path=" + self.list_path())
        status, _, body = self.get("/api/processes")
        self.assertEqual(status, 502)
        self.assertEqual(json.loads(body)["error"]["code"], "integrify_denied")
        self.assertEqual(self.fetches(), 1)

    def test_upstream_503_and_429_are_502_unavailable(self):
        self.ok()
        for code in (503, 429, 500):
            self.standin.control("/__sim/fail-next?status=%d&count=1&path=%s"
                                 % (code, self.list_path()))
            status, _, body = self.get("/api/processes")
            self.assertEqual(status, 502, body)
            self.assertEqual(json.loads(body)["error"]["code"], "integrify_unavailable")
            self.assertNotIn("Retry", body)
        self.assertEqual(self.fetches(), 1)

    def test_refused_token_fetch_is_remembered_then_retried(self):
        self.standin.control("/__sim/fault?mode=refuse-token&count=1")
        status, _, body = self.get("/readyz")
        self.assertEqual(status, 502)
        self.assertEqual(json.loads(body)["error"]["code"], "integrify_auth")
        # Within fetch_failure_ttl: answered from memory, Integrify not asked.
        status, headers, body = self.get("/readyz")
        self.assertEqual(status, 503)
        self.assertEqual(headers.get("Retry-After"), "2")
        self.assertEqual(self.fetches(), 1)
        def ready():
            return self.get("/readyz")[0] == 200

        wait_for(ready, timeout=10, step=0.5, what="readyz after the failure ttl")
        self.assertEqual(self.fetches(), 2)


class WrongCredentialsMixin:
    """Wrong key: a clear 502, no secret in any answer or log."""
    integrify = {"fetch_failure_ttl": "30"}

    key_override = "not-the-key-0123456789"

    def test_wrong_key_is_502_then_backoff(self):
        status, _, body = self.get("/api/processes")
        self.assertEqual(status, 502)
        self.assertEqual(json.loads(body)["error"]["code"], "integrify_auth")
        status, _, body2 = self.get("/readyz")
        self.assertEqual(status, 503)
        self.assertEqual(len(token_fetches(self.standin.state())), 1)
        self.assert_no_secrets(body, body2, self.pool.log_text(), self.nginx.logs())


def _make(prefix, mixin, variant):
    return type(prefix + variant.replace("-", "_"), (mixin, Stack), {"variant": variant})


for _v in DIALECTS:
    for _p, _m in (("Scenarios_", ScenariosMixin), ("WrongKey_", WrongCredentialsMixin)):
        _cls = _make(_p, _m, _v)
        globals()[_cls.__name__] = _cls
del _cls, _v, _p, _m

if __name__ == "__main__":
    unittest.main()
