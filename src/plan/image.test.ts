import { describe, expect, it } from 'vitest';
import { configSchema } from '../config/schema.js';
import { resolveImageRef } from './image.js';

const image = (over: Record<string, unknown>) => configSchema.parse({ image: over }).image;

describe('resolveImageRef', () => {
  it('defaults to the current stable group on alpine', () => {
    expect(resolveImageRef(image({}))).toBe('ghcr.io/werf/werf:2-stable-alpine');
  });
  it('follows group, channel, distro and repository', () => {
    expect(resolveImageRef(image({ group: '1.2', channel: 'ea', distro: 'ubuntu', repository: 'registry.werf.io/werf/werf' }))).toBe(
      'registry.werf.io/werf/werf:1.2-ea-ubuntu',
    );
  });
  it('turns a version into its tag, "+" becoming "."', () => {
    expect(resolveImageRef(image({ version: 'v2.10.3+fix1', distro: 'fedora' }))).toBe('ghcr.io/werf/werf:2.10.3.fix1-fedora');
  });
  it('takes a full reference as it is', () => {
    expect(resolveImageRef(image({ reference: 'my/werf@sha256:abc' }))).toBe('my/werf@sha256:abc');
  });
  it('rejects a channel the group does not publish, listing the valid ones', () => {
    let error: unknown;
    try {
      resolveImageRef(image({ group: '3', channel: 'stable' }));
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ message: expect.stringMatching(/"stable" is not published for image.group "3"/), exitCode: 2 });
    expect((error as { remedy: string }).remedy).toContain('3: dev');
  });
});
