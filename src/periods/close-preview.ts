/**
 * What a close would freeze, shown before it happens: per taxpayer and energy source the kWh metered
 * and substituted, the amount to declare and the substituted share; the meters that sent no reading in
 * the period; and what needs an explicit acknowledgement (with a reason, recorded in the snapshot):
 * a meter without readings, or a taxpayer whose substituted share is large. Pure.
 */
import {
  type EnergySource,
  type LedgerLine,
  type LineReason,
  type RoundingRule,
  declaredLines,
  formatTiyn,
  formatWhAsKwh,
} from '../fees/index.ts';

/** A taxpayer whose substituted energy is at least this share of its energy needs an acknowledgement. */
export const LARGE_SUBSTITUTED_SHARE = 0.2;

export interface ClosePreviewRow {
  readonly taxpayerBin: string;
  readonly energySource: EnergySource;
  readonly meteredWh: number;
  readonly meteredKwh: string;
  readonly substitutedWh: number;
  readonly substitutedKwh: string;
  /** Substituted share of the row's energy, percent with one decimal. */
  readonly substitutedPct: number;
  /** Sum of the row's declared lines, each rounded once (what the declaration will say). */
  readonly amountTiyn: number;
  readonly amountTenge: string;
}

export interface ClosePreview {
  readonly rows: readonly ClosePreviewRow[];
  readonly totalAmountTiyn: number;
  readonly totalAmountTenge: string;
  readonly metersWithoutReadings: readonly string[];
  /** Sentences saying what the closer must acknowledge; empty when nothing. */
  readonly needsAcknowledgement: readonly string[];
  /** The same, as data, for a reader to word in its language (the dashboard, the CLI). */
  readonly checks: readonly CloseCheck[];
}

export type CloseCheck =
  | { readonly kind: 'silent'; readonly meters: readonly string[] }
  | {
      readonly kind: 'share';
      readonly taxpayerBin: string;
      readonly substitutedPct: number;
      readonly substitutedKwh: string;
      readonly limitPct: number;
    }
  /** A site's month out of its band against the supplier's invoice (issue 24; src/periods/reconciliation.ts). */
  | {
      readonly kind: 'invoice';
      readonly site: string;
      readonly month: string;
      readonly status: 'outside-band' | 'metered-above-invoiced';
      readonly invoicedKwh: string;
      readonly ledgerKwh: string;
      readonly differencePct: number | null;
      readonly minPct: number;
      readonly maxPct: number;
    }
  /** A sealed day that does not verify against InfluxDB (issue 24): verify's own words (site, day, meter, time). */
  | { readonly kind: 'seal'; readonly problem: string };

/** Lines that say the meter sent nothing inside the period when they are all a meter has. */
const SILENT: ReadonlySet<LineReason> = new Set(['no-readings', 'before-first-reading', 'after-last-reading']);

/** Meters (in the order given) whose whole period is one silent reason: no reading inside it at all. */
export function metersWithoutReadings(meterIds: readonly string[], lines: readonly LedgerLine[]): string[] {
  const reasons = new Map<string, Set<string>>();
  for (const l of lines) {
    let s = reasons.get(l.meterId);
    if (!s) reasons.set(l.meterId, (s = new Set()));
    s.add(l.basis === 'metered' ? 'metered' : (l.reason ?? 'substituted'));
  }
  return meterIds.filter((id) => {
    const s = reasons.get(id);
    if (!s) return false; // not in service during the period: nothing charged, nothing to say
    const [only] = s;
    return s.size === 1 && SILENT.has(only as LineReason);
  });
}

const pct = (part: number, whole: number): number => (whole > 0 ? Math.round((part * 1000) / whole) / 10 : 0);

export function closePreview(
  meterIds: readonly string[],
  lines: readonly LedgerLine[],
  roundingOverride?: RoundingRule,
): ClosePreview {
  const declared = declaredLines(lines, roundingOverride ? { roundingOverride } : {});
  const rows = new Map<string, { bin: string; source: EnergySource; m: number; s: number; amount: number }>();
  const row = (bin: string, source: EnergySource) => {
    const key = `${bin}|${source}`;
    let r = rows.get(key);
    if (!r) rows.set(key, (r = { bin, source, m: 0, s: 0, amount: 0 }));
    return r;
  };
  for (const d of declared) {
    const r = row(d.taxpayerBin, d.energySource);
    if (d.basis === 'metered') r.m += d.energyWh;
    else r.s += d.energyWh;
    r.amount += d.amountTiyn;
  }
  const out: ClosePreviewRow[] = [...rows.values()]
    .sort((a, b) => (a.bin + a.source < b.bin + b.source ? -1 : 1))
    .map((r) => ({
      taxpayerBin: r.bin,
      energySource: r.source,
      meteredWh: r.m,
      meteredKwh: formatWhAsKwh(r.m),
      substitutedWh: r.s,
      substitutedKwh: formatWhAsKwh(r.s),
      substitutedPct: pct(r.s, r.m + r.s),
      amountTiyn: r.amount,
      amountTenge: formatTiyn(r.amount),
    }));
  const silent = metersWithoutReadings(meterIds, lines);
  const needs: string[] = [];
  const checks: CloseCheck[] = [];
  if (silent.length > 0) checks.push({ kind: 'silent', meters: silent });
  if (silent.length > 0)
    needs.push(
      `${silent.length} meter${silent.length > 1 ? 's' : ''} sent no reading in the period and ${silent.length > 1 ? 'are' : 'is'} charged at max load throughout: ${silent.join(', ')}`,
    );
  for (const bin of [...new Set(out.map((r) => r.taxpayerBin))]) {
    const mine = out.filter((r) => r.taxpayerBin === bin);
    const s = mine.reduce((a, r) => a + r.substitutedWh, 0);
    const all = mine.reduce((a, r) => a + r.meteredWh + r.substitutedWh, 0);
    if (all > 0 && s >= all * LARGE_SUBSTITUTED_SHARE) {
      checks.push({
        kind: 'share',
        taxpayerBin: bin,
        substitutedPct: pct(s, all),
        substitutedKwh: formatWhAsKwh(s),
        limitPct: LARGE_SUBSTITUTED_SHARE * 100,
      });
      needs.push(
        `taxpayer ${bin}: ${pct(s, all)}% of the energy is substituted (${formatWhAsKwh(s)} kWh at max load or penalty), at least ${LARGE_SUBSTITUTED_SHARE * 100}%`,
      );
    }
  }
  const total = out.reduce((a, r) => a + r.amountTiyn, 0);
  return {
    rows: out,
    totalAmountTiyn: total,
    totalAmountTenge: formatTiyn(total),
    metersWithoutReadings: silent,
    needsAcknowledgement: needs,
    checks,
  };
}
