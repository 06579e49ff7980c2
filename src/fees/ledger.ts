/**
 * The ledger of one meter over [fromMs, toMs): consecutive lines, no gaps or
 * overlaps, each metered or substituted, split wherever a rate input changes.
 * One pass over sorted reading columns, linear in readings; a line is only
 * allocated when its run of identical verdicts ends.
 */
import {
  type LedgerLine,
  type MeterFacts,
  type QuarterPrice,
  type Reading,
  type StatusEvent,
  type SubstitutionPolicy,
  type SubstitutionPolicyName,
  DEFAULT_POLICY,
} from './types.ts';
import { type Result, ok, fail } from '../util/result.ts';
import { type ReadingColumns, readingsToColumns } from './readings.ts';
import {
  type LedgerMode,
  type Verdict,
  V,
  createPairClassifier,
  verdictHasDelta,
  verdictMeaning,
} from './substitution.ts';
import { type RateSegment, cutPointsMs, rateSegments } from './segments.ts';
import { type AppliedRate, type TariffSet, resolveRate } from './tariff.ts';
import { interpolateRegisterWh, substitutedWh } from './energy.ts';
import { feeMilliTiyn } from './money.ts';
import { checkMeterFacts, checkPolicy } from './facts-check.ts';

/** Everything but the readings. */
export interface LedgerContext {
  readonly facts: MeterFacts;
  /**
   * Status events from the last reading at or before fromMs to the first at or
   * after toMs. Only 'offline' (the last will) matters; 'online' is informational.
   */
  readonly statusEvents: readonly StatusEvent[];
  readonly fromMs: number;
  readonly toMs: number;
  readonly tariffs: TariffSet;
  /** Default: strict, 3 grace intervals, spike tolerance 1.1. */
  readonly policy?: SubstitutionPolicy;
  /** Average electricity price per site and quarter (price-scale schedules, 2023). */
  readonly prices?: readonly QuarterPrice[];
  /**
   * toMs is "now" in a running period, not the period's end (issue 26). Then the tail after the last reading,
   * while it is within the grace (policy.graceIntervals x the reporting interval), is pending: a
   * 'no-reading-yet' line with no energy and no fee, since the next reading is simply not due yet. Once the
   * grace has passed the tail is substituted from the last reading as always; a period that has ended
   * (openEnd unset) keeps the exact rule: its tail within grace is substituted at max load.
   */
  readonly openEnd?: boolean;
}

export interface MeterLedgerInput extends LedgerContext {
  /**
   * Any order, duplicates allowed. Must include the last reading at or before
   * fromMs and the first at or after toMs, so that the spans around the period
   * boundaries are classified and interpolated from their real neighbours.
   */
  readonly readings: readonly Reading[];
}

export interface MeterLedger {
  readonly meterId: string;
  /** The covered range: [max(fromMs, commissioned), min(toMs, decommissioned)). */
  readonly fromMs: number;
  readonly toMs: number;
  readonly policy: SubstitutionPolicyName;
  readonly lines: readonly LedgerLine[];
}

export function computeMeterLedger(input: MeterLedgerInput): Result<MeterLedger> {
  const cols = readingsToColumns(input.readings);
  if (!cols.ok) return fail(`meter ${input.facts.meterId}: ${cols.reason}`);
  return buildLedger(cols.value, input, input.policy?.name ?? DEFAULT_POLICY.name);
}

/** The shared core behind the raw-readings and hourly-aggregate entry points. */
export function buildLedger(cols: ReadingColumns, ctx: LedgerContext, mode: LedgerMode): Result<MeterLedger> {
  const { facts, tariffs } = ctx;
  const policy = ctx.policy ?? DEFAULT_POLICY;
  const checked = checkMeterFacts(facts);
  if (!checked.ok) return checked;
  const policyOk = checkPolicy(policy);
  if (!policyOk.ok) return policyOk;
  if (!Number.isSafeInteger(ctx.fromMs) || !Number.isSafeInteger(ctx.toMs))
    return fail('fromMs and toMs must be integers');

  const lo = Math.max(ctx.fromMs, facts.commissionedMs);
  const hi = Math.min(ctx.toMs, facts.decommissionedMs ?? Infinity);
  const empty: MeterLedger = {
    meterId: facts.meterId,
    fromMs: lo,
    toMs: Math.max(lo, hi),
    policy: policy.name,
    lines: [],
  };
  if (!(lo < hi)) return ok(empty);

  const cuts = cutPointsMs(facts, lo, hi, tariffs);
  const segs = rateSegments(facts, cuts, tariffs, ctx.prices ?? []);
  if (!segs.ok) return segs;
  const offlineMs = ctx.statusEvents
    .filter((e) => e.state === 'offline')
    .map((e) => e.tsMs)
    .sort((a, b) => a - b);
  const classify = createPairClassifier(facts, offlineMs, policy);
  // Pending only where the data ends at "now", not at a decommissioning inside the period.
  const makeLine = lineMaker(facts, segs.value, mode, ctx.openEnd === true && hi === ctx.toMs);
  const graceMs = policy.graceIntervals * facts.reportingIntervalS * 1000;
  const lines: LedgerLine[] = [];

  // The open run: consecutive spans with one verdict inside one segment.
  let runV = -1;
  let runK = -1;
  let runFrom = 0;
  let runTo = 0;
  let runR0 = 0;
  let runR1 = 0;
  let k = 0;
  const flush = (): void => {
    if (runV >= 0) lines.push(makeLine(runV as Verdict, runK, runFrom, runTo, runR0, runR1));
  };
  /** Adds span [a, b) with verdict v between readings (t1, r1) and (t2, r2), clipped and cut. */
  const span = (v: Verdict, a: number, b: number, t1: number, r1: number, t2: number, r2: number): void => {
    let s = a > lo ? a : lo;
    const e = b < hi ? b : hi;
    if (s >= e) return;
    while (cuts[k + 1]! <= s) k++;
    const withRegister = verdictHasDelta(v);
    for (;;) {
      const segEnd = cuts[k + 1]!;
      const pe = e < segEnd ? e : segEnd;
      const rs = withRegister ? (s === t1 ? r1 : interpolateRegisterWh(t1, r1, t2, r2, s)) : NaN;
      const re = withRegister ? (pe === t2 ? r2 : interpolateRegisterWh(t1, r1, t2, r2, pe)) : NaN;
      if (v === runV && k === runK && s === runTo) {
        runTo = pe;
        runR1 = re;
      } else {
        flush();
        [runV, runK, runFrom, runTo, runR0, runR1] = [v, k, s, pe, rs, re];
      }
      if (pe === e) return;
      s = pe;
      k++;
    }
  };

  const { n, tsMs: ts, registerWh: reg, fault, cleanToNext } = cols;
  if (n === 0) {
    span(V.NO_READINGS, -Infinity, Infinity, NaN, NaN, NaN, NaN);
  } else {
    span(V.BEFORE_FIRST, -Infinity, ts[0]!, NaN, NaN, NaN, NaN);
    for (let i = 0; i + 1 < n; i++) {
      const t1 = ts[i]!;
      const t2 = ts[i + 1]!;
      if (t2 <= lo) continue;
      if (t1 >= hi) break;
      const r1 = reg[i]!;
      const r2 = reg[i + 1]!;
      const v = cleanToNext[i] === 1 ? V.METERED : classify(t1, r1, fault[i]!, t2, r2, fault[i + 1]!);
      // Hot path: extend the open run without cutting.
      if (v === runV && runTo === t1 && t2 <= cuts[runK + 1]! && t2 <= hi) {
        runTo = t2;
        runR1 = r2;
        continue;
      }
      span(v, t1, t2, t1, r1, t2, r2);
    }
    const last = ts[n - 1]!;
    // After the last reading: never extrapolated. Short tails mean the period was closed too early.
    span(hi - last <= graceMs ? V.NO_READING_YET : V.AFTER_LAST, last, Infinity, NaN, NaN, NaN, NaN);
  }
  flush();
  return ok({ ...empty, lines });
}

type LineMaker = (v: Verdict, k: number, fromMs: number, toMs: number, r0: number, r1: number) => LedgerLine;

function lineMaker(facts: MeterFacts, segs: readonly RateSegment[], mode: LedgerMode, pendingTail: boolean): LineMaker {
  const rates = new Map<string, AppliedRate>();
  return (v, k, fromMs, toMs, r0, r1) => {
    const seg = segs[k]!;
    const meaning = verdictMeaning(v, mode);
    const deltaWh = meaning.hasDelta ? r1 - r0 : null;
    let energyWh: number;
    if (meaning.basis === 'metered') energyWh = deltaWh!;
    // The open tail of a running period, within grace: pending, nothing charged yet (LedgerContext.openEnd).
    else if (pendingTail && v === V.NO_READING_YET) energyWh = 0;
    // 2023 penalty-rate schedules replace the rate, not the volume: the register where trusted.
    else if (seg.schedule.unmetered.method === 'penalty-rate' && deltaWh !== null) energyWh = deltaWh;
    // 2024+: volume substitution, max load x hours.
    else energyWh = substitutedWh(seg.maxLoadW, fromMs, toMs);
    const key = `${k}/${meaning.basis}`;
    let rate = rates.get(key);
    if (rate === undefined) {
      rate = resolveRate(seg.schedule, seg.source, meaning.basis, seg.priceTiynPerKwh);
      rates.set(key, rate);
    }
    const line: LedgerLine = {
      meterId: facts.meterId,
      siteId: facts.siteId,
      taxpayerBin: facts.taxpayerBin,
      fromMs,
      toMs,
      basis: meaning.basis,
      ...(meaning.reason === undefined ? {} : { reason: meaning.reason }),
      energySource: seg.source,
      energyWh,
      registerDeltaWh: deltaWh,
      maxLoadW: seg.maxLoadW,
      rateTiynPerKwh: rate.rateTiynPerKwh,
      feeMilliTiyn: feeMilliTiyn(energyWh, rate.rateTiynPerKwh),
      tariffId: seg.schedule.id,
      tariffVersion: seg.schedule.version,
      rule: rate.rule,
      taxQuarter: seg.taxQuarter,
      roundingRule: seg.schedule.rounding,
    };
    return line;
  };
}
