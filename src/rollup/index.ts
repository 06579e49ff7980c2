/**
 * Rollups in the service: the worker, the durable marks the pipeline writes,
 * recovery of unfinished marks at start, and the checkpoint that bounds it.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Registry as PromRegistry } from 'prom-client';
import type { Config } from '../config/schema.ts';
import { HOUR_MS } from '../fees/index.ts';
import type { Registry } from '../registry/types.ts';
import type { InfluxTarget } from '../store/influx-target.ts';
import type { RollupSink } from './compute.ts';
import {
  type RollupMarks,
  createRollupMarks,
  readCheckpoint,
  recoverMarks,
  recoverySinceMs,
  safePointMs,
  writeCheckpoint,
} from './marks.ts';
import { type RollupChanges, createChangeLog } from './change-log.ts';
import { type RollupWorker, createRollupWorker } from './worker.ts';

export interface Rollups {
  readonly marks: RollupMarks;
  readonly worker: RollupWorker;
  /** What each pass changed, so a cached ledger knows when it is stale. */
  readonly changes: RollupChanges;
  /** Start the worker with the recovery of unfinished marks as its first pass, and the checkpoint timer. */
  start(): Promise<void>;
  /** Every reading stored before the call is in the rollups (false: timed out, see the log). */
  flush(timeoutMs?: number): Promise<boolean>;
  /** Waits up to `timeoutMs` for pending rollups (what is left is recovered from the durable marks). */
  stop(timeoutMs?: number): Promise<void>;
  /** Every reading that arrived before this instant is stored and rolled up (what the checkpoint records). */
  safePointMs(): number;
}

export interface RollupDeps {
  readonly config: Config;
  readonly registry: Registry;
  readonly target: InfluxTarget;
  readonly sink: RollupSink;
  readonly log: Logger;
  readonly metrics?: PromRegistry;
  readonly now?: () => number;
  /** See RollupWorkerOptions.beforePass. */
  readonly beforePass?: () => Promise<void>;
  /** See RollupWorkerOptions.nothingStoredFromMs (the live seed's answer; absent when it failed). */
  readonly nothingStoredFromMs?: ReadonlyMap<string, number>;
}

const CHECKPOINT_EVERY_MS = 5_000;

/**
 * Rollups merge this process's stored readings from memory (RollupWorkerOptions.incremental) only while it stores
 * every reading of its meters, and stores them itself: not with a shared subscription, the spool, a settle delay,
 * or the state shared with other instances (docs/deploy.md "Two instances": a meter may publish to another
 * instance's broker, which stores its readings too).
 */
export const incrementalRollups = (config: Config): boolean =>
  !config.mqtt.sharedGroup &&
  !config.ingest.spool.enabled &&
  (config.rollup.settleMs ?? 0) === 0 &&
  config.state.url === undefined;

export function createRollups(deps: RollupDeps): Rollups {
  const { config, log } = deps;
  const now = deps.now ?? Date.now;
  const changes = createChangeLog();
  const worker = createRollupWorker({
    onRecomputed: (hours) => changes.record(hours),
    target: deps.target,
    sink: deps.sink,
    log,
    metrics: deps.metrics,
    now,
    intervalMs: config.rollup.intervalMs,
    maxHoursPerPass: config.rollup.maxHoursPerPass,
    settleMs: config.rollup.settleMs ?? (config.mqtt.sharedGroup ? 10_000 : 0),
    ...(deps.beforePass && { beforePass: deps.beforePass }),
    incremental: incrementalRollups(config),
    ...(deps.nothingStoredFromMs && { nothingStoredFromMs: deps.nothingStoredFromMs }),
  });
  const marks = createRollupMarks(worker);
  const file = join(config.dataDir, 'rollup-checkpoint.json');
  let timer: NodeJS.Timeout | undefined;
  /** Recovery ran: only then may a checkpoint move forward (it would otherwise skip marks not yet recovered). */
  let started = false;
  /** `clean`: a stop that left nothing pending or in flight (the next start need not read its slot back). */
  const checkpoint = (clean = false) => {
    try {
      const t = now();
      const safe = safePointMs(t, marks, worker);
      writeCheckpoint(file, safe, t, clean && safe === t);
    } catch (err) {
      log.warn(
        { err: (err as Error).message, file },
        'Could not write the rollup checkpoint; a restart will look back further.',
      );
    }
  };
  return {
    marks,
    worker,
    changes,
    async start() {
      const saved = readCheckpoint(file);
      const since = saved ? recoverySinceMs(saved) : now() - config.rollup.recoverLookbackH * HOUR_MS;
      // The first pass of the loop: a slow read is retried there, not a failed start.
      worker.recover(since, async () => {
        const n = await recoverMarks(deps.target, worker, since);
        if (n)
          log.info(
            { meterHours: n, since: new Date(since).toISOString(), cleanStop: saved?.clean ?? false },
            'Recomputing rollups of readings stored before the last stop.',
          );
      });
      worker.start();
      started = true;
      // At once: a clean checkpoint must not outlive the first readings of this run.
      checkpoint();
      timer = setInterval(checkpoint, CHECKPOINT_EVERY_MS);
      timer.unref();
    },
    flush: (timeoutMs) => worker.flush(timeoutMs),
    safePointMs: () => safePointMs(now(), marks, worker),
    async stop(timeoutMs?: number) {
      if (timer) clearInterval(timer);
      await worker.stop(timeoutMs);
      if (started) checkpoint(true);
    },
  };
}
