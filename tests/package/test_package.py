"""The Debian package from end to end, as an admin meets it (ctest label
"package"; it needs root, and installs and purges the package on this
machine).

Build it with scripts/package.sh (lintian must pass), install it with dpkg
-i, check the installed units, configure it as the README says, check the
config with intake -t as the service's ExecStartPre does, start the
installed binary as intake.socket and intake.service do (systemd-socket-
activate for the socket, the unit's User= through setpriv, its ExecStart
line read from the installed unit), put nginx with the installed site in
front, post a form against the Integrify stand-in, then purge the package
and check that nothing of it is left but the system user Debian policy
keeps."""

import glob
import json
import os
import pwd
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))

from harness import (BUILD, SRC, Nginx, Pool, Standin, free_port, http,  # noqa: E402
                     wait_for)
from test_forms import SECTIONS  # noqa: E402
from test_spool import good  # noqa: E402

UNITS = "/lib/systemd/system"
SOCK = "/run/intake/intake.sock"
ADMIN_SOCK = "/run/intake/admin.sock"   # as the shipped intake.conf and intake-admin.socket


def run(*args, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    return subprocess.run(list(args), **kw)


def unit_line(unit, key):
    """The value of key= in an installed unit (ExecStart, User, ...)."""
    with open(os.path.join(UNITS, unit)) as f:
        for line in f:
            if line.startswith(key + "="):
                return line.split("=", 1)[1].strip()
    raise AssertionError("%s has no %s=" % (unit, key))


@unittest.skipUnless(os.geteuid() == 0, "installing a package needs root")
class Package(unittest.TestCase):
    def setUp(self):
        if run("dpkg-query", "-W", "intake").returncode == 0:
            self.fail("a package named intake is installed already; purge it first")
        self.workdir = tempfile.mkdtemp(prefix="intake-pkg-")
        self.addCleanup(shutil.rmtree, self.workdir, True)
        out = os.path.join(BUILD, "package")
        r = run(os.path.join(SRC, "scripts/package.sh"),
                env=dict(os.environ, INTAKE_PACKAGE_DIR=out))
        sys.stderr.write(r.stdout[-600:])
        self.assertEqual(r.returncode, 0, r.stdout[-3000:] + r.stderr[-3000:])
        self.assertRegex(r.stdout, r"lintian: 0 error\(s\)")
        self.deb = glob.glob(os.path.join(out, "intake_*.deb"))[0]
        self.addCleanup(self.purge_if_installed)

    def purge_if_installed(self):
        if run("dpkg-query", "-W", "intake").returncode == 0:
            run("dpkg", "--purge", "intake")

    def install(self):
        r = run("dpkg", "-i", self.deb)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        files = run("dpkg-query", "-L", "intake").stdout.split()
        for path in ("/usr/sbin/intake", "/usr/sbin/intake-spool", "/etc/intake/intake.conf",
                     "/usr/share/intake/www/intake-form.js", "/usr/share/man/man5/intake.conf.5.gz",
                     "/usr/share/man/man8/intake.8.gz", "/usr/share/man/man8/intake-spool.8.gz",
                     UNITS + "/intake.service", UNITS + "/intake.socket",
                     "/usr/share/intake/nginx/intake.conf",
                     "/usr/share/intake/nginx/intake-locations.conf",
                     "/usr/share/intake/www/errors/404.html", "/usr/share/intake/www/errors/502.html"):
            self.assertIn(path, files)
        conffiles = run("dpkg-query", "-W", "-f=${Conffiles}", "intake").stdout
        self.assertIn("/etc/intake/intake.conf", conffiles)
        pw = pwd.getpwnam("intake")
        st = os.stat("/var/spool/intake")
        self.assertEqual((st.st_uid, st.st_gid, oct(st.st_mode & 0o777)),
                         (pw.pw_uid, pw.pw_gid, "0o700"))
        return files, pw

    def check_units(self):
        r = run("systemd-analyze", "verify", UNITS + "/intake.socket", UNITS + "/intake.service")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = run("systemd-analyze", "security", "--offline=true", UNITS + "/intake.service")
        m = re.search(r"Overall exposure level for intake.service: ([0-9.]+)", r.stdout)
        self.assertIsNotNone(m, r.stdout[-500:] + r.stderr)
        print("\nsystemd-analyze security: exposure %s (target <= 2.0)" % m.group(1),
              file=sys.stderr)

    def configure(self, standin, port):
        """/etc/intake as an admin sets it up: the tenant, the key, a form."""
        pool = Pool(self.workdir, standin, "v8-apikey", sections=SECTIONS, web_port=port,
                    server={"listen": "unix:" + SOCK, "admin_listen": "unix:" + ADMIN_SOCK,
                            "cache_file": "/run/intake/cache.shm",
                            "forms_dir": "/etc/intake/forms", "rate_per_client": "0",
                            "rate_per_form": "0"},
                    spool={"dir": "/var/spool/intake"})
        with open(pool.conf) as f:
            conf = f.read().replace(os.path.join(self.workdir, "integrify.key"),
                                    "/etc/intake/integrify.key")
        with open("/etc/intake/intake.conf", "w") as f:
            f.write(conf)
        shutil.copy(os.path.join(self.workdir, "integrify.key"), "/etc/intake/integrify.key")
        shutil.chown("/etc/intake/integrify.key", "intake", "intake")
        os.chmod("/etc/intake/integrify.key", 0o600)
        shutil.copy("/usr/share/doc/intake/examples/forms/it-request.conf", "/etc/intake/forms/")

    def as_unit_user(self, argv):
        """argv as the service's User= and Group= run it."""
        user, group = unit_line("intake.service", "User"), unit_line("intake.service", "Group")
        return ["setpriv", "--reuid=" + user, "--regid=" + group, "--init-groups", "--"] + argv

    def test_install_configure_serve_a_form_and_purge(self):
        files, pw = self.install()
        self.check_units()
        standin = Standin(self.workdir, ())
        self.addCleanup(standin.close)
        port = free_port()
        self.configure(standin, port)
        r = run(*self.as_unit_user(shlex.split(unit_line("intake.service", "ExecStartPre"))))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # /run/intake as the package's tmpfiles.d makes it at boot.
        r = run("systemd-tmpfiles", "--create", "/usr/lib/tmpfiles.d/intake.conf")
        self.assertEqual(r.returncode, 0, r.stderr)
        log = open(os.path.join(self.workdir, "intake.log"), "w")
        proc = subprocess.Popen(["systemd-socket-activate", "-l", SOCK] +
                                self.as_unit_user(shlex.split(unit_line("intake.service",
                                                                        "ExecStart"))),
                                stdout=log, stderr=log)
        self.addCleanup(lambda: (proc.poll() is None and proc.terminate(), proc.wait(30),
                                 log.close()))
        wait_for(lambda: os.path.exists(SOCK), what="the socket")
        nginx = Nginx(self.workdir, SOCK, port=port, site="/usr/share/intake/nginx/intake.conf",
                      www="/usr/share/intake/www")
        self.addCleanup(nginx.stop)
        nginx.start()
        status, _, body = http(nginx.url + "/forms/it-request", timeout=30)
        self.assertEqual(status, 200, body[:500])
        with open("/proc/%d/status" % proc.pid) as f:
            self.assertIn("Uid:\t%d\t%d" % (pw.pw_uid, pw.pw_uid), f.read())
        token = re.search(r'name="_token" value="([^"]+)"', body).group(1)
        # The versioned script the page names, from the installed files
        # through the installed locations; an unknown path: the installed 404 page.
        script = re.search(r'<script src="(/static/[^/"]+/intake-form\.js)"', body).group(1)
        status, headers, js = http(nginx.url + script)
        self.assertEqual(status, 200)
        self.assertIn("immutable", headers.get("Cache-Control", ""))
        status, _, page = http(nginx.url + "/no/such/page")
        with open("/usr/share/intake/www/errors/404.html", encoding="utf-8") as f:
            self.assertEqual((status, page), (404, f.read()))
        time.sleep(1.1)
        post = urllib.parse.urlencode([("_token", token)] + good(1)).encode()
        status, _, body = http(nginx.url + "/forms/it-request", method="POST", body=post,
                               headers={"Content-Type": "application/x-www-form-urlencoded",
                                        "Origin": nginx.url, "Accept": "application/json"})
        self.assertEqual(status, 201, body)
        ref = json.loads(body)["reference"]
        insts = standin.call("GET", "/__sim/instances")["instances"]
        self.assertEqual([ref in i["name"] for i in insts], [True])
        r = run(*self.as_unit_user(["/usr/sbin/intake-spool", "-c", "/etc/intake/intake.conf",
                                    "list", "all"]))
        self.assertIn(ref, r.stdout)
        proc.terminate()
        self.assertEqual(proc.wait(30), 0)
        nginx.stop()
        # Purge: nothing of the package is left but the user and group.
        r = run("dpkg", "--purge", "intake")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        left = [p for p in files if os.path.lexists(p) and not os.path.isdir(p)]
        left += [p for p in ("/var/spool/intake", "/run/intake") if os.path.exists(p)]
        self.assertEqual(left, [])
        # What the admin made and the package never knew stays (dpkg removes only
        # its own files; the key files, which postrm knows by name, are gone).
        kept = [os.path.join(d, f) for d, _, fs in os.walk("/etc/intake") for f in fs]
        self.assertEqual(kept, ["/etc/intake/forms/it-request.conf"])
        shutil.rmtree("/etc/intake")
        self.assertEqual(pwd.getpwnam("intake").pw_uid, pw.pw_uid)
        print("installed %d paths, served a form (%s), purged: none of them left; kept: the "
              "intake user and the admin's own form file" % (len(files), ref), file=sys.stderr)


if __name__ == "__main__":
    unittest.main()
