#!/bin/sh
# Every header compiles on its own (STYLE rule 23).
set -eu
cc=$1
src=$2
fcgi_inc=$3
status=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for h in $(cd "$src/lib" && find . -name '*.h' | sed 's|^\./||' | sort); do
	printf '#include "%s"\n' "$h" > "$tmp/t.c"
	if ! "$cc" -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -fsyntax-only \
	    -I"$src/lib" -I/usr/include/json-c -I"$fcgi_inc" "$tmp/t.c"; then
		echo "header does not compile alone: $h"
		status=1
	fi
done
[ "$status" -eq 0 ] && echo "all headers compile alone"
exit "$status"
