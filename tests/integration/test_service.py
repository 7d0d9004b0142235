"""intake under a service manager, without a running systemd: the socket
passed by socket activation (systemd-socket-activate, the same protocol
systemd's intake.socket uses) and the READY / RELOADING / STOPPING
notifications of Type=notify, read from a NOTIFY_SOCKET of the test's own."""

import os
import signal
import socket
import subprocess
import time
import unittest

from harness import BIN, Pool, Stack, wait_for


class ActivatedPool(Pool):
    """The pool started by systemd-socket-activate, which binds the socket
    and starts intake, passing it the socket, on the first connection."""

    def start(self):
        self.log = open(self.logpath, "a")
        self.proc = subprocess.Popen(["systemd-socket-activate", "-l", self.sock,
                                      BIN, "-c", self.conf],
                                     stdout=self.log, stderr=self.log)
        wait_for(lambda: os.path.exists(self.sock), timeout=15, what="the passed socket")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(self.sock)            # this starts intake
        wait_for(lambda: len(self.workers()) >= 1, timeout=15, what="intake's workers")
        return self


class SocketActivation(Stack):
    pool_class = ActivatedPool
    # The config names another socket: the passed one must win.
    server = {"listen": "unix:/nonexistent/not-this-one.sock"}

    def test_the_passed_socket_serves_through_nginx(self):
        for _ in range(20):
            status, _, body = self.get("/healthz")
            self.assertEqual(status, 200, body)
        status, _, _ = self.get("/forms/nope")
        self.assertEqual(status, 404)
        self.assertIn("listening on the socket the service manager passed",
                      self.pool.log_text())

    def test_stopping_leaves_the_passed_socket_to_its_owner(self):
        self.pool.stop()
        self.assertIn("pool: stopped", self.pool.log_text())
        # The service manager made the socket; intake must not unlink it.
        self.assertTrue(os.path.exists(self.pool.sock))


class NotifyingPool(Pool):
    """The pool with NOTIFY_SOCKET set to a datagram socket the test reads."""

    def start(self):
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify_path = os.path.join(self.workdir, "notify")
        self.notify.bind(self.notify_path)
        self.notify.settimeout(20)
        os.environ["NOTIFY_SOCKET"] = self.notify_path
        try:
            return super().start()
        finally:
            del os.environ["NOTIFY_SOCKET"]

    def next_state(self):
        """The next notification's first line (READY=1, RELOADING=1, ...)."""
        msg = self.notify.recv(4096).decode()
        return msg.split("\n")[0], msg


class Notify(Stack):
    pool_class = NotifyingPool

    def test_ready_reloading_stopping_are_told(self):
        state, msg = self.pool.next_state()
        self.assertEqual(state, "READY=1")
        self.assertIn("STATUS=serving with 4 workers", msg)
        self.pool.signal(signal.SIGHUP)
        self.assertEqual(self.pool.next_state()[0], "RELOADING=1")
        state, msg = self.pool.next_state()
        self.assertEqual((state, msg.split("\n")[1]), ("READY=1", "STATUS=configuration reloaded"))
        self.assertEqual(self.get("/healthz")[0], 200)
        self.pool.signal(signal.SIGTERM)
        self.assertEqual(self.pool.next_state()[0], "STOPPING=1")
        self.pool.proc.wait(30)


if __name__ == "__main__":
    unittest.main()
