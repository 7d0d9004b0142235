#!/usr/bin/env python3
"""Append to a rendered conf/nginx/intake.conf a second copy of its (last)
server block, intake's, that listens elsewhere and has the one-second micro-cache turned off.

usage: nocache_site.py SITE_CONF LISTEN

SITE_CONF is the site as scripts/lib/nginx_site.py renders it for the
benches and tests (port, socket and paths replaced, plain HTTP); LISTEN is
the copy's listen address, e.g. 127.0.0.1:8081. The copy keeps every
setting of the shipped server and its locations (the rendered
intake-locations.conf it includes: fastcgi_params, keep_conn off, timeouts,
the same upstream "intake") and differs in three lines only: "listen",
"fastcgi_cache intake_lists;" -> "fastcgi_cache off;" in the @intake_lists
location, and "try_files $intake_published ..." -> a name never published,
in its own copy of the locations (intake-locations-nocache.conf beside the
rendered one), so published lists are not sent from their files either. Requests to it
therefore reach the intake workers every time: what the workers do is
measured, not nginx's cache. It answers without an X-Micro-Cache header
($upstream_cache_status is empty).

Fails loudly (exit 2) if the site no longer has the expected shape.
"""
import os
import re
import sys

CACHE_LINE = "fastcgi_cache intake_lists;"
PUBLISHED_LINE = "try_files $intake_published @intake_lists;"


class SiteShapeError(Exception):
    """The site file no longer looks like conf/nginx/intake.conf."""


INCLUDE = re.compile(r"^(\s*)include (\S*intake-locations\.conf);", re.M)


def nocache_server(site, listen):
    """(the text of a copy of site's server {} block listening on `listen`
    and including the locations copy instead, the path of the locations it
    included, the path of the copy)."""
    # The rendered site has a catch-all server (444 for unknown Hosts) first
    # and intake's server block last: copy the last one.
    starts = [m.start() for m in re.finditer(r"^server \{", site, re.M)]
    if not starts:
        raise SiteShapeError("no top-level 'server {' line")
    block = site[starts[-1]:].rstrip()
    if not block.endswith("}"):
        raise SiteShapeError("the server block is not the last thing in the file")
    block, n = re.subn(r"^(\s*)listen [^;]+;", lambda m: "%slisten %s;" % (m.group(1), listen),
                       block, count=1, flags=re.M)
    if n != 1:
        raise SiteShapeError("no 'listen' line in the server block")
    m = INCLUDE.search(block)
    if m is None:
        raise SiteShapeError("the server block includes no intake-locations.conf")
    locations = m.group(2)
    copy = locations[:-len(".conf")] + "-nocache.conf"
    block = block[:m.start(2)] + copy + block[m.end(2):]
    return ("\n# nocache_site.py: the server above again, on %s, without the micro-cache\n"
            % listen) + block + "\n", locations, copy


def nocache_locations(text):
    """The locations text with the micro-cache and the published lists off."""
    for line in (CACHE_LINE, PUBLISHED_LINE):
        if text.count(line) != 1:
            raise SiteShapeError("expected '%s' exactly once in the locations" % line)
    text = text.replace(PUBLISHED_LINE, "try_files /.intake-not-published @intake_lists;  "
                        "# nocache_site.py: published lists off")
    return text.replace(CACHE_LINE, "fastcgi_cache off;  # nocache_site.py: micro-cache off")


def add_nocache_server(path, listen):
    """Append the cache-free copy to the site file at path, and write its
    locations beside the ones the site includes."""
    with open(path, encoding="utf-8") as f:
        site = f.read()
    extra, locations, copy = nocache_server(site, listen)
    with open(locations, encoding="utf-8") as f:
        text = nocache_locations(f.read())
    with open(copy, "w", encoding="utf-8") as f:
        f.write(text)
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
