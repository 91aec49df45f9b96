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
    const digest = `sha256:${'ab'.repeat(32)}`;
    expect(resolveImageRef(image({ reference: `my/werf@${digest}` }))).toBe(`my/werf@${digest}`);
    expect(resolveImageRef(image({ reference: '127.0.0.1:5000/werf/werf:2-stable-alpine' }))).toBe(
      '127.0.0.1:5000/werf/werf:2-stable-alpine',
    );
  });
  it('takes a digest alone from image.repository', () => {
    const digest = `sha256:${'0f'.repeat(32)}`;
    expect(resolveImageRef(image({ reference: digest, repository: 'registry.werf.io/werf/werf' }))).toBe(
      `registry.werf.io/werf/werf@${digest}`,
    );
  });
  it('rejects a malformed reference, repository or version (exit 2)', () => {
    for (const bad of [
      { reference: 'Ghcr.io/Werf/werf:2' },
      { reference: 'werf:two words' },
      { reference: 'w@sha256:abc' },
      { repository: 'ghcr.io/werf/werf:2' },
      { version: '2.x' },
    ]) {
      expect(() => resolveImageRef(image(bad)), JSON.stringify(bad)).toThrow(
        expect.objectContaining({ exitCode: 2, message: expect.stringMatching(/not a valid|not a werf version/) }),
      );
    }
  });
  it('rejects a reference together with a version', () => {
    expect(() => resolveImageRef(image({ reference: 'a/b:1', version: '2.1.0' }))).toThrow(/both set/);
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

describe('resolveImageRef names what the user typed', () => {
  it('a bad --image names the flag, not image.reference', () => {
    const name = (key: string) => (key === 'image.reference' ? '--image' : key);
    expect(() => resolveImageRef(image({ reference: 'bad ref!!' }), name)).toThrow(/^--image "bad ref!!" is not a valid image reference$/);
  });
});
