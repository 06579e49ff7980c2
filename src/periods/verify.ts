/**
 * Verification of a stored snapshot: its digest against its content, and its
 * ledger against one recomputed now from the stored readings. Pure comparison.
 */
import type { LedgerLine } from '../fees/index.ts';
import { canonicalJson } from './canonical-json.ts';
import type { PeriodSnapshot } from './snapshot-types.ts';

export interface MeterDifference {
  readonly meterId: string;
  readonly snapshot: { lineCount: number; energyWh: number; feeMilliTiyn: number };
  readonly recomputed: { lineCount: number; energyWh: number; feeMilliTiyn: number };
}

export interface VerifyReport {
  readonly period: string;
  readonly version: number;
  readonly digest: string;
  readonly digestOk: boolean;
  /** Every recomputed line equals the frozen one, field by field. */
  readonly linesIdentical: boolean;
  readonly differences: MeterDifference[];
  readonly ok: boolean;
}

const sums = (lines: readonly { energyWh: number; feeMilliTiyn: number }[]) => ({
  lineCount: lines.length,
  energyWh: lines.reduce((a, l) => a + l.energyWh, 0),
  feeMilliTiyn: lines.reduce((a, l) => a + l.feeMilliTiyn, 0),
});

export function compareLedgers(
  snapshot: PeriodSnapshot,
  digestOk: boolean,
  recomputed: readonly LedgerLine[],
): VerifyReport {
  const frozen = (l: LedgerLine) => ({ ...l, reason: l.reason ?? null });
  const rank = new Map(snapshot.lines.map((l, i) => [l.meterId, i]));
  const ordered = [...recomputed].sort(
    (a, b) => (rank.get(a.meterId) ?? 1e9) - (rank.get(b.meterId) ?? 1e9) || a.fromMs - b.fromMs,
  );
  const linesIdentical = canonicalJson(ordered.map(frozen)) === canonicalJson(snapshot.lines);
  const meterIds = [...new Set([...snapshot.lines.map((l) => l.meterId), ...recomputed.map((l) => l.meterId)])];
  const differences = meterIds.flatMap((meterId) => {
    const a = sums(snapshot.lines.filter((l) => l.meterId === meterId));
    const b = sums(recomputed.filter((l) => l.meterId === meterId));
    return a.lineCount === b.lineCount && a.energyWh === b.energyWh && a.feeMilliTiyn === b.feeMilliTiyn
      ? []
      : [{ meterId, snapshot: a, recomputed: b }];
  });
  return {
    period: snapshot.period,
    version: snapshot.version,
    digest: snapshot.digest,
    digestOk,
    linesIdentical,
    differences,
    ok: digestOk && linesIdentical,
  };
}
