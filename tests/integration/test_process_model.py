"""The process model: reload without dropping requests, drain on SIGTERM,
recycling, replacing dead workers, config errors, and plain CGI."""

import contextlib
import json
import os
import signal
import subprocess
import threading
import time
import unittest

from harness import BIN, Stack, http, token_fetches, wait_for


class ProcessModel(Stack):
    server = {"workers": "2", "max_requests": "0"}

    def slow_requests(self, n, ms=2000):
        """Start n requests whose Integrify call takes ms; returns (threads, results)."""
        self.standin.control("/__sim/fault?mode=slow&ms=%d&path=/processes&count=%d" % (ms, n))
        results = []

        def one():
            results.append(self.get("/api/processes")[0])

        threads = [threading.Thread(target=one) for _ in range(n)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        return threads, results

    def test_sighup_reloads_without_dropping_in_flight_requests(self):
        self.assertEqual(self.get("/readyz")[0], 200)
        old = set(self.pool.workers())
        with open(self.pool.conf) as f:
            text = f.read()
        with open(self.pool.conf, "w") as f:
            f.write(text.replace("workers = 2", "workers = 3"))
        threads, results = self.slow_requests(2)
        self.pool.signal(signal.SIGHUP)
        for t in threads:
            t.join(30)
        self.assertEqual(results, [200, 200])
        wait_for(lambda: len(self.pool.workers()) == 3 and not old & set(self.pool.workers()),
                 what="three new workers")
        self.assertIn("configuration reloaded", self.pool.log_text())
        # The shared token survived the reload: no new fetch.
        self.assertEqual(self.get("/api/processes")[0], 200)
        self.assertEqual(len(token_fetches(self.standin.state())), 1)

    def test_bad_config_on_sighup_keeps_the_running_one(self):
        with open(self.pool.conf, "a") as f:
            f.write("bogus_key = 1\n")
        self.pool.signal(signal.SIGHUP)
        wait_for(lambda: "reload refused" in self.pool.log_text(), what="the refusal")
        self.assertIn("bogus_key", self.pool.log_text())
        self.assertEqual(self.get("/healthz")[0], 200)

    def test_sigterm_drains_in_flight_requests(self):
        self.assertEqual(self.get("/readyz")[0], 200)
        threads, results = self.slow_requests(2)
        self.pool.signal(signal.SIGTERM)
        for t in threads:
            t.join(30)
        self.assertEqual(results, [200, 200])
        self.assertEqual(self.pool.proc.wait(15), 0)
        self.assertFalse(os.path.exists(self.pool.sock))

    @contextlib.contextmanager
    def steady_load(self):
        """wrk's 64 connections on /healthz, 2 s under way: the queue never empties."""
        wrk = subprocess.Popen(["wrk", "-t2", "-c64", "-d60s", self.nginx.url + "/healthz"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(2)   # the load under way
            self.assertIsNone(wrk.poll(), "wrk ended early")
            yield
        finally:
            wrk.kill()
            wrk.wait(10)

    def test_sigterm_ends_workers_a_steady_load_keeps_busy(self):
        # A worker takes connections in a row while they wait, but sees
        # SIGTERM (its signalfd) only when it waits: the run must be bounded,
        # or a load that never lets the queue empty (2 workers) would hold
        # the pool until shutdown_timeout and its SIGKILL.
        with self.steady_load():
            self.pool.signal(signal.SIGTERM)
            self.assertEqual(self.pool.proc.wait(30), 0)
        self.assertIn("pool: stopping", self.pool.log_text())
        self.assertNotIn("shutdown_timeout reached", self.pool.log_text())

    def test_sighup_under_a_steady_load_replaces_every_old_worker(self):
        # The old generation drains on SIGTERM: under a load that never lets
        # the queue empty, it must still end (and end by itself, status 0),
        # or the old config would go on answering after the reload.
        old = set(self.pool.workers())
        with open(self.pool.conf) as f:
            text = f.read()
        with open(self.pool.conf, "w") as f:
            f.write(text.replace("workers = 2", "workers = 3"))
        with self.steady_load():
            self.pool.signal(signal.SIGHUP)
            wait_for(lambda: len(self.pool.workers()) == 3 and not old & set(self.pool.workers()),
                     what="three new workers, the old ones gone")
        log = self.pool.log_text()
        self.assertIn("configuration reloaded", log)
        for pid in old:
            # A clean exit is logged at debug level only: a line here is a kill or a failure.
            self.assertNotIn("event=worker_exited child=%d " % pid, log)

    def test_dead_worker_is_replaced(self):
        victim = self.pool.workers()[0]
        os.kill(victim, signal.SIGKILL)
        wait_for(lambda: len(self.pool.workers()) == 2 and victim not in self.pool.workers(),
                 what="a replacement worker")
        self.assertEqual(self.get("/healthz")[0], 200)


class Recycling(Stack):
    server = {"workers": "2", "max_requests": "5"}

    def test_workers_recycle_after_max_requests(self):
        first = set(self.pool.workers())
        for _ in range(30):
            self.assertEqual(self.get("/healthz")[0], 200)
        wait_for(lambda: len(self.pool.workers()) == 2, what="two workers")
        self.assertFalse(first & set(self.pool.workers()))
        self.assertIn("recycling after 5 requests", self.pool.log_text())


class ConfigCheck(unittest.TestCase):
    def test_dash_t_names_file_key_and_problem(self):
        import tempfile
        d = tempfile.mkdtemp()
        path = os.path.join(d, "bad.conf")
        with open(path, "w") as f:
            f.write("[server]\nworkers = 0\n[integrify]\n")
        r = subprocess.run([BIN, "-c", path, "-t"], capture_output=True, text=True)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(path, r.stderr)
        self.assertIn("[server] workers", r.stderr)
        self.assertIn("not a whole number from 1 to 256", r.stderr)


class PlainCgi(Stack):
    """The same binary as plain CGI, one request per process, sharing the
    pool's token through the same cache file."""

    def cgi(self, path, method="GET", extra_env=None):
        env = {"GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": method, "PATH_INFO": path,
               "QUERY_STRING": "", "SERVER_PROTOCOL": "HTTP/1.1",
               "INTAKE_CONFIG": self.pool.conf, "PATH": os.environ.get("PATH", "")}
        env.update(extra_env or {})
        r = subprocess.run([BIN], env=env, capture_output=True, timeout=30)
        head, _, body = r.stdout.decode().partition("\r\n\r\n")
        return r.returncode, head, body, r.stderr.decode()

    def test_cgi_answers_with_the_shared_token(self):
        self.assertEqual(self.get("/readyz")[0], 200)
        rc, head, body, _ = self.cgi("/api/processes")
        self.assertEqual(rc, 0)
        self.assertTrue(head.startswith("Status: 200 OK"), head)
        self.assertIn("IT Request", json.loads(body)["processes"][0]["name"] + body)
        rc, head, body, _ = self.cgi("/healthz")
        self.assertTrue(head.startswith("Status: 200 OK"))
        self.assertEqual(len(token_fetches(self.standin.state())), 1)

    def test_cgi_unknown_path_is_404(self):
        rc, head, body, _ = self.cgi("/nope")
        self.assertTrue(head.startswith("Status: 404"), head)

    def test_cgi_without_a_config_is_a_json_500_naming_no_path(self):
        rc, head, body, err = self.cgi("/healthz", extra_env={"INTAKE_CONFIG": "/nonexistent/intake.conf"})
        self.assertTrue(head.startswith("Status: 500"), head)
        self.assertIn("Content-Type: application/json", head)
        self.assertIn("Content-Length: %d" % len(body.encode()), head)
        self.assertEqual(json.loads(body), {"error": {"code": "internal",
                                                      "message": "intake is not configured."}})
        self.assertNotIn("/nonexistent", body)
        self.assertIn("/nonexistent", err)   # the operator is told which file, on stderr


if __name__ == "__main__":
    unittest.main()
