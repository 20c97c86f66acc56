#!/usr/bin/env bash
# End-to-end Kafka throughput of driftwatch (issue 4, item 8): produces N
# JSON events of a 20-feature model to a Kafka broker of its own, runs the
# real `driftwatch run` against each backlog with a fresh consumer group,
# and reports events per second, CPU time and peak memory per run, then the
# best and median per N. The table goes to stdout; docs/benchmarks.md
# records a run.
#
#   bench/kafka.sh [FLAG...]      extra flags go to bench/kafka (see -h)
#
# Settings (environment):
#   BENCH_KAFKA_N             event counts (default 1000000,3000000,10000000)
#   BENCH_KAFKA_RUNS          runs per N (default 2)
#   BENCH_KAFKA_STATE         state directory of the benchmark's broker
#                             (default ${TMPDIR:-/tmp}/driftwatch-bench-kafka)
#   BENCH_KAFKA_PORT, BENCH_KAFKA_CONTROLLER_PORT   (default 39192, 39193)
#   BENCH_KAFKA_DRIFTWATCH    a driftwatch binary to measure instead of
#                             building ./cmd/driftwatch
#   BENCH_KAFKA_KEEP=1        keep the broker running and the topics and the
#                             work directory, so that the next run reuses them
#
# The broker is scripts/kafka.sh with its own state directory and ports, so
# the shared test broker is never touched. The script stops the broker, and
# deletes its data, only if it started it.
set -euo pipefail
cd "$(dirname "$0")/.."

sizes=${BENCH_KAFKA_N:-1000000,3000000,10000000}
runs=${BENCH_KAFKA_RUNS:-2}
state=${BENCH_KAFKA_STATE:-${TMPDIR:-/tmp}/driftwatch-bench-kafka}
port=${BENCH_KAFKA_PORT:-39192}
controller_port=${BENCH_KAFKA_CONTROLLER_PORT:-39193}
keep=${BENCH_KAFKA_KEEP:-0}

log() {
	printf '%s [bench-kafka] %s\n' "$(date +%H:%M:%S)" "$*" >&2
}

# broker runs scripts/kafka.sh against the benchmark's own instance.
broker() {
	DRIFTWATCH_STATE=$state DRIFTWATCH_KAFKA_PORT=$port \
		DRIFTWATCH_KAFKA_CONTROLLER_PORT=$controller_port scripts/kafka.sh "$@"
}

work=$(mktemp -d "${TMPDIR:-/tmp}/dwbench-XXXXXX")
started=0
cleanup() {
	local rc=$?
	# Kafka deletes topics in the background, after the broker has long
	# stopped; wiping the benchmark's own broker frees the disk at once.
	if ((started)) && [[ $keep != 1 ]]; then
		broker wipe || rc=1
	fi
	if [[ $keep == 1 ]]; then
		log "kept the work directory $work"
	else
		rm -rf "$work"
	fi
	exit "$rc"
}
trap cleanup EXIT

if broker health --quick >/dev/null 2>&1; then
	log "reusing the benchmark broker already running on 127.0.0.1:$port"
else
	started=1
	broker start
fi
pid=$(cat "$state/run/kafka.pid")

driftwatch=${BENCH_KAFKA_DRIFTWATCH:-}
if [[ -z $driftwatch ]]; then
	log "building driftwatch"
	make --no-print-directory build BIN="$work/driftwatch" >&2
	driftwatch=$work/driftwatch
fi
go build -o "$work/bench-kafka" ./bench/kafka

flags=(-driftwatch "$driftwatch" -broker "127.0.0.1:$port" -broker-pid "$pid"
	-dir "$work" -n "$sizes" -runs "$runs")
if [[ $keep != 1 ]]; then
	flags+=(-delete-topics)
fi
log "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$work/bench-kafka" "${flags[@]}" "$@"
