# shellcheck shell=bash
# Helpers shared by scripts/demo.sh, scripts/test.sh and the bench/*.sh scripts.
# Source it; it defines functions and INTAKE_ROOT, and runs nothing else.

INTAKE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
INTAKE_PROG=${INTAKE_PROG:-$(basename "$0")}

# nginx lives in /usr/sbin, which a non-root user's PATH often lacks on Debian.
case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH=$PATH:/usr/sbin ;; esac

intake_say() { printf '%s: %s\n' "$INTAKE_PROG" "$*" >&2; }
intake_die() { printf '%s: error: %s\n' "$INTAKE_PROG" "$*" >&2; exit 1; }

# intake_build DIR [LOG [TARGET]]: configure and build intake in DIR (RelWithDebInfo);
# with TARGET only that target (and what it needs), else everything, tests included.
# With LOG, cmake's output goes there and only its tail is shown on failure.
intake_build() {
	local dir=$1 log=${2:-} target=${3:-}
	local -a buildcmd=(cmake --build "$dir" -j2)
	[[ -z $target ]] || buildcmd+=(--target "$target")
	if [[ -z $log ]]; then
		cmake -S "$INTAKE_ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo && "${buildcmd[@]}"
		return
	fi
	if ! { cmake -S "$INTAKE_ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
		"${buildcmd[@]}"; } >"$log" 2>&1; then
		tail -n 40 "$log" >&2
		intake_die "build failed (full output: $log)"
	fi
}

# intake_render TEMPLATE OUT [--at NAME VALUE]... [--literal OLD NEW]... [--mode OCTAL]
intake_render() {
	python3 "$INTAKE_ROOT/scripts/lib/render.py" "$@"
}

# intake_port_busy PORT: true when something accepts TCP connections on 127.0.0.1:PORT.
intake_port_busy() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# intake_free_port: print a TCP port on 127.0.0.1 that was free a moment ago.
intake_free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# intake_http_status URL: print the HTTP status of a GET (000 when nothing answered).
intake_http_status() {
	curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$1" 2>/dev/null || true
}

# intake_http_is URL STATUS: true when a GET of URL answers STATUS.
intake_http_is() {
	[[ $(intake_http_status "$1") == "$2" ]]
}

# intake_pid_alive PID PATTERN: true when PID runs and its command line contains
# PATTERN, or its executable is PATTERN (which survives a process retitling itself).
# The check keeps a stale pid file from naming some unrelated process.
intake_pid_alive() {
	local pid=$1 pattern=$2 cmd exe
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	[[ -r /proc/$pid/cmdline ]] || return 1
	cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || return 1
	[[ -n $cmd ]] || return 1 # a zombie
	[[ $cmd == *"$pattern"* ]] && return 0
	exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
	[[ ${exe% (deleted)} == "$pattern" ]]
}

# intake_pid_running PID: true when PID exists and is not a zombie. For a process
# just started: before its exec its command line is still the caller's.
intake_pid_running() {
	local stat
	[[ $1 =~ ^[0-9]+$ ]] || return 1
	read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
	stat=${stat##*) }
	[[ ${stat:0:1} != Z ]]
}

# intake_start PIDFILE LOG CMD...: start CMD in its own session (so it outlives the
# calling script and a terminal hang-up, and can be stopped as a process group),
# stdin from /dev/null, stdout and stderr appended to LOG; write its pid to PIDFILE.
intake_start() {
	local pidfile=$1 log=$2
	shift 2
	# In a non-interactive shell "&" keeps the script's process group, so setsid
	# does not need to fork and $! is the service's own pid.
	setsid "$@" </dev/null >>"$log" 2>&1 &
	echo "$!" >"$pidfile"
}

# intake_group_pids PGID PATTERN: print the pids in process group PGID whose command
# line contains PATTERN (read from /proc, so it needs no procps).
intake_group_pids() {
	local pgid=$1 pattern=$2 stat rest pid
	for stat in /proc/[0-9]*/stat; do
		pid=${stat#/proc/}
		pid=${pid%/stat}
		read -r rest 2>/dev/null <"$stat" || continue
		# Fields after "(comm)": state ppid pgrp ...; comm may hold spaces.
		rest=${rest##*) }
		read -r _ _ rest _ <<<"$rest"
		[[ $rest == "$pgid" ]] && intake_pid_alive "$pid" "$pattern" && echo "$pid"
	done
	return 0
}

# intake_stop PIDFILE PATTERN SIGNAL [GRACE_SECONDS]: stop the process named by
# PIDFILE (if it is still the one we started), first with SIGNAL, then after
# GRACE_SECONDS with SIGKILL. Processes it left in its process group whose command
# line matches PATTERN (e.g. workers of a supervisor that died) are ended too.
# Removes PIDFILE.
intake_stop() {
	local pidfile=$1 pattern=$2 sig=$3 grace=${4:-10} pid i left
	[[ -f $pidfile ]] || return 0
	pid=$(<"$pidfile")
	if intake_pid_alive "$pid" "$pattern"; then
		kill "-$sig" "$pid" 2>/dev/null || true
		for ((i = 0; i < grace * 10; i++)); do
			intake_pid_alive "$pid" "$pattern" || break
			sleep 0.1
		done
		if intake_pid_alive "$pid" "$pattern"; then
			intake_say "pid $pid ($pattern) still running ${grace}s after SIG$sig; sending SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	if [[ $pid =~ ^[0-9]+$ ]]; then
		left=$(intake_group_pids "$pid" "$pattern")
		if [[ -n $left ]]; then
			# shellcheck disable=SC2086
			kill -TERM $left 2>/dev/null || true
			sleep 0.5
			left=$(intake_group_pids "$pid" "$pattern")
			# shellcheck disable=SC2086
			[[ -z $left ]] || kill -KILL $left 2>/dev/null || true
		fi
	fi
	rm -f "$pidfile"
}

# intake_wait_for DESCRIPTION SECONDS PIDFILE NAME CMD...: poll CMD every 0.1 s
# until it succeeds; fail early if the process in PIDFILE (which we just
# started; NAME names it in messages) died.
intake_wait_for() {
	local what=$1 secs=$2 pidfile=$3 pattern=$4 i pid
	shift 4
	pid=$(<"$pidfile")
	for ((i = 0; i < secs * 10; i++)); do
		if "$@"; then
			return 0
		fi
		if ! intake_pid_running "$pid"; then
			intake_say "$pattern (pid $pid) exited while waiting for $what"
			return 1
		fi
		sleep 0.1
	done
	intake_say "timed out after ${secs}s waiting for $what"
	return 1
}

# intake_tail_logs LOG...: show the last lines of each non-empty LOG on stderr
# (what a failed start prints before giving up).
intake_tail_logs() {
	local log
	for log in "$@"; do
		[[ -s $log ]] || continue
		echo "---- last lines of $log ----" >&2
		tail -n 20 "$log" >&2
	done
}

# intake_nginx_start DIR LOG WHAT CMD...: the one way a private nginx is started
# (the demo, the benches). Check DIR/nginx.conf, start nginx on it (prefix DIR/,
# in the foreground of its own session, so its pid in DIR/nginx.pid is the
# master's and intake_stop DIR/nginx.pid DIR/nginx.conf stops it), errors to LOG,
# then wait up to 15 s until CMD succeeds (WHAT names it). Returns 1, saying
# why, when nginx rejects the config, dies, or CMD never succeeds.
intake_nginx_start() {
	local dir=$1 log=$2 what=$3
	shift 3
	if ! nginx -t -q -p "$dir/" -c "$dir/nginx.conf" >>"$log" 2>&1; then
		intake_say "nginx rejected $dir/nginx.conf"
		return 1
	fi
	intake_start "$dir/nginx.pid" "$log" nginx -p "$dir/" -c "$dir/nginx.conf" -g 'daemon off;'
	intake_wait_for "$what" 15 "$dir/nginx.pid" "$dir/nginx.conf" "$@"
}
