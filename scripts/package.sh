#!/usr/bin/env bash
# Build the Debian package of intake and check it with lintian.
#
#   scripts/package.sh          -> build/package/intake_VERSION_ARCH.deb
#
# Installs what is missing (the build's packages, debhelper, lintian),
# builds from a copy of the tracked tree under build/package/ (dpkg-
# buildpackage writes beside its source, so never beside this checkout),
# and fails when lintian reports an error.  Install the result with
#   dpkg -i build/package/intake_*.deb
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
out=${INTAKE_PACKAGE_DIR:-$root/build/package}

"$root/scripts/deps.sh" --package

rm -rf "$out"
mkdir -p "$out/src"
# The tracked files as they are in the work tree (uncommitted edits included).
(cd "$root" && git ls-files -z --cached --others --exclude-standard |
	xargs -0 -I{} cp --parents -- {} "$out/src/" 2>/dev/null || true)
(cd "$out/src" && dpkg-buildpackage -us -uc -b >"$out/build.log" 2>&1) || {
	tail -n 40 "$out/build.log" >&2
	echo "package.sh: dpkg-buildpackage failed (log: $out/build.log)" >&2
	exit 1
}
deb=$(ls "$out"/intake_*.deb)
echo "package.sh: built $deb"
lintian --fail-on error --tag-display-limit 0 "$deb" | tee "$out/lintian.log"
echo "package.sh: lintian: $(grep -c '^E:' "$out/lintian.log" || true) error(s)," \
	"$(grep -c '^W:' "$out/lintian.log" || true) warning(s)"
