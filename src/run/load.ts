/**
 * `--load`'s I/O (plan/load.ts decides): after werf succeeded, read its build
 * report, then for each final image the engine lacks, stream it out of
 * buildah's storage in a short helper container (werf's own settings, its
 * volumes only) straight into the engine's image load. The helper is removed
 * on every path (runAttempt); an image whose load fails is left without the
 * names werf-run gave it.
 */
import { PassThrough, Transform } from 'node:stream';
import type { ContainerSpec, Engine } from '../engine/port.js';
import { ExitCode, WerfRunError, errorMessage } from '../errors.js';
import type { Reporter } from '../reporter.js';
import {
  HELPER_MISSING_IMAGE,
  HELPER_NO_BUILDAH,
  finalImages,
  helperSpec,
  loadSteps,
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

/** Streams one image out of buildah's storage (a helper container) into the engine's image load; both answers, neither thrown. */
async function streamImage(target: LoadTarget, image: LoadImage): Promise<Streamed> {
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
      spec: helperSpec(target.werfContainer, ['push', image.id, image.name]),
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

/** Why the stream failed, from the helper's exit code and the engine's answer; undefined when both succeeded. */
function streamError(werfImage: string, image: LoadImage, { helperExit, stderr, load }: Streamed): WerfRunError | undefined {
  if (helperExit === HELPER_MISSING_IMAGE)
    return fail(
      `--load: image ${image.werfName} (${image.name}, ${image.id}) is not in buildah's storage in the volumes werf used`,
      'run werf-run --load build again (werf builds it anew); if the storage volume was removed or changed meanwhile, that is why',
    );
  if (helperExit === HELPER_NO_BUILDAH)
    return fail(
      `--load: the werf image ${werfImage} has no buildah command to stream ${image.werfName} out of its storage`,
      'use an image with the buildah CLI beside werf (image.reference), or push with --repo and docker pull from there',
    );
  if (helperExit !== 0)
    return fail(
      `--load: streaming ${image.werfName} (${image.name}) out of buildah's storage failed (exit code ${String(helperExit)}): ${stderr.text.trim().split('\n').slice(-3).join(' ')}`,
      "run werf-run -v --load build to see the helper container; the image stays in buildah's storage",
    );
  if (!load.ok)
    return fail(
      `--load: the engine refused image ${image.werfName} (${image.name}): ${errorMessage(load.error)}`,
      "check the engine's disk space and that it accepts docker-archive loads (docker load); werf's image stays in buildah's storage",
      load.error,
    );
  return undefined;
}

/** Streams one image from buildah's storage into the engine; on failure removes the names it may have got. */
async function loadOne(target: LoadTarget, image: LoadImage): Promise<void> {
  const { engine } = target;
  const started = Date.now();
  const streamed = await streamImage(target, image);
  try {
    const failed = streamError(target.werfContainer.image, image, streamed);
    if (failed) throw failed;
    // ok here (streamError found no failure); the check narrows the type.
    const lines = streamed.load.ok ? streamed.load.lines : [];
    // The engine's own answer: the image is there under its ID.
    const present = await engine.inspectImage(image.id);
    if (!present)
      throw fail(
        `--load: the engine loaded ${image.name} (${lines.join('; ') || 'no answer'}) but has no image ${image.id}`,
        "report this: the docker-archive did not keep werf's image ID",
      );
    // The last step: once the alias moved, nothing here fails any more.
    if (image.alias) await engine.tagImage(image.id, image.alias);
  } catch (error) {
    target.progress?.('');
    // Nothing half-loaded stays named: werf's name (unique to this build) goes again; the alias was not moved, so it
    // still names the previous build. The layers stay unnamed and prunable.
    await engine.untagImage(image.name).catch(() => undefined);
    throw error;
  }
  target.progress?.('');
  target.reporter.info(
    `loaded ${image.werfName} as ${image.name}${image.alias ? ` and ${image.alias}` : ''} (${mib(streamed.bytes())} in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
  );
}

/** --load after werf succeeded: the report's final images into the engine; an image it has (by ID) is only named. */
export async function loadBuiltImages(target: LoadTarget): Promise<LoadOutcome> {
  const { engine, reporter } = target;
  const text = await readReport(target);
  const images = finalImages(text, target.report.path);
  if (images.length === 0) {
    reporter.info("--load: werf's build report lists no final images; nothing to load");
    return { loaded: [], present: [] };
  }
  const have = new Set<string>();
  for (const image of images) if (await engine.inspectImage(image.id)) have.add(image.id);
  const outcome: LoadOutcome = { loaded: [], present: [] };
  for (const step of loadSteps(images, (id) => have.has(id))) {
    const { image } = step;
    if (step.action === 'present') {
      await engine.tagImage(image.id, image.name);
      if (image.alias) await engine.tagImage(image.id, image.alias);
      reporter.info(
        `${image.werfName}: the engine has ${image.id.slice(0, 19)} already, nothing to load (named ${image.name}${image.alias ? ` and ${image.alias}` : ''})`,
      );
      outcome.present.push(image);
      continue;
    }
    await loadOne(target, image);
    outcome.loaded.push(image);
  }
  return outcome;
}
