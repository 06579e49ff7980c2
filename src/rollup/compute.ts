/**
 * Recomputes rollups of given meter-hours from the store: the hour buckets
 * from the raw readings of those hours, then the day buckets of their days
 * from the hour buckets (read back after they are stored). Rewriting a bucket
 * overwrites it, so recomputing is idempotent and any ingester may do it.
 *
 * Incremental (a RollupCache, this process the one writer of its meters'
 * readings): each hour also keeps in memory the summary of its readings up to
 * a cut, chosen after the read so that no reading at or before it can still
 * arrive unseen: before the newest reading read, and before every reading
 * stored since the pass began. The next pass, if every reading stored since
 * came after that cut, reads only the readings after it and merges them on
 * (mergeBuckets of the two parts is the whole hour: test/unit/fees/
 * bucket-summary.test.ts); a day whose hours are known is merged from memory.
 * Otherwise the hour is read whole, as above.
 */
import {
  type BucketSummary,
  DAY_MS,
  HOUR_MS,
  type Reading,
  daysFromHours,
  mergeBuckets,
  summarizeHours,
} from '../fees/index.ts';
import { emptyStats, type QueryStats } from '../store/query/client.ts';
import { readRawAfter } from '../store/query/raw-after.ts';
import { readRawHours } from '../store/query/raw-readings.ts';
import { dayRuns, readBuckets } from '../store/query/rollup-buckets.ts';
import type { InfluxTarget } from '../store/influx-target.ts';
import { rollupLine } from '../store/schema.ts';
import type { KnownHour, RollupCache } from './rollup-cache.ts';

export type MeterHours = ReadonlyMap<string, readonly number[]>;

export interface RollupSink {
  /** Resolves once the lines are stored (the batch writer). */
  write(lines: readonly string[]): Promise<void>;
}

export interface RecomputeResult {
  readonly hours: number;
  readonly days: number;
  /** Raw readings read from the store. */
  readonly rawReadings: number;
  /** Hours extended from their known summary with only their newer readings. */
  readonly incrementalHours: number;
}

export interface Incremental {
  readonly cache: RollupCache;
  /** Meter-hours (meter\u0000hour) whose known summary may be extended: every reading stored since is after its cut. */
  readonly extend: ReadonlySet<string>;
  /** The cut for a meter-hour once read, given the newest reading time read (see above). */
  cutAfterRead(key: string, newestReadMs: number): number;
  /**
   * This process's own stored readings of an extendable hour after its cut, when it holds them all (issue 27:
   * the pass merges them on without reading them back from InfluxDB). Absent for a key: read from the store.
   */
  readonly tails?: ReadonlyMap<string, readonly Reading[]>;
  /** After the pass: an hour's readings after its new cut (not in its summary), for the next pass's tail. */
  carry?(key: string, readings: readonly Reading[]): void;
  /**
   * Meter-hours to compute whole from memory instead of the store (issue 27): every stored reading of the hour is
   * one of these, this process's own since it started (src/rollup/worker.ts, fresh hours). By time.
   */
  readonly fresh?: ReadonlyMap<string, readonly Reading[]>;
}

export const hourKey = (meterId: string, hourMs: number) => `${meterId}\u0000${hourMs}`;

/** Sorted by time (stable: arrival order within a time), sorting only when they are not. */
function byTsMs(readings: Reading[]): Reading[] {
  for (let i = 1; i < readings.length; i++)
    if (readings[i]!.tsMs < readings[i - 1]!.tsMs) return readings.sort((x, y) => x.tsMs - y.tsMs);
  return readings;
}
const dayOf = (t: number) => Math.floor(t / DAY_MS) * DAY_MS;

/** Recompute the hour buckets of `dirty` and the day buckets of their days. */
export async function recomputeRollups(
  target: InfluxTarget,
  sink: RollupSink,
  dirty: MeterHours,
  stats: QueryStats = emptyStats(),
  inc?: Incremental,
): Promise<RecomputeResult> {
  const before = stats.rawReadings;
  const full = new Map<string, number[]>();
  const tails: { meterId: string; hourMs: number; afterMs: number; base: KnownHour }[] = [];
  /** Tails this process holds in memory (inc.tails), merged on without a read. */
  const held = new Map<(typeof tails)[number], readonly Reading[]>();
  /** Of `full`, the hours read from the store (the rest are fresh: inc.fresh), and the fresh readings per meter. */
  const fromStore = new Map<string, number[]>();
  const freshOf = new Map<string, Reading[]>();
  for (const [id, hours] of dirty)
    for (const h of hours) {
      const k = hourKey(id, h);
      const base = inc?.extend.has(k) ? inc.cache.hour(k) : undefined;
      const mine = base && inc?.tails?.get(k);
      if (base) {
        const t = { meterId: id, hourMs: h, afterMs: base.cutMs, base };
        if (mine) held.set(t, mine);
        tails.push(t);
      } else {
        const list = full.get(id);
        if (list) list.push(h);
        else full.set(id, [h]);
        const mem = inc?.fresh?.get(k);
        if (mem) {
          const got = freshOf.get(id);
          if (got) got.push(...mem);
          else freshOf.set(id, [...mem]);
        } else {
          const got = fromStore.get(id);
          if (got) got.push(h);
          else fromStore.set(id, [h]);
        }
      }
    }
  const [raw, after] = await Promise.all([
    fromStore.size ? readRawHours(target, fromStore, stats) : new Map<string, Reading[]>(),
    tails.length > held.size
      ? readRawAfter(
          target,
          tails.filter((t) => !held.has(t)),
          stats,
        )
      : new Map<(typeof tails)[number], Reading[]>(),
  ]);
  /** meter -> hour -> summary of everything read (undefined: the hour has no readings). */
  const computed = new Map<string, Map<number, BucketSummary | undefined>>();
  const put = (id: string, h: number, s: BucketSummary | undefined) => {
    const m = computed.get(id) ?? new Map<number, BucketSummary | undefined>();
    m.set(h, s);
    computed.set(id, m);
  };
  /** What the next pass may extend: the hour up to its cut. */
  const known: [string, KnownHour | undefined][] = [];
  const remember = (id: string, h: number, base: KnownHour | undefined, readings: readonly Reading[]) => {
    if (!inc) return;
    const k = hourKey(id, h);
    let newest = base?.summary?.lastTsMs ?? -Infinity;
    for (const r of readings) if (r.tsMs > newest) newest = r.tsMs;
    const cutMs = inc.cutAfterRead(k, newest);
    if (!Number.isFinite(cutMs)) return void known.push([k, undefined]); // nothing to extend from: read whole
    // A reading stored during the pass before the known cut: the base covers more than "up to cutMs" would
    // say, so the next pass would merge some readings twice (rollup-cut-race.test.ts). Read whole next time.
    if (base && cutMs < base.cutMs) return void known.push([k, undefined]);
    const upToCut = summarizeHours(readings.filter((r) => r.tsMs <= cutMs));
    if (!upToCut.ok) throw new Error(`meter ${id}: ${upToCut.reason}`);
    inc.carry?.(
      k,
      readings.filter((r) => r.tsMs > cutMs),
    );
    const from = base?.summary;
    known.push([k, { summary: mergeBuckets(h, [...(from ? [from] : []), ...upToCut.value]), cutMs }]);
  };
  for (const [id, hours] of full) {
    const stored: Reading[] = raw.get(id) ?? [];
    const mine = freshOf.get(id);
    const readings = mine ? byTsMs(stored.length ? [...stored, ...mine] : mine) : stored;
    const summaries = summarizeHours(readings);
    if (!summaries.ok) throw new Error(`meter ${id}: ${summaries.reason}`);
    const byStart = new Map(summaries.value.map((s) => [s.startMs, s] as const));
    const byHour = new Map<number, Reading[]>();
    if (inc)
      for (const r of readings) {
        const h = Math.floor(r.tsMs / HOUR_MS) * HOUR_MS;
        const list = byHour.get(h);
        if (list) list.push(r);
        else byHour.set(h, [r]);
      }
    for (const h of hours) {
      put(id, h, byStart.get(h));
      remember(id, h, undefined, byHour.get(h) ?? []);
    }
  }
  for (const t of tails) {
    const newerReadings: readonly Reading[] = held.get(t) ?? after.get(t) ?? [];
    const newer = summarizeHours(newerReadings);
    if (!newer.ok) throw new Error(`meter ${t.meterId}: ${newer.reason}`);
    const base = t.base.summary;
    put(t.meterId, t.hourMs, mergeBuckets(t.hourMs, [...(base ? [base] : []), ...newer.value]));
    remember(t.meterId, t.hourMs, t.base, newerReadings);
  }
  const hourLines: string[] = [];
  for (const [id, hours] of computed) for (const s of hours.values()) if (s) hourLines.push(rollupLine('hour', id, s));
  await sink.write(hourLines);
  if (inc) for (const [k, h] of known) inc.cache.setHour(k, h);

  // Days: from memory where their hours are known, else from the hour buckets read back.
  const dayLines: string[] = [];
  const toRead = new Map<string, number[]>();
  for (const [id, hours] of computed) {
    for (const d of new Set([...hours.keys()].map(dayOf))) {
      const known = inc?.cache.day(hourKey(id, d));
      if (!known) {
        const list = toRead.get(id);
        if (list) list.push(d);
        else toRead.set(id, [d]);
        continue;
      }
      for (const [h, s] of hours) {
        if (dayOf(h) !== d) continue;
        if (s) known.set(h, s);
        else known.delete(h);
      }
      const day = mergeBuckets(d, [...known.values()]);
      if (day) dayLines.push(rollupLine('day', id, day));
    }
  }
  if (toRead.size) {
    const runs = new Map([...toRead].map(([id, days]) => [id, dayRuns(days)] as const));
    const hourBuckets = await readBuckets(target, 'hour', runs, stats);
    for (const [id, days] of toRead) {
      const buckets = hourBuckets.get(id) ?? [];
      for (const day of daysFromHours(buckets)) dayLines.push(rollupLine('day', id, day));
      if (inc)
        for (const d of days)
          inc.cache.setDay(
            hourKey(id, d),
            new Map(buckets.filter((b) => dayOf(b.startMs) === d).map((b) => [b.startMs, b] as const)),
          );
    }
  }
  await sink.write(dayLines);
  return {
    hours: hourLines.length,
    days: dayLines.length,
    rawReadings: stats.rawReadings - before,
    incrementalHours: tails.length,
  };
}

/** Meter-hours as a map, hours sorted and unique. */
export function meterHours(entries: Iterable<readonly [string, number]>): Map<string, number[]> {
  const out = new Map<string, Set<number>>();
  for (const [id, h] of entries) {
    const hour = Math.floor(h / HOUR_MS) * HOUR_MS;
    const set = out.get(id) ?? new Set<number>();
    set.add(hour);
    out.set(id, set);
  }
  return new Map([...out].map(([id, s]) => [id, [...s].sort((a, b) => a - b)]));
}
