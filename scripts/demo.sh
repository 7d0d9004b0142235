#!/usr/bin/env bash
# The quick-start command: build intake and run it, behind a private nginx,
# against the local Integrify stand-in. Everything lives in build/demo/.
#
#   scripts/demo.sh           (re)start the demo; prints its URL once /readyz is 200
#   scripts/demo.sh stop      stop nginx, the intake pool and the stand-in
#   scripts/demo.sh status    say which of the three are running
#
# Environment:
#   INTAKE_DEMO_PORT          nginx port on 127.0.0.1 (default 8080)
#   INTAKE_DEMO_STANDIN_PORT  stand-in port on 127.0.0.1 (default 8299)
#   INTAKE_DEMO_ADMIN_PORT    the admin site (/metrics, /status) on 127.0.0.1 (default 9180)
#   INTAKE_BUILD_DIR          build directory (default build/)
#   INTAKE_DEMO_REDIS=1       keep the shared state in a private redis-server
#                             ([cache] backend = redis; README "Several hosts")
#
# Logs: build/demo/{standin,intake,nginx-error,nginx-access,build}.log
set -euo pipefail

# shellcheck disable=SC2034 # read by lib/common.sh
INTAKE_PROG=demo.sh
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

ROOT=$INTAKE_ROOT
PORT=${INTAKE_DEMO_PORT:-8080}
STANDIN_PORT=${INTAKE_DEMO_STANDIN_PORT:-8299}
ADMIN_PORT=${INTAKE_DEMO_ADMIN_PORT:-9180}
BUILD=${INTAKE_BUILD_DIR:-$ROOT/build}
[[ $BUILD == /* ]] || BUILD=$PWD/$BUILD
RUN=$BUILD/demo
BIN=$BUILD/cgi-bin/intake

for p in "$PORT" "$STANDIN_PORT" "$ADMIN_PORT"; do
	if ! [[ $p =~ ^[0-9]+$ ]] || ((p < 1 || p > 65535)); then
		intake_die "not a TCP port: '$p'"
	fi
done
[[ $PORT != "$STANDIN_PORT" ]] || intake_die "INTAKE_DEMO_PORT and INTAKE_DEMO_STANDIN_PORT are both $PORT"

# Pid files and the command-line text that identifies each process.
NGINX_PID=$RUN/nginx.pid      NGINX_PAT=$RUN/nginx.conf
INTAKE_PID=$RUN/intake.pid    INTAKE_PAT=$BIN
STANDIN_PID=$RUN/standin.pid  STANDIN_PAT=integrify_standin.py
REDIS_PID=$RUN/redis.pid      REDIS_PAT=redis-server
REDIS=${INTAKE_DEMO_REDIS:-0}

stop_all() {
	# Front to back: stop taking requests first.
	intake_stop "$NGINX_PID" "$NGINX_PAT" QUIT 10
	intake_stop "$INTAKE_PID" "$INTAKE_PAT" TERM 15
	intake_stop "$STANDIN_PID" "$STANDIN_PAT" TERM 5
	intake_stop "$REDIS_PID" "$REDIS_PAT" TERM 5
	rm -f "$RUN/intake.sock" "$RUN/redis.sock"
}

status_all() {
	local name pidfile pat running=0
	for name in nginx intake standin; do
		case $name in
		nginx) pidfile=$NGINX_PID pat=$NGINX_PAT ;;
		intake) pidfile=$INTAKE_PID pat=$INTAKE_PAT ;;
		standin) pidfile=$STANDIN_PID pat=$STANDIN_PAT ;;
		esac
		if [[ -f $pidfile ]] && intake_pid_alive "$(<"$pidfile")" "$pat"; then
			echo "$name: running (pid $(<"$pidfile"))"
			running=$((running + 1))
		else
			echo "$name: stopped"
		fi
	done
	((running == 3))
}

# fail MESSAGE [LOG...]: show the tail of each log, stop what was started, exit 1.
fail() {
	local msg=$1
	shift
	intake_tail_logs "$@"
	stop_all
	intake_die "$msg"
}

generate_configs() {
	local user_line="" p

	mkdir -p "$RUN/nginx-tmp"
	# The intake socket path must fit in sockaddr_un.sun_path (108 bytes with NUL).
	((${#RUN} + 12 < 108)) || intake_die "path too long for a unix socket: $RUN/intake.sock (set INTAKE_BUILD_DIR to a shorter path)"

	# Demo credentials: a private copy, so the repository file's mode does not matter.
	install -m 0600 "$ROOT/conf/demo/DEMO-ONLY-api-key" "$RUN/DEMO-ONLY-api-key"

	intake_render "$ROOT/conf/demo/intake.conf.in" "$RUN/intake.conf" \
		--at FORMS_DIR "$ROOT/conf/forms" \
		--at SOCKET "$RUN/intake.sock" \
		--at ADMIN_SOCKET "$RUN/admin.sock" \
		--at WORKERS 4 \
		--at LOG_LEVEL info \
		--at CACHE_FILE "$RUN/cache.shm" \
		--at SPOOL_DIR "$RUN/spool" \
		--at PUBLISH_DIR "$RUN/published" \
		--at STANDIN_PORT "$STANDIN_PORT" \
		--at KEY_FILE "$RUN/DEMO-ONLY-api-key" \
		--at PUBLIC_ORIGINS "http://localhost:$PORT http://127.0.0.1:$PORT" \
		--mode 0600
	if [[ $REDIS == 1 ]]; then
		# One switch: the same demo with its shared state in Redis, sealed.
		[[ -s $RUN/redis-seal.key ]] || (umask 077 && head -c 32 /dev/urandom >"$RUN/redis-seal.key")
		printf '\n[cache]\nbackend = redis\nredis_socket = %s\nredis_seal_key_file = %s\n' \
			"$RUN/redis.sock" "$RUN/redis-seal.key" >>"$RUN/intake.conf"
	fi

	# The site includes the system's fastcgi_params; intake routes on what it passes.
	for p in REQUEST_URI DOCUMENT_URI; do
		grep -q "^[[:space:]]*fastcgi_param[[:space:]]\+${p}[[:space:]]" /etc/nginx/fastcgi_params ||
			intake_die "/etc/nginx/fastcgi_params does not pass $p; intake routes on it"
	done

	# The shipped site and its locations (conf/nginx/intake-locations.conf),
	# plain HTTP on the demo's port: $RUN/intake-site.conf, $RUN/intake-locations.conf.
	python3 "$ROOT/scripts/lib/nginx_site.py" "$ROOT/conf/nginx/intake.conf" "$RUN" \
		--port "$PORT" --names 'localhost 127.0.0.1' \
		--sock "$RUN/intake.sock" --www "$ROOT/www" --cache "$RUN/nginx-cache" --access-log "$RUN/nginx-access.log" \
		--published "$RUN/published" ||
		intake_die "could not render conf/nginx/intake.conf for the demo"

	if ((EUID == 0)); then
		user_line='user root;'
	fi

	# The admin site (/metrics, /status) on its own loopback port.
	intake_render "$ROOT/conf/nginx/intake-admin.conf" "$RUN/intake-admin-site.conf" \
		--literal 'listen 127.0.0.1:9180;' "listen 127.0.0.1:$ADMIN_PORT;" \
		--literal 'server unix:/run/intake/admin.sock;' "server unix:$RUN/admin.sock;"
	intake_render "$ROOT/conf/demo/nginx.conf.in" "$RUN/nginx.conf" \
		--at USER_LINE "$user_line" \
		--at RUNDIR "$RUN"
}

start_all() {
	local url="http://127.0.0.1:$PORT" log

	"$ROOT/scripts/deps.sh"

	mkdir -p "$RUN"
	intake_say "building intake in $BUILD (log: $RUN/build.log)"
	intake_build "$BUILD" "$RUN/build.log" intake
	[[ -x $BIN ]] || intake_die "the build did not produce $BIN"

	stop_all
	for p in "$PORT" "$STANDIN_PORT" "$ADMIN_PORT"; do
		! intake_port_busy "$p" ||
			intake_die "127.0.0.1:$p is already in use by another program (choose another with INTAKE_DEMO_PORT / INTAKE_DEMO_STANDIN_PORT)"
	done

	generate_configs
	for log in standin intake nginx-error nginx-access; do
		: >"$RUN/$log.log"
	done

	"$BIN" -c "$RUN/intake.conf" -t >"$RUN/intake.log" 2>&1 ||
		fail "intake rejected $RUN/intake.conf" "$RUN/intake.log"

	# 1. The Integrify stand-in.
	intake_start "$STANDIN_PID" "$RUN/standin.log" \
		python3 -u "$ROOT/standin/integrify_standin.py" \
		--host 127.0.0.1 --port "$STANDIN_PORT" --data "$ROOT/standin/data/demo.json"
	intake_wait_for "the stand-in" 15 "$STANDIN_PID" "$STANDIN_PAT" \
		grep -q 'standin listening on' "$RUN/standin.log" ||
		fail "the stand-in did not start" "$RUN/standin.log"

	# 1b. Redis, when asked for: a private one on a unix socket, no persistence.
	if [[ $REDIS == 1 ]]; then
		: >"$RUN/redis.log"
		intake_start "$REDIS_PID" "$RUN/redis.log" redis-server --port 0 \
			--unixsocket "$RUN/redis.sock" --dir "$RUN" --save "" --appendonly no
		intake_wait_for "redis" 15 "$REDIS_PID" "$REDIS_PAT" \
			test -S "$RUN/redis.sock" ||
			fail "redis-server did not start" "$RUN/redis.log"
	fi

	# 2. The intake pool.
	# -R: the demo runs as whoever started it, root included (production sets
	# [server] user, or runs under systemd's User=).
	intake_start "$INTAKE_PID" "$RUN/intake.log" "$BIN" -c "$RUN/intake.conf" \
		$( ((EUID == 0)) && echo -R)
	intake_wait_for "the intake socket" 15 "$INTAKE_PID" "$INTAKE_PAT" \
		test -S "$RUN/intake.sock" ||
		fail "the intake pool did not start" "$RUN/intake.log"

	# 3. nginx (scripts/lib/common.sh: $NGINX_PID and $NGINX_PAT are its files).
	intake_nginx_start "$RUN" "$RUN/nginx-error.log" "$url/healthz" \
		intake_http_is "$url/healthz" 200 ||
		fail "nginx did not start, or /healthz did not answer 200 through it" \
			"$RUN/nginx-error.log" "$RUN/intake.log"
	intake_wait_for "$url/readyz" 20 "$INTAKE_PID" "$INTAKE_PAT" \
		intake_http_is "$url/readyz" 200 ||
		fail "/readyz did not become 200 (can intake get a token from the stand-in?)" \
			"$RUN/intake.log" "$RUN/standin.log"

	echo "intake demo: http://localhost:$PORT/"
	echo "metrics and status: http://127.0.0.1:$ADMIN_PORT/metrics, http://127.0.0.1:$ADMIN_PORT/status"
	intake_say "logs: $RUN/*.log; stop with: scripts/demo.sh stop"
}

case ${1:-start} in
start) start_all ;;
stop) stop_all && intake_say "stopped" ;;
status) status_all ;;
-h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" ;;
*) intake_die "unknown command '$1' (start, stop, status)" ;;
esac
