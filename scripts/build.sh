#!/usr/bin/env bash
# Configures and builds into build/ (or $SLOGUARD_BUILD_DIR). Incremental and ccache-friendly.
# Usage: scripts/build.sh [Release|RelWithDebInfo|Debug] [extra cmake args...]
# SLOGUARD_TARGETS="a b" builds only those targets (default: everything).
set -euo pipefail
cd "$(dirname "$0")/.."
type="${1:-RelWithDebInfo}"
shift || true
dir="${SLOGUARD_BUILD_DIR:-build}"
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$type" "$@" >/dev/null
targets=()
for t in ${SLOGUARD_TARGETS:-}; do targets+=(--target "$t"); done
cmake --build "$dir" -j"$(nproc)" "${targets[@]}"
