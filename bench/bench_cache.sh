#!/usr/bin/env bash
# How does the shared cache's cost grow with its live entries, measured in one run?
#
#   bench/bench_cache.sh            # 200,000 operations per round
#   OPS=1000000 bench/bench_cache.sh
#
# Builds bench/bench_cache.c (CMake target bench_cache, RelWithDebInfo, linked
# against intake_core) and runs it: ns per get and incr at 256, 20,000 and
# 65,536 live entries, on keys drawn from every entry and from a hot set of
# 256, with the ratio of each to the 256 figure, and the latency of one random
# memory read over as many bytes (the floor any structure of that size pays).
# It measures and prints; there are no thresholds.
#
# Environment (defaults in brackets):
#   OPS [200000]             operations per round (5 rounds, median)
#   CACHE_DIR [/dev/shm]     where the cache files go (tmpfs, as in production)
#   INTAKE_BUILD_DIR [build] the build directory
set -euo pipefail

# shellcheck disable=SC2034 # read by lib/common.sh
INTAKE_PROG=bench_cache.sh
# shellcheck source-path=SCRIPTDIR source=../scripts/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/common.sh"
ROOT=$INTAKE_ROOT

OPS=${OPS:-200000}
[[ $OPS =~ ^[0-9]+$ ]] || intake_die "OPS must be a whole number: '$OPS'"
CACHE_DIR=${CACHE_DIR:-}
if [[ -z $CACHE_DIR ]]; then
	CACHE_DIR=/tmp
	[[ -w /dev/shm ]] && CACHE_DIR=/dev/shm
fi

build=${INTAKE_BUILD_DIR:-$ROOT/build}
[[ $build == /* ]] || build=$PWD/$build
mkdir -p "$build"
intake_say "building bench_cache in $build"
intake_build "$build" "$build/bench-build.log" bench_cache
"$build/bench/bench_cache" "$CACHE_DIR" "$OPS" | tee "$build/bench-cache.out"
# The machine lines bench/all.sh collects (bench/result.py): the uniform get
# and incr at 20,000 and 65,536 entries over the same at 256 (target <= 2x),
# the one-miss floor of each in the baseline column.
python3 - "$ROOT/bench" "$build/bench-cache.out" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import result
rows = {}
for ln in open(sys.argv[2], encoding="utf-8"):
    f = ln.split()
    if len(f) == 7 and not ln.startswith("#"):
        rows[f[0]] = [float(x.rstrip("x")) for x in f[1:]]
for op in ("get", "incr"):
    for i, n in ((1, "20,000"), (2, "65,536")):
        r, fl = rows.get(op), rows.get(op + "-1miss")
        result.emit("cache: %s at %s entries / at 256 (ns/op)" % (op, n),
                    r[2 * i + 1] if r else None,
                    "256: %.0f ns; one-miss floor %.2fx" % (r[0], fl[2 * i + 1]) if r and fl else "-",
                    "<=", 2.0, fmt="%.2f")
PY
