#!/bin/bash
# A second, throwaway dockerd whose /dev differs from the host's in one way:
# /dev/fuse is missing, or mode 0600. It runs in its own mount namespace, so
# the host's /dev/fuse (shared with everyone else on this machine) is never
# touched. dockerd looks devices up in its own namespace (`--device` stats the
# path; `--privileged` lists its /dev), so containers see exactly what a host
# with that /dev would give them.
#
# usage: private-dev-dockerd.sh DIR missing|0600
# Serves unix://DIR/docker.sock; DIR/pid holds dockerd's pid. Stop it with
# kill $(cat DIR/pid), then remove DIR.
set -euo pipefail
dir=$1
fuse=$2
mkdir -p "$dir/dev" "$dir/data" "$dir/exec"
exec unshare --mount --propagation private bash -euo pipefail -c '
  dir=$1 fuse=$2
  mount -t tmpfs -o mode=0755 werf-run-it-dev "$dir/dev"
  tar -C /dev --exclude=./pts --exclude=./shm --exclude=./mqueue -cf - . | tar -C "$dir/dev" -xf -
  mkdir -p "$dir/dev/pts" "$dir/dev/shm" "$dir/dev/mqueue"
  case $fuse in
    missing) rm -f "$dir/dev/fuse" ;;
    0600) chmod 0600 "$dir/dev/fuse" ;;
    *) echo "unknown fuse state $fuse" >&2; exit 2 ;;
  esac
  mount --bind "$dir/dev" /dev
  mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts || true
  exec dockerd --data-root "$dir/data" --exec-root "$dir/exec" -H "unix://$dir/docker.sock" \
    --pidfile "$dir/pid" --bridge=none --iptables=false
' private-dev-dockerd "$dir" "$fuse"
