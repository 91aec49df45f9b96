/**
 * The ship's archive as the engine's side sees it, with a fake engine that
 * records the calls and reads the body (integration/ship.test.ts ships into a
 * real engine): a first ship's archive is opened while the tree is still
 * scanned and holds each entry once, the project's dir first; a scan that
 * fails with the archive open ends the request and removes the helper; an
 * engine that gives up mid-archive ends the writer instead of leaving it
 * waiting for room.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { fakeEngine } from '../../test/fakes.js';
import type { ContainerSpec } from '../engine/port.js';
import { shipProject, streamTar } from './ship.js';
import { readTar } from './tar.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function gitProject(files: number): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'werf-run-ship-stream-'));
  dirs.push(dir);
  writeFileSync(path.join(dir, '.gitignore'), 'ignored/\n');
  mkdirSync(path.join(dir, 'ignored'));
  writeFileSync(path.join(dir, 'ignored', 'x'), 'not shipped');
  for (let i = 0; i < files; i++) {
    mkdirSync(path.join(dir, `d${i % 10}`), { recursive: true });
    writeFileSync(path.join(dir, `d${i % 10}`, `f${i}`), `${i}\n`.repeat(i % 50));
  }
  execFileSync('git', ['init', '-q'], { cwd: dir });
  return dir;
}

/** A new engine (no volumes yet) whose archive calls are recorded and read; `events` says in which order things happened. */
function recordingEngine(onPut?: (body: NodeJS.ReadableStream) => Promise<void>) {
  const events: string[] = [];
  const archives: Buffer[] = [];
  const firstChunks: number[] = [];
  const engine = fakeEngine({
    createContainer: async (spec: ContainerSpec) => (events.push(`create ${spec.labels['werf-run.role']}`), 'helper'),
    removeContainer: async (id: string) => void events.push(`remove ${id}`),
    volumeCreatedAt: async () => undefined,
    putArchive: async (_id: string, where: string, body: Buffer | NodeJS.ReadableStream) => {
      events.push(`put ${where}`);
      if (onPut) return onPut(body as NodeJS.ReadableStream);
      const parts: Buffer[] = [];
      for await (const chunk of body as AsyncIterable<Buffer>) {
        if (parts.length === 0) firstChunks.push(chunk.length);
        parts.push(chunk);
      }
      archives.push(Buffer.concat(parts));
      events.push('put done');
    },
  });
  return { engine, events, archives, firstChunks };
}

const input = (dir: string) => ({
  image: 'werf',
  units: [{ dir, volume: 'v0', git: true }],
  manifestVolume: 'meta',
  owner: { uid: 1000, gid: 1000 },
  labels: {},
});

describe('a first ship', () => {
  it('opens its archive while git lists the files; each entry once, the project dir first; ignored files never', async () => {
    const dir = gitProject(300);
    const { engine, events, archives, firstChunks } = recordingEngine();
    const result = await shipProject(engine, input(dir));
    expect(result).toMatchObject({ previousFrom: 'none', removed: 0 });
    expect(result.sentFiles).toBe(result.files);
    expect(events).toEqual(['create ship', 'put /ship', 'put done', 'remove helper']);
    // The project dir's entry alone went first, before the scan was done (the rest is written in 1 MiB buffers).
    expect(firstChunks).toEqual([512]);
    const names = (await readTar(archives[0]!)).map((e) => e.header.name);
    expect(names[0]).toBe('0/');
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain('0/d3/f13');
    expect(names).toContain('0/.gitignore');
    expect(names.filter((n) => n.includes('ignored/'))).toEqual([]);
    expect(names.slice(-2)).toEqual(['meta/manifest.json', 'meta/generation']);
    // Every file and dir that was scanned, and nothing else: the manifest's entries plus its own two files.
    const manifest = JSON.parse((await readTar(archives[0]!)).find((e) => e.header.name === 'meta/manifest.json')!.content.toString());
    const entries = manifest.units[0].entries as Record<string, { type: string }>;
    expect(names.length).toBe(Object.keys(entries).length + 2);
    expect(Object.values(entries).filter((e) => e.type !== 'dir').length).toBe(result.files);
    expect(Object.keys(entries).filter((rel) => rel.startsWith('d')).length).toBe(310);
  });

  it('whose scan fails with the archive open: the request ends, the helper goes, the error is the scan’s', async () => {
    // Not a git repository: git ls-files fails after the helper exists and its archive was opened.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'werf-run-ship-stream-nogit-'));
    dirs.push(dir);
    let ended: unknown;
    const { engine, events } = recordingEngine(async (body) => {
      try {
        for await (const _chunk of body as AsyncIterable<Buffer>) void _chunk;
        ended = 'the whole tar';
      } catch (error) {
        ended = error;
        throw error;
      }
    });
    await expect(shipProject(engine, input(dir))).rejects.toThrow(/git ls-files in .* failed/);
    expect(ended).toBeInstanceOf(Error);
    expect(events).toEqual(['create ship', 'put /ship', 'remove helper']);
  });
});

describe('streamTar', () => {
  it('stops a writer waiting for room when the engine gives up first, and tells the engine’s error', async () => {
    const engine = fakeEngine({
      putArchive: async (_id: string, _where: string, body: Buffer | NodeJS.ReadableStream) => {
        // Reads a little, then fails as an engine does (a full disk): nobody reads the rest.
        for await (const _chunk of body as AsyncIterable<Buffer>) break;
        throw new Error('no space left on device');
      },
    });
    let written = 0;
    const write = async (tar: import('./tar-writer.js').TarWriter): Promise<void> => {
      for (let i = 0; i < 64; i++, written++)
        await tar.file({ name: `f${i}`, type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 0 }, Buffer.alloc(1 << 20));
    };
    await expect(streamTar(engine, 'id', '/', write)).rejects.toThrow('no space left on device');
    expect(written).toBeLessThan(64);
  });
});
