#!/usr/bin/env bash
# Install what intake needs to build, test, demo and benchmark on Debian 12.
#
#   scripts/deps.sh            what the build and the demo need
#   scripts/deps.sh --tests    that, plus Chromium and the npm packages of the browser tests,
#                              the OpenAPI linter and the packaging tools
#   scripts/deps.sh --package  the build's packages and the packaging tools
#
# Idempotent: when every package below is already installed it asks dpkg only
# and returns at once, without touching apt. Otherwise it runs `apt-get update`
# once and installs the missing packages (as root, or through sudo).
# Set INTAKE_DEPS_VERBOSE=1 to see apt's full output.
set -euo pipefail

PROG=deps.sh

PACKAGES=(
	build-essential cmake pkg-config      # toolchain
	libfcgi-dev libcurl4-openssl-dev libjson-c-dev libssl-dev libmagic-dev libunistring-dev  # libraries intake links
	libsystemd-dev                        # socket activation and sd_notify
	libhiredis-dev                        # the Redis cache backend ([cache] backend = redis)
	zlib1g-dev                            # published lists' gzip copies (nginx gzip_static)
	scdoc                                 # the man pages
	nginx                                 # front end for the demo, bench and tests; Debian 12's
	                                      # nginx has the ssl, http_v2, gzip_static and realip modules
	                                      # the shipped site uses (nginx-light is only a transitional name)
	openssl                               # throwaway certificates for the TLS tests of the site
	wrk                                   # bench/
	valgrind clang libclang-rt-14-dev     # memory checks, fuzzers, sanitizers, and CI's second
	                                      # build of the unit tests with clang (.ci/run)
	python3                               # the Integrify stand-in and script helpers
	redis-server                          # a throwaway Redis for the redis tests and the demo switch
	curl ca-certificates                  # health checks in scripts
)

# Print the packages of "$@" that dpkg does not report as installed.
missing_packages() {
	local -A have=()
	local name status p
	while IFS=$'\t' read -r name status; do
		[[ $status == installed ]] && have[$name]=1
	done < <(dpkg-query -W -f='${Package}\t${db:Status-Status}\n' "$@" 2>/dev/null || true)
	for p in "$@"; do
		[[ -n ${have[$p]:-} ]] || echo "$p"
	done
}

# Run apt-get as root: directly, or through sudo.
as_root() {
	if ((EUID == 0)); then
		env DEBIAN_FRONTEND=noninteractive "$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo env DEBIAN_FRONTEND=noninteractive "$@"
	else
		echo "$PROG: error: installing packages needs root (or sudo): $*" >&2
		exit 1
	fi
}

# Run an apt-get step; quiet unless it fails (or INTAKE_DEPS_VERBOSE is set).
apt_step() {
	local log
	if [[ -n ${INTAKE_DEPS_VERBOSE:-} ]]; then
		as_root "$@"
		return
	fi
	log=$(mktemp)
	if ! as_root "$@" >"$log" 2>&1; then
		tail -n 30 "$log" >&2
		rm -f "$log"
		echo "$PROG: error: '$*' failed" >&2
		exit 1
	fi
	rm -f "$log"
}

install_packages() {
	local -a missing
	mapfile -t missing < <(missing_packages "$@")
	((${#missing[@]} > 0)) || return 0
	echo "$PROG: installing ${#missing[@]} package(s): ${missing[*]}" >&2
	apt_step apt-get update -q
	apt_step apt-get install -y -q --no-install-recommends -o Dpkg::Use-Pty=0 "${missing[@]}"
	mapfile -t missing < <(missing_packages "$@")
	if ((${#missing[@]} > 0)); then
		echo "$PROG: error: still not installed: ${missing[*]}" >&2
		exit 1
	fi
	echo "$PROG: done" >&2
}

# ---- browser tests (tests/browser/run.mjs) ----------------------------------
# Debian's chromium, driven by the npm packages playwright-core (which never
# downloads a browser here) and axe-core, installed from the committed lock
# into tests/browser/node_modules. node >= 18: Debian 12's nodejs is 18.
BROWSER_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)/tests/browser

# Print the Debian packages the browser tests need: chromium, plus nodejs and
# npm only when no node / npm is on PATH (one from elsewhere is kept), and a
# Java runtime for the W3C Nu HTML checker (npm vnu-jar, forms.mjs) only when
# no java is on PATH.
browser_packages() {
	echo chromium
	command -v node >/dev/null 2>&1 || echo nodejs
	command -v npm >/dev/null 2>&1 || echo npm
	command -v java >/dev/null 2>&1 || echo default-jre-headless
}

# npm ci from tests/browser/package-lock.json, skipped when node_modules was
# installed from this very lock file (its hash is kept in node_modules).
install_browser_npm() {
	local major stamp want
	major=$(node -p 'process.versions.node.split(".")[0]')
	if ((major < 18)); then
		echo "$PROG: error: the browser tests need node >= 18, this is $(node --version)" >&2
		exit 1
	fi
	stamp=$BROWSER_DIR/node_modules/.intake-lock.sha256
	want=$(sha256sum "$BROWSER_DIR/package-lock.json" | cut -d' ' -f1)
	if [[ -f $stamp && $(<"$stamp") == "$want" &&
		-f $BROWSER_DIR/node_modules/playwright-core/package.json &&
		-f $BROWSER_DIR/node_modules/axe-core/axe.min.js &&
		-f $BROWSER_DIR/node_modules/vnu-jar/build/dist/vnu.jar ]]; then
		return 0
	fi
	echo "$PROG: installing the browser tests' npm packages into $BROWSER_DIR/node_modules" >&2
	local log
	log=$(mktemp)
	if ! (cd "$BROWSER_DIR" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
		npm ci --no-audit --no-fund --ignore-scripts) >"$log" 2>&1; then
		tail -n 30 "$log" >&2
		rm -f "$log"
		echo "$PROG: error: npm ci in $BROWSER_DIR failed" >&2
		exit 1
	fi
	rm -f "$log"
	echo "$want" >"$stamp"
}

# ---- the OpenAPI linter (ctest tools.openapi_lint) ---------------------------
# Stoplight Spectral, pinned in tests/openapi/package-lock.json: npm ci into
# tests/openapi/node_modules, skipped when that was installed from this very
# lock file (its hash is kept in node_modules), like the browser tests'.
OPENAPI_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)/tests/openapi

install_openapi_npm() {
	local stamp want log
	stamp=$OPENAPI_DIR/node_modules/.intake-lock.sha256
	want=$(sha256sum "$OPENAPI_DIR/package-lock.json" | cut -d' ' -f1)
	if [[ -f $stamp && $(<"$stamp") == "$want" &&
		-x $OPENAPI_DIR/node_modules/.bin/spectral ]]; then
		return 0
	fi
	echo "$PROG: installing the OpenAPI linter into $OPENAPI_DIR/node_modules" >&2
	log=$(mktemp)
	if ! (cd "$OPENAPI_DIR" && npm ci --no-audit --no-fund --ignore-scripts) >"$log" 2>&1; then
		tail -n 30 "$log" >&2
		rm -f "$log"
		echo "$PROG: error: npm ci in $OPENAPI_DIR failed" >&2
		exit 1
	fi
	rm -f "$log"
	echo "$want" >"$stamp"
}

# Building the Debian package (scripts/package.sh) and checking it.
# systemd: systemd-analyze, systemd-socket-activate and systemd-tmpfiles for the
# service and package tests (no running systemd is needed).
PACKAGE_PACKAGES=(debhelper dpkg-dev fakeroot lintian adduser systemd)

# The metrics test (tests/integration/test_metrics.py) checks a real scrape
# with promtool, which Debian ships in the prometheus package; the OpenAPI
# test (tests/integration/test_openapi.py) reads docs/openapi.yaml and
# validates answers against it with python3-yaml and python3-jsonschema.
TEST_PACKAGES=(prometheus python3-yaml python3-jsonschema)

# The demo needs the build packages only; the tests (scripts/test.sh passes
# --tests) also need the browser-test packages and the packaging tools (the
# package test builds, installs and purges the package).
if [[ ${1:-} == --tests ]]; then
	mapfile -t BROWSER_PACKAGES < <(browser_packages)
	install_packages "${PACKAGES[@]}" "${BROWSER_PACKAGES[@]}" "${PACKAGE_PACKAGES[@]}" \
		"${TEST_PACKAGES[@]}"
	install_browser_npm
	install_openapi_npm
elif [[ ${1:-} == --package ]]; then
	install_packages "${PACKAGES[@]}" "${PACKAGE_PACKAGES[@]}"
else
	install_packages "${PACKAGES[@]}"
fi
