#!/bin/bash
# Builds a PRIVATE copy of the werf stand-in with the working tree's
# rig/image/werf, for testing stand-in changes without touching the shared
# rig tags (other runs test against 127.0.0.1:5000/werf/werf:* meanwhile):
#   bash rig/dev-standin.sh [REF]   (default 127.0.0.1:5000/werf-run-test/werf-dev:latest)
#   WERF_RUN_TEST_IMAGE=REF npx vitest run --project integration integration/<file>.test.ts
# The base is the rig's current stand-in; only the script is replaced.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
base="${WERF_RUN_RIG_IMAGE:-127.0.0.1:5000/werf/werf:2-stable-alpine}"
ref="${1:-127.0.0.1:5000/werf-run-test/werf-dev:latest}"
ctr="werf-run-dev-standin-$$"
docker create --name "$ctr" --network none "$base" /bin/true >/dev/null
trap 'docker rm -v "$ctr" >/dev/null 2>&1 || true' EXIT
tar --numeric-owner --owner=0 --group=0 --mode=0755 -C "$here/image" -c werf \
  | docker cp - "$ctr:/usr/local/bin" >/dev/null
docker commit -c 'USER build' -c 'LABEL werf-run.rig.note="werf-run test rig: a private stand-in copy (rig/dev-standin.sh)"' "$ctr" "$ref" >/dev/null
docker push -q "$ref" >/dev/null
echo "$ref"
