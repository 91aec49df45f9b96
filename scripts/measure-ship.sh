#!/bin/bash
# Measures how long werf-run takes to ship examples/hello to an engine that
# cannot see it (first time, then after one changed file), against `docker cp`
# of the same tree into a container with a volume. The engine is a throwaway
# dockerd with a private /tmp (integration/engines/private-tmp-dockerd.sh).
# Run as root on the rig (npm run build first): bash scripts/measure-ship.sh
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
source /var/lib/werf-run-rig/rig.env
image="${WERF_RUN_TEST_IMAGE:-$WERF_RUN_RIG_IMAGE}"
engine="$(mktemp -d /var/tmp/werf-run-measure-engine-XXXXXX)"
project="$(mktemp -d /tmp/werf-run-measure-hello-XXXXXX)"
cleanup() {
  local pid; pid="$(cat "$engine/pid" 2>/dev/null || true)"
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done; fi
  rm -rf "$engine" "$engine.log" "$project"
}
trap cleanup EXIT
bash "$repo/integration/engines/private-tmp-dockerd.sh" "$engine" >"$engine.log" 2>&1 &
export DOCKER_HOST="unix://$engine/docker.sock"
# The project's config grants the host network and the rig's image (config/trust.ts): consent for these runs.
export WERF_RUN_TRUST_PROJECT_CONFIG=1
until docker version >/dev/null 2>&1; do sleep 0.3; done
docker pull -q "$image" >/dev/null
chmod 0755 "$project"
cp -a "$repo/examples/hello/." "$project/"
printf '{"image":{"reference":"%s"},"network":"host","volumes":{"storage":"measure-storage","werfHome":"measure-home"}}\n' "$image" >"$project/.werfrunrc.json"
git -C "$project" init -q && git -C "$project" add -A && git -C "$project" -c user.name=m -c user.email=m@m commit -qm hello
files="$(find "$project" -type f | wc -l)"; bytes="$(du -sb "$project" | cut -f1)"
ship() { (cd "$project" && node "$repo/bin/werf-run.cjs" version 2>&1 >/dev/null | grep -o 'project files: shipped.*in [0-9.]* s' || true); }
echo "tree: $files files, $bytes bytes (with .git)"
echo "werf-run, first time:    $(ship)"
echo "changed" >>"$project/README.md"
echo "werf-run, one changed:   $(ship)"
echo "werf-run, nothing new:   $(ship)"
git -C "$project" rm -q backend/Dockerfile 2>/dev/null || rm -f "$project/backend/Dockerfile"
echo "werf-run, one deleted:   $(ship)"
for i in 1 2 3; do
  start=$(date +%s.%N)
  id="$(docker create -v measure-cp:/p "$image" true)"
  docker cp "$project/." "$id:/p"
  docker rm -f "$id" >/dev/null
  echo "docker create + cp + rm (run $i): $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') s"
done
docker volume rm -f measure-cp measure-storage measure-home $(docker volume ls -q --filter name=werf-run-ship-) >/dev/null 2>&1 || true
