import type { Logger } from 'pino';
import type { WriteApi } from '@influxdata/influxdb-client';
import { describeWriteError, isPoison } from './write-api.ts';

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
    lastError?: string;
    lastErrorAtMs?: number;
    consecutiveFailures: number;
  };
  /** Flush what is pending and stop, waiting at most `timeoutMs`; writes that cannot complete stay unacknowledged. */
  stop(timeoutMs?: number): Promise<boolean>;
}

interface Job {
  lines: readonly string[];
  resolve: () => void;
}

export interface BatchWriterOptions {
  writeApi: WriteApi;
  batchSize: number;
  /** Wait this long after the first line for more to join the batch (group commit). */
  lingerMs: number;
  log: Logger;
  metrics?: WriterMetrics;
  /** Lines InfluxDB refused with 4xx, isolated by splitting the batch. */
  onPoison?: (lines: readonly string[], error: string) => void;
  maxBackoffMs?: number;
}

/**
 * Group-commit writer: callers wait until their lines are stored, so an MQTT message is acknowledged only
 * after InfluxDB accepted it. Retriable failures (network, 429, 5xx) are retried with backoff for as long as
 * it takes: nothing is acknowledged meanwhile, so the broker keeps the messages. One batch in flight at a time.
 */
export function createBatchWriter(opts: BatchWriterOptions): BatchWriter {
  const { writeApi, batchSize, lingerMs, log, metrics } = opts;
  const maxBackoffMs = opts.maxBackoffMs ?? 10_000;
  const queue: Job[] = [];
  let pendingLines = 0;
  let writing = false;
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  let lastError: string | undefined;
  let lastErrorAtMs: number | undefined;
  let consecutiveFailures = 0;
  let idle: Promise<void> = Promise.resolve();
  let markIdle: () => void = () => {};

  async function send(lines: readonly string[]): Promise<void> {
    writeApi.writeRecords(lines as string[]);
    await writeApi.flush();
  }

  /** Write, splitting on 4xx to isolate poison lines; retriable errors propagate. */
  async function sendIsolating(lines: readonly string[]): Promise<void> {
    try {
      await send(lines);
    } catch (err) {
      if (!isPoison(err)) throw err;
      metrics?.onError('poison');
      if (lines.length === 1) {
        opts.onPoison?.(lines, describeWriteError(err));
        return;
      }
      const mid = Math.ceil(lines.length / 2);
      await sendIsolating(lines.slice(0, mid));
      await sendIsolating(lines.slice(mid));
    }
  }

  function take(): Job[] {
    const jobs: Job[] = [];
    let n = 0;
    while (queue.length && (n === 0 || n + queue[0]!.lines.length <= batchSize)) {
      const job = queue.shift()!;
      jobs.push(job);
      n += job.lines.length;
    }
    pendingLines -= n;
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
          break;
        } catch (err) {
          consecutiveFailures++;
          lastError = describeWriteError(err);
          lastErrorAtMs = Date.now();
          metrics?.onError('retriable');
          const delay = Math.min(maxBackoffMs, 100 * 2 ** Math.min(attempt, 10));
          log.warn(
            { err: lastError, lines: lines.length, attempt, retryInMs: delay },
            'InfluxDB write failed; retrying, messages stay unacknowledged.',
          );
          await new Promise((r) => setTimeout(r, delay));
        }
      }
      metrics?.onBatch(lines.length, performance.now() - started);
      metrics?.onPending(pendingLines);
      for (const j of jobs) j.resolve();
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
      return new Promise<void>((resolve) => {
        queue.push({ lines, resolve });
        pendingLines += lines.length;
        metrics?.onPending(pendingLines);
        if (!stopping || writing) schedule();
      });
    },
    state: () => ({
      pendingLines,
      writing,
      consecutiveFailures,
      ...(lastError !== undefined && { lastError, lastErrorAtMs }),
    }),
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
      if (!done)
        log.error(
          { pendingLines },
          'Writer stopped with unwritten lines; they were not acknowledged and the broker will redeliver them.',
        );
      return done;
    },
  };
}
