#!/usr/bin/env python3
"""Append to a rendered conf/nginx/intake.conf a second copy of its (last)
server block, intake's, that listens elsewhere and has the one-second micro-cache turned off.

usage: nocache_site.py SITE_CONF LISTEN

SITE_CONF is the site as bench/bench_endpoint.sh, bench/bench_choices.sh or
tests/integration/harness.py render it (port, socket and paths replaced);
LISTEN is the copy's listen address, e.g. 127.0.0.1:8081. The copy keeps
every setting of the shipped server (fastcgi_params, keep_conn off,
timeouts, the same upstream "intake") and differs in two lines only:
"listen" and "fastcgi_cache intake_lists;" -> "fastcgi_cache off;" in the
/api/(choices|reports)/ location. Requests to it therefore reach the intake
workers every time: what the workers do is measured, not nginx's cache. It
answers without an X-Micro-Cache header ($upstream_cache_status is empty).

Fails loudly (exit 2) if the site no longer has the expected shape.
"""
import os
import re
import sys

CACHE_LINE = "fastcgi_cache intake_lists;"


class SiteShapeError(Exception):
    """The site file no longer looks like conf/nginx/intake.conf."""


def nocache_server(site, listen):
    """The text of a copy of site's server {} block listening on `listen`,
    with fastcgi_cache off."""
    # The shipped site has a catch-all server (444 for unknown Hosts) first
    # and intake's server block last: copy the last one.
    starts = [m.start() for m in re.finditer(r"^server \{", site, re.M)]
    if not starts:
        raise SiteShapeError("no top-level 'server {' line")
    if site.count(CACHE_LINE) != 1:
        raise SiteShapeError("expected '%s' exactly once in the site" % CACHE_LINE)
    block = site[starts[-1]:].rstrip()
    if not block.endswith("}"):
        raise SiteShapeError("the server block is not the last thing in the file")
    block, n = re.subn(r"^(\s*)listen [^;]+;", lambda m: "%slisten %s;" % (m.group(1), listen),
                       block, count=1, flags=re.M)
    if n != 1:
        raise SiteShapeError("no 'listen' line in the server block")
    if block.count(CACHE_LINE) != 1:
        raise SiteShapeError("'%s' is not in the last server block" % CACHE_LINE)
    block = block.replace(CACHE_LINE, "fastcgi_cache off;  # nocache_site.py: micro-cache off")
    return ("\n# nocache_site.py: the server above again, on %s, without the micro-cache\n"
            % listen) + block + "\n"


def add_nocache_server(path, listen):
    """Append the cache-free copy to the site file at path."""
    with open(path, encoding="utf-8") as f:
        site = f.read()
    extra = nocache_server(site, listen)
    with open(path, "a", encoding="utf-8") as f:
        f.write(extra)


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: nocache_site.py SITE_CONF LISTEN\n")
        return 2
    try:
        add_nocache_server(argv[1], argv[2])
    except (OSError, SiteShapeError) as e:
        sys.stderr.write("nocache_site.py: %s: %s\n" % (os.path.basename(argv[1]), e))
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
