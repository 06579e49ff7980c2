/**
 * The expected ledger of one meter over one period, worked out from what the
 * simulator published (not by the service's engine), under both substitution
 * policies. Rules as the fee engine issue states them:
 * - a span between two consecutive readings (sorted by ts, same-ts copies
 *   collapsed) is metered when both are good ('ok'), the register did not go
 *   down, did not rise faster than 1.1 x max load, no last will fell inside,
 *   and the gap is at most 3 reporting intervals;
 * - otherwise it is substituted at max load: floor(W*b/3.6e6) - floor(W*a/3.6e6) Wh;
 * - 'register-reconciled' charges a comms-only span (gap, last will) whose
 *   ends are good and whose register rose plausibly at the register delta.
 * Money: the tariff lookup (schedule, rule and rate) comes from src/fees.
 */
import type { SimMeter } from '../plan-types.ts';
import type { ReadingColumns } from './collector.ts';
import type { TariffSet } from '../../src/fees/tariff.ts';
import { resolveRate, scheduleAt, scheduleBoundariesMs } from '../../src/fees/tariff.ts';
import { quarterAt } from '../../src/fees/period.ts';

export type Policy = 'strict' | 'register-reconciled';
export type SpanReason =
  | 'gap'
  | 'last-will'
  | 'fault-status'
  | 'register-reset'
  | 'spike'
  | 'before-first-reading'
  | 'after-last-reading'
  | 'no-readings'
  | 'gap-reconciled'
  | 'last-will-reconciled';

export interface ExpectedLine {
  fromMs: number;
  toMs: number;
  basis: 'metered' | 'substituted';
  reason?: SpanReason;
  source: string;
  /** Tax quarter of the line in the tariff's zone (lines never cross one). */
  taxQuarter: string;
  energyWh: number;
  rateTiynPerKwh: number | null;
  feeMilliTiyn: number | null;
}

export interface LedgerRules {
  graceIntervals: number;
  spikeTolerance: number;
}
export const DEFAULT_RULES: LedgerRules = { graceIntervals: 3, spikeTolerance: 1.1 };

const HOUR_MS = 3_600_000n;
const floorDiv = (a: bigint, b: bigint): bigint => (a % b !== 0n && a < 0n !== b < 0n ? a / b - 1n : a / b);
/** Floor-telescoped max-load energy of [a, b) in Wh (anchored at the epoch). */
export function maxLoadWh(w: number, a: number, b: number): number {
  return Number(floorDiv(BigInt(w) * BigInt(b), HOUR_MS) - floorDiv(BigInt(w) * BigInt(a), HOUR_MS));
}

const entryAt = <T extends { fromMs: number }>(list: readonly T[], t: number): T => {
  let e = list[0]!;
  for (const x of list)
    if (x.fromMs <= t) e = x;
    else break;
  return e;
};

/** Sorted, collapsed readings: same ts keeps the largest register, fault if any copy is. */
export function collapse(r: ReadingColumns): { ts: number[]; wh: number[]; fault: number[] } {
  const idx = r.tsMs.map((_, i) => i).sort((a, b) => r.tsMs[a]! - r.tsMs[b]! || a - b);
  const ts: number[] = [];
  const wh: number[] = [];
  const fault: number[] = [];
  for (const i of idx) {
    const n = ts.length;
    if (n && ts[n - 1] === r.tsMs[i]) {
      wh[n - 1] = Math.max(wh[n - 1]!, r.registerWh[i]!);
      fault[n - 1] = fault[n - 1]! | r.fault[i]!;
      continue;
    }
    ts.push(r.tsMs[i]!);
    wh.push(r.registerWh[i]!);
    fault.push(r.fault[i]!);
  }
  return { ts, wh, fault };
}

interface Span {
  a: number;
  b: number;
  ra?: number;
  rb?: number;
  reason?: SpanReason;
  commsOnly: boolean;
}

function classify(
  meter: SimMeter,
  rules: LedgerRules,
  dropsMs: readonly number[],
  t1: number,
  r1: number,
  f1: number,
  t2: number,
  r2: number,
  f2: number,
): Span {
  const base = { a: t1, b: t2, ra: r1, rb: r2 };
  if (f1 || f2) return { ...base, reason: 'fault-status', commsOnly: false };
  if (r2 < r1) return { ...base, reason: 'register-reset', commsOnly: false };
  // Spike: implied energy above tolerance x the max-load integral of the span.
  let loadWms = 0;
  for (let a = t1; a < t2;) {
    const next = meter.maxLoad.find((m) => m.fromMs > a)?.fromMs ?? Infinity;
    const b = Math.min(t2, next);
    loadWms += entryAt(meter.maxLoad, a).maxLoadW * (b - a);
    a = b;
  }
  if ((r2 - r1) * 3_600_000 > rules.spikeTolerance * loadWms) return { ...base, reason: 'spike', commsOnly: false };
  if (dropsMs.some((d) => d >= t1 && d < t2)) return { ...base, reason: 'last-will', commsOnly: true };
  if (t2 - t1 > rules.graceIntervals * meter.intervalMs) return { ...base, reason: 'gap', commsOnly: true };
  return { ...base, commsOnly: false };
}

/** Register at t inside a metered span, floor-interpolated (as at a cut point). */
function registerAt(s: Span, t: number): number {
  if (t <= s.a) return s.ra!;
  if (t >= s.b) return s.rb!;
  return s.ra! + Number((BigInt(s.rb! - s.ra!) * BigInt(t - s.a)) / BigInt(s.b - s.a));
}

interface Segment {
  fromMs: number;
  toMs: number;
  source: string;
  maxLoadW: number;
  taxQuarter: string;
  rateMetered: number | null;
  rateSubstituted: number | null;
}

/** [lo, hi) cut where source, max load, tariff schedule or tax quarter changes; each piece with its rates. */
function segments(meter: SimMeter, lo: number, hi: number, tariffs: TariffSet | undefined): Segment[] {
  const inside = new Set<number>();
  const add = (t: number) => {
    if (t > lo && t < hi) inside.add(t);
  };
  meter.sources.forEach((s) => add(s.fromMs));
  meter.maxLoad.forEach((m) => add(m.fromMs));
  // A tariff's dates, like the tax quarters, are cut at the site's local midnight.
  if (tariffs) scheduleBoundariesMs(tariffs, meter.timeZone).forEach(add);
  for (let t = lo; t < hi;) {
    const q = quarterAt(t, meter.timeZone);
    add(q.toMs);
    t = q.toMs;
  }
  const cs = [lo, ...[...inside].sort((a, b) => a - b), hi];
  const out: Segment[] = [];
  for (let k = 0; k + 1 < cs.length; k++) {
    const x = cs[k]!;
    const source = entryAt(meter.sources, x).source;
    const schedule = tariffs ? scheduleAt(tariffs, x, meter.timeZone) : undefined;
    out.push({
      fromMs: x,
      toMs: cs[k + 1]!,
      source,
      maxLoadW: entryAt(meter.maxLoad, x).maxLoadW,
      taxQuarter: quarterAt(x, meter.timeZone).label,
      rateMetered: schedule ? resolveRate(schedule, source, 'metered', undefined).rateTiynPerKwh : null,
      rateSubstituted: schedule ? resolveRate(schedule, source, 'substituted', undefined).rateTiynPerKwh : null,
    });
  }
  return out;
}

export function expectedLedger(
  meter: SimMeter,
  readings: ReadingColumns,
  dropsMs: readonly number[],
  fromMs: number,
  toMs: number,
  policy: Policy,
  tariffs: TariffSet | undefined,
  rules: LedgerRules = DEFAULT_RULES,
): ExpectedLine[] {
  const lo = Math.max(fromMs, meter.commissionedMs);
  if (toMs <= lo) return [];
  const r = collapse(readings);
  const spans: Span[] = [];
  if (r.ts.length === 0) spans.push({ a: lo, b: toMs, reason: 'no-readings', commsOnly: false });
  else {
    spans.push({ a: -Infinity, b: r.ts[0]!, reason: 'before-first-reading', commsOnly: false });
    for (let i = 0; i + 1 < r.ts.length; i++) {
      if (r.ts[i + 1]! <= lo || r.ts[i]! >= toMs) continue;
      spans.push(
        classify(meter, rules, dropsMs, r.ts[i]!, r.wh[i]!, r.fault[i]!, r.ts[i + 1]!, r.wh[i + 1]!, r.fault[i + 1]!),
      );
    }
    spans.push({ a: r.ts[r.ts.length - 1]!, b: Infinity, reason: 'after-last-reading', commsOnly: false });
  }
  const segs = segments(meter, lo, toMs, tariffs);
  const lines: ExpectedLine[] = [];
  let k = 0;
  for (const s of spans) {
    const a = Math.max(s.a, lo);
    const b = Math.min(s.b, toMs);
    if (b <= a) continue;
    const metered = s.reason === undefined || (policy === 'register-reconciled' && s.commsOnly);
    const reason: SpanReason | undefined =
      s.reason === undefined
        ? undefined
        : metered
          ? s.reason === 'last-will'
            ? 'last-will-reconciled'
            : 'gap-reconciled'
          : s.reason;
    while (k > 0 && segs[k]!.fromMs > a) k--;
    while (segs[k]!.toMs <= a) k++;
    for (let j = k; j < segs.length && segs[j]!.fromMs < b; j++) {
      const seg = segs[j]!;
      const x = Math.max(a, seg.fromMs);
      const y = Math.min(b, seg.toMs);
      const energyWh = metered ? registerAt(s, y) - registerAt(s, x) : maxLoadWh(seg.maxLoadW, x, y);
      const rate = metered ? seg.rateMetered : seg.rateSubstituted;
      appendLine(lines, {
        fromMs: x,
        toMs: y,
        basis: metered ? 'metered' : 'substituted',
        ...(reason && { reason }),
        source: seg.source,
        taxQuarter: seg.taxQuarter,
        energyWh,
        rateTiynPerKwh: rate,
        feeMilliTiyn: rate === null ? null : energyWh * rate,
      });
    }
  }
  return lines;
}

/** Consecutive pieces with the same basis, reason, source and rate become one line. */
function appendLine(lines: ExpectedLine[], l: ExpectedLine): void {
  const p = lines[lines.length - 1];
  if (
    p &&
    p.toMs === l.fromMs &&
    p.basis === l.basis &&
    p.reason === l.reason &&
    p.source === l.source &&
    p.taxQuarter === l.taxQuarter &&
    p.rateTiynPerKwh === l.rateTiynPerKwh
  ) {
    p.toMs = l.toMs;
    p.energyWh += l.energyWh;
    p.feeMilliTiyn = p.feeMilliTiyn === null || l.feeMilliTiyn === null ? null : p.feeMilliTiyn + l.feeMilliTiyn;
    return;
  }
  lines.push(l);
}
