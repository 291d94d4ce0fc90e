# Shared by the bench scripts (source it): stopping a receiver and checking ports.

stop() {  # stop <pid>: TERM, then KILL after 20 s
  local pid=$1
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

ports_free() {  # ports_free <port>...: exits when one answers on 127.0.0.1
  local port
  for port in "$@"; do
    if curl -s -o /dev/null "127.0.0.1:$port/"; then echo "port $port is in use" >&2; exit 1; fi
  done
}
