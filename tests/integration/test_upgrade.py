"""Upgrades keep the spool: a spool written by the previous format version
(tests/fixtures/spool-v1, "intake-spool 1" records and their companion
files, made by intake 0.1.0) is read by this build: the queued submission is
delivered once, the held one stays held with its reason, and the delivered
one's receipt still answers.  Keep the fixture as it is when the format
changes: it is what a server being upgraded has on disk."""

import json
import os
import re
import shutil
import time

from harness import SRC, Pool, wait_for
from test_spool import SpoolStack, good

FIXTURE = os.path.join(SRC, "tests/fixtures/spool-v1")
QUEUED, HELD, DONE = "YZ99-WBRJ-5P8P", "ZK23-MT0V-W7DG", "8RM1-5761-PFV5"


class UpgradedPool(Pool):
    """A pool whose spool is the previous version's, copied in before it starts."""

    def start(self):
        if not os.path.exists(self.spool_dir):
            shutil.copytree(FIXTURE, self.spool_dir)
            os.chmod(self.spool_dir, 0o700)
            now_ms = int(time.time() * 1000)
            # The fixture ages; its times are moved to today, as if the old
            # version had written it just before the upgrade (only the
            # companion files hold times; the records' checksums stay valid).
            for place in ("queue", "dead"):
                for name in os.listdir(os.path.join(self.spool_dir, place)):
                    if name.endswith(".meta"):
                        path = os.path.join(self.spool_dir, place, name)
                        with open(path) as f:
                            text = f.read()
                        text = re.sub(r"(?m)^(at|revived) \d+$", r"\1 %d" % now_ms, text)
                        text = re.sub(r"(?m)^next \d+$", "next 0", text)
                        with open(path, "w") as f:
                            f.write(text)
            for root, _, files in os.walk(self.spool_dir):
                for name in files:
                    os.utime(os.path.join(root, name))
        return super().start()


class SpoolUpgrade(SpoolStack):
    pool_class = UpgradedPool

    def test_previous_spool_version_is_delivered_held_and_answered(self):
        wait_for(self.drained, timeout=60, step=0.3, what="the old queued submission")
        self.assert_exactly_once({QUEUED: 3})
        self.assertEqual(self.readyz()["spool"], {"queued": 0, "held": 1})
        self.assertRegex(self.tool("show", HELD), r"(?m)^held for +unexpected reply from "
                         r"Integrify \(HTTP 400\)$")
        status, _, body = self.get("/forms/it-request/receipt?ref=" + DONE,
                                   headers={"Accept": "application/json"})
        self.assertEqual((status, json.loads(body)["status"]), (200, "started"), body)
        self.assertIn(DONE, self.tool("list", "started"))
        self.assertEqual(self.description_of(self.instances()[0]),
                         dict(good(3))["description"])
