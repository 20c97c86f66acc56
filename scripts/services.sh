#!/usr/bin/env bash
# Brings up the real servers driftwatch's tests talk to, and tears them down.
#
#   scripts/services.sh up SERVICE...    install, start and health-check each,
#                                        then write $DRIFTWATCH_STATE/env.sh
#                                        (DRIFTWATCH_HEALTH=quick: quick checks)
#   scripts/services.sh down [SERVICE...]  stop what the harness started
#                                        (every service when none is named)
#   scripts/services.sh env              print env.sh (for eval or source)
#   scripts/services.sh status           quick health of every service
#   scripts/services.sh list             name the services
#
# A service is any scripts/NAME.sh that ends with `dw_main "$@"` (see lib.sh).
# Any failure exits non-zero with the service's log tail on stderr.

DW_SERVICE=services
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ENV_FILE=$DW_STATE/env.sh
ENV_DIR=$DW_STATE/env.d

usage() {
	sed -n '3,15s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
	exit 2
}

# all_services names every service script, sorted.
all_services() {
	local f
	for f in "$DW_SCRIPTS_DIR"/*.sh; do
		grep -q '^dw_main "\$@"$' "$f" || continue
		f=${f##*/}
		printf '%s\n' "${f%.sh}"
	done
}

service_script() {
	local name=$1
	if ! [[ $name =~ ^[a-z0-9][a-z0-9_-]*$ && -f $DW_SCRIPTS_DIR/$name.sh ]] ||
		! grep -q '^dw_main "\$@"$' "$DW_SCRIPTS_DIR/$name.sh"; then
		dw_die "unknown service '$name' (known: $(all_services | tr '\n' ' '))"
	fi
	printf '%s\n' "$DW_SCRIPTS_DIR/$name.sh"
}

# write_env_file joins the env fragments of the services that are up.
write_env_file() {
	local f fragments=()
	mkdir -p "$ENV_DIR"
	for f in "$ENV_DIR"/*.sh; do
		[[ -f $f ]] && fragments+=("$f")
	done
	if ((${#fragments[@]} == 0)); then
		rm -f "$ENV_FILE"
		return 0
	fi
	{
		printf '# Written by scripts/services.sh for: %s\n' "$(basename -a "${fragments[@]}" | sed 's/\.sh$//' | tr '\n' ' ')"
		dw_export DRIFTWATCH_STATE "$DW_STATE"
		dw_export DRIFTWATCH_CACHE "$DW_CACHE"
		cat "${fragments[@]}"
	} | dw_write_atomic "$ENV_FILE"
}

cmd_up() {
	(($#)) || usage
	local name script start health_args=()
	# DRIFTWATCH_HEALTH=quick skips the slower end-to-end checks (Kafka's
	# produce/consume round trip) when a caller brings services up repeatedly.
	[[ ${DRIFTWATCH_HEALTH:-full} == quick ]] && health_args=(--quick)
	for name in "$@"; do service_script "$name" >/dev/null; done
	for name in "$@"; do
		script=$(service_script "$name")
		start=$SECONDS
		DW_SERVICE=$name
		"$script" install || dw_die "install failed"
		"$script" start || dw_die "start failed"
		"$script" health "${health_args[@]}" || dw_die "health check failed"
		"$script" env | dw_write_atomic "$ENV_DIR/$name.sh"
		dw_log "up in $((SECONDS - start))s"
	done
	DW_SERVICE=services
	write_env_file
	dw_log "env for tests: source $ENV_FILE (or: eval \"\$(scripts/services.sh env)\")"
}

cmd_down() {
	local names=("$@") name failed=() pidfile
	((${#names[@]})) || mapfile -t names < <(all_services)
	for name in "${names[@]}"; do
		if "$(service_script "$name")" stop; then
			rm -f "$ENV_DIR/$name.sh"
		else
			failed+=("$name")
		fi
	done
	write_env_file
	if (($# == 0)); then
		for pidfile in "$DW_STATE"/run/*.pid; do
			[[ -e $pidfile ]] || continue
			dw_log "pid file left behind: $pidfile ($(<"$pidfile"))"
			failed+=("$(basename "$pidfile" .pid)")
		done
	fi
	((${#failed[@]} == 0)) || dw_die "could not stop: ${failed[*]}"
	dw_log "down: ${names[*]}"
}

cmd_env() {
	[[ -f $ENV_FILE ]] || dw_die "no services are up ($ENV_FILE is missing); run: scripts/services.sh up SERVICE..."
	cat "$ENV_FILE"
}

cmd_status() {
	local name rc=0
	for name in $(all_services); do
		DW_SERVICE=$name
		if "$(service_script "$name")" health --quick 2>/dev/null; then
			dw_log "up"
		else
			dw_log "down"
			rc=1
		fi
	done
	return "$rc"
}

case ${1:-} in
up)
	shift
	cmd_up "$@"
	;;
down)
	shift
	cmd_down "$@"
	;;
env) cmd_env ;;
status) cmd_status ;;
list) all_services ;;
*) usage ;;
esac
