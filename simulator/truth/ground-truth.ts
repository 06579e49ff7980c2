/**
 * Ground truth of a run, as plain JSON-ready data: per meter and per period
 * (local months, quarters, the whole run) the true energy, the intervals
 * metering was down and why, and the expected ledger under both policies.
 */
import type { FailureEvent, SimMeter, SimPlan } from '../plan-types.ts';
import type { MeterAcc, TruthCollector } from './collector.ts';
import type { TariffSet } from '../../src/fees/tariff.ts';
import { scheduleAt } from '../../src/fees/tariff.ts';
import { roundMilliTiynToTiyn } from '../../src/fees/money.ts';
import { addDays, addMonths, formatLocalDate, localDateOf, zonedMidnightMs } from '../../src/fees/zoned-time.ts';
import { DEFAULT_RULES, expectedLedger, type ExpectedLine, type Policy } from './expected-ledger.ts';

const iso = (ms: number): string => new Date(ms).toISOString();

export interface PolicyTotals {
  energyWh: number;
  meteredWh: number;
  substitutedWh: number;
  substitutedByReason: Record<string, number>;
  /** Exact, before rounding; null without tariffs. */
  feeMilliTiyn: number | null;
  /** Rounded once for the meter's period, with the schedule's rounding rule. */
  feeTiyn: number | null;
  lines: (ExpectedLine & { from: string; to: string })[];
}

export interface PeriodTruth {
  period: string;
  kind: 'month' | 'quarter' | 'run';
  fromMs: number;
  toMs: number;
  /** True when the period reaches beyond the run and was cut to it. */
  clipped: boolean;
  trueEnergyWh: number;
  expected: Record<Policy, PolicyTotals>;
  /** Strict fee minus register-reconciled fee: what outages cost. */
  costOfOutagesMilliTiyn: number | null;
}

const DOWN_REASON: Partial<Record<FailureEvent['kind'], string>> = {
  outage: 'comms-outage',
  'outage-will': 'last-will',
  'store-and-forward': 'store-and-forward',
  fault: 'fault',
  reset: 'register-reset',
  spike: 'spike',
  'clock-skew': 'clock-skew',
};

function periodsOf(
  meter: SimMeter,
  fromMs: number,
  toMs: number,
): { period: string; kind: PeriodTruth['kind']; fromMs: number; toMs: number; clipped: boolean }[] {
  const tz = meter.timeZone;
  const out: { period: string; kind: PeriodTruth['kind']; fromMs: number; toMs: number; clipped: boolean }[] = [];
  const d0 = localDateOf(fromMs, tz);
  for (const kind of ['month', 'quarter'] as const) {
    const len = kind === 'month' ? 1 : 3;
    let first = { year: d0.year, month: kind === 'month' ? d0.month : Math.floor((d0.month - 1) / 3) * 3 + 1, day: 1 };
    for (;;) {
      const a = zonedMidnightMs(first, tz);
      if (a >= toMs) break;
      const b = zonedMidnightMs(addMonths(first, len), tz);
      const label =
        kind === 'month'
          ? `${first.year}-${String(first.month).padStart(2, '0')}`
          : `${first.year}-Q${(first.month + 2) / 3}`;
      out.push({
        period: label,
        kind,
        fromMs: Math.max(a, fromMs),
        toMs: Math.min(b, toMs),
        clipped: a < fromMs || b > toMs,
      });
      first = addMonths(first, len);
    }
  }
  const startDay = localDateOf(fromMs, tz);
  const endDay = localDateOf(toMs, tz);
  const aligned = zonedMidnightMs(startDay, tz) === fromMs && zonedMidnightMs(endDay, tz) === toMs;
  out.push({
    period: aligned ? `${formatLocalDate(startDay)}..${formatLocalDate(addDays(endDay, -1))}` : 'run',
    kind: 'run',
    fromMs,
    toMs,
    clipped: false,
  });
  return out;
}

function totals(lines: ExpectedLine[], tariffs: TariffSet | undefined, fromMs: number, timeZone: string): PolicyTotals {
  const t: PolicyTotals = {
    energyWh: 0,
    meteredWh: 0,
    substitutedWh: 0,
    substitutedByReason: {},
    feeMilliTiyn: tariffs ? 0 : null,
    feeTiyn: null,
    lines: [],
  };
  for (const l of lines) {
    t.energyWh += l.energyWh;
    if (l.basis === 'metered') t.meteredWh += l.energyWh;
    else {
      t.substitutedWh += l.energyWh;
      t.substitutedByReason[l.reason!] = (t.substitutedByReason[l.reason!] ?? 0) + l.energyWh;
    }
    if (t.feeMilliTiyn !== null) t.feeMilliTiyn = l.feeMilliTiyn === null ? null : t.feeMilliTiyn + l.feeMilliTiyn;
    t.lines.push({ ...l, from: iso(l.fromMs), to: iso(l.toMs) });
  }
  const schedule = tariffs ? scheduleAt(tariffs, fromMs, timeZone) : undefined;
  if (t.feeMilliTiyn !== null && schedule) t.feeTiyn = roundMilliTiynToTiyn(t.feeMilliTiyn, schedule.rounding);
  return t;
}

function trueEnergyWh(acc: MeterAcc | undefined, fromMs: number, toMs: number): number {
  let joules = 0;
  for (const m of acc?.months.values() ?? []) if (m.fromMs < toMs && m.toMs > fromMs) joules += m.joules;
  return Math.round(joules / 3600);
}

export interface GroundTruthOptions {
  plan: SimPlan;
  collector: TruthCollector;
  /** End of what was generated: the plan's end, or the last tick of a stopped live run. */
  coveredToMs: number;
  tariffs: TariffSet | undefined;
  tariffNote?: string;
  /** Whether the service sees last wills at their simulated time (only with the real clock). */
  willsInHistory: boolean;
  clock: string;
}

export function buildGroundTruth(o: GroundTruthOptions): Record<string, unknown> {
  const { plan, collector } = o;
  const fromMs = plan.startMs;
  const toMs = o.coveredToMs;
  const meters = plan.meters.map((meter) => {
    const acc = collector.meters.get(meter.id);
    const readings = acc?.readings ?? { tsMs: [], registerWh: [], fault: [] };
    const drops = [...(o.willsInHistory ? (acc?.dropsMs ?? []) : []), ...(acc?.timedDropsMs ?? [])].sort(
      (a, b) => a - b,
    );
    const downIntervals = plan.failures
      .filter((f) => f.meterId === meter.id && DOWN_REASON[f.kind] && f.fromMs <= toMs)
      .map((f) => ({
        failureId: f.id,
        reason: DOWN_REASON[f.kind]!,
        from: iso(f.fromMs),
        to: iso(Math.min(f.toMs, toMs)),
        fromMs: f.fromMs,
        toMs: Math.min(f.toMs, toMs),
        meteringLost: f.kind !== 'store-and-forward' && f.kind !== 'clock-skew',
      }));
    const periods: PeriodTruth[] = periodsOf(meter, fromMs, toMs).map((p) => {
      const expected = {} as Record<Policy, PolicyTotals>;
      for (const policy of ['strict', 'register-reconciled'] as const) {
        expected[policy] = totals(
          expectedLedger(meter, readings, drops, p.fromMs, p.toMs, policy, o.tariffs, DEFAULT_RULES),
          o.tariffs,
          p.fromMs,
          meter.timeZone,
        );
      }
      const s = expected.strict.feeMilliTiyn;
      const r = expected['register-reconciled'].feeMilliTiyn;
      return {
        ...p,
        trueEnergyWh: trueEnergyWh(acc, p.fromMs, p.toMs),
        expected,
        costOfOutagesMilliTiyn: s === null || r === null ? null : s - r,
      };
    });
    return {
      meterId: meter.id,
      siteId: meter.siteId,
      timeZone: meter.timeZone,
      reportingIntervalS: meter.intervalMs / 1000,
      maxLoadW: meter.maxLoad[meter.maxLoad.length - 1]!.maxLoadW,
      syntheticRigs: meter.syntheticRigs,
      messagesSent: acc?.messages ?? 0,
      readingsPublished: acc?.readings.tsMs.length ?? 0,
      foreignReadingsOnTopic: acc?.foreign.tsMs.length ?? 0,
      downIntervals,
      periods,
    };
  });
  return {
    scenario: plan.name,
    seed: plan.seed,
    clock: o.clock,
    range: { from: iso(fromMs), to: iso(toMs), fromMs, toMs },
    rules: {
      ...DEFAULT_RULES,
      lastWillsInHistory: o.willsInHistory,
      note: "Expected ledger from the readings actually published; readings sent on another meter's topic (wrong-topic) are assumed rejected and left out.",
    },
    tariffs: o.tariffNote ?? null,
    failures: plan.failures.map((f) => ({ ...f, from: iso(f.fromMs), to: iso(f.toMs) })),
    meters,
  };
}
