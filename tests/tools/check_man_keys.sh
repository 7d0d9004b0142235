#!/bin/sh
# usage: check_man_keys.sh BIN MANPAGE
# Every key the code knows (intake --keys) must be in intake.conf(5), as a
# "key = default" entry under its [section] heading.  NAME matches any name.
set -eu
bin=$1
page=$2
[ -s "$page" ] || { echo "no man page at $page (is scdoc installed?)"; exit 1; }
# The page without roff's font and zero-width escapes.
plain=$(sed 's/\\f[BIR]//g; s/\\&//g' "$page")
missing=0
for full in $("$bin" --keys); do
	section=${full%%.*}
	key=${full#*.}
	keyre=$(printf '%s' "$key" | sed 's/\./\\./; s/NAME/[a-z0-9_-]+/')
	if ! printf '%s\n' "$plain" | awk -v s=".SS [$section]" -v k="^$keyre = " '
		/^\.SS / { cur = $0; next }
		cur == s && $0 ~ k { found = 1 }
		END { exit !found }'; then
		echo "config key not in $(basename "$page"): [$section] $key"
		missing=1
	fi
done
[ "$missing" -eq 0 ] && echo "all $("$bin" --keys | wc -l) config keys are in $(basename "$page")"
exit "$missing"
