import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { collectBounded, describeLimit } from './bounded.js';
import { archiveTooBig } from './dockerode.js';

describe('collectBounded', () => {
  it('up to the limit: every byte, in order', async () => {
    const got = await collectBounded(Readable.from([Buffer.from('ab'), Buffer.from('cd')]), 4, () => new Error('too big'));
    expect(got.toString()).toBe('abcd');
  });

  it("one byte past the limit: the caller's error, the stream destroyed, nothing more read", async () => {
    let pulled = 0;
    const stream = Readable.from(
      (function* () {
        for (;;) {
          pulled++;
          yield Buffer.alloc(3);
        }
      })(),
    );
    await expect(collectBounded(stream, 7, () => new Error('too big'))).rejects.toThrow('too big');
    expect(stream.destroyed).toBe(true);
    expect(pulled).toBeLessThan(10);
  });
});

describe('the archive error', () => {
  it('names the path, the container, the limit and what to check', () => {
    const error = archiveTooBig('0123456789abcdef', '/etc/passwd', 16 << 20);
    expect(error.message).toBe(
      "reading /etc/passwd from container 0123456789ab: the engine sent more than 16 MiB, werf-run's limit for it",
    );
    expect(error.remedy).toMatch(/what the image or volume holds at \/etc\/passwd.*DOCKER_HOST/);
    expect(describeLimit(256 << 20)).toBe('256 MiB');
    expect(describeLimit(1536)).toBe('1536 bytes');
    expect(describeLimit(2048)).toBe('2 KiB');
  });
});
