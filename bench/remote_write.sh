#!/usr/bin/env bash
# Prometheus remote_write throughput, sloguard beside VictoriaMetrics (Debian's
# victoria-metrics), on the same pre-encoded request bodies in the same run. Each run starts
# both receivers with fresh data directories, sends the stream to one and then the other
# (the order alternates per run; each receiver is stopped once measured, so its background
# work does not land on the other's run), then does the same for the JSON path (sloguard
# /api/v1/events, VictoriaMetrics /api/v1/import). Prints every run, the medians and the
# ratio sloguard/VM. See bench/README.md.
#
#   bench/remote_write.sh [RUNS=5] [REQUESTS=4800] [CONNECTIONS=2]     # SKIP_BUILD=1: no rebuild
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
runs="${1:-5}"; requests="${2:-4800}"; conns="${3:-2}"
sg_port=18490; vm_port=18491

if ! command -v victoria-metrics >/dev/null; then
  sudo=; [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get install -y victoria-metrics
fi
# SKIP_BUILD=1: use build-release/ as it is (only the two targets below are needed).
if [ -z "${SKIP_BUILD:-}" ]; then
  cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build-release --target sloguard remote_write_bench >/dev/null
fi
sg_bin=build-release/cli/sloguard
bench=build-release/bench/remote_write_bench

work=$(mktemp -d)
sg_pid=; vm_pid=
cleanup() { stop "$sg_pid"; stop "$vm_pid"; rm -rf "$work"; }
trap cleanup EXIT

ports_free $sg_port $vm_port

# The stream: 24,000 series, 2,000 samples per request, one scrape round per 15 s. It starts
# 2 h ago, or earlier when it is longer than that, so it ends in the past.
rounds=$(( requests * 2000 / 24000 + 1 ))
back_s=$(( rounds * 15 + 600 > 7200 ? rounds * 15 + 600 : 7200 ))
start_ms=$(( ($(date +%s) - back_s) / 15 * 15000 ))

cat > "$work/sloguard.yaml" <<YAML
server: {listen: "127.0.0.1:$sg_port"}
storage: {path: "$work/sg-data", retention: 35d}
evaluation_interval: 15s
services: [{name: checkout}, {name: search}]
slos:
  - {name: checkout-availability, service: checkout, objective: 99.5%, window: 30d}
  - {name: search-availability, service: search, objective: 99%, window: 7d}
  - {name: checkout-fast, service: checkout, objective: 95%, window: 7d, sli: {kind: latency, threshold: 250ms}}
  - {name: search-fast, service: search, objective: 99%, window: 7d, sli: {kind: latency, threshold: 500ms}}
# Both metrics are mapped so that every sample does real work. A counter and a histogram of
# the same requests count each request twice in the SLIs (docs/remote-write.md, "Map each
# service's requests once"), which changes no throughput figure.
remote_write:
  mappings:
    - {metric: http_requests_total, service_label: job, status_label: code, endpoint_label: handler}
    - {histogram: http_request_duration_seconds, service_label: job, endpoint_label: handler,
       buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, +Inf]}
YAML

wait_ready() {  # wait_ready <name> <pid> <url>...: every url answers 2xx within 30 s
  local name=$1 pid=$2; shift 2
  local deadline=$(( $(date +%s) + 30 ))
  for url in "$@"; do
    until curl -sf -o /dev/null "$url"; do
      if ! kill -0 "$pid" 2>/dev/null; then echo "$name exited; its log:" >&2; tail -20 "$work/$name.log" >&2; exit 1; fi
      if [ "$(date +%s)" -ge "$deadline" ]; then echo "$name not ready after 30 s ($url)" >&2; exit 1; fi
      sleep 0.1
    done
  done
}
start_both() {
  rm -rf "$work/sg-data" "$work/vm-data"
  "$sg_bin" serve --config "$work/sloguard.yaml" --listen "127.0.0.1:$sg_port" --log-level warn >"$work/sloguard.log" 2>&1 &
  sg_pid=$!
  victoria-metrics -storageDataPath "$work/vm-data" -httpListenAddr "127.0.0.1:$vm_port" -retentionPeriod 1y \
    -loggerLevel WARN >"$work/vm.log" 2>&1 &
  vm_pid=$!
  wait_ready sloguard "$sg_pid" "127.0.0.1:$sg_port/healthz" "127.0.0.1:$sg_port/readyz"
  wait_ready vm "$vm_pid" "127.0.0.1:$vm_port/health"
}
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
metric() { curl -s "$1/metrics" | awk -v m="$2" '$1 == m {printf "%d", $2; f=1} END {if (!f) printf "0"}'; }

# What the receiver did with the stream, checked before it is stopped: every sample counted
# by sloguard (no duplicates, no out-of-order, no drops), every row stored by VM.
check() {  # check <target> <format> <bench line>
  local target=$1 format=$2 line=$3 items want got
  items=$(field "$line" items)
  if [ "$target" = sloguard ]; then
    local u="127.0.0.1:$sg_port"
    if [ "$format" = remote_write ]; then
      got=0
      for r in accepted pending first_sample ignored; do
        got=$(( got + $(metric "$u" "sloguard_remote_write_samples_total{result=\"$r\"}") ))
      done
      want=$items
    else
      got=$(curl -s "$u/metrics" | awk '/^sloguard_events_ingested_total/ {n++} END {print n+0}')
      want=2  # both services got events
    fi
  else
    local type=promremotewrite; [ "$format" = json ] && type=vmimport
    want=$items
    for _ in $(seq 1 50); do
      got=$(metric "127.0.0.1:$vm_port" "vm_rows_inserted_total{type=\"$type\"}")
      [ "$got" -ge "$want" ] && break; sleep 0.1
    done
  fi
  if [ "$got" != "$want" ]; then
    echo "check failed: $target $format: expected $want, receiver reports $got" >&2
    [ "$target" = sloguard ] && curl -s "127.0.0.1:$sg_port/metrics" | grep -E '^sloguard_(remote_write_samples|events_rejected)' >&2
    exit 1
  fi
}

echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), \
$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); $(date -u +%Y-%m-%dT%H:%MZ)"
echo "victoria-metrics $(dpkg-query -W -f '${Version}' victoria-metrics 2>/dev/null || echo '?'); sloguard $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!bench' || echo '+uncommitted')"
echo "stream: $requests requests x 2000 samples, $conns connections, first round at $start_ms ms"

declare -A res  # res[format,target] = samples/s of each run, space-separated
for format in remote_write json; do
  for i in $(seq 1 "$runs"); do
    start_both
    if (( i % 2 )); then order="sloguard vm"; else order="vm sloguard"; fi
    out="run $i ($format):"
    for t in $order; do
      if [ "$t" = sloguard ]; then port=$sg_port; else port=$vm_port; fi
      line=$("$bench" --url "http://127.0.0.1:$port" --target "$t" --format "$format" --connections "$conns" \
               --requests "$requests" --start-ms "$start_ms" 2>"$work/bench.err") || {
        echo "$t $format: bench failed: $line" >&2; cat "$work/bench.err" >&2; exit 1; }
      check "$t" "$format" "$line"
      if [ "$t" = sloguard ]; then stop "$sg_pid"; sg_pid=; else stop "$vm_pid"; vm_pid=; fi
      sps=$(field "$line" samples_per_s)
      res[$format,$t]+="$sps "
      ev=; [ "$t/$format" = sloguard/json ] && ev=" = $(field "$line" items_per_s) events/s"
      out+=" $t $sps samples/s$ev ($(field "$line" requests) req, $(field "$line" requests_per_s) req/s, \
$(( $(field "$line" bytes) / 1048576 )) MiB, p99 $(field "$line" p99_ms) ms, bodies $(field "$line" checksum));"
    done
    if [ "$format" = remote_write ] && [ "$(echo "$out" | grep -o 'bodies [0-9a-f]*' | sort -u | wc -l)" != 1 ]; then
      echo "the two receivers got different bodies: $out" >&2; exit 1
    fi
    echo "$out"
  done
done

median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }
for format in remote_write json; do
  sg=$(echo "${res[$format,sloguard]}" | median)
  vm=$(echo "${res[$format,vm]}" | median)
  printf "median %-12s over %d runs: sloguard %'d samples/s, VictoriaMetrics %'d samples/s, sloguard/VM %.2f\n" \
    "$format" "$runs" "$sg" "$vm" "$(echo "$sg $vm" | awk '{print $1/$2}')"
done
