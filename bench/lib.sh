# bench/lib.sh - what the shell benches share (sourced after scripts/lib/common.sh).
# shellcheck shell=bash

# bench_start_intake DIR BIN WORKERS [RENDER_ARGS...]: start the stand-in and
# an intake pool on the demo config in DIR; sets STANDIN_PORT.  The caller's
# fail MESSAGE [LOG...] reports a failure; extra render.py arguments (e.g.
# --literal) adjust the config.  BENCH_SITE_PORTS (space-separated) names the
# ports nginx serves the site on: the forms' public_origins are written from
# them, as a browser would send them (http://127.0.0.1:P, http://localhost:P).
bench_start_intake() {
	local dir=$1 bin=$2 workers=$3 origins="" p
	shift 3
	[[ -n ${BENCH_SITE_PORTS:-} ]] ||
		fail "bench_start_intake: set BENCH_SITE_PORTS to nginx's site port(s) first"
	for p in $BENCH_SITE_PORTS; do
		origins+="${origins:+ }http://127.0.0.1:$p http://localhost:$p"
	done
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
		--at ADMIN_SOCKET "$dir/admin.sock" \
		--at WORKERS "$workers" \
		--at LOG_LEVEL warn \
		--at CACHE_FILE "$dir/cache.shm" \
		--at SPOOL_DIR "$dir/spool" \
		--at PUBLISH_DIR "$dir/published" \
		--at STANDIN_PORT "$STANDIN_PORT" \
		--at KEY_FILE "$dir/DEMO-ONLY-api-key" \
		--at PUBLIC_ORIGINS "$origins" "$@"
	"$bin" -c "$dir/intake.conf" -t >"$dir/intake.log" 2>&1 ||
		fail "intake rejected its config" "$dir/intake.log"
	# -R: the bench runs as whoever started it, root included.
	intake_start "$dir/intake.pid" "$dir/intake.log" "$bin" -c "$dir/intake.conf" \
		$( ((EUID == 0)) && echo -R)
	intake_wait_for "the intake socket" 15 "$dir/intake.pid" "$bin" \
		test -S "$dir/intake.sock" || fail "the intake pool did not start" "$dir/intake.log"
}

# bench_render_site PORT: the shipped site (conf/nginx/intake.conf and the
# intake-locations.conf it includes) as $TMP/intake-site.conf and
# $TMP/intake-locations.conf (scripts/lib/nginx_site.py), plain HTTP on
# 127.0.0.1:PORT (as 127.0.0.1 and localhost; other Hosts get the shipped
# 444), passing to the pool in $TMP, its cache under $TMP.  The per-client
# limit_req on /api/ is taken out: a bench measures intake and nginx's cache
# from one loopback address, not the limiter
# (tests/integration/test_hostile_clients.py tests it).
bench_render_site() {
	python3 "$ROOT/scripts/lib/nginx_site.py" "$ROOT/conf/nginx/intake.conf" "$TMP" \
		--port "$1" --names '127.0.0.1 localhost' --no-limit-req \
		--sock "$TMP/intake.sock" --www "$ROOT/www" --cache "$TMP/nginx-cache" --access-log "$TMP/nginx-access.log" \
		--published "$TMP/published"
}

# bench_fcgi_server NAME PORT SOCKET: the minimal server block of a FastCGI
# baseline (one location, fastcgi_params, unix socket, no upstream keepalive):
# bare's, and any backend measured against bare behind the very same lines.
bench_fcgi_server() {
	cat <<CONF
    server {
        listen 127.0.0.1:$2;
        server_name $1;
        server_tokens off;
        location / {
            include /etc/nginx/fastcgi_params;
            fastcgi_pass unix:$3;
        }
    }
CONF
}

# bench_nginx_conf NAME: write $TMP/nginx.conf, a private loopback nginx with
# the baselines (static: $TMP/static/body as ENDPOINT_PATH, served with the
# Content-Type in $TMP/content-type; bare: the libfcgi responder on
# $TMP/bare.sock) on PORT_STATIC and PORT_BARE, plus $TMP/intake-site.conf.
bench_nginx_conf() {
	local ctype user_line=""
	ctype=$(<"$TMP/content-type")
	((EUID != 0)) || user_line="user root;"   # workers can then read $TMP and reach the sockets
	cat >"$TMP/nginx.conf" <<CONF
# $1: private nginx, loopback only.
$user_line
worker_processes 2;
pid $TMP/nginx.pid;
error_log $TMP/nginx-error.log warn;
events {
    worker_connections 4096;
}
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    client_body_temp_path $TMP/nginx-tmp/body;
    fastcgi_temp_path $TMP/nginx-tmp/fastcgi;
    proxy_temp_path $TMP/nginx-tmp/proxy;
    scgi_temp_path $TMP/nginx-tmp/scgi;
    uwsgi_temp_path $TMP/nginx-tmp/uwsgi;

    # static: the same bytes from a file
    server {
        listen 127.0.0.1:$PORT_STATIC;
        server_name static;
        server_tokens off;
        location = "$ENDPOINT_PATH" {
            types { }
            default_type "$ctype";
            alias $TMP/static/body;
        }
    }

    # bare: a minimal libfcgi responder, same transport as intake (unix socket,
    # no upstream keepalive)
$(bench_fcgi_server bare "$PORT_BARE" "$TMP/bare.sock")

    # intake: conf/nginx/intake.conf (and whatever the bench added to it)
    include $TMP/intake-site.conf;
}
CONF
}

# bench_fail MESSAGE [LOG...]: show the tail of each log and exit (the caller's
# EXIT trap cleans up). The benches' fail.
bench_fail() {
	local msg=$1
	shift
	intake_tail_logs "$@"
	intake_die "$msg"
}

# bench_start_nginx NAME: write the config and start nginx (scripts/lib/common.sh).
bench_start_nginx() {
	bench_nginx_conf "$1"
	intake_nginx_start "$TMP" "$TMP/nginx-error.log" "nginx" intake_port_busy "$PORT_STATIC" ||
		fail "nginx did not start ($TMP/nginx.conf)" "$TMP/nginx-error.log"
}

# bench_serve_as NAME CTYPE: serve the static body as CTYPE from now on (reload).
bench_serve_as() {
	echo "$2" >"$TMP/content-type"
	bench_nginx_conf "$1"
	nginx -t -q -p "$TMP/" -c "$TMP/nginx.conf" >>"$TMP/nginx-error.log" 2>&1 ||
		fail "nginx rejected its config" "$TMP/nginx-error.log"
	kill -HUP "$(<"$TMP/nginx.pid")"
}

# bench_result FIGURE VALUE BASELINE OP TARGET [UNIT]: print the machine line
# RESULT<TAB>figure<TAB>value<TAB>baseline<TAB>target<TAB>met|missed that
# bench/all.sh collects (bench/result.py defines the format; OP is >=, <=, >
# or <, VALUE a number or "?" when it was not measured).
bench_result() {
	python3 "$ROOT/bench/result.py" "$@"
}
