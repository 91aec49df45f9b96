/**
 * The start-up machinery that changes a library (CONTRIBUTING.md, "Start-up
 * machinery"): docker-modem's eager per-request debug statement, guarded by
 * patches/docker-modem+<version>.patch, which patch-package applies on npm ci.
 * These fail when docker-modem changes under the patch (a new version, or an
 * install that skipped it), so the patch is reviewed rather than lost.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const modem = path.join(root, 'node_modules', 'docker-modem');

describe("docker-modem's patch (patches/)", () => {
  const patches = readdirSync(path.join(root, 'patches')).filter((name) => name.startsWith('docker-modem+'));

  it('is made for the docker-modem installed', () => {
    const { version } = JSON.parse(readFileSync(path.join(modem, 'package.json'), 'utf8')) as { version: string };
    expect(patches, 'docker-modem changed version: check its lib/modem.js and renew the patch (npx patch-package docker-modem)').toEqual([
      `docker-modem+${version}.patch`,
    ]);
  });

  it('is applied: every line it adds is in the installed file, and the unguarded statement is gone', () => {
    const patch = readFileSync(path.join(root, 'patches', patches[0]!), 'utf8');
    const installed = readFileSync(path.join(modem, 'lib', 'modem.js'), 'utf8');
    const added = patch
      .split('\n')
      .filter((line) => line.startsWith('+') && !line.startsWith('+++'))
      .map((line) => line.slice(1));
    expect(added).toEqual(["  if (debug.enabled) debug('Sending: %s', util.inspect(options, {"]);
    for (const line of added) expect(installed.split('\n')).toContain(line);
    expect(installed.match(/debug\('Sending: %s'/g)).toHaveLength(1);
  });
});
