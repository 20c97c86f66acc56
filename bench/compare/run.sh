#!/usr/bin/env bash
# Times `driftwatch compare` and Evidently's DataDriftPreset on the same two
# CSV files in one run and prints a markdown table row with both times and
# their ratio.
#
# Usage: bench/compare/run.sh
# Environment: ROWS (default 1000000), COLS (20), SEED (1), REPEAT (3: each
# driftwatch timing is the best of REPEAT runs; Evidently runs once),
# DRIFTWATCH_CACHE (~/.cache/driftwatch). The Python venv, the generated
# data and the binary live under the cache directory.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cache=${DRIFTWATCH_CACHE:-$HOME/.cache/driftwatch}
rows=${ROWS:-1000000}
cols=${COLS:-20}
seed=${SEED:-1}
repeat=${REPEAT:-3}

venv=$cache/bench-venv
data=$cache/bench-data/compare-${rows}x${cols}-seed${seed}
bin=$cache/bench-bin/driftwatch

log() { echo "bench/compare: $*" >&2; }

# The venv is rebuilt when requirements.txt changes.
stamp=$(sha256sum "$here/requirements.txt" | cut -c1-16)
if [[ ! -f $venv/.stamp-$stamp ]]; then
	log "installing $here/requirements.txt into $venv"
	rm -rf "$venv"
	python3 -m venv "$venv"
	"$venv/bin/pip" install --quiet -r "$here/requirements.txt"
	touch "$venv/.stamp-$stamp"
fi

if [[ ! -f $data/.done ]]; then
	log "generating $rows x $cols CSV files in $data"
	"$venv/bin/python" "$here/gen.py" --rows "$rows" --cols "$cols" --seed "$seed" --out "$data"
	touch "$data/.done"
fi

log "building $bin"
mkdir -p "$(dirname "$bin")"
(cd "$root" && go build -trimpath -o "$bin" ./cmd/driftwatch)

# Both tools read the files from the page cache.
cat "$data/ref.csv" "$data/cur.csv" >/dev/null

now() { date +%s%N; }

# best_of prints the shortest wall time of $repeat runs of a command, in
# seconds; the last run's stdout goes to the file named first.
best_of() {
	local out=$1 best="" start end t
	shift
	for _ in $(seq "$repeat"); do
		start=$(now)
		"$@" >"$out"
		end=$(now)
		t=$(((end - start) / 1000000))
		if [[ -z $best || $t -lt $best ]]; then best=$t; fi
	done
	awk -v ms="$best" 'BEGIN { printf "%.2f", ms / 1000 }'
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

log "timing driftwatch compare (default methods), best of $repeat"
dw=$(best_of "$tmp/dw.json" "$bin" compare --reference "$data/ref.csv" --current "$data/cur.csv" --output json)
log "timing driftwatch compare --method ks, best of $repeat"
dwks=$(best_of "$tmp/dwks.json" "$bin" compare --reference "$data/ref.csv" --current "$data/cur.csv" --output json --method ks)
log "timing Evidently DataDriftPreset"
"$venv/bin/python" "$here/evidently_compare.py" "$data/ref.csv" "$data/cur.csv" >"$tmp/ev.json"

# Check that both tools reached the same verdicts before comparing times.
"$venv/bin/python" - "$tmp/dw.json" "$tmp/ev.json" "$dw" "$dwks" "$rows" "$cols" <<'PY'
import json, sys

dw = json.load(open(sys.argv[1]))
ev = json.load(open(sys.argv[2]))
dw_s, dwks_s, rows, cols = float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
diff = max(abs(f["statistic"] - ev["scores"][f["feature"]]) for f in dw["features"])
methods = ",".join(sorted({f["method"] for f in dw["features"]}))
print(f"bench/compare: drifted columns: driftwatch {dw['dataset']['drifted']}, Evidently {ev['drifted']}; "
      f"largest score difference {diff:.2e}", file=sys.stderr)
if dw["dataset"]["drifted"] != ev["drifted"]:
    sys.exit("bench/compare: the tools disagree on the drifted columns")
print("| data | driftwatch compare (" + methods + ") | driftwatch compare --method ks | Evidently DataDriftPreset | Evidently / driftwatch |")
print("|---|---|---|---|---|")
print(f"| {rows:,} rows x {cols} numeric columns, per file | {dw_s:.2f} s | {dwks_s:.2f} s | {ev['seconds']:.2f} s | {ev['seconds'] / dw_s:.1f}x |")
PY
