import type { Logger } from 'pino';
import { Fifo } from '../util/fifo.ts';
import type { LineWriteApi } from './write-api.ts';
import { classifyWriteError, type WriteFailure } from './write-errors.ts';
import { createFailureTracker, type FailingState, type RecoveredState } from './write-failures.ts';

/**
 * What waits on a writer's lines, so its log lines say what a failure means (issue 22: a spool replay or fee days
 * are not "readings unacknowledged"): `unacknowledged-readings` (ingest without the spool: each line holds a PUBACK),
 * `spooled-readings` (ingest with the spool: acknowledged, replayed from the spool), `derived` (fee days).
 */
export type WriterHolds = 'unacknowledged-readings' | 'spooled-readings' | 'derived';

const MESSAGES: Record<WriterHolds, { failing: string; recovered: string; stopped: string }> = {
  'unacknowledged-readings': {
    failing: 'InfluxDB writes are failing; readings stay unacknowledged and are retried.',
    recovered: 'InfluxDB writes recovered.',
    stopped: 'Writer stopped with unwritten lines; their readings were not acknowledged, so they are sent again.',
  },
  'spooled-readings': {
    failing: 'InfluxDB writes are failing; readings wait in the spool and are retried.',
    recovered: 'InfluxDB writes recovered.',
    stopped: 'Writer stopped with unwritten lines; they stay in the spool and replay at the next start.',
  },
  derived: {
    failing: 'InfluxDB writes of derived data (fee days) are failing; they are retried.',
    recovered: 'InfluxDB writes of derived data (fee days) recovered.',
    stopped: 'Writer stopped with unwritten derived lines (fee days); they are computed again after the next start.',
  },
};

export interface WriterMetrics {
  onBatch(lines: number, ms: number): void;
  onError(kind: 'retriable' | 'poison'): void;
  onPending(lines: number): void;
}

export interface BatchWriter {
  /** Resolves once every line is stored (or was refused by InfluxDB as poison and reported). Never rejects. */
  write(lines: readonly string[]): Promise<void>;
  readonly state: () => {
    pendingLines: number;
    writing: boolean;
    consecutiveFailures: number;
    /** Present while writes fail: the cause ("token refused", "database missing", ...) and since when. */
    failing?: FailingState;
    /** The last failure, once writes recovered (kept a while so /health can say what happened). */
    recovered?: RecoveredState;
  };
  /** Flush what is pending and stop, waiting at most `timeoutMs`; writes that cannot complete stay unacknowledged. */
  stop(timeoutMs?: number): Promise<boolean>;
  /**
   * The group the next write() joins (made now if needed), as an opaque token: every write of a group is stored
   * before the group's promise resolves (in order, retried until InfluxDB takes it). The only lines dropped are
   * poison ones InfluxDB refuses as bad data; a mark left out because the group already carries the same line
   * (same meter, hour, slot: byte for byte) would be refused alike. Listeners use it to write a durable mark once
   * per group (issue 27).
   */
  nextGroup?(): object;
}

/**
 * Writes that joined the queue one after another share one promise (issue 27: a promise and its resolver per
 * message were a measurable part of ingest's allocations). A group takes writes until it holds `batchSize` lines
 * or a batch takes any of them; it resolves once every one of its writes is stored.
 */
interface Group {
  readonly promise: Promise<void>;
  resolve: () => void;
  lines: number;
  unwritten: number;
}

interface Job {
  lines: readonly string[];
  group: Group;
}

function newGroup(): Group {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve, lines: 0, unwritten: 0 };
}

export interface BatchWriterOptions {
  writeApi: LineWriteApi;
  batchSize: number;
  /** Wait this long after the first line for more to join the batch (group commit). */
  lingerMs: number;
  log: Logger;
  metrics?: WriterMetrics;
  /** Lines InfluxDB refused as bad data (400/413/422), isolated by splitting the batch. */
  onPoison?: (lines: readonly string[], error: string) => void;
  maxBackoffMs?: number;
  /** InfluxDB answers /ping: after an outage the writer retries as soon as this turns true, not after its backoff. */
  ping?: () => Promise<boolean>;
  pingEveryMs?: number;
  /** What waits on these lines (for the log's words and levels). Default `unacknowledged-readings`. */
  holds?: WriterHolds;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Group-commit writer: callers wait until their lines are stored, so an MQTT message is acknowledged only
 * after InfluxDB accepted it. Every failure but bad data (network, timeouts, 401/403, 404, 408, 429, 5xx) is
 * retried for as long as it takes, with backoff that honours Retry-After and ends early once an unreachable
 * InfluxDB answers /ping again: nothing is acknowledged meanwhile, so the broker keeps the messages. Only
 * 400/413/422 split the batch to isolate the bad line (src/store/write-errors.ts). One batch in flight at a time.
 */
function isFailure(err: unknown): err is WriteFailure {
  return typeof err === 'object' && err !== null && 'kind' in err && 'cause' in err && 'retryAfterMs' in err;
}

export function createBatchWriter(opts: BatchWriterOptions): BatchWriter {
  const { writeApi, batchSize, lingerMs, log, metrics } = opts;
  const maxBackoffMs = opts.maxBackoffMs ?? 10_000;
  const pingEveryMs = opts.pingEveryMs ?? 250;
  const messages = MESSAGES[opts.holds ?? 'unacknowledged-readings'];
  const failures = createFailureTracker(log, messages);
  const queue = new Fifo<Job>();
  let pendingLines = 0;
  /** Lines of the batch being written (taken off the queue, not yet stored). */
  let inFlightLines = 0;
  let writing = false;
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  let consecutiveFailures = 0;
  let idle: Promise<void> = Promise.resolve();
  let markIdle: () => void = () => {};

  async function send(lines: readonly string[]): Promise<void> {
    await writeApi.writeLines(lines);
  }

  /** Write, splitting on 400/413/422 to isolate the bad line; every other failure propagates and is retried. */
  async function sendIsolating(lines: readonly string[]): Promise<void> {
    try {
      await send(lines);
    } catch (err) {
      const f = classifyWriteError(err);
      if (f.kind !== 'data') throw f;
      metrics?.onError('poison');
      if (lines.length === 1) {
        opts.onPoison?.(lines, f.error);
        return;
      }
      const mid = Math.ceil(lines.length / 2);
      await sendIsolating(lines.slice(0, mid));
      await sendIsolating(lines.slice(mid));
    }
  }

  /**
   * Wait `delayMs` before the next attempt; when InfluxDB was unreachable (and set no Retry-After), end the wait
   * as soon as a /ping that failed answers again, so writes resume within `pingEveryMs` of its return.
   */
  async function waitToRetry(f: WriteFailure, delayMs: number): Promise<void> {
    const until = Date.now() + delayMs;
    if (!opts.ping || !f.unreachable || f.retryAfterMs > 0) return sleep(delayMs);
    // A refused connection is InfluxDB seen down: the first /ping that answers ends the wait (review of stop 30's CI:
    // a restart answering before this wait's first ping left the writer in its whole 3.2 s backoff). After a
    // timeout or a 5xx a ping may answer all along: only one that found it down first ends the wait early.
    let sawDown = f.refused === true;
    while (Date.now() < until) {
      await sleep(Math.min(pingEveryMs, Math.max(0, until - Date.now())));
      const up = await opts.ping().catch(() => false);
      if (up && sawDown) return;
      if (!up) sawDown = true;
    }
  }

  let open: Group | undefined;

  function take(): Job[] {
    const jobs: Job[] = [];
    let n = 0;
    while (queue.length && (n === 0 || n + queue.peek()!.lines.length <= batchSize)) {
      const job = queue.shift()!;
      if (job.group === open) open = undefined; // no write joins a group once a batch has taken from it
      jobs.push(job);
      n += job.lines.length;
    }
    pendingLines -= n;
    inFlightLines = n;
    return jobs;
  }

  async function drain(): Promise<void> {
    writing = true;
    while (queue.length) {
      const jobs = take();
      const lines = jobs.flatMap((j) => j.lines);
      const started = performance.now();
      for (let attempt = 0; ; attempt++) {
        try {
          await sendIsolating(lines);
          consecutiveFailures = 0;
          failures.onSuccess();
          break;
        } catch (err) {
          const f = isFailure(err) ? err : classifyWriteError(err);
          consecutiveFailures++;
          metrics?.onError('retriable');
          const delay = Math.max(Math.min(maxBackoffMs, 100 * 2 ** Math.min(attempt, 10)), f.retryAfterMs);
          failures.onFailure(f, { lines: lines.length, retryInMs: delay });
          await waitToRetry(f, delay);
        }
      }
      inFlightLines = 0;
      metrics?.onBatch(lines.length, performance.now() - started);
      metrics?.onPending(pendingLines);
      for (const j of jobs) if (--j.group.unwritten === 0 && j.group !== open) j.group.resolve();
    }
    writing = false;
    markIdle();
  }

  function schedule(): void {
    if (writing || timer) return;
    const start = () => {
      timer = undefined;
      idle = new Promise((r) => {
        markIdle = r;
      });
      void drain();
    };
    timer = setTimeout(start, pendingLines >= batchSize ? 0 : lingerMs);
  }

  return {
    write(lines) {
      if (lines.length === 0) return Promise.resolve();
      if (lines.length > batchSize) {
        const parts: Promise<void>[] = [];
        for (let i = 0; i < lines.length; i += batchSize) parts.push(this.write(lines.slice(i, i + batchSize)));
        return Promise.all(parts).then(() => undefined);
      }
      if (!open || open.lines >= batchSize) open = newGroup();
      const group = open;
      group.lines += lines.length;
      group.unwritten++;
      queue.push({ lines, group });
      pendingLines += lines.length;
      metrics?.onPending(pendingLines);
      if (!stopping || writing) schedule();
      return group.promise;
    },
    nextGroup() {
      if (!open || open.lines >= batchSize) open = newGroup();
      return open;
    },
    state: () => ({ pendingLines, writing, consecutiveFailures, ...failures.state() }),
    async stop(timeoutMs = 15_000) {
      stopping = true;
      if (timer) {
        clearTimeout(timer);
        timer = undefined;
      }
      if (queue.length && !writing) {
        idle = new Promise((r) => {
          markIdle = r;
        });
        void drain();
      }
      let t: NodeJS.Timeout | undefined;
      const done = await Promise.race([
        idle.then(() => true),
        new Promise<boolean>((r) => {
          t = setTimeout(() => r(false), timeoutMs);
        }),
      ]);
      clearTimeout(t);
      // Nothing is lost here (the sender, the spool or the next pass has the lines): a warning, not an error, and
      // only the spool's case is routine.
      const unwritten = { unwrittenLines: pendingLines + inFlightLines, pendingLines, inFlightLines };
      if (!done && opts.holds === 'spooled-readings') log.info(unwritten, messages.stopped);
      else if (!done) log.warn(unwritten, messages.stopped);
      return done;
    },
  };
}
