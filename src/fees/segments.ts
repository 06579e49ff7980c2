/**
 * The range of a ledger cut into segments within which everything that sets a
 * rate is constant: energy source, max load, tariff schedule and tax quarter.
 * Lines never cross a segment boundary.
 */
import { type EnergySource, type MeterFacts, type QuarterPrice } from './types.ts';
import { type Result, ok, fail } from '../util/result.ts';
import { quarterAt } from './period.ts';
import { type TariffSchedule, type TariffSet, scheduleAt, scheduleBoundariesMs } from './tariff.ts';

export interface RateSegment {
  readonly fromMs: number;
  readonly toMs: number;
  readonly source: EnergySource;
  readonly maxLoadW: number;
  readonly schedule: TariffSchedule;
  readonly taxQuarter: string;
  readonly priceTiynPerKwh: number | undefined;
}

/** The entry in force at t of a list sorted by fromMs (the first entry also covers earlier instants). */
export function entryAt<T extends { fromMs: number }>(entries: readonly T[], t: number): T {
  let found = entries[0]!;
  for (const e of entries) {
    if (e.fromMs <= t) found = e;
    else break;
  }
  return found;
}

/** Sorted, unique cut instants strictly inside (lo, hi), with lo and hi at the ends. */
export function cutPointsMs(facts: MeterFacts, lo: number, hi: number, tariffs: TariffSet): number[] {
  const inside = new Set<number>();
  const add = (t: number): void => {
    if (t > lo && t < hi) inside.add(t);
  };
  for (let i = 1; i < facts.sources.length; i++) {
    if (facts.sources[i]!.source !== facts.sources[i - 1]!.source) add(facts.sources[i]!.fromMs);
  }
  for (let i = 1; i < facts.maxLoad.length; i++) {
    if (facts.maxLoad[i]!.maxLoadW !== facts.maxLoad[i - 1]!.maxLoadW) add(facts.maxLoad[i]!.fromMs);
  }
  // Tariff dates and tax quarters are both cut at the site's local midnight (docs/fees.md, section 2).
  for (const t of scheduleBoundariesMs(tariffs, facts.timeZone)) add(t);
  for (let t = lo; t < hi;) {
    const q = quarterAt(t, facts.timeZone);
    add(q.toMs);
    t = q.toMs;
  }
  return [lo, ...[...inside].sort((a, b) => a - b), hi];
}

export function rateSegments(
  facts: MeterFacts,
  cuts: readonly number[],
  tariffs: TariffSet,
  prices: readonly QuarterPrice[],
): Result<RateSegment[]> {
  const out: RateSegment[] = [];
  for (let k = 0; k + 1 < cuts.length; k++) {
    const fromMs = cuts[k]!;
    const schedule = scheduleAt(tariffs, fromMs, facts.timeZone);
    if (schedule === undefined) {
      return fail(`meter ${facts.meterId}: no tariff schedule covers ${new Date(fromMs).toISOString()}`);
    }
    const taxQuarter = quarterAt(fromMs, facts.timeZone).label;
    const price = prices.find((p) => p.siteId === facts.siteId && p.quarter === taxQuarter);
    out.push({
      fromMs,
      toMs: cuts[k + 1]!,
      source: entryAt(facts.sources, fromMs).source,
      maxLoadW: entryAt(facts.maxLoad, fromMs).maxLoadW,
      schedule,
      taxQuarter,
      priceTiynPerKwh: price?.averagePriceTiynPerKwh,
    });
  }
  return ok(out);
}
