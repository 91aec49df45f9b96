/**
 * The fakes of the unit tests, one of each: an Engine and a Reporter. Only
 * pure code is tested with them; the engine tests use a real Docker Engine
 * (integration/).
 */
import type { Engine } from '../src/engine/port.js';
import type { Reporter } from '../src/reporter.js';

const notInThisTest = (call: string) => (): Promise<never> => Promise.reject(new Error(`fake engine: ${call}() is not part of this test`));

/**
 * An Engine at unix:///fake.sock whose every call fails ("not part of this
 * test") unless `over` gives it. Typed as the whole port, so a call added to
 * src/engine/port.ts is added here once.
 */
export function fakeEngine<T extends Partial<Engine>>(over: T = {} as T): Engine & T {
  const engine: Engine = {
    endpoint: { url: 'unix:///fake.sock', source: 'test' },
    ping: notInThisTest('ping'),
    info: notInThisTest('info'),
    inspectImage: notInThisTest('inspectImage'),
    pullImage: notInThisTest('pullImage'),
    createContainer: notInThisTest('createContainer'),
    attachContainer: notInThisTest('attachContainer'),
    startContainer: notInThisTest('startContainer'),
    waitContainer: notInThisTest('waitContainer'),
    killContainer: notInThisTest('killContainer'),
    removeContainer: notInThisTest('removeContainer'),
    listContainers: notInThisTest('listContainers'),
    resizeContainerTty: notInThisTest('resizeContainerTty'),
    inspectContainer: notInThisTest('inspectContainer'),
    putArchive: notInThisTest('putArchive'),
    getArchive: notInThisTest('getArchive'),
    statPath: notInThisTest('statPath'),
    containerMounts: notInThisTest('containerMounts'),
    volumeCreatedAt: notInThisTest('volumeCreatedAt'),
    loadImage: notInThisTest('loadImage'),
    tagImage: notInThisTest('tagImage'),
    untagImage: notInThisTest('untagImage'),
  };
  return { ...engine, ...over };
}

/** A Reporter that records every message as "kind text" (tasks run at once). */
export function recordingReporter(): { reporter: Reporter; lines: string[] } {
  const lines: string[] = [];
  const reporter: Reporter = {
    step: (m) => lines.push(`step ${m}`),
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    debug: (m) => lines.push(`debug ${m}`),
    progress: (m) => lines.push(`progress ${m}`),
    task: (title, run) => (lines.push(`task ${title}`), run()),
    endPreparation: () => lines.push('end of preparation'),
  };
  return { reporter, lines };
}
