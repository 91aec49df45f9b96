import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLUSTER_COMMANDS, clusterNeed, clusterRow } from './cluster-commands.js';

/** werf's command list (scripts/werf-commands.js over werf's CLI reference). */
const snapshot = JSON.parse(readFileSync(new URL('./fixtures/werf-commands.json', import.meta.url), 'utf8')) as {
  werf: string;
  commands: { command: string; kubeFlags: boolean; synchronization: boolean; withoutKube: boolean }[];
};

describe('the table of werf commands that contact a cluster', () => {
  it('has a row for every command of werf (exact, or a row that covers its subtree): a new werf command cannot be missed', () => {
    const missing = snapshot.commands.filter(({ command }) => {
      const row = clusterRow(command ? command.split(' ') : []);
      return !row || (row.command !== command && !row.subtree);
    });
    expect(missing.map((m) => m.command)).toEqual([]);
    expect(snapshot.commands.length).toBeGreaterThan(200);
  });

  it('has no row for a command werf does not have', () => {
    const names = new Set(snapshot.commands.map((c) => c.command));
    expect(CLUSTER_COMMANDS.filter((r) => !names.has(r.command) && !r.hidden).map((r) => r.command)).toEqual([]);
  });

  it('says a command reads a kubeconfig only where werf gives it a way to (kube flags or --synchronization)', () => {
    for (const { command, kubeFlags, synchronization } of snapshot.commands) {
      const use = clusterNeed(command ? command.split(' ') : [], {}).use;
      if (!kubeFlags && !synchronization) expect([command, use]).toEqual([command, 'none']);
    }
  });

  it('every command with --synchronization contacts the cluster with kubernetes://, by flag or variable', () => {
    for (const { command, synchronization } of snapshot.commands.filter((c) => c.synchronization)) {
      const words = command.split(' ');
      expect([command, clusterNeed([...words, '--synchronization', 'kubernetes://ns'], {}).use]).toEqual([command, 'cluster']);
      expect([command, clusterNeed([...words, '-S=kubernetes://ns'], {}).use]).toEqual([command, 'cluster']);
      expect([command, clusterNeed(words, { WERF_SYNCHRONIZATION: 'kubernetes://ns' }).use]).toEqual([command, 'cluster']);
      expect(synchronization).toBe(true);
    }
    expect(clusterNeed(['build', '--synchronization', 'https://sync.example/'], {}).use).toBe('none');
    expect(clusterNeed(['build'], {}).use).toBe('none');
    expect(clusterNeed(['render', '--validate'], {}).use).toBe('maybe');
  });

  it('multi-word commands are told apart: helm secret and bundle publish never need a cluster, helm upgrade and bundle apply do', () => {
    expect(clusterNeed(['helm', 'secret', 'values', 'encrypt', 'values.yaml'], {}).use).toBe('none');
    expect(clusterNeed(['helm', 'repo', 'add', 'x', 'https://charts.example'], {}).use).toBe('none');
    expect(clusterNeed(['bundle', 'publish', '--repo', 'r'], {}).use).toBe('none');
    expect(clusterNeed(['bundle', 'copy'], {}).use).toBe('none');
    expect(clusterNeed(['helm', 'upgrade', 'rel', 'chart'], {}).use).toBe('cluster');
    expect(clusterNeed(['--log-verbose', 'bundle', 'apply', '--repo', 'r'], {}).use).toBe('cluster');
    expect(clusterNeed(['kubectl', 'get', '--raw', '/version'], {})).toMatchObject({ command: 'kubectl get', use: 'cluster' });
    expect(clusterNeed(['rollback', '--revision', '3'], {}).use).toBe('cluster');
    expect(clusterNeed(['version'], {}).use).toBe('none');
    expect(clusterNeed([], {}).use).toBe('none');
  });

  it('cleanup --without-kube (or WERF_WITHOUT_KUBE) skips the cluster, unless synchronization is kubernetes://', () => {
    expect(clusterNeed(['cleanup', '--repo', 'r'], {}).use).toBe('cluster');
    expect(clusterNeed(['cleanup', '--without-kube'], {}).use).toBe('maybe');
    expect(clusterNeed(['cleanup'], { WERF_WITHOUT_KUBE: 'true' }).use).toBe('maybe');
    expect(clusterNeed(['cleanup', '--without-kube'], { WERF_SYNCHRONIZATION: 'kubernetes://werf' }).use).toBe('cluster');
  });

  it('a command werf-run does not know gets a kubeconfig when one can be made, never a refusal', () => {
    expect(clusterNeed(['release', 'list'], {}).use).toBe('maybe');
  });
});
