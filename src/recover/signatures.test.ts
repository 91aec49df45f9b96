import { describe, expect, it } from 'vitest';
import { classify } from './signatures.js';

// Lines as werf and buildah print them (werf's docs and the test rig).
describe('classify', () => {
  it.each([
    ['Error during unshare(CLONE_NEWUSER): Operation not permitted', 'userns-denied'],
    ["using mount program /usr/bin/fuse-overlayfs: fuse: device not found, try 'modprobe fuse' first", 'fuse-not-in-container'],
    ['fuse: failed to open /dev/fuse: Permission denied', 'fuse-permission'],
    [
      'Error: unable to get buildah client: unable to create new Buildah instance with mode "native-rootless": unable to get storage: mount /home/build/.local/share/containers/storage/overlay:/home/build/.local/share/containers/storage/overlay, flags: 0x1000: permission denied',
      'mount-denied',
    ],
    ['error gathering device information while adding custom device "/dev/fuse": no such file or directory', 'fuse-missing-on-host'],
  ])('%s -> %s', (line, id) => {
    expect(classify(line)?.id).toBe(id);
  });
  it('ignores ordinary output', () => {
    expect(classify('STEP 2/3: RUN echo fuse: device not found')).toBeUndefined();
  });
});
