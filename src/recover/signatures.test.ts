import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classify, type FailureId } from './signatures.js';

/** A fixture's output lines (a first line starting with "# " says where the text comes from when it was not recorded on the rig). */
const fixture = (name: string): string =>
  readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .filter((line) => !line.startsWith('# '))
    .join('\n');

/** The first signature matched line by line, as runAttempt watches the output. */
function firstMatch(text: string): FailureId | undefined {
  for (const line of text.split(/\r?\n/)) {
    const match = classify(line);
    if (match) return match.id;
  }
  return undefined;
}

// Real outputs recorded on the rig (fixtures/README.md says how each was produced).
describe('classify against recorded rig output', () => {
  it.each([
    ['userns-denied.txt', 'userns-denied'],
    ['fuse-not-in-container.txt', 'fuse-not-in-container'],
    ['fuse-permission.txt', 'fuse-permission'],
    ['fuse-permission-privileged.txt', 'fuse-permission'],
    ['fuse-missing-privileged.txt', 'fuse-not-in-container'],
    ['fuse-missing-on-host-cli.txt', 'fuse-missing-on-host'],
    // The same error line whatever the cause; the probe's idRange tells them apart (decide.ts).
    ['single-mapping.txt', 'ids-insufficient'],
    ['ids-insufficient-rootless-docker.txt', 'ids-insufficient'],
    ['ids-insufficient-rootless-podman.txt', 'ids-insufficient'],
    ['native-rootless-refused.txt', 'native-rootless-refused'],
    ['exec-format-error.txt', 'exec-format'],
    ['registry-ca-unknown.txt', 'registry-ca-unknown'],
    ['worktree-denied.txt', 'worktree-denied'],
    ['secret-key-missing.txt', 'secret-key-missing'],
  ])('%s -> %s', (file, id) => {
    expect(firstMatch(fixture(file))).toBe(id);
  });

  it('matches the Engine API error of starting a container with a missing device', () => {
    const body = JSON.parse(fixture('fuse-missing-on-host-api.json')) as { message: string };
    expect(classify(body.message)?.id).toBe('fuse-missing-on-host');
  });

  it('does not stop a build at the single-mapping warning alone (it may still succeed)', () => {
    expect(
      classify(
        'time="2026-11-27T04:34:12Z" level=warning msg="Error running newuidmap: exit status 1: newuidmap: write to uid_map failed: Operation not permitted\\n"',
      ),
    ).toBeUndefined();
  });

  it('finds nothing in a successful build', () => {
    expect(firstMatch(fixture('fuse-ok.txt'))).toBeUndefined();
  });
});

// Outputs the rig cannot produce; each fixture's first line says where its text comes from.
describe('classify against fixtures not recorded on the rig', () => {
  it.each([
    ['userns-limit-enospc.txt', 'userns-limit'],
    ['userns-limit-einval.txt', 'userns-limit'],
    ['uid-map-apparmor.txt', 'apparmor-userns'],
    ['setgroups-single-mapping.txt', 'newuidmap-failed'],
    ['fuse-overlayfs-missing.txt', 'fuse-overlayfs-missing'],
    ['registry-rate-limit.txt', 'registry-rate-limit'],
    ['mount-denied-eperm.txt', 'mount-denied'],
    ['cluster-unreachable.txt', 'cluster-unreachable'],
  ])('%s -> %s', (file, id) => {
    expect(readFileSync(new URL(`./fixtures/${file}`, import.meta.url), 'utf8')).toMatch(/^# Not recorded: /);
    expect(firstMatch(fixture(file))).toBe(id);
  });

  it('names both AppArmor sysctls for the Ubuntu 23.10+/24.04 uid_map failure', () => {
    const remedy = classify('error writing "0 1000 1\\n" to /proc/7/uid_map: write /proc/7/uid_map: operation not permitted')?.remedy;
    expect(remedy).toContain('kernel.apparmor_restrict_unprivileged_userns=0');
    expect(remedy).toContain('kernel.apparmor_restrict_unprivileged_unconfined=0');
  });
});

// Lines from werf-facts.md that the rig's kernel cannot produce.
describe('classify, signatures not reproducible on the rig', () => {
  it.each([
    [
      'Error: unable to get buildah client: unable to create new Buildah instance with mode "native-rootless": unable to get storage: mount /home/build/.local/share/containers/storage/overlay:/home/build/.local/share/containers/storage/overlay, flags: 0x1000: permission denied',
      'mount-denied',
    ],
    ["'overlay' is not supported over overlayfs, a mount_program is required", 'overlay-on-overlay'],
    ['error setting supplemental groups list: operation not permitted', 'newuidmap-failed'],
    ['User namespaces are not enabled in /proc/sys/kernel/unprivileged_userns_clone', 'userns-disabled'],
  ])('%s -> %s', (line, id) => {
    expect(classify(line)?.id).toBe(id);
  });
  it('ignores ordinary output', () => {
    expect(classify('STEP 2/3: RUN echo fuse: device not found')).toBeUndefined();
  });
});
