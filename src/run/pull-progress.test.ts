import { describe, expect, it } from 'vitest';
import { PullTracker } from './pull-progress.js';

describe('PullTracker', () => {
  it('counts layers and bytes from Docker pull events', () => {
    const t = new PullTracker();
    expect(t.add({ id: '2-stable', status: 'Pulling from werf/werf' })).toBe(false);
    t.add({ id: 'aaa', status: 'Pulling fs layer' });
    t.add({ id: 'bbb', status: 'Already exists' });
    t.add({ id: 'aaa', status: 'Downloading', current: 5_000_000, total: 20_000_000 });
    expect(t.summary()).toBe('1/2 layers, 5.0/20.0 MB');
    t.add({ id: 'aaa', status: 'Download complete' });
    t.add({ id: 'aaa', status: 'Pull complete' });
    expect(t.summary()).toBe('2/2 layers, 20.0/20.0 MB');
    expect(t.add({ status: 'Digest: sha256:abc' })).toBe(false);
  });
  it("counts Podman's layers, which end at Download complete", () => {
    const t = new PullTracker();
    t.add({ id: '8e5ad8d7670d', status: 'Pulling fs layer' });
    t.add({ id: '8e5ad8d7670d', status: 'Download complete' });
    t.add({ id: 'e658c6f94be1', status: 'Pulling fs layer' });
    expect(t.summary()).toBe('1/2 layers');
  });
  it('reports layers without bytes when the engine sends no totals', () => {
    const t = new PullTracker();
    t.add({ id: 'x', status: 'Copying blob' });
    expect(t.summary()).toBe('0/1 layers');
  });
});
