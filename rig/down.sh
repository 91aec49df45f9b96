#!/bin/bash
# Stop only what rig/up.sh started (by its pidfiles). Data, images and caches
# stay in the state dir; an engine or registry the rig did not start is left alone.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/common.sh
. "$here/lib/common.sh"

# stop_pidfile NAME PIDFILE COMM: stop the pidfile's process if it is still
# the program the rig started (its /proc comm is COMM; guards against pid reuse).
stop_pidfile() {
  local name="$1" pidf="$2" comm="$3" i
  if ! pid_alive "$pidf"; then
    rm -f "$pidf"; log "$name: not running (or not started by the rig)"; return 0
  fi
  local pid; pid="$(cat "$pidf")"
  if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != "$comm" ]; then
    rm -f "$pidf"; log "$name: pid $pid is no longer $comm; leaving it alone"; return 0
  fi
  log "stopping $name (pid $pid)"
  kill -TERM "$pid"
  for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then warn "$name (pid $pid) still running after 20 s; sending KILL"; kill -KILL "$pid"; fi
  rm -f "$pidf"
}

stop_pidfile registry-5001 "$STATE/registry-5001/pid" docker-registry
stop_pidfile registry-5000 "$STATE/registry-5000/pid" docker-registry
stop_pidfile dockerd "$STATE/dockerd.pid" dockerd
log "done; data kept in $STATE"
