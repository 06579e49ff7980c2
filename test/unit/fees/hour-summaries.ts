/** What the store's InfluxQL per-hour aggregation returns, computed naively from raw readings. */
import type { BucketSummary } from '../../../src/fees/hourly.ts';
import type { Reading } from '../../../src/fees/types.ts';
import { H } from './helpers.ts';

/**
 * Dedupes like the store (one reading per timestamp; here the max register and
 * fault-if-any, as the pure core does) and aggregates per UTC hour. With
 * crossEdges, gap/step/power also include the step from the previous hour's
 * last reading, as InfluxQL's elapsed/difference/derivative do across buckets.
 */
export function hourSummaries(readings: readonly Reading[], crossEdges: boolean): BucketSummary[] {
  const byTs = new Map<number, Reading>();
  for (const r of readings) {
    const p = byTs.get(r.tsMs);
    if (!p) byTs.set(r.tsMs, r);
    else
      byTs.set(r.tsMs, {
        tsMs: r.tsMs,
        registerWh: Math.max(p.registerWh, r.registerWh),
        status: p.status === 'fault' || r.status === 'fault' ? 'fault' : 'ok',
      });
  }
  const sorted = [...byTs.values()].sort((a, b) => a.tsMs - b.tsMs);
  const out: BucketSummary[] = [];
  let prev: Reading | undefined;
  let cur: { -readonly [K in keyof BucketSummary]: BucketSummary[K] } | undefined;
  for (const r of sorted) {
    const startMs = Math.floor(r.tsMs / H) * H;
    if (!cur || cur.startMs !== startMs) {
      if (cur) out.push(cur);
      cur = {
        startMs,
        count: 0,
        firstTsMs: r.tsMs,
        firstRegisterWh: r.registerWh,
        lastTsMs: r.tsMs,
        lastRegisterWh: r.registerWh,
        faultCount: 0,
        maxGapMs: 0,
        minStepWh: 0,
        maxStepPowerW: 0,
      };
      if (!crossEdges) prev = undefined;
    }
    cur.count++;
    cur.lastTsMs = r.tsMs;
    cur.lastRegisterWh = r.registerWh;
    if (r.status === 'fault') cur.faultCount++;
    if (prev) {
      const gap = r.tsMs - prev.tsMs;
      const step = r.registerWh - prev.registerWh;
      cur.maxGapMs = Math.max(cur.maxGapMs, gap);
      cur.minStepWh = Math.min(cur.minStepWh, step);
      cur.maxStepPowerW = Math.max(cur.maxStepPowerW, (step * 3_600_000) / gap);
    }
    prev = r;
  }
  if (cur) out.push(cur);
  return out;
}
