/**
 * Import and list the supplier's invoices (shared by POST/GET /api/invoices and `kzmeter invoices`): a statement
 * is checked whole (src/periods/invoice-csv.ts), then each site-month whose figure or invoice number changed
 * gets a new version (an unchanged one is left alone, so importing the same file twice changes nothing), the
 * import is audited and the figures in force are written to InfluxDB for Grafana.
 */
import { createHash } from 'node:crypto';
import { formatWhAsKwh, parsePeriod, zonedMidnightMs } from '../fees/index.ts';
import type { Registry } from '../registry/types.ts';
import { invoiceLine } from '../store/schema.ts';
import { type InvoiceRow, InvoiceImportError, parseStatement } from './invoice-csv.ts';
import type { InvoiceKey, InvoiceStore, InvoiceVersion } from './invoice-store.ts';
import { type InvoicedMonth, periodMonths, monthLabel } from './reconciliation.ts';

export interface InvoiceServiceDeps {
  readonly registry: Registry;
  readonly store: InvoiceStore;
  readonly now?: () => number;
  /** Writes line protocol to InfluxDB (the service's writer); absent: files only. */
  readonly writeLines?: (lines: readonly string[]) => Promise<void>;
  /** Records an import in the audit trail. */
  readonly audit?: (e: { who: string; what: Record<string, unknown>; digest: string }) => void | Promise<unknown>;
}

export interface ImportedMonth {
  readonly site: string;
  readonly month: string;
  readonly kwh: string;
  readonly invoiceNo: string | null;
  readonly version: number;
  /** The version it replaced, when there was one. */
  readonly replacedVersion: number | null;
}

export interface ImportResult {
  readonly imported: ImportedMonth[];
  /** Rows equal to the version in force: nothing written. */
  readonly unchanged: number;
}

const view = (v: InvoiceVersion) => ({ ...v, kwh: formatWhAsKwh(v.energyWh) });

export function createInvoiceService(deps: InvoiceServiceDeps) {
  const { registry, store } = deps;
  const now = deps.now ?? Date.now;
  const knownSites = new Set(registry.sites.map((s) => s.id));
  const current = (k: InvoiceKey) => store.history(k).at(-1);
  let queue: Promise<unknown> = Promise.resolve();

  const monthStartMs = (siteId: string, month: string) => {
    const [year, m] = month.split('-').map(Number) as [number, number];
    return zonedMidnightMs({ year, month: m, day: 1 }, registry.siteById.get(siteId)?.timeZone ?? 'Asia/Almaty');
  };
  const linesOf = (rows: readonly { siteId: string; month: string; v: InvoiceVersion }[]) =>
    rows.map((r) =>
      invoiceLine({
        siteId: r.siteId,
        month: r.month,
        monthStartMs: monthStartMs(r.siteId, r.month),
        energyWh: r.v.energyWh,
        version: r.v.version,
      }),
    );

  function store1(row: InvoiceRow, by: string, source: string): ImportedMonth | undefined {
    const key = { siteId: row.siteId, month: row.month };
    const cur = current(key);
    if (cur && cur.energyWh === row.energyWh && cur.invoiceNo === row.invoiceNo) return undefined;
    const v = store.append(key, {
      energyWh: row.energyWh,
      invoiceNo: row.invoiceNo,
      importedAt: new Date(now()).toISOString(),
      importedBy: by,
      source,
    });
    return {
      site: row.siteId,
      month: row.month,
      kwh: formatWhAsKwh(v.energyWh),
      invoiceNo: v.invoiceNo,
      version: v.version,
      replacedVersion: cur?.version ?? null,
    };
  }

  async function importNow(
    text: string,
    by: string,
    source: string,
    sites?: ReadonlySet<string>,
  ): Promise<ImportResult> {
    const rows = parseStatement(text, sites ?? knownSites, sites ? 'a site of your taxpayer' : undefined);
    const imported = rows.map((r) => store1(r, by, source)).filter((r): r is ImportedMonth => r !== undefined);
    const result = { imported, unchanged: rows.length - imported.length };
    await deps.audit?.({
      who: by,
      what: {
        source,
        rows: rows.length,
        unchanged: result.unchanged,
        versions: imported.map((i) => `${i.site}/${i.month} v${i.version} ${i.kwh} kWh`),
      },
      digest: createHash('sha256').update(text).digest('hex'),
    });
    if (deps.writeLines && imported.length)
      await deps.writeLines(
        linesOf(
          imported.map((i) => ({ siteId: i.site, month: i.month, v: current({ siteId: i.site, month: i.month })! })),
        ),
      );
    return result;
  }

  return {
    /** Checks the statement whole (InvoiceImportError naming the lines), then stores and audits it. */
    importStatement(req: {
      text: string;
      by: string;
      source: string;
      /** A taxpayer-bound user: only the sites their taxpayer operates. */
      allowedSites?: ReadonlySet<string>;
    }): Promise<ImportResult> {
      // One import at a time: two statements for the same month must not both read version N.
      const p = queue.then(() => importNow(req.text, req.by, req.source, req.allowedSites));
      queue = p.catch(() => undefined);
      return p;
    },

    /** Invoices (every version) of the months of a period, or of every month when none is given. */
    list(periodText?: string, siteIds?: ReadonlySet<string>) {
      let months: Set<string> | undefined;
      if (periodText !== undefined) {
        const p = parsePeriod(periodText);
        const ms = p.ok ? periodMonths(p.value) : undefined;
        if (!ms)
          throw new InvoiceImportError([
            `period "${periodText}": want a quarter (2025-Q3) or a month (2025-07): invoices are monthly`,
          ]);
        months = new Set(ms.map(monthLabel));
      }
      return store
        .keys()
        .filter((k) => (!months || months.has(k.month)) && (!siteIds || siteIds.has(k.siteId)))
        .map((k) => {
          const versions = store.history(k).map(view);
          return { site: k.siteId, month: k.month, current: versions.at(-1)!, versions };
        });
    },

    /** The version in force of each site-month asked. */
    inForce(keys: readonly InvoiceKey[]): InvoicedMonth[] {
      return keys.flatMap((k) => {
        const v = current(k);
        return v ? [{ ...k, energyWh: v.energyWh, invoiceNo: v.invoiceNo, version: v.version }] : [];
      });
    },

    /** Writes every invoice in force to InfluxDB (at start: idempotent, the same point overwrites itself). */
    async syncToInflux(): Promise<number> {
      if (!deps.writeLines) return 0;
      const rows = store.keys().flatMap((k) => {
        const v = current(k);
        return v && knownSites.has(k.siteId) ? [{ ...k, v }] : [];
      });
      if (rows.length) await deps.writeLines(linesOf(rows));
      return rows.length;
    },
  };
}

export type InvoiceService = ReturnType<typeof createInvoiceService>;
