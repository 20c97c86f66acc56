#!/usr/bin/env bash
# Runs the benchmarks behind the drift package's performance targets and
# summarises them with benchstat. Results go to stdout; docs/benchmarks.md
# records a run.
#
#   bench/drift.sh [COUNT]      (default COUNT=5)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-5}
cache=${DRIFTWATCH_CACHE:-$HOME/.cache/driftwatch}
benchstat=$cache/bin/benchstat
if [[ ! -x $benchstat ]]; then
	mkdir -p "$cache/bin"
	GOBIN="$cache/bin" go install golang.org/x/perf/cmd/benchstat@latest
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
pattern='^(BenchmarkNumericAdd|BenchmarkCategoricalAdd|BenchmarkCategoricalAddBytes|BenchmarkWindowMemory|BenchmarkKS10k|BenchmarkEvaluateWindow100)$'
go test -run '^$' -bench "$pattern" -benchmem -count "$count" ./drift/ | tee "$out" >&2
go test -run '^$' -bench . -benchmem -count "$count" ./drift/quality/ | tee -a "$out" >&2
"$benchstat" "$out"
