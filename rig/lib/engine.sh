# shellcheck shell=bash
# The Docker Engine: use one that answers, else install and start dockerd.

ENGINE_STARTED_BY_RIG=no

engine_answers() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

engine_endpoint() { echo "${DOCKER_HOST:-unix:///var/run/docker.sock}"; }

ensure_engine() {
  if engine_answers; then
    pid_alive "$STATE/dockerd.pid" && ENGINE_STARTED_BY_RIG=yes
    log "engine answers at $(engine_endpoint) (Docker $(docker version --format '{{.Server.Version}}'); started by rig: $ENGINE_STARTED_BY_RIG)"
    return 0
  fi
  # Only the default local socket is ours to bring up; an explicit DOCKER_HOST
  # that does not answer is the caller's engine and we leave it to them.
  case "${DOCKER_HOST:-}" in
    ""|unix:///var/run/docker.sock) ;;
    *) die "DOCKER_HOST=$DOCKER_HOST does not answer; start that engine, or unset DOCKER_HOST to let the rig start one" ;;
  esac
  is_root || die "no Docker Engine answers at $(engine_endpoint) and not root: start one and re-run"
  command -v dockerd >/dev/null || apt_install docker.io containerd runc iptables
  if pid_alive "$STATE/dockerd.pid"; then
    log "dockerd started earlier by the rig (pid $(cat "$STATE/dockerd.pid")) is not answering yet; waiting"
  else
    # --bridge=none/--iptables=false: containers get only loopback (or the
    # host's with --network host); the rig never sends traffic off the box.
    start_detached dockerd "$STATE/dockerd.log" "$STATE/dockerd.pid" \
      dockerd --bridge=none --iptables=false
  fi
  if ! wait_for 60 dockerd engine_answers; then
    tail -n 30 "$STATE/dockerd.log" >&2 || true
    die "dockerd did not answer within 60 s (log: $STATE/dockerd.log, tail above)"
  fi
  ENGINE_STARTED_BY_RIG=yes
  log "dockerd answers at $(engine_endpoint) (Docker $(docker version --format '{{.Server.Version}}'))"
}

# /dev/fuse: ordinary distributions make it 0666; this VM boots with 0600.
ensure_fuse() {
  if [ ! -e /dev/fuse ]; then
    is_root || die "/dev/fuse is missing and not root"
    modprobe fuse 2>/dev/null || true
    [ -e /dev/fuse ] || mknod -m 0666 /dev/fuse c 10 229
  fi
  if [ "$(stat -c %a /dev/fuse)" != 666 ]; then
    is_root || die "/dev/fuse is mode $(stat -c %a /dev/fuse), need 0666, and not root"
    log "/dev/fuse was mode $(stat -c %a /dev/fuse); setting 0666 (the usual distribution default)"
    chmod 0666 /dev/fuse
  fi
  FUSE_MODE="$(stat -c %a /dev/fuse)"
  log "/dev/fuse: $(stat -c '%A %t:%T' /dev/fuse) (mode $FUSE_MODE)"
}
