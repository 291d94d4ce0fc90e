#!/usr/bin/env bash
# Installs the Debian packages sloguard needs to build, test and run. Idempotent: when
# everything is present it only checks (well under a second).
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config ccache
  librocksdb-dev libsnappy-dev zlib1g-dev
  prometheus-cpp-dev libcpp-httplib-dev libssl-dev libbrotli-dev
  nlohmann-json3-dev libyaml-cpp-dev libcli11-dev libcurl4-openssl-dev
  libprotobuf-dev protobuf-compiler
  libre2-dev
  libhowardhinnant-date-dev tzdata
  catch2 curl
  # The Prometheus interop test and the promtool checks of `sloguard rules export` run the
  # real prometheus and promtool (/usr/bin). The package's postinst may start a system
  # Prometheus on :9090 (or is refused by policy-rc.d in containers); the tests never use it:
  # they start their own on a free loopback port with their own config and storage.
  prometheus prometheus-alertmanager
  # The Prometheus-source tests (tests/integration/prometheus_source_test.cpp) also read SLIs
  # from a real VictoriaMetrics (/usr/bin/victoria-metrics), started the same way: own port,
  # own storage in a temp dir, never the package's service.
  victoria-metrics
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "setup: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >/dev/null
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done" >&2
