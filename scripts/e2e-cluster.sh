#!/usr/bin/env bash
# The whole retraining loop on the simulated cluster, end to end (issue 7,
# item 5; docs/kubernetes.md, "End to end on a simulated cluster"):
#
#   drift in Kafka -> a Prometheus alert -> Alertmanager -> driftwatch's
#   webhook -> a training Job on a GPU node -> an evaluation Job on the CPU
#   node -> the gate -> a rollout of the serving Deployment -> the monitor
#   judges against the new version -> the drift resolves.
#
#   scripts/e2e-cluster.sh
#
# It brings up Kafka and the Kubernetes control plane with
# scripts/services.sh (installing Prometheus and Alertmanager too), builds
# driftwatch, starts its own Prometheus and Alertmanager configured for the
# scenario, runs `driftwatch run`, and checks every stage. It exits 0 only
# if every check passed. It stops what it started: its processes, the
# services that were not up before, the Kafka topic and, when every check
# passed, the Kubernetes namespace.
#
# Settings (environment):
#   DRIFTWATCH_E2E_PORT              driftwatch's HTTP port (default 39400)
#   DRIFTWATCH_E2E_PROMETHEUS_PORT   the scenario's Prometheus (default 39490)
#   DRIFTWATCH_E2E_ALERTMANAGER_PORT the scenario's Alertmanager (default 39493)
#   DRIFTWATCH_E2E_TIMEOUT           seconds each stage may take (default 90)
#   DRIFTWATCH_E2E_DRIFTWATCH        a driftwatch binary to use instead of
#                                    building ./cmd/driftwatch
#   DRIFTWATCH_E2E_KEEP=1            keep the work directory and the
#                                    namespace, also after a success
# and those of scripts/services.sh (scripts/README.md).

DW_SERVICE=e2e-cluster
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$DW_SCRIPTS_DIR/.."

dw_port=${DRIFTWATCH_E2E_PORT:-39400}
prom_port=${DRIFTWATCH_E2E_PROMETHEUS_PORT:-39490}
am_port=${DRIFTWATCH_E2E_ALERTMANAGER_PORT:-39493}
stage_timeout=${DRIFTWATCH_E2E_TIMEOUT:-90}
keep=${DRIFTWATCH_E2E_KEEP:-0}

# The scenario's names. The suffix keeps runs apart on shared services.
suffix=$(date +%s)-$$
ns=driftwatch-e2e-$suffix
topic=driftwatch-e2e-payments-$suffix
group=driftwatch-e2e-$suffix
# Events per drift window, and per batch the script produces.
window=200

work=$(mktemp -d "${TMPDIR:-/tmp}/driftwatch-e2e-XXXXXX")
cfg=$work/driftwatch.yaml
dw_url=http://127.0.0.1:$dw_port
prom_url=http://127.0.0.1:$prom_port
am_url=http://127.0.0.1:$am_port
model_v1=file://$work/models/payments-v1/model.json
model_v2=file://$work/models/payments-v2/model.json
profile_v2=$work/models/payments-v2/profile.json

started_services=()
pids=()
namespace_created=0
topic_created=0
passed=0
step_no=0
steps_total=9
t0=$SECONDS

# ---------------------------------------------------------------- output

step() {
	step_no=$((step_no + 1))
	printf '\n==> [%d/%d] %s  (%ds)\n' "$step_no" "$steps_total" "$*" "$((SECONDS - t0))"
}

ok() {
	printf '    ok    %s\n' "$*"
}

info() {
	printf '          %s\n' "$*"
}

fail() {
	printf '    FAIL  %s\n' "$*" >&2
	exit 1
}

# wait_for DESCRIPTION CMD... polls CMD until it succeeds, for at most the
# stage timeout, then fails the scenario.
wait_for() {
	local what=$1 deadline=$((SECONDS + stage_timeout)) pid
	shift
	until "$@" >/dev/null 2>&1; do
		if ((SECONDS >= deadline)); then
			fail "$what: not within ${stage_timeout}s"
		fi
		for pid in "${pids[@]}"; do
			dw_alive "$pid" || fail "$what: a process of the scenario (pid $pid) exited; see its log below"
		done
		sleep 0.25
	done
}

# ---------------------------------------------------------------- cleanup

diagnose() {
	printf '\n---- what the scenario saw ----\n' >&2
	kctl get jobs,pods,deployments -n "$ns" -o wide >&2 2>/dev/null || true
	if [[ -n ${dw_pid:-} ]] && dw_alive "$dw_pid"; then
		curl -fsS --max-time 5 "$dw_url/metrics" 2>/dev/null |
			grep -E '^driftwatch_(events_consumed_total|events_rejected_total|window_|drift_dataset|drift_feature_drifted|model_champion)' |
			grep -v ' 0$' >&2 || true
		"$dw_bin" runs list -c "$cfg" >&2 2>/dev/null || true
		local id
		id=$(run_id 2>/dev/null || true)
		if [[ -n $id ]]; then
			"$dw_bin" runs show -c "$cfg" "$id" >&2 2>/dev/null
		fi
	fi
	dw_tail "$work/driftwatch.log"
	dw_tail "$work/prometheus.log"
	dw_tail "$work/alertmanager.log"
}

cleanup() {
	local rc=$? pid
	trap - EXIT INT TERM
	# Clean up as much as possible, whatever fails.
	set +e
	((rc == 0)) || diagnose
	for pid in "${pids[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	if ((topic_created)); then
		"$DW_SCRIPTS_DIR/kafka.sh" topics --delete --topic "$topic" >/dev/null 2>&1 ||
			dw_log "could not delete the topic $topic"
	fi
	if ((namespace_created)); then
		if ((passed)) && [[ $keep != 1 ]]; then
			kctl delete namespace "$ns" --wait=false >/dev/null 2>&1 || dw_log "could not delete the namespace $ns"
		else
			dw_log "kept the namespace $ns: scripts/kubernetes.sh kubectl -n $ns get all"
		fi
	fi
	if ((${#started_services[@]})); then
		"$DW_SCRIPTS_DIR/services.sh" down "${started_services[@]}" || rc=1
	fi
	if ((passed)) && [[ $keep != 1 ]]; then
		rm -rf "$work"
	else
		dw_log "kept the work directory $work"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- helpers

kctl() {
	"$DRIFTWATCH_KUBECTL" --kubeconfig "$DRIFTWATCH_KUBECONFIG" "$@"
}

# metric SERIES prints the value of the first series of driftwatch's
# /metrics that starts with SERIES, written as the exposition writes it
# (labels sorted by name): a whole series, or its beginning.
metric() {
	curl -fsS --max-time 5 "$dw_url/metrics" |
		awk -v s="$1" '!found && index($1, s) == 1 { print $2; found = 1 } END { exit !found }'
}

metric_is() {
	[[ $(metric "$1") == "$2" ]]
}

metric_at_least() {
	local v
	v=$(metric "$1") && awk -v v="$v" -v min="$2" 'BEGIN { exit !(v + 0 >= min + 0) }'
}

# firing ALERTNAME succeeds while the scenario's Prometheus has the
# payments model's alert firing.
firing() {
	curl -fsS --max-time 5 "$prom_url/api/v1/alerts" |
		jq -e --arg a "$1" '[.data.alerts[] | select(.labels.alertname == $a and .labels.model == "payments" and .state == "firing")] | length > 0'
}

not_firing() {
	curl -fsS --max-time 5 "$prom_url/api/v1/alerts" >"$work/alerts.json" &&
		jq -e '[.data.alerts[] | select((.labels.alertname | test("^Driftwatch(Feature|Dataset)Drift$")) and .state == "firing")] | length == 0' "$work/alerts.json"
}

# am_has ALERTNAME succeeds while the scenario's Alertmanager holds the
# alert (active, or suppressed by the run's silence).
am_has() {
	curl -fsS --max-time 5 "$am_url/api/v2/alerts?filter=alertname%3D%22$1%22" | jq -e 'length > 0'
}

runs_json() {
	"$dw_bin" runs list -c "$cfg" --model payments --json
}

run_id() {
	runs_json | jq -er '.runs[0].id'
}

run_field() {
	"$dw_bin" runs show -c "$cfg" --json --tail-bytes 0 "$1" | jq -er "$2"
}

run_ended() {
	run_field "$1" '.run.state | IN("succeeded", "failed", "cancelled", "rejected", "rolled_back")'
}

# step_pod STEP prints the name of the pod of the run's STEP Job once it
# is scheduled.
step_pod() {
	kctl get pods -n "$ns" -l "driftwatch.dev/step=$1" -o json |
		jq -er '.items[] | select(.spec.nodeName != null) | .metadata.name'
}

pod_field() {
	kctl get pod -n "$ns" "$1" -o json | jq -er "$2"
}

# events N SHIFT FIRST prints N prediction events of the payments model,
# ids from FIRST, amounts spread evenly over [60, 140] + SHIFT and the four
# merchants in turn. Evenly spread rather than random, so that whether a
# window drifts does not depend on a random generator.
events() {
	awk -v n="$1" -v shift="$2" -v first="$3" -v now="$(date +%s)" 'BEGIN {
		split("grocer airline cinema fuel", merchant, " ")
		for (i = 0; i < n; i++) {
			j = (i * 119) % n  # a fixed shuffle of the amounts (119 is prime to 200)
			class = (i % 3 == 0) ? "1" : "0"
			printf "{\"id\":\"pay-%d\",\"model\":\"payments\",\"timestamp\":%d,\"features\":{\"amount\":%.2f,\"merchant\":\"%s\"},\"prediction\":\"%s\",\"score\":%.2f}\n",
				first + i, now - n + i, 60 + shift + 80 * (j + 0.5) / n, merchant[i % 4 + 1], class, (class == "1") ? 0.8 : 0.2
		}
	}'
}

# training SHIFT prints the training data of a model version as CSV, drawn
# the way events are.
training() {
	awk -v shift="$1" 'BEGIN {
		split("grocer airline cinema fuel", merchant, " ")
		n = 2000
		print "amount,merchant"
		for (i = 0; i < n; i++) printf "%.2f,%s\n", 60 + shift + 80 * (i + 0.5) / n, merchant[i % 4 + 1]
	}'
}

produce() {
	events "$window" "$1" "$2" | "$DW_SCRIPTS_DIR/kafka.sh" produce "$topic" >/dev/null 2>&1 ||
		fail "producing to $topic"
}

# ---------------------------------------------------------------- 1. services

step "services: Kafka and Kubernetes (scripts/services.sh), Prometheus and Alertmanager installed"
for svc in kafka kubernetes; do
	if "$DW_SCRIPTS_DIR/$svc.sh" health --quick >/dev/null 2>&1; then
		ok "$svc is up already; it stays up"
	else
		info "starting $svc (the first start of kubernetes builds it: about 8 minutes)"
		"$DW_SCRIPTS_DIR/services.sh" up "$svc" >"$work/services-$svc.log" 2>&1 ||
			{ dw_tail "$work/services-$svc.log"; fail "scripts/services.sh up $svc"; }
		started_services+=("$svc")
		ok "$svc started; it is stopped at the end"
	fi
done
for svc in prometheus alertmanager; do
	"$DW_SCRIPTS_DIR/$svc.sh" install >"$work/install-$svc.log" 2>&1 ||
		{ dw_tail "$work/install-$svc.log"; fail "scripts/$svc.sh install"; }
done
command -v jq >/dev/null 2>&1 || dw_apt_install jq
for svc in kafka kubernetes prometheus alertmanager; do
	eval "$("$DW_SCRIPTS_DIR/$svc.sh" env)"
done
ok "Prometheus $("$DRIFTWATCH_PROMETHEUS_BIN" --version 2>&1 | awk 'NR == 1 { print $3 }'), Alertmanager $("$DRIFTWATCH_ALERTMANAGER_BIN" --version 2>&1 | awk 'NR == 1 { print $3 }'), Kafka at $DRIFTWATCH_KAFKA_BROKERS, Kubernetes at $DRIFTWATCH_KUBERNETES_URL"
for p in "$dw_port:DRIFTWATCH_E2E_PORT" "$prom_port:DRIFTWATCH_E2E_PROMETHEUS_PORT" "$am_port:DRIFTWATCH_E2E_ALERTMANAGER_PORT"; do
	dw_require_port_free "${p%%:*}" "${p#*:}"
done

# ---------------------------------------------------------------- 2. files

step "driftwatch, its configuration, the training data and the v2 reference profile"
if [[ -n ${DRIFTWATCH_E2E_DRIFTWATCH:-} ]]; then
	dw_bin=$DRIFTWATCH_E2E_DRIFTWATCH
else
	dw_bin=$work/bin/driftwatch
	go build -o "$dw_bin" ./cmd/driftwatch || fail "go build ./cmd/driftwatch"
fi
ok "$("$dw_bin" version 2>/dev/null | head -n 1) at $dw_bin"
mkdir -p "$work/models/payments-v1" "$work/models/payments-v2"
training 0 >"$work/training-v1.csv"
training 60 >"$work/training-v2.csv"
echo '{"kind": "stand-in for a trained model"}' >"$work/models/payments-v1/model.json"
echo '{"kind": "stand-in for a trained model"}' >"$work/models/payments-v2/model.json"
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/webhook-token"
result_train=$(printf '{"model_uri":"%s","version":"v2","profile_uri":"%s","metrics":{"log_loss":0.31}}' "$model_v2" "$profile_v2")
result_evaluate='{"metrics":{"roc_auc":0.91},"champion_metrics":{"roc_auc":0.84}}'
cat >"$cfg" <<EOF
# The e2e scenario of scripts/e2e-cluster.sh.
server:
  listen: 127.0.0.1:$dw_port
  auth: {bearer_token: {file: webhook-token}}
storage: {dir: $work/data}
prometheus:
  # Fire and resolve within seconds, not minutes.
  rules: {for: 0s, keep_firing_for: 0s, severity: warning}
alertmanager: {url: $am_url, timeout: 5s}
models:
  - name: payments
    version: v1
    features:
      - {name: amount, type: numeric}
      - {name: merchant, type: categorical}
    prediction: {kind: binary, positive_class: "1", classes: ["0", "1"]}
    source:
      type: kafka
      kafka:
        brokers: [$DRIFTWATCH_KAFKA_BROKERS]
        topics: {predictions: $topic}
        group: $group
        session_timeout: 6s
    reference: {data: training-v1.csv}
    window: {count: $window, min_events: 100}
triggers:
  rules:
    - name: payments-drift
      pipeline: payments-retrain
      match: {model: payments}
      match_regex: {alertname: "DriftwatchFeatureDrift|DriftwatchDatasetDrift"}
      cooldown: 1h
pipelines:
  - name: payments-retrain
    model: payments
    executor: kubernetes
    kubernetes:
      namespace: $ns
      ttl_after_finished: 10m
      pod_annotations:
        example.com/driftwatch-run: "{{.RunID}}"
        # On the simulated cluster no container runs: kwok ends the pod
        # after fake-duration with this exit code and termination message,
        # the result a real train or evaluate image writes.
        driftwatch.dev/fake-exit-code: "0"
        driftwatch.dev/fake-duration: 2s
        driftwatch.dev/fake-termination-message: >-
          {{if eq .Step "train"}}$result_train{{else}}$result_evaluate{{end}}
        pod-create.stage.kwok.x-k8s.io/jitter-delay: 0s
        pod-ready.stage.kwok.x-k8s.io/jitter-delay: 0s
    steps:
      train:
        image: registry.example.com/payments/train:1.0
        args: ["--from={{.DataWindow.Start}}", "--to={{.DataWindow.End}}", "--out=s3://models/payments/{{.RunID}}"]
        resources: {cpu: "8", memory: 32Gi, gpu: 1}
        timeout: 5m
        retries: 0
      evaluate:
        image: registry.example.com/payments/evaluate:1.0
        args: ["--challenger={{.Challenger.URI}}", "--champion={{.Champion.URI}}"]
        resources: {cpu: "2", memory: 4Gi}
        timeout: 5m
        retries: 0
    gate:
      metrics: [{metric: roc_auc, lower: 0.8}]
    deploy:
      target: kubernetes-deployment
      deployment: {namespace: $ns, name: payments-server, container: server, env: MODEL_URI, timeout: 2m}
EOF
"$dw_bin" validate -c "$cfg" >"$work/validate.log" 2>&1 || { cat "$work/validate.log" >&2; fail "driftwatch validate"; }
ok "configuration $cfg is valid"
"$dw_bin" reference build -c "$cfg" --model payments --data "$work/training-v2.csv" --out "$profile_v2" >/dev/null 2>&1 ||
	fail "driftwatch reference build"
ok "v2 profile from the shifted training data (amounts 120-200): $profile_v2"
"$dw_bin" rules -c "$cfg" --out "$work/rules.yml" || fail "driftwatch rules"
"$DRIFTWATCH_PROMTOOL_BIN" check rules "$work/rules.yml" >/dev/null || fail "promtool check rules"
ok "alerting rules generated and checked by promtool: $work/rules.yml"

# ---------------------------------------------------------------- 3. cluster

step "cluster: namespace $ns and the serving Deployment payments-server at v1"
cat >"$work/serving.yaml" <<EOF
apiVersion: v1
kind: Namespace
metadata: {name: $ns}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: payments-server, namespace: $ns}
spec:
  replicas: 2
  progressDeadlineSeconds: 60
  selector: {matchLabels: {app: payments-server}}
  template:
    metadata:
      labels: {app: payments-server}
      # kwok makes the pods Ready at once.
      annotations:
        pod-create.stage.kwok.x-k8s.io/jitter-delay: 0s
        pod-ready.stage.kwok.x-k8s.io/jitter-delay: 0s
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: server
          image: registry.example.com/payments/server:1.0
          env: [{name: MODEL_URI, value: "$model_v1"}]
EOF
kctl apply -f "$work/serving.yaml" >/dev/null || fail "kubectl apply the serving Deployment"
namespace_created=1
kctl -n "$ns" wait --for=create serviceaccount/default --timeout="${stage_timeout}s" >/dev/null ||
	fail "the namespace's default service account"
kctl -n "$ns" rollout status deployment/payments-server --timeout="${stage_timeout}s" >/dev/null ||
	fail "the Deployment's first rollout"
ok "payments-server rolled out: 2 of 2 replicas ready with MODEL_URI=$model_v1"

# ---------------------------------------------------------------- 4. start

step "start: Alertmanager, driftwatch and Prometheus"
"$DW_SCRIPTS_DIR/kafka.sh" topics --create --topic "$topic" --partitions 1 --replication-factor 1 >/dev/null 2>&1 ||
	fail "creating the topic $topic"
topic_created=1
ok "Kafka topic $topic"
cat >"$work/alertmanager.yml" <<EOF
route:
  receiver: driftwatch
  group_by: [alertname, model]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 5s
receivers:
  - name: driftwatch
    webhook_configs:
      - url: $dw_url/webhooks/alertmanager
        send_resolved: true
        http_config:
          authorization: {credentials_file: $work/webhook-token}
EOF
"$DRIFTWATCH_ALERTMANAGER_BIN" --config.file="$work/alertmanager.yml" --storage.path="$work/alertmanager-data" \
	--web.listen-address="127.0.0.1:$am_port" --cluster.listen-address= >"$work/alertmanager.log" 2>&1 &
pids+=($!)
wait_for "Alertmanager ready" dw_http_ok "$am_url/-/ready"
ok "Alertmanager at $am_url, posting to $dw_url/webhooks/alertmanager"
(cd "$work" && exec env KUBECONFIG="$DRIFTWATCH_KUBECONFIG" "$dw_bin" run -c "$cfg") >"$work/driftwatch.log" 2>&1 &
dw_pid=$!
pids+=("$dw_pid")
wait_for "driftwatch ready (its Kafka consumer joined)" dw_http_ok "$dw_url/readyz"
grep -q 'pipelines can use Kubernetes' "$work/driftwatch.log" || fail "driftwatch did not register the kubernetes executor"
ok "driftwatch at $dw_url, with KUBECONFIG=$DRIFTWATCH_KUBECONFIG"
cat >"$work/prometheus.yml" <<EOF
global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: [rules.yml]
alerting:
  alertmanagers: [{static_configs: [{targets: ["127.0.0.1:$am_port"]}]}]
scrape_configs:
  - job_name: driftwatch
    static_configs: [{targets: ["127.0.0.1:$dw_port"]}]
EOF
"$DRIFTWATCH_PROMETHEUS_BIN" --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/prometheus-data" \
	--web.listen-address="127.0.0.1:$prom_port" >"$work/prometheus.log" 2>&1 &
pids+=($!)
wait_for "Prometheus ready" dw_http_ok "$prom_url/-/ready"
ok "Prometheus at $prom_url, scraping driftwatch every second with the generated rules"

# ---------------------------------------------------------------- 5. baseline

step "baseline: $window events like the training data; no drift against v1"
produce 0 0
wait_for "the first window evaluated" metric_is 'driftwatch_window_closed_total{model="payments",outcome="evaluated",window="drift"}' 1
metric_is 'driftwatch_drift_dataset_drifted{model="payments"}' 0 || fail "the baseline window drifted"
ok "window 1 (v1): driftwatch_drift_dataset_drifted 0"

# ---------------------------------------------------------------- 6. drift

step "drift: $window events with amounts shifted by +60 -> alert -> Alertmanager -> webhook"
produce 60 "$window"
wait_for "the shifted window evaluated" metric_is 'driftwatch_window_closed_total{model="payments",outcome="evaluated",window="drift"}' 2
metric_is 'driftwatch_drift_feature_drifted{feature="amount",' 1 || fail "amount did not drift in the shifted window"
ok "window 2 (v1): amount drifted, driftwatch_drift_dataset_drifted $(metric 'driftwatch_drift_dataset_drifted{model="payments"}')"
wait_for "Prometheus fires DriftwatchFeatureDrift" firing DriftwatchFeatureDrift
ok "Prometheus: DriftwatchFeatureDrift{model=\"payments\",feature=\"amount\"} firing"
wait_for "Alertmanager holds DriftwatchFeatureDrift" am_has DriftwatchFeatureDrift
ok "Alertmanager: DriftwatchFeatureDrift received"
wait_for "driftwatch records a run" run_id
id=$(run_id)
[[ $(run_field "$id" '.run.trigger.kind') == alert ]] || fail "run $id was not triggered by an alert"
ok "webhook: run $id requested by $(run_field "$id" '.run.trigger.alert_name') (rule payments-drift)"

# ---------------------------------------------------------------- 7. run

step "run $id: train on a GPU node, evaluate on the CPU node, gate"
wait_for "the train Job's pod is scheduled" step_pod train
pod=$(step_pod train)
node=$(pod_field "$pod" '.spec.nodeName')
[[ $(kctl get node "$node" -o json | jq -r '.metadata.labels["nvidia.com/gpu.present"]') == true ]] ||
	fail "train pod $pod runs on $node, which is not a GPU node"
[[ $(pod_field "$pod" '.spec.containers[0].resources.limits["nvidia.com/gpu"]') == 1 ]] || fail "train pod $pod asks for no GPU"
[[ $(pod_field "$pod" '.metadata.annotations["example.com/driftwatch-run"]') == "$id" ]] ||
	fail "train pod $pod lacks the rendered pod annotation example.com/driftwatch-run=$id"
ok "train: Job $(pod_field "$pod" '.metadata.labels["job-name"]') -> pod on $node (nvidia.com/gpu.present=true, $(kctl get node "$node" -o json | jq -r '.metadata.labels["nvidia.com/gpu.product"]')), nvidia.com/gpu: 1"
wait_for "the evaluate Job's pod is scheduled" step_pod evaluate
pod=$(step_pod evaluate)
node=$(pod_field "$pod" '.spec.nodeName')
[[ $(kctl get node "$node" -o json | jq -r '.metadata.labels["nvidia.com/gpu.present"] // "none"') == none ]] ||
	fail "evaluate pod $pod runs on $node, a GPU node"
ok "evaluate: Job $(pod_field "$pod" '.metadata.labels["job-name"]') -> pod on $node (no GPU)"
wait_for "run $id ends" run_ended "$id"
state=$(run_field "$id" '.run.state')
[[ $state == succeeded ]] || fail "run $id ended $state: $(run_field "$id" '.run.error // .run.message')"
[[ $(run_field "$id" '.run.steps[] | select(.name == "train") | .result.model_uri') == "$model_v2" ]] ||
	fail "the train step's result does not name $model_v2"
[[ $(run_field "$id" '.run.verdict.ok') == true ]] || fail "the gate did not pass run $id"
ok "results came back through the termination messages: model $model_v2, roc_auc $(run_field "$id" '.run.challenger.metrics.roc_auc')"
ok "gate: roc_auc >= 0.8 passed; run $id succeeded"

# ---------------------------------------------------------------- 8. deploy

step "deploy: payments-server rolled out with v2; the monitor switched to v2's profile"
dep=$(kctl get deployment -n "$ns" payments-server -o json)
uri=$(jq -r '.spec.template.spec.containers[] | select(.name == "server") | .env[] | select(.name == "MODEL_URI") | .value' <<<"$dep")
[[ $uri == "$model_v2" ]] || fail "the Deployment's MODEL_URI is $uri, not $model_v2"
[[ $(jq -r '.metadata.annotations["driftwatch.dev/model-version"]' <<<"$dep") == v2 ]] || fail "the Deployment does not record v2"
kctl -n "$ns" rollout status deployment/payments-server --timeout="${stage_timeout}s" >/dev/null || fail "the v2 rollout"
[[ $(jq -r '.metadata.annotations["driftwatch.dev/replaced-model-uri"]' <<<"$dep") == "$model_v1" ]] ||
	fail "the Deployment does not record that it replaced $model_v1"
ok "payments-server rolled out: MODEL_URI=$model_v2 on 2 of 2 replicas; it replaced $model_v1 (kept for rollback)"
wait_for "the champion is v2" metric_is 'driftwatch_model_champion_info{model="payments",version="v2"}' 1
grep -q 'msg="monitoring a new model version".*version=v2' "$work/driftwatch.log" || fail "the monitor did not switch to v2"
ok "champion v2; the monitor judges events against $profile_v2"

# ---------------------------------------------------------------- 9. resolve

step "resolve: $window more shifted events, judged against v2; the alert resolves"
# The drift measured against v1 stands until a window of v2 is judged.
firing DriftwatchFeatureDrift >/dev/null || fail "DriftwatchFeatureDrift stopped firing before a window of v2 was judged"
ok "DriftwatchFeatureDrift still firing: the last window was judged against v1"
evaluated=$(metric 'driftwatch_window_closed_total{model="payments",outcome="evaluated",window="drift"}')
produce 60 $((2 * window))
wait_for "a window of v2 evaluated" metric_at_least 'driftwatch_window_closed_total{model="payments",outcome="evaluated",window="drift"}' $((evaluated + 1))
metric_is 'driftwatch_drift_dataset_drifted{model="payments"}' 0 || fail "the shifted events still drift against v2"
metric_is 'driftwatch_drift_feature_drifted{feature="amount",' 0 || fail "amount still drifts against v2"
ok "window $((evaluated + 1)) (v2): driftwatch_drift_dataset_drifted 0, amount not drifted"
wait_for "Prometheus resolves the drift alerts" not_firing
ok "Prometheus: DriftwatchFeatureDrift and DriftwatchDatasetDrift no longer firing"
wait_for "driftwatch records the resolution" grep -q 'msg="trigger decision".* outcome=resolved .*alertname=\\"DriftwatchFeatureDrift\\"' "$work/driftwatch.log"
ok "Alertmanager sent the resolution; driftwatch recorded it"
[[ $(runs_json | jq '.runs | length') == 1 ]] || fail "the alert started more than one run"
ok "one run in all"

passed=1
printf '\nPASS: the loop closed in %ds (drift -> alert -> webhook -> GPU training Job -> evaluation Job -> gate -> rollout -> resolved)\n' "$((SECONDS - t0))"
