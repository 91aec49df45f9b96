#!/bin/bash
# Builds a PRIVATE copy of the werf stand-in with the working tree's rig/image,
# for testing stand-in changes without touching the shared rig tags (other
# runs test against 127.0.0.1:5000/werf/werf:* meanwhile):
#   bash rig/dev-standin.sh [REF]   (default 127.0.0.1:5000/werf-run-test/werf-dev:latest)
#   WERF_RUN_TEST_IMAGE=REF npx vitest run --project integration integration/<file>.test.ts
# When only rig/image/werf differs from the rig's current stand-in (its
# werf-run.rig.base-recipe label matches), the base is that image and only the
# script is replaced (seconds). Otherwise (chroot-setup.sh, registries.conf,
# the crane shim or the import settings changed) the whole image is built
# privately from the cached debootstrap tarball (about a minute, as root).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib/common.sh
. "$here/lib/common.sh"
# shellcheck source=lib/registry.sh
. "$here/lib/registry.sh"
# shellcheck source=lib/images.sh
. "$here/lib/images.sh"
base="${WERF_RUN_RIG_IMAGE:-127.0.0.1:5000/werf/werf:2-stable-alpine}"
ref="${1:-127.0.0.1:5000/werf-run-test/werf-dev:latest}"
base_label="$(docker image inspect -f "{{index .Config.Labels \"$BASE_RECIPE_LABEL\"}}" "$base" 2>/dev/null || true)"
if [ "$base_label" != "$(werf_base_recipe_hash)" ]; then
  build_werf_image "$(werf_recipe_hash)" "$ref" "$STATE/work/werf-root-dev-$$"
else
  ctr="werf-run-dev-standin-$$"
  docker create --name "$ctr" --network none "$base" /bin/true >/dev/null
  trap 'docker rm -v "$ctr" >/dev/null 2>&1 || true' EXIT
  tar --numeric-owner --owner=0 --group=0 --mode=0755 -C "$here/image" -c werf \
    | docker cp - "$ctr:/usr/local/bin" >/dev/null
  docker commit -c 'USER build' -c 'LABEL werf-run.rig.note="werf-run test rig: a private stand-in copy (rig/dev-standin.sh)"' "$ctr" "$ref" >/dev/null
fi
docker push -q "$ref" >/dev/null
echo "$ref"
