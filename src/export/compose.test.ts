import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { specFor } from '../../test/export-fixture.js';
import { renderCompose } from './compose.js';

const parsed = (text: string) =>
  parse(text) as { services: Record<string, Record<string, unknown>>; volumes: Record<string, { name: string }> };

describe('renderCompose', () => {
  it('is YAML with one service named after the project, and the shared cache volumes by name', () => {
    const doc = parsed(renderCompose(specFor()));
    const service = doc.services['werf-hello'];
    expect(service).toMatchObject({
      image: 'ghcr.io/werf/werf:2-stable-alpine',
      command: ['werf', 'build', '--repo', 'registry.example/app'],
      user: 'build',
      working_dir: '/workspace',
      security_opt: ['seccomp=unconfined', 'apparmor=unconfined'],
      environment: ['CI', 'GITHUB_TOKEN', 'WERF_REPO'],
    });
    expect(service?.devices).toBeUndefined();
    expect(service?.privileged).toBeUndefined();
    expect(service?.volumes).toEqual([
      { type: 'bind', source: '.', target: '/workspace' },
      { type: 'volume', source: 'buildah-storage', target: '/home/build/.local/share/containers' },
      { type: 'volume', source: 'werf-home', target: '/home/build/.werf' },
    ]);
    expect(doc.volumes).toEqual({ 'buildah-storage': { name: 'werf-run-buildah-storage' }, 'werf-home': { name: 'werf-run-werf-home' } });
  });

  it('fuse lists the device; privileged sets privileged and userns_mode under remap; network is kept', () => {
    expect(parsed(renderCompose(specFor({ mode: 'fuse' }))).services['werf-hello']?.devices).toEqual(['/dev/fuse']);
    const privileged = parsed(renderCompose(specFor({ mode: 'privileged', usernsRemap: true, config: { network: 'host' } }))).services[
      'werf-hello'
    ];
    expect(privileged).toMatchObject({ privileged: true, userns_mode: 'host', network_mode: 'host' });
    expect(privileged?.security_opt).toBeUndefined();
  });
});
