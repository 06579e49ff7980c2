/**
 * The frozen record of a closed period, as stored in
 * <dataDir>/periods/<period>[/<BIN>]/v<N>.json. Plain data; integers for every
 * amount of money (milli-tiyn exact, tiyn declared) and energy (Wh).
 */
import type {
  DeclaredLine,
  LedgerLine,
  LedgerSummary,
  QuarterDueDates,
  RoundingRule,
  SubstitutionPolicy,
} from '../fees/index.ts';
import type { CsvFormat } from '../ledger/csv.ts';

export const SNAPSHOT_SCHEMA = 'kzmeter.period-snapshot/1';

/** A ledger line as frozen: `reason` is null for plainly metered lines. */
export type SnapshotLine = Omit<LedgerLine, 'reason'> & { readonly reason: string | null };

/** A declared line plus what rounding did to it. */
export interface SnapshotDeclaredLine extends DeclaredLine {
  /** amountTiyn x 1000 - feeMilliTiyn: what rounding added (negative: removed). */
  readonly roundingMilliTiyn: number;
}

/** An earlier version of the same period, kept on disk, and why it was reopened. */
export interface VersionHistoryEntry {
  readonly version: number;
  readonly digest: string;
  readonly closedAt: string;
  readonly closedBy: string;
  readonly reopenedAt: string;
  readonly reopenedBy: string;
  readonly reopenReason: string;
}

/**
 * Totals per taxpayer, site, taxpayer at a site, meter, energy source and rate: the fee engine's summary.
 * byTaxpayerSite is absent from snapshots closed before hosted taxpayers (issue 17).
 */
export type SnapshotTotals = Omit<LedgerSummary, 'byTaxpayerSite'> & Partial<Pick<LedgerSummary, 'byTaxpayerSite'>>;

/**
 * A site as one taxpayer sees it. A hosting site appears once per taxpayer whose meters are there, with
 * operatorBin (the site's operator) when that is another taxpayer.
 */
export interface SnapshotSite {
  readonly id: string;
  readonly name: string;
  readonly taxpayerBin: string;
  readonly operatorBin?: string;
}

export interface PeriodSnapshot {
  readonly schema: typeof SNAPSHOT_SCHEMA;
  /** '2025-Q3', '2025-07' or '2025-07-01..2025-07-02'. */
  readonly period: string;
  readonly periodKind: 'quarter' | 'month' | 'range';
  /** First and last local day of the period. */
  readonly firstDay: string;
  readonly lastDay: string;
  /** The BIN the close was limited to, or null for every taxpayer. */
  readonly taxpayerScope: string | null;
  readonly version: number;
  readonly closedBy: string;
  /** ISO-8601 UTC. */
  readonly closedAt: string;
  readonly closedAtMs: number;
  readonly reason: string | null;
  /** Present when the close preview flagged meters without readings or a large substituted share:
   * who acknowledged it, why, and what was flagged. */
  readonly acknowledgement?: { by: string; reason: string; items: string[] };
  /** The audit trail's last line when the period was closed (absent in snapshots closed before issue 21): a
   * later log that does not hold this line at this sequence number lost its tail (`kzmeter verify`). */
  readonly auditHead?: { seq: number; hash: string };
  readonly previousVersions: VersionHistoryEntry[];
  readonly registryVersion: string;
  readonly tariffs: { id: string; version: number }[];
  readonly policy: SubstitutionPolicy;
  /** Present when the operator overrode the tariff files' rounding of declared lines. */
  readonly roundingOverride?: RoundingRule;
  readonly engineVersion: string;
  readonly taxpayers: { bin: string; name: string }[];
  readonly sites: SnapshotSite[];
  /** Declaration and payment dates of each tax quarter the period touches, by its schedule's rules
   * (snapshots closed before due dates became tariff data carry only taxQuarter, declareBy, payBy). */
  readonly dueDates: QuarterDueDates[];
  /** Version of the CSV line columns (src/ledger/csv.ts); absent in snapshots frozen before it existed (1). */
  readonly csvFormat?: CsvFormat;
  readonly lines: SnapshotLine[];
  readonly totals: SnapshotTotals;
  readonly declared: SnapshotDeclaredLine[];
  readonly declaredTotalTiyn: number;
  /** 'sha256:<hex>' over the canonical JSON of every other member. */
  readonly digest: string;
}

/** Readings that arrived after the close, and what they would change. */
export interface LateDataReport {
  readonly period: string;
  readonly version: number;
  readonly closedAtMs: number;
  readonly lateReadings: number;
  readonly meters: {
    meterId: string;
    lateReadings: number;
    snapshotFeeMilliTiyn: number;
    recomputedFeeMilliTiyn: number;
    differenceMilliTiyn: number;
    differenceWh: number;
  }[];
  readonly differenceMilliTiyn: number;
  /** Sealed days of the period amended since (issue 24): a new seal version naming the old one and what changed. */
  readonly amendments?: readonly {
    site: string;
    day: string;
    version: number;
    amends: string;
    digest: string;
    sealedAt: string;
    change?: {
      added: number;
      changed: number;
      removed: number;
      first?: { meter: string; tsMs?: number; kind: string };
    };
  }[];
}
