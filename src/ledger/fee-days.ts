/**
 * Fees per meter and local day, as stored in the `fee_1d` measurement for Grafana and other readers of
 * InfluxDB. Each day is the fee engine's own ledger of [local midnight, next local midnight) (cut at now
 * for the running day): the engine is additive over any split of a period (test/unit/fees/
 * ledger-properties.test.ts), so the days of a quarter add up to the quarter's ledger to the milli-tiyn.
 *
 *   fee_1d  tags meter, site, taxpayer, source, quarter (the meter's local quarter, e.g. 2025-Q3)
 *           fields (integers) energy_wh, metered_wh, substituted_wh, fee_milli_tiyn, metered_fee_milli_tiyn,
 *                  substituted_fee_milli_tiyn, lines, and per reason R (gap, last_will, fault_status, ...):
 *                  wh_R, fee_milli_tiyn_R
 *           time   the local midnight that starts the day
 * Every field is written every time (zeros included), so rewriting a day overwrites all of it; one point per
 * source the meter has in the registry, zeros for a source not used that day.
 */
import {
  type EnergySource,
  type LedgerLine,
  LINE_REASONS,
  type LineReason,
  type MeterFacts,
  quarterAt,
} from '../fees/index.ts';
import { addDays, localDateOf, zonedMidnightMs } from '../fees/zoned-time.ts';
import { escTag } from '../store/line-protocol.ts';

export const FEE_DAY_MEASUREMENT = 'fee_1d';

/** Every reason a ledger line can carry, as field-name suffixes. */
export const FEE_REASONS: readonly LineReason[] = LINE_REASONS;

export interface FeeDay {
  readonly meterId: string;
  readonly siteId: string;
  readonly taxpayerBin: string;
  readonly source: EnergySource;
  readonly quarter: string;
  readonly dayStartMs: number;
  readonly lines: number;
  readonly meteredWh: number;
  readonly substitutedWh: number;
  readonly meteredFeeMilliTiyn: number;
  readonly substitutedFeeMilliTiyn: number;
  readonly byReason: ReadonlyMap<LineReason, { wh: number; feeMilliTiyn: number }>;
}

/** Local midnights of the days that hold any instant of [fromMs, toMs), with the day's end. */
export function localDays(fromMs: number, toMs: number, timeZone: string): { startMs: number; endMs: number }[] {
  const out: { startMs: number; endMs: number }[] = [];
  let date = localDateOf(fromMs, timeZone);
  let start = zonedMidnightMs(date, timeZone);
  while (start < toMs) {
    date = addDays(date, 1);
    const end = zonedMidnightMs(date, timeZone);
    out.push({ startMs: start, endMs: end });
    start = end;
  }
  return out;
}

/** One record per source of the meter: the day's lines summed by basis and reason. */
export function feeDaysOf(facts: MeterFacts, dayStartMs: number, lines: readonly LedgerLine[]): FeeDay[] {
  const sources = [...new Set(facts.sources.map((s) => s.source))];
  for (const l of lines) if (!sources.includes(l.energySource)) sources.push(l.energySource);
  const quarter = quarterAt(dayStartMs, facts.timeZone).label;
  return sources.map((source) => {
    let n = 0;
    let meteredWh = 0;
    let substitutedWh = 0;
    let meteredFee = 0;
    let substitutedFee = 0;
    const byReason = new Map<LineReason, { wh: number; feeMilliTiyn: number }>();
    for (const l of lines) {
      if (l.energySource !== source) continue;
      n++;
      if (l.basis === 'metered') {
        meteredWh += l.energyWh;
        meteredFee += l.feeMilliTiyn;
      } else {
        substitutedWh += l.energyWh;
        substitutedFee += l.feeMilliTiyn;
      }
      if (l.reason) {
        const r = byReason.get(l.reason) ?? { wh: 0, feeMilliTiyn: 0 };
        byReason.set(l.reason, { wh: r.wh + l.energyWh, feeMilliTiyn: r.feeMilliTiyn + l.feeMilliTiyn });
      }
    }
    return {
      meterId: facts.meterId,
      siteId: facts.siteId,
      taxpayerBin: facts.taxpayerBin,
      source,
      quarter,
      dayStartMs,
      lines: n,
      meteredWh,
      substitutedWh,
      meteredFeeMilliTiyn: meteredFee,
      substitutedFeeMilliTiyn: substitutedFee,
      byReason,
    };
  });
}

const field = (reason: LineReason) => reason.replace(/-/g, '_');

/** The `fee_1d` point of a FeeDay (nanosecond timestamp). */
export function feeDayLine(d: FeeDay): string {
  const tags =
    `${FEE_DAY_MEASUREMENT},meter=${escTag(d.meterId)},site=${escTag(d.siteId)},taxpayer=${escTag(d.taxpayerBin)}` +
    `,source=${escTag(d.source)},quarter=${escTag(d.quarter)}`;
  const fields = [
    `energy_wh=${d.meteredWh + d.substitutedWh}i`,
    `metered_wh=${d.meteredWh}i`,
    `substituted_wh=${d.substitutedWh}i`,
    `fee_milli_tiyn=${d.meteredFeeMilliTiyn + d.substitutedFeeMilliTiyn}i`,
    `metered_fee_milli_tiyn=${d.meteredFeeMilliTiyn}i`,
    `substituted_fee_milli_tiyn=${d.substitutedFeeMilliTiyn}i`,
    `lines=${d.lines}i`,
    ...FEE_REASONS.flatMap((r) => {
      const v = d.byReason.get(r);
      return [`wh_${field(r)}=${v?.wh ?? 0}i`, `fee_milli_tiyn_${field(r)}=${v?.feeMilliTiyn ?? 0}i`];
    }),
  ];
  return `${tags} ${fields.join(',')} ${d.dayStartMs}000000`;
}
