#!/usr/bin/env bash
# Redis backend against shared memory, in one run (see bench/bench_redis.py):
# cached /api/choices req/s redis/shm and the latency Redis adds to a form post.
#
#   bench/bench_redis.sh
#   ROUNDS=5 DURATION=20 bench/bench_redis.sh
set -euo pipefail

# shellcheck disable=SC2034 # read by lib/common.sh
INTAKE_PROG=bench_redis.sh
# shellcheck source-path=SCRIPTDIR source=../scripts/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/common.sh"
ROOT=$INTAKE_ROOT

"$ROOT/scripts/deps.sh"
if [[ -z ${INTAKE_BIN:-} ]]; then
	build=${INTAKE_BUILD_DIR:-$ROOT/build}
	[[ $build == /* ]] || build=$PWD/$build
	mkdir -p "$build"
	intake_say "building intake in $build"
	intake_build "$build" "$build/bench-build.log" intake
	INTAKE_BIN=$build/cgi-bin/intake
fi
[[ -x $INTAKE_BIN ]] || intake_die "no intake binary at $INTAKE_BIN"
# A private copy: the build may change while this runs.
copy=$(mktemp /tmp/intake-bench-redis-bin.XXXXXX)
trap 'rm -f "$copy"' EXIT
cp "$INTAKE_BIN" "$copy"
chmod 0755 "$copy"
INTAKE_SRC=$ROOT INTAKE_BIN=$copy python3 "$ROOT/bench/bench_redis.py"
