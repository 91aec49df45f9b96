#!/bin/bash
# werf-run's test rig: ONE idempotent command that brings up everything the
# integration tests need on an offline Debian machine (see rig/README.md):
#   a Docker Engine, /dev/fuse at 0666, two loopback registries (open :5000,
#   basic-auth :5001), a busybox base image, the werf stand-in image under
#   werf's tag scheme, its fuse-forcing variant, and the werf-sh test double.
# A second run with everything up takes a few seconds and changes nothing.
# State (logs, pidfiles, registry data, caches): ${WERF_RUN_RIG_DIR:-/var/lib/werf-run-rig}
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/common.sh
. "$here/lib/common.sh"
# shellcheck source=lib/engine.sh
. "$here/lib/engine.sh"
# shellcheck source=lib/registry.sh
. "$here/lib/registry.sh"
# shellcheck source=lib/images.sh
. "$here/lib/images.sh"

mkdir -p "$STATE" "$STATE/work" "$STATE/cache"
started_at=$(date +%s)

# 0. Packages, in one apt transaction when anything is missing. docker-compose
#    (v1) validates the compose export in the tests. podman is only
#    installed (Podman API tests start `podman system service` themselves).
#    acl: setfacl, for the tests of a checkout readable only through an ACL.
pkgs=(podman debootstrap busybox-static docker-registry apache2-utils curl docker-compose openssh-server acl)
engine_answers || command -v dockerd >/dev/null || pkgs+=(docker.io containerd runc iptables)
apt_install "${pkgs[@]}"

# 1. Engine.
ensure_engine
# 2. /dev/fuse.
ensure_fuse
# 3. Registries.
ensure_registries
# 4. busybox base image.
ensure_busybox
# 5. The werf stand-in image and its tags.
ensure_werf_image
# 7. The fuse-forcing variant.
ensure_fuse_image
# 8. The werf-sh lifecycle test double.
ensure_sh_image

# Superseded builds of the rig's own images: untagged, carrying the rig's
# label, left with only repo@digest references after a rebuild. Removing those
# references (never with -f) frees them unless a container still uses them.
old_refs="$(docker images --digests --filter "label=$RECIPE_LABEL" --format '{{.Tag}} {{.Repository}}@{{.Digest}}' \
  | awk '$1 == "<none>" && $2 !~ /@<none>$/ {print $2}')"
if [ -n "$old_refs" ]; then
  log "removing superseded rig images"
  # shellcheck disable=SC2086
  docker rmi $old_refs >/dev/null 2>&1 || true
fi

# 9. Summary, printed and written as `export` lines.
cat >"$STATE/rig.env.tmp" <<ENV
# werf-run test rig ($(date -u +%FT%TZ)); source this file.
export WERF_RUN_RIG_DIR='$STATE'
export WERF_RUN_RIG_DOCKER_HOST='$(engine_endpoint)'
export WERF_RUN_RIG_ENGINE_STARTED_BY_RIG='$ENGINE_STARTED_BY_RIG'
export WERF_RUN_RIG_REGISTRY='$REGISTRY'
export WERF_RUN_RIG_AUTH_REGISTRY='$AUTH_REGISTRY'
export WERF_RUN_RIG_AUTH_USER='$AUTH_USER'
export WERF_RUN_RIG_AUTH_PASSWORD='$AUTH_PASSWORD'
export WERF_RUN_RIG_IMAGE='$WERF_IMAGE'
export WERF_RUN_RIG_AUTH_IMAGE='$AUTH_WERF_REPO_REF:${AUTH_WERF_TAGS[0]}'
export WERF_RUN_RIG_FUSE_IMAGE='$FUSE_IMAGE'
export WERF_RUN_RIG_SH_IMAGE='$SH_IMAGE'
export WERF_RUN_RIG_BUSYBOX='$BUSYBOX_IMAGE'
export WERF_RUN_RIG_FUSE_MODE='$FUSE_MODE'
ENV
mv "$STATE/rig.env.tmp" "$STATE/rig.env"

cat <<SUMMARY

werf-run test rig is up ($(( $(date +%s) - started_at )) s)
  engine          $(engine_endpoint)  (Docker $(docker version --format '{{.Server.Version}}'), started by rig: $ENGINE_STARTED_BY_RIG)
  /dev/fuse       mode $FUSE_MODE
  registry        $REGISTRY  (open, plain HTTP)
  auth registry   $AUTH_REGISTRY  (basic auth: user $AUTH_USER, password $AUTH_PASSWORD; test-only)
  werf stand-in   $WERF_IMAGE
                  (also $WERF_REPO_REF:{1.2,2}[-CHANNEL][-DISTRO] and :latest)
                  $AUTH_WERF_REPO_REF:{$(IFS=,; echo "${AUTH_WERF_TAGS[*]}")}
  fuse variant    $FUSE_IMAGE
  werf-sh double  $SH_IMAGE  (run-lifecycle tests only)
  busybox         $BUSYBOX_IMAGE
  podman          $(command -v podman || echo missing) (installed, not started)
  env file        $STATE/rig.env   (source it)
SUMMARY
