#!/usr/bin/env bash
# Apache Kafka for driftwatch's tests: one KRaft node that is both broker and
# controller, on 127.0.0.1, with jars from Maven Central cached by version.
#
#   scripts/kafka.sh install|start|stop|restart|health [--quick]|env
#   scripts/kafka.sh topics ARGS...          TopicCommand against the broker
#   scripts/kafka.sh produce TOPIC           one message per stdin line
#   scripts/kafka.sh consume TOPIC [N] [MS]  first N messages (default 1)
#   scripts/kafka.sh wipe                    stop and delete all broker data
#
# Settings (environment): DRIFTWATCH_KAFKA_VERSION, DRIFTWATCH_KAFKA_PORT,
# DRIFTWATCH_KAFKA_CONTROLLER_PORT, DRIFTWATCH_KAFKA_HEAP,
# DRIFTWATCH_KAFKA_START_TIMEOUT, JAVA_HOME; see scripts/README.md.

DW_SERVICE=kafka
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KAFKA_VERSION=${DRIFTWATCH_KAFKA_VERSION:-4.3.1}
KAFKA_PORT=${DRIFTWATCH_KAFKA_PORT:-39092}
KAFKA_CONTROLLER_PORT=${DRIFTWATCH_KAFKA_CONTROLLER_PORT:-39093}
KAFKA_HEAP=${DRIFTWATCH_KAFKA_HEAP:-512m}
KAFKA_START_TIMEOUT=${DRIFTWATCH_KAFKA_START_TIMEOUT:-120}
KAFKA_BROKERS=$DW_HOST:$KAFKA_PORT

KAFKA_POM=$DW_SCRIPTS_DIR/kafka/pom.xml
# The jar set depends on the pom as well as the version, so both key the cache.
KAFKA_HOME=$(dw_cache_dir)/$KAFKA_VERSION-$(sha256sum "$KAFKA_POM" | cut -c1-10)
KAFKA_STATE=$(dw_state_dir)
KAFKA_DATA=$KAFKA_STATE/data
KAFKA_LOGS=$KAFKA_STATE/logs
KAFKA_PROPS=$KAFKA_STATE/server.properties

DW_EXTRA_COMMANDS="topics produce consume wipe"
DW_EXTRA_USAGE="  health --quick   only check that the broker answers the Kafka protocol
  topics ARGS...   run TopicCommand against the broker
  produce TOPIC    send one message per stdin line
  consume TOPIC [N] [TIMEOUT_MS]   print the first N messages (default 1)
  wipe             stop the broker and delete its data
"

# ---------------------------------------------------------------- java

kafka_java_bin() {
	if [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/java ]]; then
		printf '%s\n' "$JAVA_HOME/bin/java"
	else
		command -v java
	fi
}

# kafka_require_java installs a JRE if none is present and checks it is 17+,
# which Kafka 4 requires.
kafka_require_java() {
	local java major
	if ! java=$(kafka_java_bin); then
		dw_apt_install openjdk-17-jre-headless
		java=$(kafka_java_bin) || dw_die "java not found after installing openjdk-17-jre-headless"
	fi
	major=$("$java" -XshowSettings:properties -version 2>&1 |
		sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p')
	if ! [[ $major =~ ^[0-9]+$ ]] || ((major < 17)); then
		dw_die "Kafka $KAFKA_VERSION needs Java 17+, $java is '${major:-unknown}' (set JAVA_HOME)"
	fi
}

# kafka_tool CLASS ARGS... runs a Kafka command-line tool in a small,
# quick-starting JVM.
kafka_tool() {
	"$(kafka_java_bin)" -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
		-Djava.awt.headless=true \
		-Dlog4j2.configurationFile="$DW_SCRIPTS_DIR/kafka/log4j2-tools.properties" \
		-cp "$KAFKA_HOME/libs/*" "$@"
}

# ---------------------------------------------------------------- install

kafka_installed() {
	[[ -f $KAFKA_HOME/.complete &&
		-f $KAFKA_HOME/libs/kafka_2.13-$KAFKA_VERSION.jar &&
		-f $KAFKA_HOME/libs/kafka-tools-$KAFKA_VERSION.jar ]]
}

svc_install() {
	kafka_installed && return 0
	kafka_require_java
	command -v mvn >/dev/null 2>&1 || dw_apt_install maven

	local root tmp log=$KAFKA_LOGS/install.log start=$SECONDS
	root=$(dw_cache_dir)
	mkdir -p "$KAFKA_LOGS"
	# Leftovers of interrupted installs. Another state directory may share
	# this cache (and not our lock), so only old ones go.
	find "$root" -maxdepth 1 -name '.tmp-*' -mmin +60 -exec rm -rf {} +
	tmp=$(mktemp -d "$root/.tmp-XXXXXX")
	chmod 755 "$tmp"
	cp "$KAFKA_POM" "$tmp/pom.xml"
	dw_log "resolving org.apache.kafka:kafka_2.13:$KAFKA_VERSION and kafka-tools from Maven Central"
	if ! mvn -B -q -f "$tmp/pom.xml" -Dstyle.color=never \
		-Dmaven.repo.local="$DW_CACHE/m2" \
		-Dkafka.version="$KAFKA_VERSION" \
		dependency:copy-dependencies -DincludeScope=runtime \
		-DoutputDirectory="$tmp/libs" >"$log" 2>&1; then
		rm -rf "$tmp"
		dw_fail_with_logs "maven could not resolve Kafka $KAFKA_VERSION" "$log"
	fi
	rm -f "$tmp/pom.xml"
	[[ -f $tmp/libs/kafka_2.13-$KAFKA_VERSION.jar ]] || {
		rm -rf "$tmp"
		dw_die "maven finished but kafka_2.13-$KAFKA_VERSION.jar is missing"
	}
	touch "$tmp/.complete"
	if kafka_installed; then
		# A harness sharing this cache finished first; keep its copy.
		rm -rf "$tmp"
		return 0
	fi
	# Replace any half-built copy, then publish the new one with one rename.
	rm -rf "$KAFKA_HOME"
	mv -T "$tmp" "$KAFKA_HOME"
	dw_log "installed Kafka $KAFKA_VERSION ($(find "$KAFKA_HOME/libs" -name '*.jar' | wc -l) jars) in $((SECONDS - start))s: $KAFKA_HOME"
}

# ---------------------------------------------------------------- config

kafka_write_config() {
	mkdir -p "$KAFKA_DATA" "$KAFKA_LOGS"
	dw_write_atomic "$KAFKA_PROPS" <<EOF
# Written by scripts/kafka.sh on every start; edits are lost.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$DW_HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$DW_HOST:$KAFKA_PORT,CONTROLLER://$DW_HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$DW_HOST:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_DATA

# One node: every replication factor is 1.
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1

# Tests want consumer groups to form at once and topics on first use.
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
delete.topic.enable=true
num.partitions=1

# A 2-core machine shares these with the tests.
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
EOF
}

# kafka_format_storage formats the data directory with a fresh cluster id
# unless it already holds a formatted log (restarts keep their data).
kafka_format_storage() {
	[[ -f $KAFKA_DATA/meta.properties ]] && return 0
	local cluster_id out
	# A Kafka Uuid is 16 random bytes in URL-safe base64 without padding.
	cluster_id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
	# Anything here without meta.properties is debris of an interrupted format.
	rm -rf "$KAFKA_DATA"
	mkdir -p "$KAFKA_DATA"
	dw_log "formatting $KAFKA_DATA (cluster id $cluster_id)"
	if ! out=$(kafka_tool kafka.tools.StorageTool format \
		--cluster-id "$cluster_id" --config "$KAFKA_PROPS" 2>&1); then
		rm -rf "$KAFKA_DATA"
		printf '%s\n' "$out" >&2
		dw_die "formatting Kafka storage failed"
	fi
}

# ---------------------------------------------------------------- probes

# kafka_api_versions_ok sends an ApiVersions (v0) request over plain TCP and
# checks for a well-formed, error-free answer: the broker speaks Kafka and
# has enabled request processing, which KRaft does only once it is unfenced.
kafka_api_versions_ok() {
	local out
	# shellcheck disable=SC2016 # $1 and $2 belong to the inner shell
	out=$(timeout 5 bash -c '
		exec 3<>"/dev/tcp/$1/$2" || exit 1
		# size 12 | api_key 18 | version 0 | correlation 42 | client_id "dw"
		printf "\x00\x00\x00\x0c\x00\x12\x00\x00\x00\x00\x00\x2a\x00\x02dw" >&3
		head -c 10 <&3 | od -An -tx1
	' _ "$DW_HOST" "$KAFKA_PORT" 2>/dev/null) || return 1
	out=${out//[[:space:]]/}
	# Response: size(4) correlation_id(4) error_code(2).
	[[ ${out:8:8} == 0000002a && ${out:16:4} == 0000 ]]
}

# kafka_roundtrip creates a topic, produces a unique message, consumes it
# back through a consumer group and deletes the topic.
kafka_roundtrip() {
	local topic token got rc=0
	token="driftwatch-health-$(date +%s%N)-$RANDOM"
	topic=$token
	kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$KAFKA_BROKERS" \
		--create --topic "$topic" --partitions 1 --replication-factor 1 >/dev/null ||
		{
			dw_log "health: creating topic $topic failed"
			return 1
		}
	printf '%s\n' "$token" | kafka_tool org.apache.kafka.tools.ConsoleProducer \
		--bootstrap-server "$KAFKA_BROKERS" --topic "$topic" >/dev/null || {
		dw_log "health: producing to $topic failed"
		rc=1
	}
	if ((rc == 0)); then
		got=$(kafka_tool org.apache.kafka.tools.consumer.ConsoleConsumer \
			--bootstrap-server "$KAFKA_BROKERS" --topic "$topic" \
			--group driftwatch-health --from-beginning \
			--max-messages 1 --timeout-ms 30000 2>/dev/null) || true
		if [[ $got != "$token" ]]; then
			dw_log "health: consumed '${got}' from $topic, want '$token'"
			rc=1
		fi
	fi
	kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$KAFKA_BROKERS" \
		--delete --topic "$topic" >/dev/null 2>&1 || dw_log "health: could not delete topic $topic"
	return "$rc"
}

# ---------------------------------------------------------------- lifecycle

kafka_pid() {
	dw_pid kafka "$KAFKA_PROPS"
}

svc_start() {
	if dw_running_ready kafka "$KAFKA_PROPS" kafka_api_versions_ok "$KAFKA_START_TIMEOUT" \
		"$KAFKA_LOGS/stdout.log" "$KAFKA_LOGS/server.log"; then
		return 0
	fi
	dw_require_port_free "$KAFKA_PORT" DRIFTWATCH_KAFKA_PORT
	dw_require_port_free "$KAFKA_CONTROLLER_PORT" DRIFTWATCH_KAFKA_CONTROLLER_PORT
	kafka_require_java
	kafka_write_config
	kafka_format_storage
	dw_spawn_ready kafka kafka_api_versions_ok "$KAFKA_START_TIMEOUT" \
		"$KAFKA_LOGS/stdout.log" "$KAFKA_LOGS/server.log" -- \
		"$(kafka_java_bin)" "-Xms256m" "-Xmx$KAFKA_HEAP" \
		-XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
		-XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
		-Dkafka.logs.dir="$KAFKA_LOGS" \
		-Dlog4j2.configurationFile="$DW_SCRIPTS_DIR/kafka/log4j2-broker.properties" \
		-cp "$KAFKA_HOME/libs/*" kafka.Kafka "$KAFKA_PROPS"
	dw_log "Kafka $KAFKA_VERSION on $KAFKA_BROKERS, data in $KAFKA_DATA"
}

svc_stop() {
	# SIGTERM triggers a controlled shutdown, which flushes logs and closes
	# the metadata log cleanly; a single node finishes it in seconds.
	dw_stop_pid kafka "$KAFKA_PROPS" 60
}

svc_health() {
	local pid
	pid=$(kafka_pid) || {
		dw_log "health: not running (no live pid in $(dw_pidfile kafka))"
		return 1
	}
	kafka_api_versions_ok || dw_fail_with_logs "health: pid $pid does not answer ApiVersions on $KAFKA_BROKERS" \
		"$KAFKA_LOGS/server.log"
	if [[ ${1:-} == --quick ]]; then
		dw_log "health: ok (quick) on $KAFKA_BROKERS"
		return 0
	fi
	local start=$SECONDS
	kafka_installed || dw_die "health: Kafka tools are not installed (run install)"
	kafka_roundtrip || dw_fail_with_logs "health: produce/consume round trip failed on $KAFKA_BROKERS" \
		"$KAFKA_LOGS/server.log"
	dw_log "health: ok, round trip through $KAFKA_BROKERS in $((SECONDS - start))s"
}

svc_env() {
	dw_export DRIFTWATCH_KAFKA_BROKERS "$KAFKA_BROKERS"
	dw_export DRIFTWATCH_KAFKA_PORT "$KAFKA_PORT"
	dw_export DRIFTWATCH_KAFKA_CONTROLLER_PORT "$KAFKA_CONTROLLER_PORT"
	dw_export DRIFTWATCH_KAFKA_VERSION "$KAFKA_VERSION"
	dw_export DRIFTWATCH_KAFKA_CTL "$DW_SCRIPTS_DIR/kafka.sh"
}

svc_extra() {
	local cmd=$1
	shift
	case $cmd in
	topics)
		svc_install
		kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$KAFKA_BROKERS" "$@"
		;;
	produce)
		(($# == 1)) || dw_die "usage: kafka.sh produce TOPIC <messages"
		svc_install
		kafka_tool org.apache.kafka.tools.ConsoleProducer --bootstrap-server "$KAFKA_BROKERS" \
			--topic "$1"
		;;
	consume)
		(($# >= 1 && $# <= 3)) || dw_die "usage: kafka.sh consume TOPIC [N] [TIMEOUT_MS]"
		svc_install
		kafka_tool org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server "$KAFKA_BROKERS" \
			--topic "$1" --from-beginning --max-messages "${2:-1}" --timeout-ms "${3:-30000}"
		;;
	wipe)
		dw_lock kafka
		svc_stop
		rm -rf "$KAFKA_DATA"
		dw_log "deleted $KAFKA_DATA"
		;;
	esac
}

dw_main "$@"
