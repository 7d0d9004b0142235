#!/usr/bin/env bash
# Install what intake needs to build, test, demo and benchmark on Debian 12.
#
#   scripts/deps.sh
#
# Idempotent: when every package below is already installed it asks dpkg only
# and returns at once, without touching apt. Otherwise it runs `apt-get update`
# once and installs the missing packages (as root, or through sudo).
# Set INTAKE_DEPS_VERBOSE=1 to see apt's full output.
set -euo pipefail

PROG=deps.sh

PACKAGES=(
	build-essential cmake pkg-config      # toolchain
	libfcgi-dev libcurl4-openssl-dev libjson-c-dev libssl-dev libinih-dev  # libraries intake links
	nginx-light                           # front end for the demo, bench and integration tests
	wrk                                   # bench/
	valgrind clang libclang-rt-14-dev     # memory checks, fuzzers, sanitizers
	python3                               # the Integrify stand-in and script helpers
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

install_packages "${PACKAGES[@]}"
