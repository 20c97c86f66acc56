# shellcheck shell=bash
# `scripts/kubernetes.sh selftest`, sourced by kubernetes.sh: proves that the
# harness cluster schedules and ends pods the way driftwatch's tests rely on.
# It runs one Job per case in a fresh namespace, all at once, and checks
# where each pod landed and how it ended. The namespace is deleted when every
# check passes and kept for inspection when one fails.

# The fake nodes of scripts/kwok/nodes.yaml.
ST_CPU_NODE=kwok-cpu
ST_A100=NVIDIA-A100-SXM4-80GB
ST_H100=NVIDIA-H100-80GB-HBM3

# st_expect DESCRIPTION GOT WANT records one check.
st_expect() {
	if [[ $2 == "$3" ]]; then
		ST_PASSED=$((ST_PASSED + 1))
		dw_log "selftest: ok: $1"
	else
		ST_FAILED+=("$1")
		dw_log "selftest: FAIL: $1: got '${2:0:200}', want '${3:0:200}'"
	fi
}

# st_wait JOB CONDITION waits for a Job condition (Complete or Failed) and
# records it as a check.
st_wait() {
	local got=no
	k8s_kubectl wait -n "$ST_NS" --for="condition=$2" "job/$1" --timeout="${K8S_HEALTH_TIMEOUT}s" >/dev/null 2>&1 && got=yes
	st_expect "Job $1 is $2" "$got" yes
}

# st_terminated JOB FIELD prints a field of the first container's
# state.terminated.
st_terminated() {
	k8s_pod_field "$ST_NS" "$1" ".status.containerStatuses[0].state.terminated.$2"
}

st_node() {
	k8s_pod_field "$ST_NS" "$1" .spec.nodeName
}

# st_plain_job prints a CPU Job without driftwatch's annotations, which kwok's
# own pod/general stages run and complete.
st_plain_job() {
	cat <<EOF
apiVersion: batch/v1
kind: Job
metadata:
  name: plain
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: step
        image: registry.invalid/driftwatch-harness:never-pulled
EOF
}

k8s_selftest() {
	local start=$SECONDS long node got out
	k8s_require_running || dw_die "selftest: the cluster is not running; run: scripts/kubernetes.sh start"
	ST_NS=driftwatch-selftest-$(date +%s)-$RANDOM
	ST_PASSED=0
	ST_FAILED=()
	long=$(head -c 5000 /dev/zero | tr '\0' x)
	out=$(k8s_kubectl create namespace "$ST_NS" 2>&1) || k8s_fail "selftest: creating namespace $ST_NS failed: $out"
	# The ServiceAccount admission plugin refuses pods until the namespace's
	# default ServiceAccount exists.
	k8s_kubectl wait -n "$ST_NS" --for=create serviceaccount/default --timeout=60s >/dev/null ||
		k8s_fail "selftest: namespace $ST_NS got no default ServiceAccount" "$ST_NS"
	dw_log "selftest: creating 9 Jobs in namespace $ST_NS"
	out=$({
		k8s_job_yaml gpu 0 '{"case":"gpu"}' 200ms gpu
		printf -- '---\n'
		k8s_job_yaml cpu 0 '{"case":"cpu"}' 200ms cpu
		printf -- '---\n'
		k8s_job_yaml fail 3 '{"error":"diverged"}' 200ms cpu
		printf -- '---\n'
		k8s_job_yaml a100 0 '{"case":"a100"}' 200ms gpu "$ST_A100"
		printf -- '---\n'
		k8s_job_yaml h100 0 '{"case":"h100"}' 200ms gpu "$ST_H100"
		printf -- '---\n'
		k8s_job_yaml long-message 0 "$long" 0s cpu
		printf -- '---\n'
		k8s_job_yaml bad-exit-code abc '' 0s cpu
		printf -- '---\n'
		k8s_job_yaml untolerated 0 '' 0s gpu-untolerated
		printf -- '---\n'
		st_plain_job
	} | k8s_kubectl apply -n "$ST_NS" -f - 2>&1) || k8s_fail "selftest: creating the Jobs failed: $out" "$ST_NS"

	# A GPU Job lands on a GPU node, and its result comes back as the
	# termination message.
	st_wait gpu Complete
	node=$(st_node gpu)
	st_expect "GPU Job ran on a GPU node ($node)" "$(k8s_node_label "$node" nvidia.com/gpu.present)" true
	st_expect "GPU Job's termination message" "$(st_terminated gpu message)" '{"case":"gpu"}'
	st_expect "GPU Job's exit code" "$(st_terminated gpu exitCode)" 0
	st_expect "GPU Job's pod phase" "$(k8s_pod_field "$ST_NS" gpu .status.phase)" Succeeded

	# A CPU-only Job stays off the tainted GPU nodes.
	st_wait cpu Complete
	st_expect "CPU Job ran on the CPU node" "$(st_node cpu)" "$ST_CPU_NODE"

	# A failing step ends Failed with its exit code, reason and message.
	st_wait fail Failed
	st_expect "failing Job's pod phase" "$(k8s_pod_field "$ST_NS" fail .status.phase)" Failed
	st_expect "failing Job's exit code" "$(st_terminated fail exitCode)" 3
	st_expect "failing Job's container reason" "$(st_terminated fail reason)" Error
	st_expect "failing Job's termination message" "$(st_terminated fail message)" '{"error":"diverged"}'
	st_expect "failing Job's container has no running state" "$(k8s_pod_field "$ST_NS" fail '.status.containerStatuses[0].state.running')" ""

	# The GPU product selector picks the node with that product.
	st_wait a100 Complete
	node=$(st_node a100)
	st_expect "A100 Job ran on an A100 node ($node)" "$(k8s_node_label "$node" nvidia.com/gpu.product)" "$ST_A100"
	st_wait h100 Complete
	node=$(st_node h100)
	st_expect "H100 Job ran on an H100 node ($node)" "$(k8s_node_label "$node" nvidia.com/gpu.product)" "$ST_H100"

	# Messages are cut at 4096 bytes, as the kubelet does.
	st_wait long-message Complete
	got=$(st_terminated long-message message)
	st_expect "a 5000-byte message is cut to 4096 bytes" "${#got}" 4096

	# An exit code that is not an integer fails the pod and says why.
	st_wait bad-exit-code Failed
	st_expect "bad exit code ends with exit code 1" "$(st_terminated bad-exit-code exitCode)" 1
	got=$(st_terminated bad-exit-code message)
	st_expect "bad exit code is explained in the message" "${got%%,*}" 'driftwatch.dev/fake-exit-code must be a decimal integer'

	# A pod without our annotations runs through kwok's general stages.
	st_wait plain Complete
	st_expect "plain Job's container reason" "$(st_terminated plain reason)" Completed

	# A GPU pod without the toleration finds no node.
	st_expect "GPU Job without the toleration is unschedulable" \
		"$(k8s_pod_field "$ST_NS" untolerated '.status.conditions[?(@.type=="PodScheduled")].reason')" Unschedulable

	printf '%s passed, %s failed\n' "$ST_PASSED" "${#ST_FAILED[@]}"
	if ((${#ST_FAILED[@]})); then
		k8s_fail "selftest: ${#ST_FAILED[@]} check(s) failed: ${ST_FAILED[*]} (namespace $ST_NS is kept)" "$ST_NS"
	fi
	k8s_kubectl delete namespace "$ST_NS" --wait=false >/dev/null ||
		dw_log "selftest: could not delete namespace $ST_NS"
	dw_log "selftest: all $ST_PASSED checks passed in $((SECONDS - start))s"
}
