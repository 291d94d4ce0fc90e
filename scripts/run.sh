#!/usr/bin/env bash
# Installs what is missing, builds sloguard (Release) and starts it on the quickstart config
# with its RocksDB store in ./data. Extra arguments go to `sloguard serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# Only the binary it runs: tests and benches are not built.
SLOGUARD_TARGETS=sloguard SLOGUARD_BUILD_DIR="${SLOGUARD_BUILD_DIR:-build-release}" scripts/build.sh Release
exec "${SLOGUARD_BUILD_DIR:-build-release}/cli/sloguard" serve --config config/examples/quickstart.yaml \
  --storage.path "${SLOGUARD_DATA:-./data}" "$@"
