#!/usr/bin/env bash
# Lints the service harness with shellcheck, installing it with apt-get when
# it is missing.
#
#   scripts/lint.sh

DW_SERVICE=lint
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

command -v shellcheck >/dev/null 2>&1 || dw_apt_install shellcheck
cd "$DW_SCRIPTS_DIR" || exit 1
shellcheck --severity=style ./*.sh
dw_log "shellcheck: clean ($(shellcheck --version | sed -n 's/^version: //p'))"
