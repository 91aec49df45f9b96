import { describe, expect, it } from 'vitest';
import { werfCommandName, werfFailedLine } from './werf-exit.js';

describe("the line after werf's own failure", () => {
  it("names werf's command, its exit code and the mode, so werf's 125 is not read as werf-run's", () => {
    expect(werfFailedLine(['build', '--repo', 'r.example/app'], 125, 'native')).toBe(
      "werf-run: werf build exited with code 125 in mode native (werf's own exit code, passed through; werf-run itself did not fail)\n",
    );
  });

  it("names the command words only, never werf's options (they may hold secrets)", () => {
    expect(werfCommandName(['host', 'cleanup', '--dry-run'])).toBe('werf host cleanup');
    expect(werfCommandName(['cr', 'login', '--password', 'pw', 'r.example'])).toBe('werf cr login');
    expect(werfCommandName(['--help'])).toBe('werf');
    expect(werfCommandName(['sh', 'echo x; exit 3'])).toBe('werf sh');
  });
});
