# shellcheck shell=bash
# Shared helpers for the driftwatch service harness (scripts/*.sh).
#
# Each service script sources this file, sets DW_SERVICE, defines the
# functions svc_install, svc_start, svc_stop, svc_health and svc_env, and ends
# with `dw_main "$@"`. Everything binds 127.0.0.1; heavy downloads live in the
# cache, runtime state (data, logs, pid files) in the state directory.

set -euo pipefail

# shellcheck disable=SC2034 # used by the scripts that source this file
DW_SCRIPTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DW_CACHE=${DRIFTWATCH_CACHE:-$HOME/.cache/driftwatch}
DW_STATE=${DRIFTWATCH_STATE:-${TMPDIR:-/tmp}/driftwatch-services}
DW_HOST=127.0.0.1
# How many log lines a failure prints.
DW_LOG_TAIL_LINES=${DRIFTWATCH_LOG_TAIL_LINES:-60}

# ---------------------------------------------------------------- logging

dw_log() {
	printf '%s [%s] %s\n' "$(date +%H:%M:%S)" "${DW_SERVICE:-harness}" "$*" >&2
}

dw_die() {
	dw_log "ERROR: $*"
	exit 1
}

# dw_tail FILE prints the last lines of FILE to stderr, framed, if it exists.
dw_tail() {
	local file=$1
	[[ -s $file ]] || return 0
	printf -- '----- last %s lines of %s -----\n' "$DW_LOG_TAIL_LINES" "$file" >&2
	tail -n "$DW_LOG_TAIL_LINES" "$file" >&2 || true
	printf -- '----- end of %s -----\n' "$file" >&2
}

# dw_fail_with_logs MESSAGE FILE... logs MESSAGE, prints each log's tail, exits 1.
dw_fail_with_logs() {
	local msg=$1 f
	shift
	dw_log "ERROR: $msg"
	for f in "$@"; do dw_tail "$f"; done
	exit 1
}

# ---------------------------------------------------------------- directories

# dw_state_dir prints (and creates) the state directory of the current service.
dw_state_dir() {
	local d=$DW_STATE/$DW_SERVICE
	mkdir -p "$d"
	printf '%s\n' "$d"
}

dw_cache_dir() {
	local d=$DW_CACHE/$DW_SERVICE
	mkdir -p "$d"
	printf '%s\n' "$d"
}

# dw_lock NAME takes an exclusive lock for the rest of the calling process, so
# that concurrent harness calls (parallel test packages) serialise.
dw_lock() {
	local name=$1
	mkdir -p "$DW_STATE/locks"
	exec {DW_LOCK_FD}>"$DW_STATE/locks/$name.lock"
	if ! flock -w "${DRIFTWATCH_LOCK_TIMEOUT:-900}" "$DW_LOCK_FD"; then
		dw_die "timed out waiting for lock $DW_STATE/locks/$name.lock"
	fi
}

# ---------------------------------------------------------------- processes

dw_pidfile() {
	mkdir -p "$DW_STATE/run"
	printf '%s/run/%s.pid\n' "$DW_STATE" "$1"
}

# dw_alive PID succeeds while PID runs (a zombie awaiting its reaper counts
# as gone).
dw_alive() {
	local stat
	kill -0 "$1" 2>/dev/null || return 1
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[[ ${stat:0:1} != Z ]]
}

# dw_pid NAME MARKER prints the pid recorded for NAME if that process is alive
# and its command line contains MARKER (which guards against pid reuse).
# A stale pid file is removed. Returns 1 when nothing of ours is running.
dw_pid() {
	local name=$1 marker=$2 file pid cmdline
	file=$(dw_pidfile "$name")
	[[ -f $file ]] || return 1
	pid=$(<"$file")
	if [[ $pid =~ ^[0-9]+$ ]] && dw_alive "$pid"; then
		cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)
		if [[ $cmdline == *"$marker"* ]]; then
			printf '%s\n' "$pid"
			return 0
		fi
	fi
	dw_log "removing stale pid file $file"
	rm -f "$file"
	return 1
}

# dw_spawn NAME LOGFILE CMD... starts CMD detached in its own session, with
# output appended to LOGFILE, and records its pid.
dw_spawn() {
	local name=$1 log=$2 pid
	shift 2
	mkdir -p "$(dirname "$log")"
	printf '\n===== %s starting %s =====\n' "$(date '+%F %T')" "$name" >>"$log"
	# The child must not inherit the harness lock, or it would hold it forever.
	if [[ -n ${DW_LOCK_FD:-} ]]; then
		setsid "$@" </dev/null >>"$log" 2>&1 {DW_LOCK_FD}>&- &
	else
		setsid "$@" </dev/null >>"$log" 2>&1 &
	fi
	pid=$!
	printf '%s\n' "$pid" >"$(dw_pidfile "$name")"
	dw_log "started $name (pid $pid), log $log"
}

# dw_stop_pid NAME MARKER [TIMEOUT] sends SIGTERM to the recorded process,
# waits up to TIMEOUT seconds, then SIGKILLs it. Only touches pids from our
# own pid files.
dw_stop_pid() {
	local name=$1 marker=$2 timeout=${3:-30} pid i
	if ! pid=$(dw_pid "$name" "$marker"); then
		rm -f "$(dw_pidfile "$name")"
		return 0
	fi
	dw_log "stopping $name (pid $pid)"
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < timeout * 10; i++)); do
		dw_alive "$pid" || break
		sleep 0.1
	done
	if dw_alive "$pid"; then
		dw_log "$name did not stop in ${timeout}s, sending SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
		for ((i = 0; i < 50; i++)); do
			dw_alive "$pid" || break
			sleep 0.1
		done
	fi
	rm -f "$(dw_pidfile "$name")"
	dw_log "stopped $name"
}

# dw_running_ready NAME MARKER READY_FN TIMEOUT LOG... succeeds when our
# instance is already running and ready (waiting up to TIMEOUT s if it is
# still starting; failing loudly if it never gets ready). Returns 1 when no
# instance of ours runs, so the caller goes on to start one.
dw_running_ready() {
	local name=$1 marker=$2 ready=$3 timeout=$4 pid
	shift 4
	pid=$(dw_pid "$name" "$marker") || return 1
	if ! "$ready" >/dev/null 2>&1; then
		dw_log "$name (pid $pid) is running but not ready yet; waiting"
		dw_wait_until "$timeout" "$pid" "$name to get ready" "$ready" ||
			dw_fail_with_logs "$name (pid $pid) is running but not ready" "$@"
	fi
	dw_log "already running (pid $pid)"
}

# dw_spawn_ready NAME READY_FN TIMEOUT LOG... -- CMD... starts CMD with its
# output in the first LOG and waits until READY_FN succeeds. Earlier LOGs
# are kept as LOG.prev. If CMD exits or the wait times out, the process is
# stopped and the tails of all LOGs are printed before failing.
dw_spawn_ready() {
	local name=$1 ready=$2 timeout=$3 pid log start=$SECONDS
	local logs=()
	shift 3
	while (($#)) && [[ $1 != -- ]]; do
		logs+=("$1")
		shift
	done
	[[ ${1:-} == -- ]] || dw_die "dw_spawn_ready: missing -- before the command"
	shift
	# Each run gets fresh logs, so a failure shows this run's lines only.
	for log in "${logs[@]}"; do
		[[ -f $log ]] && mv -f "$log" "$log.prev"
	done
	dw_spawn "$name" "${logs[0]}" "$@"
	pid=$(<"$(dw_pidfile "$name")")
	if ! dw_wait_until "$timeout" "$pid" "$name to get ready" "$ready"; then
		if dw_alive "$pid"; then
			kill -TERM "$pid" 2>/dev/null || true
			sleep 2
			kill -KILL "$pid" 2>/dev/null || true
		fi
		rm -f "$(dw_pidfile "$name")"
		dw_fail_with_logs "$name did not get ready" "${logs[@]}"
	fi
	dw_log "$name ready after $((SECONDS - start))s"
}

# ---------------------------------------------------------------- network

# dw_port_open PORT succeeds if something accepts TCP connections on
# 127.0.0.1:PORT.
dw_port_open() {
	# shellcheck disable=SC2016 # $1 and $2 belong to the inner shell
	timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$DW_HOST" "$1" 2>/dev/null
}

# dw_require_port_free PORT VAR fails loudly if PORT is taken by a process
# this harness did not start. VAR names the env var that overrides it.
dw_require_port_free() {
	local port=$1 var=$2
	if dw_port_open "$port"; then
		dw_log "ERROR: $DW_HOST:$port is already in use by a process this harness did not start"
		ss -ltnp "sport = :$port" >&2 2>/dev/null || true
		dw_die "free the port or choose another with $var=PORT"
	fi
}

# dw_wait_until TIMEOUT PID DESCRIPTION CMD... polls CMD every 0.25s until it
# succeeds. Fails early if PID (when non-empty) exits, and after TIMEOUT s.
dw_wait_until() {
	local timeout=$1 pid=$2 what=$3 deadline
	shift 3
	deadline=$((SECONDS + timeout))
	until "$@" >/dev/null 2>&1; do
		if [[ -n $pid ]] && ! dw_alive "$pid"; then
			dw_log "process $pid exited while waiting for $what"
			return 1
		fi
		if ((SECONDS >= deadline)); then
			dw_log "timed out after ${timeout}s waiting for $what"
			return 1
		fi
		sleep 0.25
	done
}

# dw_http_ok URL succeeds on a 2xx answer.
dw_http_ok() {
	curl -fsS --max-time 5 -o /dev/null "$1"
}

# ---------------------------------------------------------------- packages

# dw_sudo runs a command as root (directly when we are root).
dw_sudo() {
	if ((EUID == 0)); then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo -n "$@"
	else
		dw_die "need root (or passwordless sudo) to run: $*"
	fi
}

dw_pkg_installed() {
	[[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true) == "install ok installed" ]]
}

# dw_apt_install PKG... installs the missing Debian packages. apt-get update
# runs once per hour at most, under a lock shared by all services; apt's
# output goes to $DW_STATE/logs/apt.log and is shown when it fails.
dw_apt_install() {
	local missing=() p log=$DW_STATE/logs/apt.log
	for p in "$@"; do dw_pkg_installed "$p" || missing+=("$p"); done
	((${#missing[@]})) || return 0
	command -v apt-get >/dev/null 2>&1 || dw_die "apt-get not found; install ${missing[*]} by other means"
	mkdir -p "$DW_STATE/locks" "$DW_STATE/logs"
	(
		flock -w 900 9 || dw_die "timed out waiting for the apt lock"
		local stamp=$DW_STATE/locks/apt-updated
		if [[ -z $(find "$stamp" -mmin -60 2>/dev/null) ]]; then
			dw_log "apt-get update"
			dw_sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$log" 2>&1 ||
				dw_fail_with_logs "apt-get update failed" "$log"
			touch "$stamp"
		fi
		dw_log "apt-get install ${missing[*]}"
		dw_sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			-o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}" >>"$log" 2>&1 ||
			dw_fail_with_logs "apt-get install ${missing[*]} failed" "$log"
	) 9>"$DW_STATE/locks/apt.lock"
}

# dw_quiesce_package_daemon NAME stops a daemon that a package's postinst may
# have started (through its init script or systemd unit), so the harness
# instances own the binaries and no stray server holds default ports.
dw_quiesce_package_daemon() {
	local name=$1
	if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; then
		if systemctl is-active --quiet "$name" 2>/dev/null; then
			dw_log "stopping the $name systemd unit started by its package"
			dw_sudo systemctl stop "$name" || true
		fi
		dw_sudo systemctl disable "$name" >/dev/null 2>&1 || true
	fi
	if [[ -x /etc/init.d/$name ]] && dw_sudo "/etc/init.d/$name" status >/dev/null 2>&1; then
		dw_log "stopping the $name daemon started by its package"
		dw_sudo "/etc/init.d/$name" stop >&2 || true
	fi
}

# ---------------------------------------------------------------- env files

# dw_export NAME VALUE prints a shell-quoted export line (for `env`).
dw_export() {
	printf 'export %s=%q\n' "$1" "$2"
}

# dw_write_atomic FILE writes stdin to FILE via a temp file and rename.
dw_write_atomic() {
	local file=$1 tmp
	mkdir -p "$(dirname "$file")"
	tmp=$(mktemp "$file.tmp.XXXXXX")
	cat >"$tmp"
	mv -f "$tmp" "$file"
}

# ---------------------------------------------------------------- dispatch

dw_usage() {
	cat >&2 <<EOF
usage: $(basename "$0") COMMAND

  install   fetch what ${DW_SERVICE} needs (cached; no-op when present)
  start     start a harness instance on $DW_HOST (no-op when healthy)
  stop      stop the instance this harness started
  restart   stop, then start, keeping data
  health    check that the instance works (exit 1 if not)
  env       print shell exports for tests
${DW_EXTRA_USAGE:-}
state: $DW_STATE/$DW_SERVICE   cache: $DW_CACHE/$DW_SERVICE
EOF
}

# dw_main dispatches the standard subcommands to the svc_* functions. A
# service lists further commands in DW_EXTRA_COMMANDS and handles them in
# svc_extra CMD ARGS...
dw_main() {
	local cmd=${1:-}
	[[ -n $cmd ]] || {
		dw_usage
		exit 2
	}
	shift
	case $cmd in
	install)
		dw_lock "$DW_SERVICE"
		svc_install "$@"
		;;
	start)
		dw_lock "$DW_SERVICE"
		svc_install
		svc_start "$@"
		;;
	stop)
		dw_lock "$DW_SERVICE"
		svc_stop "$@"
		;;
	restart)
		dw_lock "$DW_SERVICE"
		svc_stop
		svc_install
		svc_start "$@"
		;;
	health) svc_health "$@" ;;
	env) svc_env "$@" ;;
	-h | --help | help) dw_usage ;;
	*)
		if [[ " ${DW_EXTRA_COMMANDS:-} " == *" $cmd "* ]]; then
			svc_extra "$cmd" "$@"
		else
			dw_log "unknown command: $cmd"
			dw_usage
			exit 2
		fi
		;;
	esac
}
