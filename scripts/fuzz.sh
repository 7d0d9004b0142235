#!/usr/bin/env bash
# Build the libFuzzer targets with clang, ASan and UBSan, run them, and
# print per target: executions, crashes, seconds.
#
#   scripts/fuzz.sh [-t SECONDS | -n RUNS] [-j] [TARGET...]
#
#   -t SECONDS  run each target this long (default 60)
#   -n RUNS     run each target for this many inputs instead (e.g. 10000000)
#   TARGET      fuzz_<parser> names (default: every tests/fuzz/fuzz_*.c)
#
# Targets run one at a time, each on one core.  The library and the targets
# are built in build-fuzz/ (INTAKE_FUZZ_BUILD_DIR overrides) with
# -fsanitize=fuzzer-no-link,address,undefined and -fno-sanitize-recover=all,
# so coverage reaches lib/ and any UBSan report is a crash.  Each target
# starts from a copy of its seed corpus tests/fuzz/corpus/<target>/ (the
# copy grows, the seeds do not); crash inputs go to build-fuzz/artifacts/.
# The exit status is non-zero when any target crashed.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
build=${INTAKE_FUZZ_BUILD_DIR:-$root/build-fuzz}
seconds=60
runs=

while getopts "t:n:" opt; do
	case $opt in
	t) seconds=$OPTARG ;;
	n) runs=$OPTARG ;;
	*) echo "usage: $0 [-t SECONDS | -n RUNS] [TARGET...]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))

if [ $# -gt 0 ]; then
	targets=("$@")
else
	targets=()
	for f in "$root"/tests/fuzz/fuzz_*.c; do
		targets+=("$(basename "$f" .c)")
	done
fi

command -v clang >/dev/null || { echo "fuzz.sh: clang not found (scripts/deps.sh --tests)" >&2; exit 1; }
cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DINTAKE_FUZZ=ON -DINTAKE_SANITIZED_TESTS=OFF \
	-DINTAKE_SANITIZE=fuzzer-no-link,address,undefined >/dev/null
cmake --build "$build" -j2 --target "${targets[@]}" >/dev/null

if [ -n "$runs" ]; then
	limit=(-runs="$runs")
	what="$runs runs"
else
	limit=(-max_total_time="$seconds")
	what="$seconds s"
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

printf '%-22s %14s %8s %9s  (%s each, ASan+UBSan)\n' target executions crashes seconds "$what"
failed=0
for t in "${targets[@]}"; do
	bin=$build/tests/$t
	[ -x "$bin" ] || { echo "fuzz.sh: no binary $bin" >&2; exit 1; }
	work=$build/corpus/$t
	art=$build/artifacts/$t
	log=$build/logs/$t.log
	mkdir -p "$work" "$art" "$(dirname "$log")"
	cp -n "$root/tests/fuzz/corpus/$t"/* "$work"/ 2>/dev/null || true
	before=$(find "$art" -type f | wc -l)
	start=$(date +%s)
	status=0
	"$bin" "${limit[@]}" -print_final_stats=1 -artifact_prefix="$art/" "$work" \
		>"$log" 2>&1 || status=$?
	elapsed=$(( $(date +%s) - start ))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	crashes=$(( $(find "$art" -type f | wc -l) - before ))
	if [ "$status" -ne 0 ] && [ "$crashes" -eq 0 ]; then
		crashes=1	# died without leaving an input: still a failure
	fi
	[ "$crashes" -eq 0 ] || failed=1
	printf '%-22s %14s %8s %9s\n' "$t" "${execs:-?}" "$crashes" "$elapsed"
done
exit "$failed"
