import { describe, expect, it } from 'vitest';
import { outputDirs, outputPathsIn } from './output-paths.js';

describe('output paths werf writes', () => {
  it('finds the flags in both forms and the variables', () => {
    expect(outputPathsIn(['build', '--build-report-path', '/o/r.json', '--output=x.yaml'], { WERF_DEPLOY_REPORT_PATH: '/d/r' })).toEqual([
      '/o/r.json',
      'x.yaml',
      '/d/r',
    ]);
  });
  it('mounts a directory outside the project, writable; inside it nothing; a missing dir or a remote engine warns', () => {
    const base = { env: {}, cwd: '/p/sub', projectRoot: '/p', engineLocal: true, isDir: (d: string) => d !== '/missing' };
    expect(outputDirs({ ...base, werfArgs: ['build', '--build-report-path', 'r.json'] }).mounts).toEqual([]);
    expect(outputDirs({ ...base, werfArgs: ['build', '--build-report-path', '/out/r.json'] }).mounts).toEqual([
      { source: '/out', target: '/out', writable: true },
    ]);
    expect(outputDirs({ ...base, werfArgs: ['render', '--output', '../../elsewhere/m.yaml'] }).mounts).toEqual([
      { source: '/elsewhere', target: '/elsewhere', writable: true },
    ]);
    expect(outputDirs({ ...base, werfArgs: ['build', '--build-report-path', '/missing/r.json'] }).warnings[0]).toContain(
      '/missing does not exist',
    );
    expect(outputDirs({ ...base, engineLocal: false, werfArgs: ['build', '--build-report-path', '/out/r.json'] })).toMatchObject({
      mounts: [],
    });
  });
});
