#!/bin/sh
# The README's module table is the architecture: every lib/ source file
# must have a row (named by its path, or by its name beside others in a
# row that starts with lib/ or lib/handler/).
set -eu
src=$1
readme=$src/README.md
status=0
for f in $(cd "$src" && find lib -name '*.c' | sort); do
	base=$(basename "$f")
	# A table row ("  | ... |") naming the path, or the bare name in a row of its folder.
	if grep -E '^ *\|' "$readme" | grep -qF "\`$f\`"; then
		continue
	fi
	dir=$(dirname "$f")
	if grep -E '^ *\|' "$readme" | grep -F "\`$dir/" | grep -qF "\`$base\`"; then
		continue
	fi
	echo "README.md: no row in the module table for $f"
	status=1
done
[ "$status" -eq 0 ] && echo "every lib/ module has a row in README.md"
exit "$status"
