#!/bin/sh
# Every key the code knows (intake --keys) must be documented in the
# example config, as "key = value" under its [section], and, when a README is
# given, in its reference table as `key`. Fails naming the key.
set -eu
bin=$1
example=$2
readme=${3:-}
missing=0
for full in $("$bin" --keys); do
	section=${full%%.*}
	key=${full#*.}
	if ! awk -v s="[$section]" -v k="$key" '
		/^\[/ { cur = $0; next }
		cur == s && $0 ~ "^#? ?" k "[ \t]*=" { found = 1 }
		END { exit !found }' "$example"; then
		echo "undocumented config key: [$section] $key (add it to $example)"
		missing=1
	fi
	if [ -n "$readme" ] && ! grep -q "\`$key\`" "$readme"; then
		echo "config key missing from the README's reference: [$section] $key"
		missing=1
	fi
done
# And the example names no key the code does not know.
awk '/^\[/ { sec = substr($0, 2, length($0) - 2); next }
     /^[a-z_]+[ \t]*=/ { sub(/[ \t]*=.*/, ""); print sec "." $0 }' "$example" |
while read -r full; do
	if ! "$bin" --keys | grep -qx "$full"; then
		echo "example documents unknown key: $full"
		exit 1
	fi
done || missing=1
[ "$missing" -eq 0 ] && echo "all $("$bin" --keys | wc -l) config keys documented"
exit "$missing"
