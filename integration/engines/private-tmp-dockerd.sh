#!/bin/bash
# A second, throwaway dockerd that cannot see this machine's /tmp: it runs in
# its own mount namespace with an empty tmpfs on /tmp, as a remote engine or a
# Docker-in-Docker daemon would (paths under /tmp that werf-run sees do not
# exist for it). DIR must not be under /tmp.
#
# usage: private-tmp-dockerd.sh DIR
# Serves unix://DIR/docker.sock; DIR/pid holds dockerd's pid. Stop it with
# kill $(cat DIR/pid), then remove DIR.
set -euo pipefail
dir=$1
case "$dir" in /tmp|/tmp/*) echo "DIR must not be under /tmp: $dir" >&2; exit 2 ;; esac
mkdir -p "$dir/data" "$dir/exec"
exec unshare --mount --propagation private bash -euo pipefail -c '
  dir=$1
  mount -t tmpfs -o mode=1777 werf-run-it-private-tmp /tmp
  exec dockerd --data-root "$dir/data" --exec-root "$dir/exec" -H "unix://$dir/docker.sock" \
    --pidfile "$dir/pid" --bridge=none --iptables=false
' private-tmp-dockerd "$dir"
