# shellcheck shell=bash
# The rig's images: busybox base, the werf stand-in (+ tags), its fuse-forcing
# variant, and the werf-sh lifecycle test double.

BUSYBOX_IMAGE="$REGISTRY/library/busybox:latest"
WERF_REPO_REF="$REGISTRY/werf/werf"
WERF_MAIN_TAG=2-stable-alpine
WERF_IMAGE="$WERF_REPO_REF:$WERF_MAIN_TAG"
FUSE_IMAGE="$REGISTRY/werf-run-test/werf-fuse-storage:latest"
SH_IMAGE="$REGISTRY/werf-run-test/werf-sh:latest"
AUTH_WERF_REPO_REF="$AUTH_REGISTRY/werf/werf"
AUTH_WERF_TAGS=(2-stable latest)
RECIPE_LABEL=werf-run.rig.recipe
DEBIAN_MIRROR=http://deb.debian.org/debian

# The werf stand-in image's config, applied by `docker import`.
WERF_IMPORT_CHANGES=(
  'USER build'
  'WORKDIR /home/build'
  'ENV BUILDAH_ISOLATION=chroot'
  'ENV WERF_CONTAINERIZED=yes'
  'ENV WERF_BUILDAH_MODE=auto'
  'ENV WERF_DISABLE_AUTO_HOST_CLEANUP=1'
  'VOLUME /home/build/.local/share/containers'
  'VOLUME /home/build1001/.local/share/containers'
  'LABEL werf-run.rig.note="werf-run test-rig stand-in for werf (real buildah, not the real werf)"'
)

# werf's tag scheme: G, G-C, G-D, G-C-D for groups 1.2 and 2, plus latest.
werf_tags() {
  local g c d
  for g in 1.2 2; do
    echo "$g"
    for c in alpha beta ea stable rock-solid; do echo "$g-$c"; done
    for d in alpine ubuntu centos fedora; do echo "$g-$d"; done
    for c in alpha beta ea stable rock-solid; do
      for d in alpine ubuntu centos fedora; do echo "$g-$c-$d"; done
    done
  done
  echo latest
}

image_label() { docker image inspect -f "{{index .Config.Labels \"$RECIPE_LABEL\"}}" "$1" 2>/dev/null || true; }
sha() { sha256sum | cut -c1-64; }

# split_ref REF -> sets _HOST _REPO _TAG
split_ref() { _HOST="${1%%/*}"; local rest="${1#*/}"; _REPO="${rest%:*}"; _TAG="${rest##*:}"; }

# push_if_needed REF [CURL-ARGS for the registry...]: docker push REF unless the
# registry already holds exactly this image under that tag.
push_if_needed() {
  local ref="$1"; shift
  split_ref "$ref"
  local remote
  remote="$(registry_digest "$_HOST" "$_REPO" "$_TAG" "$@")"
  if [ -n "$remote" ] && docker image inspect -f '{{range .RepoDigests}}{{println .}}{{end}}' "$ref" \
       | grep -qx "$_HOST/$_REPO@$remote"; then
    return 0
  fi
  log "docker push $ref"
  docker push -q "$ref" >/dev/null
}

# ---------------------------------------------------------------- busybox
ensure_busybox() {
  [ -x /bin/busybox ] || apt_install busybox-static
  local hash
  hash="$( { sha256sum /bin/busybox; declare -f build_busybox_root; } | sha)"
  if [ "$(image_label "$BUSYBOX_IMAGE")" != "$hash" ]; then
    log "building $BUSYBOX_IMAGE from Debian's busybox-static"
    build_busybox_root "$STATE/work/busybox-root"
    tar --numeric-owner -C "$STATE/work/busybox-root" -c . \
      | docker import -c "LABEL $RECIPE_LABEL=$hash" - "$BUSYBOX_IMAGE" >/dev/null
  fi
  push_if_needed "$BUSYBOX_IMAGE"
}

# build_busybox_root DIR: /bin/busybox, a symlink per applet, root and build users.
build_busybox_root() {
  local root="$1" applet
  rm -rf "$root"; mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,home/build}
  cp /bin/busybox "$root/bin/busybox"
  for applet in $("$root/bin/busybox" --list-full); do
    [ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nbuild:x:1000:1000:build:/home/build:/bin/sh\n' >"$root/etc/passwd"
  printf 'root:x:0:\nbuild:x:1000:\n' >"$root/etc/group"
  chmod 1777 "$root/tmp"; chmod 0700 "$root/root"
  chown 1000:1000 "$root/home/build"
}

# ---------------------------------------------------------------- werf-sh
ensure_sh_image() {
  local hash
  hash="$( { image_label "$BUSYBOX_IMAGE"; cat "$RIG_ROOT/image/werf-sh"; declare -f ensure_sh_image; } | sha)"
  if [ "$(image_label "$SH_IMAGE")" != "$hash" ]; then
    log "building $SH_IMAGE (run-lifecycle test double)"
    local root="$STATE/work/werf-sh-root"
    build_busybox_root "$root"
    install -D -m 0755 "$RIG_ROOT/image/werf-sh" "$root/usr/local/bin/werf"
    tar --numeric-owner -C "$root" -c . | docker import \
      -c 'USER build' -c 'WORKDIR /home/build' \
      -c 'LABEL werf-run.rig.note="werf-sh: run-lifecycle test double, not werf"' \
      -c "LABEL $RECIPE_LABEL=$hash" - "$SH_IMAGE" >/dev/null
  fi
  push_if_needed "$SH_IMAGE"
}

# ---------------------------------------------------------------- werf stand-in
werf_recipe_hash() {
  {
    cat "$RIG_ROOT/image/chroot-setup.sh" "$RIG_ROOT/image/registries.conf" "$RIG_ROOT/image/werf" "$RIG_ROOT/image/crane"
    printf '%s\n' "${WERF_IMPORT_CHANGES[@]}" "debootstrap --variant=minbase bookworm $DEBIAN_MIRROR"
  } | sha
}

# Everything of the recipe but the stand-in werf script: rig/dev-standin.sh
# swaps only the script into the shared image when this label still matches,
# and builds a whole private image otherwise.
BASE_RECIPE_LABEL=werf-run.rig.base-recipe
werf_base_recipe_hash() {
  {
    cat "$RIG_ROOT/image/chroot-setup.sh" "$RIG_ROOT/image/registries.conf" "$RIG_ROOT/image/crane"
    printf '%s\n' "${WERF_IMPORT_CHANGES[@]}" "debootstrap --variant=minbase bookworm $DEBIAN_MIRROR"
  } | sha
}

# The debootstrap'ed base, cached as a tarball in the state dir.
ensure_base_tarball() {
  local tarball="$STATE/cache/bookworm-minbase.tar"
  [ -s "$tarball" ] && return 0
  command -v debootstrap >/dev/null || apt_install debootstrap
  local dir="$STATE/work/debootstrap"
  rm -rf "$dir"; mkdir -p "$dir" "$STATE/cache"
  log "debootstrap --variant=minbase bookworm (about 30 s; log: $STATE/debootstrap.log)"
  debootstrap --variant=minbase bookworm "$dir" "$DEBIAN_MIRROR" >"$STATE/debootstrap.log" 2>&1 \
    || { tail -n 20 "$STATE/debootstrap.log" >&2; die "debootstrap failed"; }
  tar --xattrs --xattrs-include='*' --numeric-owner -C "$dir" -cf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
  rm -rf "$dir"
}

_chroot_cleanup() {
  local root="$1"
  umount "$root/proc" 2>/dev/null || true
  umount "$root/tmp/rig-image" 2>/dev/null || true
}

# build_werf_image HASH [REF] [ROOT]: the stand-in image as REF (default: the
# shared $WERF_IMAGE), built in ROOT (default: the state's work dir).
build_werf_image() {
  local hash="$1" ref="${2:-$WERF_IMAGE}" root="${3:-$STATE/work/werf-root}"
  ensure_base_tarball
  log "building the werf stand-in image (chroot apt install of buildah & co; log: $STATE/werf-image.log)"
  _chroot_cleanup "$root"; rm -rf "$root"; mkdir -p "$root"
  tar --xattrs --xattrs-include='*' --numeric-owner -C "$root" -xf "$STATE/cache/bookworm-minbase.tar"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  mkdir -p "$root/tmp/rig-image"
  mount -t proc proc "$root/proc"
  mount --bind "$RIG_ROOT/image" "$root/tmp/rig-image"
  trap '_chroot_cleanup "'"$root"'"' EXIT
  local rc=0
  chroot "$root" /bin/bash /tmp/rig-image/chroot-setup.sh >"$STATE/werf-image.log" 2>&1 || rc=$?
  _chroot_cleanup "$root"; trap - EXIT
  [ "$rc" -eq 0 ] || { tail -n 30 "$STATE/werf-image.log" >&2; die "chroot setup of the werf image failed"; }
  rmdir "$root/tmp/rig-image"; : >"$root/etc/resolv.conf"

  local changes=() c
  for c in "${WERF_IMPORT_CHANGES[@]}" "LABEL $RECIPE_LABEL=$hash" "LABEL $BASE_RECIPE_LABEL=$(werf_base_recipe_hash)"; do changes+=(-c "$c"); done
  # --xattrs keeps the file capabilities of newuidmap/newgidmap.
  tar --xattrs --xattrs-include='*' --numeric-owner -C "$root" -c . \
    | docker import "${changes[@]}" - "$ref" >/dev/null
  rm -rf "$root"
}

ensure_werf_image() {
  local hash
  hash="$(werf_recipe_hash)"
  if [ "$(image_label "$WERF_IMAGE")" = "$hash" ]; then
    log "werf stand-in image is current (recipe $RECIPE_LABEL=${hash:0:12})"
  else
    build_werf_image "$hash"
  fi
  local id; id="$(docker image inspect -f '{{.Id}}' "$WERF_IMAGE")"

  # Local tags: one `docker images` call, retag only what differs.
  local have tag
  have="$(docker images --no-trunc --format '{{.Tag}} {{.ID}}' "$WERF_REPO_REF")"
  for tag in $(werf_tags); do
    grep -qx "$tag $id" <<<"$have" || docker tag "$id" "$WERF_REPO_REF:$tag"
  done

  # Registry: push the main tag once, then tag the same manifest server-side.
  push_if_needed "$WERF_IMAGE"
  local digest n=0
  digest="$(registry_digest "$REGISTRY" werf/werf "$WERF_MAIN_TAG")"
  [ -n "$digest" ] || die "registry has no werf/werf:$WERF_MAIN_TAG after the push"
  for tag in $(werf_tags); do
    [ "$(registry_digest "$REGISTRY" werf/werf "$tag")" = "$digest" ] && continue
    registry_copy_tag "$REGISTRY" werf/werf "$WERF_MAIN_TAG" "$tag"; n=$((n + 1))
  done
  [ "$n" -eq 0 ] || log "tagged $n werf/werf tags in $REGISTRY"

  # The auth registry: 2-stable and latest.
  local auth=(-u "$AUTH_USER:$AUTH_PASSWORD")
  docker tag "$id" "$AUTH_WERF_REPO_REF:${AUTH_WERF_TAGS[0]}"
  if [ "$(registry_digest "$AUTH_REGISTRY" werf/werf "${AUTH_WERF_TAGS[0]}" "${auth[@]}")" != "$digest" ]; then
    # A throwaway DOCKER_CONFIG: never touch ~/.docker.
    local cfg; cfg="$(mktemp -d)"
    log "docker login + push to $AUTH_REGISTRY (throwaway DOCKER_CONFIG)"
    (
      export DOCKER_CONFIG="$cfg"
      printf '%s' "$AUTH_PASSWORD" | docker login -u "$AUTH_USER" --password-stdin "$AUTH_REGISTRY" >/dev/null 2>&1 \
        || die "docker login $AUTH_REGISTRY failed"
      docker push -q "$AUTH_WERF_REPO_REF:${AUTH_WERF_TAGS[0]}" >/dev/null
    ) || { rm -rf "$cfg"; die "push to $AUTH_REGISTRY failed"; }
    rm -rf "$cfg"
  fi
  for tag in "${AUTH_WERF_TAGS[@]:1}"; do
    [ "$(registry_digest "$AUTH_REGISTRY" werf/werf "$tag" "${auth[@]}")" = "$digest" ] \
      || registry_copy_tag "$AUTH_REGISTRY" werf/werf "${AUTH_WERF_TAGS[0]}" "$tag" "${auth[@]}"
  done
}

# ---------------------------------------------------------------- fuse variant
# The stand-in plus a storage.conf with mount_program = fuse-overlayfs, built
# without network or BuildKit: docker create + docker cp + docker commit.
fuse_conf() { sed -e "s|@RUNROOT@|$1|" -e "s|@GRAPHROOT@|$2|" "$RIG_ROOT/image/storage-fuse.conf.in"; }

ensure_fuse_image() {
  local hash
  hash="$( { image_label "$WERF_IMAGE"; cat "$RIG_ROOT/image/storage-fuse.conf.in"; declare -f ensure_fuse_image fuse_conf; } | sha)"
  if [ "$(image_label "$FUSE_IMAGE")" != "$hash" ]; then
    log "building $FUSE_IMAGE"
    local tmp ctr
    tmp="$(mktemp -d)"
    # ~/.config/containers/storage.conf of each build user (what rootless
    # buildah reads), and /etc/containers/storage.conf for buildah as root.
    fuse_conf /run/containers/storage /var/lib/containers/storage >"$tmp/etc.conf"
    fuse_conf /var/tmp/containers-user-1000/containers /home/build/.local/share/containers/storage >"$tmp/build.conf"
    fuse_conf /var/tmp/containers-user-1001/containers /home/build1001/.local/share/containers/storage >"$tmp/build1001.conf"
    install -D -m 0644 "$tmp/etc.conf" "$tmp/etc/containers/storage.conf"
    install -D -m 0644 "$tmp/build.conf" "$tmp/home/build/.config/containers/storage.conf"
    install -D -m 0644 "$tmp/build1001.conf" "$tmp/home/build1001/.config/containers/storage.conf"
    ctr=werf-run-rig-fuse-build
    docker rm -f -v "$ctr" >/dev/null 2>&1 || true   # a leftover from an interrupted run
    docker create --name "$ctr" --network none "$WERF_IMAGE" /bin/bash >/dev/null
    tar --numeric-owner --owner=0 --group=0 -C "$tmp/etc" -c containers | docker cp - "$ctr:/etc" >/dev/null
    tar --numeric-owner --owner=1000 --group=1000 -C "$tmp/home/build" -c .config | docker cp - "$ctr:/home/build" >/dev/null
    tar --numeric-owner --owner=1001 --group=1001 -C "$tmp/home/build1001" -c .config | docker cp - "$ctr:/home/build1001" >/dev/null
    docker commit -c 'USER build' \
      -c 'LABEL werf-run.rig.note="werf-run test rig: the werf stand-in forced onto fuse-overlayfs"' \
      -c "LABEL $RECIPE_LABEL=$hash" "$ctr" "$FUSE_IMAGE" >/dev/null
    docker rm -v "$ctr" >/dev/null
    rm -rf "$tmp"
  fi
  push_if_needed "$FUSE_IMAGE"
}
