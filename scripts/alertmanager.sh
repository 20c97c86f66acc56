#!/usr/bin/env bash
# Alertmanager for driftwatch's tests, from Debian's `prometheus-alertmanager`
# package (which also ships amtool). `start` runs a harness instance on
# 127.0.0.1 with cluster gossip disabled and a minimal config in the state
# directory; tests that need their own routes or webhooks start their own
# instance from DRIFTWATCH_ALERTMANAGER_BIN.
#
#   scripts/alertmanager.sh install|start|stop|restart|health|env

DW_SERVICE=alertmanager
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

AM_PORT=${DRIFTWATCH_ALERTMANAGER_PORT:-39094}
AM_URL=http://$DW_HOST:$AM_PORT
AM_BIN=${DRIFTWATCH_ALERTMANAGER_BIN:-/usr/bin/prometheus-alertmanager}
AMTOOL_BIN=${DRIFTWATCH_AMTOOL_BIN:-/usr/bin/amtool}
AM_START_TIMEOUT=${DRIFTWATCH_ALERTMANAGER_START_TIMEOUT:-60}

AM_STATE=$(dw_state_dir)
AM_CONFIG=$AM_STATE/alertmanager.yml
AM_DATA=$AM_STATE/data
AM_LOG=$AM_STATE/logs/alertmanager.log

svc_install() {
	if [[ -x $AM_BIN && -x $AMTOOL_BIN ]]; then
		return 0
	fi
	[[ $AM_BIN == /usr/bin/prometheus-alertmanager && $AMTOOL_BIN == /usr/bin/amtool ]] ||
		dw_die "DRIFTWATCH_ALERTMANAGER_BIN/DRIFTWATCH_AMTOOL_BIN point at missing files: $AM_BIN $AMTOOL_BIN"
	dw_apt_install prometheus-alertmanager
	# Without systemd the package's init script may still start a daemon on
	# :9093 with gossip on :9094; the harness runs its own instance instead.
	dw_quiesce_package_daemon prometheus-alertmanager
	[[ -x $AM_BIN && -x $AMTOOL_BIN ]] || dw_die "package prometheus-alertmanager installed but $AM_BIN or $AMTOOL_BIN is missing"
	dw_log "installed $("$AM_BIN" --version 2>&1 | head -n 1)"
}

am_write_config() {
	mkdir -p "$AM_DATA" "$(dirname "$AM_LOG")"
	# Short timings so alerts sent by tests show up at once; no receiver
	# delivers anywhere.
	dw_write_atomic "$AM_CONFIG" <<EOF
# Written by scripts/alertmanager.sh on every start; edits are lost.
route:
  receiver: blackhole
  group_by: ['alertname']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: blackhole
EOF
	local out
	out=$("$AMTOOL_BIN" check-config "$AM_CONFIG" 2>&1) || {
		printf '%s\n' "$out" >&2
		dw_die "amtool rejected $AM_CONFIG"
	}
}

am_ready() {
	dw_http_ok "$AM_URL/-/ready"
}

svc_start() {
	if dw_running_ready alertmanager "$AM_CONFIG" am_ready "$AM_START_TIMEOUT" "$AM_LOG"; then
		return 0
	fi
	dw_require_port_free "$AM_PORT" DRIFTWATCH_ALERTMANAGER_PORT
	am_write_config
	# An empty --cluster.listen-address disables gossip (HA) entirely.
	dw_spawn_ready alertmanager am_ready "$AM_START_TIMEOUT" "$AM_LOG" -- \
		"$AM_BIN" \
		--config.file="$AM_CONFIG" \
		--storage.path="$AM_DATA" \
		--web.listen-address="$DW_HOST:$AM_PORT" \
		--cluster.listen-address=
	dw_log "Alertmanager on $AM_URL"
}

svc_stop() {
	dw_stop_pid alertmanager "$AM_CONFIG" 30
}

svc_health() {
	local pid
	pid=$(dw_pid alertmanager "$AM_CONFIG") || {
		dw_log "health: not running (no live pid in $(dw_pidfile alertmanager))"
		return 1
	}
	am_ready || dw_fail_with_logs "health: pid $pid is not ready at $AM_URL/-/ready" "$AM_LOG"
	# amtool exercises the v2 API that tests and driftwatch use.
	"$AMTOOL_BIN" --alertmanager.url="$AM_URL" config show >/dev/null ||
		dw_fail_with_logs "health: amtool config show failed against $AM_URL" "$AM_LOG"
	"$AMTOOL_BIN" --alertmanager.url="$AM_URL" alert query >/dev/null ||
		dw_fail_with_logs "health: amtool alert query failed against $AM_URL" "$AM_LOG"
	dw_log "health: ok at $AM_URL"
}

svc_env() {
	dw_export DRIFTWATCH_ALERTMANAGER_URL "$AM_URL"
	dw_export DRIFTWATCH_ALERTMANAGER_PORT "$AM_PORT"
	dw_export DRIFTWATCH_ALERTMANAGER_BIN "$AM_BIN"
	dw_export DRIFTWATCH_AMTOOL_BIN "$AMTOOL_BIN"
}

dw_main "$@"
