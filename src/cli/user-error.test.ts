import { describe, expect, it } from 'vitest';
import { WerfRunError } from '../errors.js';
import { unknownUserError } from './user-error.js';

describe('a user the werf image does not have', () => {
  const engine = (text: string) => new WerfRunError(`starting the werf container on unix:///var/run/docker.sock failed: ${text}`);

  it("turns the engine's passwd error into a config error naming the key, exit 2", () => {
    const error = unknownUserError(
      engine('unable to find user nosuchuser: no matching entries in passwd file'),
      'nosuchuser',
      'user',
      'r/werf:2',
    );
    expect(error).toMatchObject({
      exitCode: 2,
      message: 'user is "nosuchuser": the werf image r/werf:2 has no user "nosuchuser" (not in its /etc/passwd)',
      remedy:
        "set user to a user of the image's /etc/passwd, by name or uid (build, uid 1000; build1001, uid 1001, for GitHub Actions), or leave it unset",
    });
    expect(
      unknownUserError(
        engine('unable to find group wheel2: no matching entries in group file'),
        'build:wheel2',
        'WERF_RUN_USER (user)',
        'i',
      )?.message,
    ).toBe('WERF_RUN_USER (user) is "build:wheel2": the werf image i has no group "wheel2" (not in its /etc/group)');
  });

  it('leaves every other failure alone, and a run without a user setting', () => {
    expect(unknownUserError(engine('OCI runtime create failed'), 'x', 'user', 'i')).toBeUndefined();
    expect(unknownUserError(engine('unable to find user x: no matching entries in passwd file'), undefined, 'user', 'i')).toBeUndefined();
  });
});
