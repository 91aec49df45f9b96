/**
 * The Reporter for a terminal: werf-run's preparation as a listr2 task list
 * on stderr (engine, detect, pull, start), each step a spinner that becomes a
 * tick. Every step is its own short Listr run that has finished rendering
 * before the next line of output, so nothing is redrawn once werf's output
 * starts. Messages that arrive while a step spins are shown under it (info,
 * progress) or printed right after it (warnings, --verbose details).
 */
import type { Writable } from 'node:stream';
import type { Reporter } from '../reporter.js';
import { Listr, ListrLogger, ProcessOutput, type ListrTaskWrapper, type DefaultRenderer, type SimpleRenderer } from 'listr2';

type Wrapper = ListrTaskWrapper<unknown, typeof DefaultRenderer, typeof SimpleRenderer>;

export interface TaskListReporterOptions {
  /** The terminal (stderr). */
  stream: Writable;
  verbose: boolean;
}

export class TaskListReporter implements Reporter {
  private current: Wrapper | undefined;
  private held: string[] = [];
  private over = false;

  constructor(private readonly options: TaskListReporterOptions) {}

  private print(prefix: string, message: string): void {
    const text = `werf-run: ${prefix}${message}`;
    if (this.current) this.held.push(text);
    else this.options.stream.write(`${text}\n`);
  }

  step(title: string): void {
    if (this.current) this.current.title = title;
    else this.print('', title);
  }

  info(message: string): void {
    if (this.current) this.current.output = message;
    else this.print('', message);
  }

  /** A status replacing the previous one (pull progress): shown under the running step. */
  progress(message: string): void {
    if (this.current) this.current.output = message;
  }

  warn(message: string): void {
    this.print('warning: ', message);
  }

  debug(message: string): void {
    if (this.options.verbose) this.print('debug: ', message);
  }

  async task<T>(title: string, run: () => Promise<T>): Promise<T> {
    if (this.over || this.current) {
      // After the preparation (or nested): no more redrawing, plain lines only.
      this.step(title);
      return run();
    }
    const stream = this.options.stream as NodeJS.WriteStream;
    let result: T | undefined;
    const list = new Listr(
      [
        {
          title,
          task: async (_ctx, wrapper) => {
            this.current = wrapper as Wrapper;
            result = await run();
          },
        },
      ],
      {
        renderer: 'default',
        fallbackRendererCondition: false,
        silentRendererCondition: false,
        exitOnError: true,
        registerSignalListeners: false,
        collectErrors: false,
        rendererOptions: {
          // The error itself is printed once, by cli/main.ts, with its fix.
          showErrorMessage: false,
          collapseSubtasks: false,
          logger: new ListrLogger({
            useIcons: true,
            toStderr: [],
            processOutput: new ProcessOutput(stream, stream, { leaveEmptyLine: false }),
          }),
        },
      },
    );
    try {
      await list.run();
    } finally {
      this.current = undefined;
      const held = this.held;
      this.held = [];
      for (const line of held) this.options.stream.write(`${line}\n`);
    }
    return result as T;
  }

  endPreparation(): void {
    this.over = true;
  }
}
