/**
 * The supplier's invoiced kWh per site and month, every version kept: a re-import of a month appends a version,
 * the old ones stay listable (issue 24). Behind a small interface so the state can move to the shared state
 * store (architecture principle 14); the embedded default is one JSON file per site and month under
 * `<dataDir>/invoices/<site>/<YYYY-MM>.json` (0600 in a 0700 folder), written whole or not at all.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { readJsonFile, writeJsonFile } from '../util/json-file.ts';
import { ensurePrivateDir } from '../util/private-dir.ts';
import { KzmError } from '../util/errors.ts';

export interface InvoiceVersion {
  readonly version: number;
  readonly energyWh: number;
  readonly invoiceNo: string | null;
  /** ISO-8601 UTC. */
  readonly importedAt: string;
  readonly importedBy: string;
  /** Where it came from: a file name, 'api'. */
  readonly source: string;
}

export interface InvoiceKey {
  readonly siteId: string;
  readonly month: string;
}

export interface InvoiceStore {
  /** Every version of a site's month, oldest first (empty when none). */
  history(key: InvoiceKey): InvoiceVersion[];
  /** Appends a version; returns it. */
  append(key: InvoiceKey, entry: Omit<InvoiceVersion, 'version'>): InvoiceVersion;
  /** Every site and month that has an invoice. */
  keys(): InvoiceKey[];
}

export class InvoiceStoreError extends KzmError {
  constructor(message: string) {
    super(message, { code: 'invoice-store-invalid', httpStatus: 500 });
  }
}

export const INVOICE_FILE_SCHEMA = 'kzmeter.invoice/1';
const versionSchema = z.strictObject({
  version: z.number().int().min(1),
  energyWh: z.number().int().min(0),
  invoiceNo: z.string().nullable(),
  importedAt: z.string(),
  importedBy: z.string(),
  source: z.string(),
});
const fileSchema = z.strictObject({
  schema: z.literal(INVOICE_FILE_SCHEMA),
  site: z.string(),
  month: z.string(),
  versions: z.array(versionSchema),
});

const SITE = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const MONTH = /^\d{4}-\d{2}$/;

export function createFileInvoiceStore(dataDir: string): InvoiceStore {
  const root = join(dataDir, 'invoices');
  const fileOf = (k: InvoiceKey) => {
    // Path parts come from checked input only; checked again here so no caller can leave the folder.
    if (!SITE.test(k.siteId) || !MONTH.test(k.month))
      throw new InvoiceStoreError(`bad invoice key ${k.siteId}/${k.month}`);
    return join(root, k.siteId, `${k.month}.json`);
  };
  const history = (k: InvoiceKey): InvoiceVersion[] =>
    readJsonFile(fileOf(k), fileSchema, (m) => new InvoiceStoreError(m))?.versions ?? [];
  return {
    history,
    append(k, entry) {
      const versions = history(k);
      const v: InvoiceVersion = { version: (versions.at(-1)?.version ?? 0) + 1, ...entry };
      ensurePrivateDir(root);
      ensurePrivateDir(join(root, k.siteId));
      writeJsonFile(fileOf(k), {
        schema: INVOICE_FILE_SCHEMA,
        site: k.siteId,
        month: k.month,
        versions: [...versions, v],
      });
      return v;
    },
    keys() {
      const list = (dir: string) => {
        try {
          return readdirSync(dir);
        } catch {
          return [];
        }
      };
      return list(root)
        .filter((s) => SITE.test(s))
        .flatMap((siteId) =>
          list(join(root, siteId))
            .map((f) => /^(\d{4}-\d{2})\.json$/.exec(f)?.[1])
            .filter((m): m is string => m !== undefined)
            .map((month) => ({ siteId, month })),
        )
        .sort((a, b) => (a.siteId + a.month < b.siteId + b.month ? -1 : 1));
    },
  };
}
