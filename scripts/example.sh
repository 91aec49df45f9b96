#!/usr/bin/env bash
# `npm run example`: a real `werf-run build` of examples/hello.
#
# werf writes into the checkout it builds (a `git worktree add` in its .git,
# build reports), so werf-run runs werf as the checkout's owner. A clone made
# by root (CI, this project's machines) belongs to root: the one case werf-run
# stops for, asking for a chown (docs/troubleshooting.md). Rather than chown
# your clone, the example builds a copy of examples/hello in its own git
# repository, owned like a laptop user's checkout (uid 1000 when run as root,
# else you), and removes it afterwards.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$(mktemp -d "${TMPDIR:-/tmp}/werf-run-example-XXXXXX")"
trap 'rm -rf "$dir"' EXIT
cp -a "$root/examples/hello/." "$dir/"
cd "$dir"
git init -q
git add -A
git -c user.name=werf-run-example -c user.email=example@localhost commit -qm "examples/hello"
if [ "$(id -u)" = 0 ]; then
  chown -R 1000:1000 "$dir"
fi
echo "werf-run example: building a copy of examples/hello in $dir" >&2
# The example's config names the rig's werf image and the host network: grants a cloned
# repository's config needs your consent for (examples/hello/README.md).
node "$root/bin/werf-run.cjs" --trust-project-config build
