/**
 * The reconciliation of a period (quarter or month) and scope: the sites (all, or those a taxpayer operates),
 * each site's months cut in its zone, every meter at those sites (hosted miners' too: the supplier invoices
 * the whole site), the ledger's lines and the invoices in force (src/periods/reconciliation.ts does the sums).
 * Only months that have ended in the site's zone have rows. Lines of an open period are the ledger of each month on its own (no line crosses a month); a closed period's
 * are its frozen snapshot's, a line across a month split pro rata by time; meters the snapshot does not hold
 * (another taxpayer's at a hosting site) come from the ledger.
 */
import { type LedgerLine, type Period, formatPeriod, parsePeriod, periodBounds } from '../fees/index.ts';
import { metersInScope } from '../ledger/scope.ts';
import type { Registry } from '../registry/types.ts';
import type { Result } from '../util/result.ts';
import type { InvoiceService } from './invoice-service.ts';
import { type LedgerDeps, ledgerLines } from './period-ledger.ts';
import { DEFAULT_BAND, type ReconciliationRow, periodMonths, reconcile, siteMonths } from './reconciliation.ts';
import type { PeriodSnapshot } from './snapshot-types.ts';

export interface Reconciliation {
  readonly period: string;
  readonly taxpayer: string | null;
  /** Where the ledger's kWh come from: the snapshot version, or the ledger now. */
  readonly ledger: { readonly snapshotVersion: number } | 'current';
  readonly rows: ReconciliationRow[];
}

export interface ReconciliationDeps {
  readonly registry: Registry;
  readonly invoices: InvoiceService;
  readonly ledgerDeps: () => LedgerDeps;
  /** The closed (not reopened) snapshot of a scope, if any. */
  readonly closedSnapshot: (scope: { period: string; taxpayer: string | null }) => Promise<PeriodSnapshot | undefined>;
  readonly now?: () => number;
}

export function createReconciliation(deps: ReconciliationDeps) {
  const { registry } = deps;

  function scopeSites(taxpayer: string | null) {
    return registry.sites
      .filter((s) => taxpayer === null || s.taxpayer === taxpayer)
      .map((s) => ({ id: s.id, timeZone: s.timeZone, band: s.reconciliationBand ?? DEFAULT_BAND }));
  }

  /** The ledger of each month of the period on its own, for these meters. */
  async function monthlyLines(period: Period, meterIds: ReadonlySet<string>, nowMs: number): Promise<LedgerLine[]> {
    if (!meterIds.size) return [];
    const facts = metersInScope(registry, {});
    if (!facts.ok) return [];
    const mine = facts.value.filter((f) => meterIds.has(f.meterId));
    const out: LedgerLine[] = [];
    for (const m of periodMonths(period) ?? []) {
      const meters = mine
        .map((f) => ({ facts: f, ...periodBounds({ kind: 'month', ...m }, f.timeZone) }))
        .filter((mp) => mp.toMs <= nowMs); // a month in progress has no invoice yet: no ledger for it
      if (meters.length) out.push(...(await ledgerLines(deps.ledgerDeps(), meters)));
    }
    return out;
  }

  return {
    /** Which site-months of a scope have an invoice (the close preview skips the ledger when none). */
    hasInvoices(period: Period, taxpayer: string | null): boolean {
      const months = siteMonths(period, scopeSites(taxpayer));
      return deps.invoices.inForce(months.map((m) => ({ siteId: m.siteId, month: m.month }))).length > 0;
    },

    async compute(
      periodText: string,
      taxpayer: string | null,
      opts: { live?: boolean } = {},
    ): Promise<Result<Reconciliation>> {
      const p = parsePeriod(periodText);
      if (!p.ok) return p;
      if (!periodMonths(p.value))
        return {
          ok: false,
          reason: `period "${periodText}": want a quarter (2025-Q3) or a month (2025-07): invoices are monthly`,
        };
      if (taxpayer !== null && !registry.taxpayers.some((t) => t.bin === taxpayer))
        return { ok: false, reason: `unknown taxpayer BIN "${taxpayer}"` };
      const period = formatPeriod(p.value);
      const sites = scopeSites(taxpayer);
      const siteIds = new Set(sites.map((s) => s.id));
      const meterIds = new Set(registry.meters.filter((m) => siteIds.has(m.siteId)).map((m) => m.id));
      const snapshot = opts.live ? undefined : await deps.closedSnapshot({ period, taxpayer });
      let lines: LedgerLine[] = [];
      if (snapshot) {
        lines = snapshot.lines.filter((l) => siteIds.has(l.siteId)) as unknown as LedgerLine[];
        for (const l of snapshot.lines) meterIds.delete(l.meterId);
      }
      const nowMs = (deps.now ?? Date.now)();
      lines = lines.concat(await monthlyLines(p.value, meterIds, nowMs));
      // Only ended months: the supplier invoices a month after it ends.
      const months = siteMonths(p.value, sites).filter((m) => m.toMs <= nowMs);
      const invoices = deps.invoices.inForce(months.map((m) => ({ siteId: m.siteId, month: m.month })));
      return {
        ok: true,
        value: {
          period,
          taxpayer,
          ledger: snapshot ? { snapshotVersion: snapshot.version } : 'current',
          rows: reconcile(months, lines, invoices),
        },
      };
    },
  };
}

export type ReconciliationService = ReturnType<typeof createReconciliation>;
