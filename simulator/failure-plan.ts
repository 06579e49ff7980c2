/**
 * Expands a scenario's failure entries into per-meter failure events, snapped
 * to each meter's reporting grid, reproducible from the seed.
 */
import type { FailureEvent, FailureKindName, SimMeter } from './plan-types.ts';
import type { FailureSpec } from './scenario-schema.ts';
import { ScenarioError } from './scenario-load.ts';
import { streamFor } from './prng.ts';
import { parseRegistryDate } from '../src/util/time.ts';

const DEFAULT_DURATION_MIN: Record<FailureKindName, number> = {
  outage: 30,
  'outage-will': 30,
  'store-and-forward': 60,
  fault: 60,
  reset: 0,
  spike: 0,
  'clock-skew': 120,
  duplicate: 60,
  'out-of-order': 60,
  garbage: 0,
  'wrong-topic': 0,
};

export interface Range {
  readonly startMs: number;
  readonly endMs: number | undefined;
  readonly timeZone: string;
}

export function targetMeters(
  t: { meter?: string | undefined; meters?: 'all' | string[] | undefined; sites?: string[] | undefined },
  meters: readonly SimMeter[],
  where: string,
): SimMeter[] {
  const ids = t.meter !== undefined ? [t.meter] : t.meters === undefined || t.meters === 'all' ? undefined : t.meters;
  let out = [...meters];
  if (ids) {
    const missing = ids.filter((id) => !meters.some((m) => m.id === id));
    if (missing.length) throw new ScenarioError(`${where}: meter(s) not in this run: ${missing.join(', ')}`);
    out = out.filter((m) => ids.includes(m.id));
  }
  if (t.sites) out = out.filter((m) => t.sites!.includes(m.siteId));
  if (out.length === 0) throw new ScenarioError(`${where}: targets no meter of this run`);
  return out;
}

/** First tick of the meter's grid at or after t (the grid starts at the run start). */
function snapUp(t: number, startMs: number, intervalMs: number): number {
  return startMs + Math.max(0, Math.ceil((t - startMs) / intervalMs)) * intervalMs;
}

function durationMinOf(spec: FailureSpec, draw: () => number): number {
  const d = spec.durationMin;
  if (d === undefined) return DEFAULT_DURATION_MIN[spec.kind];
  if (typeof d === 'number') return d;
  return d[0] + draw() * (d[1] - d[0]);
}

function extras(spec: FailureSpec, meter: SimMeter, meters: readonly SimMeter[], where: string): Partial<FailureEvent> {
  switch (spec.kind) {
    case 'reset':
      return { newRegisterWh: Math.round(spec.newRegisterKwh * 1000) };
    case 'spike': {
      const maxW = meter.maxLoad[meter.maxLoad.length - 1]!.maxLoadW;
      return {
        spikeWh:
          spec.kwh !== undefined ? Math.round(spec.kwh * 1000) : Math.round((50 * maxW * meter.intervalMs) / 3_600_000),
      };
    }
    case 'clock-skew':
      return { skewMs: spec.skewS * 1000 };
    case 'duplicate':
      return { probability: spec.probability };
    case 'out-of-order':
      return { probability: spec.probability, delayIntervals: spec.delayIntervals };
    case 'wrong-topic': {
      const victim = spec.victim ?? meters[(meters.indexOf(meter) + 1) % meters.length]!.id;
      if (victim === meter.id) throw new ScenarioError(`${where}: wrong-topic needs a second meter (victim)`);
      return { victim };
    }
    default:
      return {};
  }
}

export function expandFailures(
  specs: readonly FailureSpec[],
  meters: readonly SimMeter[],
  range: Range,
  seed: number,
): FailureEvent[] {
  const out: Omit<FailureEvent, 'id'>[] = [];
  specs.forEach((spec, i) => {
    const where = `scenario: failures[${i}] (${spec.kind})`;
    const targets = targetMeters(spec, meters, where);
    const prng = streamFor(seed, `failure:${i}`);
    const starts: { meter: SimMeter; atMs: number }[] = [];
    if (spec.at !== undefined) {
      const atMs = parseInstantMs(spec.at, range.timeZone, range.startMs);
      for (const meter of targets) starts.push({ meter, atMs });
    } else {
      if (spec.count === undefined)
        throw new ScenarioError(`${where}: give "at" (a time) or "count" (random occurrences)`);
      if (range.endMs === undefined)
        throw new ScenarioError(`${where}: random failures ("count") need a run with an end`);
      for (let k = 0; k < spec.count; k++) {
        const meter = prng.pick(targets);
        starts.push({ meter, atMs: range.startMs + prng.next() * (range.endMs - range.startMs) });
      }
    }
    for (const { meter, atMs } of starts) {
      const durMs = durationMinOf(spec, () => prng.next()) * 60_000;
      const fromMs = snapUp(atMs, range.startMs, meter.intervalMs);
      const toMs =
        durMs === 0
          ? fromMs
          : Math.max(fromMs + meter.intervalMs, snapUp(fromMs + durMs, range.startMs, meter.intervalMs));
      if (range.endMs !== undefined && fromMs > range.endMs) continue;
      out.push({ kind: spec.kind, meterId: meter.id, fromMs, toMs, ...extras(spec, meter, meters, where) });
    }
  });
  out.sort((a, b) => a.fromMs - b.fromMs || (a.meterId < b.meterId ? -1 : a.meterId > b.meterId ? 1 : 0));
  return out.map((e, id) => ({ id, ...e }));
}

/** A scenario instant: 'now', a date (local midnight in `timeZone`) or an ISO date-time with zone. */
export function parseInstantMs(text: string, timeZone: string, nowMs: number): number {
  if (text === 'now') return nowMs;
  const ms = parseRegistryDate(text, timeZone);
  if (ms === undefined) throw new ScenarioError(`scenario: "${text}" is not a date or date-time with zone`);
  return ms;
}
