/**
 * Cost of outages: the fee under the active policy minus the fee of what the
 * meter most likely consumed. Where a substituted span has a trusted register
 * delta (a communications gap or last will closed by good readings), that delta
 * is the consumption. Where the register itself cannot be trusted (a fault
 * status, a reset, a spike: the meter says or shows it is not measuring), the
 * consumption is ESTIMATED from the meter's own metered power around the span
 * (estimateUntrusted below; rule and worked example in docs/fees.md, "Cost of
 * outages"). Spans with neither keep their fee. Shown to operators so they see
 * what communication and meter failures cost; the fee itself never uses this.
 */
import { type LedgerLine, type LineReason, DEFAULT_POLICY } from './types.ts';
import { type Result, fail, ok } from '../util/result.ts';
import { type MeterLedger, type MeterLedgerInput, buildLedger } from './ledger.ts';
import { type HourlyLedgerInput, hoursToColumns } from './hourly.ts';
import { readingsToColumns } from './readings.ts';
import { sumSafe } from './money.ts';

/** How far on each side of an untrusted span the meter's metered power is averaged. */
export const ESTIMATE_WINDOW_MS = 6 * 3_600_000;
/** Reasons whose register delta is not evidence of consumption. */
const UNTRUSTED: ReadonlySet<LineReason> = new Set(['fault-status', 'register-reset', 'spike']);

export interface OutageCost {
  readonly meterId: string;
  readonly policy: MeterLedger['policy'];
  /** Fee under the policy (exact). */
  readonly feeMilliTiyn: number;
  /** Fee of the likely consumption: trusted register deltas, estimates for untrusted spans. */
  readonly counterfactualFeeMilliTiyn: number;
  /** feeMilliTiyn - counterfactualFeeMilliTiyn. Can be slightly negative when registers ran above max load (within the spike tolerance). */
  readonly outageCostMilliTiyn: number;
  /** Substituted energy and its fee under the policy, per reason. */
  readonly substitutedByReason: Readonly<Partial<Record<LineReason, { energyWh: number; feeMilliTiyn: number }>>>;
  /** Untrusted-register spans (fault, reset, spike): how long, and the consumption estimated for them. */
  readonly estimate: UntrustedEstimate;
}

export interface UntrustedEstimate {
  readonly spans: number;
  readonly durationMs: number;
  /** Estimated consumption of the spans that had metered power around them. */
  readonly estimatedWh: number;
  /** Spans with no metered power within the window: nothing to estimate from, their fee is kept. */
  readonly spansWithoutEvidence: number;
}

const isPlainMetered = (l: LedgerLine): boolean => l.basis === 'metered' && l.reason === undefined;

/** Runs of adjacent untrusted lines (one failure split at day, tariff or quarter cuts is one run). */
function untrustedRuns(lines: readonly LedgerLine[]): LedgerLine[][] {
  const runs: LedgerLine[][] = [];
  let run: LedgerLine[] | undefined;
  for (const l of lines) {
    if (l.reason === undefined || !UNTRUSTED.has(l.reason)) {
      run = undefined;
      continue;
    }
    if (run && run[run.length - 1]!.toMs === l.fromMs) run.push(l);
    else runs.push((run = [l]));
  }
  return runs;
}

/** Mean metered power (W) of plainly metered lines overlapping [fromMs - window, fromMs) and [toMs, toMs + window). */
export function meteredPowerAroundW(
  lines: readonly LedgerLine[],
  fromMs: number,
  toMs: number,
  windowMs = ESTIMATE_WINDOW_MS,
): number | undefined {
  let wh = 0;
  let ms = 0;
  const take = (l: LedgerLine, a: number, b: number): void => {
    const overlap = Math.min(l.toMs, b) - Math.max(l.fromMs, a);
    if (overlap <= 0) return;
    wh += (l.energyWh * overlap) / (l.toMs - l.fromMs);
    ms += overlap;
  };
  for (const l of lines) {
    if (!isPlainMetered(l)) continue;
    take(l, fromMs - windowMs, fromMs);
    take(l, toMs, toMs + windowMs);
  }
  return ms > 0 ? (wh * 3_600_000) / ms : undefined;
}

/**
 * The counterfactual fee of each untrusted run: the meter's metered power around it x the run's
 * hours (never above max load), at the rate of metered energy of the same source (the nearest
 * plainly metered line's rate; the run's own when there is none).
 */
export function estimateUntrusted(lines: readonly LedgerLine[]): {
  estimate: UntrustedEstimate;
  /** Per line in a run: the fee it stands for, milli-tiyn. */
  feeByLine: Map<LedgerLine, number>;
} {
  const feeByLine = new Map<LedgerLine, number>();
  let spans = 0;
  let durationMs = 0;
  let estimatedWh = 0;
  let withoutEvidence = 0;
  for (const run of untrustedRuns(lines)) {
    const fromMs = run[0]!.fromMs;
    const toMs = run[run.length - 1]!.toMs;
    spans++;
    durationMs += toMs - fromMs;
    const powerW = meteredPowerAroundW(lines, fromMs, toMs);
    if (powerW === undefined) {
      withoutEvidence++;
      continue;
    }
    for (const l of run) {
      const capW = Math.min(powerW, l.maxLoadW);
      const wh = Math.round((capW * (l.toMs - l.fromMs)) / 3_600_000);
      estimatedWh += wh;
      feeByLine.set(l, wh * meteredRateNear(lines, l));
    }
  }
  return { estimate: { spans, durationMs, estimatedWh, spansWithoutEvidence: withoutEvidence }, feeByLine };
}

function meteredRateNear(lines: readonly LedgerLine[], line: LedgerLine): number {
  let best: LedgerLine | undefined;
  let bestDist = Infinity;
  for (const l of lines) {
    if (!isPlainMetered(l) || l.energySource !== line.energySource) continue;
    const dist = l.toMs <= line.fromMs ? line.fromMs - l.toMs : l.fromMs - line.toMs;
    if (dist >= 0 && dist < bestDist) [best, bestDist] = [l, dist];
  }
  return best?.rateTiynPerKwh ?? line.rateTiynPerKwh;
}

export function compareLedgers(actual: MeterLedger, counterfactual: MeterLedger): OutageCost {
  const byReason: Partial<Record<LineReason, { energyWh: number; feeMilliTiyn: number }>> = {};
  for (const l of actual.lines) {
    if (l.basis !== 'substituted' || l.reason === undefined) continue;
    const r = (byReason[l.reason] ??= { energyWh: 0, feeMilliTiyn: 0 });
    r.energyWh += l.energyWh;
    r.feeMilliTiyn += l.feeMilliTiyn;
  }
  const { estimate, feeByLine } = estimateUntrusted(counterfactual.lines);
  const feeMilliTiyn = sumSafe(
    actual.lines.map((l) => l.feeMilliTiyn),
    'fee',
  );
  const counterfactualFeeMilliTiyn = sumSafe(
    counterfactual.lines.map((l) => feeByLine.get(l) ?? l.feeMilliTiyn),
    'counterfactual fee',
  );
  return {
    meterId: actual.meterId,
    policy: actual.policy,
    feeMilliTiyn,
    counterfactualFeeMilliTiyn,
    outageCostMilliTiyn: feeMilliTiyn - counterfactualFeeMilliTiyn,
    substitutedByReason: byReason,
    estimate,
  };
}
export function outageCost(input: MeterLedgerInput): Result<OutageCost> {
  const cols = readingsToColumns(input.readings);
  if (!cols.ok) return cols;
  const actual = buildLedger(cols.value, input, input.policy?.name ?? DEFAULT_POLICY.name);
  if (!actual.ok) return actual;
  const counterfactual = buildLedger(cols.value, input, 'counterfactual');
  if (!counterfactual.ok) return counterfactual;
  return ok(compareLedgers(actual.value, counterfactual.value));
}

export function outageCostFromHours(input: HourlyLedgerInput): Result<OutageCost> {
  const r = ledgerAndOutageFromHours(input);
  return r.ok ? ok(r.value.outage) : r;
}

/**
 * computeMeterLedgerFromHours and outageCostFromHours of one input at once: the reading columns are built
 * once and the ledger under the input's policy (the outage's "actual") once, instead of twice each.
 */
export function ledgerAndOutageFromHours(
  input: HourlyLedgerInput,
): Result<{ ledger: MeterLedger; outage: OutageCost }> {
  const cols = hoursToColumns(input);
  if (!cols.ok) return fail(`meter ${input.facts.meterId}: ${cols.reason}`);
  const actual = buildLedger(cols.value, input, input.policy?.name ?? DEFAULT_POLICY.name);
  if (!actual.ok) return actual;
  const counterfactual = buildLedger(cols.value, input, 'counterfactual');
  if (!counterfactual.ok) return counterfactual;
  return ok({ ledger: actual.value, outage: compareLedgers(actual.value, counterfactual.value) });
}
