/**
 * Late data: readings for a closed period that arrived after its close. They
 * are stored as usual and never change the snapshot; this report says how
 * many, for which meters, and what the fee would be if the period were
 * recomputed now (shown as post-close adjustments in the exports).
 */
import type { LedgerLine } from '../fees/index.ts';
import { type LedgerDeps, type PeriodMeters, ledgerLines } from './period-ledger.ts';
import type { LateDataReport, PeriodSnapshot } from './snapshot-types.ts';
import { lateReadingCounts } from '../store/query/raw-readings.ts';

/** Pure: the report from the late counts and the recomputed lines of the meters concerned. */
export function buildLateReport(
  snapshot: PeriodSnapshot,
  counts: ReadonlyMap<string, number>,
  recomputed: readonly LedgerLine[],
): LateDataReport {
  const meters = [...counts]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([meterId, lateReadings]) => {
      const before = snapshot.totals.byMeter.find((t) => t.key === meterId);
      const mine = recomputed.filter((l) => l.meterId === meterId);
      const feeNow = mine.reduce((a, l) => a + l.feeMilliTiyn, 0);
      const whNow = mine.reduce((a, l) => a + l.energyWh, 0);
      const feeBefore = before?.feeMilliTiyn ?? 0;
      return {
        meterId,
        lateReadings,
        snapshotFeeMilliTiyn: feeBefore,
        recomputedFeeMilliTiyn: feeNow,
        differenceMilliTiyn: feeNow - feeBefore,
        differenceWh: whNow - (before?.energyWh ?? 0),
      };
    });
  return {
    period: snapshot.period,
    version: snapshot.version,
    closedAtMs: snapshot.closedAtMs,
    lateReadings: meters.reduce((a, m) => a + m.lateReadings, 0),
    meters,
    differenceMilliTiyn: meters.reduce((a, m) => a + m.differenceMilliTiyn, 0),
  };
}

export async function lateDataReport(
  deps: LedgerDeps,
  snapshot: PeriodSnapshot,
  pm: PeriodMeters,
): Promise<LateDataReport> {
  const counts = await lateReadingCounts(deps.target, pm, snapshot.closedAtMs);
  const affected = pm.meters.filter((m) => counts.has(m.facts.meterId));
  const recomputed = affected.length ? await ledgerLines(deps, affected) : [];
  return buildLateReport(snapshot, counts, recomputed);
}
