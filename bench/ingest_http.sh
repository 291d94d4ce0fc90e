#!/usr/bin/env bash
# Ingest throughput through the HTTP API: a Release sloguard on loopback with a fresh store,
# fed by `sloguard loadgen` at full speed with batches of 1,000 events. Runs RUNS times and
# prints each run and the median events/s.
#
#   bench/ingest_http.sh [RUNS=5] [SECONDS=10] [CONNECTIONS=2] [extra loadgen flags, e.g. --no-latency]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"; secs="${2:-10}"; conns="${3:-2}"
shift $(( $# < 3 ? $# : 3 ))
SLOGUARD_BUILD_DIR=build-release scripts/build.sh Release >/dev/null
bin=build-release/cli/sloguard
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
port=18480
cat > "$work/bench.yaml" <<YAML
server: {listen: "127.0.0.1:$port"}
storage: {path: "$work/data", retention: 35d}
evaluation_interval: 15s
services: [{name: checkout}, {name: search}, {name: payments}, {name: profile}]
slos:
  - {name: checkout-availability, service: checkout, objective: 99.5%, window: 30d}
  - {name: checkout-api, service: checkout, objective: 99.9%, window: 28d, sli: {kind: availability, endpoint: "/api/*"}}
  - {name: search-availability, service: search, objective: 99%, window: 7d}
  - {name: payments-availability, service: payments, objective: 99.95%, window: 30d}
  - {name: profile-availability, service: profile, objective: 99.5%, window: 30d}
  - {name: checkout-fast, service: checkout, objective: 95%, window: 7d, sli: {kind: latency, threshold: 500ms}}
  - {name: checkout-fast-pay, service: checkout, objective: 90%, window: 7d, sli: {kind: latency, threshold: 200ms, endpoint: "/api/v1/pay"}}
  - {name: search-p99, service: search, objective: 99%, window: 30d, sli: {kind: percentile, percentile: 99, target: 300ms}}
YAML
results=()
for i in $(seq 1 "$runs"); do
  rm -rf "$work/data"
  "$bin" serve --config "$work/bench.yaml" --log-level warn &
  pid=$!
  for _ in $(seq 1 100); do curl -sf "127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
  line=$("$bin" loadgen --server "http://127.0.0.1:$port" --rate 0 --batch 1000 --connections "$conns" \
           --duration "$secs" --quiet "$@")
  echo "run $i: $line"
  results+=("$(echo "$line" | sed -E 's/.*: ([0-9]+) events\/s.*/\1/')")
  kill -TERM "$pid"; wait "$pid" || true
done
printf '%s\n' "${results[@]}" | sort -n | awk '{a[NR]=$1} END {printf "median: %d events/s over %d runs (batches of 1000, %s connections)\n", a[int((NR+1)/2)], NR, "'"$conns"'"}'
