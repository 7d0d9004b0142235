"""First endpoints end to end: nginx -> intake workers -> stand-in, in
every supported token flow."""

import json
import unittest

from harness import DIALECTS, Stack


class EndpointsMixin:
    def test_healthz_answers_without_integrify(self):
        self.standin.stop()
        status, headers, body = self.get("/healthz")
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body), {"status": "alive"})
        self.assertEqual(headers.get("X-Content-Type-Options"), "nosniff")

    def test_readyz_fetches_one_token(self):
        status, _, body = self.get("/readyz")
        self.assertEqual(status, 200, body)
        self.assertEqual(len(self.standin.tokens()), 1)

    def test_processes_lists_fixture_processes_with_one_token(self):
        for _ in range(20):
            status, headers, body = self.get("/api/processes")
            self.assertEqual(status, 200, body)
        self.assertTrue(headers["Content-Type"].startswith("application/json"))
        got = json.loads(body)["processes"]
        names = {p["name"] for p in got}
        self.assertIn("IT Request", names)
        self.assertTrue(all(p["sid"] for p in got))
        # Twenty requests over four workers: one token for all of them.
        self.assertEqual(len(self.standin.tokens()), 1)
        self.assert_no_secrets(body, self.pool.log_text(), self.nginx.logs())

    def test_unknown_path_is_json_404(self):
        status, _, body = self.get("/api/nope")
        self.assertEqual(status, 404)
        self.assertEqual(json.loads(body)["error"]["code"], "not_found")

    def test_post_to_read_only_endpoint_is_405(self):
        status, headers, body = self.get("/api/processes", method="POST", body=b"x=1")
        self.assertEqual(status, 405)
        self.assertEqual(headers.get("Allow"), "GET, HEAD")
        self.assertEqual(json.loads(body)["error"]["code"], "method_not_allowed")


def _make(variant):
    return type("Endpoints_" + variant.replace("-", "_"), (EndpointsMixin, Stack),
                {"variant": variant})


for _v in DIALECTS:
    _cls = _make(_v)
    globals()[_cls.__name__] = _cls
del _cls, _v

if __name__ == "__main__":
    unittest.main()
