#!/bin/bash
# On demand (NOT run by rig/up.sh): a rootless Docker Engine or a rootless
# Podman API service, run by a throwaway user, as on a developer's laptop.
#
#   bash rig/rootless.sh up   docker|podman [IDS]   # IDS: the user's subordinate ids (default 65536)
#   bash rig/rootless.sh down docker|podman         # stop it; remove the user, its data, its subuid/subgid lines
#   bash rig/rootless.sh env  docker|podman         # print DOCKER_HOST=... for the running one
#
# `up` with other IDS than the running engine's restarts it with the new range
# (Podman: after `podman system migrate`), keeping the pulled images.
# The rig's registry (127.0.0.1:5000) is forwarded into rootlesskit's network
# namespace (rootless Docker's "host" network is that namespace, not the
# machine's); rootless Podman's host network is the machine's own.
# Facts behind it: /work/shared/notes/test-rig.md, "Rootless engines".
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/common.sh
. "$here/lib/common.sh"

action="${1:-}" engine="${2:-}" ids="${3:-65536}"
case "$action" in up|down|env) ;; *) die "usage: $0 up|down|env docker|podman [IDS]" ;; esac
case "$engine" in docker|podman) ;; *) die "usage: $0 up|down|env docker|podman [IDS]" ;; esac
[[ "$ids" =~ ^[0-9]+$ ]] || die "IDS must be a number, got $ids"
is_root || die "rig/rootless.sh needs root (it adds and removes a user)"

user="werfrun-rl-$engine"
dir="$STATE/rootless/$engine"
home="$dir/home"
# Subordinate ranges that do not overlap each other (nor the usual 100000+ ones of real users).
case "$engine" in docker) sub_start=1000000 ;; podman) sub_start=2000000 ;; esac
registry="${WERF_RUN_RIG_REGISTRY:-127.0.0.1:5000}"
registry_port="${registry##*:}"

uid_of() { id -u "$user" 2>/dev/null; }
as_user() {
  local uid; uid="$(uid_of)"
  runuser -u "$user" -- env -i HOME="$home" USER="$user" LOGNAME="$user" XDG_RUNTIME_DIR="/run/user/$uid" \
    XDG_CONFIG_HOME="$home/.config" XDG_DATA_HOME="$home/.local/share" PATH="/usr/sbin:/usr/bin:/sbin:/bin" "$@"
}
socket_url() {
  local uid; uid="$(uid_of)"
  case "$engine" in docker) echo "unix:///run/user/$uid/docker.sock" ;; podman) echo "unix:///run/user/$uid/podman/podman.sock" ;; esac
}
answers() { docker -H "$(socket_url)" version --format '{{.Server.Version}}' >/dev/null 2>&1; }
# wait_daemon WHAT: until the engine answers; fails at once when the daemon died, or after 60 s.
wait_daemon() {
  local i
  for i in $(seq 1 300); do
    answers && return 0
    pid_alive "$dir/daemon.pid" || { tail -n 30 "$dir/daemon.log" >&2; die "$1 exited (log: $dir/daemon.log)"; }
    sleep 0.2
  done
  tail -n 30 "$dir/daemon.log" >&2
  die "$1 did not answer within 60 s (log: $dir/daemon.log)"
}

# set_subids N: the user's /etc/subuid and /etc/subgid line, and nothing else of its.
set_subids() {
  local f
  for f in /etc/subuid /etc/subgid; do
    touch "$f"
    sed -i "/^$user:/d" "$f"
    echo "$user:$sub_start:$1" >>"$f"
  done
}

# stop_pidfile FILE: stops the process group the rig started (start_detached uses setsid).
stop_pidfile() {
  local f="$1" pid i
  [ -s "$f" ] || return 0
  pid="$(cat "$f")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

stop_daemon() {
  stop_pidfile "$dir/forward-in.pid"
  stop_pidfile "$dir/forward-out.pid"
  stop_pidfile "$dir/daemon.pid"
  # Whatever the user still runs (conmon, slirp4netns, a probe's processes) was started by this daemon: by id.
  local uid pids
  uid="$(uid_of)" || return 0
  pids="$(ps -u "$uid" -o pid= 2>/dev/null | tr -s ' \n' ' ' || true)"
  # shellcheck disable=SC2086
  [ -z "${pids// /}" ] || kill -KILL $pids 2>/dev/null || true
}

start_docker() {
  local uid; uid="$(uid_of)"
  start_detached "rootless dockerd ($user, $ids ids)" "$dir/daemon.log" "$dir/daemon.pid" \
    runuser -u "$user" -- env -i HOME="$home" USER="$user" XDG_RUNTIME_DIR="/run/user/$uid" PATH="/usr/sbin:/usr/bin:/sbin:/bin" \
    DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS="--state-dir=/run/user/$uid/rootlesskit" \
    /usr/share/docker.io/contrib/dockerd-rootless.sh --insecure-registry "$registry" --data-root "$home/.local/share/docker"
  wait_daemon "rootless dockerd"
  # The registry on the machine's 127.0.0.1 into rootlesskit's namespace: a unix socket outside, a listener inside.
  start_detached "registry forward (outside)" "$dir/forward.log" "$dir/forward-out.pid" \
    runuser -u "$user" -- socat "UNIX-LISTEN:/run/user/$uid/regfwd.sock,fork,mode=600" "TCP:$registry"
  wait_for 10 "forward socket" test -S "/run/user/$uid/regfwd.sock" || die "socat did not create /run/user/$uid/regfwd.sock"
  start_detached "registry forward (inside rootlesskit)" "$dir/forward.log" "$dir/forward-in.pid" \
    runuser -u "$user" -- nsenter -U --preserve-credentials -n -t "$(cat "/run/user/$uid/rootlesskit/child_pid")" \
    socat "TCP-LISTEN:$registry_port,bind=127.0.0.1,fork,reuseaddr" "UNIX-CONNECT:/run/user/$uid/regfwd.sock"
}

start_podman() {
  local uid; uid="$(uid_of)"
  mkdir -p "$home/.config/containers"
  printf '[[registry]]\nlocation = "%s"\ninsecure = true\n' "$registry" >"$home/.config/containers/registries.conf"
  # Native overlay (rootless overlayfs works on this kernel): Podman 4.3 would pick vfs, which copies
  # the whole werf image for every container (tens of seconds each).
  printf '[storage]\ndriver = "overlay"\nrunroot = "/run/user/%s/containers"\ngraphroot = "%s/.local/share/containers/storage"\n' "$uid" "$home" >"$home/.config/containers/storage.conf"
  chown -R "$user:" "$home/.config"
  install -d -m 0700 -o "$user" -g "$user" "/run/user/$uid/podman"
  as_user podman system migrate >>"$dir/daemon.log" 2>&1 || true
  start_detached "rootless podman service ($user, $ids ids)" "$dir/daemon.log" "$dir/daemon.pid" \
    runuser -u "$user" -- env -i HOME="$home" USER="$user" XDG_RUNTIME_DIR="/run/user/$uid" PATH="/usr/sbin:/usr/bin:/sbin:/bin" \
    podman system service --time=0 "$(socket_url)"
  wait_daemon "rootless podman"
}

up() {
  apt_install rootlesskit slirp4netns uidmap socat acl
  [ "$engine" = podman ] && apt_install podman
  [ "$engine" = docker ] && [ ! -x /usr/share/docker.io/contrib/dockerd-rootless.sh ] && die "no /usr/share/docker.io/contrib/dockerd-rootless.sh (Debian's docker.io)"
  mkdir -p "$dir"
  if ! uid_of >/dev/null; then
    log "adding the throwaway user $user (home $home)"
    useradd --home-dir "$home" --create-home --shell /bin/sh --user-group "$user"
  fi
  local uid; uid="$(uid_of)"
  if [ "$(cat "$dir/ids" 2>/dev/null)" = "$ids" ] && pid_alive "$dir/daemon.pid" && answers; then
    log "rootless $engine already up with $ids ids: $(socket_url)"
    return 0
  fi
  stop_daemon
  set_subids "$ids"
  echo "$ids" >"$dir/ids"
  install -d -m 0700 -o "$user" -g "$user" "/run/user/$uid"
  # /dev/net/tun (slirp4netns) boots 0600 here: access for this user, for the run only.
  setfacl -m "u:$user:rw" /dev/net/tun
  case "$engine" in docker) start_docker ;; podman) start_podman ;; esac
  log "rootless $engine up with $ids subordinate ids: DOCKER_HOST=$(socket_url)"
}

down() {
  if uid_of >/dev/null; then
    local uid; uid="$(uid_of)"
    stop_daemon
    setfacl -x "u:$user" /dev/net/tun 2>/dev/null || true
    # The data holds files owned by subordinate ids; root removes them with the home.
    rm -rf "/run/user/$uid"
    userdel "$user" 2>/dev/null || true
    getent group "$user" >/dev/null && groupdel "$user" 2>/dev/null || true
  fi
  local f
  for f in /etc/subuid /etc/subgid; do [ -f "$f" ] && sed -i "/^$user:/d" "$f"; done
  rm -rf "$dir"
  log "rootless $engine down: user $user, its data and its subordinate ids removed"
}

case "$action" in
  up) up ;;
  down) down ;;
  env) uid_of >/dev/null || die "rootless $engine is not up"; echo "DOCKER_HOST=$(socket_url)" ;;
esac
