#!/usr/bin/env python3
"""The stack the browser tests (run.mjs) drive, on loopback only.

Starts the Integrify stand-in, the real intake pool with the drop-down
sources below and a private nginx running the shipped conf/nginx/intake.conf,
plus two more nginx servers that play intranet sites on other origins: one
listed in [server] cors_origins ("allowed"), one not ("other"). They serve
the pages in tests/browser/pages/ with @INTAKE@ replaced by intake's URL,
under a strict Content-Security-Policy.

Prints one JSON line with the URLs once everything answers, then runs until
its standard input closes (or SIGTERM), and stops everything it started.

    python3 tests/browser/stack.py      # INTAKE_SRC, INTAKE_BIN as for tests/integration
    python3 tests/browser/stack.py --forms-dir conf/forms   # forms.mjs: public forms too

With --forms-dir the pool serves the forms in that directory (GET/POST
/forms/{id}), with the per-client rate limit raised so a test run is never
throttled.

With --down-site (errors.mjs) a second nginx runs the same shipped site
with no pool behind it ("down" in the JSON line: every intake route is
nginx's own 502), plus test-only locations /__status/NNN that answer
nginx's own NNN on a page route (DOWN_STATUSES), so that every error page
the site maps can be fetched through nginx.
"""

import argparse
import json
import os
import re
import shutil
import signal
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import harness  # noqa: E402  (tests/integration/harness.py)


def report_sid(name):
    return next(r["sid"] for r in harness.fixture()["reports"] if r["name"] == name)


# The drop-down sources and report tables www/demo-*.html and the test pages use.
SOURCES = [
    ("source:divisions", {"report": report_sid("Divisions"), "fetch": "csv",
                          "value_column": "Division", "label_column": "Title"}),
    ("source:departments", {"report": report_sid("Departments"), "fetch": "csv",
                            "value_column": "Code", "label_column": "Department",
                            "filter.parent": "Division",
                            "check.parent": "source:divisions"}),
    ("source:regions", {"report": report_sid("Regions"), "fetch": "csv",
                        "value_column": "Code", "label_column": "Region"}),
    ("source:locations", {"report": report_sid("Locations"), "fetch": "csv",
                          "value_column": "Code", "label_column": "Location",
                          "filter.parent": "Region", "check.parent": "source:regions"}),
    ("source:categories", {"report": report_sid("Request Categories"), "fetch": "csv",
                           "value_column": "ID", "label_column": "Category"}),
    ("source:priorities", {"report": report_sid("Priorities"), "fetch": "csv",
                           "value_column": "Code", "label_column": "Priority"}),
    # conf/forms/it-request.conf's checkbox group (as in conf/demo/intake.conf.in).
    ("source:accessories", {"report": "0f363b73-973c-534b-be42-6609ae3d28dd", "fetch": "csv",
                            "value_column": "Accessory", "label_column": "Label"}),
    # A report Integrify does not know: every request is a 502.
    ("source:broken", {"report": "00000000-0000-4000-8000-000000000000", "fetch": "csv"}),
    ("report:assets", {"report": report_sid("Asset Notes"), "fetch": "csv",
                       "title": "Asset notes", "columns": "Tag, Description, Owner, Notes",
                       "filter.owner": "Owner",
                       "check.owner": "pattern:[a-z][a-z0-9._-]{0,63}"}),
]


class Pool(harness.Pool):
    """harness.Pool plus [source:...] / [report:...] sections."""

    def __init__(self, *args, extra_sections=(), **kw):
        self.extra_sections = list(extra_sections)
        super().__init__(*args, **kw)

    def write_config(self):
        super().write_config()
        with open(self.conf, "a") as f:
            for name, keys in self.extra_sections:
                f.write("[%s]\n" % name)
                for k, v in keys.items():
                    f.write("%s = %s\n" % (k, v))


ORIGIN_SERVER = """
# Test only: an intranet site on another origin ({what}).
server {{
    listen 127.0.0.1:{port};
    server_name localhost;
    root {root};
    charset utf-8;
    include {ssi};
    location / {{
        add_header Content-Security-Policy "default-src 'none'; script-src {intake}; connect-src {intake}; style-src {intake}; img-src 'self'; base-uri 'none'; form-action 'self'" always;
        add_header Cache-Control "no-store" always;
    }}
    # The README's Select2 and Tom Select examples: inline code as written
    # there, the libraries from the browser tests' npm packages.
    location /widgets/ {{
        add_header Content-Security-Policy "default-src 'none'; script-src 'self' 'unsafe-inline'; connect-src {intake}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; base-uri 'none'" always;
        add_header Cache-Control "no-store" always;
    }}
    location /vendor/ {{
        alias {vendor}/;
    }}
}}
"""


class Nginx(harness.Nginx):
    """harness.Nginx plus two origin servers serving the test pages."""

    def __init__(self, workdir, sock, pages):
        super().__init__(workdir, sock)
        self.allowed_port = harness.free_port()
        self.other_port = harness.free_port()
        self.allowed_url = "http://127.0.0.1:%d" % self.allowed_port
        self.other_url = "http://127.0.0.1:%d" % self.other_port
        # conf/nginx/ssi-example.conf as shipped, pointed at this intake.
        with open(os.path.join(harness.SRC, "conf/nginx/ssi-example.conf"), encoding="utf-8") as f:
            ssi = f.read()
        example_upstream = "proxy_pass https://intake.example.internal/api/;"
        assert example_upstream in ssi, "ssi-example.conf changed: update stack.py"
        ssi_path = os.path.join(self.dir, "ssi-example.conf")
        with open(ssi_path, "w", encoding="utf-8") as f:
            f.write(ssi.replace(example_upstream, "proxy_pass %s/api/;" % self.url))
        with open(self.site_path, "a") as f:
            for what, port in (("listed in cors_origins", self.allowed_port),
                               ("not listed", self.other_port)):
                f.write(ORIGIN_SERVER.format(what=what, port=port, root=pages, intake=self.url,
                                             ssi=ssi_path,
                                             vendor=os.path.join(HERE, "node_modules")))


# Statuses the site maps to www/errors/ that the stack cannot otherwise
# cause on a page route (the shipped limit_req is on /api/ only).
DOWN_STATUSES = (429, 500, 503, 504)


def status_locations(text):
    """The rendered locations plus /__status/NNN, test only."""
    return text + "\n# Test only (tests/browser/stack.py --down-site).\n" + "".join(
        "location = /__status/%d { return %d; }\n" % (c, c) for c in DOWN_STATUSES)


EXAMPLE_HOST = "https://intake.example.internal"


def readme_examples():
    """The README's code blocks marked <!-- example: NAME -->, by NAME."""
    with open(os.path.join(harness.SRC, "README.md"), encoding="utf-8") as f:
        text = f.read()
    found = {}
    for m in re.finditer(r"<!-- example: ([a-z0-9-]+) -->\n```html\n(.*?)```\n", text, re.S):
        found[m.group(1)] = m.group(2)
    return found


def render_pages(dest, intake_url):
    src = os.path.join(HERE, "pages")
    examples = readme_examples()
    for top, _, files in os.walk(src):
        out = os.path.join(dest, os.path.relpath(top, src))
        os.makedirs(out, exist_ok=True)
        for name in files:
            with open(os.path.join(top, name), encoding="utf-8") as f:
                text = f.read()
            for m in re.finditer(r"@EXAMPLE:([a-z0-9-]+)@", text):
                if m.group(1) not in examples:
                    raise SystemExit("README.md has no example %r" % m.group(1))
            text = re.sub(r"@EXAMPLE:([a-z0-9-]+)@",
                          lambda m: examples[m.group(1)].replace(EXAMPLE_HOST, intake_url), text)
            with open(os.path.join(out, name), "w", encoding="utf-8") as f:
                f.write(text.replace("@INTAKE@", intake_url))


def main():
    ap = argparse.ArgumentParser(description="The browser tests' stack.")
    ap.add_argument("--forms-dir", help="serve the public forms in this directory")
    ap.add_argument("--down-site", action="store_true",
                    help="also run the site with no pool behind it (errors.mjs)")
    args = ap.parse_args()
    server_extra, variant = {}, "v7-impersonate"
    if args.forms_dir:
        # conf/forms/it-request.conf names the v8 demo process's question ids.
        variant = "v8-apikey"
        server_extra = {"forms_dir": os.path.abspath(args.forms_dir),
                        "rate_per_client": "100000", "rate_per_form": "100000"}
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    workdir = tempfile.mkdtemp(prefix="intake-browser-")
    if args.forms_dir:
        # As the demo: the form's unfiltered lists come from published files.
        server_extra["publish_dir"] = os.path.join(workdir, "published")
    stops = []
    keep = True
    try:
        standin = harness.Standin(workdir)
        stops.append(standin.close)
        pages = os.path.join(workdir, "pages")
        # The ports are chosen before the pool's config is written: nginx
        # picks its own ports at construction, the pool needs the origins.
        pool_sock = os.path.join(workdir, "intake.sock")
        nginx = Nginx(workdir, pool_sock, pages)
        pool = Pool(workdir, standin, variant=variant, server=dict({"cors_origins": nginx.allowed_url}, **server_extra), extra_sections=SOURCES,
                    web_port=nginx.port)
        assert pool.sock == pool_sock
        stops.append(pool.stop)
        pool.start()
        render_pages(pages, nginx.url)
        stops.append(nginx.stop)
        nginx.start()
        harness.wait_for(lambda: harness.http(nginx.url + "/readyz", timeout=10)[0] == 200,
                         timeout=30, what="/readyz to answer 200")
        down = None
        if args.down_site:
            down = harness.Nginx(os.path.join(workdir, "down"),
                                 os.path.join(workdir, "down", "no-pool.sock"),
                                 locations_edit=status_locations)
            stops.append(down.stop)
            down.start()
        print(json.dumps({"intake": nginx.url, "allowed": nginx.allowed_url,
                          "down": down and down.url, "down_statuses": DOWN_STATUSES,
                          "other": nginx.other_url, "standin": standin.url,
                          "workdir": workdir, "fixture": harness.FIXTURE,
                          "sources": {n: k for n, k in SOURCES}}), flush=True)
        # Until run.mjs closes stdin; it writes "keep" first when a test failed.
        keep = "keep" in sys.stdin.read() or bool(os.environ.get("INTAKE_BROWSER_KEEP"))
    finally:
        for stop in reversed(stops):
            try:
                stop()
            except Exception as e:  # keep stopping the rest
                print("stack.py: stopping: %r" % e, file=sys.stderr)
        if keep:
            print("stack.py: kept %s (logs: standin.log, intake.log, nginx/)" % workdir,
                  file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
