#!/usr/bin/env bash
# A real Kubernetes control plane for driftwatch's tests, on 127.0.0.1: etcd
# (Debian's etcd-server), kube-apiserver, kube-controller-manager and
# kube-scheduler built from k8s.io/kubernetes in scripts/k8s-tools (cached by
# version), and kwok playing the kubelets of the fake nodes in
# scripts/kwok/nodes.yaml: two GPU nodes and one CPU node. Pods run through
# the kwok Stages in scripts/kwok/stages/, among them driftwatch's own, which
# end a pod with the exit code and termination message its annotations ask
# for (scripts/README.md).
#
#   scripts/kubernetes.sh install|start|stop|restart|health [--quick]|env
#   scripts/kubernetes.sh kubectl ARGS...   kubectl against the harness cluster
#   scripts/kubernetes.sh selftest          schedule GPU, CPU and failing Jobs
#                                           and check where and how they end
#   scripts/kubernetes.sh wipe              stop, then delete the cluster's
#                                           data and credentials
#
# Settings (environment): DRIFTWATCH_KUBERNETES_PORT,
# DRIFTWATCH_KUBERNETES_ETCD_PORT, DRIFTWATCH_KUBERNETES_ETCD_PEER_PORT,
# DRIFTWATCH_KUBERNETES_CONTROLLER_MANAGER_PORT,
# DRIFTWATCH_KUBERNETES_SCHEDULER_PORT, DRIFTWATCH_KUBERNETES_KWOK_PORT,
# DRIFTWATCH_KUBERNETES_START_TIMEOUT, DRIFTWATCH_KUBERNETES_HEALTH_TIMEOUT,
# DRIFTWATCH_KWOK_VERSION, DRIFTWATCH_ETCD_BIN; see scripts/README.md.

DW_SERVICE=kubernetes
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

K8S_TOOLS=$DW_SCRIPTS_DIR/k8s-tools
K8S_KWOK_DIR=$DW_SCRIPTS_DIR/kwok
# The tools module pins the release; moving it means editing that go.mod.
K8S_VERSION=$(sed -n 's/^require k8s\.io\/kubernetes \(v[0-9][^ ]*\)$/\1/p' "$K8S_TOOLS/go.mod")
[[ $K8S_VERSION =~ ^v([0-9]+)\.([0-9]+)\.[0-9]+$ ]] ||
	dw_die "cannot read 'require k8s.io/kubernetes vX.Y.Z' from $K8S_TOOLS/go.mod"
K8S_MAJOR=${BASH_REMATCH[1]}
K8S_MINOR=${BASH_REMATCH[2]}
KWOK_VERSION=${DRIFTWATCH_KWOK_VERSION:-v0.8.0}

K8S_PORT=${DRIFTWATCH_KUBERNETES_PORT:-39243}
K8S_ETCD_PORT=${DRIFTWATCH_KUBERNETES_ETCD_PORT:-39279}
K8S_ETCD_PEER_PORT=${DRIFTWATCH_KUBERNETES_ETCD_PEER_PORT:-39280}
K8S_KCM_PORT=${DRIFTWATCH_KUBERNETES_CONTROLLER_MANAGER_PORT:-39257}
K8S_SCHED_PORT=${DRIFTWATCH_KUBERNETES_SCHEDULER_PORT:-39259}
K8S_KWOK_PORT=${DRIFTWATCH_KUBERNETES_KWOK_PORT:-39247}
K8S_START_TIMEOUT=${DRIFTWATCH_KUBERNETES_START_TIMEOUT:-120}
K8S_HEALTH_TIMEOUT=${DRIFTWATCH_KUBERNETES_HEALTH_TIMEOUT:-120}
K8S_URL=https://$DW_HOST:$K8S_PORT
ETCD_BIN=${DRIFTWATCH_ETCD_BIN:-/usr/bin/etcd}

# Binaries: the control plane under VERSION/, kwok under kwok-VERSION/.
K8S_CACHE=$(dw_cache_dir)
K8S_BIN=$K8S_CACHE/$K8S_VERSION
KWOK_BIN=$K8S_CACHE/kwok-$KWOK_VERSION/kwok
KUBECTL=$K8S_BIN/kubectl
K8S_COMMANDS=(kube-apiserver kube-controller-manager kube-scheduler kubectl)

K8S_STATE=$(dw_state_dir)
K8S_LOGS=$K8S_STATE/logs
K8S_PKI=$K8S_STATE/pki
K8S_TOKENS=$K8S_STATE/tokens.csv
K8S_KUBECONFIG=$K8S_STATE/kubeconfig
K8S_ETCD_DATA=$K8S_STATE/etcd
K8S_KCM_KUBECONFIG=$K8S_STATE/controller-manager.kubeconfig
K8S_SCHED_KUBECONFIG=$K8S_STATE/scheduler.kubeconfig
K8S_KWOK_KUBECONFIG=$K8S_STATE/kwok.kubeconfig
K8S_STAGES=$K8S_STATE/kwok-stages.yaml
# Health checks run their Jobs here; the namespace stays between runs.
K8S_HEALTH_NS=driftwatch-harness
# Service ClusterIPs, and kwok's fake pod IPs in a range of their own. No
# traffic goes to either: no pod runs.
K8S_SERVICE_CIDR=10.0.0.0/24
K8S_POD_CIDR=10.244.0.0/16

DW_EXTRA_COMMANDS="kubectl selftest wipe"
DW_EXTRA_USAGE="  health --quick   only check the processes and the apiserver's /readyz
  kubectl ARGS...  run kubectl $K8S_VERSION against the harness cluster
  selftest         schedule GPU, CPU and failing Jobs and check where and how they end
  wipe             stop the cluster and delete its data and credentials
"

k8s_kubectl() {
	"$KUBECTL" --kubeconfig="$K8S_KUBECONFIG" "$@"
}

# ---------------------------------------------------------------- install

k8s_built() {
	local c
	[[ -f $K8S_BIN/.complete ]] || return 1
	for c in "${K8S_COMMANDS[@]}"; do [[ -x $K8S_BIN/$c ]] || return 1; done
}

# k8s_cache_lock NAME takes a lock in the cache, which harnesses with other
# state directories share, so that only one of them builds NAME. The lock is
# released by k8s_cache_unlock.
k8s_cache_lock() {
	exec {K8S_CACHE_LOCK_FD}>"$K8S_CACHE/.$1.lock"
	flock -w "${DRIFTWATCH_LOCK_TIMEOUT:-1800}" "$K8S_CACHE_LOCK_FD" ||
		dw_die "timed out waiting for the build lock $K8S_CACHE/.$1.lock"
}

k8s_cache_unlock() {
	exec {K8S_CACHE_LOCK_FD}>&-
}

# k8s_build builds the control plane and kubectl from scripts/k8s-tools with
# the version stamped in, into a temporary directory that is renamed into
# place once complete.
k8s_build() {
	k8s_built && return 0
	command -v go >/dev/null 2>&1 || dw_die "go is needed to build Kubernetes $K8S_VERSION (scripts/k8s-tools)"
	mkdir -p "$K8S_LOGS"
	k8s_cache_lock "build-$K8S_VERSION"
	if k8s_built; then
		k8s_cache_unlock
		return 0
	fi
	local tmp log=$K8S_LOGS/build.log start=$SECONDS c pkgs=() ldflags
	# Under the lock, any temporary directory is debris of an interrupted build.
	find "$K8S_CACHE" -maxdepth 1 -name ".tmp-$K8S_VERSION-*" -exec rm -rf {} +
	tmp=$(mktemp -d "$K8S_CACHE/.tmp-$K8S_VERSION-XXXXXX")
	chmod 755 "$tmp"
	for c in "${K8S_COMMANDS[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
	ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION"
	ldflags+=" -X k8s.io/component-base/version.gitMajor=$K8S_MAJOR"
	ldflags+=" -X k8s.io/component-base/version.gitMinor=$K8S_MINOR"
	ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"
	dw_log "building ${K8S_COMMANDS[*]} $K8S_VERSION (the first build takes about 8 minutes on 2 cores); log $log"
	if ! (cd "$K8S_TOOLS" && GOWORK=off go build -mod=readonly -ldflags "$ldflags" -o "$tmp/" "${pkgs[@]}") >"$log" 2>&1; then
		rm -rf "$tmp"
		dw_fail_with_logs "building Kubernetes $K8S_VERSION failed" "$log"
	fi
	if [[ $("$tmp/kube-apiserver" --version 2>&1) != "Kubernetes $K8S_VERSION" ]]; then
		rm -rf "$tmp"
		dw_die "the built kube-apiserver does not report Kubernetes $K8S_VERSION"
	fi
	touch "$tmp/.complete"
	rm -rf "$K8S_BIN"
	mv -T "$tmp" "$K8S_BIN"
	k8s_cache_unlock
	dw_log "built Kubernetes $K8S_VERSION in $((SECONDS - start))s: $K8S_BIN"
}

k8s_install_kwok() {
	[[ -x $KWOK_BIN ]] && return 0
	command -v go >/dev/null 2>&1 || dw_die "go is needed to install kwok $KWOK_VERSION"
	mkdir -p "$K8S_LOGS"
	k8s_cache_lock "kwok-$KWOK_VERSION"
	if [[ -x $KWOK_BIN ]]; then
		k8s_cache_unlock
		return 0
	fi
	local tmp log=$K8S_LOGS/kwok-install.log start=$SECONDS
	find "$K8S_CACHE" -maxdepth 1 -name ".tmp-kwok-$KWOK_VERSION-*" -exec rm -rf {} +
	tmp=$(mktemp -d "$K8S_CACHE/.tmp-kwok-$KWOK_VERSION-XXXXXX")
	chmod 755 "$tmp"
	dw_log "installing kwok $KWOK_VERSION with go install (about 2 minutes the first time); log $log"
	if ! (cd "$tmp" && GOWORK=off GOBIN="$tmp" go install "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION") >"$log" 2>&1; then
		rm -rf "$tmp"
		dw_fail_with_logs "go install sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION failed" "$log"
	fi
	rm -rf "$(dirname "$KWOK_BIN")"
	mv -T "$tmp" "$(dirname "$KWOK_BIN")"
	k8s_cache_unlock
	dw_log "installed kwok $KWOK_VERSION in $((SECONDS - start))s: $KWOK_BIN"
}

k8s_install_etcd() {
	[[ -x $ETCD_BIN ]] && return 0
	[[ $ETCD_BIN == /usr/bin/etcd ]] || dw_die "DRIFTWATCH_ETCD_BIN points at a missing file: $ETCD_BIN"
	dw_apt_install etcd-server
	# Without systemd the package's init script may still start a daemon on
	# :2379; the harness runs its own etcd instead.
	dw_quiesce_package_daemon etcd
	[[ -x $ETCD_BIN ]] || dw_die "package etcd-server installed but $ETCD_BIN is missing"
	dw_log "installed $("$ETCD_BIN" --version 2>&1 | head -n 1)"
}

svc_install() {
	k8s_install_etcd
	command -v openssl >/dev/null 2>&1 || dw_apt_install openssl
	k8s_build
	k8s_install_kwok
}

# ---------------------------------------------------------------- credentials

# k8s_token USER prints USER's bearer token from tokens.csv.
k8s_token() {
	awk -F, -v user="$1" '$2 == user { print $1; exit }' "$K8S_TOKENS"
}

# k8s_write_credentials makes, once per state directory, a CA and the
# apiserver's serving certificate, the service-account signing key pair and a
# token per client; `wipe` deletes them. The kubeconfigs are rewritten on
# every start, since the port may have moved.
k8s_write_credentials() {
	local log=$K8S_LOGS/openssl.log
	mkdir -p "$K8S_PKI" "$K8S_LOGS"
	chmod 700 "$K8S_PKI"
	if [[ ! -s $K8S_PKI/apiserver.crt || ! -s $K8S_PKI/sa.pub ]]; then
		dw_log "creating a CA, the apiserver certificate and service-account keys in $K8S_PKI"
		# set -e does not apply inside a command tested with ||, hence &&.
		(
			cd "$K8S_PKI" &&
				rm -f apiserver.crt sa.pub &&
				openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=driftwatch-harness-ca" \
					-keyout ca.key -out ca.crt &&
				openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" \
					-keyout apiserver.key -out apiserver.csr &&
				openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
					-out apiserver.crt -extfile <(printf '%s\n' \
						"subjectAltName=IP:$DW_HOST,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,IP:10.0.0.1" \
						"keyUsage=critical,digitalSignature,keyEncipherment" \
						"extendedKeyUsage=serverAuth") &&
				openssl genrsa -out sa.key 2048 &&
				openssl rsa -in sa.key -pubout -out sa.pub &&
				rm -f apiserver.csr
		) >"$log" 2>&1 || dw_fail_with_logs "openssl could not create the cluster's keys" "$log"
	fi
	if [[ ! -s $K8S_TOKENS ]]; then
		# token,user,uid,"groups". The controller-manager runs every
		# controller under its own identity (no per-controller service
		# accounts), so it needs system:masters like the admin and kwok;
		# the scheduler's user has its bootstrap RBAC role.
		{
			printf '%s,driftwatch-admin,driftwatch-admin,"system:masters"\n' "$(openssl rand -hex 24)"
			printf '%s,system:kube-controller-manager,system:kube-controller-manager,"system:masters"\n' "$(openssl rand -hex 24)"
			printf '%s,system:kube-scheduler,system:kube-scheduler\n' "$(openssl rand -hex 24)"
			printf '%s,kwok,kwok,"system:masters"\n' "$(openssl rand -hex 24)"
		} | dw_write_atomic "$K8S_TOKENS"
	fi
	k8s_write_kubeconfig "$K8S_KUBECONFIG" driftwatch-admin
	k8s_write_kubeconfig "$K8S_KCM_KUBECONFIG" system:kube-controller-manager
	k8s_write_kubeconfig "$K8S_SCHED_KUBECONFIG" system:kube-scheduler
	k8s_write_kubeconfig "$K8S_KWOK_KUBECONFIG" kwok
}

# k8s_write_kubeconfig FILE USER writes a self-contained kubeconfig (the CA
# embedded) that authenticates as USER.
k8s_write_kubeconfig() {
	local file=$1 user=$2 token ca
	token=$(k8s_token "$user")
	[[ -n $token ]] || dw_die "no token for $user in $K8S_TOKENS (run: scripts/kubernetes.sh wipe)"
	ca=$(base64 -w0 "$K8S_PKI/ca.crt")
	dw_write_atomic "$file" <<EOF
# Written by scripts/kubernetes.sh on every start; edits are lost.
apiVersion: v1
kind: Config
clusters:
- name: driftwatch-harness
  cluster:
    server: $K8S_URL
    certificate-authority-data: $ca
users:
- name: $user
  user:
    token: $token
contexts:
- name: driftwatch-harness
  context:
    cluster: driftwatch-harness
    user: $user
current-context: driftwatch-harness
EOF
}

# ---------------------------------------------------------------- probes

etcd_ready() {
	curl -fsS --max-time 3 "http://$DW_HOST:$K8S_ETCD_PORT/health" | grep -q '"health":"true"'
}

# k8s_api PATH GETs PATH from the apiserver as the admin. The token goes in
# through a file descriptor, not the command line.
k8s_api() {
	curl -fsS --max-time 5 --cacert "$K8S_PKI/ca.crt" \
		-H @<(printf 'Authorization: Bearer %s\n' "$(k8s_token driftwatch-admin)") "$K8S_URL$1"
}

apiserver_ready() {
	[[ $(k8s_api /readyz) == ok ]]
}

# The controller-manager and the scheduler serve /healthz over TLS with a
# self-signed certificate, to anyone.
kcm_ready() {
	[[ $(curl -fsSk --max-time 3 "https://$DW_HOST:$K8S_KCM_PORT/healthz") == ok ]]
}

scheduler_ready() {
	[[ $(curl -fsSk --max-time 3 "https://$DW_HOST:$K8S_SCHED_PORT/healthz") == ok ]]
}

kwok_ready() {
	dw_http_ok "http://$DW_HOST:$K8S_KWOK_PORT/healthz"
}

# nodes_ready succeeds once every harness node is Ready and the node
# lifecycle controller has lifted its not-ready taint, so pods can land.
nodes_ready() {
	local out
	out=$(k8s_kubectl get nodes -l driftwatch.dev/harness=true -o \
		jsonpath='{range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status}{range .spec.taints[*]} {.key}{end}{"\n"}{end}') || return 1
	[[ $(grep -c '=True' <<<"$out") -eq $(grep -c '^kind: Node$' "$K8S_KWOK_DIR/nodes.yaml") ]] &&
		! grep -q 'node.kubernetes.io/' <<<"$out"
}

# ---------------------------------------------------------------- lifecycle

# The processes, in start order, each with the file that its command line
# names (the pid-reuse guard of dw_pid) and its log.
K8S_PROCS=(k8s-etcd k8s-apiserver k8s-controller-manager k8s-scheduler k8s-kwok)

k8s_marker() {
	case $1 in
	k8s-etcd) printf '%s\n' "$K8S_ETCD_DATA" ;;
	k8s-apiserver) printf '%s\n' "$K8S_TOKENS" ;;
	k8s-controller-manager) printf '%s\n' "$K8S_KCM_KUBECONFIG" ;;
	k8s-scheduler) printf '%s\n' "$K8S_SCHED_KUBECONFIG" ;;
	k8s-kwok) printf '%s\n' "$K8S_STAGES" ;;
	esac
}

k8s_log() {
	printf '%s/%s.log\n' "$K8S_LOGS" "${1#k8s-}"
}

# k8s_all_logs prints every process's log path, for failure reports.
k8s_all_logs() {
	local p
	for p in "${K8S_PROCS[@]}"; do k8s_log "$p"; done
}

# k8s_start_proc NAME READY_FN PORT=VAR... -- CMD... starts one process unless
# ours is already running and ready. Each PORT must be free; VAR names the
# variable that moves it.
k8s_start_proc() {
	local name=$1 ready=$2 ports=() p
	shift 2
	while (($#)) && [[ $1 != -- ]]; do
		ports+=("$1")
		shift
	done
	shift
	if dw_running_ready "$name" "$(k8s_marker "$name")" "$ready" "$K8S_START_TIMEOUT" "$(k8s_log "$name")"; then
		return 0
	fi
	for p in "${ports[@]}"; do dw_require_port_free "${p%%=*}" "${p#*=}"; done
	dw_spawn_ready "$name" "$ready" "$K8S_START_TIMEOUT" "$(k8s_log "$name")" -- "$@"
}

k8s_start_etcd() {
	mkdir -p "$K8S_ETCD_DATA"
	chmod 700 "$K8S_ETCD_DATA"
	k8s_start_proc k8s-etcd etcd_ready \
		"$K8S_ETCD_PORT=DRIFTWATCH_KUBERNETES_ETCD_PORT" \
		"$K8S_ETCD_PEER_PORT=DRIFTWATCH_KUBERNETES_ETCD_PEER_PORT" -- \
		"$ETCD_BIN" \
		--name=driftwatch-harness \
		--data-dir="$K8S_ETCD_DATA" \
		--listen-client-urls="http://$DW_HOST:$K8S_ETCD_PORT" \
		--advertise-client-urls="http://$DW_HOST:$K8S_ETCD_PORT" \
		--listen-peer-urls="http://$DW_HOST:$K8S_ETCD_PEER_PORT" \
		--initial-advertise-peer-urls="http://$DW_HOST:$K8S_ETCD_PEER_PORT" \
		--initial-cluster="driftwatch-harness=http://$DW_HOST:$K8S_ETCD_PEER_PORT" \
		--quota-backend-bytes=2147483648 \
		--log-level=warn
}

k8s_start_apiserver() {
	# --endpoint-reconciler-type=none: the kubernetes Service would get
	# 127.0.0.1 as its endpoint, which EndpointSlice validation rejects.
	# --client-ca-file and --requestheader-*: without them the apiserver
	# publishes no CA bundles in kube-system/extension-apiserver-authentication,
	# and the controller-manager and scheduler log their absence forever. No
	# front-proxy-client certificate is ever issued.
	# WatchList=false: with it on, the apiserver turns every watch from
	# resourceVersion 0 (kwok's kind) into a watch-list stream, which it then
	# refuses because etcd 3.4.23 lacks RequestWatchProgress; kwok's
	# informers stall in retries, and pods start tens of seconds late.
	k8s_start_proc k8s-apiserver apiserver_ready "$K8S_PORT=DRIFTWATCH_KUBERNETES_PORT" -- \
		"$K8S_BIN/kube-apiserver" \
		--etcd-servers="http://$DW_HOST:$K8S_ETCD_PORT" \
		--bind-address="$DW_HOST" \
		--advertise-address="$DW_HOST" \
		--secure-port="$K8S_PORT" \
		--tls-cert-file="$K8S_PKI/apiserver.crt" \
		--tls-private-key-file="$K8S_PKI/apiserver.key" \
		--cert-dir="$K8S_PKI" \
		--token-auth-file="$K8S_TOKENS" \
		--client-ca-file="$K8S_PKI/ca.crt" \
		--requestheader-client-ca-file="$K8S_PKI/ca.crt" \
		--requestheader-allowed-names=front-proxy-client \
		--requestheader-username-headers=X-Remote-User \
		--requestheader-group-headers=X-Remote-Group \
		--requestheader-extra-headers-prefix=X-Remote-Extra- \
		--authorization-mode=RBAC \
		--service-account-issuer=https://kubernetes.default.svc \
		--service-account-key-file="$K8S_PKI/sa.pub" \
		--service-account-signing-key-file="$K8S_PKI/sa.key" \
		--service-cluster-ip-range="$K8S_SERVICE_CIDR" \
		--endpoint-reconciler-type=none \
		--feature-gates=WatchList=false \
		--profiling=false
}

k8s_start_controller_manager() {
	# Every controller of the release (Job, garbage collector, namespace,
	# service account, node lifecycle, ...); node lifecycle lifts the
	# not-ready taint from new nodes once kwok reports them Ready.
	k8s_start_proc k8s-controller-manager kcm_ready "$K8S_KCM_PORT=DRIFTWATCH_KUBERNETES_CONTROLLER_MANAGER_PORT" -- \
		"$K8S_BIN/kube-controller-manager" \
		--kubeconfig="$K8S_KCM_KUBECONFIG" \
		--authentication-kubeconfig="$K8S_KCM_KUBECONFIG" \
		--authorization-kubeconfig="$K8S_KCM_KUBECONFIG" \
		--bind-address="$DW_HOST" \
		--secure-port="$K8S_KCM_PORT" \
		--cert-dir="$K8S_STATE/controller-manager" \
		--leader-elect=false \
		--controllers='*' \
		--cluster-name=driftwatch-harness \
		--service-account-private-key-file="$K8S_PKI/sa.key" \
		--root-ca-file="$K8S_PKI/ca.crt" \
		--profiling=false
}

k8s_start_scheduler() {
	k8s_start_proc k8s-scheduler scheduler_ready "$K8S_SCHED_PORT=DRIFTWATCH_KUBERNETES_SCHEDULER_PORT" -- \
		"$K8S_BIN/kube-scheduler" \
		--kubeconfig="$K8S_SCHED_KUBECONFIG" \
		--authentication-kubeconfig="$K8S_SCHED_KUBECONFIG" \
		--authorization-kubeconfig="$K8S_SCHED_KUBECONFIG" \
		--bind-address="$DW_HOST" \
		--secure-port="$K8S_SCHED_PORT" \
		--leader-elect=false \
		--profiling=false
}

# k8s_write_stages joins every Stage under scripts/kwok/stages/ into the one
# file kwok reads.
k8s_write_stages() {
	local f files
	mapfile -t files < <(find "$K8S_KWOK_DIR/stages" -name '*.yaml' | sort)
	((${#files[@]})) || dw_die "no kwok stages under $K8S_KWOK_DIR/stages"
	{
		printf '# Written by scripts/kubernetes.sh on every start from scripts/kwok/stages/; edits are lost.\n'
		for f in "${files[@]}"; do
			printf -- '---\n# %s\n' "${f#"$DW_SCRIPTS_DIR"/}"
			cat "$f"
		done
	} | dw_write_atomic "$K8S_STAGES"
}

k8s_start_kwok() {
	# kwok renews each node's Lease, so the node lifecycle controller sees
	# the nodes alive between the status heartbeats of the stages.
	k8s_start_proc k8s-kwok kwok_ready "$K8S_KWOK_PORT=DRIFTWATCH_KUBERNETES_KWOK_PORT" -- \
		"$KWOK_BIN" \
		--kubeconfig="$K8S_KWOK_KUBECONFIG" \
		--config="$K8S_STAGES" \
		--manage-all-nodes=false \
		--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
		--server-address="$DW_HOST:$K8S_KWOK_PORT" \
		--cidr="$K8S_POD_CIDR" \
		--node-lease-duration-seconds=40
}

# k8s_apply_cluster applies the nodes and the health namespace, then waits
# until pods can be scheduled onto every node.
k8s_apply_cluster() {
	local out
	out=$(k8s_kubectl apply --server-side --force-conflicts --field-manager=driftwatch-harness \
		-f "$K8S_KWOK_DIR/nodes.yaml" 2>&1) ||
		dw_fail_with_logs "applying scripts/kwok/nodes.yaml failed: $out" "$(k8s_log k8s-apiserver)"
	out=$(k8s_kubectl create namespace "$K8S_HEALTH_NS" --dry-run=client -o yaml |
		k8s_kubectl apply --server-side --field-manager=driftwatch-harness -f - 2>&1) ||
		dw_fail_with_logs "creating namespace $K8S_HEALTH_NS failed: $out" "$(k8s_log k8s-apiserver)"
	dw_wait_until "$K8S_START_TIMEOUT" "" "the nodes to get Ready and untainted" nodes_ready ||
		k8s_fail "the nodes did not get Ready"
}

# k8s_fail MESSAGE [NAMESPACE] shows the nodes (and the Jobs, pods and events
# of NAMESPACE), then the tails of the logs, and exits 1.
k8s_fail() {
	local msg=$1 ns=${2:-} log logs=()
	if [[ -x $KUBECTL && -f $K8S_KUBECONFIG ]] && apiserver_ready 2>/dev/null; then
		{
			printf -- '----- nodes -----\n'
			k8s_kubectl get nodes -o wide --show-labels 2>&1 || true
			if [[ -n $ns ]]; then
				printf -- '----- jobs, pods and events in %s -----\n' "$ns"
				k8s_kubectl get -n "$ns" jobs,pods -o wide 2>&1 || true
				k8s_kubectl get -n "$ns" events --sort-by=.lastTimestamp 2>&1 | tail -n 30 || true
			fi
		} >&2
	fi
	while IFS= read -r log; do logs+=("$log"); done < <(k8s_all_logs)
	dw_fail_with_logs "$msg" "${logs[@]}"
}

svc_start() {
	local start=$SECONDS
	mkdir -p "$K8S_LOGS"
	k8s_write_credentials
	k8s_write_stages
	k8s_start_etcd
	k8s_start_apiserver
	k8s_start_controller_manager
	k8s_start_scheduler
	k8s_start_kwok
	k8s_apply_cluster
	dw_log "Kubernetes $K8S_VERSION on $K8S_URL with $(k8s_kubectl get nodes --no-headers | wc -l) kwok nodes, ready in $((SECONDS - start))s; kubeconfig $K8S_KUBECONFIG"
}

svc_stop() {
	local i
	for ((i = ${#K8S_PROCS[@]} - 1; i >= 0; i--)); do
		dw_stop_pid "${K8S_PROCS[i]}" "$(k8s_marker "${K8S_PROCS[i]}")" 30
	done
}

# ---------------------------------------------------------------- health

# k8s_require_running fails unless every process of ours is alive.
k8s_require_running() {
	local p
	for p in "${K8S_PROCS[@]}"; do
		dw_pid "$p" "$(k8s_marker "$p")" >/dev/null || {
			dw_log "health: $p is not running (no live pid in $(dw_pidfile "$p"))"
			return 1
		}
	done
}

# k8s_job_yaml NAME EXIT_CODE MESSAGE DURATION [gpu|cpu|gpu-untolerated]
# [PRODUCT] prints a one-pod Job that kwok ends with EXIT_CODE and MESSAGE
# after DURATION. Its pod skips kwok's start-up jitter.
k8s_job_yaml() {
	local name=$1 code=$2 message=$3 duration=$4 kind=${5:-gpu} product=${6:-}
	cat <<EOF
apiVersion: batch/v1
kind: Job
metadata:
  name: $name
  labels:
    driftwatch.dev/harness-check: "true"
spec:
  backoffLimit: 0
  template:
    metadata:
      annotations:
        driftwatch.dev/fake-exit-code: "$code"
        driftwatch.dev/fake-termination-message: '$message'
        driftwatch.dev/fake-duration: "$duration"
        pod-create.stage.kwok.x-k8s.io/jitter-delay: "0s"
        pod-ready.stage.kwok.x-k8s.io/jitter-delay: "0s"
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
EOF
	if [[ -n $product ]]; then
		printf '      nodeSelector:\n        nvidia.com/gpu.product: %s\n' "$product"
	fi
	if [[ $kind == gpu ]]; then
		printf '      tolerations:\n      - key: nvidia.com/gpu\n        operator: Exists\n        effect: NoSchedule\n'
	fi
	cat <<EOF
      containers:
      - name: step
        image: registry.invalid/driftwatch-harness:never-pulled
        terminationMessagePolicy: FallbackToLogsOnError
        resources:
EOF
	if [[ $kind == cpu ]]; then
		printf '          requests:\n            cpu: 500m\n            memory: 256Mi\n'
	else
		printf '          limits:\n            nvidia.com/gpu: 1\n'
	fi
}

# k8s_pod_field NS JOB JSONPATH prints JSONPATH of the Job's (first) pod.
k8s_pod_field() {
	k8s_kubectl get pods -n "$1" -l "batch.kubernetes.io/job-name=$2" -o "jsonpath={.items[0]$3}"
}

# k8s_node_label NODE LABEL prints a node's label value.
k8s_node_label() {
	k8s_kubectl get node "$1" -o "jsonpath={.metadata.labels.${2//./\\.}}"
}

# svc_health checks the processes and /readyz; unless --quick, it also runs
# two Jobs at once: a GPU step that succeeds and a CPU step that fails, and
# checks where each ran and the exit code and termination message it left.
svc_health() {
	k8s_require_running || return 1
	apiserver_ready || k8s_fail "health: $K8S_URL/readyz is not ok"
	if [[ ${1:-} == --quick ]]; then
		dw_log "health: ok (quick) at $K8S_URL"
		return 0
	fi
	local start=$SECONDS id gpu cpu node
	kcm_ready || k8s_fail "health: the controller-manager's /healthz is not ok"
	scheduler_ready || k8s_fail "health: the scheduler's /healthz is not ok"
	kwok_ready || k8s_fail "health: kwok's /healthz is not ok"
	id=$(date +%s)-$RANDOM
	gpu=health-gpu-$id
	cpu=health-cpu-$id
	{
		k8s_job_yaml "$gpu" 0 "{\"health\":\"$gpu\"}" 100ms gpu
		printf -- '---\n'
		k8s_job_yaml "$cpu" 7 "{\"health\":\"$cpu\"}" 100ms cpu
	} | k8s_kubectl apply -n "$K8S_HEALTH_NS" -f - >/dev/null ||
		k8s_fail "health: could not create the Jobs $gpu and $cpu in $K8S_HEALTH_NS" "$K8S_HEALTH_NS"
	k8s_health_job "$gpu" Complete 0 gpu
	k8s_health_job "$cpu" Failed 7 cpu
	k8s_kubectl delete -n "$K8S_HEALTH_NS" "job/$gpu" "job/$cpu" --cascade=foreground --wait=false >/dev/null ||
		dw_log "health: could not delete the Jobs $gpu and $cpu in $K8S_HEALTH_NS"
	dw_log "health: ok at $K8S_URL in $((SECONDS - start))s: a GPU Job completed on a GPU node and a CPU Job failed on the CPU node, each with its exit code and termination message"
}

# k8s_health_job JOB CONDITION EXIT_CODE gpu|cpu waits for the Job's
# CONDITION, then checks its pod's node and terminated state.
k8s_health_job() {
	local job=$1 condition=$2 code=$3 kind=$4 node got want
	k8s_kubectl wait -n "$K8S_HEALTH_NS" --for="condition=$condition" "job/$job" --timeout="${K8S_HEALTH_TIMEOUT}s" >/dev/null ||
		k8s_fail "health: Job $K8S_HEALTH_NS/$job is not $condition after ${K8S_HEALTH_TIMEOUT}s" "$K8S_HEALTH_NS"
	node=$(k8s_pod_field "$K8S_HEALTH_NS" "$job" .spec.nodeName)
	got=$(k8s_node_label "$node" nvidia.com/gpu.present)
	if [[ $kind == gpu && $got != true ]] || [[ $kind == cpu && -n $got ]]; then
		k8s_fail "health: the $kind Job $job ran on '$node' (nvidia.com/gpu.present='$got')" "$K8S_HEALTH_NS"
	fi
	got=$(k8s_pod_field "$K8S_HEALTH_NS" "$job" '.status.containerStatuses[0].state.terminated.exitCode')/$(
		k8s_pod_field "$K8S_HEALTH_NS" "$job" '.status.containerStatuses[0].state.terminated.message')
	want="$code/{\"health\":\"$job\"}"
	[[ $got == "$want" ]] ||
		k8s_fail "health: the pod of Job $job ended with exit code/message '$got', want '$want'" "$K8S_HEALTH_NS"
}

svc_env() {
	dw_export DRIFTWATCH_KUBECONFIG "$K8S_KUBECONFIG"
	dw_export DRIFTWATCH_KUBERNETES_URL "$K8S_URL"
	dw_export DRIFTWATCH_KUBERNETES_PORT "$K8S_PORT"
	dw_export DRIFTWATCH_KUBERNETES_VERSION "$K8S_VERSION"
	dw_export DRIFTWATCH_KUBECTL "$KUBECTL"
	dw_export DRIFTWATCH_KUBERNETES_BIN_DIR "$K8S_BIN"
	dw_export DRIFTWATCH_KUBERNETES_CTL "$DW_SCRIPTS_DIR/kubernetes.sh"
}

# ---------------------------------------------------------------- commands

# shellcheck source=kubernetes-selftest.sh
source "$DW_SCRIPTS_DIR/kubernetes-selftest.sh"

svc_extra() {
	local cmd=$1
	shift
	case $cmd in
	kubectl)
		[[ -x $KUBECTL ]] || dw_die "kubectl is not built yet; run: scripts/kubernetes.sh install"
		[[ -f $K8S_KUBECONFIG ]] || dw_die "no kubeconfig at $K8S_KUBECONFIG; run: scripts/kubernetes.sh start"
		exec "$KUBECTL" --kubeconfig="$K8S_KUBECONFIG" "$@"
		;;
	selftest) k8s_selftest "$@" ;;
	wipe)
		dw_lock kubernetes
		svc_stop
		rm -rf "$K8S_ETCD_DATA" "$K8S_PKI" "$K8S_TOKENS" "$K8S_STATE"/*.kubeconfig "$K8S_KUBECONFIG" \
			"$K8S_STATE/controller-manager"
		dw_log "deleted the cluster's data and credentials in $K8S_STATE"
		;;
	esac
}

dw_main "$@"
