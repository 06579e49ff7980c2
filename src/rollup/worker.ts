/**
 * Keeps the rollups current as readings arrive. The ingest pipeline reports
 * each meter-hour it has stored readings for (markDirty, after the write is
 * acknowledged); a pass every `intervalMs` recomputes those hours from the
 * store and then their days (src/rollup/compute.ts). Marks that arrive during
 * a pass wait for the next one, so the last pass after the last write sees it.
 * With several ingesters on one shared subscription, two may write the same
 * meter-hour: `settleMs` recomputes every hour once more after that delay, so
 * the last rollup written for an hour is computed after its last reading.
 * Failures (InfluxDB down) put the hours back; the wing's pass loop (src/derived/pass-loop.ts) retries with
 * backoff and halves the hours per pass when a pass runs past the query timeout.
 */
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry as PromRegistry } from 'prom-client';
import { createPassLoop, type NextPass } from '../derived/pass-loop.ts';
import type { InfluxTarget } from '../store/influx-target.ts';
import { HOUR_MS, type Reading } from '../fees/index.ts';
import { type RollupSink, hourKey, meterHours, recomputeRollups } from './compute.ts';
import { createRollupCache } from './rollup-cache.ts';

export interface RollupWorkerOptions {
  readonly target: InfluxTarget;
  readonly sink: RollupSink;
  readonly log: Logger;
  readonly intervalMs: number;
  /** Recompute each hour once more this long after it was last marked (0: off). */
  readonly settleMs: number;
  readonly maxHoursPerPass: number;
  readonly metrics?: PromRegistry;
  readonly now?: () => number;
  /** Told the meter-hours after each pass that stored their rollups (ledger caches listen). */
  readonly onRecomputed?: (meterHours: (readonly [string, number])[]) => void;
  /** Awaited before each pass reads the store: with the spool on, until what was acknowledged has reached InfluxDB. */
  readonly beforePass?: () => Promise<void>;
  /**
   * This process stores every reading of its meters (no shared subscription, no spool replaying behind it): a
   * pass reads only the readings stored after an hour's known part (src/rollup/compute.ts), not the whole hour.
   */
  readonly incremental?: boolean;
  /**
   * Per meter, the instant from which nothing of it was stored before this process began writing (the live seed;
   * absent: not known). With `incremental`, an hour beginning at or after it that no pass has taken yet holds only
   * readings this process stored, every one in its tail: its first pass computes it from memory instead of
   * reading the hour back (issue 27: a backlog drain's first pass read back 57,000 readings).
   */
  readonly nothingStoredFromMs?: ReadonlyMap<string, number>;
}

export interface RollupWorker {
  /**
   * Readings of this meter-hour are stored; `markedAtMs`: when the first of them was received; `minTsMs`: the
   * earliest reading time among them (unknown, e.g. a mark recovered at start: the hour is read whole).
   */
  markDirty(meterId: string, hourStartMs: number, markedAtMs: number, minTsMs?: number): void;
  /**
   * A stored reading of this meter-hour (issue 27): with `incremental`, the worker keeps this process's stored
   * readings after each hour's cut and merges them on at the next pass instead of reading them back.
   */
  holdTail(meterId: string, hourStartMs: number, reading: Reading): void;
  /**
   * Some line told to be stored was not (InfluxDB refused it as bad data): the held readings may count one that
   * is not stored. Drops them and what was computed from them; hours are read from the store from now on.
   */
  distrustTails(): void;
  /**
   * Recovery at start as the first pass: `read` hands the durable marks since `sinceMs` to markDirty. Until it has
   * run, flush waits and nothing since `sinceMs` counts as rolled up; a read that fails (a timeout: InfluxDB slow)
   * is retried by the pass loop with its backoff, instead of failing the start.
   */
  recover(sinceMs: number, read: () => Promise<void>): void;
  start(): void;
  /** Resolves when every hour marked before the call has its rollups stored (or the timeout passed: false). */
  flush(timeoutMs?: number): Promise<boolean>;
  stop(timeoutMs?: number): Promise<void>;
  /** Earliest arrival time of any mark not yet rolled up (undefined when none). */
  oldestPendingMs(): number | undefined;
  /** `nextPassInMs`: when the next pass is due (0: running), absent when none is scheduled. */
  state(): {
    pendingHours: number;
    passes: number;
    hoursRecomputed: number;
    lastError?: string;
    nextPassInMs?: number;
  };
}

interface Tail {
  /** Given back by a pass (after its cut); older than every arrival. */
  readonly carried: Reading[];
  /** Stored since, in arrival order. */
  readonly arrived: Reading[];
}

/** A tail's readings by time, one per time: the last to arrive wins, as in InfluxDB. */
function byTime(t: Tail): Reading[] {
  const all = t.carried.length ? [...t.carried, ...t.arrived] : t.arrived;
  all.sort((x, y) => x.tsMs - y.tsMs); // stable: arrival order within a time
  const out: Reading[] = [];
  for (const r of all) {
    if (out.length && out[out.length - 1]!.tsMs === r.tsMs) out[out.length - 1] = r;
    else out.push(r);
  }
  return out;
}

/** Readings held for the next passes' tails, at most (about 100 bytes each). */
const MAX_TAIL_READINGS = 200_000;

function rollupMetrics(registry: PromRegistry | undefined, pendingHours: () => number) {
  if (!registry) return undefined;
  return {
    passes: new Counter({
      name: 'kzm_rollup_passes_total',
      help: 'Rollup passes, by outcome (ok, error)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    hours: new Counter({
      name: 'kzm_rollup_hourly_recomputed_total',
      help: 'Meter-hour rollups recomputed from raw readings',
      registers: [registry],
    }),
    days: new Counter({
      name: 'kzm_rollup_daily_recomputed_total',
      help: 'Meter-day rollups recomputed from hour rollups',
      registers: [registry],
    }),
    rawRead: new Counter({
      name: 'kzm_rollup_raw_readings_read_total',
      help: 'Raw readings read back from InfluxDB by rollup passes',
      registers: [registry],
    }),
    incremental: new Counter({
      name: 'kzm_rollup_hourly_incremental_total',
      help: 'Meter-hour rollups extended with only their newer readings (the rest were read whole)',
      registers: [registry],
    }),
    pending: new Gauge({
      name: 'kzm_rollup_pending_hourly',
      help: 'Meter-hours waiting for their rollups (a count of meter-hours, not a duration)',
      registers: [registry],
      // Read at the scrape, not set at every mark (issue 27: a gauge set per stored reading).
      collect() {
        this.set(pendingHours());
      },
    }),
  };
}

export function createRollupWorker(opts: RollupWorkerOptions): RollupWorker {
  const now = opts.now ?? Date.now;
  const m = rollupMetrics(opts.metrics, () => pending());
  /** key meter\u0000hour -> earliest mark time */
  const dirty = new Map<string, number>();
  /** Second-chance recomputes (settleMs): key -> due time. */
  const settle = new Map<string, number>();
  let inPass: Map<string, number> | undefined;
  let hoursRecomputed = 0;
  /** Passes that recomputed something (a pass that found nothing due is not counted). */
  let passes = 0;
  /** Passes started and ended (ok or not): a flush waits for a pass that started after it was called. */
  let started = 0;
  let ended = 0;
  const waiters: { calledAtMs: number; afterPass: number; done: () => void }[] = [];
  /** No hour marked at or before t is waiting (hours marked again later do not hold a flush). */
  const settledUpTo = (t: number): boolean => {
    if (recovery) return false;
    for (const at of dirty.values()) if (at <= t) return false;
    return true;
  };

  const cache = createRollupCache();
  /**
   * Per meter-hour, this process's stored readings after the hour's cut (by time: a redelivered reading overwrites,
   * as in InfluxDB). While `incremental`, it holds every one of them, so an extendable hour needs no read: each
   * stored reading is added (holdTail), and a pass gives back those after its new cut (carry). Bounded: past
   * MAX_TAIL_READINGS all are dropped with the cache (the hours are read whole), and `tailEpoch` tells a running
   * pass not to trust what it set.
   */
  const tailBuf = new Map<string, Tail>();
  let tailCount = 0;
  let tailEpoch = 0;
  const dropTails = () => {
    tailBuf.clear();
    tailCount = 0;
    tailEpoch++;
    cache.clear();
  };
  /** Arrivals are appended (no per-reading map: times are not small integers); carried ones come before them. */
  const addTail = (k: string, r: Reading, carried: boolean) => {
    let t = tailBuf.get(k);
    if (!t) tailBuf.set(k, (t = { carried: [], arrived: [] }));
    (carried ? t.carried : t.arrived).push(r);
    if (++tailCount > MAX_TAIL_READINGS) dropTails();
  };
  /** key -> earliest reading time stored since the key was last taken into a pass (-Infinity: unknown). */
  const since = new Map<string, number>();
  const split = (k: string): readonly [string, number] => {
    const i = k.lastIndexOf('\u0000');
    return [k.slice(0, i), Number(k.slice(i + 1))];
  };
  /** Recovery not yet read (see recover): the marks since sinceMs are still to come. */
  let recovery: { sinceMs: number; read: () => Promise<void> } | undefined;
  /** Each meter's last meter-hour key: most marks are for the hour of the meter's previous one (no new string). */
  const lastKey = new Map<string, { hourMs: number; key: string }>();
  const keyOf = (meterId: string, hourMs: number): string => {
    const l = lastKey.get(meterId);
    if (l?.hourMs === hourMs) return l.key;
    const key = hourKey(meterId, hourMs);
    if (l) {
      l.hourMs = hourMs;
      l.key = key;
    } else lastKey.set(meterId, { hourMs, key });
    return key;
  };
  const pending = () => dirty.size + (inPass?.size ?? 0) + (recovery ? 1 : 0);

  /**
   * Per meter, hours before this were taken by a pass (or predate nothingStoredFromMs): never fresh (again). An
   * hour's tail is whole only until its first pass takes it; after that it is extended from the cache, or read.
   */
  const freshFrom = new Map<string, number>();
  const isFresh = (meterId: string, hourMs: number): boolean => {
    const bound = opts.nothingStoredFromMs?.get(meterId);
    return bound !== undefined && hourMs >= bound && hourMs >= (freshFrom.get(meterId) ?? -Infinity);
  };

  /** Hours due now: settle rechecks first (marked `fromSettle`), then fresh marks with their earliest mark time. */
  function take(maxHours: number): {
    batch: Map<string, number>;
    fromSettle: Set<string>;
    extend: Set<string>;
    tails: Map<string, Reading[]>;
    fresh: Map<string, Reading[]>;
  } {
    const batch = new Map<string, number>();
    const fromSettle = new Set<string>();
    const extend = new Set<string>();
    const tails = new Map<string, Reading[]>();
    const freshKeys = new Set<string>();
    const fresh = new Map<string, Reading[]>();
    const t = now();
    for (const [k, due] of settle) {
      if (batch.size >= maxHours) break;
      if (due > t) continue;
      batch.set(k, due);
      fromSettle.add(k);
      settle.delete(k);
    }
    for (const [k, at] of dirty) {
      if (batch.size >= maxHours) break;
      batch.set(k, Math.min(at, batch.get(k) ?? Infinity));
      fromSettle.delete(k); // marked again: a fresh mark, settled once more below
      dirty.delete(k);
      const earliest = since.get(k) ?? -Infinity;
      since.delete(k);
      const known = opts.incremental ? cache.hour(k) : undefined;
      if (known && earliest > known.cutMs) extend.add(k);
      // Only marks from stored readings (a finite earliest; a recovered mark's is unknown), tails never dropped.
      else if (opts.incremental && !known && tailEpoch === 0 && Number.isFinite(earliest)) {
        const [meterId, hourMs] = split(k);
        if (isFresh(meterId, hourMs)) freshKeys.add(k);
      }
    }
    // An hour read whole gives its readings after the cut back by carry; an extended one is merged from these, a
    // fresh one computed from them. Once taken, no hour of the meter up to this one is fresh again.
    for (const k of batch.keys()) {
      if (opts.nothingStoredFromMs) {
        const [meterId, hourMs] = split(k);
        freshFrom.set(meterId, Math.max(freshFrom.get(meterId) ?? -Infinity, hourMs + HOUR_MS));
      }
      const t = tailBuf.get(k);
      if (!t) continue;
      tailBuf.delete(k);
      tailCount -= t.carried.length + t.arrived.length;
      if (extend.has(k)) tails.set(k, byTime(t));
      else if (freshKeys.has(k)) fresh.set(k, byTime(t));
    }
    return { batch, fromSettle, extend, tails, fresh };
  }

  async function pass(maxHours: number): Promise<NextPass> {
    if (recovery) {
      try {
        await recovery.read();
      } catch (err) {
        ended++;
        throw err; // the loop retries it, later (backoff; after a timeout it says the query was slow)
      }
      recovery = undefined;
    }
    const { batch, fromSettle, extend, tails, fresh } = take(maxHours);
    const epoch = tailEpoch;
    if (!batch.size) {
      ended++;
      return settle.size ? 'later' : 'idle';
    }
    inPass = batch;
    try {
      await opts.beforePass?.();
      const r = await recomputeRollups(
        opts.target,
        opts.sink,
        meterHours([...batch.keys()].map(split)),
        undefined,
        opts.incremental
          ? {
              cache,
              extend,
              // Before the newest reading read, and before any reading stored since this pass began.
              cutAfterRead: (k, newest) => Math.min(newest, (since.get(k) ?? Infinity) - 1),
              tails,
              fresh,
              // Readings stored since the pass began are held already (and newer): they win over these.
              carry: (k, readings) => {
                if (epoch === tailEpoch) for (const r of readings) addTail(k, r, true);
              },
            }
          : undefined,
      );
      // Tails dropped during the pass: what it remembered may miss readings. Read whole next time.
      if (epoch !== tailEpoch) cache.clear();
      passes++;
      hoursRecomputed += r.hours;
      opts.onRecomputed?.([...batch.keys()].map(split));
      m?.passes.inc({ outcome: 'ok' });
      m?.hours.inc(r.hours);
      m?.rawRead.inc(r.rawReadings);
      m?.incremental.inc(r.incrementalHours);
      m?.days.inc(r.days);
      if (opts.settleMs > 0) for (const k of batch.keys()) if (!fromSettle.has(k)) settle.set(k, now() + opts.settleMs);
      // Back to back only for a backlog (a full pass, recovery) or a flush waiting. Hours marked again while this
      // pass ran wait `intervalMs`, gathering more: in a steady stream every meter-hour is marked again at once,
      // and passes back to back rewrote every hour and day row each time (issue 27: 9 passes, 18,000 rollup
      // rows in a 5 s embedded drain of 100,000 readings, a third of influxd's work on top of the readings).
      // (A flush this pass satisfied is released after it returns: only one still unsatisfied counts.)
      const backlog =
        recovery !== undefined || batch.size >= maxHours || waiters.some((w) => !settledUpTo(w.calledAtMs));
      if (pending()) return backlog ? 'now' : 'later';
      return settle.size ? 'later' : 'idle';
    } catch (err) {
      m?.passes.inc({ outcome: 'error' });
      dropTails(); // what the failed pass half did is not known: read whole next time (the cache too)
      for (const [k, at] of batch)
        if (!fromSettle.has(k)) dirty.set(k, Math.min(at, dirty.get(k) ?? Infinity));
        else settle.set(k, now() + opts.settleMs);
      throw err; // the loop logs it and retries with backoff (smaller passes after a timeout)
    } finally {
      ended++;
      inPass = undefined;
    }
  }

  const loop = createPassLoop({
    name: 'rollups',
    log: opts.log,
    intervalMs: opts.intervalMs,
    maxSize: opts.maxHoursPerPass,
    run: (size) => {
      started++;
      return pass(size);
    },
    afterPass: () => {
      for (const w of [...waiters]) {
        if (ended < w.afterPass || !settledUpTo(w.calledAtMs)) continue;
        waiters.splice(waiters.indexOf(w), 1);
        w.done();
      }
    },
  });

  return {
    markDirty(meterId, hourStartMs, markedAtMs, minTsMs = -Infinity) {
      const k = keyOf(meterId, hourStartMs);
      const s = since.get(k);
      if (s === undefined || minTsMs < s) since.set(k, minTsMs);
      const prev = dirty.get(k);
      if (prev === undefined || markedAtMs < prev) dirty.set(k, markedAtMs);
      loop.kick(opts.intervalMs);
    },
    holdTail(meterId, hourStartMs, reading) {
      if (opts.incremental) addTail(keyOf(meterId, hourStartMs), reading, false);
    },
    distrustTails: () => dropTails(),
    recover(sinceMs, read) {
      recovery = { sinceMs, read };
    },
    start() {
      loop.start();
      if (pending()) loop.kick(0);
    },
    async flush(timeoutMs = 60_000) {
      if (!pending()) return true;
      // A pass running now (a batch, or the recovery read) counts when it ends; otherwise the next pass. Hours
      // still waiting after it hold the flush through settledUpTo, and keep the loop going. (Waiting for a pass
      // after a running recovery pass hung: that pass left nothing pending, so no further pass came.)
      const w = { calledAtMs: now(), afterPass: started > ended ? started : started + 1, done: () => {} };
      loop.kick(0);
      return new Promise<boolean>((resolve) => {
        const t = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          resolve(false);
        }, timeoutMs);
        t.unref();
        w.done = () => {
          clearTimeout(t);
          resolve(true);
        };
        waiters.push(w);
      });
    },
    async stop(timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      if (pending()) await this.flush(timeoutMs);
      await loop.stop(Math.max(0, until - Date.now()));
      if (pending())
        opts.log.warn(
          { hours: pending() },
          'Stopped with rollups pending; they are recovered from the durable marks at the next start.',
        );
    },
    oldestPendingMs() {
      let min: number | undefined = recovery?.sinceMs;
      for (const map of [dirty, inPass ?? new Map<string, number>()])
        for (const at of map.values()) if (min === undefined || at < min) min = at;
      return min;
    },
    state: () => {
      const l = loop.state();
      return {
        pendingHours: pending(),
        passes,
        hoursRecomputed,
        ...(l.lastError && { lastError: l.lastError }),
        ...(l.nextInMs !== undefined && { nextPassInMs: l.nextInMs }),
      };
    },
  };
}
