/**
 * Progress on stderr for a run of stages: listr2's live view on a terminal, a few plain lines
 * otherwise (cron logs stay short), nothing under --quiet. The only importer of listr2.
 */
import { Listr, type ListrTaskWrapper, type DefaultRenderer, type SimpleRenderer } from 'listr2';

export interface StageProgress {
  start(stage: string, title: string): void;
  update(stage: string, title: string): void;
  end(stage: string, title: string): void;
  /** Waits for the live view to finish drawing. */
  close(): Promise<void>;
}

export type ProgressMode = 'live' | 'plain' | 'quiet';

export function progressMode(quiet: boolean | undefined, stderr: { isTTY?: boolean }, env: Readonly<Record<string, string | undefined>>): ProgressMode {
  if (quiet) return 'quiet';
  return stderr.isTTY && env.CI === undefined && env.TERM !== 'dumb' ? 'live' : 'plain';
}

export function createProgress(mode: ProgressMode, stages: readonly string[], stderr: NodeJS.WritableStream): StageProgress {
  if (mode === 'quiet') return { start() {}, update() {}, end() {}, close: async () => {} };
  if (mode === 'plain') {
    const line = (title: string) => stderr.write(`certfleet: ${title}\n`);
    return { start: (_s, t) => line(t), update() {}, end: (_s, t) => line(t), close: async () => {} };
  }
  return new LiveProgress(stages);
}

type Task = ListrTaskWrapper<unknown, typeof DefaultRenderer, typeof SimpleRenderer>;

class LiveProgress implements StageProgress {
  private readonly tasks = new Map<string, { task?: Task; done: () => void; finished: Promise<void>; title: string }>();
  private readonly running: Promise<void>;

  constructor(stages: readonly string[]) {
    for (const stage of stages) {
      let done!: () => void;
      const finished = new Promise<void>((r) => (done = r));
      this.tasks.set(stage, { done, finished, title: stage });
    }
    const listr = new Listr(
      stages.map((stage) => ({
        title: stage,
        // A stage that never starts (no endpoints given) is skipped when the run closes.
        task: async (_ctx: unknown, task: Task) => {
          const entry = this.tasks.get(stage)!;
          entry.task = task;
          task.title = entry.title;
          await entry.finished;
          task.title = entry.title;
        },
      })),
      { concurrent: true, exitOnError: false, rendererOptions: { collapseSubtasks: false } },
    );
    this.running = listr.run().then(() => undefined);
  }

  start(stage: string, title: string): void {
    this.set(stage, title);
  }

  update(stage: string, title: string): void {
    this.set(stage, title);
  }

  end(stage: string, title: string): void {
    this.set(stage, title);
    this.tasks.get(stage)?.done();
  }

  async close(): Promise<void> {
    for (const entry of this.tasks.values()) entry.done();
    await this.running;
  }

  private set(stage: string, title: string): void {
    const entry = this.tasks.get(stage);
    if (!entry) return;
    entry.title = title;
    if (entry.task) entry.task.title = title;
  }
}
