/**
 * Pure: ledger lines + the context of the close -> a PeriodSnapshot with its
 * digest. No clock (closedAtMs is handed in), no I/O.
 */
import {
  type LedgerLine,
  type Period,
  type RoundingRule,
  type SubstitutionPolicy,
  type TariffSet,
  declaredLines,
  declaredTotalTiyn,
  formatPeriod,
  quarterDueDatesOf,
  summarize,
} from '../fees/index.ts';
import { CSV_FORMAT } from '../ledger/csv.ts';
import { digestOf } from './canonical-json.ts';
import type { Registry } from '../registry/types.ts';
import {
  type PeriodSnapshot,
  type SnapshotLine,
  type SnapshotSite,
  type VersionHistoryEntry,
  SNAPSHOT_SCHEMA,
} from './snapshot-types.ts';

export interface SnapshotInput {
  readonly period: Period;
  readonly taxpayerScope: string | null;
  readonly lines: readonly LedgerLine[];
  readonly version: number;
  readonly closedBy: string;
  readonly closedAtMs: number;
  readonly reason: string | null;
  /** The closer's acknowledgement of what the preview flagged (absent when nothing was flagged). */
  readonly acknowledgement?: PeriodSnapshot['acknowledgement'];
  readonly previousVersions: readonly VersionHistoryEntry[];
  readonly registryVersion: string;
  readonly tariffs: TariffSet;
  readonly policy: SubstitutionPolicy;
  /** Set when the operator overrode the tariff files' rounding. */
  readonly roundingOverride?: RoundingRule;
  readonly engineVersion: string;
  readonly taxpayers: readonly { bin: string; name: string }[];
  readonly sites: readonly SnapshotSite[];
  /** The audit trail's head when the close was made (issue 21 F8), when the closer has the trail. */
  readonly auditHead?: PeriodSnapshot['auditHead'];
}

/**
 * The taxpayers of the closed meters and their sites as each taxpayer sees them: a hosting site appears once
 * per hosted taxpayer (with its operator), so nothing of one taxpayer is listed under another.
 */
export function snapshotParties(
  registry: Pick<Registry, 'taxpayers' | 'sites'>,
  meters: readonly { readonly taxpayerBin: string; readonly siteId: string }[],
): Pick<SnapshotInput, 'taxpayers' | 'sites'> {
  const pairs = new Set(meters.map((m) => `${m.taxpayerBin}/${m.siteId}`));
  const bins = new Set(meters.map((m) => m.taxpayerBin));
  const taxpayers = registry.taxpayers.filter((t) => bins.has(t.bin));
  return {
    taxpayers: taxpayers.map((t) => ({ bin: t.bin, name: t.name })),
    sites: registry.sites.flatMap((x) =>
      taxpayers
        .filter((t) => pairs.has(`${t.bin}/${x.id}`))
        .map((t) => ({
          id: x.id,
          name: x.name,
          taxpayerBin: t.bin,
          ...(x.taxpayer !== t.bin && { operatorBin: x.taxpayer }),
        })),
    ),
  };
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** First and last local day ('YYYY-MM-DD') of a period. */
export function periodDays(period: Period): { firstDay: string; lastDay: string } {
  if (period.kind === 'range') {
    const [a, b] = formatPeriod(period).split('..') as [string, string];
    return { firstDay: a, lastDay: b };
  }
  const firstMonth = period.kind === 'quarter' ? (period.quarter - 1) * 3 + 1 : period.month;
  const lastMonth = period.kind === 'quarter' ? firstMonth + 2 : firstMonth;
  const lastDate = new Date(Date.UTC(period.year, lastMonth, 0)).getUTCDate();
  return {
    firstDay: `${period.year}-${pad2(firstMonth)}-01`,
    lastDay: `${period.year}-${pad2(lastMonth)}-${pad2(lastDate)}`,
  };
}

/** The due dates of each tax quarter the lines touch, by the rules of the schedule in force for it. */
function dueDatesOf(lines: readonly LedgerLine[], tariffs: TariffSet): PeriodSnapshot['dueDates'] {
  return [...new Set(lines.map((l) => l.taxQuarter))].sort().map((q) => quarterDueDatesOf(tariffs, q));
}

const frozenLine = (l: LedgerLine): SnapshotLine => ({ ...l, reason: l.reason ?? null });

/** Lines in a stable order: meter (as given), then time. */
function orderLines(lines: readonly LedgerLine[]): LedgerLine[] {
  const rank = new Map<string, number>();
  for (const l of lines) if (!rank.has(l.meterId)) rank.set(l.meterId, rank.size);
  return [...lines].sort(
    (a, b) => rank.get(a.meterId)! - rank.get(b.meterId)! || a.fromMs - b.fromMs || a.toMs - b.toMs,
  );
}

export function buildSnapshot(input: SnapshotInput): PeriodSnapshot {
  const lines = orderLines(input.lines);
  const summary = summarize(lines);
  const declared = declaredLines(lines, input.roundingOverride ? { roundingOverride: input.roundingOverride } : {}).map(
    (d) => ({ ...d, roundingMilliTiyn: d.amountTiyn * 1000 - d.feeMilliTiyn }),
  );
  const body: Omit<PeriodSnapshot, 'digest'> = {
    schema: SNAPSHOT_SCHEMA,
    csvFormat: CSV_FORMAT,
    period: formatPeriod(input.period),
    periodKind: input.period.kind,
    ...periodDays(input.period),
    taxpayerScope: input.taxpayerScope,
    version: input.version,
    closedBy: input.closedBy,
    closedAt: new Date(input.closedAtMs).toISOString(),
    closedAtMs: input.closedAtMs,
    reason: input.reason,
    ...(input.acknowledgement && { acknowledgement: input.acknowledgement }),
    ...(input.auditHead && { auditHead: { seq: input.auditHead.seq, hash: input.auditHead.hash } }),
    previousVersions: [...input.previousVersions],
    registryVersion: input.registryVersion,
    tariffs: input.tariffs.schedules.map((s) => ({ id: s.id, version: s.version })),
    policy: {
      name: input.policy.name,
      graceIntervals: input.policy.graceIntervals,
      spikeTolerance: input.policy.spikeTolerance,
    },
    ...(input.roundingOverride && { roundingOverride: input.roundingOverride }),
    engineVersion: input.engineVersion,
    taxpayers: [...input.taxpayers],
    sites: [...input.sites],
    dueDates: dueDatesOf(lines, input.tariffs),
    lines: lines.map(frozenLine),
    totals: {
      total: summary.total,
      byTaxpayer: summary.byTaxpayer,
      bySite: summary.bySite,
      byTaxpayerSite: summary.byTaxpayerSite,
      byMeter: summary.byMeter,
      bySource: summary.bySource,
      byRate: summary.byRate,
    },
    declared,
    declaredTotalTiyn: declaredTotalTiyn(declared),
  };
  return { ...body, digest: digestOf(body as unknown as Record<string, unknown>) };
}

/** Whether a snapshot's digest matches its content. */
export function digestMatches(snapshot: PeriodSnapshot): boolean {
  return digestOf(snapshot as unknown as Record<string, unknown>) === snapshot.digest;
}
