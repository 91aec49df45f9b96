import { describe, expect, it } from 'vitest';
import { dockerConfigFlag, inputPaths } from './input-paths.js';

const base = { env: {}, cwd: '/p/sub', projectRoot: '/p', home: '/home/build' };
const IN = '/home/build/.werf-run/inputs';

describe('input files werf reads on this host', () => {
  it.each([
    ['values inside the project: as is', ['render', '--values', 'v.yaml'], ['render', '--values', 'v.yaml'], []],
    ['values outside: the copy', ['render', '--values', '/etc/v.yaml'], ['render', '--values', `${IN}/1-v.yaml`], ['/etc/v.yaml']],
    ['relative outside, = form', ['render', '--values=../../o/v.yaml'], ['render', `--values=${IN}/1-v.yaml`], ['/o/v.yaml']],
    ['a values URL: as is', ['render', '--values', 'https://h/v.yaml'], ['render', '--values', 'https://h/v.yaml'], []],
    [
      'repeated, the same file once',
      ['render', '--values', '/a/v.yaml', '--secret-values', '/b/s.yaml', '--values', '/a/v.yaml'],
      ['render', '--values', `${IN}/1-v.yaml`, '--secret-values', `${IN}/2-s.yaml`, '--values', `${IN}/1-v.yaml`],
      ['/a/v.yaml', '/b/s.yaml'],
    ],
    [
      'set-file pairs: only the outside path',
      ['render', '--set-file', 'a=/x/a.txt,b=in.txt'],
      ['render', '--set-file', `a=${IN}/1-a.txt,b=in.txt`],
      ['/x/a.txt'],
    ],
    [
      'the same file as values and secret values: two copies',
      ['render', '--values', '/a/v.yaml', '--secret-values', '/a/v.yaml'],
      ['render', '--values', `${IN}/1-v.yaml`, '--secret-values', `${IN}/2-v.yaml`],
      ['/a/v.yaml', '/a/v.yaml'],
    ],
    ['ssh key', ['build', '--ssh-key', '/keys/id'], ['build', '--ssh-key', `${IN}/1-id`], ['/keys/id']],
    ['directory flags dropped', ['build', '--docker-config', '/d', '--home-dir=/h', '--tmp-dir', '/t', 'app'], ['build', 'app'], []],
    ['after --: untouched', ['helm', '--', '--values', '/etc/v.yaml'], ['helm', '--', '--values', '/etc/v.yaml'], []],
    ['a flag without a value: untouched', ['render', '--values'], ['render', '--values'], []],
  ])('%s', (_, werfArgs, expected, hosts) => {
    const out = inputPaths({ ...base, werfArgs });
    expect(out.werfArgs).toEqual(expected);
    expect(out.files.map((f) => f.host)).toEqual(hosts);
  });

  it('secret values and ssh keys are secret, values are not', () => {
    const out = inputPaths({
      ...base,
      werfArgs: ['x', '--values', '/a', '--secret-values', '/b', '--ssh-key', '/c', '--set-file', 'k=/d'],
    });
    expect(out.files.map((f) => [f.via, f.secret])).toEqual([
      ['--values', false],
      ['--secret-values', true],
      ['--ssh-key', true],
      ['--set-file', false],
    ]);
  });

  it('rewrites the WERF_* variables, leaves inside paths and other variables alone', () => {
    const out = inputPaths({
      ...base,
      werfArgs: ['render'],
      env: {
        WERF_VALUES_1: '/o/v.yaml',
        WERF_VALUES_2: '.helm/v2.yaml',
        WERF_SECRET_VALUES_DB: '/o/db.yaml',
        WERF_SET_FILE_1: 'k=/o/k.txt',
        WERF_SET_STRING_1: 'k=/o/k.txt',
      },
    });
    expect(out.env).toEqual({
      WERF_VALUES_1: `${IN}/1-v.yaml`,
      WERF_SECRET_VALUES_DB: `${IN}/2-db.yaml`,
      WERF_SET_FILE_1: `k=${IN}/3-k.txt`,
    });
    expect(out.files[1]).toMatchObject({ via: 'WERF_SECRET_VALUES_DB', secret: true });
  });

  it('notes say what was handed in or dropped', () => {
    const out = inputPaths({ ...base, werfArgs: ['build', '--values', '/o/v.yaml', '--home-dir', '/h'] });
    expect(out.notes).toEqual([
      `--values /o/v.yaml: outside the project, handed to werf as ${IN}/1-v.yaml (mode 0644)`,
      '--home-dir /h not passed: in the container werf keeps its home and temporary files in the werf-run volumes',
    ]);
  });
});

describe("dockerConfigFlag: the directory werf's --docker-config names", () => {
  it.each([
    ['absent', ['build'], undefined],
    ['separate value', ['build', '--docker-config', '/d'], '/d'],
    ['= form, relative to the working dir', ['build', '--docker-config=../cfg'], '/p/cfg'],
    ['the last one wins (cobra)', ['build', '--docker-config', '/a', '--docker-config=/b'], '/b'],
    ["after -- is not werf's", ['kubectl', '--', '--docker-config', '/d'], undefined],
    ['no value', ['build', '--docker-config'], undefined],
  ])('%s', (_, args, expected) => {
    expect(dockerConfigFlag(args, '/p/sub')).toBe(expected);
  });
});
