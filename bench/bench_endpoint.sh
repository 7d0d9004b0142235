#!/usr/bin/env bash
# How far is intake from the ceilings, for one endpoint, measured in one run?
#
#   bench/bench_endpoint.sh                          # ENDPOINT=/healthz
#   ENDPOINT=/api/processes bench/bench_endpoint.sh
#
# Starts, on 127.0.0.1 only and inside one temporary directory:
#   - the Integrify stand-in (standin/integrify_standin.py, standin/data/demo.json);
#   - the intake pool, INTAKE_WORKERS workers, config from conf/demo/intake.conf.in;
#   - bench/bare_fcgi.c, a minimal prefork libfcgi responder (BARE_WORKERS workers);
#   - a private nginx, 2 worker processes, one port per target:
#       static  nginx serves, from a file, the exact bytes intake returned for ENDPOINT
#       bare    nginx fastcgi_pass to bare_fcgi, which returns those same bytes
#       intake  ENDPOINT through conf/nginx/intake.conf as shipped (port/paths replaced)
# and runs `wrk -t2 -c64 -d${DURATION}s --latency` against each, one after the
# other, then prints req/s, p50, p99, non-2xx and socket errors, and the req/s
# ratios intake/static, intake/bare and bare/static. It measures and prints;
# there are no thresholds. Everything it started is stopped when it exits.
# This machine kind is noisy (2 cores shared by wrk, nginx and the backends):
# compare the ratios, not raw req/s.
#
# Environment (defaults in brackets):
#   ENDPOINT [/healthz]      path (and query) to measure; must answer 2xx
#   DURATION [10]            seconds per wrk run
#   CONNECTIONS [64]         wrk -c;  THREADS [2]: wrk -t
#   WARMUP [1]               seconds of unmeasured wrk before each run (0: none)
#   INTAKE_WORKERS [2]       BARE_WORKERS [2]
#   INTAKE_BIN               intake binary [built in build/ (INTAKE_BUILD_DIR)]
#   BODY_FILE                bytes for static/bare instead of fetching them from
#                            intake (lets TARGETS leave intake out)
#   TARGETS ["static bare intake"]
#   KEEP_TMP=1               keep the temporary directory (configs, logs, wrk output)
set -euo pipefail

# shellcheck disable=SC2034 # read by lib/common.sh
INTAKE_PROG=bench_endpoint.sh
# shellcheck source-path=SCRIPTDIR source=../scripts/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ROOT=$INTAKE_ROOT

ENDPOINT=${ENDPOINT:-/healthz}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
WARMUP=${WARMUP:-1}
INTAKE_WORKERS=${INTAKE_WORKERS:-2}
BARE_WORKERS=${BARE_WORKERS:-2}
TARGETS=${TARGETS:-static bare intake}
BODY_FILE=${BODY_FILE:-}

# It goes into nginx.conf and onto wrk's command line: no blanks, quotes, ; { } \ or $.
[[ $ENDPOINT == /* && $ENDPOINT != *[[:space:]\"\'\;\{\}\\\$]* ]] ||
	intake_die "ENDPOINT must be a plain path (and query), e.g. /api/processes: '$ENDPOINT'"
ENDPOINT_PATH=${ENDPOINT%%\?*}
for v in DURATION CONNECTIONS THREADS WARMUP INTAKE_WORKERS BARE_WORKERS; do
	[[ ${!v} =~ ^[0-9]+$ ]] || intake_die "$v must be a whole number: '${!v}'"
done
((DURATION > 0 && CONNECTIONS > 0 && THREADS > 0)) || intake_die "DURATION, CONNECTIONS and THREADS must be > 0"
for t in $TARGETS; do
	[[ $t == static || $t == bare || $t == intake ]] || intake_die "unknown target '$t' (static, bare, intake)"
done
want_intake=0
[[ " $TARGETS " == *" intake "* || -z $BODY_FILE ]] && want_intake=1
if [[ -n $BODY_FILE ]]; then
	[[ -f $BODY_FILE ]] || intake_die "BODY_FILE not found: $BODY_FILE"
	BODY_FILE=$(cd "$(dirname "$BODY_FILE")" && pwd -P)/$(basename "$BODY_FILE")
fi

"$ROOT/scripts/deps.sh"

if ((want_intake)); then
	if [[ -z ${INTAKE_BIN:-} ]]; then
		build=${INTAKE_BUILD_DIR:-$ROOT/build}
		[[ $build == /* ]] || build=$PWD/$build
		mkdir -p "$build"
		intake_say "building intake in $build"
		intake_build "$build" "$build/bench-build.log" intake
		INTAKE_BIN=$build/cgi-bin/intake
	fi
	[[ -x $INTAKE_BIN ]] || intake_die "no intake binary at $INTAKE_BIN"
	INTAKE_BIN=$(cd "$(dirname "$INTAKE_BIN")" && pwd -P)/$(basename "$INTAKE_BIN")
fi

TMP=$(mktemp -d /tmp/intake-bench.XXXXXX)
chmod 0755 "$TMP"
mkdir -p "$TMP/static" "$TMP/nginx-tmp"

cleanup() {
	local rc=$?
	set +e
	trap - EXIT INT TERM
	intake_stop "$TMP/nginx.pid" "$TMP/nginx.conf" QUIT 5
	intake_stop "$TMP/bare.pid" "$TMP/bare_fcgi" TERM 5
	intake_stop "$TMP/intake.pid" "${INTAKE_BIN:-intake}" TERM 10
	intake_stop "$TMP/standin.pid" integrify_standin.py TERM 5
	if [[ -n ${KEEP_TMP:-} ]]; then
		intake_say "kept $TMP"
	else
		rm -rf "$TMP"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# fail MESSAGE [LOG...]: show the tail of each log and exit (cleanup runs).
fail() { bench_fail "$@"; }

# -- the bare libfcgi responder (compiled here; started once the body is known)
cc -O2 -Wall -Wextra -Werror "$ROOT/bench/bare_fcgi.c" -lfcgi -o "$TMP/bare_fcgi" ||
	intake_die "cannot compile bench/bare_fcgi.c"

# -- three loopback ports, held open together so that they differ
read -r PORT_STATIC PORT_BARE PORT_INTAKE < <(python3 -c 'import socket
ss = [socket.socket() for _ in range(3)]
for s in ss:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in ss))')

# -- stand-in and intake pool
BENCH_SITE_PORTS=$PORT_INTAKE
if ((want_intake)); then
	bench_start_intake "$TMP" "$INTAKE_BIN" "$INTAKE_WORKERS"
fi

# -- nginx: static and bare servers here, intake's server from the shipped snippet
bench_render_site "$PORT_INTAKE"
echo "application/json" >"$TMP/content-type"
bench_start_nginx bench_endpoint.sh

URL_STATIC=http://127.0.0.1:$PORT_STATIC$ENDPOINT
URL_BARE=http://127.0.0.1:$PORT_BARE$ENDPOINT
URL_INTAKE=http://127.0.0.1:$PORT_INTAKE$ENDPOINT

# -- the body: fetched once from intake (or BODY_FILE)
if ((want_intake)); then
	intake_wait_for "$URL_INTAKE" 15 "$TMP/intake.pid" "$INTAKE_BIN" \
		intake_http_is "http://127.0.0.1:$PORT_INTAKE/healthz" 200 ||
		fail "intake's /healthz did not answer 200" "$TMP/intake.log" "$TMP/nginx-error.log"
fi
if [[ -n $BODY_FILE ]]; then
	cp "$BODY_FILE" "$TMP/static/body"
else
	# /readyz, /api/*: give the pool a moment to get its first token (a 5xx
	# may clear up; a 4xx will not).
	for ((i = 0; i < 50; i++)); do
		status=$(curl -sS --max-time 10 -o "$TMP/static/body" -D "$TMP/body.headers" \
			-w '%{http_code}' "$URL_INTAKE" 2>>"$TMP/curl.log") || status=000
		[[ $status == [24]?? ]] && break
		sleep 0.2
	done
	[[ $status == 2?? ]] ||
		fail "intake answered $status for $ENDPOINT (the benchmark needs a 2xx endpoint)" \
			"$TMP/static/body" "$TMP/intake.log" "$TMP/standin.log"
	ctype=$(sed -n 's/^[Cc]ontent-[Tt]ype:[[:space:]]*\([^\r]*\).*/\1/p' "$TMP/body.headers" | head -n 1)
	# Serve static and bare with intake's Content-Type too (if it is a plain one).
	ctype_re='^[A-Za-z0-9.+-]+/[A-Za-z0-9.+-]+(; ?[A-Za-z0-9_.+-]+=[A-Za-z0-9_.+-]+)*$'
	if [[ $ctype =~ $ctype_re ]]; then
		bench_serve_as bench_endpoint.sh "$ctype"
		sleep 0.5
	fi
fi
BODY_BYTES=$(stat -c %s "$TMP/static/body")
CTYPE=$(<"$TMP/content-type")

intake_start "$TMP/bare.pid" "$TMP/bare.log" \
	"$TMP/bare_fcgi" "$TMP/bare.sock" "$TMP/static/body" "$BARE_WORKERS" "$CTYPE"
intake_wait_for "bare_fcgi's socket" 10 "$TMP/bare.pid" "$TMP/bare_fcgi" \
	test -S "$TMP/bare.sock" || fail "bare_fcgi did not start" "$TMP/bare.log"

# -- every target must serve the same bytes before anything is measured
check_same() {
	local name=$1 url=$2 out=$TMP/check-$1 status
	status=$(curl -sS --max-time 10 -o "$out" -w '%{http_code}' "$url" 2>>"$TMP/curl.log") || status=000
	[[ $status == 2?? ]] || fail "$name ($url) answered $status" "$TMP/nginx-error.log"
	cmp -s "$out" "$TMP/static/body"
}
for t in $TARGETS; do
	case $t in
	static) check_same static "$URL_STATIC" || fail "static did not serve the intake body" ;;
	bare) check_same bare "$URL_BARE" || fail "bare_fcgi did not serve the intake body" ;;
	intake)
		check_same intake "$URL_INTAKE" ||
			intake_say "note: intake's body for $ENDPOINT changed between two requests (dynamic content); static and bare serve the first one"
		;;
	esac
done

# -- measure
run_wrk() {
	local name=$1 url=$2
	if ((WARMUP > 0)); then
		wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" "$url" >/dev/null 2>&1 || true
	fi
	intake_say "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency  $name  $url"
	wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$url" >"$TMP/wrk-$name.txt" 2>&1 ||
		fail "wrk failed against $name" "$TMP/wrk-$name.txt"
}
report_args=()
for t in $TARGETS; do
	case $t in
	static) run_wrk static "$URL_STATIC" ;;
	bare) run_wrk bare "$URL_BARE" ;;
	intake) run_wrk intake "$URL_INTAKE" ;;
	esac
	report_args+=("$t=$TMP/wrk-$t.txt")
done

echo
echo "intake bench: GET $ENDPOINT, $BODY_BYTES-byte body ($CTYPE)"
setup="nginx $(nginx -v 2>&1 | sed 's|.*/||') with 2 workers"
[[ " $TARGETS " != *" bare "* ]] || setup+=", bare_fcgi $BARE_WORKERS workers"
[[ " $TARGETS " != *" intake "* ]] || setup+=", intake $INTAKE_WORKERS workers"
echo "  wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency; $setup; $(nproc) cores shared by all"
python3 "$ROOT/bench/wrk_report.py" "${report_args[@]}"
# The machine lines bench/all.sh collects (bench/result.py): intake against
# the bare libfcgi responder (same transport) and against nginx's static file.
python3 - "$ROOT/bench" "${report_args[@]}" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import result, wrk_report
rps = {k: wrk_report.parse(v)["rps"] for k, _, v in (a.partition("=") for a in sys.argv[2:])}
for base, target in (("bare", 0.9), ("static", None)):
    if rps.get("intake") is None or not rps.get(base) or target is None:
        continue
    result.emit("endpoint: intake / %s (req/s)" % base, rps["intake"] / rps[base],
                "%s %.0f req/s" % (base, rps[base]), ">=", target)
PY
