import { describe, expect, it } from 'vitest';
import { handover, readHost, type HostReader } from './handover.js';

type Input = { werfArgs: readonly string[]; tag: string };

describe('readHost', () => {
  it('runs the readers in order and merges their parts: lists concatenated, a later variable wins', async () => {
    const first: HostReader<Input> = () =>
      handover({
        files: [{ path: '/a', content: Buffer.from('a'), mode: 0o600 }],
        env: { X: '1', Y: '1' },
        dropEnv: ['D1'],
        notes: ['first'],
      });
    const second: HostReader<Input> = async (input) =>
      handover({
        mounts: [{ source: '/s', target: '/t' }],
        env: { Y: input.tag },
        dropEnv: ['D2'],
        notes: ['second'],
        warnings: ['careful'],
      });
    const merged = await readHost([first, second], { werfArgs: ['build'], tag: '2' });
    expect(merged.files.map((f) => f.path)).toEqual(['/a']);
    expect(merged.mounts).toEqual([{ source: '/s', target: '/t' }]);
    expect(merged.env).toEqual({ X: '1', Y: '2' });
    expect(merged.dropEnv).toEqual(['D1', 'D2']);
    expect(merged.notes).toEqual(['first', 'second']);
    expect(merged.warnings).toEqual(['careful']);
    expect(merged.werfArgs).toBeUndefined();
  });

  it("gives each reader werf's arguments as the readers before it left them", async () => {
    const seen: (readonly string[])[] = [];
    const rewrite: HostReader<Input> = (input) => {
      seen.push(input.werfArgs);
      return handover({ werfArgs: [...input.werfArgs, '--kube-config=/home/build/.kube/config'] });
    };
    const look: HostReader<Input> = (input) => {
      seen.push(input.werfArgs);
      return handover();
    };
    const merged = await readHost([look, rewrite, look], { werfArgs: ['converge'], tag: '' });
    expect(seen).toEqual([['converge'], ['converge'], ['converge', '--kube-config=/home/build/.kube/config']]);
    expect(merged.werfArgs).toEqual(['converge', '--kube-config=/home/build/.kube/config']);
  });
});
