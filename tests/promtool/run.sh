#!/usr/bin/env bash
# Checks `sloguard rules export` with promtool (Debian package prometheus; scripts/setup.sh
# installs it). Run by CTest:
#   run.sh check SLOGUARD SOURCE_DIR WORK_DIR   export every config/examples/*.yaml, promtool check rules
#   run.sh test  SLOGUARD SOURCE_DIR WORK_DIR   export prometheus.yaml, promtool test rules fast_burn_test.yaml
set -euo pipefail
mode="$1" sloguard="$2" src="$3" work="$4"
if ! command -v promtool >/dev/null 2>&1; then
  echo "promtool not found on PATH: install Debian's prometheus package (scripts/setup.sh does)" >&2
  exit 1
fi
mkdir -p "$work"
# auth.yaml reads its tokens and alerting.yaml its notifier secrets from the environment;
# any well-formed value will do for exporting rules (nothing is sent).
export SLOGUARD_CI_TOKEN=promtool-check-ci SLOGUARD_OPS_TOKEN=promtool-check-ops
export SLACK_WEBHOOK_URL=https://slack.invalid/services/T000/B000/promtoolcheck
export PD_ROUTING_KEY=promtool-check-routing-key
export AUDIT_WEBHOOK_URL=https://audit.invalid/sloguard
export AUDIT_WEBHOOK_SECRET=whsec_cHJvbXRvb2wtY2hlY2stc2VjcmV0
case "$mode" in
  check)
    for f in "$src"/config/examples/*.yaml; do
      out="$work/$(basename "$f" .yaml).rules.yaml"
      "$sloguard" rules export --config "$f" --output "$out"
      promtool check rules "$out"
    done
    ;;
  test)
    "$sloguard" rules export --config "$src/config/examples/prometheus.yaml" --output "$work/prometheus.rules.yaml"
    cp "$src/tests/promtool/fast_burn_test.yaml" "$work/"
    cd "$work"
    promtool test rules fast_burn_test.yaml
    ;;
  *)
    echo "usage: run.sh check|test SLOGUARD SOURCE_DIR WORK_DIR" >&2
    exit 2
    ;;
esac
