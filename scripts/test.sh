#!/usr/bin/env bash
# Runs `go test` against real services: brings them up, exports their env,
# runs the tests, and always brings the services down again.
#
#   scripts/test.sh [SERVICE...] [-- GO_TEST_ARGS...]     (default: ./...)
#
# The exit status is go test's; if the tests pass but the services cannot be
# stopped, it is 1. DRIFTWATCH_KEEP_SERVICES=1 leaves them running afterwards.
# GO overrides the go command.

DW_SERVICE="test"
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

services=()
while (($#)) && [[ $1 != -- ]]; do
	services+=("$1")
	shift
done
[[ ${1:-} == -- ]] && shift
go_args=("$@")
((${#go_args[@]})) || go_args=(./...)

teardown() {
	local rc=$?
	if [[ ${DRIFTWATCH_KEEP_SERVICES:-} == 1 ]]; then
		dw_log "leaving services running (DRIFTWATCH_KEEP_SERVICES=1)"
	elif ! "$DW_SCRIPTS_DIR/services.sh" down; then
		dw_log "ERROR: could not stop the services"
		((rc != 0)) || rc=1
	fi
	exit "$rc"
}
trap teardown EXIT

if ((${#services[@]})); then
	"$DW_SCRIPTS_DIR/services.sh" up "${services[@]}"
	set -a
	# shellcheck source=/dev/null
	source "$DW_STATE/env.sh"
	set +a
fi
# Tests read this to tell "service not started" (a failure) from "not asked for".
export DRIFTWATCH_SERVICES="${services[*]}"

dw_log "${GO:-go} test ${go_args[*]}"
"${GO:-go}" test "${go_args[@]}"
