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
"$build/bench/bench_cache" "$CACHE_DIR" "$OPS"
