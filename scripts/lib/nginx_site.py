#!/usr/bin/env python3
"""Render the shipped nginx site for a private nginx on loopback.

conf/nginx/intake.conf is a production site (TLS on 443, a redirect and a
catch-all on 80) that includes conf/nginx/intake-locations.conf. The demo,
the benchmarks and the tests run these very files, with only what is theirs
replaced: ports, names, the socket, the static root, the cache directory, the
access log, the published lists' directory and the certificate. Every text replaced must be found (a changed site is then
noticed, not silently run half-rendered).

Two shapes:

  plain (default)  intake's server and the port-80 catch-all on PORT, plain
                   HTTP; the TLS catch-all and the HTTP->HTTPS redirect are
                   left out and the ssl_* lines commented out. What the
                   demo, the benches and most tests use.
  TLS (--tls-port) every server as shipped: port 443 becomes TLS_PORT (with
                   CERT and KEY), port 80 becomes REDIRECT_PORT.

usage: nginx_site.py SITE OUTDIR --port P --sock SOCK --www DIR --cache DIR
               --access-log FILE --published DIR
               [--names "127.0.0.1 localhost"] [--no-limit-req]
               [--tls-port T --redirect-port R --cert FILE --key FILE]

Writes OUTDIR/intake-site.conf and OUTDIR/intake-locations.conf (read from
beside SITE, so an installed site renders with its installed locations).
"""
import argparse
import os
import re
import subprocess
import sys

SOCKET = "unix:/run/intake/intake.sock"
SERVER_NAME = "server_name intake.example.internal;"
ROOT = "root /usr/share/intake/www;"
# Where intake publishes lists ([server] publish_dir), the lists' root.
PUBLISHED = "root /run/intake/published;"
CACHE = "/var/cache/nginx/intake"
ACCESS_LOG = "/var/log/nginx/intake.access.log"
INCLUDE = "include /usr/share/intake/nginx/intake-locations.conf;"
LISTEN_80_DEFAULT = "listen 80 default_server;"
LISTEN_80 = "listen 80;"
LISTEN_443_DEFAULT = "listen 443 ssl http2 default_server;"
LISTEN_443 = "listen 443 ssl http2;"
CERT = "/etc/ssl/certs/intake.example.internal.pem"
KEY = "/etc/ssl/private/intake.example.internal.key"
# The shipped per-client limit on /api/ (in intake-locations.conf).
LIMIT_REQ = "limit_req zone=intake_api burst=50 nodelay;"


class SiteError(Exception):
    """The shipped site no longer has the shape this renderer knows."""


def replace(text, old, new, what):
    """text with every old replaced by new; old must occur."""
    if old not in text:
        raise SiteError("%s no longer holds %r: update scripts/lib/nginx_site.py" % (what, old))
    return text.replace(old, new)


def server_blocks(text):
    """(start, end) of every top-level "server {" block of text."""
    blocks = []
    for m in re.finditer(r"^server \{", text, re.M):
        depth, i = 0, m.start()
        while i < len(text):
            if text[i] == "{":
                depth += 1
            elif text[i] == "}":
                depth -= 1
                if depth == 0:
                    blocks.append((m.start(), i + 1))
                    break
            elif text[i] == "#":        # a comment runs to the end of its line
                i = text.find("\n", i)
                if i < 0:
                    break
            i += 1
    return blocks


def drop_server(text, marker, what):
    """text without the one top-level server block that contains marker."""
    hits = [(s, e) for s, e in server_blocks(text) if marker in text[s:e]]
    if len(hits) != 1:
        raise SiteError("%s: expected one server block with %r, found %d" % (what, marker, len(hits)))
    s, e = hits[0]
    return text[:s] + "# (left out for plain HTTP by scripts/lib/nginx_site.py)" + text[e:]


def render_text(site, locations, *, port, sock, www, cache, locations_out, access_log, published,
                names="127.0.0.1 localhost", limit_req=True, tls_port=None,
                redirect_port=None, cert=None, key=None, what="conf/nginx/intake.conf"):
    """(site, locations) texts rendered as the module docstring says."""
    site = replace(site, SOCKET, "unix:" + sock, what)
    site = replace(site, SERVER_NAME, "server_name %s;" % names, what)
    site = replace(site, ROOT, "root %s;" % www, what)
    site = replace(site, CACHE, cache, what)
    site = replace(site, ACCESS_LOG, access_log, what)
    site = replace(site, INCLUDE, "include %s;" % locations_out, what)
    if tls_port is None:
        site = drop_server(site, "ssl_reject_handshake on;", what)
        site = drop_server(site, "return 301 https://", what)
        site = replace(site, LISTEN_80_DEFAULT, "listen 127.0.0.1:%d default_server;" % port, what)
        site = replace(site, LISTEN_443, "listen 127.0.0.1:%d;" % port, what)
        site, n = re.subn(r"^(\s*)(ssl_[a-z_]+\s)", r"\1# plain HTTP: \2", site, flags=re.M)
        if n == 0:
            raise SiteError("%s: no ssl_ lines in intake's server" % what)
    else:
        site = replace(site, LISTEN_80_DEFAULT, "listen 127.0.0.1:%d default_server;" % redirect_port, what)
        site = replace(site, LISTEN_80, "listen 127.0.0.1:%d;" % redirect_port, what)
        site = replace(site, LISTEN_443_DEFAULT, "listen 127.0.0.1:%d ssl http2 default_server;" % tls_port, what)
        site = replace(site, LISTEN_443, "listen 127.0.0.1:%d ssl http2;" % tls_port, what)
        site = replace(site, CERT, cert, what)
        site = replace(site, KEY, key, what)
    locations = replace(locations, PUBLISHED, "root %s;" % published, "intake-locations.conf")
    if not limit_req:
        locations = replace(locations, LIMIT_REQ, "# limit_req off (scripts/lib/nginx_site.py)",
                            "intake-locations.conf")
    return site, locations


def render(site_path, out_dir, site_edit=None, locations_edit=None, **kw):
    """Write out_dir/intake-site.conf and out_dir/intake-locations.conf from
    site_path and the intake-locations.conf beside it; return both paths.
    site_edit, locations_edit: functions of the rendered texts, or None."""
    with open(site_path, encoding="utf-8") as f:
        site = f.read()
    with open(os.path.join(os.path.dirname(site_path), "intake-locations.conf"), encoding="utf-8") as f:
        locations = f.read()
    os.makedirs(out_dir, exist_ok=True)
    site_out = os.path.join(out_dir, "intake-site.conf")
    locations_out = os.path.join(out_dir, "intake-locations.conf")
    site, locations = render_text(site, locations, locations_out=locations_out,
                                  what=site_path, **kw)
    if site_edit is not None:
        site = site_edit(site)
    if locations_edit is not None:
        locations = locations_edit(locations)
    for path, text in ((site_out, site), (locations_out, locations)):
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    return site_out, locations_out


def self_signed(out_dir, name="localhost"):
    """A throwaway self-signed certificate for name and 127.0.0.1: (cert, key)."""
    cert, key = os.path.join(out_dir, "tls.crt"), os.path.join(out_dir, "tls.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                    "-subj", "/CN=" + name,
                    "-addext", "subjectAltName=DNS:%s,IP:127.0.0.1" % name,
                    "-keyout", key, "-out", cert],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return cert, key


def main(argv):
    ap = argparse.ArgumentParser(description="Render the shipped nginx site for loopback.")
    ap.add_argument("site")
    ap.add_argument("out_dir")
    ap.add_argument("--port", type=int)
    ap.add_argument("--sock", required=True)
    ap.add_argument("--www", required=True)
    ap.add_argument("--cache", required=True)
    ap.add_argument("--access-log", required=True)
    ap.add_argument("--published", required=True)
    ap.add_argument("--names", default="127.0.0.1 localhost")
    ap.add_argument("--no-limit-req", action="store_true")
    ap.add_argument("--tls-port", type=int)
    ap.add_argument("--redirect-port", type=int)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    a = ap.parse_args(argv[1:])
    if a.tls_port is None and a.port is None:
        ap.error("--port (plain HTTP) or --tls-port is needed")
    if a.tls_port is not None and None in (a.redirect_port, a.cert, a.key):
        ap.error("--tls-port needs --redirect-port, --cert and --key")
    try:
        render(a.site, a.out_dir, port=a.port, sock=a.sock, www=a.www, cache=a.cache, access_log=a.access_log,
               published=a.published,
               names=a.names, limit_req=not a.no_limit_req, tls_port=a.tls_port,
               redirect_port=a.redirect_port, cert=a.cert, key=a.key)
    except (OSError, SiteError) as e:
        sys.stderr.write("nginx_site.py: %s\n" % e)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
