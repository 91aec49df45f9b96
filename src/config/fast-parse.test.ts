import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseWithJsonSchema } from './fast-parse.js';
import { configJsonSchema } from './keys.js';
import { configSchema } from './schema.js';

const example = JSON.parse(readFileSync(new URL('../../werfrunrc.example.json', import.meta.url), 'utf8')) as unknown;
const fast = (value: unknown) => parseWithJsonSchema(configJsonSchema(), value);

describe('the config checked without zod', () => {
  it.each([
    ['nothing (all defaults)', {}],
    ['the example file (every key)', example],
    [
      'a bench-like project file',
      { network: 'host', image: { reference: 'r/werf:1', pull: 'never' }, volumes: { storage: 'bench-storage', werfHome: 'bench-home' } },
    ],
    ['a partial nested object keeps the other defaults', { image: { channel: 'ea' }, detect: { probe: false } }],
    [
      'mounts with and without readOnly',
      {
        mounts: [
          { source: './a', target: '/a' },
          { source: 'b', target: '/b', readOnly: false },
        ],
      },
    ],
    ['env.set and env.pass', { env: { set: { A: '1' }, pass: ['X_*'] } }],
    ['bounds at their edges', { maxAttempts: 5, engine: { timeoutMs: 1 }, detect: { apparmorRestrictUserns: 1, maxUserNamespaces: 0 } }],
    ['every mode', { mode: 'privileged', allowPrivileged: true }],
    ['volume names as the daemon allows them', { volumes: { storage: 'a1', werfHome: 'Cache_2.x-y' } }],
    ['a user name', { user: 'build' }],
    ['a uid and gid', { user: '1001:1001' }],
    ['a user and group in capitals, a machine account', { user: 'Build:Staff' }],
    ['a machine account and a group', { user: 'host$:wheel' }],
    ['ciEnv and the forwards', { ciEnv: 'gitlab', forward: { dockerConfig: false, kubeConfig: true, sshAgent: false } }],
  ])('a valid config gives exactly what zod gives: %s', (_name, input) => {
    expect(fast(input)).toEqual(configSchema.parse(input));
  });

  it.each([
    ['an unknown key', { colour: 'blue' }],
    ['an unknown nested key', { image: { tag: 'x' } }],
    ['a wrong type', { maxAttempts: '3' }],
    ['a float for an integer', { maxAttempts: 2.5 }],
    ['out of bounds', { maxAttempts: 9 }],
    ['zero for a positive number', { engine: { timeoutMs: 0 } }],
    ['a value outside the enum', { mode: 'turbo' }],
    ['an empty string where one is required', { network: '' }],
    ['a relative mount target', { mounts: [{ source: 'a', target: 'rel' }] }],
    ['a mount without its source', { mounts: [{ target: '/a' }] }],
    ['a list where an object goes', { image: [] }],
    ['null', null],
    ['a non-string in env.set', { env: { set: { A: 1 } } }],
    ['NaN', { maxAttempts: Number.NaN }],
    ['a one-letter volume name', { volumes: { storage: 'a' } }],
    ['a volume name with a slash', { volumes: { werfHome: 'a/b' } }],
    ['a volume name starting with a dot', { volumes: { storage: '.cache' } }],
    ['a user with a space', { user: 'build user' }],
    ['an empty user', { user: '' }],
    ['a user with two colons', { user: 'a:b:c' }],
    ['a group without a user', { user: ':staff' }],
    ['a ciEnv outside the enum', { ciEnv: 'jenkins' }],
  ])('an invalid config is left to zod (which rejects it too): %s', (_name, input) => {
    expect(fast(input)).toBeUndefined();
    expect(configSchema.safeParse(input).success).toBe(false);
  });

  it('a schema keyword it does not know makes it unsure, never lenient', () => {
    expect(
      parseWithJsonSchema(
        { type: 'object', properties: { a: { type: 'string', oneOf: [] } as never }, additionalProperties: false },
        { a: 'x' },
      ),
    ).toBeUndefined();
    expect(parseWithJsonSchema({ type: 'string', format: 'email' } as never, 'x')).toBeUndefined();
  });

  it('defaults are copies: changing a result never changes the next one', () => {
    const first = fast({}) as { mounts: unknown[] };
    first.mounts.push('x');
    expect((fast({}) as { mounts: unknown[] }).mounts).toEqual([]);
  });
});
