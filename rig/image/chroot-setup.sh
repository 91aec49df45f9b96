#!/bin/bash
# Runs INSIDE the debootstrap'ed bookworm chroot (as root) and turns it into a
# root filesystem that honours werf's image contract (see
# /work/shared/notes/werf-facts.md) around Debian's real buildah.
# Part of the werf stand-in image's recipe hash: editing it triggers a rebuild.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive LC_ALL=C

# No daemons may start inside the chroot.
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d

apt-get update -qq
# buildah cannot be installed by debootstrap --include (a missing virtual
# package); installing it afterwards works.
apt-get install -y -qq --no-install-recommends \
  buildah fuse-overlayfs uidmap containernetworking-plugins ca-certificates libcap2-bin git \
  skopeo docker-registry
apt-get clean
rm -rf /var/lib/apt/lists/* /usr/sbin/policy-rc.d

# Users: build (uid 1000, the image's USER) and build1001 (uid 1001, as GitHub
# Actions container jobs run), with non-overlapping subordinate id ranges.
id build >/dev/null 2>&1 || useradd -m -u 1000 -U -s /bin/bash build
id build1001 >/dev/null 2>&1 || useradd -m -u 1001 -U -s /bin/bash build1001
printf 'build:100000:65536\nbuild1001:165536:65536\n' >/etc/subuid
printf 'build:100000:65536\nbuild1001:165536:65536\n' >/etc/subgid

# newuidmap/newgidmap with file capabilities instead of the setuid bit, as
# werf's images do: with setuid alone, writing uid_map fails in a container.
setcap cap_setuid+ep /usr/bin/newuidmap
setcap cap_setgid+ep /usr/bin/newgidmap
chmod u-s /usr/bin/newuidmap /usr/bin/newgidmap

for u in build build1001; do
  mkdir -p "/home/$u/.local/share/containers" "/home/$u/.werf"
  chown -R "$u:$u" "/home/$u"
done

git config --system safe.directory '*'

install -m 0644 /tmp/rig-image/registries.conf /etc/containers/registries.conf
install -m 0755 /tmp/rig-image/werf /usr/local/bin/werf

# werf's published images have werf, sh, git, fuse-overlayfs and crane, but no
# buildah, skopeo or registry command (werf/werf
# scripts/werf-in-image/dockerfile/werf/alpine.Dockerfile). The stand-in's
# helpers therefore live off PATH: the stand-in werf adds this dir to its own
# PATH (buildah is embedded in the real werf), the crane shim calls its two by
# path, and anything else (werf-run's --load helper) finds none of them.
mkdir -p /usr/libexec/werf-run-standin
mv /usr/bin/buildah /usr/bin/skopeo /usr/bin/docker-registry /usr/libexec/werf-run-standin/
install -m 0755 /tmp/rig-image/crane /usr/local/bin/crane
