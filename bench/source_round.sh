#!/usr/bin/env bash
# One evaluation round of SLOS availability SLOs (window 30d, one per service) read through
# slo::PrometheusSource from Debian's victoria-metrics and Debian's prometheus, each loaded
# with DAYS of counters (http_requests_total{job="svcN",code="200"|"500"}, one sample per
# INTERVAL s): the cold round, warm rounds and the rounds where a new 5m block settles, with
# wall time and requests sent; then the same SLOs as recording rules (`sloguard rules
# export`) evaluated by that Prometheus, and their per-round evaluation time from its
# /metrics. Everything on 127.0.0.1, fresh data dirs, removed at the end. See bench/README.md.
#
#   bench/source_round.sh [SLOS=1000] [DAYS=30] [CYCLES=3] [INTERVAL=60]     (SKIP_BUILD=1: no rebuild)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
slos="${1:-1000}"; days="${2:-30}"; cycles="${3:-3}"; interval="${4:-60}"
vm_port=18495; prom_port=18496
rule_rounds=3  # rule-group iterations to wait for before reading their durations

for pkg in victoria-metrics prometheus; do
  if ! dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed'; then
    sudo=; [ "$(id -u)" -ne 0 ] && sudo=sudo
    $sudo apt-get install -y "$pkg"
  fi
done
# SKIP_BUILD=1: use build-release/ as it is (e.g. when re-running).
[ -n "${SKIP_BUILD:-}" ] || SLOGUARD_BUILD_DIR=build-release scripts/build.sh Release >/dev/null
sg_bin=build-release/cli/sloguard
bench=build-release/bench/source_round_bench

work=$(mktemp -d)
vm_pid=; prom_pid=
cleanup() { stop "$vm_pid"; stop "$prom_pid"; rm -rf "$work"; }
trap cleanup EXIT

ports_free $vm_port $prom_port

wait_ready() {  # wait_ready <name> <pid> <url> [seconds=60]
  local name=$1 pid=$2 url=$3 deadline=$(( $(date +%s) + ${4:-60} ))
  until curl -sf -o /dev/null "$url"; do
    if ! kill -0 "$pid" 2>/dev/null; then echo "$name exited; its log:" >&2; tail -20 "$work/$name.log" >&2; exit 1; fi
    if [ "$(date +%s)" -ge "$deadline" ]; then echo "$name not ready ($url)" >&2; tail -20 "$work/$name.log" >&2; exit 1; fi
    sleep 0.2
  done
}
instant() {  # instant <port> <promql> <time>: the first result's value
  curl -sf "127.0.0.1:$1/api/v1/query" --data-urlencode "query=$2" --data-urlencode "time=$3" |
    sed -n 's/.*"value":\[[^,]*,"\([^"]*\)"\].*/\1/p'
}
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
now_s() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$(now_s)" 'BEGIN {printf "%.1f", b - a}'; }

# `at`, the first round, is 120 s past a 5-minute boundary: the newest settled block changes at
# at+300, at+600, ... only. The data reaches a minute past the last round, and starts an hour
# before the oldest window, so every round finds new samples and every window is covered.
now=$(date +%s)
at=$(( (now - cycles * 300 - 600 - 120) / 300 * 300 + 120 ))
end=$(( at + cycles * 300 + 60 ))
start=$(( at - days * 86400 - 3600 ))
samples=$(( slos * 2 * ((end - start + interval - 1) / interval) ))

echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), \
$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); $(date -u +%Y-%m-%dT%H:%MZ)"
echo "victoria-metrics $(dpkg-query -W -f '${Version}' victoria-metrics), prometheus $(dpkg-query -W -f '${Version}' prometheus); \
sloguard $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!bench' || echo '+uncommitted')"
echo "data: $slos services x 2 series, $days days + 1 h at ${interval}s = $samples samples, [$start, $end); first round at $at"

# --- VictoriaMetrics: /api/v1/import/prometheus in two streams (half the services each).
"$bench" config --name vm --url "http://127.0.0.1:$vm_port" --services "$slos" >"$work/vm.yaml"
victoria-metrics -storageDataPath "$work/vm-data" -httpListenAddr "127.0.0.1:$vm_port" -retentionPeriod 1y \
  -loggerLevel WARN >"$work/vm.log" 2>&1 &
vm_pid=$!
wait_ready vm "$vm_pid" "127.0.0.1:$vm_port/health"
t=$(now_s)
half=$(( slos / 2 )); imports=()
for range in "0 $half" "$half $slos"; do
  set -- $range
  "$bench" generate --format prometheus --services "$slos" --first-service "$1" --last-service "$2" \
    --start "$start" --end "$end" --interval "$interval" |
    curl -sSf -X POST -T - -H 'Content-Type: text/plain' "127.0.0.1:$vm_port/api/v1/import/prometheus" &
  imports+=($!)
done
for p in "${imports[@]}"; do wait "$p" || { echo "vm: import failed" >&2; exit 1; }; done
curl -sf -o /dev/null "127.0.0.1:$vm_port/internal/force_flush"
for _ in $(seq 1 300); do
  rows=$(curl -s "127.0.0.1:$vm_port/metrics" | awk '/^vm_rows_inserted_total\{type="prometheus"\}/ {print $2}')
  [ "${rows:-0}" -ge "$samples" ] && break; sleep 0.2
done
[ "${rows:-0}" -ge "$samples" ] || { echo "vm: $rows rows inserted, expected $samples" >&2; exit 1; }
for _ in $(seq 1 100); do
  n=$(instant $vm_port 'count(http_requests_total)' "$at"); [ "$n" = $(( slos * 2 )) ] && break; sleep 0.2
done
[ "$n" = $(( slos * 2 )) ] || { echo "vm: count(http_requests_total) = $n, expected $(( slos * 2 ))" >&2; exit 1; }
echo "vm: loaded $rows samples in $(secs "$t") s (generated and imported in 2 streams), data dir $(du -sh "$work/vm-data" | cut -f1)"
"$bench" run --name vm --url "http://127.0.0.1:$vm_port" --services "$slos" --at "$at" --cycles "$cycles" | tee "$work/vm.out"
stop "$vm_pid"; vm_pid=

# --- Prometheus: promtool backfill from OpenMetrics, blocks up to 486 h (the hidden flag's
# compatible range below 720 h; 2 h blocks would parse the whole file once per block). Its data
# runs on to the time it is generated, so that the recording rules, which run at the real
# time, find recent samples; sloguard's rounds read nothing after `end` either way.
prom_end=$(( $(date +%s) / 60 * 60 ))
t=$(now_s)
"$bench" generate --format openmetrics --services "$slos" --start "$start" --end "$prom_end" --interval "$interval" >"$work/in.om"
om_size=$(du -h "$work/in.om" | cut -f1)
gen_s=$(secs "$t"); t=$(now_s)
promtool tsdb create-blocks-from openmetrics --quiet --max-block-duration=720h "$work/in.om" "$work/prom-data" >"$work/promtool.log" 2>&1 ||
  { cat "$work/promtool.log" >&2; exit 1; }
rm -f "$work/in.om"
echo "prometheus: generated $om_size of OpenMetrics (to $prom_end) in $gen_s s, promtool create-blocks-from openmetrics in $(secs "$t") s, \
data dir $(du -sh "$work/prom-data" | cut -f1)"

# First the same SLOs as recording rules (`sloguard rules export`), evaluated by Prometheus
# every minute; then, with the rule file unloaded, sloguard's rounds.
"$bench" config --name prom --url "http://127.0.0.1:$prom_port" --services "$slos" >"$work/prom.yaml"
"$sg_bin" rules export --config "$work/prom.yaml" --output "$work/rules.yml" >/dev/null
promtool check rules "$work/rules.yml" >/dev/null
cat >"$work/prometheus.yml" <<YAML
global: {scrape_interval: 1m, evaluation_interval: 1m}
rule_files: ["$work/rules.yml"]
YAML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/prom-data" --storage.tsdb.retention.time=60d \
  --web.listen-address="127.0.0.1:$prom_port" --log.level=warn >"$work/prometheus.log" 2>&1 &
prom_pid=$!
wait_ready prometheus "$prom_pid" "127.0.0.1:$prom_port/-/ready" 120
rules_t0=$(date +%s)
n=$(instant $prom_port 'count(http_requests_total)' "$at")
[ "$n" = $(( slos * 2 )) ] || { echo "prometheus: count(http_requests_total) = $n, expected $(( slos * 2 ))" >&2; exit 1; }
metrics() { curl -s "127.0.0.1:$prom_port/metrics"; }
deadline=$(( rules_t0 + 60 * (rule_rounds + 3) ))
while :; do
  m=$(metrics)
  groups=$(echo "$m" | awk '/^prometheus_rule_group_iterations_total\{/ {n++} END {print n+0}')
  done_groups=$(echo "$m" | awk -v r="$rule_rounds" '/^prometheus_rule_group_iterations_total\{/ && $2 >= r {n++} END {print n+0}')
  [ "$groups" = "$slos" ] && [ "$done_groups" = "$slos" ] && break
  [ "$(date +%s)" -lt "$deadline" ] || { echo "rules: $done_groups of $groups groups ran $rule_rounds times" >&2; break; }
  sleep 5
done
sum_of() { echo "$m" | awk -v p="^$1" '$0 ~ p {s += $2} END {printf "%.3f", s}'; }
rules_last=$(sum_of 'prometheus_rule_group_last_duration_seconds\\{')
rules_sum=$(sum_of 'prometheus_rule_group_duration_seconds_sum')
rules_count=$(sum_of 'prometheus_rule_group_duration_seconds_count')
rules_iter=$(sum_of 'prometheus_rule_group_iterations_total\\{')
rules_missed=$(sum_of 'prometheus_rule_group_iterations_missed_total\\{')
rules_failed=$(sum_of 'prometheus_rule_evaluation_failures_total\\{')
rules_n=$(echo "$m" | awk '/^prometheus_rule_group_rules\{/ {s += $2} END {print s+0}')
echo "rules: $groups groups, $rules_n rules, $rules_iter group iterations ($rules_missed missed, $rules_failed rule failures); \
one round (sum of the groups' last durations) $rules_last s; mean per round over all iterations \
$(awk -v s="$rules_sum" -v c="$rules_count" -v g="$groups" 'BEGIN {printf "%.3f", c ? s / (c / g) : 0}') s; \
ran from $(( rules_t0 - prom_end )) to $(( $(date +%s) - prom_end )) s after the last sample"
echo 'global: {scrape_interval: 1m, evaluation_interval: 1m}' >"$work/prometheus.yml"
kill -HUP "$prom_pid"
for _ in $(seq 1 100); do
  m=$(metrics); echo "$m" | grep -q '^prometheus_rule_group_iterations_total{' || break; sleep 0.2
done
"$bench" run --name prom --url "http://127.0.0.1:$prom_port" --services "$slos" --at "$at" --cycles "$cycles" | tee "$work/prom.out"
stop "$prom_pid"; prom_pid=

# --- Figures.
med() { field "$(grep "^summary $1 $2 " "$work/$1.out")" "$3"; }
echo
printf "%-5s %-7s %10s %10s %12s\n" tsdb round wall_ms requests request_s
for db in vm prom; do
  for k in cold warm settle; do
    printf "%-5s %-7s %10s %10s %12s\n" "$db" "$k" "$(med $db $k median_wall_ms)" "$(med $db $k median_requests)" "$(med $db $k median_request_s)"
  done
done
warm=$(med prom warm median_wall_ms); warm_rs=$(med prom warm median_request_s)
echo "prometheus: recording rules round $rules_last s vs sloguard warm round wall $(awk -v w="$warm" 'BEGIN {printf "%.3f", w / 1000}') s \
(sum of its request times $warm_rs s): rules/sloguard = $(awk -v r="$rules_last" -v w="$warm" 'BEGIN {printf "%.1f", r / (w / 1000)}') (wall), \
$(awk -v r="$rules_last" -v s="$warm_rs" 'BEGIN {printf "%.1f", (s > 0) ? r / s : 0}') (request time)"
