#!/usr/bin/env bash
# Cached /api/choices throughput against its two ceilings, in one run.
#
#   bench/bench_choices.sh                  # /api/choices/departments, 3 rounds of 10 s
#   ROUNDS=5 DURATION=20 bench/bench_choices.sh
#
# Starts, on 127.0.0.1 only and inside one temporary directory:
#   - the Integrify stand-in and the intake pool (conf/demo/intake.conf.in,
#     INTAKE_WORKERS workers), as bench/bench_endpoint.sh does;
#   - bench/bare_fcgi.c, a minimal prefork libfcgi responder (BARE_WORKERS);
#   - one private nginx (2 workers) with one port per target:
#       static   nginx serves, from a file, the bytes intake returned for ENDPOINT
#       bare     nginx fastcgi_pass to bare_fcgi, which returns those same bytes
#       raw      intake's workers behind the very server block bare has (one
#                location, fastcgi_params, nothing else): raw/bare is what the
#                workers cost against a bare libfcgi responder, the nginx side
#                being equal
#       off      intake through a copy of the shipped server block with the
#                micro-cache off (bench/nocache_site.py): the workers answer
#                every request from their own report cache
#       shipped  intake through conf/nginx/intake.conf as shipped, with the
#                demo config's publish_dir: an unfiltered list is sent from
#                the file intake published (an ENDPOINT with a query goes
#                through the one-second fastcgi_cache micro-cache instead)
# The body is fetched once from intake (through "off") and written to the
# static root and to bare_fcgi's file; every target is checked to serve the
# very same bytes (same length, cmp) before anything is measured.
# Then ROUNDS rounds; in each, every target gets WARMUP s of unmeasured wrk
# and then `wrk -t2 -c64 -d${DURATION}s --latency`, in an order that rotates
# from round to round. It prints req/s, p50, p99, non-2xx and socket errors
# per target (medians over the rounds) and the ratios, each computed per
# round and then the median:
#   intake-raw/bare        target >= 0.90 (the workers against bare libfcgi)
#   intake-ship/static     target >= 0.90 (the shipped config against static)
#   intake-off/intake-raw  for context: what the shipped server block (its
#                          security headers, access log, try_files of the
#                          published file) costs a request the workers answer
#   intake-off/bare, intake-off/static, bare/static   for context
# and, per target, the CPU time per request used by nginx's workers and by
# the backend's processes (from /proc; recycled workers included), which
# says where a gap comes from even when req/s is noisy.
# It measures and prints; it asserts nothing. This machine kind is noisy (2
# cores shared by wrk, nginx and the backends): compare ratios, not req/s.
# Everything it started is stopped when it exits.
#
# Environment (defaults in brackets):
#   ENDPOINT [/api/choices/departments]   path (and query) under /api/choices/
#   DURATION [10]  ROUNDS [3]  WARMUP [1]  CONNECTIONS [64]  THREADS [2]
#   INTAKE_WORKERS [2]  BARE_WORKERS [2]
#   MAX_REQUESTS   intake's [server] max_requests [the demo config's, 10000]
#   TARGETS ["static bare raw off shipped"]
#   INTAKE_BIN     intake binary [built in build/ (INTAKE_BUILD_DIR)]; it is
#                  copied into the run directory, so a rebuild cannot swap it
#   KEEP_TMP=1     keep the temporary directory (configs, logs, wrk output)
set -euo pipefail

# shellcheck disable=SC2034 # read by lib/common.sh
INTAKE_PROG=bench_choices.sh
# shellcheck source-path=SCRIPTDIR source=../scripts/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ROOT=$INTAKE_ROOT

ENDPOINT=${ENDPOINT:-/api/choices/departments}
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-1}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
INTAKE_WORKERS=${INTAKE_WORKERS:-2}
BARE_WORKERS=${BARE_WORKERS:-2}
MAX_REQUESTS=${MAX_REQUESTS:-}
TARGETS=${TARGETS:-static bare raw off shipped}

[[ $ENDPOINT == /api/choices/* && $ENDPOINT != *[[:space:]\"\'\;\{\}\\\$]* ]] ||
	intake_die "ENDPOINT must be a plain /api/choices/ path (and query): '$ENDPOINT'"
ENDPOINT_PATH=${ENDPOINT%%\?*}
for v in DURATION ROUNDS WARMUP CONNECTIONS THREADS INTAKE_WORKERS BARE_WORKERS; do
	[[ ${!v} =~ ^[0-9]+$ ]] || intake_die "$v must be a whole number: '${!v}'"
done
[[ -z $MAX_REQUESTS || $MAX_REQUESTS =~ ^[0-9]+$ ]] || intake_die "MAX_REQUESTS must be a whole number"
((DURATION > 0 && ROUNDS > 0 && CONNECTIONS > 0 && THREADS > 0)) ||
	intake_die "DURATION, ROUNDS, CONNECTIONS and THREADS must be > 0"
for t in $TARGETS; do
	[[ $t == static || $t == bare || $t == raw || $t == off || $t == shipped ]] ||
		intake_die "unknown target '$t' (static, bare, raw, off, shipped)"
done
read -ra targets <<<"$TARGETS"

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

TMP=$(mktemp -d /tmp/intake-bench-choices.XXXXXX)
chmod 0755 "$TMP"
mkdir -p "$TMP/static" "$TMP/nginx-tmp"
# A private copy: the lead may rebuild build/ while this runs.
cp "$INTAKE_BIN" "$TMP/intake"
INTAKE_BIN=$TMP/intake

cleanup() {
	local rc=$?
	set +e
	trap - EXIT INT TERM
	[[ -z ${WRK_PID:-} ]] || kill "$WRK_PID" 2>/dev/null
	intake_stop "$TMP/nginx.pid" "$TMP/nginx.conf" QUIT 5
	intake_stop "$TMP/bare.pid" "$TMP/bare_fcgi" TERM 5
	intake_stop "$TMP/intake.pid" "$INTAKE_BIN" TERM 10
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

cc -O2 -Wall -Wextra -Werror "$ROOT/bench/bare_fcgi.c" -lfcgi -o "$TMP/bare_fcgi" ||
	intake_die "cannot compile bench/bare_fcgi.c"

read -r PORT_STATIC PORT_BARE PORT_RAW PORT_OFF PORT_SHIPPED < <(python3 -c 'import socket
ss = [socket.socket() for _ in range(5)]
for s in ss:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in ss))')

# -- stand-in and intake pool (the demo config, as bench_endpoint.sh)
render_args=()
[[ -z $MAX_REQUESTS ]] || render_args+=(--literal 'max_requests = 10000' "max_requests = $MAX_REQUESTS")
BENCH_SITE_PORTS="$PORT_SHIPPED $PORT_OFF"
bench_start_intake "$TMP" "$INTAKE_BIN" "$INTAKE_WORKERS" "${render_args[@]}"

# -- nginx: the shipped site (shipped), its cache-free copy (off), static,
# bare, and raw: intake's socket behind bare's server block, line for line
bench_render_site "$PORT_SHIPPED"
python3 "$ROOT/bench/nocache_site.py" "$TMP/intake-site.conf" "127.0.0.1:$PORT_OFF" ||
	intake_die "cannot add the cache-free server to the site"
{
	echo
	echo "# raw (bench_choices.sh): the workers behind the same server block as bare"
	bench_fcgi_server raw "$PORT_RAW" "$TMP/intake.sock"
} >>"$TMP/intake-site.conf"
echo "application/json" >"$TMP/content-type"
bench_start_nginx bench_choices.sh

declare -A URL=(
	[static]=http://127.0.0.1:$PORT_STATIC$ENDPOINT
	[bare]=http://127.0.0.1:$PORT_BARE$ENDPOINT
	[raw]=http://127.0.0.1:$PORT_RAW$ENDPOINT
	[off]=http://127.0.0.1:$PORT_OFF$ENDPOINT
	[shipped]=http://127.0.0.1:$PORT_SHIPPED$ENDPOINT
)

# -- the body: fetched once from intake's workers (micro-cache off)
intake_wait_for "intake's /healthz" 15 "$TMP/intake.pid" "$INTAKE_BIN" \
	intake_http_is "http://127.0.0.1:$PORT_OFF/healthz" 200 ||
	fail "intake's /healthz did not answer 200" "$TMP/intake.log" "$TMP/nginx-error.log"
for ((i = 0; i < 50; i++)); do
	status=$(curl -sS --max-time 10 -o "$TMP/static/body" -D "$TMP/body.headers" \
		-w '%{http_code}' "${URL[off]}" 2>>"$TMP/curl.log") || status=000
	[[ $status == [24]?? ]] && break
	sleep 0.2
done
[[ $status == 200 ]] ||
	fail "intake answered $status for $ENDPOINT (the benchmark needs a 200)" \
		"$TMP/static/body" "$TMP/intake.log" "$TMP/standin.log"
ctype=$(sed -n 's/^[Cc]ontent-[Tt]ype:[[:space:]]*\([^\r]*\).*/\1/p' "$TMP/body.headers" | head -n 1)
ctype_re='^[A-Za-z0-9.+-]+/[A-Za-z0-9.+-]+(; ?[A-Za-z0-9_.+-]+=[A-Za-z0-9_.+-]+)*$'
[[ $ctype =~ $ctype_re ]] || fail "unexpected Content-Type from intake: '$ctype'"
bench_serve_as bench_choices.sh "$ctype"
sleep 0.5
BODY_BYTES=$(stat -c %s "$TMP/static/body")
CACHE_STATE=$(sed -n 's/^[Xx]-[Ii]ntake-[Cc]ache:[[:space:]]*\([^\r]*\).*/\1/p' "$TMP/body.headers")

intake_start "$TMP/bare.pid" "$TMP/bare.log" \
	"$TMP/bare_fcgi" "$TMP/bare.sock" "$TMP/static/body" "$BARE_WORKERS" "$ctype"
intake_wait_for "bare_fcgi's socket" 10 "$TMP/bare.pid" "$TMP/bare_fcgi" \
	test -S "$TMP/bare.sock" || fail "bare_fcgi did not start" "$TMP/bare.log"

# -- every target serves the very same bytes, with the same Content-Type
for t in static bare raw off shipped; do
	out=$TMP/check-$t
	status=$(curl -sS --max-time 10 -o "$out" -D "$out.headers" -w '%{http_code}' "${URL[$t]}" \
		2>>"$TMP/curl.log") || status=000
	[[ $status == 200 ]] || fail "$t (${URL[$t]}) answered $status" "$TMP/nginx-error.log" "$TMP/intake.log"
	got=$(stat -c %s "$out")
	((got == BODY_BYTES)) || fail "$t served $got bytes, intake's body is $BODY_BYTES"
	cmp -s "$out" "$TMP/static/body" || fail "$t served other bytes than intake's body"
	grep -qi "^content-type: $ctype"$'\r'"\$" "$out.headers" ||
		fail "$t served another Content-Type than '$ctype'" "$out.headers"
done
# The cache-free copy must really be cache-free (workers only), and the
# shipped one cached: an unfiltered list sent from its published file, any
# other through the micro-cache.
for t in off raw; do
	! grep -qi '^x-micro-cache:\|^x-intake-cache: published' "$TMP/check-$t.headers" ||
		fail "the '$t' server answered from a cache: its micro-cache or published lists are on" \
			"$TMP/check-$t.headers"
done
curl -sS --max-time 10 -o /dev/null -D "$TMP/check-shipped2.headers" "${URL[shipped]}" 2>>"$TMP/curl.log" || true
if [[ $ENDPOINT == *\?* ]]; then
	grep -qi '^x-micro-cache: \(hit\|updating\|stale\|expired\|miss\)' "$TMP/check-shipped2.headers" ||
		fail "the shipped server answered without X-Micro-Cache" "$TMP/check-shipped2.headers"
else
	grep -qi '^x-intake-cache: published' "$TMP/check-shipped2.headers" ||
		fail "the shipped server did not send the published list" "$TMP/check-shipped2.headers"
fi

# -- measure: ROUNDS rounds, the target order rotating

# tree_ticks PIDFILE: CPU clock ticks (user + system) used so far by the process
# in PIDFILE and its children, counting children that already exited and were
# reaped (recycled intake workers): less noisy than req/s on a shared machine.
tree_ticks() {
	local pid f total=0 kid
	local -a st
	pid=$(<"$1")
	for kid in "$pid" $(cat "/proc/$pid/task/$pid/children" 2>/dev/null); do
		f=$(cat "/proc/$kid/stat" 2>/dev/null) || continue
		read -ra st <<<"${f##*) }"
		# after "pid (comm) ": state=0 ... utime=11 stime=12 cutime=13 cstime=14
		total=$((total + st[11] + st[12] + st[13] + st[14]))
	done
	echo "$total"
}
declare -A BACKEND=([static]="" [bare]=$TMP/bare.pid [raw]=$TMP/intake.pid [off]=$TMP/intake.pid
	[shipped]=$TMP/intake.pid)
run_wrk() {
	local name=$1 round=$2 url=${URL[$1]} n0 n1 b0=0 b1=0
	if ((WARMUP > 0)); then
		wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" "$url" >/dev/null 2>&1 || true
	fi
	intake_say "round $round: wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency  $name  $url"
	n0=$(tree_ticks "$TMP/nginx.pid")
	[[ -z ${BACKEND[$name]} ]] || b0=$(tree_ticks "${BACKEND[$name]}")
	wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$url" \
		>"$TMP/wrk-$name-$round.txt" 2>&1 &
	WRK_PID=$!
	wait "$WRK_PID" || fail "wrk failed against $name" "$TMP/wrk-$name-$round.txt"
	WRK_PID=
	n1=$(tree_ticks "$TMP/nginx.pid")
	[[ -z ${BACKEND[$name]} ]] || b1=$(tree_ticks "${BACKEND[$name]}")
	echo "$CLK_TCK $((n1 - n0)) $((b1 - b0))" >"$TMP/wrk-$name-$round.cpu"
}
CLK_TCK=$(getconf CLK_TCK)
report_args=()
n=${#targets[@]}
for ((r = 1; r <= ROUNDS; r++)); do
	for ((k = 0; k < n; k++)); do
		t=${targets[$(((k + r - 1) % n))]}
		run_wrk "$t" "$r"
		report_args+=("$t:$r=$TMP/wrk-$t-$r.txt")
	done
done

echo
echo "intake choices bench: GET $ENDPOINT, $BODY_BYTES-byte body ($ctype), first answer X-Intake-Cache: ${CACHE_STATE:-?}"
echo "  wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency, ${WARMUP}s warm-up each, $ROUNDS round(s), order rotated"
echo "  nginx $(nginx -v 2>&1 | sed 's|.*/||') with 2 workers, bare_fcgi $BARE_WORKERS workers, intake $INTAKE_WORKERS workers" \
	"(max_requests $(sed -n 's/^max_requests = //p' "$TMP/intake.conf")); $(nproc) cores shared by all"
echo "  intake-raw: workers only (bare's server block); intake-off: the shipped server block, fastcgi_cache off;" \
	"intake-ship: conf/nginx/intake.conf (published lists, micro-cache)"
python3 "$ROOT/bench/choices_report.py" "${report_args[@]}"
