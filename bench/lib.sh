# bench/lib.sh - what the shell benches share (sourced after scripts/lib/common.sh).
# shellcheck shell=bash

# bench_start_intake DIR BIN WORKERS [RENDER_ARGS...]: start the stand-in and
# an intake pool on the demo config in DIR; sets STANDIN_PORT.  The caller's
# fail MESSAGE [LOG...] reports a failure; extra render.py arguments (e.g.
# --literal) adjust the config.
bench_start_intake() {
	local dir=$1 bin=$2 workers=$3
	shift 3
	intake_start "$dir/standin.pid" "$dir/standin.log" \
		python3 -u "$ROOT/standin/integrify_standin.py" \
		--host 127.0.0.1 --port 0 --data "$ROOT/standin/data/demo.json"
	intake_wait_for "the stand-in" 15 "$dir/standin.pid" integrify_standin.py \
		grep -q 'standin listening on http://' "$dir/standin.log" ||
		fail "the stand-in did not start" "$dir/standin.log"
	STANDIN_PORT=$(sed -n 's|.*standin listening on http://[^ ]*:\([0-9]\+\).*|\1|p' \
		"$dir/standin.log" | head -n 1)
	[[ -n $STANDIN_PORT ]] || fail "cannot read the stand-in's port" "$dir/standin.log"

	install -m 0600 "$ROOT/conf/demo/DEMO-ONLY-api-key" "$dir/DEMO-ONLY-api-key"
	intake_render "$ROOT/conf/demo/intake.conf.in" "$dir/intake.conf" \
		--at FORMS_DIR "$ROOT/conf/forms" \
		--at SOCKET "$dir/intake.sock" \
		--at WORKERS "$workers" \
		--at LOG_LEVEL warn \
		--at CACHE_FILE "$dir/cache.shm" \
		--at SPOOL_DIR "$dir/spool" \
		--at STANDIN_PORT "$STANDIN_PORT" \
		--at KEY_FILE "$dir/DEMO-ONLY-api-key" "$@"
	"$bin" -c "$dir/intake.conf" -t >"$dir/intake.log" 2>&1 ||
		fail "intake rejected its config" "$dir/intake.log"
	intake_start "$dir/intake.pid" "$dir/intake.log" "$bin" -c "$dir/intake.conf"
	intake_wait_for "the intake socket" 15 "$dir/intake.pid" "$bin" \
		test -S "$dir/intake.sock" || fail "the intake pool did not start" "$dir/intake.log"
}
