/**
 * Fees per meter and local day, as stored in the `fee_1d` measurement (its schema and line: store/schema.ts)
 * for Grafana and other readers of InfluxDB. Each day is the fee engine's own ledger of [local midnight, next local midnight) (cut at now
 * for the running day): the engine is additive over any split of a period (test/unit/fees/
 * ledger-properties.test.ts), so the days of a quarter add up to the quarter's ledger to the milli-tiyn.
 *
 * Every field is written every time (zeros included), so rewriting a day overwrites all of it; one point per
 * source the meter has in the registry, zeros for a source not used that day.
 */
import {
  type LedgerLine,
  type LineReason,
  type MeterFacts,
  type RoundingRule,
  quarterAt,
  roundingUnitMilliTiyn,
} from '../fees/index.ts';
import { addDays, localDateOf, zonedMidnightMs } from '../fees/zoned-time.ts';
import type { FeeDay } from '../model/fee-day.ts';

export type { FeeDay } from '../model/fee-day.ts';

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
export function feeDaysOf(
  facts: MeterFacts,
  dayStartMs: number,
  lines: readonly LedgerLine[],
  roundingOverride?: RoundingRule,
): FeeDay[] {
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
      roundUnitMilliTiyn: ((rule) => (rule ? roundingUnitMilliTiyn(rule) : 0))(
        roundingOverride ?? lines.find((l) => l.energySource === source)?.roundingRule,
      ),
    };
  });
}
