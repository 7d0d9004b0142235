#!/bin/sh
# usage: check_openapi.sh SRC
# Lint SRC/docs/openapi.yaml with the OpenAPI linter the project installs
# (Stoplight Spectral, pinned in tests/openapi/package-lock.json, installed by
# scripts/deps.sh --tests) and its ruleset tests/openapi/.spectral.yaml; any
# finding, down to a hint, fails.  Without the installed linter the test is
# skipped (exit 77), saying so, except under CI (CI set), where that fails.
set -eu
src=$1
dir=$src/tests/openapi
spectral=$dir/node_modules/.bin/spectral
if ! command -v node >/dev/null 2>&1 || [ ! -x "$spectral" ]; then
	echo "the OpenAPI linter is not installed in $dir/node_modules: run scripts/deps.sh --tests"
	if [ -n "${CI:-}" ]; then
		exit 1
	fi
	exit 77
fi
"$spectral" --version
exec "$spectral" lint --ruleset "$dir/.spectral.yaml" --fail-severity=hint --format=text \
    "$src/docs/openapi.yaml"
