import { describe, expect, it } from 'vitest';
import { archiveEntries } from './files.js';
import { subIdFiles } from './id-files.js';

describe('subIdFiles', () => {
  it("root-owned 0644 /etc/subuid and /etc/subgid with the user's lines only", () => {
    const files = subIdFiles({
      user: 'build',
      subuid: [
        { start: 1, count: 999 },
        { start: 1001, count: 64536 },
      ],
      subgid: [{ start: 1, count: 999 }],
    });
    expect(files.map((f) => [f.path, f.content.toString(), f.mode, f.uid, f.gid])).toEqual([
      ['/etc/subuid', 'build:1:999\nbuild:1001:64536\n', 0o644, 0, 0],
      ['/etc/subgid', 'build:1:999\n', 0o644, 0, 0],
    ]);
    // /etc goes into the archive as root's 0755, as it is in the image.
    expect(archiveEntries(files, ['/home/build', '/tmp'])[0]).toEqual({ type: 'directory', name: 'etc', mode: 0o755, uid: 0, gid: 0 });
  });
  it('nothing without an adaptation', () => {
    expect(subIdFiles(undefined)).toEqual([]);
  });
});
