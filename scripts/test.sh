#!/usr/bin/env bash
# The test command: install what is missing, configure, build, run every test.
#
#   scripts/test.sh [CTEST_ARGS...]      e.g. scripts/test.sh -R config -j2
#
# Builds RelWithDebInfo into build/ (INTAKE_BUILD_DIR overrides) and exits with
# ctest's status. A run that finds no test fails (--no-tests=error): a green
# result must mean that tests ran.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
build=${INTAKE_BUILD_DIR:-$root/build}

"$root/scripts/deps.sh" --tests

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build" -j2

status=0
ctest --test-dir "$build" --output-on-failure --no-tests=error "$@" || status=$?
exit "$status"
