/**
 * Substituted intervals of one meter for the detail chart: contiguous substituted ledger lines with the
 * same reason merged into one interval (the engine splits lines where a rate input changes). Pure.
 */
import { type LedgerLine, formatWhAsKwh } from '../../fees/index.ts';
import { tengeOf } from './tenge.ts';

export interface SubstitutedInterval {
  readonly from: string;
  readonly to: string;
  readonly fromMs: number;
  readonly toMs: number;
  readonly reason: string;
  readonly energyWh: number;
  readonly energyKwh: string;
  readonly feeMilliTiyn: number;
  readonly feeTenge: string;
}

type Line = Pick<LedgerLine, 'fromMs' | 'toMs' | 'basis' | 'reason' | 'energyWh' | 'feeMilliTiyn'>;

export function substitutedIntervals(lines: readonly Line[]): SubstitutedInterval[] {
  const merged: { fromMs: number; toMs: number; reason: string; energyWh: number; feeMilliTiyn: number }[] = [];
  for (const l of [...lines].sort((a, b) => a.fromMs - b.fromMs)) {
    if (l.basis !== 'substituted') continue;
    const reason = l.reason ?? 'substituted';
    const last = merged.at(-1);
    if (last && last.toMs === l.fromMs && last.reason === reason) {
      last.toMs = l.toMs;
      last.energyWh += l.energyWh;
      last.feeMilliTiyn += l.feeMilliTiyn;
    } else {
      merged.push({ fromMs: l.fromMs, toMs: l.toMs, reason, energyWh: l.energyWh, feeMilliTiyn: l.feeMilliTiyn });
    }
  }
  return merged.map((m) => ({
    ...m,
    from: new Date(m.fromMs).toISOString(),
    to: new Date(m.toMs).toISOString(),
    energyKwh: formatWhAsKwh(m.energyWh),
    feeTenge: tengeOf(m.feeMilliTiyn),
  }));
}
