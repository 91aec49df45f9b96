/**
 * `--load`'s I/O (plan/load.ts decides): after werf succeeded, read its build
 * report, then for each final image the engine lacks, let werf export it into
 * a loopback crane registry in a short helper container (werf's own image and
 * settings, its mounts, no network) and stream `crane pull`'s tarball straight
 * into the engine's image load. The helper is removed on every path
 * (runAttempt); an image whose load fails is left without any name.
 */
import { PassThrough, Transform } from 'node:stream';
import type { ContainerSpec, Engine } from '../engine/port.js';
import { ExitCode, WerfRunError } from '../errors.js';
import type { Reporter } from '../reporter.js';
import {
  exportArgs,
  finalImages,
  helperSpec,
  loadError,
  loadSteps,
  loopbackRef,
  reportError,
  type LoadImage,
  type ReportSource,
} from '../plan/load.js';
import { runAttempt, type AttemptFiles } from './attempt.js';
import { Collect } from './probe.js';

export interface LoadTarget {
  engine: Engine;
  /** werf's container in the mode that worked: the helper gets its image, user, security settings and volumes. */
  werfContainer: ContainerSpec;
  /** Files werf's container got before start (an added user's passwd and subuid lines). */
  files: AttemptFiles;
  report: ReportSource;
  /** werf's arguments: the options that pick werf.yaml go to werf export too. */
  werfArgs: readonly string[];
  /** Reads a report the user asked werf for (a path in the project on this machine); undefined when it is not there. */
  readUserReport(path: string): Promise<string | undefined>;
  reporter: Reporter;
  /** A status line that replaces the previous one (on a terminal), or undefined in plain output. */
  progress?: (text: string) => void;
}

export interface LoadOutcome {
  loaded: LoadImage[];
  present: LoadImage[];
}

/** The report's text: werf-run's own, printed (and removed) by a helper in the werf home volume; or the user's, read here. */
async function readReport(target: LoadTarget): Promise<string> {
  const { report } = target;
  if (report.kind === 'user') {
    const text = await target.readUserReport(report.path);
    if (text === undefined) throw reportError(report.path, 'is not on this machine after werf finished');
    return text;
  }
  const out = new Collect();
  const err = new Collect();
  const result = await runAttempt({
    engine: target.engine,
    spec: helperSpec(target.werfContainer, ['report', report.path]),
    io: { stdout: out, stderr: err },
    watch: () => undefined,
    hooks: {},
    files: target.files,
  });
  if (result.exitCode !== 0 || out.text.trim() === '')
    throw reportError(
      `${report.path} (in the werf home volume)`,
      `could not be read: ${err.text.trim() || `exit code ${String(result.exitCode)}`}`,
    );
  return out.text;
}

/** Counts the bytes flowing through, for progress. */
function counter(onBytes: (total: number) => void): Transform {
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      total += chunk.length;
      onBytes(total);
      done(null, chunk);
    },
  });
}

const mib = (bytes: number): string => `${(bytes / (1 << 20)).toFixed(1)} MiB`;

type LoadAnswer = { ok: true; lines: string[] } | { ok: false; error: unknown };

interface Streamed {
  helperExit: number | undefined;
  /** The helper's stderr (read once it exited). */
  stderr: Collect;
  load: LoadAnswer;
  /** Bytes the engine took so far. */
  bytes(): number;
}

/** Exports one image (a helper container: werf export, crane pull) into the engine's image load; both answers, neither thrown. */
async function streamImage(target: LoadTarget, image: LoadImage, report: string): Promise<Streamed> {
  const { engine } = target;
  const archive = new PassThrough();
  const stderr = new Collect();
  let bytes = 0;
  const counted = archive.pipe(
    counter((total) => {
      bytes = total;
      target.progress?.(`loading ${image.werfName} (${image.name}): ${mib(total)}`);
    }),
  );
  const loading = engine
    .loadImage(counted, () => undefined)
    .then(
      (lines) => ({ ok: true as const, lines }),
      (error: unknown) => ({ ok: false as const, error }),
    );
  let helperExit: number | undefined;
  try {
    const result = await runAttempt({
      engine,
      spec: helperSpec(target.werfContainer, exportArgs(image, report, target.werfArgs)),
      io: { stdout: archive, stderr },
      watch: () => undefined,
      hooks: {},
      files: target.files,
    });
    helperExit = result.exitCode;
  } finally {
    archive.end();
  }
  const load = await loading;
  return { helperExit, stderr, load, bytes: () => bytes };
}

const fail = (message: string, remedy: string, cause?: unknown): WerfRunError =>
  new WerfRunError(message, { exitCode: ExitCode.loadFailed, remedy, cause });

/** Exports one image into the engine, named as werf named it (and the alias); on failure removes every name it may have got. */
async function loadOne(target: LoadTarget, image: LoadImage, report: string): Promise<void> {
  const { engine } = target;
  const started = Date.now();
  const loopback = loopbackRef(image);
  const streamed = await streamImage(target, image, report);
  try {
    const failed = loadError(target.werfContainer.image, image, {
      helperExit: streamed.helperExit,
      stderr: streamed.stderr.text,
      ...(streamed.load.ok ? {} : { refused: streamed.load.error }),
    });
    if (failed) throw failed;
    // ok here (loadError found no failure); the check narrows the type.
    const lines = streamed.load.ok ? streamed.load.lines : [];
    // The engine's own answer: the image is there under the loopback name crane's tarball gave it.
    const present = await engine.inspectImage(loopback);
    if (!present)
      throw fail(
        `--load: the engine loaded ${image.name} (${lines.join('; ') || 'no answer'}) but has no image ${loopback}`,
        "report this: crane's tarball did not name the image as werf exported it",
      );
    // werf export strips werf's labels (repo_stages_storage.go:169-179), so the ID differs from the report's: werf's name is
    // what marks it loaded next time.
    await engine.tagImage(present.id, image.name);
    await engine.untagImage(loopback);
    // The last step: once the alias moved, nothing here fails any more.
    if (image.alias) await engine.tagImage(present.id, image.alias);
  } catch (error) {
    target.progress?.('');
    // Nothing half-loaded stays named: the loopback name and werf's name (unique to this build) go again; the alias was not
    // moved, so it still names the previous build. The layers stay unnamed and prunable.
    await engine.untagImage(loopback).catch(() => undefined);
    await engine.untagImage(image.name).catch(() => undefined);
    throw error;
  }
  target.progress?.('');
  target.reporter.info(
    `loaded ${image.werfName} as ${image.name}${image.alias ? ` and ${image.alias}` : ''} (${mib(streamed.bytes())} in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
  );
}

/** --load after werf succeeded: the report's final images into the engine; an image it has (by werf's name or ID) is only named. */
export async function loadBuiltImages(target: LoadTarget): Promise<LoadOutcome> {
  const { engine, reporter } = target;
  const text = await readReport(target);
  const images = finalImages(text, target.report.path);
  if (images.length === 0) {
    reporter.info("--load: werf's build report lists no final images; nothing to load");
    return { loaded: [], present: [] };
  }
  // What the engine has: werf's name (a previous load) or the report's ID (an image loaded another way).
  const have = new Map<string, string>();
  for (const image of images)
    for (const ref of [image.name, image.id]) {
      const found = await engine.inspectImage(ref);
      if (found) {
        have.set(ref, found.id);
        break;
      }
    }
  const outcome: LoadOutcome = { loaded: [], present: [] };
  for (const step of loadSteps(images, (ref) => have.get(ref))) {
    const { image } = step;
    if (step.action === 'present') {
      await engine.tagImage(step.id, image.name);
      if (image.alias) await engine.tagImage(step.id, image.alias);
      reporter.info(
        `${image.werfName}: the engine has ${image.name} (${step.id.slice(0, 19)}) already, nothing to load (named ${image.name}${image.alias ? ` and ${image.alias}` : ''})`,
      );
      outcome.present.push(image);
      continue;
    }
    await loadOne(target, image, text);
    outcome.loaded.push(image);
  }
  return outcome;
}
