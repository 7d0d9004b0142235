#!/usr/bin/env bash
# Run every bench and print ONE table of issue 16's targets.
#
#   bench/all.sh            # the benches' own defaults (long: about an hour on 2 cores)
#   QUICK=1 bench/all.sh    # shorter runs (1 round, 5 s phases, 10^5 memory requests)
#   BENCHES="memory cache" bench/all.sh   # a subset, by the names below
#
# Each bench prints, besides its human output, machine lines
#   RESULT<TAB>figure<TAB>value<TAB>baseline<TAB>target<TAB>met|missed
# (bench/result.py defines them). all.sh keeps each bench's whole output in
# build/bench/<name>.log, collects the RESULT lines into a Markdown table with
# the machine it ran on (nproc, CPU model, kernel, load average at the start
# and the end), prints it and saves it as build/bench/all.md. A bench that
# fails, or prints no RESULT line, gets a row saying so; a bench whose script
# is absent (bench_tls.py before it lands) gets "not present". all.sh exits 0
# when every bench ran, 1 otherwise: it reports, it judges no target.
#
# Environment: QUICK [0], BENCHES [choices endpoint cache slow_upstream redis
# submit tls memory], INTAKE_BUILD_DIR [build], INTAKE_BIN [the intake all.sh
# builds in INTAKE_BUILD_DIR]. Each bench's own variables
# (DURATION, ROUNDS, REQUESTS...) pass through; QUICK sets only those not set.
set -uo pipefail

# shellcheck disable=SC2034 # read by lib/common.sh
INTAKE_PROG=all.sh
# shellcheck source-path=SCRIPTDIR source=../scripts/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/common.sh"
ROOT=$INTAKE_ROOT

QUICK=${QUICK:-0}
BENCHES=${BENCHES:-choices endpoint cache slow_upstream redis submit tls memory}
build=${INTAKE_BUILD_DIR:-$ROOT/build}
[[ $build == /* ]] || build=$PWD/$build
OUT=$build/bench
mkdir -p "$OUT"

# bench_cmd NAME: the script and the QUICK settings of bench NAME.
declare -A SCRIPT=([choices]=bench_choices.sh [endpoint]=bench_endpoint.sh
	[cache]=bench_cache.sh [slow_upstream]=bench_slow_upstream.py [redis]=bench_redis.sh
	[submit]=bench_submit.py [tls]=bench_tls.py [memory]=bench_memory.py)
declare -A QUICK_ENV=([choices]="ROUNDS=1 DURATION=5" [endpoint]="DURATION=5"
	[cache]="OPS=50000" [slow_upstream]="DURATION=5 CONTROL=0 DRAIN_WAIT=30"
	[redis]="ROUNDS=1 DURATION=5" [submit]="DURATION=5" [tls]="DURATION=5"
	[memory]="REQUESTS=100000")

cpu_model() {
	sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -n 1
}
loadavg() {
	cut -d' ' -f1-3 /proc/loadavg
}

# The Python benches run INTAKE_BIN (default build/cgi-bin/intake, whatever
# commit that was built from): build it here, in the directory the shell
# benches build in, so that every bench measures the same, current binary.
intake_say "building intake in $build"
intake_build "$build" "$OUT/build.log" intake
export INTAKE_BIN=${INTAKE_BIN:-$build/cgi-bin/intake}

START=$(date -u '+%Y-%m-%d %H:%M UTC')
LOAD0=$(loadavg)
ROWS=$OUT/all.rows
: >"$ROWS"
ok=0
for name in $BENCHES; do
	script=${SCRIPT[$name]:-}
	[[ -n $script ]] || intake_die "unknown bench '$name' (${!SCRIPT[*]})"
	log=$OUT/$name.log
	if [[ ! -e $ROOT/bench/$script ]]; then
		printf '%s\t%s\t-\t-\t-\tnot present\n' "$name" "bench/$script" >>"$ROWS"
		continue
	fi
	envs=()
	if [[ $QUICK == 1 ]]; then
		for kv in ${QUICK_ENV[$name]:-}; do
			var=${kv%%=*}
			[[ -n ${!var:-} ]] || envs+=("$kv")
		done
	fi
	intake_say "$name: ${envs[*]} bench/$script (log: $log)"
	t0=$SECONDS
	env "${envs[@]}" INTAKE_BUILD_DIR="$build" "$ROOT/bench/$script" >"$log" 2>&1
	rc=$?
	grep -v '^RESULT	' "$log" | tail -n 40
	n=0
	while IFS=$'\t' read -r _ fig val base tgt verdict; do
		printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$fig" "$val" "$base" "$tgt" "$verdict" >>"$ROWS"
		n=$((n + 1))
	done < <(grep '^RESULT	' "$log")
	if ((rc != 0)); then
		printf '%s\t%s\t-\t-\t-\tfailed (exit %d, %s)\n' "$name" "bench/$script" "$rc" "$log" >>"$ROWS"
		ok=1
	elif ((n == 0)); then
		printf '%s\t%s\t-\t-\t-\tno RESULT line\n' "$name" "bench/$script" >>"$ROWS"
	fi
	intake_say "$name: exit $rc, $n figure(s), $((SECONDS - t0)) s"
done
LOAD1=$(loadavg)

{
	echo "Machine: $(nproc) cores, $(cpu_model), Linux $(uname -r); load average" \
		"$LOAD0 at the start, $LOAD1 at the end; $START; QUICK=$QUICK"
	echo
	echo "| bench | figure | value | baseline (same run) | target | met? |"
	echo "|---|---|---|---|---|---|"
	while IFS=$'\t' read -r name fig val base tgt verdict; do
		echo "| $name | $fig | $val | $base | $tgt | $verdict |"
	done <"$ROWS"
} >"$OUT/all.md"
echo
cat "$OUT/all.md"
echo
echo "(saved as $OUT/all.md; each bench's output in $OUT/<bench>.log)"
exit "$ok"
