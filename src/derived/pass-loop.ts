/**
 * The derived-data wing's one pass loop (hour/day rollups, fee days, and later daily seals): derived data is
 * recomputed in passes, one at a time, each from what is stored. The loop owns the scheduling, the backoff
 * after a failed pass, the size of the next pass (halved when a pass runs past InfluxDB's query timeout, grown
 * back by a quarter after each pass that succeeds: doubling back at once ran into the same timeout every other
 * pass, 10 s of InfluxDB's work lost each time), a stop that waits a bounded time for a running pass, and progress in the
 * log. What a pass does, and keeping the work of a failed pass for the next one, is the caller's.
 */
import type { Logger } from 'pino';
import { hasCode } from '../util/errors.ts';

/** After a pass: run again at once (more is due), after the interval, or only when kicked. */
export type NextPass = 'now' | 'later' | 'idle';

export interface PassLoopOptions {
  /** For the log: "rollups", "fee days". */
  readonly name: string;
  readonly log: Logger;
  readonly intervalMs: number;
  /** Longest wait after failures (default 30 s). */
  readonly maxBackoffMs?: number;
  /** Items a pass may take at most (e.g. meter-hours); halved after a pass that timed out. */
  readonly maxSize: number;
  readonly minSize?: number;
  /** One pass; `size`: how many items it may take. Throws when it failed (its items kept for the next pass). */
  readonly run: (size: number) => Promise<NextPass>;
  /** After every pass, failed or not (e.g. to wake whoever waits for a flush). */
  readonly afterPass?: () => void;
  /** A pass longer than this is logged with its duration (default 10 s). */
  readonly slowPassMs?: number;
}

export interface PassLoop {
  /** Run a pass after `delayMs` (default the interval), unless one is due sooner or running. */
  kick(delayMs?: number): void;
  /** Run a pass now (after the running one, if any) and wait for it. */
  runNow(): Promise<void>;
  /** The running pass, if any. */
  running(): Promise<void> | undefined;
  /** Passes run on kicks from creation on; start() only re-opens a stopped loop. */
  start(): void;
  /** No new pass; waits up to `timeoutMs` for the running one (what it leaves is the next start's). */
  stop(timeoutMs: number): Promise<void>;
  /** `nextInMs`: when the next pass is due (0: one is running), absent when none is scheduled (idle). */
  state(): { passes: number; failures: number; size: number; lastError?: string; nextInMs?: number };
}

/** An error that says the pass asked InfluxDB for too much at once. */
const tooBig = (err: unknown) => hasCode(err, 'influx-timeout');

export function createPassLoop(opts: PassLoopOptions): PassLoop {
  const minSize = Math.max(1, opts.minSize ?? 1);
  let size = opts.maxSize;
  let timer: NodeJS.Timeout | undefined;
  let dueAt = Infinity;
  let current: Promise<void> | undefined;
  let stopped = false;
  let failures = 0;
  let passes = 0;
  let lastError: string | undefined;

  async function once(): Promise<NextPass> {
    const t0 = Date.now();
    try {
      const next = await opts.run(size);
      passes++;
      failures = 0;
      lastError = undefined;
      if (size < opts.maxSize) size = Math.min(opts.maxSize, Math.ceil(size * 1.25));
      const ms = Date.now() - t0;
      if (ms > (opts.slowPassMs ?? 10_000)) opts.log.info({ loop: opts.name, ms, size }, 'Derived-data pass done.');
      return next;
    } catch (err) {
      failures++;
      lastError = (err as Error).message;
      if (tooBig(err) && size > minSize) {
        size = Math.max(minSize, Math.floor(size / 2));
        opts.log.warn(
          { loop: opts.name, err: lastError, nextSize: size },
          'Derived-data pass ran past the query timeout; the next passes ask for less.',
        );
      } else opts.log.warn({ loop: opts.name, err: lastError, failures }, 'Derived-data pass failed; retried later.');
      return 'now';
    } finally {
      opts.afterPass?.();
    }
  }

  function launch(): Promise<void> {
    current ??= once().then((next) => {
      current = undefined;
      if (failures) return kick(Math.min(opts.maxBackoffMs ?? 30_000, opts.intervalMs * 2 ** failures));
      if (next === 'now') kick(0);
      else if (next === 'later') kick(opts.intervalMs);
    });
    return current;
  }

  function kick(delayMs = opts.intervalMs): void {
    if (stopped) return;
    if (current) return; // a running pass schedules the next one when it ends
    const at = Date.now() + delayMs;
    if (timer && dueAt <= at) return;
    if (timer) clearTimeout(timer);
    dueAt = at;
    timer = setTimeout(() => {
      timer = undefined;
      dueAt = Infinity;
      void launch();
    }, delayMs);
    timer.unref();
  }

  return {
    kick,
    async runNow() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      dueAt = Infinity;
      await current;
      await launch();
    },
    running: () => current,
    start() {
      stopped = false;
    },
    async stop(timeoutMs) {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      dueAt = Infinity;
      if (!current) return;
      let t: NodeJS.Timeout | undefined;
      await Promise.race([current, new Promise((r) => (t = setTimeout(r, timeoutMs)))]).finally(() => clearTimeout(t));
    },
    state: () => ({
      passes,
      failures,
      size,
      ...(lastError !== undefined && { lastError }),
      ...(current ? { nextInMs: 0 } : timer && { nextInMs: Math.max(0, dueAt - Date.now()) }),
    }),
  };
}
