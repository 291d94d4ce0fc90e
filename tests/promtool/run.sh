#!/usr/bin/env bash
# Checks `sloguard rules export` with promtool (Debian package prometheus; scripts/setup.sh
# installs it). Run by CTest:
#   run.sh check SLOGUARD SOURCE_DIR WORK_DIR
#       export every config/examples/*.yaml, promtool check rules
#   run.sh test  SLOGUARD SOURCE_DIR WORK_DIR CONFIG TEST
#       export CONFIG (a path under SOURCE_DIR) as <its name>.rules.yaml next to the files of
#       tests/promtool/, then promtool test rules TEST (one of them)
set -euo pipefail
mode="$1" sloguard="$2" src="$3" work="$4"
if ! command -v promtool >/dev/null 2>&1; then
  echo "promtool not found on PATH: install Debian's prometheus package (scripts/setup.sh does)" >&2
  exit 1
fi
mkdir -p "$work"
# auth.yaml reads its tokens, alerting.yaml its notifier secrets and prometheus-source.yaml
# its datasource header from the environment; any well-formed value will do for exporting
# rules (nothing is sent).
export SLOGUARD_CI_TOKEN=promtool-check-ci SLOGUARD_OPS_TOKEN=promtool-check-ops
export SLACK_WEBHOOK_URL=https://slack.invalid/services/T000/B000/promtoolcheck
export PD_ROUTING_KEY=promtool-check-routing-key
export AUDIT_WEBHOOK_URL=https://audit.invalid/sloguard
export AUDIT_WEBHOOK_SECRET=whsec_cHJvbXRvb2wtY2hlY2stc2VjcmV0
export SLOGUARD_VM_AUTHORIZATION="Bearer promtool-check-vm"
case "$mode" in
  check)
    for f in "$src"/config/examples/*.yaml; do
      out="$work/$(basename "$f" .yaml).rules.yaml"
      "$sloguard" rules export --config "$f" --output "$out"
      promtool check rules "$out"
    done
    ;;
  test)
    config="$5" test="$6"
    cp "$src"/tests/promtool/*.yaml "$work/"
    "$sloguard" rules export --config "$src/$config" --output "$work/$(basename "$config" .yaml).rules.yaml"
    cd "$work"
    promtool test rules "$test"
    ;;
  *)
    echo "usage: run.sh check SLOGUARD SOURCE_DIR WORK_DIR | test SLOGUARD SOURCE_DIR WORK_DIR CONFIG TEST" >&2
    exit 2
    ;;
esac
