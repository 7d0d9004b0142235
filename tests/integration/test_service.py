"""intake under a service manager, without a running systemd: the socket
passed by socket activation (systemd-socket-activate, the same protocol
systemd's intake.socket uses) and the READY / RELOADING / STOPPING
notifications of Type=notify, read from a NOTIFY_SOCKET of the test's own."""

import grp
import os
import pwd
import signal
import socket
import subprocess
import tempfile
import unittest

from harness import BIN, Pool, Stack, wait_for


class ActivatedPool(Pool):
    """The pool started by systemd-socket-activate, which binds the socket
    and starts intake, passing it the socket, on the first connection."""

    def start(self):
        self.log = open(self.logpath, "a")
        self.proc = subprocess.Popen(["systemd-socket-activate", "-l", self.sock,
                                      BIN, "-c", self.conf] + self.root_flag(),
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

    def stop(self, timeout=30):
        rc = super().stop(timeout)
        self.notify.close()
        return rc

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


RUN_AS = "intake"


def ensure_user(name):
    """The system user the pool drops to, made when missing (the package's postinst
    makes the same one)."""
    try:
        return pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--system", "--user-group", "--no-create-home",
                        "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", name],
                       check=True)
        return pwd.getpwnam(name)


class DroppingPool(Pool):
    """Started as root with [server] user: its working directory is the user's."""

    def start(self):
        pw = ensure_user(RUN_AS)
        os.chown(self.workdir, pw.pw_uid, pw.pw_gid)
        return super().start()


def ids(pid):
    """(uids, gids, groups) of a process, from /proc/PID/status."""
    with open("/proc/%d/status" % pid) as f:
        status = dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
    return (status["Uid"].split(), status["Gid"].split(), status["Groups"].split())


@unittest.skipUnless(os.geteuid() == 0, "dropping privileges needs root")
class Privileges(Stack):
    pool_class = DroppingPool
    # nginx's workers run as nobody:nogroup here: the socket's group lets them in.
    server = {"user": RUN_AS, "socket_group": "nogroup", "socket_mode": "0660"}

    def test_workers_and_dispatcher_run_as_the_user_for_good(self):
        pw = pwd.getpwnam(RUN_AS)
        wait_for(lambda: self.pool.dispatcher() is not None, what="the dispatcher")
        procs = [self.pool.proc.pid] + self.pool.children()
        self.assertGreaterEqual(len(procs), 6)          # supervisor, 4 workers, dispatcher
        for pid in procs:
            uids, gids, groups = ids(pid)
            self.assertEqual(uids, [str(pw.pw_uid)] * 4, "pid %d" % pid)
            self.assertEqual(gids, [str(pw.pw_gid)] * 4, "pid %d" % pid)
            self.assertNotIn("0", groups)
        st = os.stat(self.pool.sock)
        self.assertEqual((st.st_gid, oct(st.st_mode & 0o777)),
                         (grp.getgrnam("nogroup").gr_gid, "0o660"))
        # The files it made are the user's, and it serves through nginx.
        self.assertEqual(os.stat(os.path.join(self.workdir, "cache.shm")).st_uid, pw.pw_uid)
        self.assertEqual(self.get("/healthz")[0], 200)


@unittest.skipUnless(os.geteuid() == 0, "the refusal is of root")
class RootRefused(unittest.TestCase):
    def test_workers_never_run_as_root_unless_told(self):
        with tempfile.TemporaryDirectory() as d:
            conf = os.path.join(d, "intake.conf")
            key = os.path.join(d, "key")
            with open(key, "w") as f:
                f.write("k" * 32 + "\n")
            with open(conf, "w") as f:
                f.write("[server]\nlisten = unix:%s/s.sock\ncache_file = %s/c.shm\n"
                        "[spool]\ndir = %s/spool\n[integrify]\ndialect = v7\n"
                        "flow = impersonate\nbase_url = https://acme.integrify.com\n"
                        "user = svc\nkey_file = %s\n" % (d, d, d, key))
            r = subprocess.run([BIN, "-c", conf], capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 1)
            self.assertIn("refusing to run the workers as root: set [server] user", r.stderr)
            self.assertFalse(os.path.exists(os.path.join(d, "c.shm")))
            r = subprocess.run([BIN, "-c", conf, "-d"], capture_output=True, text=True,
                               timeout=30)
            self.assertEqual(r.returncode, 1)
            self.assertIn("refusing to run the workers as root", r.stderr)
