#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test through CTest.
# SLOGUARD_SANITIZE=address,undefined scripts/test.sh builds with sanitizers into build-asan/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
extra=()
dir="${SLOGUARD_BUILD_DIR:-build}"
if [ -n "${SLOGUARD_SANITIZE:-}" ]; then
  extra+=("-DSLOGUARD_SANITIZE=${SLOGUARD_SANITIZE}")
  dir="${SLOGUARD_BUILD_DIR:-build-asan}"
fi
SLOGUARD_BUILD_DIR="$dir" scripts/build.sh RelWithDebInfo "${extra[@]}"
cd "$dir"
ctest --output-on-failure -j"$(nproc)" "$@"
