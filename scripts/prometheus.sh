#!/usr/bin/env bash
# Prometheus for driftwatch's tests, from Debian's `prometheus` package (which
# also ships promtool). `start` runs a harness instance on 127.0.0.1 with a
# minimal config in the state directory; tests that need their own config
# start their own instance from DRIFTWATCH_PROMETHEUS_BIN.
#
#   scripts/prometheus.sh install|start|stop|restart|health|env
#
# The harness instance scrapes itself, loads rule files from
# $DRIFTWATCH_STATE/prometheus/rules/*.yml (POST /-/reload after adding one)
# and sends alerts to the harness Alertmanager port.

DW_SERVICE=prometheus
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PROM_PORT=${DRIFTWATCH_PROMETHEUS_PORT:-39090}
PROM_URL=http://$DW_HOST:$PROM_PORT
PROM_BIN=${DRIFTWATCH_PROMETHEUS_BIN:-/usr/bin/prometheus}
PROMTOOL_BIN=${DRIFTWATCH_PROMTOOL_BIN:-/usr/bin/promtool}
PROM_START_TIMEOUT=${DRIFTWATCH_PROMETHEUS_START_TIMEOUT:-60}
AM_PORT=${DRIFTWATCH_ALERTMANAGER_PORT:-39094}

PROM_STATE=$(dw_state_dir)
PROM_CONFIG=$PROM_STATE/prometheus.yml
PROM_RULES=$PROM_STATE/rules
PROM_DATA=$PROM_STATE/data
PROM_LOG=$PROM_STATE/logs/prometheus.log

svc_install() {
	if [[ -x $PROM_BIN && -x $PROMTOOL_BIN ]]; then
		return 0
	fi
	[[ $PROM_BIN == /usr/bin/prometheus && $PROMTOOL_BIN == /usr/bin/promtool ]] ||
		dw_die "DRIFTWATCH_PROMETHEUS_BIN/DRIFTWATCH_PROMTOOL_BIN point at missing files: $PROM_BIN $PROMTOOL_BIN"
	dw_apt_install prometheus
	# Without systemd the package's init script may still start a daemon on
	# :9090; the harness runs its own instance instead.
	dw_quiesce_package_daemon prometheus
	[[ -x $PROM_BIN && -x $PROMTOOL_BIN ]] || dw_die "package prometheus installed but $PROM_BIN or $PROMTOOL_BIN is missing"
	dw_log "installed $("$PROM_BIN" --version 2>&1 | head -n 1)"
}

prom_write_config() {
	mkdir -p "$PROM_RULES" "$PROM_DATA" "$(dirname "$PROM_LOG")"
	dw_write_atomic "$PROM_CONFIG" <<EOF
# Written by scripts/prometheus.sh on every start; edits are lost.
global:
  scrape_interval: 5s
  evaluation_interval: 5s
rule_files:
  - $PROM_RULES/*.yml
alerting:
  alertmanagers:
    - static_configs:
        - targets: ['$DW_HOST:$AM_PORT']
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ['$DW_HOST:$PROM_PORT']
EOF
	local out
	out=$("$PROMTOOL_BIN" check config "$PROM_CONFIG" 2>&1) || {
		printf '%s\n' "$out" >&2
		dw_die "promtool rejected $PROM_CONFIG"
	}
}

prom_ready() {
	dw_http_ok "$PROM_URL/-/ready"
}

svc_start() {
	if dw_running_ready prometheus "$PROM_CONFIG" prom_ready "$PROM_START_TIMEOUT" "$PROM_LOG"; then
		return 0
	fi
	dw_require_port_free "$PROM_PORT" DRIFTWATCH_PROMETHEUS_PORT
	prom_write_config
	dw_spawn_ready prometheus prom_ready "$PROM_START_TIMEOUT" "$PROM_LOG" -- \
		"$PROM_BIN" \
		--config.file="$PROM_CONFIG" \
		--storage.tsdb.path="$PROM_DATA" \
		--storage.tsdb.retention.time=1d \
		--web.listen-address="$DW_HOST:$PROM_PORT" \
		--web.enable-lifecycle \
		--web.enable-admin-api
	dw_log "Prometheus on $PROM_URL"
}

svc_stop() {
	dw_stop_pid prometheus "$PROM_CONFIG" 30
}

svc_health() {
	local pid body
	pid=$(dw_pid prometheus "$PROM_CONFIG") || {
		dw_log "health: not running (no live pid in $(dw_pidfile prometheus))"
		return 1
	}
	prom_ready || dw_fail_with_logs "health: pid $pid is not ready at $PROM_URL/-/ready" "$PROM_LOG"
	dw_http_ok "$PROM_URL/-/healthy" || dw_fail_with_logs "health: $PROM_URL/-/healthy failed" "$PROM_LOG"
	# The query engine answers through promtool, not just the HTTP server.
	body=$("$PROMTOOL_BIN" query instant "$PROM_URL" 'vector(42)' 2>&1) ||
		dw_fail_with_logs "health: promtool query failed at $PROM_URL: $body" "$PROM_LOG"
	[[ $body == *'=> 42 @'* ]] ||
		dw_fail_with_logs "health: unexpected query answer from $PROM_URL: $body" "$PROM_LOG"
	dw_log "health: ok at $PROM_URL"
}

svc_env() {
	dw_export DRIFTWATCH_PROMETHEUS_URL "$PROM_URL"
	dw_export DRIFTWATCH_PROMETHEUS_PORT "$PROM_PORT"
	dw_export DRIFTWATCH_PROMETHEUS_BIN "$PROM_BIN"
	dw_export DRIFTWATCH_PROMTOOL_BIN "$PROMTOOL_BIN"
	dw_export DRIFTWATCH_PROMETHEUS_RULES_DIR "$PROM_RULES"
}

dw_main "$@"
