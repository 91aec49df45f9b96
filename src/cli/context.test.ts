import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { hostOf } from './context.js';

describe('hostOf', () => {
  it("takes the context's home, platform and user, and the CI kind from its environment", () => {
    const host = hostOf({
      env: { CI: 'true', GITLAB_CI: 'true' },
      home: '/home/ci',
      platform: 'darwin',
      user: { uid: 1001, username: 'runner' },
    });
    expect({ home: host.home, platform: host.platform, user: host.user, ci: host.ci }).toEqual({
      home: '/home/ci',
      platform: 'darwin',
      user: { uid: 1001, username: 'runner' },
      ci: { isCI: true, vendor: 'gitlab' },
    });
  });

  it("falls back to the process's own home and user when the context does not say (the platform it always gives)", () => {
    const host = hostOf({ env: {}, platform: process.platform });
    expect([host.home, host.platform, host.user.uid, host.ci.isCI]).toEqual([os.homedir(), process.platform, os.userInfo().uid, false]);
  });
});
